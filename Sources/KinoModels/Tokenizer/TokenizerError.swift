/// The tokenizer's load errors, expressed as the module's `ModelError`; each names the file and the problem.
enum TokenizerError {
    /// The folder has none of the files a tokenizer can be read from.
    static func missingFile(folder: String, expected: [String]) -> ModelError {
        .missingFile(path: folder, hint: "no tokenizer found; expected \(expected.joined(separator: " or ")) in this folder")
    }

    /// The file exists but could not be read or parsed.
    static func unreadableFile(_ file: String, reason: String) -> ModelError {
        .invalidConfig(path: file, message: "cannot read the tokenizer: \(reason)")
    }

    /// The file parsed, but its content is inconsistent (for example an id outside the vocabulary).
    static func invalidFile(_ file: String, _ problem: String) -> ModelError {
        .invalidConfig(path: file, message: "invalid tokenizer: \(problem)")
    }

    /// The file describes a component Kino does not implement.
    static func unsupported(_ file: String, _ what: String) -> ModelError {
        .invalidConfig(path: file, message: "unsupported tokenizer component: \(what)")
    }
}
