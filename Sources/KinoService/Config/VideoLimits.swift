/// The product's limits, one home each: the API, the CLI and the studio read them from here.
public enum VideoLimits {
    /// The longest prompt (and negative prompt) accepted, in characters (the Videos API's limit).
    public static let maximumPromptLength = 32_000

    /// A text field's length as the OpenAPI document and the Videos API count it: Unicode code points (JSON
    /// Schema's `maxLength`). Swift's `count` counts grapheme clusters, fewer for Devanagari or emoji, so a prompt
    /// the schema calls too long would otherwise pass.
    public static func length(_ text: some StringProtocol) -> Int { text.unicodeScalars.count }

    /// Parses `"1280x720"` (width x height, each 1...8192); nil for anything else.
    public static func parseSize(_ text: String) -> VideoSize? {
        let parts = text.lowercased().split(separator: "x", omittingEmptySubsequences: false)
        guard parts.count == 2, let w = Int(parts[0]), let h = Int(parts[1]), (1...8192).contains(w), (1...8192).contains(h) else {
            return nil
        }
        return VideoSize(width: w, height: h)
    }

    /// Refuses control characters other than tab and line breaks in a text field (prompts): a NUL or an escape
    /// sequence has no place in a prompt, and text that some layer could cut or read differently must never reach
    /// moderation, storage and the renderer as three different strings.
    public static func checkText(_ text: String, field: String) throws {
        for scalar in text.unicodeScalars where scalar.properties.generalCategory == .control && !["\n", "\t", "\r"].contains(scalar) {
            let code = String(scalar.value, radix: 16, uppercase: true)
            throw KinoServiceError.invalid(
                "\(field) contains the control character U+\(String(repeating: "0", count: max(0, 4 - code.count)) + code); remove it (only tabs and line breaks are allowed).",
                param: field, code: "invalid_characters")
        }
    }
}
