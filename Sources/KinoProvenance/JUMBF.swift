import Foundation

/// JUMBF (ISO/IEC 19566-5) superboxes as C2PA uses them: a `jumb` box holding a `jumd` description box
/// (content-type UUID, toggles, label) followed by content boxes or further superboxes.
public struct JUMBFSuperbox: Sendable, Equatable {
    /// A box inside a superbox: another superbox, or a plain content box (`cbor`, `json`, ...).
    public enum Child: Sendable, Equatable {
        case superbox(JUMBFSuperbox)
        case content(type: String, payload: [UInt8])
    }

    /// The 16-byte content type of the description box.
    public var contentType: [UInt8]
    public var label: String
    /// 0x03: requestable, label present (what C2PA writes). Parsed values are kept for re-serialisation.
    public var toggles: UInt8 = 0x03
    public var children: [Child]

    public init(contentType: [UInt8], label: String, children: [Child]) {
        self.contentType = contentType
        self.label = label
        self.children = children
    }

    // MARK: C2PA content types (ISO 19566-5 style UUIDs: four characters then 0011-0010-8000-00AA00389B71)

    public static let manifestStoreType = uuidBytes("63327061-0011-0010-8000-00AA00389B71")  // c2pa
    public static let manifestType = uuidBytes("63326D61-0011-0010-8000-00AA00389B71")  // c2ma
    public static let assertionStoreType = uuidBytes("63326173-0011-0010-8000-00AA00389B71")  // c2as
    public static let claimType = uuidBytes("6332636C-0011-0010-8000-00AA00389B71")  // c2cl
    public static let signatureType = uuidBytes("63326373-0011-0010-8000-00AA00389B71")  // c2cs
    public static let cborType = uuidBytes("63626F72-0011-0010-8000-00AA00389B71")  // cbor
    public static let jsonType = uuidBytes("6A736F6E-0011-0010-8000-00AA00389B71")  // json

    // MARK: Writing

    /// The `jumd` box plus the children: what C2PA hashes for an assertion's hashed URI.
    public func payload() throws -> [UInt8] {
        var description = contentType + [toggles]
        if !label.isEmpty { description += Array(label.utf8) + [0] }
        var out = try makeBox("jumd", description)
        for child in children {
            switch child {
            case .superbox(let box): out += try box.serialized()
            case .content(let type, let payload): out += try makeBox(type, payload)
            }
        }
        return out
    }

    /// The whole `jumb` box.
    public func serialized() throws -> [UInt8] {
        try makeBox("jumb", payload())
    }

    // MARK: Reading

    /// Parses the `jumb` box that fills `bytes[range]`.
    public static func parse(_ bytes: [UInt8], in range: Range<Int>) throws -> JUMBFSuperbox {
        let boxes = try ISOBox.parse(bytes, in: range)
        guard boxes.count == 1, boxes[0].type == "jumb" else {
            throw ProvenanceError("JUMBF: expected one 'jumb' superbox, found \(boxes.map(\.type))")
        }
        return try parse(bytes, box: boxes[0], depth: 0)
    }

    static func parse(_ bytes: [UInt8], box: ISOBox, depth: Int) throws -> JUMBFSuperbox {
        guard depth < 16 else { throw ProvenanceError("JUMBF: superboxes nested deeper than 16 levels") }
        let inner = try ISOBox.parse(bytes, in: box.payloadStart..<box.end)
        guard let desc = inner.first, desc.type == "jumd", desc.end - desc.payloadStart >= 17 else {
            throw ProvenanceError("JUMBF: superbox at \(box.start) does not start with a description box")
        }
        let type = Array(bytes[desc.payloadStart..<desc.payloadStart + 16])
        let toggles = bytes[desc.payloadStart + 16]
        var label = ""
        if toggles & 0x02 != 0 {
            let from = desc.payloadStart + 17
            guard let zero = bytes[from..<desc.end].firstIndex(of: 0) else {
                throw ProvenanceError("JUMBF: description label at \(from) is not NUL-terminated")
            }
            label = String(decoding: bytes[from..<zero], as: UTF8.self)
        }
        var superbox = JUMBFSuperbox(contentType: type, label: label, children: [])
        superbox.toggles = toggles
        for child in inner.dropFirst() {
            if child.type == "jumb" {
                superbox.children.append(.superbox(try parse(bytes, box: child, depth: depth + 1)))
            } else {
                superbox.children.append(.content(type: child.type, payload: Array(bytes[child.payloadStart..<child.end])))
            }
        }
        return superbox
    }

    // MARK: Navigation

    /// The child superbox with this label.
    public func child(_ label: String) -> JUMBFSuperbox? {
        for case .superbox(let box) in children where box.label == label { return box }
        return nil
    }

    public var superboxes: [JUMBFSuperbox] {
        children.compactMap { if case .superbox(let b) = $0 { return b } else { return nil } }
    }

    /// The payload of the first content box of this type (e.g. `cbor`).
    public func content(_ type: String) -> [UInt8]? {
        for case .content(let t, let payload) in children where t == type { return payload }
        return nil
    }

    /// Follows a JUMBF URI path such as `c2pa/urn:c2pa:.../c2pa.assertions/c2pa.actions.v2` from this box
    /// (whose own label is the first component).
    public func resolve(_ path: [String]) -> JUMBFSuperbox? {
        guard let first = path.first, first == label else { return nil }
        var box = self
        for component in path.dropFirst() {
            guard let next = box.child(component) else { return nil }
            box = next
        }
        return box
    }
}
