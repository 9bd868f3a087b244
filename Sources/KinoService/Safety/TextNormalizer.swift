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

    static let homoglyphScalars: [Unicode.Scalar: Unicode.Scalar] = Dictionary(
        homoglyphs.compactMap { key, value in
            guard let from = key.unicodeScalars.first, let to = value.unicodeScalars.first else { return nil }
            return (from, to)
        }, uniquingKeysWith: { first, _ in first })
    static let leetScalars: [Unicode.Scalar: Unicode.Scalar] = Dictionary(
        leet.compactMap { key, value in
            guard let from = key.unicodeScalars.first, let to = value.unicodeScalars.first else { return nil }
            return (from, to)
        }, uniquingKeysWith: { first, _ in first })
    static let trimmed = Set(".,;:!?\"'()[]{}<>«»“”‘’*_-".unicodeScalars)

    /// Works on Unicode scalars, not Characters: a 32,000-character prompt normalises in milliseconds.
    public static func normalize(_ text: String) -> NormalizedText {
        // 1. Invisible characters (Unicode category Cf: zero-width space/joiners, soft hyphen, BOM, bidi marks).
        let visible = String(String.UnicodeScalarView(text.unicodeScalars.filter { $0.properties.generalCategory != .format }))
        // 2. Compatibility forms (full-width letters, ligatures, circled letters), then accents split off (NFD) and
        //    dropped, then look-alike letters mapped to Latin.
        var scalars: [Unicode.Scalar] = []
        for scalar in visible.precomposedStringWithCompatibilityMapping.decomposedStringWithCanonicalMapping.unicodeScalars {
            if scalar.value >= 0x300, scalar.properties.generalCategory == .nonspacingMark { continue }
            scalars.append(homoglyphScalars[scalar] ?? scalar)
        }
        var tokens: [String] = []
        var capitalized: [Bool] = []
        var wordIndex: [Int] = []
        var wordNumber = 0
        var start = 0
        while start < scalars.count {
            while start < scalars.count, isSpace(scalars[start]) { start += 1 }
            var end = start
            while end < scalars.count, !isSpace(scalars[end]) { end += 1 }
            guard start < end else { break }
            // 3. Trim punctuation around the word, note its capital, undo leetspeak, lower-case, split on the rest.
            var low = start, high = end
            while low < high, trimmed.contains(scalars[low]) { low += 1 }
            while high > low, trimmed.contains(scalars[high - 1]) { high -= 1 }
            var word = Array(scalars[low..<high])
            let isCapital = word.first(where: isLetter).map { $0.properties.isUppercase } ?? false
            undoLeet(&word)
            var current = String.UnicodeScalarView()
            func flush() {
                guard !current.isEmpty else { return }
                tokens.append(String(current))
                capitalized.append(isCapital)
                wordIndex.append(wordNumber)
                current = String.UnicodeScalarView()
            }
            for scalar in word {
                if isLetter(scalar) || isDigit(scalar) {
                    if scalar.value < 128 {
                        current.append(scalar.value >= 65 && scalar.value <= 90 ? Unicode.Scalar(scalar.value + 32) ?? scalar : scalar)
                    } else {
                        current.append(contentsOf: scalar.properties.lowercaseMapping.unicodeScalars)
                    }
                } else {
                    flush()
                }
            }
            flush()
            wordNumber += 1
            start = end
        }
        // Letters split by punctuation inside one word ("d.e.c.a.p") join first, then runs of one-letter words
        // ("k i l l"), so "d.e.c.a.p.i.t.a.t.e a man" keeps its "a".
        let withinWords = joinSpelledOut(NormalizedText(tokens: tokens, capitalized: capitalized), groups: wordIndex, minimum: 2)
        return joinSpelledOut(withinWords.text, groups: nil, minimum: 3).text
    }

    static func isSpace(_ scalar: Unicode.Scalar) -> Bool {
        scalar.value < 128 ? (scalar == " " || (scalar.value >= 9 && scalar.value <= 13)) : scalar.properties.isWhitespace
    }

    static func isLetter(_ scalar: Unicode.Scalar) -> Bool {
        if scalar.value < 128 { return (scalar.value | 0x20) >= 97 && (scalar.value | 0x20) <= 122 }
        return scalar.properties.isAlphabetic
    }

    static func isDigit(_ scalar: Unicode.Scalar) -> Bool {
        scalar.value < 128 ? (scalar.value >= 48 && scalar.value <= 57) : scalar.properties.numericType != nil
    }

    /// Replaces leet characters that touch a letter, repeating so "gu75" -> "guts".
    static func undoLeet(_ word: inout [Unicode.Scalar]) {
        for _ in 0..<3 {
            var changed = false
            for index in word.indices {
                guard let letter = leetScalars[word[index]] else { continue }
                let before = index > word.startIndex && isLetter(word[index - 1])
                let after = index + 1 < word.endIndex && isLetter(word[index + 1])
                if before || after {
                    word[index] = letter
                    changed = true
                }
            }
            if !changed { break }
        }
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
