import Foundation

/// The parts of a Hugging Face `tokenizer.json` that a SentencePiece-unigram (T5/umT5) tokenizer uses.
struct TokenizerJSON: Decodable {
    struct AddedToken: Decodable {
        let id: Int
        let content: String
        let special: Bool?
    }

    struct Model: Decodable {
        let type: String
        let unkId: Int?
        let vocab: [Piece]?
        let byteFallback: Bool?

        enum CodingKeys: String, CodingKey {
            case type, vocab
            case unkId = "unk_id"
            case byteFallback = "byte_fallback"
        }
    }

    /// One `[piece, score]` pair of the unigram vocabulary.
    struct Piece: Decodable {
        let piece: String
        let score: Double

        init(from decoder: Decoder) throws {
            var pair = try decoder.unkeyedContainer()
            piece = try pair.decode(String.self)
            score = try pair.decode(Double.self)
        }
    }

    /// A normaliser, pre-tokeniser or post-processor: a `type` plus whatever fields that type has.
    struct Component: Decodable {
        let type: String
        // Precompiled
        let precompiledCharsmap: String?
        // Sequence
        let normalizers: [Component]?
        let pretokenizers: [Component]?
        // Strip
        let left: Bool?
        let right: Bool?
        // Replace
        let pattern: Pattern?
        let content: String?
        // Metaspace
        let replacement: String?
        let prependScheme: String?
        let addPrefixSpace: Bool?
        let split: Bool?
        // TemplateProcessing
        let single: [TemplatePiece]?
        let specialTokens: [String: SpecialToken]?

        enum CodingKeys: String, CodingKey {
            case type, normalizers, pretokenizers, left, right, pattern, content, replacement, split, single
            case precompiledCharsmap = "precompiled_charsmap"
            case prependScheme = "prepend_scheme"
            case addPrefixSpace = "add_prefix_space"
            case specialTokens = "special_tokens"
        }
    }

    struct Pattern: Decodable {
        let string: String?
        let regex: String?

        enum CodingKeys: String, CodingKey {
            case string = "String"
            case regex = "Regex"
        }
    }

    struct TemplatePiece: Decodable {
        struct Reference: Decodable { let id: String }
        let sequence: Reference?
        let specialToken: Reference?

        enum CodingKeys: String, CodingKey {
            case sequence = "Sequence"
            case specialToken = "SpecialToken"
        }
    }

    struct SpecialToken: Decodable {
        let id: String
        let ids: [Int]
    }

    let addedTokens: [AddedToken]?
    let normalizer: Component?
    let preTokenizer: Component?
    let postProcessor: Component?
    let model: Model

    enum CodingKeys: String, CodingKey {
        case model, normalizer
        case addedTokens = "added_tokens"
        case preTokenizer = "pre_tokenizer"
        case postProcessor = "post_processor"
    }
}

extension TokenizerPipeline {
    /// Builds the pipeline that `tokenizer.json` at `url` describes.
    static func fromTokenizerJSON(_ url: URL) throws -> TokenizerPipeline {
        let file = url.path
        let data: Data
        do {
            data = try Data(contentsOf: url, options: .mappedIfSafe)
        } catch {
            throw TokenizerError.unreadableFile(file, reason: error.localizedDescription)
        }
        let json: TokenizerJSON
        do {
            json = try JSONDecoder().decode(TokenizerJSON.self, from: data)
        } catch let DecodingError.keyNotFound(key, context) {
            let path = (context.codingPath + [key]).map(\.stringValue).joined(separator: ".")
            throw TokenizerError.unreadableFile(file, reason: "missing key \(path)")
        } catch let DecodingError.typeMismatch(_, context), let DecodingError.valueNotFound(_, context) {
            let path = context.codingPath.map(\.stringValue).joined(separator: ".")
            throw TokenizerError.unreadableFile(file, reason: "unexpected value at \(path): \(context.debugDescription)")
        } catch {
            throw TokenizerError.unreadableFile(file, reason: "not valid JSON (\(error.localizedDescription))")
        }

        guard json.model.type == "Unigram" else {
            throw TokenizerError.unsupported(file, "model type \(json.model.type) (only Unigram is implemented)")
        }
        if json.model.byteFallback == true {
            throw TokenizerError.unsupported(file, "Unigram with byte_fallback")
        }
        guard let vocab = json.model.vocab else { throw TokenizerError.invalidFile(file, "model.vocab is missing") }
        guard let unkId = json.model.unkId else { throw TokenizerError.invalidFile(file, "model.unk_id is missing") }
        let model = try UnigramModel(pieces: vocab.map { ($0.piece, $0.score) }, unkId: unkId, source: file)

        let normalizers = try json.normalizer.map { try normalizerSteps($0, file: file) } ?? []
        let preTokenizer = try json.preTokenizer.map { try preTokenizerSpec($0, file: file) }
            ?? PreTokenizerSpec(whitespaceSplit: false, metaspace: nil)
        let (prefix, suffix) = try json.postProcessor.map { try template($0, file: file) } ?? ([], [])
        var added: [AddedTokenSpec] = []
        for token in json.addedTokens ?? [] {
            guard token.id >= 0 else { throw TokenizerError.invalidFile(file, "added token \(token.content) has id \(token.id)") }
            added.append(AddedTokenSpec(content: token.content, id: token.id))
        }
        return try TokenizerPipeline(model: model, normalizers: normalizers, preTokenizer: preTokenizer,
                                     addedTokens: added, prefixIds: prefix, suffixIds: suffix, source: file)
    }

    private static func normalizerSteps(_ c: TokenizerJSON.Component, file: String) throws -> [NormalizerStep] {
        switch c.type {
        case "Sequence":
            return try (c.normalizers ?? []).flatMap { try normalizerSteps($0, file: file) }
        case "Precompiled":
            guard let encoded = c.precompiledCharsmap else { return [] }
            guard let blob = Data(base64Encoded: encoded) else {
                throw TokenizerError.invalidFile(file, "normalizer.precompiled_charsmap is not valid base64")
            }
            return [.precompiled(try PrecompiledCharsmap(blob: [UInt8](blob), source: file))]
        case "Strip":
            return [.strip(left: c.left ?? true, right: c.right ?? true)]
        case "Replace":
            if let literal = c.pattern?.string { return [.replace(literal, with: c.content ?? "")] }
            if c.pattern?.regex == " {2,}" { return [.collapseSpaces(with: c.content ?? " ")] }
            throw TokenizerError.unsupported(file, "Replace normalizer with pattern \(String(describing: c.pattern?.regex))")
        default:
            throw TokenizerError.unsupported(file, "normalizer \(c.type)")
        }
    }

    private static func preTokenizerSpec(_ c: TokenizerJSON.Component, file: String) throws -> PreTokenizerSpec {
        var spec = PreTokenizerSpec(whitespaceSplit: false, metaspace: nil)
        let steps = c.type == "Sequence" ? (c.pretokenizers ?? []) : [c]
        for step in steps {
            switch step.type {
            case "WhitespaceSplit":
                spec.whitespaceSplit = true
            case "Metaspace":
                let replacement = step.replacement ?? "▁"
                guard replacement.unicodeScalars.count == 1, let scalar = replacement.unicodeScalars.first else {
                    throw TokenizerError.invalidFile(file, "Metaspace replacement \(replacement) is not one character")
                }
                let scheme = step.prependScheme ?? ((step.addPrefixSpace ?? true) ? "always" : "never")
                guard let prepend = PreTokenizerSpec.Prepend(rawValue: scheme) else {
                    throw TokenizerError.unsupported(file, "Metaspace prepend_scheme \(scheme)")
                }
                spec.metaspace = .init(replacement: scalar, prepend: prepend, split: step.split ?? true)
            default:
                throw TokenizerError.unsupported(file, "pre-tokenizer \(step.type)")
            }
        }
        return spec
    }

    private static func template(_ c: TokenizerJSON.Component, file: String) throws -> ([Int], [Int]) {
        guard c.type == "TemplateProcessing" else {
            throw TokenizerError.unsupported(file, "post-processor \(c.type)")
        }
        var prefix: [Int] = []
        var suffix: [Int] = []
        var seenSequence = false
        for piece in c.single ?? [] {
            if piece.sequence != nil {
                seenSequence = true
            } else if let name = piece.specialToken?.id {
                guard let ids = c.specialTokens?[name]?.ids else {
                    throw TokenizerError.invalidFile(file, "post_processor uses special token \(name) without listing its ids")
                }
                if seenSequence { suffix += ids } else { prefix += ids }
            }
        }
        return (prefix, suffix)
    }
}
