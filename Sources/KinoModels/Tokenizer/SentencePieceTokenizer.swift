import Foundation

/// Token ids padded or truncated to a fixed length, with the attention mask (1 for real tokens, 0 for padding).
public struct PaddedTokens: Sendable, Equatable {
    public var ids: [Int]
    public var attentionMask: [Int]
    /// The number of real tokens (including `</s>`), i.e. the count of ones in `attentionMask`.
    public var length: Int
}

/// The SentencePiece-unigram tokenizer of T5 / umT5 (Wan's text encoder), read from a diffusers `tokenizer/`
/// folder. Produces the ids that transformers' `T5Tokenizer` produces from the same `tokenizer.json`.
public struct SentencePieceTokenizer: Sendable {
    let pipeline: TokenizerPipeline
    public let padId: Int
    public let eosId: Int
    public var unkId: Int { pipeline.model.unkId }
    /// Where the tokenizer was read from.
    public let source: String

    /// Reads `tokenizer.json` from `folder`, or `spiece.model` when there is no `tokenizer.json`.
    public static func load(folder: URL) throws -> SentencePieceTokenizer {
        let json = folder.appendingPathComponent("tokenizer.json")
        let spiece = folder.appendingPathComponent("spiece.model")
        let manager = FileManager.default
        if manager.fileExists(atPath: json.path) { return try SentencePieceTokenizer(tokenizerJSON: json) }
        if manager.fileExists(atPath: spiece.path) { return try SentencePieceTokenizer(sentencePieceModel: spiece) }
        throw TokenizerError.missingFile(folder: folder.path, expected: ["tokenizer.json", "spiece.model"])
    }

    /// Reads a Hugging Face `tokenizer.json` (Precompiled normaliser, WhitespaceSplit + Metaspace, Unigram).
    public init(tokenizerJSON url: URL) throws {
        try self.init(pipeline: try TokenizerPipeline.fromTokenizerJSON(url), source: url.path)
    }

    /// Reads a SentencePiece `spiece.model`.
    public init(sentencePieceModel url: URL) throws {
        try self.init(pipeline: try SentencePieceModelFile.pipeline(url), source: url.path)
    }

    init(pipeline: TokenizerPipeline, source: String) throws {
        self.pipeline = pipeline
        self.source = source
        func id(of token: String) -> Int? {
            pipeline.addedTokens.first { $0.content == token }?.id ?? pipeline.model.id(of: token)
        }
        guard let eos = id(of: "</s>") else { throw TokenizerError.invalidFile(source, "no </s> token") }
        guard let pad = id(of: "<pad>") else { throw TokenizerError.invalidFile(source, "no <pad> token") }
        self.eosId = eos
        self.padId = pad
    }

    /// The size of the id space (unigram pieces plus added tokens beyond them).
    public var vocabularySize: Int {
        max(pipeline.model.count, (pipeline.addedTokens.map(\.id).max() ?? -1) + 1)
    }

    /// The piece or added token with this id, if any.
    public func token(for id: Int) -> String? {
        if let added = pipeline.addedTokens.first(where: { $0.id == id }) { return added.content }
        return id >= 0 && id < pipeline.model.count ? pipeline.model.pieces[id] : nil
    }

    /// The ids of `text` with the template tokens (`</s>`), neither truncated nor padded.
    public func encode(_ text: String) -> [Int] {
        pipeline.prefixIds + pipeline.encodeContent(text) + pipeline.suffixIds
    }

    /// The ids of `text` truncated (on the right, keeping `</s>`) and padded with `<pad>` to `maxLength`, as
    /// `tokenizer(text, padding="max_length", max_length=maxLength, truncation=True)` does.
    public func encode(_ text: String, maxLength: Int) -> PaddedTokens {
        let special = pipeline.prefixIds.count + pipeline.suffixIds.count
        let content = pipeline.encodeContent(text).prefix(max(0, maxLength - special))
        let ids = Array((pipeline.prefixIds + content + pipeline.suffixIds).prefix(max(0, maxLength)))
        let padding = max(0, maxLength - ids.count)
        return PaddedTokens(ids: ids + Array(repeating: padId, count: padding),
                            attentionMask: Array(repeating: 1, count: ids.count) + Array(repeating: 0, count: padding),
                            length: ids.count)
    }

    /// Wan's text input: the prompt cleaned as the Wan pipeline does, then tokenised to `maxLength` (512 in Wan).
    public func encodeWanPrompt(_ prompt: String, maxLength: Int = 512) -> PaddedTokens {
        encode(WanPromptCleaner.clean(prompt), maxLength: maxLength)
    }
}
