import Foundation

/// What the detectors found in one clip.
public struct Detection: Sendable {
    public var colour: ObjectColour?
    public var direction: Direction?
    public var scene: SceneClass
    public var style: VisualStyle
    public var count: Int
    /// Mean frame-to-frame change of the background, 8-bit levels.
    public var flicker: Double

    /// Runs every detector on a clip. CPU-bound (tens of milliseconds for a 128x80x33 clip).
    public init(_ clip: EvalClip) {
        let fg = Foreground(clip)
        colour = Detectors.colour(clip, fg)
        direction = Detectors.direction(fg)
        scene = Detectors.scene(fg)
        style = StyleFeatures(clip).style
        count = Detectors.count(fg)
        flicker = Detectors.flicker(clip, fg)
    }
}

/// The scored criteria, in report order.
public enum Criterion: String, Sendable, CaseIterable {
    case colour, direction, scene, style, count

    /// Whether the criterion is scored for this prompt: colour needs a single object; colour, scene and count
    /// need a style that keeps the world's colours (plain, pixel art): noir is grey with a vignette, and sketch
    /// and neon redraw every scene edge (sun, horizon, grass) as strokes that a region counter cannot tell
    /// from objects.
    public func applies(to p: EvalPrompt) -> Bool {
        switch self {
        case .colour: return p.count == 1 && p.colour != nil && p.style.keepsColour
        case .scene, .count: return p.style.keepsColour
        case .direction, .style: return true
        }
    }
}

/// A clip's detection checked against its prompt's labels.
public struct Verdict: Sendable {
    public var prompt: EvalPrompt
    public var seed: UInt64?
    public var detection: Detection

    public init(prompt: EvalPrompt, seed: UInt64?, detection: Detection) {
        self.prompt = prompt
        self.seed = seed
        self.detection = detection
    }

    /// nil when the criterion does not apply to this prompt.
    public func correct(_ c: Criterion) -> Bool? {
        guard c.applies(to: prompt) else { return nil }
        switch c {
        case .colour: return detection.colour == prompt.colour
        case .direction: return detection.direction == prompt.direction
        case .scene: return detection.scene == prompt.scene
        case .style: return detection.style == prompt.style
        case .count: return detection.count == prompt.count
        }
    }

    /// The detected value, as text for the report.
    public func found(_ c: Criterion) -> String {
        switch c {
        case .colour: return detection.colour?.rawValue ?? "no object"
        case .direction: return detection.direction?.rawValue ?? "no object"
        case .scene: return detection.scene.rawValue
        case .style: return detection.style.rawValue
        case .count: return String(detection.count)
        }
    }

    public func expected(_ c: Criterion) -> String {
        switch c {
        case .colour: return prompt.colour?.rawValue ?? "-"
        case .direction: return prompt.direction.rawValue
        case .scene: return prompt.scene.rawValue
        case .style: return prompt.style.rawValue
        case .count: return String(prompt.count)
        }
    }
}

/// Accuracy of one criterion over a set of verdicts.
public struct Tally: Sendable, CustomStringConvertible {
    public var correct = 0
    public var total = 0
    public var fraction: Double? { total == 0 ? nil : Double(correct) / Double(total) }
    public var percent: String { fraction.map { String(format: "%.0f%%", 100 * $0) } ?? "n/a" }
    public var description: String { "\(percent) (\(correct)/\(total))" }

    public init(_ verdicts: [Verdict], _ c: Criterion) {
        for v in verdicts {
            if let ok = v.correct(c) {
                total += 1
                if ok { correct += 1 }
            }
        }
    }
}

public extension Array where Element == Verdict {
    func tally(_ c: Criterion) -> Tally { Tally(self, c) }
    func split(_ s: EvalPrompt.Split) -> [Verdict] { filter { $0.prompt.split == s } }
    var meanFlicker: Double { isEmpty ? 0 : map(\.detection.flicker).reduce(0, +) / Double(count) }
}
