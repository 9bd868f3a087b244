import Crypto
import Foundation

/// What a key may do.
public enum Scope: String, Sendable, CaseIterable, Codable, Comparable {
    case generate
    case read
    case admin
    case moderator
    case watermarkFree = "watermark-free"

    public static func < (a: Scope, b: Scope) -> Bool {
        (allCases.firstIndex(of: a) ?? 0) < (allCases.firstIndex(of: b) ?? 0)
    }

    public static let defaults: Set<Scope> = [.generate, .read]

    /// Parses `"generate,read"`; throws naming the unknown scope.
    public static func parseList(_ text: String) throws -> Set<Scope> {
        var scopes: Set<Scope> = []
        for part in text.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) where !part.isEmpty {
            guard let scope = Scope(rawValue: part) else {
                let known = Scope.allCases.map(\.rawValue).joined(separator: ", ")
                throw KinoServiceError.invalid("Unknown scope '\(part)'. Known scopes: \(known).", param: "scopes")
            }
            scopes.insert(scope)
        }
        guard !scopes.isEmpty else {
            throw KinoServiceError.invalid("A key needs at least one scope.", param: "scopes")
        }
        return scopes
    }

    public static func format(_ scopes: Set<Scope>) -> String {
        scopes.sorted().map(\.rawValue).joined(separator: ",")
    }
}

/// The secret token format: `kino_<id>_<secret><checksum>`.
///
/// - `id`: 12 lowercase base-36 characters, the non-secret lookup id (also shown by `kino keys list`).
/// - `secret`: 32 base-62 characters (about 190 bits) from the system's CSPRNG.
/// - `checksum`: 6 base-62 characters of CRC-32 over everything before it, so that typos and truncated keys are
///   rejected without a database lookup and secret scanners can recognise real keys.
/// Only SHA-256 of the whole token is stored.
public struct APIKeyToken: Sendable, Equatable {
    public static let prefix = "kino_"
    static let idLength = 12
    static let secretLength = 32
    static let checksumLength = 6
    private static let base36 = Array("0123456789abcdefghijklmnopqrstuvwxyz")
    private static let base62 = Array("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")

    public let id: String
    public let token: String

    /// Makes a new random token. `generator` is explicit so tests can be deterministic.
    public static func generate<G: RandomNumberGenerator>(using generator: inout G) -> APIKeyToken {
        let id = String((0..<idLength).map { _ in base36[Int.random(in: 0..<base36.count, using: &generator)] })
        let secret = String((0..<secretLength).map { _ in base62[Int.random(in: 0..<base62.count, using: &generator)] })
        let body = prefix + id + "_" + secret
        return APIKeyToken(id: id, token: body + checksum(body))
    }

    /// Parses and checks the shape and checksum of a presented token; nil when it is not a well-formed Kino key.
    public static func parse(_ token: String) -> APIKeyToken? {
        guard token.hasPrefix(prefix) else { return nil }
        let rest = Array(token.utf8.dropFirst(prefix.utf8.count))
        guard rest.count == idLength + 1 + secretLength + checksumLength, rest[idLength] == UInt8(ascii: "_") else { return nil }
        let id = String(decoding: rest[0..<idLength], as: UTF8.self)
        guard id.allSatisfy({ base36.contains($0) }) else { return nil }
        let body = String(token.dropLast(checksumLength))
        let sum = String(token.suffix(checksumLength))
        guard checksum(body) == sum else { return nil }
        return APIKeyToken(id: id, token: token)
    }

    /// Hex SHA-256 of the full token: the only form in which a key is stored.
    public var hash: String { Self.sha256Hex(token) }

    static func sha256Hex(_ text: String) -> String {
        hexString(SHA256.hash(data: Array(text.utf8)))
    }

    static func checksum(_ body: String) -> String {
        var value = UInt64(crc32(Array(body.utf8)))
        var chars: [Character] = []
        for _ in 0..<checksumLength {
            chars.append(base62[Int(value % 62)])
            value /= 62
        }
        return String(chars.reversed())
    }

    static func crc32(_ bytes: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes {
            crc ^= UInt32(byte)
            for _ in 0..<8 { crc = (crc >> 1) ^ (0xEDB8_8320 & (0 &- (crc & 1))) }
        }
        return ~crc
    }
}

/// Compares two byte strings in time that depends only on their lengths.
public func constantTimeEquals(_ a: some Collection<UInt8>, _ b: some Collection<UInt8>) -> Bool {
    guard a.count == b.count else { return false }
    var difference: UInt8 = 0
    for (x, y) in zip(a, b) { difference |= x ^ y }
    return difference == 0
}

/// Lowercase hex of some bytes (String(format:) is far slower and this runs on every request).
public func hexString(_ bytes: some Sequence<UInt8>) -> String {
    let digits = Array("0123456789abcdef".utf8)
    var out: [UInt8] = []
    for byte in bytes {
        out.append(digits[Int(byte >> 4)])
        out.append(digits[Int(byte & 0x0F)])
    }
    return String(decoding: out, as: UTF8.self)
}
