import Crypto
import Foundation
import Testing
@testable import KinoProvenance

/// A small but well-formed MP4 skeleton: ftyp, moov (one track whose stco points into mdat), free, mdat.
enum TestMP4 {
    static func make(chunks: Int = 3, chunkSize: Int = 100, co64: Bool = false) throws -> [UInt8] {
        let ftyp = try makeBox("ftyp", Array("isom".utf8) + [0, 0, 2, 0] + Array("isomiso2avc1mp41".utf8))
        func moov(offsets: [Int]) throws -> [UInt8] {
            let entries = offsets.flatMap { co64 ? bigEndian64(UInt64($0)) : bigEndian32(UInt32($0)) }
            let table = try makeBox(co64 ? "co64" : "stco", [0, 0, 0, 0] + bigEndian32(UInt32(offsets.count)) + entries)
            let stbl = try makeBox("stbl", try makeBox("stsd", [0, 0, 0, 0, 0, 0, 0, 0]) + table)
            return try makeBox("moov", try makeBox("mvhd", [UInt8](repeating: 0, count: 20))
                               + makeBox("trak", makeBox("mdia", makeBox("minf", stbl))))
        }
        let free = try makeBox("free", [0, 0, 0, 0])
        let payload = (0..<(chunks * chunkSize)).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ 3) }
        let mdat = try makeBox("mdat", payload)
        let provisional = try moov(offsets: Array(repeating: 0, count: chunks))
        let dataStart = ftyp.count + provisional.count + free.count + 8
        return ftyp + (try moov(offsets: (0..<chunks).map { dataStart + $0 * chunkSize })) + free + mdat
    }

    /// The chunk offsets in the first stco/co64 and the bytes they point at.
    static func chunks(_ bytes: [UInt8], size: Int = 100) throws -> [[UInt8]] {
        let moov = try #require(try BMFF.topLevelBoxes(bytes).first { $0.type == "moov" })
        var stack = [moov]
        while let box = stack.popLast() {
            if box.type == "stco" || box.type == "co64" {
                let count = Int(readUInt32(bytes, box.payloadStart + 4))
                return (0..<count).map { i in
                    let at = box.payloadStart + 8 + i * (box.type == "co64" ? 8 : 4)
                    let offset = box.type == "co64" ? Int(readUInt64(bytes, at)) : Int(readUInt32(bytes, at))
                    return Array(bytes[offset..<offset + size])
                }
            }
            if ["moov", "trak", "mdia", "minf", "stbl"].contains(box.type) {
                stack += try ISOBox.parse(bytes, in: box.payloadStart..<box.end)
            }
        }
        return []
    }

    static func offset(of type: String, in bytes: [UInt8]) throws -> Int {
        try #require(try BMFF.topLevelBoxes(bytes).first { $0.type == type }).start
    }
}

@Suite struct BMFFTests {
    @Test(arguments: [false, true]) func insertingTheManifestKeepsChunkOffsetsRight(co64: Bool) throws {
        let mp4 = try TestMP4.make(co64: co64)
        let before = try TestMP4.chunks(mp4)
        let box = try BMFF.manifestBoxBytes(store: [UInt8](repeating: 0xAB, count: 333))
        let out = try BMFF.replacingManifest(in: mp4, with: box)
        #expect(out.count == mp4.count + box.count)
        #expect(try BMFF.topLevelBoxes(out).map(\.type) == ["ftyp", "uuid", "moov", "free", "mdat"])
        #expect(try TestMP4.chunks(out) == before)
        // Replacing it with a smaller box moves the offsets back.
        let smaller = try BMFF.replacingManifest(in: out, with: try BMFF.manifestBoxBytes(store: [1, 2, 3]))
        #expect(try BMFF.topLevelBoxes(smaller).filter { $0.type == "uuid" }.count == 1)
        #expect(try TestMP4.chunks(smaller) == before)
        let found = try #require(try BMFF.manifestBox(smaller))
        #expect(Array(smaller[try BMFF.manifestStoreRange(found, smaller)]) == [1, 2, 3])
    }

    @Test func hashCoversBoxesAndOffsetsButNotExclusions() throws {
        let signed = try BMFF.replacingManifest(in: try TestMP4.make(), with: try BMFF.manifestBoxBytes(store: [0, 0, 0, 0]))
        let reference = try BMFF.hash(signed)

        // Changes inside excluded boxes (the C2PA uuid box, ftyp) leave the hash alone.
        var inManifest = signed
        let uuidBox = try #require(try BMFF.manifestBox(signed))
        inManifest[uuidBox.end - 1] ^= 0xFF
        #expect(try BMFF.hash(inManifest) == reference)
        var inFtyp = signed
        inFtyp[12] ^= 0xFF
        #expect(try BMFF.hash(inFtyp) == reference)

        // One bit of media data, or of moov, changes it.
        var inMdat = signed
        inMdat[try TestMP4.offset(of: "mdat", in: signed) + 50] ^= 0x01
        #expect(try BMFF.hash(inMdat) != reference)
        var inMoov = signed
        inMoov[try TestMP4.offset(of: "moov", in: signed) + 12] ^= 0x01
        #expect(try BMFF.hash(inMoov) != reference)

        // Same boxes at other offsets hash differently (v2+ hashes each box's file offset).
        let bigger = try BMFF.replacingManifest(in: signed, with: try BMFF.manifestBoxBytes(store: [0, 0, 0, 0, 0]))
        #expect(try BMFF.hash(bigger) != reference)
    }

    @Test func hashMatchesAHandComputedValue() throws {
        let signed = try BMFF.replacingManifest(in: try TestMP4.make(), with: try BMFF.manifestBoxBytes(store: [7]))
        var sha = SHA256()
        for box in try BMFF.topLevelBoxes(signed) where !["ftyp", "uuid"].contains(box.type) {
            sha.update(data: bigEndian64(UInt64(box.start)))
            sha.update(data: signed[box.start..<box.end])
        }
        #expect(try BMFF.hash(signed) == Array(sha.finalize()))
    }

    @Test func dataMatchExclusionSkipsOnlyTheC2PABox() throws {
        // A uuid box of another kind is hashed; only the C2PA extended type is excluded.
        let other = try makeBox("uuid", [UInt8](repeating: 0x11, count: 16) + [1, 2, 3])
        var mp4 = try TestMP4.make()
        mp4 += other
        var changed = mp4
        changed[changed.count - 1] ^= 0xFF
        #expect(try BMFF.hash(mp4) != BMFF.hash(changed))
    }

    @Test func rejectsFilesThatAreNotMP4() {
        #expect(throws: ProvenanceError.self) { try BMFF.topLevelBoxes(try makeBox("mdat", [1, 2, 3])) }
        #expect(throws: ProvenanceError.self) { try BMFF.topLevelBoxes([0, 0, 0, 99, 0x66, 0x74, 0x79, 0x70]) }
    }
}
