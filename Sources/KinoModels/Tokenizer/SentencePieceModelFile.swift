import Foundation

/// Reads a SentencePiece `spiece.model` (a `ModelProto` protobuf) into the same pipeline transformers builds from
/// it for a T5 tokenizer: Precompiled normaliser, WhitespaceSplit + Metaspace("▁", always), the unigram pieces,
/// control and unknown pieces matched as added tokens, `</s>` appended.
///
/// Only the fields needed are decoded: ModelProto.pieces (1) {piece 1, score 2, type 3} and
/// ModelProto.normalizer_spec (3) {name 1, precompiled_charsmap 2}.
enum SentencePieceModelFile {
    private enum PieceType: UInt64 {
        case normal = 1, unknown = 2, control = 3, userDefined = 4, unused = 5, byte = 6
    }

    static func pipeline(_ url: URL) throws -> TokenizerPipeline {
        let file = url.path
        let bytes: [UInt8]
        do {
            bytes = [UInt8](try Data(contentsOf: url, options: .mappedIfSafe))
        } catch {
            throw TokenizerError.unreadableFile(file, reason: error.localizedDescription)
        }
        var pieces: [(String, Double)] = []
        var types: [PieceType] = []
        var charsmap: [UInt8] = []
        var reader = ProtobufReader(bytes: bytes[...], file: file)
        while let (field, value) = try reader.next() {
            switch (field, value) {
            case (1, .bytes(let message)):
                let (piece, score, type) = try decodePiece(message, file: file)
                pieces.append((piece, score))
                types.append(type)
            case (3, .bytes(let message)):
                var spec = ProtobufReader(bytes: message, file: file)
                while let (specField, specValue) = try spec.next() {
                    if specField == 2, case .bytes(let blob) = specValue { charsmap = Array(blob) }
                }
            default:
                continue
            }
        }
        guard let unkId = types.firstIndex(of: .unknown) else {
            throw TokenizerError.invalidFile(file, "no piece of type UNKNOWN (<unk>)")
        }
        if types.contains(.byte) { throw TokenizerError.unsupported(file, "byte-fallback pieces") }
        let model = try UnigramModel(pieces: pieces, unkId: unkId, source: file)
        let normalizers: [NormalizerStep] = charsmap.isEmpty
            ? [] : [.precompiled(try PrecompiledCharsmap(blob: charsmap, source: file))]
        let added = types.indices.filter { [.control, .unknown, .userDefined].contains(types[$0]) }
            .map { AddedTokenSpec(content: pieces[$0].0, id: $0) }
        guard let eos = model.id(of: "</s>") else { throw TokenizerError.invalidFile(file, "no </s> piece") }
        let meta = PreTokenizerSpec.Metaspace(replacement: "▁", prepend: .always, split: true)
        return try TokenizerPipeline(model: model, normalizers: normalizers,
                                     preTokenizer: PreTokenizerSpec(whitespaceSplit: true, metaspace: meta),
                                     addedTokens: added, prefixIds: [], suffixIds: [eos], source: file)
    }

    private static func decodePiece(_ message: ArraySlice<UInt8>, file: String) throws -> (String, Double, PieceType) {
        var reader = ProtobufReader(bytes: message, file: file)
        var piece = ""
        var score: Float = 0
        var type = PieceType.normal
        while let (field, value) = try reader.next() {
            switch (field, value) {
            case (1, .bytes(let text)): piece = String(decoding: text, as: UTF8.self)
            case (2, .fixed32(let bits)): score = Float(bitPattern: bits)
            case (3, .varint(let raw)): type = PieceType(rawValue: raw) ?? .normal
            default: continue
            }
        }
        return (piece, Double(score), type)
    }
}

/// A minimal protobuf wire-format reader.
struct ProtobufReader {
    enum Value {
        case varint(UInt64)
        case fixed64(UInt64)
        case bytes(ArraySlice<UInt8>)
        case fixed32(UInt32)
    }

    private var bytes: ArraySlice<UInt8>
    private let file: String

    init(bytes: ArraySlice<UInt8>, file: String) {
        self.bytes = bytes
        self.file = file
    }

    mutating func next() throws -> (Int, Value)? {
        guard !bytes.isEmpty else { return nil }
        let key = try varint()
        let field = Int(key >> 3)
        switch key & 7 {
        case 0: return (field, .varint(try varint()))
        case 1: return (field, .fixed64(try fixed(8)))
        case 2:
            let length = Int(try varint())
            guard length >= 0, length <= bytes.count else { throw truncated() }
            let value = bytes.prefix(length)
            bytes = bytes.dropFirst(length)
            return (field, .bytes(value))
        case 5: return (field, .fixed32(UInt32(try fixed(4))))
        default:
            throw TokenizerError.unreadableFile(file, reason: "not a SentencePiece model (protobuf wire type \(key & 7))")
        }
    }

    private mutating func varint() throws -> UInt64 {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while let byte = bytes.first {
            bytes = bytes.dropFirst()
            guard shift < 64 else { break }
            result |= UInt64(byte & 0x7F) << shift
            if byte & 0x80 == 0 { return result }
            shift += 7
        }
        throw truncated()
    }

    private mutating func fixed(_ count: Int) throws -> UInt64 {
        guard bytes.count >= count else { throw truncated() }
        var result: UInt64 = 0
        for (i, byte) in bytes.prefix(count).enumerated() { result |= UInt64(byte) << (8 * UInt64(i)) }
        bytes = bytes.dropFirst(count)
        return result
    }

    private func truncated() -> ModelError {
        TokenizerError.unreadableFile(file, reason: "truncated or corrupt SentencePiece model")
    }
}
