import Foundation

/// The moderation policy as written in a policy file (JSON). See docs/moderation.md for the format.
///
/// A rule fires when one of its `any` terms matches, and (if it has `with` terms) one of those matches too, and
/// none of its `unless` terms matches. Rules are tried in file order; the first that fires decides the category.
/// A term is a sequence of words matched against the normalised prompt:
/// - `word` matches that word; `word*` any word starting with it;
/// - `@list` any entry of a named list (entries may be several words and may use `*`);
/// - `_` skips up to two words;
/// - a term starting with `~` matches anywhere in the prompt with spaces removed ("~childporn").
public struct ModerationPolicyFile: Codable, Sendable, Equatable {
    public struct Rule: Codable, Sendable, Equatable {
        public var id: String
        public var category: String
        public var any: [String]?
        public var with: [String]?
        public var unless: [String]?
        /// Fires when a trigger (e.g. "realistic video of") is followed within three words by two capitalised
        /// words that are not in the list `not_names`: "photorealistic video of Jane Doe".
        public var namedPersonAfter: [String]?

        enum CodingKeys: String, CodingKey {
            case id, category, any, with, unless
            case namedPersonAfter = "named_person_after"
        }
    }

    public var version: Int
    /// Category id -> a short description shown to users in refusals.
    public var categories: [String: String]
    public var lists: [String: [String]]
    public var rules: [Rule]
}

/// A policy compiled for matching.
public struct ModerationPolicy: Sendable {
    public let file: ModerationPolicyFile
    let rules: [CompiledRule]
    let notNames: Set<String>

    struct CompiledRule: Sendable {
        var id: String
        var category: String
        var any: [Term]
        var with: [Term]
        var unless: [Term]
        var namedPersonAfter: [Term]
    }

    indirect enum Item: Sendable {
        case word(String)
        case prefix(String)
        case oneOf([[Item]])
        case gap
    }

    enum Term: Sendable {
        case sequence([Item])
        case substring(String)
    }

    /// Compiles `file`; throws naming the rule and term when a list is missing or a term is empty.
    public init(_ file: ModerationPolicyFile) throws {
        self.file = file
        var rules: [CompiledRule] = []
        var seen = Set<String>()
        for rule in file.rules {
            guard !seen.contains(rule.id) else { throw Self.error("Two rules have the id '\(rule.id)'; rule ids must be unique.") }
            seen.insert(rule.id)
            guard file.categories[rule.category] != nil else {
                throw Self.error("Rule '\(rule.id)' names category '\(rule.category)', which is not in `categories`.")
            }
            let compile = { (terms: [String]?) throws -> [Term] in
                try (terms ?? []).map { try Self.compileTerm($0, lists: file.lists, rule: rule.id) }
            }
            let compiled = CompiledRule(
                id: rule.id, category: rule.category, any: try compile(rule.any), with: try compile(rule.with),
                unless: try compile(rule.unless), namedPersonAfter: try compile(rule.namedPersonAfter))
            guard !compiled.any.isEmpty || !compiled.namedPersonAfter.isEmpty else {
                throw Self.error("Rule '\(rule.id)' has no `any` terms and no `named_person_after` triggers, so it can never fire.")
            }
            rules.append(compiled)
        }
        self.rules = rules
        self.notNames = Set((file.lists["not_names"] ?? []).map { TextNormalizer.squeeze($0.lowercased()) })
    }

    /// Parses and compiles a policy file's JSON.
    public init(json: Data, source: String) throws {
        let file: ModerationPolicyFile
        do {
            file = try JSONDecoder().decode(ModerationPolicyFile.self, from: json)
        } catch {
            throw Self.error("The moderation policy \(source) is not valid policy JSON: \(error). See docs/moderation.md for the format.")
        }
        do {
            try self.init(file)
        } catch let error as KinoServiceError {
            throw Self.error("In the moderation policy \(source): \(error.message)")
        }
    }

    /// The first rule that fires, or nil when the prompt is allowed.
    public func evaluate(_ prompt: String) -> (rule: String, category: String)? {
        let text = TextNormalizer.normalize(prompt)
        let words = text.squeezed
        let joined = words.joined()
        for rule in rules {
            let fires = rule.any.contains { Self.matches($0, words, joined) }
                || rule.namedPersonAfter.contains { namedPerson(after: $0, text, words) }
            guard fires else { continue }
            if !rule.with.isEmpty, !rule.with.contains(where: { Self.matches($0, words, joined) }) { continue }
            if rule.unless.contains(where: { Self.matches($0, words, joined) }) { continue }
            return (rule.id, rule.category)
        }
        return nil
    }

    func namedPerson(after trigger: Term, _ text: NormalizedText, _ words: [String]) -> Bool {
        guard case .sequence(let items) = trigger else { return false }
        for start in words.indices {
            for end in Self.ends(items[...], words, start) {
                let window = end..<min(words.count, end + 4)
                for index in window where index + 1 < words.count {
                    if text.capitalized[index], text.capitalized[index + 1],
                       !notNames.contains(words[index]), !notNames.contains(words[index + 1]),
                       words[index].first?.isLetter == true, words[index + 1].first?.isLetter == true {
                        return true
                    }
                }
            }
        }
        return false
    }

    static func matches(_ term: Term, _ words: [String], _ joined: String) -> Bool {
        switch term {
        case .substring(let needle): return joined.contains(needle)
        case .sequence(let items): return words.indices.contains { !ends(items[...], words, $0).isEmpty }
        }
    }

    /// Every position where `items` can end when matched from `start`.
    static func ends(_ items: ArraySlice<Item>, _ words: [String], _ start: Int) -> [Int] {
        guard let first = items.first else { return [start] }
        let rest = items.dropFirst()
        var result: [Int] = []
        switch first {
        case .word(let word):
            if start < words.count, words[start] == word { result = ends(rest, words, start + 1) }
        case .prefix(let prefix):
            if start < words.count, words[start].hasPrefix(prefix) { result = ends(rest, words, start + 1) }
        case .gap:
            for skip in 0...2 where start + skip <= words.count { result += ends(rest, words, start + skip) }
        case .oneOf(let options):
            for option in options {
                for end in ends(option[...], words, start) { result += ends(rest, words, end) }
            }
        }
        return result
    }

    static func compileTerm(_ term: String, lists: [String: [String]], rule: String, depth: Int = 0) throws -> Term {
        let trimmed = term.trimmingCharacters(in: .whitespaces)
        if trimmed.hasPrefix("~") {
            let needle = TextNormalizer.normalize(String(trimmed.dropFirst())).joined
            guard !needle.isEmpty else { throw error("Rule '\(rule)' has an empty `~` term.") }
            return .substring(needle)
        }
        guard case .sequence(let items) = try compileSequence(trimmed, lists: lists, rule: rule, depth: depth), !items.isEmpty else {
            throw error("Rule '\(rule)' has an empty term.")
        }
        if let joined = runTogether(items) { return .sequence([.oneOf([items, [.word(joined)]])]) }
        return .sequence(items)
    }

    /// Several plain words also match written as one ("joe biden" matches "joebiden", "#JoeBiden", "J o e B i d e n").
    static func runTogether(_ items: [Item]) -> String? {
        guard items.count >= 2 else { return nil }
        var joined = ""
        for item in items {
            guard case .word(let word) = item else { return nil }
            joined += word
        }
        return TextNormalizer.squeeze(joined)
    }

    static func compileSequence(_ text: String, lists: [String: [String]], rule: String, depth: Int) throws -> Term {
        guard depth < 4 else { throw error("Rule '\(rule)': lists refer to each other too deeply (or in a circle).") }
        var items: [Item] = []
        for part in text.split(separator: " ") {
            if part == "_" {
                items.append(.gap)
            } else if part.hasPrefix("@") {
                let name = String(part.dropFirst())
                guard let entries = lists[name] else { throw error("Rule '\(rule)' uses the list '@\(name)', which is not in `lists`.") }
                var options: [[Item]] = []
                for entry in entries {
                    if case .sequence(let sub) = try compileSequence(entry, lists: lists, rule: rule, depth: depth + 1), !sub.isEmpty {
                        options.append(sub)
                        if let joined = Self.runTogether(sub) { options.append([.word(joined)]) }
                    }
                }
                items.append(.oneOf(options))
            } else {
                let isPrefix = part.hasSuffix("*")
                let words = TextNormalizer.normalize(String(isPrefix ? part.dropLast() : part)).squeezed
                guard !words.isEmpty else { continue }
                for (index, word) in words.enumerated() {
                    items.append(isPrefix && index == words.count - 1 ? .prefix(word) : .word(word))
                }
            }
        }
        return .sequence(items)
    }

    static func error(_ message: String) -> KinoServiceError {
        KinoServiceError.invalid(message, param: "policy", code: "invalid_policy")
    }
}
