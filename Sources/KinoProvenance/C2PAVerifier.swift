import Crypto
import Foundation
import X509

/// What `kino verify` says about a file's content credentials.
public enum C2PAState: String, Sendable {
    /// Valid, and the signing chain ends in a trust anchor (this data folder's CA or a configured one).
    case trusted
    /// Signature, assertion hashes and the BMFF hard binding check out; the signer is not one we trust.
    case valid
    /// A manifest is there but something does not check out (see `problems`).
    case invalid
    /// No C2PA manifest in the file.
    case absent
}

public struct C2PAReport: Sendable {
    public var state: C2PAState
    /// Why the state is not `trusted`, one sentence each.
    public var problems: [String] = []
    public var manifestLabel: String?
    /// The `softwareAgent` name of the `c2pa.created` action (Kino writes the model name there).
    public var softwareAgent: String?
    public var digitalSourceType: String?
    public var signer: String?
    /// The manifest's ingredients (what the clip was made from), as `title (format, instanceID)`.
    public var ingredients: [String] = []
}

/// Checks the C2PA manifest of an MP4 the way a validator does for the parts Kino writes: the COSE signature
/// over the claim, the signing certificate (profile, validity, chain), every created assertion's hash, and the
/// `c2pa.hash.bmff` hard binding over the file.
public enum C2PAVerifier {
    public static func verify(fileAt url: URL, trustAnchors: [Certificate], now: Date = Date()) throws -> C2PAReport {
        let bytes: [UInt8]
        do { bytes = [UInt8](try Data(contentsOf: url)) } catch {
            throw ProvenanceError("cannot read \(url.path): \(error.localizedDescription)")
        }
        return verify(mp4: bytes, trustAnchors: trustAnchors, now: now)
    }

    public static func verify(mp4 bytes: [UInt8], trustAnchors: [Certificate], now: Date = Date()) -> C2PAReport {
        let box: ISOBox
        if bytes.count < 8 || ISOBox.fourCC(bytes, 4) != "ftyp" {
            return C2PAReport(state: .absent, problems: ["not an MP4/MOV file (it does not start with an ftyp box); kino verify reads MP4 files"])
        }
        do {
            guard let found = try BMFF.manifestBox(bytes) else { return C2PAReport(state: .absent) }
            box = found
        } catch {
            return C2PAReport(state: .invalid, problems: ["the file's box structure cannot be read: \(error)"])
        }
        var report = C2PAReport(state: .invalid)
        do {
            let store = try JUMBFSuperbox.parse(bytes, in: try BMFF.manifestStoreRange(box, bytes))
            guard store.label == "c2pa", store.contentType == JUMBFSuperbox.manifestStoreType,
                  let manifest = store.superboxes.last(where: { $0.contentType == JUMBFSuperbox.manifestType })
            else { throw ProvenanceError("the C2PA box holds no manifest store with a manifest") }
            report.manifestLabel = manifest.label
            try check(manifest: manifest, store: store, bytes: bytes, trustAnchors: trustAnchors, now: now, report: &report)
        } catch {
            report.state = .invalid
            report.problems.append("\(error)")
        }
        return report
    }

    private static func check(manifest: JUMBFSuperbox, store: JUMBFSuperbox, bytes: [UInt8], trustAnchors: [Certificate],
                              now: Date, report: inout C2PAReport) throws {
        guard let claimBox = manifest.child(C2PA.claimLabel) ?? manifest.child("c2pa.claim"),
              let claimBytes = claimBox.content("cbor") else { throw ProvenanceError("the manifest has no claim") }
        guard let signatureBytes = manifest.child("c2pa.signature")?.content("cbor") else {
            throw ProvenanceError("the manifest has no signature")
        }
        let claim = try CBOR.decode(claimBytes)
        let sign1 = try COSE.verify(signatureBytes, payload: claimBytes)
        let chain = try sign1.certificateChain.map { try Certificate(derEncoded: $0) }
        report.signer = chain.first.map { "\($0.subject)" }
        var problems: [String] = []
        problems += checkSigner(chain, now: now)

        // Every referenced assertion must be present and hash to what the claim recorded.
        let references = (claim["created_assertions"]?.arrayValue ?? []) + (claim["gathered_assertions"]?.arrayValue ?? [])
            + (claim["assertions"]?.arrayValue ?? [])
        var hardBindings = 0
        for reference in references {
            guard let url = reference["url"]?.textValue, let expected = reference["hash"]?.bytesValue else {
                throw ProvenanceError("a claim assertion reference lacks url or hash")
            }
            guard let assertion = resolve(url, manifest: manifest, store: store) else {
                throw ProvenanceError("assertion \(url) is missing from the manifest")
            }
            guard Array(SHA256.hash(data: try assertion.payload())) == expected else {
                throw ProvenanceError("assertion \(assertion.label) does not match its hash in the claim (it was changed)")
            }
            let label = assertion.label
            if label.hasPrefix("c2pa.hash.bmff") {
                hardBindings += 1
                try checkBMFFHash(assertion, bytes: bytes)
            } else if label.hasPrefix("c2pa.hash.") {
                throw ProvenanceError("hard binding \(label) is not one Kino can check (only c2pa.hash.bmff)")
            } else if label.hasPrefix("c2pa.ingredient"), let content = assertion.content("cbor") {
                let ingredient = try CBOR.decode(content)
                report.ingredients.append("\(ingredient["dc:title"]?.textValue ?? "untitled") (\(ingredient["dc:format"]?.textValue ?? "unknown type"), "
                                          + "\(ingredient["instanceID"]?.textValue ?? "no id"), \(ingredient["relationship"]?.textValue ?? "no relationship"))")
            } else if label.hasPrefix("c2pa.actions"), let content = assertion.content("cbor"),
                      let first = try CBOR.decode(content)["actions"]?.arrayValue?.first {
                report.softwareAgent = first["softwareAgent"]?["name"]?.textValue ?? first["softwareAgent"]?.textValue
                report.digitalSourceType = first["digitalSourceType"]?.textValue
                if first["action"]?.textValue != "c2pa.created" && first["action"]?.textValue != "c2pa.opened" {
                    problems.append("the first action is not c2pa.created or c2pa.opened")
                }
            }
        }
        guard hardBindings == 1 else { throw ProvenanceError("the claim has \(hardBindings) BMFF hard bindings; exactly one is required") }
        if !problems.isEmpty {
            report.state = .invalid
            report.problems += problems
            return
        }
        if chainAnchor(chain, trustAnchors: trustAnchors) != nil {
            report.state = .trusted
        } else {
            report.state = .valid
            report.problems.append("the signing certificate does not chain to a trusted root (signingCredential.untrusted)")
        }
    }

    /// `self#jumbf=/c2pa/<manifest>/c2pa.assertions/<label>` or the relative `self#jumbf=c2pa.assertions/<label>`.
    static func resolve(_ url: String, manifest: JUMBFSuperbox, store: JUMBFSuperbox) -> JUMBFSuperbox? {
        guard url.hasPrefix("self#jumbf=") else { return nil }
        let path = String(url.dropFirst("self#jumbf=".count))
        if path.hasPrefix("/") {
            return store.resolve(path.dropFirst().split(separator: "/").map(String.init))
        }
        return manifest.resolve([manifest.label] + path.split(separator: "/").map(String.init))
    }

    static func checkBMFFHash(_ assertion: JUMBFSuperbox, bytes: [UInt8]) throws {
        guard let content = assertion.content("cbor") else { throw ProvenanceError("the BMFF hash assertion has no CBOR content") }
        let value = try CBOR.decode(content)
        guard value["merkle"] == nil else { throw ProvenanceError("BMFF hash with merkle trees is not supported by kino verify") }
        let alg = value["alg"]?.textValue ?? "sha256"
        guard alg == "sha256" else { throw ProvenanceError("BMFF hash algorithm \(alg) is not supported (sha256 only)") }
        guard let expected = value["hash"]?.bytesValue else { throw ProvenanceError("the BMFF hash assertion has no hash") }
        var exclusions: [BMFF.Exclusion] = []
        for item in value["exclusions"]?.arrayValue ?? [] {
            guard let xpath = item["xpath"]?.textValue else { throw ProvenanceError("a BMFF exclusion has no xpath") }
            // Only the boxes C2PA lets a hard binding leave out; an exclusion of /mdat or /moov would leave the
            // media unprotected while still "matching".
            guard ["/uuid", "/ftyp", "/mfra", "/free", "/skip"].contains(xpath) else {
                throw ProvenanceError("the BMFF hash excludes \(xpath), which leaves content unprotected; kino verify does not accept it")
            }
            if item["subset"] != nil || item["length"] != nil || item["version"] != nil || item["flags"] != nil {
                throw ProvenanceError("BMFF exclusion \(xpath) uses subset/length/version/flags, which kino verify does not check")
            }
            let data = try (item["data"]?.arrayValue ?? []).map { entry -> (offset: Int, value: [UInt8]) in
                guard let offset = entry["offset"]?.intValue, let v = entry["value"]?.bytesValue else {
                    throw ProvenanceError("BMFF exclusion \(xpath) has a malformed data entry")
                }
                return (offset, v)
            }
            exclusions.append(BMFF.Exclusion(xpath: xpath, data: data))
        }
        guard try BMFF.hash(bytes, exclusions: exclusions) == expected else {
            throw ProvenanceError("the file's content does not match the BMFF hash in its manifest (assertion.bmffHash.mismatch): it was changed after signing")
        }
    }

    /// The certificate profile C2PA asks of a signer; each problem as a sentence.
    static func checkSigner(_ chain: [Certificate], now: Date) -> [String] {
        guard let leaf = chain.first else { return ["the signature carries no certificate"] }
        var problems: [String] = []
        if now < leaf.notValidBefore || now > leaf.notValidAfter {
            problems.append("the signing certificate is not valid now (valid \(leaf.notValidBefore) to \(leaf.notValidAfter))")
        }
        if case .isCertificateAuthority? = try? leaf.extensions.basicConstraints {
            problems.append("the signing certificate is a CA certificate")
        }
        if leaf.issuer == leaf.subject { problems.append("the signing certificate is self-signed") }
        if (try? leaf.extensions.keyUsage)??.digitalSignature != true {
            problems.append("the signing certificate lacks the digitalSignature key usage")
        }
        let usages = (try? leaf.extensions.extendedKeyUsage)??.map(\.self) ?? []
        if usages.contains(.any) || !usages.contains(where: { allowedUsages.contains($0) }) {
            problems.append("the signing certificate lacks a C2PA extended key usage (documentSigning, emailProtection, C2PA signing)")
        }
        if (try? leaf.extensions.authorityKeyIdentifier) == nil {
            problems.append("the signing certificate has no authority key identifier")
        }
        for (cert, issuer) in zip(chain, chain.dropFirst()) where !issuer.publicKey.isValidSignature(cert.signature, for: cert) {
            problems.append("certificate '\(cert.subject)' is not signed by the next one in the chain")
        }
        return problems
    }

    /// Extended key usages C2PA accepts for a claim signer (besides time stamping/OCSP, which Kino never uses).
    static let allowedUsages: [ExtendedKeyUsage.Usage] = [
        .emailProtection, ExtendedKeyUsage.Usage(oid: [1, 3, 6, 1, 5, 5, 7, 3, 36]),
        ExtendedKeyUsage.Usage(oid: [1, 3, 6, 1, 4, 1, 62558, 2, 1]), ExtendedKeyUsage.Usage(oid: [1, 3, 6, 1, 4, 1, 311, 76, 59, 1, 9]),
    ]

    /// The trust anchor that signed the last certificate of `chain`, if any.
    static func chainAnchor(_ chain: [Certificate], trustAnchors: [Certificate]) -> Certificate? {
        guard let last = chain.last else { return nil }
        if let anchor = trustAnchors.first(where: { $0 == last }) { return anchor }
        return trustAnchors.first { $0.subject == last.issuer && $0.publicKey.isValidSignature(last.signature, for: last) }
    }
}
