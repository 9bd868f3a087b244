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
        let set = try EvalPromptSet.load(from: Eval.locate("training/eval_prompts.json"))
        let seed = set.seeds.first ?? 0
        let spec = { (prompt: String, turbo: Bool) in
            ClipSpec(model: model, prompt: prompt, width: set.width, height: set.height, frames: set.frames, seed: seed, turbo: turbo)
        }
        let plan = try renderer.prepare(spec("", false)).plan
        var verdicts: [Bool: [Verdict]] = [false: [], true: []]
        var seconds: [Bool: Double] = [false: 0, true: 0]
        var calls: [Bool: Int] = [false: 0, true: 0]
        var psnrs: [Double] = []
        for (index, p) in set.prompts.enumerated() {
            var frames: [Bool: VideoFrames] = [:]
            for turbo in [false, true] {
                let start = Date()
                let result = try renderer.render(spec(p.prompt, turbo))
                seconds[turbo, default: 0] += Date().timeIntervalSince(start)
                calls[turbo, default: 0] += result.fullForwards + result.reusedForwards
                let clip = result.frames
                frames[turbo] = clip
                verdicts[turbo, default: []].append(Verdict(prompt: p, seed: seed, detection: Detection(try EvalClip(clip))))
            }
            if let full = frames[false], let fast = frames[true] { psnrs.append(BenchWatermark.psnr(fast, full)) }
            Console.error("turbo quality [\(index + 1)/\(set.prompts.count)] PSNR \(String(format: "%.1f", psnrs.last ?? .nan)) dB")
        }
        let n = Double(set.prompts.count)
        let normal = verdicts[false] ?? [], turbo = verdicts[true] ?? []
        var lines = ["## Turbo quality on kino-tiny (\(set.prompts.count) eval prompts, seed \(seed), \(plan.width)x\(plan.height), \(plan.frames) frames)", "",
                     "Each prompt of `training/eval_prompts.json` is generated at the default step count and with `--turbo` from the same "
                         + "seed and scored by `kino eval`'s detectors (docs/eval.md). PSNR compares each turbo clip's 8-bit frames with "
                         + "its full-step twin.", "",
                     "| mode | steps | transformer calls per clip | denoise + decode s per clip (in process) |", "|---|---|---|---|"]
        for mode in [false, true] {
            lines.append("| \(mode ? "turbo" : "default") | \(d.steps(explicit: nil, turbo: mode)) | "
                         + "\(String(format: "%.1f", Double(calls[mode] ?? 0) / n)) | \(f2((seconds[mode] ?? 0) / n)) |")
        }
        lines += ["", "| criterion | split | default | turbo | turbo − default (points) |", "|---|---|---|---|---|"]
        var meanDelta = 0.0, scored = 0
        for c in Criterion.allCases {
            for (name, a, b) in [("all", normal, turbo), ("held-out", normal.split(.heldOut), turbo.split(.heldOut))] {
                let ta = a.tally(c), tb = b.tally(c)
                guard let fa = ta.fraction, let fb = tb.fraction else { continue }
                if name == "all" { meanDelta += 100 * (fb - fa); scored += 1 }
                lines.append("| \(c.rawValue) | \(name) | \(ta) | \(tb) | \(String(format: "%+.1f", 100 * (fb - fa))) |")
            }
        }
        let sorted = psnrs.sorted()
        lines += ["", "Mean change over the criteria (all prompts): **\(String(format: "%+.1f", meanDelta / Double(max(1, scored)))) points** "
                  + "(the target is within ±3).", "",
                  "PSNR of turbo against full steps: mean **\(String(format: "%.1f", sorted.reduce(0, +) / Double(max(1, sorted.count)))) dB**, "
                  + "median \(String(format: "%.1f", sorted.isEmpty ? .nan : sorted[sorted.count / 2])) dB, "
                  + "min \(String(format: "%.1f", sorted.first ?? .nan)) dB over \(sorted.count) clips (the target is >= 25 dB).", ""]
        return lines
    }
}
