import Crypto
import Foundation
import X509

/// COSE_Sign1 (RFC 9052) with ES256 and a detached payload, as C2PA claim signatures use it: the protected
/// header carries the algorithm (1: -7) and the `x5chain` (33: end-entity certificate first, then
/// intermediates); the payload is the claim's CBOR, kept outside the structure.
public enum COSE {
    static let algorithmLabel = CBOR.unsigned(1)
    static let x5chainLabel = CBOR.unsigned(33)
    static let es256 = CBOR.int(-7)
    static let sign1Tag: UInt64 = 18

    /// A parsed COSE_Sign1.
    public struct Sign1: Sendable {
        public var protectedHeader: [UInt8]
        public var algorithm: Int?
        /// DER certificates from `x5chain`, end-entity first.
        public var certificateChain: [[UInt8]]
        public var signature: [UInt8]
    }

    /// Signs `payload` (detached) with `key`; `chain` is the DER end-entity certificate then intermediates.
    public static func sign(payload: [UInt8], key: P256.Signing.PrivateKey, chain: [[UInt8]]) throws -> [UInt8] {
        guard !chain.isEmpty else { throw ProvenanceError("COSE: the x5chain needs at least the signing certificate") }
        let x5chain: CBOR = chain.count == 1 ? .bytes(chain[0]) : .array(chain.map { .bytes($0) })
        let protected = CBOR.map([(algorithmLabel, es256), (x5chainLabel, x5chain)]).encoded()
        let signature = try key.signature(for: toBeSigned(protected: protected, payload: payload)).rawRepresentation
        return CBOR.tagged(sign1Tag, .array([.bytes(protected), .map([]), .null, .bytes(Array(signature))])).encoded()
    }

    /// The Sig_structure ["Signature1", protected, external_aad = h'', payload], CBOR-encoded.
    static func toBeSigned(protected: [UInt8], payload: [UInt8]) -> [UInt8] {
        CBOR.array([.text("Signature1"), .bytes(protected), .bytes([]), .bytes(payload)]).encoded()
    }

    /// Parses a tagged (or untagged) COSE_Sign1 and reads its headers.
    public static func parse(_ bytes: [UInt8]) throws -> Sign1 {
        var item = try CBOR.decode(bytes)
        if case .tagged(let tag, let inner) = item {
            guard tag == sign1Tag else { throw ProvenanceError("COSE: tag \(tag) is not COSE_Sign1 (18)") }
            item = inner
        }
        guard let parts = item.arrayValue, parts.count == 4, let protected = parts[0].bytesValue,
              let signature = parts[3].bytesValue
        else { throw ProvenanceError("COSE: not a COSE_Sign1 array of four items") }
        let header = protected.isEmpty ? CBOR.map([]) : try CBOR.decode(protected)
        var chainItem = header[x5chainLabel]
        if chainItem == nil { chainItem = parts[1][x5chainLabel] }
        var chain: [[UInt8]] = []
        switch chainItem {
        case .bytes(let der)?: chain = [der]
        case .array(let items)?: chain = items.compactMap(\.bytesValue)
        default: break
        }
        return Sign1(protectedHeader: protected, algorithm: header[algorithmLabel]?.intValue, certificateChain: chain,
                     signature: signature)
    }

    /// Checks an ES256 signature over the detached `payload` with the public key of the first x5chain
    /// certificate. Returns the parsed structure; throws saying what is wrong.
    @discardableResult
    public static func verify(_ bytes: [UInt8], payload: [UInt8]) throws -> Sign1 {
        let sign1 = try parse(bytes)
        guard sign1.algorithm == -7 else {
            throw ProvenanceError("COSE: algorithm \(sign1.algorithm.map(String.init) ?? "missing") is not ES256 (-7), the only one Kino checks")
        }
        guard let leafDER = sign1.certificateChain.first else { throw ProvenanceError("COSE: no x5chain certificate") }
        let leaf = try Certificate(derEncoded: leafDER)
        guard let key = P256.Signing.PublicKey(leaf.publicKey) else {
            throw ProvenanceError("COSE: the signing certificate's key is not a P-256 key")
        }
        let signature = try P256.Signing.ECDSASignature(rawRepresentation: sign1.signature)
        guard key.isValidSignature(signature, for: toBeSigned(protected: sign1.protectedHeader, payload: payload)) else {
            throw ProvenanceError("COSE: the claim signature does not match the claim")
        }
        return sign1
    }
}
