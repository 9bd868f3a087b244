import ArgumentParser
import Foundation
import KinoEval
import KinoMedia
import KinoPipeline
import KinoRender

/// Turbo mode's quality on kino-tiny: every prompt of the eval set generated twice from the same seed,
/// at the default step count and with turbo, scored by `kino eval`'s detectors, plus the PSNR of each turbo clip
/// against its full-step twin.
extension BenchEngine {
    func turboSection() throws -> [String] {
        let model = ModelSelection(folder: try ModelLocator().resolve(nil), name: ModelLocator.defaultModel)
        let renderer = ClipRenderer(signing: nil)
        let d = try renderer.pipeline(for: model).defaults
        let set = try EvalPromptSet.load(from: Eval.locate("training/eval_prompts.json")).spread(turboPrompts)
        let processLines = candidatesOnly ? [] : try turboProcessLines()
        let seed = set.seeds.first ?? 0
        let spec = { (prompt: String, turbo: Bool) in
            ClipSpec(model: model, prompt: prompt, width: set.width, height: set.height, frames: set.frames, seed: seed, turbo: turbo)
        }
        let plan = try renderer.prepare(spec("", false)).plan
        // Mode 0 is the default, 1 is --turbo, the rest are candidate settings scored the same way.
        let candidates = try TurboCandidate.list(turboCandidates)
        let modes = 2 + candidates.count
        func modeSpec(_ prompt: String, _ mode: Int) throws -> ClipSpec {
            mode < 2 ? spec(prompt, mode == 1) : try candidates[mode - 2].spec(spec(prompt, false))
        }
        var verdictsByMode = Array(repeating: [Verdict](), count: modes)
        var secondsByMode = Array(repeating: 0.0, count: modes), callsByMode = Array(repeating: 0, count: modes)
        var psnrsByMode = Array(repeating: [Double](), count: modes)
        for (index, p) in set.prompts.enumerated() {
            var reference: VideoFrames?
            for mode in 0..<modes {
                let start = Date()
                let result = try renderer.render(try modeSpec(p.prompt, mode))
                secondsByMode[mode] += Date().timeIntervalSince(start)
                callsByMode[mode] += result.fullForwards
                let clip = result.frames
                if mode == 0 { reference = clip } else if let reference { psnrsByMode[mode].append(clip.psnr(to: reference)) }
                verdictsByMode[mode].append(Verdict(prompt: p, seed: seed, detection: Detection(try EvalClip(clip))))
            }
            Console.error("turbo quality [\(index + 1)/\(set.prompts.count)] PSNR \(String(format: "%.1f", psnrsByMode[1].last ?? .nan)) dB")
        }
        let psnrs = psnrsByMode[1]
        func meanChange(_ mode: Int) -> Double { verdictsByMode[mode].meanChange(from: verdictsByMode[0]) }
        var candidateLines: [String] = []
        if !candidates.isEmpty {
            let n = Double(set.prompts.count)
            candidateLines = ["", "Candidates scored in the same run (calls are full transformer calls per clip; seconds are "
                              + "denoise + decode per clip in process):", "",
                              "| setting | full calls | seconds | mean change (points) | mean PSNR dB |", "|---|---|---|---|---|"]
            for mode in 1..<modes {
                let name = mode == 1 ? "--turbo" : candidates[mode - 2].description
                let meanPSNR = psnrsByMode[mode].reduce(0, +) / Double(max(1, psnrsByMode[mode].count))
                candidateLines.append("| `\(name)` | \(String(format: "%.1f", Double(callsByMode[mode]) / n)) | \(f2(secondsByMode[mode] / n)) | "
                                      + "\(String(format: "%+.1f", meanChange(mode))) | \(String(format: "%.1f", meanPSNR)) |")
            }
        }
        let n = Double(set.prompts.count)
        let normal = verdictsByMode[0], turbo = verdictsByMode[1]
        var lines = ["## Turbo quality on kino-tiny (\(set.prompts.count) eval prompts, seed \(seed), \(plan.width)x\(plan.height), \(plan.frames) frames)", "",
                     "Each prompt of `training/eval_prompts.json` is generated at the default step count and with `--turbo` from the same "
                         + "seed and scored by `kino eval`'s detectors (docs/eval.md). PSNR compares each turbo clip's 8-bit frames with "
                         + "its full-step twin.", "",
                     "| mode | steps | full transformer calls per clip | denoise + decode s per clip (in process) |", "|---|---|---|---|"]
        for mode in 0..<2 {
            lines.append("| \(mode == 1 ? "turbo" : "default") | \(d.steps(explicit: nil, turbo: mode == 1)) | "
                         + "\(String(format: "%.1f", Double(callsByMode[mode]) / n)) | \(f2(secondsByMode[mode] / n)) |")
        }
        lines += ["", "| criterion | split | default | turbo | turbo − default (points) |", "|---|---|---|---|---|"]
        for c in Criterion.allCases {
            for (name, a, b) in [("all", normal, turbo), ("held-out", normal.split(.heldOut), turbo.split(.heldOut))] {
                let ta = a.tally(c), tb = b.tally(c)
                guard let fa = ta.fraction, let fb = tb.fraction else { continue }
                lines.append("| \(c.rawValue) | \(name) | \(ta) | \(tb) | \(String(format: "%+.1f", 100 * (fb - fa))) |")
            }
        }
        let sorted = psnrs.sorted()
        lines += ["", "Mean change over the criteria (all prompts): **\(String(format: "%+.1f", meanChange(1))) points** "
                  + "(the target is within ±3).", "",
                  "PSNR of turbo against full steps: mean **\(String(format: "%.1f", sorted.reduce(0, +) / Double(max(1, sorted.count)))) dB**, "
                  + "median \(String(format: "%.1f", sorted.isEmpty ? .nan : sorted[sorted.count / 2])) dB, "
                  + "min \(String(format: "%.1f", sorted.first ?? .nan)) dB over \(sorted.count) clips.", ""]
        return [lines[0], lines[1], "### Whole process", ""] + processLines + ["### Quality", ""] + lines.dropFirst(2) + candidateLines
    }
}

extension BenchEngine {
    /// The whole `kino generate` process, default against `--turbo`: start-up, denoising, decoding, upscaling,
    /// watermarks, x264 and C2PA, as a user runs it. Runs alternate the two; medians of `repeats` each.
    func turboProcessLines(repeats: Int = 5) throws -> [String] {
        let executable = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().path
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("kino-bench-turbo-\(ProcessInfo.processInfo.processIdentifier)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        var times: [Bool: [Double]] = [false: [], true: []]
        // One unmeasured run each first, so both find the model files in the page cache.
        for round in 0...repeats {
            for turbo in [false, true] {
                let p = Process()
                p.executableURL = URL(fileURLWithPath: executable)
                p.arguments = ["generate", Self.prompt, "-o", scratch.appendingPathComponent("clip.mp4").path, "--seed", "0",
                               "--data", scratch.appendingPathComponent("data").path] + (turbo ? ["--turbo"] : [])
                    + (threads.map { ["--threads", "\($0)"] } ?? [])
                p.standardOutput = FileHandle.nullDevice
                p.standardError = FileHandle.nullDevice
                let start = Date()
                try p.run()
                p.waitUntilExit()
                guard p.terminationStatus == 0 else {
                    throw ValidationError("kino generate\(turbo ? " --turbo" : "") failed (exit \(p.terminationStatus))")
                }
                if round > 0 { times[turbo, default: []].append(Date().timeIntervalSince(start)) }
            }
        }
        func median(_ t: [Double]) -> Double { let s = t.sorted(); return s.isEmpty ? .nan : s[s.count / 2] }
        let normal = median(times[false] ?? []), fast = median(times[true] ?? [])
        let normalRuns = (times[false] ?? []).map(f2).joined(separator: ", ")
        let fastRuns = (times[true] ?? []).map(f2).joined(separator: ", ")
        var lines = ["| process | median s | runs |", "|---|---|---|"]
        lines.append("| `kino generate PROMPT -o clip.mp4` | \(f2(normal)) | \(normalRuns) |")
        lines.append("| `kino generate PROMPT -o clip.mp4 --turbo` | \(f2(fast)) | \(fastRuns) |")
        lines.append("")
        lines.append("Turbo speed-up of the whole process (prompt → MP4 with watermarks and C2PA, start-up included): "
                     + "**\(f2(normal / fast))x** (the target is >= 2x).")
        lines.append("")
        return lines
    }
}
