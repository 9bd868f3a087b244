import ArgumentParser
import Foundation
import KinoEval
import KinoMedia
import KinoPipeline
import KinoRender
import KinoTensor

struct Eval: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Score a model's prompt adherence on a fixed prompt set (seen and held-out compositions).",
        discussion: """
            Generates one clip per prompt and seed at the model's native size through the same pipeline as
            `kino generate`, then scores object colour, motion direction, scene, style and object count with
            procedural detectors, and temporal flicker; writes a Markdown report and a contact sheet (JPEG).
            The detectors are first checked on the prompts' ground-truth clips (Tests/Fixtures/eval). See docs/eval.md.

            Examples:
              kino eval                                  # kino-tiny, training/eval_prompts.json -> bench/quality.md
              kino eval --ground-truth-only              # only check the detectors on ground truth
              kino eval --seeds 1,2 --steps 10 --out /tmp/q.md --sheet /tmp/q.jpg
              kino eval --image                          # image-to-video vs text-only -> bench/quality-i2v.md
            """)

    @OptionGroup var engine: EngineOptions
    @Option(help: "Prompt set JSON (written by training/make_eval_prompts.py).") var prompts = "training/eval_prompts.json"
    @Option(help: "Comma-separated seeds (default: the prompt set's seed list).") var seeds: String?
    @Option(help: "Denoising steps (default: the model's; with --turbo its turbo_steps).") var steps: Int?
    @Option(help: "Classifier-free guidance scale (default: the model's).") var guidance: Float?
    @Option(help: "Flow shift (default: the model's; with --turbo its turbo_shift).") var shift: Double?
    @Flag(help: "Turbo mode, as `kino generate --turbo`: the model's short schedule plus first-block step caching.") var turbo = false
    @Option(help: "Evaluate only the first N prompts (a quick look; the report says so).") var limit: Int?
    @Flag(help: "Image-to-video: start every clip from the first frame of its prompt's ground-truth clip, and score text-only clips of the same prompts and seeds beside them (first-frame fidelity too).")
    var image = false
    @Option(help: "Markdown report path (default bench/quality.md; with --image bench/quality-i2v.md).") var out: String?
    @Option(help: "Contact sheet path, JPEG (default bench/quality.jpg; with --image bench/quality-i2v.jpg).") var sheet: String?
    @Option(help: "Ground-truth fixture folder (groundtruth.json + .mp4).") var groundTruth = "Tests/Fixtures/eval"
    @Flag(help: "Only score the detectors on the ground-truth clips, print the result and stop.") var groundTruthOnly = false
    @Option(help: "Keep the generated clips here (raw RGB) and reuse them on the next run with the same model, prompt, seed and steps, so detectors can be re-scored without generating again.") var clipsDir: String?
    @Option(help: ArgumentHelp("Print the foreground regions of ground-truth clip N.", visibility: .hidden)) var debugClip: Int?

    func run() async throws {
        let model = try engine.selection()
        let gtFolder = Eval.locate(groundTruth)
        var gtVerdicts: [Verdict] = []
        if FileManager.default.fileExists(atPath: gtFolder.appendingPathComponent("groundtruth.json").path) {
            gtVerdicts = try await runOnThread { try GroundTruth(folder: gtFolder).verdicts() }
            let summary = Criterion.allCases.map { "\($0.rawValue) \(gtVerdicts.tally($0))" }.joined(separator: ", ")
            Console.error("detectors on ground truth: \(summary)")
        } else if groundTruthOnly {
            throw ValidationError("no ground-truth fixture in \(groundTruth); run python3 training/make_eval_fixture.py")
        } else {
            Console.error("warning: no ground-truth fixture in \(groundTruth); the report will not show detector accuracy")
        }
        if let debugClip {
            let gt = try await runOnThread { try GroundTruth(folder: gtFolder) }
            guard let item = gt.clips.first(where: { $0.prompt.id == debugClip }) else { throw ValidationError("no clip \(debugClip)") }
            let fg = Foreground(item.clip)
            print(item.prompt.prompt, StyleFeatures(item.clip))
            for t in 0..<fg.objects.count {
                let d = { (b: Blob) in "\(b.area)@x\(b.minX)-\(b.maxX),y\(b.minY)-\(b.maxY)" }
                print(t, "objects", fg.objects[t].map(d), "features", fg.sceneFeatures[t].map(d))
            }
            return
        }
        if groundTruthOnly {
            for v in gtVerdicts {
                let wrong = Criterion.allCases.filter { v.correct($0) == false }
                guard !wrong.isEmpty else { continue }
                print("#\(v.prompt.id) \(v.prompt.prompt): " + wrong.map { "\($0.rawValue) \(v.expected($0)) -> \(v.found($0))" }.joined(separator: ", "))
            }
            return
        }

        let out = self.out ?? (image ? "bench/quality-i2v.md" : "bench/quality.md")
        let sheet = self.sheet ?? (image ? "bench/quality-i2v.jpg" : "bench/quality.jpg")
        let pictures = image ? try await runOnThread { try Eval.firstFrames(gtFolder) } : [:]
        var promptSet = try EvalPromptSet.load(from: Eval.locate(prompts))
        if let limit { promptSet.prompts = Array(promptSet.prompts.prefix(max(1, limit))) }
        let set = promptSet
        let seedList = try seeds.map(Eval.parseSeeds) ?? set.seeds
        guard !seedList.isEmpty else { throw ValidationError("the seed list is empty") }

        let folder = model.folder
        let renderer = ClipRenderer(signing: nil)
        // the spec `kino generate` makes: the model's defaults, turbo's step count and step cache
        let spec = { @Sendable (prompt: String, seed: UInt64) in
            ClipSpec(model: model, prompt: prompt, width: set.width, height: set.height, frames: set.frames, seed: seed,
                     steps: steps, guidance: guidance, shift: shift, turbo: turbo)
        }
        if image {
            for p in set.prompts where pictures[p.id] == nil {
                throw ValidationError("prompt \(p.id) has no ground-truth clip in \(groundTruth) to start from")
            }
        }
        let d = try await runOnThread { try renderer.pipeline(for: model).defaults }
        let (plan, firstRequest) = try await runOnThread { try renderer.prepare(spec(set.prompts.first?.prompt ?? "", 0)) }
        let stepCount = firstRequest.steps
        let total = set.prompts.count * seedList.count
        Console.error("evaluating \(d.name ?? folder.lastPathComponent): \(total) clips at \(plan.width)x\(plan.height), "
                      + "\(plan.frames) frames, \(stepCount) steps")
        let started = Date()
        var verdicts: [Verdict] = [], tiles: [ContactSheet.Tile] = [], textOnly: [Verdict] = []
        var fidelity: [Eval.FirstFrame] = []
        var reused = 0, generationSeconds = 0.0
        let modes = image ? [false, true] : [false]
        for seed in seedList {
            for p in set.prompts {
                for startsFromImage in modes {
                    var draft = spec(p.prompt, seed)
                    if startsFromImage, let picture = pictures[p.id] { draft.conditioning = .imageFrames(picture) }
                    let clipSpec = draft
                    let t0 = Date()
                    let cache = clipsDir.map { dir in
                        URL(fileURLWithPath: dir).appendingPathComponent(
                            "\(d.name ?? folder.lastPathComponent)-p\(p.id)-s\(seed)-n\(stepCount)\(turbo ? "t" : "")\(guidance.map { "-g\($0)" } ?? "")\(shift.map { "-f\($0)" } ?? "")-\(plan.width)x\(plan.height)x\(plan.frames)\(startsFromImage ? "-i2v" : "").rgb")
                    }
                    let (clip, detection, wasCached) = try await runOnThread { () -> (EvalClip, Detection, Bool) in
                        var frames: VideoFrames, wasCached = false
                        if let cache, let data = try? Data(contentsOf: cache) {
                            frames = try VideoFrames(width: plan.width, height: plan.height, frameRate: FrameRate(plan.fps), pixels: [UInt8](data))
                            wasCached = true
                        } else {
                            frames = try renderer.render(clipSpec).frames
                            if let cache {
                                try FileManager.default.createDirectory(at: cache.deletingLastPathComponent(), withIntermediateDirectories: true)
                                try Data(frames.pixels).write(to: cache)
                            }
                        }
                        let clip = try EvalClip(frames)
                        return (clip, Detection(clip), wasCached)
                    }
                    if wasCached { reused += 1 } else { generationSeconds += Date().timeIntervalSince(t0) }
                    let v = Verdict(prompt: p, seed: seed, detection: detection)
                    if image && !startsFromImage {
                        textOnly.append(v)
                        continue
                    }
                    if startsFromImage, let picture = pictures[p.id] {
                        let rendererRef = renderer
                        fidelity.append(try await runOnThread { try Eval.firstFrame(of: clip, picture: picture, prompt: p, renderer: rendererRef, model: model) })
                    }
                    tiles.append(.init(clip: clip, label: "\(verdicts.count)\(p.split == .seen ? "S" : "H")"))
                    verdicts.append(v)
                    let wrong = Criterion.allCases.filter { v.correct($0) == false }.map(\.rawValue)
                    Console.error(String(format: "[%d/%d] %.1f s  ", verdicts.count, total, Date().timeIntervalSince(t0))
                                  + "\(p.split.rawValue)  \(p.prompt)" + (wrong.isEmpty ? "" : "  wrong: \(wrong.joined(separator: ","))")
                                  + (startsFromImage ? String(format: "  first frame %.1f dB", fidelity.last?.psnr ?? 0) : ""))
                }
            }
        }
        let seconds = Date().timeIntervalSince(started)
        let generated = verdicts.count + textOnly.count - reused

        let sheetURL = URL(fileURLWithPath: sheet), outURL = URL(fileURLWithPath: out)
        for dir in [sheetURL, outURL].map({ $0.deletingLastPathComponent() }) {
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        }
        let finalTiles = tiles
        try await runOnThread { try ContactSheet.writeJPEG(try ContactSheet.make(finalTiles), to: sheetURL) }
        var settings = "\(plan.width)x\(plan.height), \(plan.frames) frames at \(plan.fps) fps, \(stepCount) steps"
        settings += turbo ? " (turbo)" : ""
        settings += shift.map { ", shift \($0)" } ?? ""
        settings += ", guidance \(guidance ?? d.guidance ?? 5), seeds \(seedList.map(String.init).joined(separator: ","))"
        settings += ", prompts \(prompts)" + (limit.map { " (first \($0) only)" } ?? "")
        if generated > 0 {
            settings += String(format: ". %d clips generated in %.0f s (%.1f s per clip, generation and scoring)",
                               generated, generationSeconds, generationSeconds / Double(generated))
        }
        if reused > 0 { settings += ", \(reused) clips reused from \(clipsDir ?? "")" }
        var report = QualityReport(model: d.name ?? folder.lastPathComponent, modelDescription: d.description ?? folder.path,
                                   command: Eval.commandLine(), settings: settings, machine: Eval.machine(),
                                   seconds: seconds, verdicts: verdicts, groundTruth: gtVerdicts, sheetPath: sheet)
        if image {
            report.title = "image-to-video"
            report.preamble = Eval.imageComparison(imageToVideo: verdicts, textOnly: textOnly, fidelity: fidelity)
        }
        try report.markdown.write(to: outURL, atomically: true, encoding: .utf8)
        let held = verdicts.split(.heldOut)
        print("wrote \(out) and \(sheet): held-out colour \(held.tally(.colour)), direction \(held.tally(.direction)), "
              + "scene \(held.tally(.scene)) (\(String(format: "%.0f", seconds)) s)")
    }

    static func parseSeeds(_ text: String) throws -> [UInt64] {
        try text.split(separator: ",").map {
            guard let s = UInt64($0.trimmingCharacters(in: .whitespaces)) else {
                throw ValidationError("--seeds takes comma-separated whole numbers, e.g. 1001,1002; got \(text)")
            }
            return s
        }
    }

    /// A relative path as given when it exists from the working directory, else inside the checkout Kino was built
    /// from (where the prompt set and the fixture live), so `kino eval` works from any folder.
    static func locate(_ path: String) -> URL {
        let given = URL(fileURLWithPath: path)
        guard !path.hasPrefix("/"), !FileManager.default.fileExists(atPath: given.path) else { return given }
        let checkout = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let inCheckout = checkout.appendingPathComponent(path)
        return FileManager.default.fileExists(atPath: inCheckout.path) ? inCheckout : given
    }

    static func commandLine() -> String {
        let args = CommandLine.arguments.dropFirst().map { $0.contains(" ") ? "'\($0)'" : $0 }
        return (["kino"] + args).joined(separator: " ")
    }

    static func machine() -> String {
        "\(ProcessInfo.processInfo.activeProcessorCount) CPU cores, \(Compute.threads) threads"
    }
}
