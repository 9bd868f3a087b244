import ArgumentParser
import Foundation
import KinoMedia
import KinoModels
import KinoPipeline
import KinoRender
import KinoTensor

/// Kino and diffusers side by side in one run: the Wan 1.3B forward at 320 and 1,280 video tokens in
/// fp32 and with bf16 weights, the Wan VAE decode of 17 frames at 256x256, and the whole default kino-tiny clip.
/// PyTorch runs in fresh processes (Tooling/bench_engine_torch.py) interleaved with Kino's measurements.
struct BenchEngine: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "engine",
        abstract: "Kino vs diffusers on the same CPU: transformer forward, VAE decode, default clip (bench/engine.md).",
        discussion: """
            Needs torch + diffusers (offline tooling) and the random 1.3B folder:  python3 Tooling/make_wan13b_random.py
            One forward = (time of a 3-step generation - time of a 1-step generation) / 2, guidance 1.
            """)

    @Option(help: "The folder written by Tooling/make_wan13b_random.py.") var model = "models-local/wan13b-random"
    @Option(help: "Where to write the report.") var output = "bench/engine.md"
    @Option(help: "Worker threads for both engines (default: all cores).") var threads: Int?
    @Option(help: "Measurement rounds (each alternates PyTorch and Kino); the best of each is reported.") var rounds = 1
    @Option(help: "Sections (comma-separated): fp32, bf16, vae, tiny, turbo.") var only = "fp32,bf16,vae,tiny,turbo"
    @Option(help: ArgumentHelp("Turbo section: also score these settings against the default (';'-separated candidates of "
                               + "key=value pairs: steps, gsteps, guidance, shift, scheduler, cache, recipe), e.g. \"steps=8,gsteps=3,cache=easycache:0.1\".",
                               valueName: "candidates"))
    var turboCandidates: String?
    @Option(help: "Turbo section: score only this many of the eval prompts (evenly spread), for quick comparisons.") var turboPrompts: Int?
    @Flag(help: "Turbo section: skip the whole-process timing (quick candidate comparisons).") var candidatesOnly = false

    static let prompt = "A red ball bounces across green grass"

    static let sectionNames = ["fp32", "bf16", "vae", "tiny", "turbo"]

    func run() async throws {
        if let threads { Compute.threads = threads }
        let sections = only.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        if let unknown = sections.first(where: { !Self.sectionNames.contains($0) }) {
            throw ValidationError("--only: unknown section \(unknown); use some of \(Self.sectionNames.joined(separator: ", "))")
        }
        let measured = try await runOnThread { try self.measure(Set(sections)) }
        // Sections not measured in this run keep their text from the existing report, so one section can be re-run.
        let previous = (try? String(contentsOfFile: output, encoding: .utf8)).map(Self.sections(of:)) ?? [:]
        var report = header() + "\n"
        for name in Self.sectionNames {
            if let text = measured[name] ?? previous[name] { report += "\n" + text + "\n" }
        }
        try FileManager.default.createDirectory(atPath: (output as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try report.write(toFile: output, atomically: true, encoding: .utf8)
        print(report)
    }

    func header() -> String {
        ["# Engine: Kino vs PyTorch (diffusers) on the same CPU", "",
         "Written by `kino bench engine` (sections can be re-run alone with `--only`; each says when and how it was measured).", "",
         "One forward = (3-step generation − 1-step generation) / 2 at guidance 1, UniPC, 17 frames, 512 text tokens, "
             + "random-weight Wan2.1-T2V-1.3B (`\(model)`; bf16 rows use its bf16 copy `\(model)-bf16`). Both engines start "
             + "from the same noise; agreement is the relative error (max|a−b| / max|b|) of the 3-step latents. "
             + "PyTorch runs in a fresh process per measurement; rounds alternate the engines and the best time of each is kept."]
            .joined(separator: "\n")
    }

    /// The report's sections by name: each starts with a `<!-- section: NAME -->` line and runs to the next one.
    static func sections(of report: String) -> [String: String] {
        var result: [String: String] = [:], current: String?, lines: [Substring] = []
        func close() {
            if let current { result[current] = lines.joined(separator: "\n").trimmingCharacters(in: .whitespacesAndNewlines) }
        }
        for line in report.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("<!-- section: "), line.hasSuffix(" -->") {
                close()
                current = String(line.dropFirst("<!-- section: ".count).dropLast(" -->".count))
                lines = []
            }
            lines.append(line)
        }
        close()
        return result
    }

    func measure(_ sections: Set<String>) throws -> [String: String] {
        var result: [String: String] = [:]
        for name in Self.sectionNames where sections.contains(name) {
            let before = BenchWan.loadAverage()
            // GEMM peak of the weights' own dtype, so "% of GEMM peak" compares like with like.
            let peak = name == "fp32" || name == "bf16" ? Self.gemmPeak(bf16Weights: name == "bf16") : 0
            let lines: [String]
            switch name {
            case "fp32", "bf16": lines = try forwardSection(dtype: name, gemmPeak: peak)
            case "vae": lines = try vaeSection()
            case "tiny": lines = try tinySection()
            default: lines = try turboSection()
            }
            var footer = "_Measured \(Date().formatted(.iso8601)) on \(Measure.cpuDescription()), \(Compute.threads) threads, "
                + "`--rounds \(rounds)`; load average \(String(format: "%.2f", before)) before, \(String(format: "%.2f", BenchWan.loadAverage())) after"
            if name == "fp32" || name == "bf16" {
                footer += "; Kino's \(name == "bf16" ? "bf16-weights" : "fp32") GEMM in this run: \(String(format: "%.0f", peak)) "
                    + "GFLOP/s (M=1280, K=1536, N=8960); "
                    + CPUFeatures.summary
            }
            result[name] = (["<!-- section: \(name) -->"] + lines + [footer + "._"]).joined(separator: "\n")
        }
        return result
    }

    /// Runs Tooling/bench_engine_torch.py in a fresh process and returns its JSON line.
    func torch(_ arguments: [String]) throws -> [String: Any] {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3", "Tooling/bench_engine_torch.py", "--threads", "\(Compute.threads)", "--folder", model] + arguments
        let pipe = Pipe()
        p.standardOutput = pipe
        try p.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        let last = String(decoding: data, as: UTF8.self).split(separator: "\n").last.map(String.init) ?? ""
        guard p.terminationStatus == 0, let json = try JSONSerialization.jsonObject(with: Data(last.utf8)) as? [String: Any] else {
            throw ValidationError("Tooling/bench_engine_torch.py \(arguments.joined(separator: " ")) failed (exit \(p.terminationStatus)); it needs torch and diffusers")
        }
        return json
    }

    struct KinoForward { var one = Double.infinity, three = Double.infinity, error = Double.nan, peakMB = 0 }

    func forwardSection(dtype: String, gemmPeak: Double) throws -> [String] {
        if dtype == "bf16" { _ = try torch(["--part", "make-bf16"]) }
        let tensorsPath = FileManager.default.temporaryDirectory.appendingPathComponent("kino-bench-\(dtype).safetensors").path
        var torchBest: [Int: (one: Double, three: Double)] = [:]
        var kino: [Int: KinoForward] = [:]
        var torchPeak = 0.0
        for _ in 0..<max(1, rounds) {
            let t = try torch(["--part", "forward", "--dtype", dtype, "--tensors", tensorsPath])
            torchPeak = max(torchPeak, t["peak_rss_mib"] as? Double ?? 0)
            for run in t["runs"] as? [[String: Any]] ?? [] {
                guard let tokens = run["video_tokens"] as? Int, let one = run["one_step_s"] as? Double, let three = run["three_step_s"] as? Double else { continue }
                let old = torchBest[tokens] ?? (.infinity, .infinity)
                torchBest[tokens] = (min(old.one, one), min(old.three, three))
            }
            for (tokens, result) in try kinoForward(dtype: dtype, tensorsPath: tensorsPath) {
                var best = kino[tokens] ?? KinoForward()
                best.one = min(best.one, result.one)
                best.three = min(best.three, result.three)
                best.error = result.error
                best.peakMB = max(best.peakMB, result.peakMB)
                kino[tokens] = best
            }
        }
        let weightsMB = Self.folderBytes(URL(fileURLWithPath: dtype == "bf16" ? model + "-bf16" : model).appendingPathComponent("transformer")) / 1_000_000
        var lines = ["## Transformer forward, \(dtype == "fp32" ? "fp32" : "bf16 weights")", "",
                     "| video tokens | Kino s | PyTorch s | Kino / PyTorch | Kino GFLOP/s | % of GEMM peak | agreement | Kino peak RSS MB | PyTorch peak RSS MB |",
                     "|---|---|---|---|---|---|---|---|---|"]
        for tokens in kino.keys.sorted() {
            guard let k = kino[tokens], let t = torchBest[tokens] else { continue }
            let kf = (k.three - k.one) / 2, tf = (t.three - t.one) / 2
            let gflops = Self.forwardFlops(tokens: tokens) / kf / 1e9
            lines.append("| \(tokens) | \(f2(kf)) | \(f2(tf)) | **\(f2(kf / tf))** | \(String(format: "%.0f", gflops)) | "
                         + "\(String(format: "%.0f%%", 100 * gflops / gemmPeak)) | \(String(format: "%.1e", k.error)) | \(k.peakMB) | \(String(format: "%.0f", torchPeak * 1.048576)) |")
        }
        lines += ["", "Transformer weights on disk: \(weightsMB) MB; the peak-RSS target is weights + 2,000 MB = \(weightsMB + 2000) MB "
                  + "(Kino's peak is measured from a reset before loading).", ""]
        return lines
    }

    /// Kino's 1- and 3-step generations from the noise PyTorch used; best of one warm-up and one timed run.
    func kinoForward(dtype: String, tensorsPath: String) throws -> [Int: KinoForward] {
        Measure.resetPeak()
        let folder = URL(fileURLWithPath: dtype == "bf16" ? model + "-bf16" : model)
        let pipeline = try TextToVideoPipeline.load(folder: folder)
        let reference = try SafeTensorsFile(path: tensorsPath)
        var results: [Int: KinoForward] = [:]
        for (width, height) in [(128, 128), (256, 256)] {
            let tokens = 5 * (width / 16) * (height / 16)
            guard let noise = try? reference.tensor("noise_\(tokens)") else { continue }
            func request(_ steps: Int) -> GenerationRequest {
                GenerationRequest(prompt: Self.prompt, width: width, height: height, frames: 17, steps: steps, guidance: 1,
                                  seed: 0, noise: noise)
            }
            _ = try pipeline.denoise(request(1))                                   // warm-up, as PyTorch's
            var r = KinoForward()
            var latents = Tensor(zeros: [1])
            r.one = Measure.best(repeats: 1, warmup: false) { _ = try? pipeline.denoise(request(1)) }
            r.three = Measure.best(repeats: 1, warmup: false) { latents = (try? pipeline.denoise(request(3))) ?? latents }
            if let golden = try? reference.tensor("latents3_\(tokens)") { r.error = Double(latents.relativeError(to: golden)) }
            r.peakMB = Measure.residentBytes().peak / 1_000_000
            results[tokens] = r
        }
        return results
    }

    func vaeSection() throws -> [String] {
        let tensorsPath = FileManager.default.temporaryDirectory.appendingPathComponent("kino-bench-vae.safetensors").path
        var torchBest = Double.infinity, kinoBest = Double.infinity, error = Double.nan, folder = ""
        for _ in 0..<max(1, rounds) {
            let t = try torch(["--part", "vae", "--tensors", tensorsPath])
            torchBest = min(torchBest, t["decode_s"] as? Double ?? .infinity)
            folder = t["folder"] as? String ?? ""
            let vae = try WanVAE(directory: URL(fileURLWithPath: folder))
            let reference = try SafeTensorsFile(path: tensorsPath)
            let latents = try reference.tensor("latents")
            var video = Tensor(zeros: [1])
            _ = try vae.decode(latents.sliced(axis: 2, 0..<2).contiguous())       // warm-up, as PyTorch's
            kinoBest = min(kinoBest, Measure.best(repeats: 1, warmup: false) { video = (try? vae.decode(latents)) ?? video })
            error = Double(video.relativeError(to: try reference.tensor("video")))
        }
        return ["## Wan VAE decode, 17 frames at 256x256 (latents [1, 16, 5, 32, 32], random full-size Wan 2.1 VAE)", "",
                "| Kino s | PyTorch s | Kino / PyTorch | agreement |", "|---|---|---|---|",
                "| \(f2(kinoBest)) | \(f2(torchBest)) | **\(f2(kinoBest / torchBest))** | \(String(format: "%.1e", error)) |", ""]
    }

    /// The default kino-tiny clip: Kino from prompt to finished MP4 (default size, watermark), median of 3;
    /// PyTorch from prompt to decoded frames at the native size (no resize or encode), best of its runs.
    func tinySection() throws -> [String] {
        let folder = try ModelLocator().resolve(nil)
        let t = try torch(["--part", "tiny", "--repeats", "2"])
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("kino-bench-tiny.mp4")
        // What a user gets: visible and invisible watermarks and C2PA credentials from a scratch data folder.
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("kino-bench-data")
        let renderer = ClipRenderer(signing: try ClipProvenance.identity(dataFolder: scratch))
        let model = ModelSelection(folder: folder, name: ModelLocator.defaultModel)
        let d = try renderer.pipeline(for: model).defaults
        let plan = try renderer.prepare(ClipSpec(model: model, prompt: Self.prompt, seed: 0)).plan
        var rows: [String] = [], medians: [Double] = []
        for turbo in [false, true] {
            var times: [Double] = []
            for _ in 0..<3 {
                let start = Date()
                _ = try renderer.render(ClipSpec(model: model, prompt: Self.prompt, seed: 0, turbo: turbo), to: ClipOutputs(video: out))
                times.append(Date().timeIntervalSince(start))
            }
            let median = times.sorted()[1]
            medians.append(median)
            let steps = d.steps(explicit: nil, turbo: turbo)
            rows.append("| Kino\(turbo ? " --turbo" : ""), prompt → MP4 \(plan.outputWidth)x\(plan.outputHeight) with watermarks and C2PA | \(steps) | \(f2(median)) (median of \(times.map(f2).joined(separator: ", "))) |")
        }
        rows.append("| PyTorch (diffusers WanPipeline), prompt → frames \(plan.width)x\(plan.height) | \(t["steps"] as? Int ?? 0) | \(f2(t["seconds"] as? Double ?? .nan)) (best of 2) |")
        return ["## The default kino-tiny clip (\(plan.frames) frames, \(plan.fps) fps, guidance \(d.guidance ?? 5))", "",
                "| run | steps | seconds |", "|---|---|---|"] + rows
            + ["", "Turbo speed-up on the whole clip (medians): **\(f2(medians[0] / medians[1]))x** (the target is >= 2x). "
               + "Turbo encodes with x264 `ultrafast` instead of `medium`.", ""]
    }

    func f2(_ x: Double) -> String { String(format: "%.2f", x) }

    /// Multiply-add FLOPs of one Wan 1.3B forward at `tokens` video tokens (cross-attention K/V excluded: cached
    /// per prompt), 2 per multiply-add.
    static func forwardFlops(tokens n: Int, layers: Int = 30, dim: Int = 1536, ffn: Int = 8960, text: Int = 512) -> Double {
        let (n, d, f, l) = (Double(n), Double(dim), Double(ffn), Double(text))
        let perBlock = 2 * n * d * d * 6 + 2 * n * d * f * 2 + 4 * n * n * d + 4 * n * l * d
        return Double(layers) * perBlock
    }

    /// Kino's fp32 GEMM throughput on the largest Wan shape, GFLOP/s.
    static func gemmPeak(bf16Weights: Bool) -> Double {
        var g = SeededGenerator(seed: 1)
        let (m, k, n) = (1280, 1536, 8960)
        let a = Tensor.randomUniform([m, k], using: &g)
        let w = bf16Weights ? Tensor.randomUniform([n, k], using: &g).converted(to: .bf16) : Tensor.randomUniform([n, k], using: &g)
        let seconds = Measure.best(repeats: 3) { _ = a.linear(w) }
        return 2.0 * Double(m * n * k) / seconds / 1e9
    }

    static func folderBytes(_ url: URL) -> Int {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: url.path)) ?? []
        return names.filter { $0.hasSuffix(".safetensors") }.reduce(0) {
            $0 + ((try? FileManager.default.attributesOfItem(atPath: url.appendingPathComponent($1).path)[.size] as? Int) ?? 0)
        }
    }
}
