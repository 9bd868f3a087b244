import Crypto
import Foundation

/// What a Kino manifest says about a clip.
public struct ContentCredentials: Sendable, Equatable {
    /// The model that generated the clip, e.g. `kino-tiny` (the `softwareAgent` of the `c2pa.created` action).
    public var model: String
    public var generatorName: String
    public var generatorVersion: String
    /// `dc:title` of the claim, e.g. the file name; nil leaves it out.
    public var title: String?
    /// What the clip was made from besides the prompt (a picture, a source video), each a `c2pa.ingredient.v3`
    /// assertion that the `c2pa.created` action names.
    public var ingredients: [Ingredient]

    /// An input of the generation. `inputTo`: the file went into the model, the clip is a new asset.
    public struct Ingredient: Sendable, Equatable {
        public var title: String
        /// Media type, e.g. `image/png`, `video/mp4`.
        public var format: String
        /// `sha256:<hex>` of the file, so the input can be matched to the clip later.
        public var instanceID: String
        public var description: String
        public var relationship = "inputTo"

        public init(title: String, format: String, instanceID: String, description: String) {
            self.title = title
            self.format = format
            self.instanceID = instanceID
            self.description = description
        }
    }

    public init(model: String, generatorName: String = "Kino", generatorVersion: String = C2PA.kinoVersion, title: String? = nil,
                ingredients: [Ingredient] = []) {
        self.model = model
        self.generatorName = generatorName
        self.generatorVersion = generatorVersion
        self.title = title
        self.ingredients = ingredients
    }
}

/// Writes C2PA manifests (spec 2.x: claim v2, `c2pa.actions.v2`, `c2pa.hash.bmff.v3`, COSE_Sign1 ES256)
/// into MP4 files.
public enum C2PA {
    public static let kinoVersion = "0.1.0"
    public static let trainedAlgorithmicMedia = "http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia"
    public static let actionsLabel = "c2pa.actions.v2"
    public static let bmffHashLabel = "c2pa.hash.bmff.v3"
    public static let claimLabel = "c2pa.claim.v2"
    public static let ingredientLabel = "c2pa.ingredient.v3"

    /// Signs the MP4 at `url` in place (through a temporary file and an atomic rename).
    public static func signFile(at url: URL, credentials: ContentCredentials, identity: SigningIdentity) throws {
        let input: [UInt8]
        do { input = [UInt8](try Data(contentsOf: url)) } catch {
            throw ProvenanceError("cannot read \(url.path) to sign it: \(error.localizedDescription)")
        }
        let signed = try sign(mp4: input, credentials: credentials, identity: identity)
        do { try Data(signed).write(to: url, options: .atomic) } catch {
            throw ProvenanceError("cannot write the signed MP4 \(url.path): \(error.localizedDescription)")
        }
    }

    /// `mp4` with a signed manifest store in a `uuid` box after `ftyp` (any earlier store replaced).
    ///
    /// The BMFF hash covers the final box offsets, so the box must have its final size before hashing: the
    /// store is built once with a zero hash to learn its size (hash and ES256 signature have fixed lengths),
    /// inserted, the file hashed, and the real store written over the placeholder.
    public static func sign(mp4: [UInt8], credentials: ContentCredentials, identity: SigningIdentity,
                            manifestID: UUID = UUID()) throws -> [UInt8] {
        let label = "urn:c2pa:\(manifestID.uuidString.lowercased())"
        let chain = try identity.chainDER
        let placeholder = try manifestStore(label: label, credentials: credentials, hash: [UInt8](repeating: 0, count: 32),
                                            key: try identity.privateKey, chain: chain)
        var out = try BMFF.replacingManifest(in: mp4, with: try BMFF.manifestBoxBytes(store: placeholder))
        guard let box = try BMFF.manifestBox(out) else { throw ProvenanceError("the C2PA box vanished after insertion") }
        let hash = try BMFF.hash(out)
        let store = try manifestStore(label: label, credentials: credentials, hash: hash, key: try identity.privateKey, chain: chain)
        let final = try BMFF.manifestBoxBytes(store: store)
        guard final.count == box.size else {
            throw ProvenanceError("the signed manifest (\(final.count) bytes) differs in size from its placeholder (\(box.size)); this is a bug in Kino's C2PA writer")
        }
        out.replaceSubrange(box.start..<box.end, with: final)
        return out
    }

    /// The serialised JUMBF manifest store holding one manifest.
    static func manifestStore(label: String, credentials: ContentCredentials, hash: [UInt8],
                              key: P256.Signing.PrivateKey, chain: [[UInt8]]) throws -> [UInt8] {
        let base = "self#jumbf=/c2pa/\(label)"
        func reference(_ assertion: JUMBFSuperbox) throws -> CBOR {
            .map([(.text("url"), .text("\(base)/c2pa.assertions/\(assertion.label)")),
                  (.text("hash"), .bytes(Array(SHA256.hash(data: try assertion.payload()))))])
        }
        let ingredients = credentials.ingredients.enumerated().map { index, ingredient in
            cborAssertion(index == 0 ? ingredientLabel : "\(ingredientLabel)__\(index)", self.ingredient(ingredient))
        }
        let assertions = ingredients + [
            cborAssertion(actionsLabel, actions(credentials, ingredients: try ingredients.map(reference))),
            cborAssertion(bmffHashLabel, bmffHash(hash)),
        ]
        let created = try assertions.map(reference)
        var claim: [(CBOR, CBOR)] = [
            (.text("instanceID"), .text("xmp:iid:\(UUID().uuidString.lowercased())")),
            (.text("claim_generator_info"), .map([(.text("name"), .text(credentials.generatorName)),
                                                  (.text("version"), .text(credentials.generatorVersion))])),
            (.text("signature"), .text("\(base)/c2pa.signature")),
            (.text("created_assertions"), .array(created)),
        ]
        if let title = credentials.title { claim.append((.text("dc:title"), .text(title))) }
        claim.append((.text("alg"), .text("sha256")))
        let claimBytes = CBOR.map(claim).encoded()
        let signature = try COSE.sign(payload: claimBytes, key: key, chain: chain)
        let manifest = JUMBFSuperbox(contentType: JUMBFSuperbox.manifestType, label: label, children: [
            .superbox(JUMBFSuperbox(contentType: JUMBFSuperbox.assertionStoreType, label: "c2pa.assertions",
                                    children: assertions.map { .superbox($0) })),
            .superbox(JUMBFSuperbox(contentType: JUMBFSuperbox.claimType, label: claimLabel,
                                    children: [.content(type: "cbor", payload: claimBytes)])),
            .superbox(JUMBFSuperbox(contentType: JUMBFSuperbox.signatureType, label: "c2pa.signature",
                                    children: [.content(type: "cbor", payload: signature)])),
        ])
        return try JUMBFSuperbox(contentType: JUMBFSuperbox.manifestStoreType, label: "c2pa", children: [.superbox(manifest)])
            .serialized()
    }

    static func cborAssertion(_ label: String, _ value: CBOR) -> JUMBFSuperbox {
        JUMBFSuperbox(contentType: JUMBFSuperbox.cborType, label: label, children: [.content(type: "cbor", payload: value.encoded())])
    }

    static func actions(_ credentials: ContentCredentials, ingredients: [CBOR] = []) -> CBOR {
        var action: [(CBOR, CBOR)] = [
            (.text("action"), .text("c2pa.created")),
            (.text("digitalSourceType"), .text(trainedAlgorithmicMedia)),
            (.text("softwareAgent"), .map([(.text("name"), .text(credentials.model)),
                                           (.text("version"), .text("\(credentials.generatorName) \(credentials.generatorVersion)"))])),
            (.text("description"), .text(ingredients.isEmpty
                ? "Generated from a text prompt by the \(credentials.model) model"
                : "Generated from a text prompt and the listed ingredients by the \(credentials.model) model")),
        ]
        if !ingredients.isEmpty { action.append((.text("parameters"), .map([(.text("ingredients"), .array(ingredients))]))) }
        return .map([(.text("actions"), .array([.map(action)]))])
    }

    static func ingredient(_ ingredient: ContentCredentials.Ingredient) -> CBOR {
        .map([(.text("dc:title"), .text(ingredient.title)), (.text("dc:format"), .text(ingredient.format)),
              (.text("relationship"), .text(ingredient.relationship)), (.text("instanceID"), .text(ingredient.instanceID)),
              (.text("description"), .text(ingredient.description))])
    }

    static func bmffHash(_ hash: [UInt8]) -> CBOR {
        let exclusions: [CBOR] = BMFF.Exclusion.standard.map { exclusion in
            var entries: [(CBOR, CBOR)] = [(.text("xpath"), .text(exclusion.xpath))]
            if !exclusion.data.isEmpty {
                entries.append((.text("data"), .array(exclusion.data.map {
                    .map([(.text("offset"), .unsigned(UInt64($0.offset))), (.text("value"), .bytes($0.value))])
                })))
            }
            return .map(entries)
        }
        return .map([(.text("exclusions"), .array(exclusions)), (.text("alg"), .text("sha256")),
                     (.text("hash"), .bytes(hash)), (.text("name"), .text("jumbf manifest"))])
    }
}
