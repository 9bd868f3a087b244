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
        case oneOf(Options)
        case gap
    }

    /// The alternatives of a list, indexed by their first word so a position is checked against the few
    /// entries that can start there, not the whole list (public-figure lists are long; prompts may be 32k chars).
    struct Options: Sendable {
        var byFirstWord: [String: [[Item]]] = [:]
        /// Entries that start with a prefix, a gap or another list.
        var others: [[Item]] = []

        init(_ options: [[Item]]) {
            for option in options {
                if case .word(let word) = option.first {
                    byFirstWord[word, default: []].append(option)
                } else {
                    others.append(option)
                }
            }
        }
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
        let prompt = Prompt(text: text)
        for rule in rules {
            let fires = rule.any.contains { Self.matches($0, prompt) }
                || rule.namedPersonAfter.contains { namedPerson(after: $0, prompt) }
            guard fires else { continue }
            if !rule.with.isEmpty, !rule.with.contains(where: { Self.matches($0, prompt) }) { continue }
            if rule.unless.contains(where: { Self.matches($0, prompt) }) { continue }
            return (rule.id, rule.category)
        }
        return nil
    }

    /// A normalised prompt with the positions of each word, so a term is tried only where it can start.
    struct Prompt {
        let text: NormalizedText
        let words: [String]
        let joined: String
        let positions: [String: [Int]]

        init(text: NormalizedText) {
            self.text = text
            words = text.squeezed
            joined = words.joined()
            var positions: [String: [Int]] = [:]
            for (index, word) in words.enumerated() { positions[word, default: []].append(index) }
            self.positions = positions
            var byHead: [String: [String]] = [:]
            for word in positions.keys { byHead[String(word.prefix(2)), default: []].append(word) }
            self.byHead = byHead
        }

        /// Distinct words by their first two letters, so a prefix is checked against few words.
        let byHead: [String: [String]]

        /// Where a sequence starting with `first` can start: looked up by word, and for prefixes checked once
        /// per distinct word of the prompt rather than once per position.
        func starts(_ first: Item?) -> [Int] {
            switch first {
            case .word(let word):
                return positions[word] ?? []
            case .prefix(let prefix):
                let candidates = prefix.count >= 2 ? (byHead[String(prefix.prefix(2))] ?? []) : Array(positions.keys)
                return candidates.flatMap { $0.utf8.starts(with: prefix.utf8) ? (positions[$0] ?? []) : [] }
            case .oneOf(let options):
                var result = options.byFirstWord.keys.flatMap { positions[$0] ?? [] }
                for option in options.others { result += starts(option.first) }
                return result
            case .gap, nil:
                return Array(words.indices)
            }
        }
    }

    func namedPerson(after trigger: Term, _ prompt: Prompt) -> Bool {
        guard case .sequence(let items) = trigger else { return false }
        let words = prompt.words
        let capitalized = prompt.text.capitalized
        for start in prompt.starts(items.first) {
            let found = Self.match(items[...], words, start) { end in
                for index in end..<min(words.count, end + 4) where index + 1 < words.count {
                    if capitalized[index], capitalized[index + 1],
                       !notNames.contains(words[index]), !notNames.contains(words[index + 1]),
                       words[index].first?.isLetter == true, words[index + 1].first?.isLetter == true {
                        return true
                    }
                }
                return false
            }
            if found { return true }
        }
        return false
    }

    static func matches(_ term: Term, _ prompt: Prompt) -> Bool {
        switch term {
        case .substring(let needle): return prompt.joined.contains(needle)
        case .sequence(let items):
            return prompt.starts(items.first).contains { match(items[...], prompt.words, $0) { _ in true } }
        }
    }

    /// Matches `items` from `start`, calling `found` with each position where the match can end, and stops at the
    /// first call that returns true. No allocation: prompts may have thousands of words.
    static func match(_ items: ArraySlice<Item>, _ words: [String], _ start: Int, _ found: (Int) -> Bool) -> Bool {
        guard let first = items.first else { return found(start) }
        let rest = items.dropFirst()
        switch first {
        case .word(let word):
            return start < words.count && words[start] == word && match(rest, words, start + 1, found)
        case .prefix(let prefix):
            return start < words.count && words[start].utf8.starts(with: prefix.utf8) && match(rest, words, start + 1, found)
        case .gap:
            for skip in 0...2 where start + skip <= words.count {
                if match(rest, words, start + skip, found) { return true }
            }
            return false
        case .oneOf(let options):
            let next = { (end: Int) in match(rest, words, end, found) }
            if start < words.count, let keyed = options.byFirstWord[words[start]] {
                for option in keyed where match(option[...], words, start, next) { return true }
            }
            for option in options.others where match(option[...], words, start, next) { return true }
            return false
        }
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
        if let joined = runTogether(items) { return .sequence([.oneOf(Options([items, [.word(joined)]]))]) }
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
                items.append(.oneOf(Options(options)))
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
