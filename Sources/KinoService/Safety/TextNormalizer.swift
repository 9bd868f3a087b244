import Foundation

/// A prompt reduced to the tokens the moderation rules match against.
public struct NormalizedText: Sendable, Equatable {
    /// Lower-case ASCII-ish words, evasions undone (see `TextNormalizer`).
    public var tokens: [String]
    /// Whether the word a token came from started with a capital letter in the original text (for name patterns).
    public var capitalized: [Bool]

    /// Tokens with runs of a repeated letter squeezed to one ("kiiill" -> "kil"); rules are squeezed the same way.
    public var squeezed: [String] { tokens.map(TextNormalizer.squeeze) }
    /// All squeezed tokens run together, for rules that match inside words (`~term`).
    public var joined: String { squeezed.joined() }
}

/// Undoes the usual ways of hiding a word from a filter: zero-width and other invisible characters, full-width
/// and other compatibility forms (NFKC), look-alike letters from other scripts (Cyrillic "а", Greek "ο"),
/// accents, leetspeak inside words ("k1ll", "s3x", "b|00d"), case, punctuation or spaces between letters
/// ("k.i.l.l", "k i l l"), and stretched letters ("kiiill").
public enum TextNormalizer {
    /// Look-alike letters mapped to the Latin letter they imitate.
    static let homoglyphs: [Character: Character] = [
        // Cyrillic
        "а": "a", "в": "b", "е": "e", "ё": "e", "к": "k", "м": "m", "н": "h", "о": "o", "р": "p", "с": "c", "т": "t",
        "у": "y", "х": "x", "і": "i", "ї": "i", "ј": "j", "ѕ": "s", "ԁ": "d", "ԛ": "q", "ԝ": "w", "һ": "h", "ɡ": "g",
        "А": "A", "В": "B", "Е": "E", "К": "K", "М": "M", "Н": "H", "О": "O", "Р": "P", "С": "C", "Т": "T", "Х": "X",
        "У": "Y", "І": "I", "Ѕ": "S", "Ј": "J",
        // Greek
        "α": "a", "β": "b", "ε": "e", "η": "n", "ι": "i", "κ": "k", "ν": "v", "ο": "o", "ρ": "p", "τ": "t", "υ": "u",
        "χ": "x", "Α": "A", "Β": "B", "Ε": "E", "Η": "H", "Ι": "I", "Κ": "K", "Μ": "M", "Ν": "N", "Ο": "O", "Ρ": "P",
        "Τ": "T", "Χ": "X", "Υ": "Y", "Ζ": "Z",
        // Latin look-alikes
        "ı": "i", "ł": "l", "ø": "o", "đ": "d", "ß": "s", "æ": "a", "œ": "o", "ſ": "s",
    ]

    /// Leetspeak: replaced only next to a letter, so "12 year old" and "4 cats" keep their numbers.
    static let leet: [Character: Character] = [
        "0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a", "$": "s", "!": "i", "|": "l", "+": "t", "€": "e",
    ]

    public static func normalize(_ text: String) -> NormalizedText {
        // 1. Invisible characters (Unicode category Cf: zero-width space/joiners, soft hyphen, BOM, bidi marks).
        let visible = String(String.UnicodeScalarView(text.unicodeScalars.filter { $0.properties.generalCategory != .format }))
        // 2. Compatibility forms (full-width letters, ligatures, circled letters) and look-alikes.
        let compatible = visible.precomposedStringWithCompatibilityMapping
        let latin = String(compatible.map { homoglyphs[$0] ?? $0 })
        // 3. Accents: decompose and drop combining marks.
        let plain = String(String.UnicodeScalarView(
            latin.decomposedStringWithCanonicalMapping.unicodeScalars.filter { $0.properties.generalCategory != .nonspacingMark }))

        var tokens: [String] = []
        var capitalized: [Bool] = []
        var wordIndex: [Int] = []
        for (index, word) in plain.split(whereSeparator: { $0.isWhitespace }).enumerated() {
            let trimmed = word.trimmingCharacters(in: CharacterSet(charactersIn: ".,;:!?\"'()[]{}<>«»“”‘’*_-"))
            let isCapital = trimmed.first(where: { $0.isLetter })?.isUppercase ?? false
            let mapped = undoLeet(Array(trimmed)).lowercased()
            var current = ""
            for character in mapped {
                if character.isLetter || character.isNumber {
                    current.append(character)
                } else if !current.isEmpty {
                    tokens.append(current)
                    capitalized.append(isCapital)
                    wordIndex.append(index)
                    current = ""
                }
            }
            if !current.isEmpty {
                tokens.append(current)
                capitalized.append(isCapital)
                wordIndex.append(index)
            }
        }
        // Letters split by punctuation inside one word ("d.e.c.a.p") join first, then runs of one-letter words
        // ("k i l l"), so "d.e.c.a.p.i.t.a.t.e a man" keeps its "a".
        let withinWords = joinSpelledOut(NormalizedText(tokens: tokens, capitalized: capitalized), groups: wordIndex, minimum: 2)
        return joinSpelledOut(withinWords.text, groups: nil, minimum: 3).text
    }

    /// Replaces leet characters that touch a letter, repeating so "gu75" -> "guts".
    static func undoLeet(_ characters: [Character]) -> String {
        var chars = characters
        for _ in 0..<3 {
            var changed = false
            for index in chars.indices {
                guard let letter = leet[chars[index]] else { continue }
                let before = index > chars.startIndex && chars[index - 1].isLetter
                let after = index + 1 < chars.endIndex && chars[index + 1].isLetter
                if before || after {
                    chars[index] = letter
                    changed = true
                }
            }
            if !changed { break }
        }
        return String(chars)
    }

    /// Joins runs of at least `minimum` one-letter tokens into one word; with `groups`, only tokens of the same
    /// group (original word) join. Returns the groups of the result too.
    static func joinSpelledOut(_ text: NormalizedText, groups: [Int]?, minimum: Int) -> (text: NormalizedText, groups: [Int]) {
        var result = NormalizedText(tokens: [], capitalized: [])
        var resultGroups: [Int] = []
        var index = 0
        let tokens = text.tokens
        func isLetter(_ i: Int) -> Bool { tokens[i].count == 1 && tokens[i].first?.isLetter == true }
        while index < tokens.count {
            var end = index
            while end < tokens.count, isLetter(end), groups == nil || groups?[end] == groups?[index] { end += 1 }
            let count = end - index >= minimum ? end - index : 1
            result.tokens.append(tokens[index..<(index + count)].joined())
            result.capitalized.append(text.capitalized[index])
            resultGroups.append(groups?[index] ?? index)
            index += count
        }
        return (result, resultGroups)
    }

    /// "kiiill" -> "kil", "seeex" -> "sex".
    public static func squeeze(_ word: String) -> String {
        var out = ""
        var last: Character?
        for character in word where character != last {
            out.append(character)
            last = character
        }
        return out
    }
}
