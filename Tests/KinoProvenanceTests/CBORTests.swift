import Foundation
import Testing
@testable import KinoProvenance

func hex(_ bytes: [UInt8]) -> String { bytes.map { String(format: "%02x", $0) }.joined() }
func unhex(_ text: String) -> [UInt8] {
    let chars = Array(text.utf8)
    return stride(from: 0, to: chars.count, by: 2).map { UInt8(String(decoding: chars[$0..<$0 + 2], as: UTF8.self), radix: 16) ?? 0 }
}

/// Encodings from RFC 8949 Appendix A, both ways.
@Suite struct CBORTests {
    static let vectors: [(CBOR, String)] = [
        (.unsigned(0), "00"), (.unsigned(23), "17"), (.unsigned(24), "1818"), (.unsigned(100), "1864"),
        (.unsigned(1000), "1903e8"), (.unsigned(1_000_000), "1a000f4240"), (.unsigned(1_000_000_000_000), "1b000000e8d4a51000"),
        (.int(-1), "20"), (.int(-100), "3863"), (.int(-1000), "3903e7"),
        (.text(""), "60"), (.text("a"), "6161"), (.text("IETF"), "6449455446"), (.text("\u{00fc}"), "62c3bc"),
        (.bytes([1, 2, 3, 4]), "4401020304"),
        (.array([.unsigned(1), .array([.unsigned(2), .unsigned(3)]), .array([.unsigned(4), .unsigned(5)])]), "8301820203820405"),
        (.map([(.text("a"), .unsigned(1)), (.text("b"), .array([.unsigned(2), .unsigned(3)]))]), "a26161016162820203"),
        (.tagged(1, .unsigned(1_363_896_240)), "c11a514b67b0"),
        (.bool(false), "f4"), (.bool(true), "f5"), (.null, "f6"), (.double(1.1), "fb3ff199999999999a"),
    ]

    @Test func encodesRFCVectors() {
        for (value, expected) in Self.vectors {
            #expect(hex(value.encoded()) == expected, "encoding \(value)")
        }
    }

    @Test func decodesRFCVectors() throws {
        for (value, encoded) in Self.vectors {
            #expect(try CBOR.decode(unhex(encoded)) == value, "decoding \(encoded)")
        }
        // Shorter float forms decode to the same double.
        #expect(try CBOR.decode(unhex("f93c00")) == .double(1.0))
        #expect(try CBOR.decode(unhex("f9c400")) == .double(-4.0))
        #expect(try CBOR.decode(unhex("fa47c35000")) == .double(100_000.0))
    }

    @Test func longStringsUseWiderLengths() throws {
        let text = String(repeating: "x", count: 300)
        let encoded = CBOR.text(text).encoded()
        #expect(Array(encoded.prefix(3)) == [0x79, 0x01, 0x2C])
        #expect(try CBOR.decode(encoded).textValue == text)
    }

    @Test func mapLookupKeepsOrderAndFindsKeys() throws {
        let map = CBOR.map([(.text("z"), .unsigned(1)), (.unsigned(1), .int(-7)), (.text("a"), .bytes([9]))])
        let back = try CBOR.decode(map.encoded())
        #expect(back == map)
        #expect(back["a"]?.bytesValue == [9])
        #expect(back[.unsigned(1)]?.intValue == -7)
        #expect(back["missing"] == nil)
    }

    @Test func rejectsMalformedInput() {
        #expect(throws: ProvenanceError.self) { try CBOR.decode([0x62, 0x61]) }  // text says 2 bytes, 1 given
        #expect(throws: ProvenanceError.self) { try CBOR.decode([0x01, 0x02]) }  // trailing item
        #expect(throws: ProvenanceError.self) { try CBOR.decode([0x9F, 0x01, 0xFF]) }  // indefinite array
        #expect(throws: ProvenanceError.self) { try CBOR.decode([0x9A, 0xFF, 0xFF, 0xFF, 0xFF]) }  // absurd count
        #expect(throws: ProvenanceError.self) { try CBOR.decode([0x62, 0xFF, 0xFE]) }  // not UTF-8
    }
}
