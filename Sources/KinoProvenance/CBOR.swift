import Foundation

/// A CBOR data item (RFC 8949), enough of it for C2PA claims, assertions and COSE.
///
/// Maps keep their entries in the order given, and the encoder writes definite lengths and the shortest
/// integer forms, so that what Kino signs is exactly what it wrote (C2PA hashes and signs the encoded bytes).
public indirect enum CBOR: Sendable, Equatable {
    case unsigned(UInt64)
    /// A negative integer, stored as its CBOR argument: the value is `-1 - n`.
    case negative(UInt64)
    case bytes([UInt8])
    case text(String)
    case array([CBOR])
    case map([(CBOR, CBOR)])
    case tagged(UInt64, CBOR)
    case bool(Bool)
    case null
    case undefined
    case double(Double)

    public static func int(_ value: Int) -> CBOR {
        value >= 0 ? .unsigned(UInt64(value)) : .negative(UInt64(-1 - value))
    }

    public static func == (lhs: CBOR, rhs: CBOR) -> Bool {
        switch (lhs, rhs) {
        case let (.unsigned(a), .unsigned(b)), let (.negative(a), .negative(b)): return a == b
        case let (.bytes(a), .bytes(b)): return a == b
        case let (.text(a), .text(b)): return a == b
        case let (.array(a), .array(b)): return a == b
        case let (.map(a), .map(b)):
            return a.count == b.count && zip(a, b).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
        case let (.tagged(t1, v1), .tagged(t2, v2)): return t1 == t2 && v1 == v2
        case let (.bool(a), .bool(b)): return a == b
        case (.null, .null), (.undefined, .undefined): return true
        case let (.double(a), .double(b)): return a == b || (a.isNaN && b.isNaN)
        default: return false
        }
    }

    // MARK: Access

    /// The value stored under a text key of a map.
    public subscript(key: String) -> CBOR? {
        self[.text(key)]
    }

    /// The value stored under `key` of a map.
    public subscript(key: CBOR) -> CBOR? {
        guard case .map(let entries) = self else { return nil }
        return entries.first { $0.0 == key }?.1
    }

    public var textValue: String? { if case .text(let s) = self { return s } else { return nil } }
    public var bytesValue: [UInt8]? { if case .bytes(let b) = self { return b } else { return nil } }
    public var arrayValue: [CBOR]? { if case .array(let a) = self { return a } else { return nil } }
    public var intValue: Int? {
        switch self {
        case .unsigned(let n): return n <= UInt64(Int.max) ? Int(n) : nil
        case .negative(let n): return n < UInt64(Int.max) ? -1 - Int(n) : nil
        default: return nil
        }
    }

    // MARK: Encoding

    public func encoded() -> [UInt8] {
        var out: [UInt8] = []
        encode(into: &out)
        return out
    }

    public func encode(into out: inout [UInt8]) {
        switch self {
        case .unsigned(let n): Self.head(0, n, into: &out)
        case .negative(let n): Self.head(1, n, into: &out)
        case .bytes(let b):
            Self.head(2, UInt64(b.count), into: &out)
            out += b
        case .text(let s):
            let utf8 = Array(s.utf8)
            Self.head(3, UInt64(utf8.count), into: &out)
            out += utf8
        case .array(let items):
            Self.head(4, UInt64(items.count), into: &out)
            for item in items { item.encode(into: &out) }
        case .map(let entries):
            Self.head(5, UInt64(entries.count), into: &out)
            for (k, v) in entries {
                k.encode(into: &out)
                v.encode(into: &out)
            }
        case .tagged(let tag, let value):
            Self.head(6, tag, into: &out)
            value.encode(into: &out)
        case .bool(let b): out.append(b ? 0xF5 : 0xF4)
        case .null: out.append(0xF6)
        case .undefined: out.append(0xF7)
        case .double(let d):
            out.append(0xFB)
            Self.appendBigEndian(d.bitPattern, bytes: 8, into: &out)
        }
    }

    private static func head(_ major: UInt8, _ argument: UInt64, into out: inout [UInt8]) {
        let m = major << 5
        switch argument {
        case 0..<24: out.append(m | UInt8(argument))
        case 24...0xFF: out += [m | 24, UInt8(argument)]
        case 0x100...0xFFFF:
            out.append(m | 25)
            appendBigEndian(argument, bytes: 2, into: &out)
        case 0x10000...0xFFFF_FFFF:
            out.append(m | 26)
            appendBigEndian(argument, bytes: 4, into: &out)
        default:
            out.append(m | 27)
            appendBigEndian(argument, bytes: 8, into: &out)
        }
    }

    static func appendBigEndian(_ value: UInt64, bytes: Int, into out: inout [UInt8]) {
        for i in stride(from: bytes - 1, through: 0, by: -1) { out.append(UInt8(truncatingIfNeeded: value >> (8 * UInt64(i)))) }
    }

    // MARK: Decoding

    /// Decodes exactly one data item that fills `bytes`.
    public static func decode(_ bytes: [UInt8]) throws -> CBOR {
        var reader = Reader(bytes: bytes)
        let value = try reader.item(depth: 0)
        guard reader.position == bytes.count else {
            throw ProvenanceError("CBOR: \(bytes.count - reader.position) bytes left over after the first data item")
        }
        return value
    }

    /// IEEE 754 half precision to double (spelled out: `Float16` is missing on some platforms).
    static func half(_ bits: UInt16) -> Double {
        let sign: Double = bits & 0x8000 != 0 ? -1 : 1
        let exponent = Int((bits >> 10) & 0x1F), fraction = Double(bits & 0x3FF)
        switch exponent {
        case 0: return sign * fraction * pow(2, -24)
        case 31: return fraction == 0 ? sign * .infinity : .nan
        default: return sign * (1 + fraction / 1024) * pow(2, Double(exponent - 15))
        }
    }

    private struct Reader {
        let bytes: [UInt8]
        var position = 0

        mutating func byte() throws -> UInt8 {
            guard position < bytes.count else { throw ProvenanceError("CBOR: data ends in the middle of an item") }
            defer { position += 1 }
            return bytes[position]
        }

        mutating func take(_ count: UInt64) throws -> [UInt8] {
            guard count <= UInt64(bytes.count - position) else {
                throw ProvenanceError("CBOR: an item claims \(count) bytes but only \(bytes.count - position) remain")
            }
            defer { position += Int(count) }
            return Array(bytes[position..<position + Int(count)])
        }

        mutating func argument(_ info: UInt8) throws -> UInt64 {
            switch info {
            case 0..<24: return UInt64(info)
            case 24...27:
                var value: UInt64 = 0
                for b in try take(1 << UInt64(info - 24)) { value = value << 8 | UInt64(b) }
                return value
            default: throw ProvenanceError("CBOR: indefinite lengths and reserved values (\(info)) are not accepted")
            }
        }

        mutating func item(depth: Int) throws -> CBOR {
            guard depth < 64 else { throw ProvenanceError("CBOR: nesting deeper than 64 levels") }
            let initial = try byte()
            let major = initial >> 5, info = initial & 0x1F
            switch major {
            case 0: return .unsigned(try argument(info))
            case 1: return .negative(try argument(info))
            case 2: return .bytes(try take(try argument(info)))
            case 3:
                guard let s = String(bytes: try take(try argument(info)), encoding: .utf8) else {
                    throw ProvenanceError("CBOR: a text string is not valid UTF-8")
                }
                return .text(s)
            case 4:
                let count = try argument(info)
                guard count <= UInt64(bytes.count - position) else { throw ProvenanceError("CBOR: array longer than the data") }
                return .array(try (0..<count).map { _ in try item(depth: depth + 1) })
            case 5:
                let count = try argument(info)
                guard count <= UInt64(bytes.count - position) else { throw ProvenanceError("CBOR: map longer than the data") }
                return .map(try (0..<count).map { _ in (try item(depth: depth + 1), try item(depth: depth + 1)) })
            case 6: return .tagged(try argument(info), try item(depth: depth + 1))
            default:
                switch info {
                case 20: return .bool(false)
                case 21: return .bool(true)
                case 22: return .null
                case 23: return .undefined
                case 25: return .double(CBOR.half(UInt16(try argument(info))))
                case 26: return .double(Double(Float(bitPattern: UInt32(try argument(info)))))
                case 27: return .double(Double(bitPattern: try argument(info)))
                default: throw ProvenanceError("CBOR: unsupported simple value \(info)")
                }
            }
        }
    }
}
