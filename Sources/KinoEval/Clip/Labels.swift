import Foundation

/// Object colours of the world (training/world/vocab.py), with their reference RGB.
public enum ObjectColour: String, Codable, Sendable, CaseIterable {
    case red, orange, yellow, green, blue, purple, pink, white

    /// The world's palette (`COLOURS` in training/world/vocab.py).
    public var reference: RGB {
        switch self {
        case .red: return RGB(r: 0.92, g: 0.10, b: 0.10)
        case .orange: return RGB(r: 1.00, g: 0.55, b: 0.05)
        case .yellow: return RGB(r: 1.00, g: 0.90, b: 0.10)
        case .green: return RGB(r: 0.10, g: 0.78, b: 0.15)
        case .blue: return RGB(r: 0.10, g: 0.30, b: 0.98)
        case .purple: return RGB(r: 0.60, g: 0.15, b: 0.82)
        case .pink: return RGB(r: 1.00, g: 0.45, b: 0.78)
        case .white: return RGB(r: 0.97, g: 0.97, b: 0.97)
        }
    }
}

/// Screen direction of the object's travel over the clip; `none` for motions that end where they start.
public enum Direction: String, Codable, Sendable, CaseIterable {
    case left, right, up, down, none
}

/// Scene classes of the world (training/world/render.py `background`).
public enum SceneClass: String, Codable, Sendable, CaseIterable {
    case sky, night, sea, grass, snow
}

/// Styles of the world (training/world/render.py `stylise`).
public enum VisualStyle: String, Codable, Sendable, CaseIterable {
    case plain, pixel, sketch, noir, neon

    /// Styles that keep the world's colours, so object colour and scene palette can be scored on them.
    /// Noir is grey, sketch keeps only ink outlines on paper and neon only glowing edges on black.
    public var keepsColour: Bool { self == .plain || self == .pixel }
}

/// One prompt of the eval set (training/eval_prompts.json, written by training/make_eval_prompts.py).
public struct EvalPrompt: Codable, Sendable, Hashable {
    public enum Split: String, Codable, Sendable, CaseIterable {
        case seen
        case heldOut = "held_out"
    }

    public var id: Int
    public var split: Split
    public var prompt: String
    /// The object's colour (single-object prompts; nil for two objects).
    public var colour: ObjectColour?
    public var colours: [ObjectColour]
    public var object: String?
    public var objects: [String]
    public var motion: String
    public var direction: Direction
    public var scene: SceneClass
    public var style: VisualStyle
    public var count: Int
    public var relation: String?

    enum CodingKeys: String, CodingKey {
        case id, split, prompt, colour, colours, object, objects, motion, direction, scene, style, count, relation
    }
}

/// The whole prompt set: native generation size, the fixed seed list and the prompts.
public struct EvalPromptSet: Codable, Sendable {
    public var width: Int
    public var height: Int
    public var frames: Int
    public var seeds: [UInt64]
    public var prompts: [EvalPrompt]

    public static func load(from url: URL) throws -> EvalPromptSet {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw EvalError.invalidPromptSet("cannot read \(url.path): \(error.localizedDescription); "
                + "pass --prompts FILE or regenerate it with python3 training/make_eval_prompts.py")
        }
        let set: EvalPromptSet
        do { set = try JSONDecoder().decode(EvalPromptSet.self, from: data) } catch {
            throw EvalError.invalidPromptSet("\(url.path) is not a prompt set (\(error)); "
                + "regenerate it with python3 training/make_eval_prompts.py")
        }
        guard !set.prompts.isEmpty else { throw EvalError.invalidPromptSet("\(url.path) has no prompts") }
        return set
    }
}
