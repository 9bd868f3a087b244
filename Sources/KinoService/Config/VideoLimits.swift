/// The product's limits, one home each: the API, the CLI and the studio read them from here.
public enum VideoLimits {
    /// The longest prompt (and negative prompt) accepted, in characters (the Videos API's limit).
    public static let maximumPromptLength = 32_000

    /// Parses `"1280x720"` (width x height, each 1...8192); nil for anything else.
    public static func parseSize(_ text: String) -> VideoSize? {
        let parts = text.lowercased().split(separator: "x", omittingEmptySubsequences: false)
        guard parts.count == 2, let w = Int(parts[0]), let h = Int(parts[1]), (1...8192).contains(w), (1...8192).contains(h) else {
            return nil
        }
        return VideoSize(width: w, height: h)
    }
}
