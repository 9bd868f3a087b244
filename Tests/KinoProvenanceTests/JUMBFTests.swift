import Foundation
import Testing
@testable import KinoProvenance

@Suite struct JUMBFTests {
    static let sample = JUMBFSuperbox(contentType: JUMBFSuperbox.manifestStoreType, label: "c2pa", children: [
        .superbox(JUMBFSuperbox(contentType: JUMBFSuperbox.cborType, label: "c2pa.actions.v2",
                                children: [.content(type: "cbor", payload: [0xA0])])),
        .content(type: "json", payload: Array("{}".utf8)),
    ])

    @Test func layoutMatchesISO19566() throws {
        let bytes = try Self.sample.serialized()
        // jumb header, then jumd: size, type, 16-byte content type, toggles 0x03, "c2pa\0".
        #expect(readUInt32(bytes, 0) == UInt32(bytes.count))
        #expect(String(decoding: bytes[4..<8], as: UTF8.self) == "jumb")
        #expect(readUInt32(bytes, 8) == 8 + 16 + 1 + 5)
        #expect(String(decoding: bytes[12..<16], as: UTF8.self) == "jumd")
        #expect(hex(Array(bytes[16..<32])) == "6332706100110010800000aa00389b71")
        #expect(bytes[32] == 0x03)
        #expect(Array(bytes[33..<38]) == Array("c2pa".utf8) + [0])
        // The payload is everything after the superbox's own 8-byte header.
        #expect(try Self.sample.payload() == Array(bytes[8...]))
    }

    @Test func parsesWhatItWrites() throws {
        let bytes = try Self.sample.serialized()
        let parsed = try JUMBFSuperbox.parse(bytes, in: 0..<bytes.count)
        #expect(parsed == Self.sample)
        #expect(parsed.child("c2pa.actions.v2")?.content("cbor") == [0xA0])
        #expect(parsed.resolve(["c2pa", "c2pa.actions.v2"])?.label == "c2pa.actions.v2")
        #expect(parsed.resolve(["c2pa", "nope"]) == nil)
        #expect(parsed.content("json") == Array("{}".utf8))
    }

    @Test func rejectsBrokenBoxes() throws {
        var bytes = try Self.sample.serialized()
        bytes[3] &+= 1  // outer size one past the data
        #expect(throws: ProvenanceError.self) { try JUMBFSuperbox.parse(bytes, in: 0..<bytes.count) }
        var noDescription = try makeBox("jumb", try makeBox("cbor", [0xA0]))
        #expect(throws: ProvenanceError.self) { try JUMBFSuperbox.parse(noDescription, in: 0..<noDescription.count) }
        noDescription[4] = UInt8(ascii: "x")
        #expect(throws: ProvenanceError.self) { try JUMBFSuperbox.parse(noDescription, in: 0..<noDescription.count) }
    }
}
