/// SentencePiece's compiled normalisation rules (`precompiled_charsmap`): a little-endian UInt32 byte count,
/// a darts-clone double-array trie of that many bytes whose keys are UTF-8 input sequences and whose values
/// are byte offsets into the rest of the blob, a list of NUL-terminated UTF-8 replacement strings.
///
/// `normalize` applies it the way Hugging Face tokenizers' `Precompiled` normaliser does (that is the reference
/// Kino matches): per extended grapheme cluster, a cluster shorter than 6 UTF-8 bytes whose bytes start with a
/// key is replaced as a whole by the replacement of the SHORTEST matching key; otherwise each scalar is looked
/// up on its own and replaced, or kept.
struct PrecompiledCharsmap: Sendable {
    private let units: [UInt32]
    private let replacements: [UInt8]

    init(blob: [UInt8], source: String) throws {
        guard blob.count >= 4 else {
            throw TokenizerError.invalidFile(source, "precompiled_charsmap has \(blob.count) bytes, fewer than its 4-byte header")
        }
        let trieBytes = Int(UInt32(blob[0]) | UInt32(blob[1]) << 8 | UInt32(blob[2]) << 16 | UInt32(blob[3]) << 24)
        guard trieBytes % 4 == 0, trieBytes > 0, 4 + trieBytes <= blob.count else {
            throw TokenizerError.invalidFile(source, "precompiled_charsmap declares a \(trieBytes)-byte trie but holds \(blob.count - 4) bytes")
        }
        var units = [UInt32](repeating: 0, count: trieBytes / 4)
        for i in 0..<units.count {
            let b = 4 + 4 * i
            units[i] = UInt32(blob[b]) | UInt32(blob[b + 1]) << 8 | UInt32(blob[b + 2]) << 16 | UInt32(blob[b + 3]) << 24
        }
        self.units = units
        self.replacements = Array(blob[(4 + trieBytes)...])
    }

    // darts-clone unit layout.
    private static func hasLeaf(_ unit: UInt32) -> Bool { (unit >> 8) & 1 == 1 }
    private static func value(_ unit: UInt32) -> Int { Int(unit & ((1 << 31) - 1)) }
    private static func label(_ unit: UInt32) -> UInt32 { unit & ((1 << 31) | 0xFF) }
    private static func offset(_ unit: UInt32) -> Int { Int((unit >> 10) << ((unit & (1 << 9)) >> 6)) }

    /// The value of the shortest key that is a prefix of `key`, if any.
    func shortestPrefixValue<C: Collection>(of key: C) -> Int? where C.Element == UInt8 {
        var node = 0
        guard node < units.count else { return nil }
        node ^= Self.offset(units[node])
        for byte in key {
            if byte == 0 { return nil }
            node ^= Int(byte)
            guard node >= 0, node < units.count else { return nil }
            let unit = units[node]
            if Self.label(unit) != UInt32(byte) { return nil }
            node ^= Self.offset(unit)
            guard node >= 0, node < units.count else { return nil }
            if Self.hasLeaf(unit) { return Self.value(units[node]) }
        }
        return nil
    }

    /// The NUL-terminated replacement string at `offset` (empty when it is out of range).
    func replacement(at offset: Int) -> String {
        guard offset >= 0, offset < replacements.count else { return "" }
        var end = offset
        while end < replacements.count, replacements[end] != 0 { end += 1 }
        return String(decoding: replacements[offset..<end], as: UTF8.self)
    }

    func normalize(_ text: String) -> String {
        var output = ""
        output.reserveCapacity(text.utf8.count)
        for grapheme in text {
            let bytes = grapheme.utf8
            if bytes.count < 6, let value = shortestPrefixValue(of: bytes) {
                output += replacement(at: value)
                continue
            }
            for scalar in grapheme.unicodeScalars {
                if let value = shortestPrefixValue(of: String(scalar).utf8) {
                    output += replacement(at: value)
                } else {
                    output.unicodeScalars.append(scalar)
                }
            }
        }
        return output
    }
}
