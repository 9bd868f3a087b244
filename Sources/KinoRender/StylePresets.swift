/// Style presets: words appended to the prompt. kino-tiny was trained on these style names; for other models
/// they are plain prompt words.
public enum StylePresets {
    /// The names offered to users (the API's `style`, `kino generate --style`, the studio); `words(for:)` also
    /// accepts a few aliases of them.
    public static let names = ["plain", "pixel-art", "line-sketch", "noir", "neon"]

    static let words: [String: String] = [
        "plain": "", "pixel": "pixel art", "pixel-art": "pixel art", "sketch": "line sketch", "line-sketch": "line sketch",
        "noir": "black and white noir", "neon": "neon",
    ]

    /// Every accepted name, aliases included.
    public static var acceptedNames: [String] { words.keys.sorted() }

    /// `prompt` with the style's words appended; nil or empty style leaves it as it is.
    public static func apply(_ style: String?, to prompt: String) throws -> String {
        guard let style, !style.isEmpty else { return prompt }
        guard let words = words[style.lowercased()] else {
            throw ClipRenderError.invalid("unknown style '\(style)'; known styles: \(names.joined(separator: ", "))")
        }
        return words.isEmpty ? prompt : "\(prompt), \(words)"
    }
}
