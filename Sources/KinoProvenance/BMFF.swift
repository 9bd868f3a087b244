import Crypto
import Foundation

/// The MP4 side of C2PA: where the manifest store lives in an ISO BMFF file and what the `c2pa.hash.bmff`
/// hard binding covers.
///
/// The store is a top-level `uuid` box (extended type D8FEC3D6-1B0E-483C-9297-5828877EC481, version/flags 0,
/// purpose `manifest\0`, a 64-bit merkle offset of 0, then the JUMBF store). Kino puts it right after `ftyp`
/// and moves the chunk offsets in `stco`/`co64` so the samples are still found.
public enum BMFF {
    public static let c2paUUID = uuidBytes("D8FEC3D6-1B0E-483C-9297-5828877EC481")

    /// One exclusion of a `c2pa.hash.bmff` assertion, limited to what Kino writes and checks: a whole
    /// top-level box, optionally only when bytes at an offset inside it match (`data`).
    public struct Exclusion: Sendable, Equatable {
        public var xpath: String
        public var data: [(offset: Int, value: [UInt8])]

        public init(xpath: String, data: [(offset: Int, value: [UInt8])] = []) {
            self.xpath = xpath
            self.data = data
        }

        public static func == (a: Exclusion, b: Exclusion) -> Bool {
            a.xpath == b.xpath && a.data.count == b.data.count
                && zip(a.data, b.data).allSatisfy { $0.offset == $1.offset && $0.value == $1.value }
        }

        /// The exclusions C2PA requires for a BMFF hash: the C2PA `uuid` box, `ftyp` and `mfra`. (`free`/`skip`
        /// may be excluded too; Kino hashes them, so validators report no "additional exclusions".)
        public static let standard: [Exclusion] = [
            Exclusion(xpath: "/uuid", data: [(8, BMFF.c2paUUID)]), Exclusion(xpath: "/ftyp"), Exclusion(xpath: "/mfra"),
        ]

        func matches(_ box: ISOBox, in bytes: [UInt8]) throws -> Bool {
            let parts = xpath.split(separator: "/", omittingEmptySubsequences: false)
            guard parts.count == 2, parts[0].isEmpty, !parts[1].contains("[") else {
                throw ProvenanceError("BMFF hash: exclusion '\(xpath)' is not a top-level box; Kino checks only top-level exclusions")
            }
            guard box.type == parts[1] else { return false }
            for (offset, value) in data {
                guard offset >= 0, box.start + offset + value.count <= box.end else { return false }
                if Array(bytes[(box.start + offset)..<(box.start + offset + value.count)]) != value { return false }
            }
            return true
        }
    }

    /// The top-level boxes of an MP4.
    public static func topLevelBoxes(_ bytes: [UInt8]) throws -> [ISOBox] {
        let boxes = try ISOBox.parse(bytes, in: 0..<bytes.count)
        guard boxes.first?.type == "ftyp" else {
            throw ProvenanceError("not an MP4: the file does not start with an 'ftyp' box (found '\(boxes.first?.type ?? "nothing")')")
        }
        return boxes
    }

    /// The C2PA `uuid` box, if the file has one.
    public static func manifestBox(_ bytes: [UInt8]) throws -> ISOBox? {
        try topLevelBoxes(bytes).first { isC2PABox($0, bytes) }
    }

    static func isC2PABox(_ box: ISOBox, _ bytes: [UInt8]) -> Bool {
        box.type == "uuid" && box.size >= box.headerLength + 16
            && Array(bytes[box.payloadStart..<box.payloadStart + 16]) == c2paUUID
    }

    /// The JUMBF manifest store inside a C2PA `uuid` box (after the version/flags, purpose and merkle offset).
    public static func manifestStoreRange(_ box: ISOBox, _ bytes: [UInt8]) throws -> Range<Int> {
        var at = box.payloadStart + 16 + 4
        guard at < box.end, let zero = bytes[at..<box.end].firstIndex(of: 0) else {
            throw ProvenanceError("C2PA uuid box at \(box.start) has no purpose string")
        }
        let purpose = String(decoding: bytes[at..<zero], as: UTF8.self)
        guard purpose == "manifest" else {
            throw ProvenanceError("C2PA uuid box purpose is '\(purpose)'; Kino reads only 'manifest' boxes")
        }
        at = zero + 1 + 8
        guard at <= box.end else { throw ProvenanceError("C2PA uuid box at \(box.start) is truncated") }
        return at..<box.end
    }

    /// A C2PA `uuid` box around a serialised JUMBF manifest store.
    public static func manifestBoxBytes(store: [UInt8]) throws -> [UInt8] {
        try makeBox("uuid", c2paUUID + [0, 0, 0, 0] + Array("manifest".utf8) + [0] + [UInt8](repeating: 0, count: 8) + store)
    }

    /// `bytes` with any C2PA box removed and `box` inserted right after `ftyp`, chunk offsets moved to match.
    public static func replacingManifest(in bytes: [UInt8], with box: [UInt8]) throws -> [UInt8] {
        var out = bytes
        if let old = try manifestBox(out) {
            out.removeSubrange(old.start..<old.end)
            try shiftChunkOffsets(&out, from: old.start, by: -old.size)
        }
        let boxes = try topLevelBoxes(out)
        if boxes.contains(where: { $0.type == "moof" }) {
            throw ProvenanceError("fragmented MP4 (moof boxes) is not supported for C2PA signing; write a plain MP4")
        }
        let at = boxes[0].end
        out.insert(contentsOf: box, at: at)
        try shiftChunkOffsets(&out, from: at, by: box.count)
        return out
    }

    /// Adds `delta` to every `stco`/`co64` chunk offset that points at or past `from`.
    static func shiftChunkOffsets(_ bytes: inout [UInt8], from: Int, by delta: Int) throws {
        for moov in try topLevelBoxes(bytes) where moov.type == "moov" {
            for trak in try ISOBox.parse(bytes, in: moov.payloadStart..<moov.end) where trak.type == "trak" {
                for stbl in try path(bytes, in: trak, ["mdia", "minf", "stbl"]) {
                    for table in try ISOBox.parse(bytes, in: stbl.payloadStart..<stbl.end) where table.type == "stco" || table.type == "co64" {
                        try shift(&bytes, table: table, from: from, by: delta)
                    }
                }
            }
        }
    }

    private static func path(_ bytes: [UInt8], in box: ISOBox, _ types: [String]) throws -> [ISOBox] {
        var level = [box]
        for type in types {
            level = try level.flatMap { try ISOBox.parse(bytes, in: $0.payloadStart..<$0.end).filter { $0.type == type } }
        }
        return level
    }

    private static func shift(_ bytes: inout [UInt8], table: ISOBox, from: Int, by delta: Int) throws {
        let wide = table.type == "co64"
        let countAt = table.payloadStart + 4
        guard countAt + 4 <= table.end else { throw ProvenanceError("'\(table.type)' box at \(table.start) is truncated") }
        let count = Int(readUInt32(bytes, countAt))
        let width = wide ? 8 : 4
        guard countAt + 4 + count * width <= table.end else {
            throw ProvenanceError("'\(table.type)' box at \(table.start) lists \(count) chunks but is too short for them")
        }
        for i in 0..<count {
            let at = countAt + 4 + i * width
            let old = wide ? Int(readUInt64(bytes, at)) : Int(readUInt32(bytes, at))
            guard old >= from else { continue }
            let new = old + delta
            if wide {
                writeUInt64(UInt64(new), into: &bytes, at: at)
            } else {
                guard new >= 0, new <= Int(UInt32.max) else {
                    throw ProvenanceError("a chunk offset would move past 4 GiB; the MP4 needs co64 offsets")
                }
                writeUInt32(UInt32(new), into: &bytes, at: at)
            }
        }
    }

    /// The v2/v3 `c2pa.hash.bmff` value (no merkle trees): SHA-256 over every top-level box that no exclusion
    /// matches, each preceded by its file offset as a big-endian 64-bit number.
    public static func hash(_ bytes: [UInt8], exclusions: [Exclusion] = Exclusion.standard) throws -> [UInt8] {
        var sha = SHA256()
        for box in try topLevelBoxes(bytes) {
            if try exclusions.contains(where: { try $0.matches(box, in: bytes) }) { continue }
            sha.update(data: bigEndian64(UInt64(box.start)))
            sha.update(data: bytes[box.start..<box.end])
        }
        return Array(sha.finalize())
    }
}
