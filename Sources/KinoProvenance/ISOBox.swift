import Foundation

/// One box of an ISO base media file (ISO/IEC 14496-12) or of a JUMBF structure, which uses the same
/// size + four-character-type header: where it sits in its buffer, not a copy of it.
public struct ISOBox: Sendable, Equatable {
    /// The four-character type, e.g. `moov`, `uuid`, `jumb`.
    public var type: String
    /// Offset of the box's first header byte.
    public var start: Int
    /// Length of the size/type header (8, or 16 with a 64-bit size).
    public var headerLength: Int
    /// Offset one past the box's last byte.
    public var end: Int

    public var payloadStart: Int { start + headerLength }
    public var size: Int { end - start }

    /// The boxes laid end to end in `bytes[range]`; throws if a size runs past the range or is impossible.
    public static func parse(_ bytes: [UInt8], in range: Range<Int>) throws -> [ISOBox] {
        var boxes: [ISOBox] = []
        var at = range.lowerBound
        while at < range.upperBound {
            guard range.upperBound - at >= 8 else {
                throw ProvenanceError("box at offset \(at): \(range.upperBound - at) stray bytes, too few for a box header")
            }
            var size = Int(readUInt32(bytes, at))
            let type = fourCC(bytes, at + 4)
            var header = 8
            if size == 1 {
                guard range.upperBound - at >= 16 else { throw ProvenanceError("box '\(type)' at \(at): truncated 64-bit size") }
                let large = readUInt64(bytes, at + 8)
                guard large <= UInt64(Int.max) else { throw ProvenanceError("box '\(type)' at \(at): size \(large) is too large") }
                size = Int(large)
                header = 16
            } else if size == 0 {
                size = range.upperBound - at
            }
            guard size >= header, size <= range.upperBound - at else {
                throw ProvenanceError("box '\(type)' at offset \(at) claims \(size) bytes but \(range.upperBound - at) remain")
            }
            boxes.append(ISOBox(type: type, start: at, headerLength: header, end: at + size))
            at += size
        }
        return boxes
    }

    static func fourCC(_ bytes: [UInt8], _ at: Int) -> String {
        String(decoding: bytes[at..<at + 4].map { (0x20...0x7E).contains($0) ? $0 : UInt8(ascii: "?") }, as: UTF8.self)
    }
}

func readUInt32(_ bytes: [UInt8], _ at: Int) -> UInt32 {
    bytes[at..<at + 4].reduce(0) { $0 << 8 | UInt32($1) }
}

func readUInt64(_ bytes: [UInt8], _ at: Int) -> UInt64 {
    bytes[at..<at + 8].reduce(0) { $0 << 8 | UInt64($1) }
}

func writeUInt32(_ value: UInt32, into bytes: inout [UInt8], at: Int) {
    for i in 0..<4 { bytes[at + i] = UInt8(truncatingIfNeeded: value >> (8 * UInt32(3 - i))) }
}

func writeUInt64(_ value: UInt64, into bytes: inout [UInt8], at: Int) {
    for i in 0..<8 { bytes[at + i] = UInt8(truncatingIfNeeded: value >> (8 * UInt64(7 - i))) }
}

func bigEndian32(_ value: UInt32) -> [UInt8] {
    (0..<4).map { UInt8(truncatingIfNeeded: value >> (8 * UInt32(3 - $0))) }
}

func bigEndian64(_ value: UInt64) -> [UInt8] {
    (0..<8).map { UInt8(truncatingIfNeeded: value >> (8 * UInt64(7 - $0))) }
}

/// A box with a 32-bit size header around `payload`.
func makeBox(_ type: String, _ payload: [UInt8]) throws -> [UInt8] {
    let size = payload.count + 8
    guard size <= Int(UInt32.max) else { throw ProvenanceError("box '\(type)' would be \(size) bytes, over the 4 GiB a 32-bit size allows") }
    return bigEndian32(UInt32(size)) + Array(type.utf8) + payload
}

/// Parses `8-4-4-4-12` hex or 32 plain hex digits (Kino's own constants) into 16 bytes; all zeros if malformed.
func uuidBytes(_ text: String) -> [UInt8] {
    let hex = Array(text.replacingOccurrences(of: "-", with: "").utf8)
    guard hex.count == 32 else { return [UInt8](repeating: 0, count: 16) }
    func nibble(_ c: UInt8) -> UInt8 {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return c - UInt8(ascii: "a") + 10
        default: return c - UInt8(ascii: "A") + 10
        }
    }
    return stride(from: 0, to: 32, by: 2).map { nibble(hex[$0]) << 4 | nibble(hex[$0 + 1]) }
}
