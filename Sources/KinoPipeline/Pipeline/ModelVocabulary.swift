import Foundation

/// The words a model was trained on, declared by its folder (kino.json `vocabulary`), so front ends can tell a new
/// user which words of a prompt the model knows. A small model trained on captions of a made-up world (kino-tiny)
/// draws only what those captions describe; words outside them are read but mean nothing to it.
///
/// ```json
/// "vocabulary": {"kinds": {"objects": ["ball", "cube"], "colours": ["red", "blue"]},
///                "words": ["a", "across", "ball", "blue", "cube", "red", "the"]}
/// ```
/// `kinds` names the words worth suggesting, by kind; `words` is every word the captions use (the kinds'
/// words are added to it).
public struct ModelVocabulary: Codable, Sendable, Equatable {
    public var kinds: [String: [String]]
    public var words: [String]

    public init(kinds: [String: [String]], words: [String]) {
        self.kinds = kinds
        self.words = words
    }

    var problem: String? {
        if kinds.isEmpty && words.isEmpty { return "vocabulary needs kinds or words (or leave it out)" }
        if kinds.values.contains(where: \.isEmpty) { return "vocabulary.kinds has an empty list" }
        return nil
    }

    /// Every known word, lower-cased, as prompts are split (phrases in `kinds` count word by word).
    public var known: Set<String> {
        Set((words + kinds.values.joined()).flatMap(Self.words(in:)))
    }

    /// The words of a prompt, lower-cased, split at anything that is not a letter or a digit.
    public static func words(in text: String) -> [String] {
        text.lowercased().split { !($0.isLetter || $0.isNumber) }.map(String.init)
    }

    /// The prompt's words the model does not know, each once, in the prompt's order.
    public func unknownWords(in prompt: String) -> [String] {
        let known = self.known
        var seen = Set<String>()
        return Self.words(in: prompt).filter { !known.contains($0) && seen.insert($0).inserted }
    }

    /// One line for a terminal: which words are unknown and what the model does know, by kind.
    public func hint(for prompt: String, examples: Int = 6) -> String? {
        let unknown = unknownWords(in: prompt)
        guard !unknown.isEmpty else { return nil }
        let kinds = self.kinds.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value.prefix(examples).joined(separator: ", "))" }
        return "the model does not know \(unknown.map { "'\($0)'" }.joined(separator: ", ")); it knows words like "
            + kinds.joined(separator: "; ")
    }
}
