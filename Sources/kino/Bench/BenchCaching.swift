import ArgumentParser
import Foundation
import KinoEval
import KinoMedia
import KinoModels
import KinoPipeline
import KinoRender
import KinoTensor

/// Step caching's trade-offs: on kino-tiny, every cache mode against no cache over the eval prompts (calls
/// skipped, speed-up, adherence change, PSNR); on a random full-size Wan 2.1 1.3B transformer, what one skipped
/// call saves. `--calibrate` measures MagCache's ratios for kino.json instead.
struct BenchCaching: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "caching",
        abstract: "Step caching on kino-tiny and the 1.3B transformer (bench/caching.md); --calibrate measures MagCache ratios.")

    @Option(help: "Where to write the report.") var output = "bench/caching.md"
    @Option(help: "Cache modes to compare with no cache (comma-separated).")
    var modes = "easycache,easycache:0.1,easycache:0.2,magcache,magcache:0.3,firstblock,firstblock:0.2,teacache"
    @Option(help: "Score only this many eval prompts (evenly spread).") var prompts: Int?
    @Option(help: "Video tokens of the 1.3B measurement (0 skips it).") var largeTokens = 1280
    @Option(help: "Worker threads (default: all cores).") var threads: Int?
    @Flag(help: "Measure MagCache's magnitude ratios on validation prompts and print them as kino.json's magcache_ratios.")
    var calibrate = false
    @Option(help: "Validation prompts averaged by --calibrate.") var calibrationPrompts = 8

    func run() async throws {
        if let threads { Compute.threads = threads }
        let cases = try modes.split(separator: ",").map { try StepCacheMode(parsing: String($0)) }
        if calibrate {
            let json = try await runOnThread { try self.calibrateRatios() }
            print(json)
            return
        }
        let started = Date(), before = BenchWan.loadAverage()
        var lines = try await runOnThread { try self.tinySection(cases) }
        if largeTokens > 0 { lines += try await runOnThread { try self.largeSection() } }
        lines.append("_Measured \(started.formatted(.iso8601)) on \(Measure.cpuDescription()), \(Compute.threads) threads; "
                     + "load average \(String(format: "%.2f", before)) before, \(String(format: "%.2f", BenchWan.loadAverage())) after; "
                     + "\(CPUFeatures.summary)._")
        let report = (["# Step caching", "",
                       "Written by `kino bench caching` (docs/engine.md, \"Few-step samplers and step caching\")."] + [""] + lines)
            .joined(separator: "\n") + "\n"
        try report.write(toFile: output, atomically: true, encoding: .utf8)
        print(report)
    }

    func tinyModel() throws -> (ClipRenderer, ModelSelection) {
        (ClipRenderer(signing: nil), ModelSelection(folder: try ModelLocator().resolve(nil), name: ModelLocator.defaultModel))
    }

    /// Averages the per-step ratios of calibration runs (the model's default settings) over validation prompts.
    func calibrateRatios() throws -> String {
        let (renderer, model) = try tinyModel()
        let pipeline = try renderer.pipeline(for: model)
        let set = try EvalPromptSet.load(from: Eval.locate("training/val_prompts.json"))
        var cond: [Float] = [], uncond: [Float] = [], runs = 0
        for p in set.prompts.prefix(calibrationPrompts) {
            var request = try renderer.prepare(ClipSpec(model: model, prompt: p.prompt, width: set.width, height: set.height,
                                                        frames: set.frames, seed: set.seeds.first ?? 0)).request
            request.calibratesMagCache = true
            guard let ratios = try pipeline.generate(request).magnitudeRatios else { continue }
            cond = cond.isEmpty ? ratios.cond : zip(cond, ratios.cond).map(+)
            if let u = ratios.uncond { uncond = uncond.isEmpty ? u : zip(uncond, u).map(+) }
            runs += 1
            Console.error("calibration [\(runs)/\(calibrationPrompts)]")
        }
        let n = Float(max(runs, 1))
        func list(_ v: [Float]) -> String { "[" + v.map { String(format: "%.4f", $0 / n) }.joined(separator: ", ") + "]" }
        return "\"magcache_ratios\": {\"cond\": \(list(cond)), \"uncond\": \(list(uncond))}"
    }

    func tinySection(_ cases: [StepCacheMode]) throws -> [String] {
        let (renderer, model) = try tinyModel()
        let pipeline = try renderer.pipeline(for: model)
        let set = try EvalPromptSet.load(from: Eval.locate("training/eval_prompts.json")).spread(prompts)
        let seed = set.seeds.first ?? 0
        // Modes that cannot run on kino-tiny are reported with the engine's reason instead of a row of numbers.
        var runnable: [StepCacheMode?] = [nil], refused: [(StepCacheMode, String)] = []
        for mode in cases {
            do {
                var probe = try renderer.prepare(ClipSpec(model: model, prompt: "a ball", width: set.width, height: set.height,
                                                          frames: set.frames, seed: seed)).request
                probe.cache = mode
                try pipeline.validate(probe)
                runnable.append(mode)
            } catch {
                refused.append((mode, "\(error)"))
            }
        }
        var verdicts = Array(repeating: [Verdict](), count: runnable.count)
        var seconds = Array(repeating: 0.0, count: runnable.count)
        var full = Array(repeating: 0, count: runnable.count), reused = Array(repeating: 0, count: runnable.count)
        var psnrs = Array(repeating: [Double](), count: runnable.count)
        for (index, p) in set.prompts.enumerated() {
            var reference: VideoFrames?
            for (m, mode) in runnable.enumerated() {
                var spec = ClipSpec(model: model, prompt: p.prompt, width: set.width, height: set.height, frames: set.frames, seed: seed)
                spec.cache = mode.map { .on($0) } ?? .off
                let start = Date()
                let result = try renderer.render(spec)
                seconds[m] += Date().timeIntervalSince(start)
                full[m] += result.fullForwards
                reused[m] += result.reusedForwards
                if m == 0 { reference = result.frames } else if let reference { psnrs[m].append(result.frames.psnr(to: reference)) }
                verdicts[m].append(Verdict(prompt: p, seed: seed, detection: Detection(try EvalClip(result.frames))))
            }
            Console.error("caching [\(index + 1)/\(set.prompts.count)]")
        }
        let n = Double(set.prompts.count)
        func meanChange(_ m: Int) -> Double { verdicts[m].meanChange(from: verdicts[0]) }
        let d = pipeline.defaults
        var lines = ["## kino-tiny (\(set.prompts.count) eval prompts, seed \(seed), \(set.width)x\(set.height), \(set.frames) frames, "
                     + "\(d.steps ?? 50) steps, guidance \(d.guidance ?? 5))", "",
                     "Each prompt is generated without a cache and with each mode from the same seed; seconds are denoise + decode "
                     + "per clip in process; adherence is `kino eval`'s mean change over its criteria; PSNR compares 8-bit frames "
                     + "with the uncached clip.", "",
                     "| cache | full calls per clip | reused per clip | seconds per clip | speed-up | adherence change (points) | PSNR mean / min dB |",
                     "|---|---|---|---|---|---|---|"]
        for (m, mode) in runnable.enumerated() {
            let s = psnrs[m].sorted()
            let psnr = m == 0 ? "—" : String(format: "%.1f / %.1f", s.reduce(0, +) / Double(max(s.count, 1)), s.first ?? .nan)
            lines.append("| \(mode.map { "`\($0)`" } ?? "none") | \(String(format: "%.1f", Double(full[m]) / n)) | "
                         + "\(String(format: "%.1f", Double(reused[m]) / n)) | \(String(format: "%.2f", seconds[m] / n)) | "
                         + "\(String(format: "%.2fx", seconds[0] / max(seconds[m], 1e-9))) | "
                         + "\(m == 0 ? "—" : String(format: "%+.1f", meanChange(m))) | \(psnr) |")
        }
        for (mode, reason) in refused { lines.append("| `\(mode)` | not run: \(reason) | | | | | |") }
        return lines + [""]
    }

    /// What one skipped call saves on the real transformer shape: a full forward against a call the cache serves,
    /// on random Wan 2.1 1.3B weights (bf16, 30 blocks) at `largeTokens` video tokens.
    func largeSection() throws -> [String] {
        let model = try RandomWan.transformer(WanTransformerConfiguration(), dtype: .bf16, seed: 1)
        let side = largeTokens <= 320 ? 16 : 32
        var g = SeededGenerator(seed: 2)
        let latents = Tensor.randomNormal([1, 16, 5, side, side], using: &g)
        let context = model.textContext(Tensor.randomNormal([1, 512, 4096], using: &g))
        let tokens = 5 * side * side / 4
        var rows: [String] = []
        for mode in [StepCacheMode.teaCache(threshold: 1e9), .easyCache(threshold: 1e9), .magCache(threshold: 1e9, maxSkips: 9)] {
            let cache = StepCache(mode: mode, steps: 10, magRatios: Array(repeating: 1, count: 10))
            var times: [Double] = [], served: [Double] = []
            // TeaCache skips from the second call, EasyCache and MagCache after their kept first fifth (two calls).
            for step in 0..<4 {
                let before = cache.reused
                let x = latents * (1 - 0.05 * Float(step))
                let start = Date()
                _ = try model(x, timesteps: [Float(900 - 50 * step)], context: context, cache: cache)
                let elapsed = Date().timeIntervalSince(start)
                if cache.reused > before { served.append(elapsed) } else { times.append(elapsed) }
            }
            let fullTime = times.min() ?? .nan, servedTime = served.min() ?? .nan
            rows.append("| `\(mode.description.split(separator: ":")[0])` | \(String(format: "%.2f", fullTime)) | "
                        + "\(String(format: "%.3f", servedTime)) | \(String(format: "%.2f", fullTime - servedTime)) |")
        }
        return ["## Wan 2.1 1.3B transformer (random bf16 weights, \(tokens) video tokens, 512 text tokens)", "",
                "A call the cache serves still runs the patch embedding, time embedding and head (TeaCache, MagCache) or only "
                + "an addition (EasyCache); the rest of a full forward is saved.", "",
                "| cache | full call s | served call s | saved per skipped call s |", "|---|---|---|---|"] + rows + [""]
    }
}
