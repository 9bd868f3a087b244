import Foundation

/// One normalisation step of a tokenizer.
enum NormalizerStep: Sendable {
    case precompiled(PrecompiledCharsmap)
    case strip(left: Bool, right: Bool)
    case replace(String, with: String)
    /// Replace(Regex(" {2,}")): each run of two or more spaces becomes `with`.
    case collapseSpaces(with: String)

    func apply(_ text: String) -> String {
        switch self {
        case .precompiled(let charsmap):
            return charsmap.normalize(text)
        case .strip(let left, let right):
            var scalars = Substring(text).unicodeScalars[...]
            if left { while let first = scalars.first, first.properties.isWhitespace { scalars.removeFirst() } }
            if right { while let last = scalars.last, last.properties.isWhitespace { scalars.removeLast() } }
            return String(String.UnicodeScalarView(scalars))
        case .replace(let pattern, let replacement):
            return pattern.isEmpty ? text : text.replacingAll(pattern, with: replacement)
        case .collapseSpaces(let replacement):
            var out = String.UnicodeScalarView()
            var run = 0
            for scalar in text.unicodeScalars {
                if scalar == " " { run += 1; continue }
                if run == 1 { out.append(" ") } else if run > 1 { out.append(contentsOf: replacement.unicodeScalars) }
                run = 0
                out.append(scalar)
            }
            if run == 1 { out.append(" ") } else if run > 1 { out.append(contentsOf: replacement.unicodeScalars) }
            return String(out)
        }
    }
}

/// WhitespaceSplit and/or Metaspace, in that order (what T5/umT5 tokenizers use).
struct PreTokenizerSpec: Sendable {
    enum Prepend: String, Sendable {
        case always, first, never
    }

    struct Metaspace: Sendable {
        let replacement: Unicode.Scalar
        let prepend: Prepend
        let split: Bool
    }

    var whitespaceSplit: Bool
    var metaspace: Metaspace?

    /// Splits a normalised segment into words. `isFirstSegment`: the segment starts the input (for `first`).
    func words(_ text: String, isFirstSegment: Bool) -> [String] {
        var pieces: [(text: [Unicode.Scalar], atStart: Bool)] = []
        let scalars = Array(text.unicodeScalars)
        if whitespaceSplit {
            var current: [Unicode.Scalar] = []
            var currentStart = 0
            for (i, scalar) in scalars.enumerated() {
                if scalar.properties.isWhitespace {
                    if !current.isEmpty { pieces.append((current, currentStart == 0)) }
                    current = []
                } else {
                    if current.isEmpty { currentStart = i }
                    current.append(scalar)
                }
            }
            if !current.isEmpty { pieces.append((current, currentStart == 0)) }
        } else if !scalars.isEmpty {
            pieces = [(scalars, true)]
        }
        guard let meta = metaspace else { return pieces.map { String(String.UnicodeScalarView($0.text)) } }
        var words: [String] = []
        for piece in pieces {
            var s = piece.text.map { $0 == " " ? meta.replacement : $0 }
            let prepend: Bool
            switch meta.prepend {
            case .always: prepend = true
            case .first: prepend = isFirstSegment && piece.atStart
            case .never: prepend = false
            }
            if prepend, s.first != meta.replacement { s.insert(meta.replacement, at: 0) }
            guard meta.split else {
                words.append(String(String.UnicodeScalarView(s)))
                continue
            }
            // Split with the delimiter merged into the following word.
            var current: [Unicode.Scalar] = []
            for scalar in s {
                if scalar == meta.replacement, !current.isEmpty {
                    words.append(String(String.UnicodeScalarView(current)))
                    current = []
                }
                current.append(scalar)
            }
            if !current.isEmpty { words.append(String(String.UnicodeScalarView(current))) }
        }
        return words
    }
}

/// A token matched in the raw text before normalisation (special tokens such as `</s>`, `<pad>`).
struct AddedTokenSpec: Sendable {
    let content: String
    let id: Int
}

/// Added-token split, normalisation, pre-tokenisation, unigram model, template (`</s>`), in the order Hugging Face
/// tokenizers applies them.
struct TokenizerPipeline: Sendable {
    let model: UnigramModel
    let normalizers: [NormalizerStep]
    let preTokenizer: PreTokenizerSpec
    let addedTokens: [AddedTokenSpec]
    let prefixIds: [Int]
    let suffixIds: [Int]
    /// Added tokens by their first scalar, longest first.
    private let addedByFirstScalar: [Unicode.Scalar: [(scalars: [Unicode.Scalar], id: Int)]]

    init(model: UnigramModel, normalizers: [NormalizerStep], preTokenizer: PreTokenizerSpec,
         addedTokens: [AddedTokenSpec], prefixIds: [Int], suffixIds: [Int], source: String) throws {
        let vocabularyEnd = max(model.count, (addedTokens.map(\.id).max() ?? -1) + 1)
        for id in prefixIds + suffixIds where id < 0 || id >= vocabularyEnd {
            throw TokenizerError.invalidFile(source, "post-processor token id \(id) is outside the vocabulary")
        }
        self.model = model
        self.normalizers = normalizers
        self.preTokenizer = preTokenizer
        self.addedTokens = addedTokens
        self.prefixIds = prefixIds
        self.suffixIds = suffixIds
        var table: [Unicode.Scalar: [(scalars: [Unicode.Scalar], id: Int)]] = [:]
        for token in addedTokens {
            let scalars = Array(token.content.unicodeScalars)
            guard let first = scalars.first else { continue }
            table[first, default: []].append((scalars, token.id))
        }
        for key in table.keys { table[key]?.sort { $0.scalars.count > $1.scalars.count } }
        self.addedByFirstScalar = table
    }

    /// Ids of `text` without the template tokens.
    func encodeContent(_ text: String) -> [Int] {
        var ids: [Int] = []
        var isFirst = true
        for segment in splitOnAddedTokens(text) {
            switch segment {
            case .token(let id):
                ids.append(id)
            case .text(let raw):
                var normalized = raw
                for step in normalizers { normalized = step.apply(normalized) }
                for word in preTokenizer.words(normalized, isFirstSegment: isFirst) {
                    ids += model.encode(word)
                }
            }
            isFirst = false
        }
        return ids
    }

    private enum Segment {
        case text(String)
        case token(Int)
    }

    /// Leftmost-longest matches of the added tokens in the raw text.
    private func splitOnAddedTokens(_ text: String) -> [Segment] {
        let s = Array(text.unicodeScalars)
        guard !addedByFirstScalar.isEmpty else { return [.text(text)] }
        var segments: [Segment] = []
        var textStart = 0
        var i = 0
        scan: while i < s.count {
            if let candidates = addedByFirstScalar[s[i]] {
                for candidate in candidates where i + candidate.scalars.count <= s.count {
                    if s[i..<(i + candidate.scalars.count)].elementsEqual(candidate.scalars) {
                        if textStart < i { segments.append(.text(String(String.UnicodeScalarView(s[textStart..<i])))) }
                        segments.append(.token(candidate.id))
                        i += candidate.scalars.count
                        textStart = i
                        continue scan
                    }
                }
            }
            i += 1
        }
        if textStart < s.count { segments.append(.text(String(String.UnicodeScalarView(s[textStart..<s.count])))) }
        return segments
    }
}

extension String {
    fileprivate func replacingAll(_ pattern: String, with replacement: String) -> String {
        var out = ""
        var rest = self[...]
        while let range = rest.range(of: pattern, options: .literal) {
            out += rest[..<range.lowerBound]
            out += replacement
            rest = rest[range.upperBound...]
        }
        out += rest
        return out
    }
}
