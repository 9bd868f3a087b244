import Foundation

/// Writes bench/quality.md: per-criterion scores for seen and held-out compositions, the detectors' accuracy on
/// ground truth, the settings and command that reproduce it, and the legend of the contact sheet.
public struct QualityReport: Sendable {
    public var model: String
    public var modelDescription: String
    public var command: String
    public var settings: String
    public var machine: String
    public var seconds: Double
    public var verdicts: [Verdict]
    public var groundTruth: [Verdict]
    public var sheetPath: String?
    /// Targets for held-out compositions (criterion -> fraction), printed beside the scores.
    public var targets: [Criterion: Double] = [.colour: 0.70, .direction: 0.60, .scene: 0.80]
    /// A section printed before the scores (image-to-video: its comparison with text-only, first-frame fidelity).
    public var preamble: String?
    /// What the report's clips are, in its title.
    public var title = "prompt adherence"

    public init(model: String, modelDescription: String, command: String, settings: String, machine: String,
                seconds: Double, verdicts: [Verdict], groundTruth: [Verdict], sheetPath: String?) {
        self.model = model
        self.modelDescription = modelDescription
        self.command = command
        self.settings = settings
        self.machine = machine
        self.seconds = seconds
        self.verdicts = verdicts
        self.groundTruth = groundTruth
        self.sheetPath = sheetPath
    }

    public var markdown: String {
        var s = "# kino eval: \(title) of \(model)\n\n"
        s += "Model: `\(model)` — \(modelDescription)\n\n"
        s += "Reproduce: `\(command)`\n\n"
        s += "Settings: \(settings). \(verdicts.count) clips in \(String(format: "%.0f", seconds)) s in all on \(machine).\n\n"
        if let preamble { s += preamble }
        s += "## Scores\n\n"
        s += "| criterion | seen | held-out | held-out target |\n|---|---|---|---|\n"
        let seen = verdicts.split(.seen), held = verdicts.split(.heldOut)
        for c in Criterion.allCases {
            var target = ""
            if let goal = targets[c] {
                target = ">= \(Int(goal * 100))%"
                if let f = held.tally(c).fraction { target += f >= goal ? " (met)" : " (not met)" }
            }
            s += "| \(c.rawValue) % | \(seen.tally(c)) | \(held.tally(c)) | \(target) |\n"
        }
        s += String(format: "| mean flicker (8-bit levels) | %.2f | %.2f | |\n\n", seen.meanFlicker, held.meanFlicker)
        s += "Colour and scene are scored on plain and pixel-art prompts only (noir is grey, sketch keeps only ink "
        s += "outlines, neon only glowing edges); colour also only on single-object prompts. Flicker is the mean "
        s += "absolute frame-to-frame change of background pixels away from objects; the ground-truth clips score "
        s += String(format: "%.2f", groundTruth.meanFlicker)
        s += " (between frames 2 apart, from waves and twinkling stars).\n\n"
        s += "## Detector accuracy on ground truth\n\n"
        s += "The same detectors on the prompts' own ground-truth clips, rendered by training/world "
        s += "(Tests/Fixtures/eval, every second frame). A detector that is wrong here would make the scores above "
        s += "meaningless; the thresholds were tuned on these clips only, never on model output.\n\n"
        s += "| criterion | ground truth |\n|---|---|\n"
        for c in Criterion.allCases { s += "| \(c.rawValue) | \(groundTruth.tally(c)) |\n" }
        let misses = groundTruth.filter { v in Criterion.allCases.contains { v.correct($0) == false } }
        if !misses.isEmpty {
            s += "\nGround-truth misses:\n\n"
            for v in misses { s += "- #\(v.prompt.id) \"\(v.prompt.prompt)\": \(mistakes(v))\n" }
        }
        s += "\n## Per style (all splits)\n\n| style | clips | style % | direction % | count % |\n|---|---|---|---|---|\n"
        for st in VisualStyle.allCases {
            let vs = verdicts.filter { $0.prompt.style == st }
            guard !vs.isEmpty else { continue }
            s += "| \(st.rawValue) | \(vs.count) | \(vs.tally(.style).percent) | \(vs.tally(.direction).percent) | \(vs.tally(.count).percent) |\n"
        }
        if let sheetPath {
            s += "\n## Contact sheet\n\n![contact sheet](\(URL(fileURLWithPath: sheetPath).lastPathComponent))\n\n"
            s += "One middle frame per clip; the number is the row below (`H` held-out, `S` seen). "
            s += "Wrong detections are listed as expected -> found.\n\n"
        } else {
            s += "\n## Clips\n\n"
        }
        s += "| # | split | seed | prompt | colour | direction | scene | style | count | wrong |\n|---|---|---|---|---|---|---|---|---|---|\n"
        for (k, v) in verdicts.enumerated() {
            let p = v.prompt
            s += "| \(k) | \(p.split == .seen ? "S" : "H") | \(v.seed.map(String.init) ?? "-") | \(p.prompt) | "
            s += "\(p.colour?.rawValue ?? "-") | \(p.direction.rawValue) | \(p.scene.rawValue) | \(p.style.rawValue) | \(p.count) | \(mistakes(v)) |\n"
        }
        return s
    }

    func mistakes(_ v: Verdict) -> String {
        Criterion.allCases.compactMap { c in v.correct(c) == false ? "\(c.rawValue) \(v.expected(c)) -> \(v.found(c))" : nil }
            .joined(separator: "; ")
    }
}
