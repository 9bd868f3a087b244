import Crypto
import Foundation
import Testing
import X509
@testable import KinoProvenance

@Suite struct SigningTests {
    static func scratch() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("kino-prov-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    @Test func coseRoundTripAndTamper() throws {
        let key = P256.Signing.PrivateKey()
        let root = try CertificateAuthority.makeRoot(key: key, now: Date())
        let leafKey = P256.Signing.PrivateKey()
        let leaf = try CertificateAuthority.issueSigner(publicKey: leafKey.publicKey, root: root, rootKey: key, now: Date())
        let payload = Array("claim bytes".utf8)
        let signed = try COSE.sign(payload: payload, key: leafKey, chain: [try CertificateAuthority.der(leaf)])
        let parsed = try COSE.verify(signed, payload: payload)
        #expect(parsed.algorithm == -7)
        #expect(parsed.certificateChain == [try CertificateAuthority.der(leaf)])
        #expect(parsed.signature.count == 64)
        #expect(throws: ProvenanceError.self) { try COSE.verify(signed, payload: payload + [0]) }
        // A key that is not the certificate's signs in vain.
        let forged = try COSE.sign(payload: payload, key: P256.Signing.PrivateKey(), chain: [try CertificateAuthority.der(leaf)])
        #expect(throws: ProvenanceError.self) { try COSE.verify(forged, payload: payload) }
    }

    @Test func certificateAuthorityIsMadeOnceWithTheC2PAProfile() throws {
        let data = try Self.scratch()
        let first = try CertificateAuthority.identity(dataFolder: data)
        let again = try CertificateAuthority.identity(dataFolder: data)
        #expect(first.privateKeyBytes == again.privateKeyBytes)
        #expect(first.chain == again.chain)
        let leaf = try #require(first.chain.first)
        let root = try #require(first.trustAnchors.first)
        #expect(root.publicKey.isValidSignature(leaf.signature, for: leaf))
        #expect(leaf.issuer == root.subject && leaf.subject != root.subject)
        #expect(try leaf.extensions.keyUsage?.digitalSignature == true)
        #expect(try leaf.extensions.basicConstraints == .notCertificateAuthority)
        #expect(try leaf.extensions.authorityKeyIdentifier?.keyIdentifier == root.extensions.subjectKeyIdentifier?.keyIdentifier)
        let eku = try #require(try leaf.extensions.extendedKeyUsage)
        #expect(eku.contains(.emailProtection))
        #expect(try CertificateAuthority.trustAnchors(dataFolder: data) == [root])
        let attributes = try FileManager.default.attributesOfItem(atPath: data.appendingPathComponent("provenance/signer.key").path)
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
    }

    @Test func concurrentFirstUseMakesOneRoot() throws {
        let data = try Self.scratch()
        final class Roots: @unchecked Sendable {
            let lock = NSLock()
            var all: [Certificate] = []
        }
        let roots = Roots()
        DispatchQueue.concurrentPerform(iterations: 8) { _ in
            if let root = try? CertificateAuthority.identity(dataFolder: data).trustAnchors.first {
                roots.lock.withLock { roots.all.append(root) }
            }
        }
        let all = roots.lock.withLock { roots.all }
        #expect(all.count == 8)
        #expect(Set(all.map(\.serialNumber)).count == 1)
        #expect(try CertificateAuthority.trustAnchors(dataFolder: data) == [all[0]])
    }

    @Test func filesThatAreNotMP4HaveNoCredentials() {
        let png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13]
        let report = C2PAVerifier.verify(mp4: png, trustAnchors: [])
        #expect(report.state == .absent)
        #expect(report.problems.joined().contains("not an MP4"))
    }

    @Test func signedMP4VerifiesAndTamperingIsCaught() throws {
        let data = try Self.scratch()
        let identity = try CertificateAuthority.identity(dataFolder: data)
        let mp4 = try TestMP4.make()
        #expect(C2PAVerifier.verify(mp4: mp4, trustAnchors: identity.trustAnchors).state == .absent)

        let signed = try C2PA.sign(mp4: mp4, credentials: ContentCredentials(model: "kino-tiny"), identity: identity)
        #expect(try TestMP4.chunks(signed) == TestMP4.chunks(mp4))
        let trusted = C2PAVerifier.verify(mp4: signed, trustAnchors: identity.trustAnchors)
        #expect(trusted.state == .trusted, "\(trusted.problems)")
        #expect(trusted.softwareAgent == "kino-tiny")
        #expect(trusted.digitalSourceType == C2PA.trainedAlgorithmicMedia)
        #expect(C2PAVerifier.verify(mp4: signed, trustAnchors: []).state == .valid)
        let stranger = try CertificateAuthority.identity(dataFolder: try Self.scratch())
        #expect(C2PAVerifier.verify(mp4: signed, trustAnchors: stranger.trustAnchors).state == .valid)

        // One bit of media data.
        var media = signed
        media[try TestMP4.offset(of: "mdat", in: signed) + 20] ^= 0x01
        let mediaReport = C2PAVerifier.verify(mp4: media, trustAnchors: identity.trustAnchors)
        #expect(mediaReport.state == .invalid)
        #expect(mediaReport.problems.joined().contains("bmffHash.mismatch"))

        // One bit of the claim (its text "c2pa.created" lives in an assertion; "sha256" in the claim).
        let box = try #require(try BMFF.manifestBox(signed))
        let claimAt = try #require(Self.find(Array("instanceID".utf8), in: signed, range: box.start..<box.end))
        var claim = signed
        claim[claimAt + 11] ^= 0x01
        #expect(C2PAVerifier.verify(mp4: claim, trustAnchors: identity.trustAnchors).state == .invalid)

        // An assertion edited after signing no longer matches its hash in the claim.
        let agentAt = try #require(Self.find(Array("kino-tiny".utf8), in: signed, range: box.start..<box.end))
        var assertion = signed
        assertion[agentAt] = UInt8(ascii: "K")
        let assertionReport = C2PAVerifier.verify(mp4: assertion, trustAnchors: identity.trustAnchors)
        #expect(assertionReport.state == .invalid)
        #expect(assertionReport.problems.joined().contains("c2pa.actions.v2"))
    }

    /// A clip made from an input names it as a `c2pa.ingredient.v3` assertion, referenced by the created action and
    /// covered by the claim like every assertion.
    @Test func ingredientsAreNamedAndSigned() throws {
        let identity = try CertificateAuthority.identity(dataFolder: try Self.scratch())
        let picture = ContentCredentials.Ingredient(title: "start.png", format: "image/png", instanceID: "sha256:abc", description: "first frame")
        let source = ContentCredentials.Ingredient(title: "source.mp4", format: "video/mp4", instanceID: "sha256:def", description: "continued")
        let signed = try C2PA.sign(mp4: try TestMP4.make(), credentials: ContentCredentials(model: "kino-tiny", ingredients: [picture, source]),
                                   identity: identity)
        let report = C2PAVerifier.verify(mp4: signed, trustAnchors: identity.trustAnchors)
        #expect(report.state == .trusted, "\(report.problems)")
        #expect(report.ingredients == ["start.png (image/png, sha256:abc, inputTo)", "source.mp4 (video/mp4, sha256:def, inputTo)"])
        let box = try #require(try BMFF.manifestBox(signed))
        #expect(Self.find(Array("c2pa.ingredient.v3__1".utf8), in: signed, range: box.start..<box.end) != nil)
        let at = try #require(Self.find(Array("sha256:abc".utf8), in: signed, range: box.start..<box.end))
        var tampered = signed
        tampered[at + 7] = UInt8(ascii: "f")
        #expect(C2PAVerifier.verify(mp4: tampered, trustAnchors: identity.trustAnchors).state == .invalid, "a changed ingredient breaks the claim")
        let plain = try C2PA.sign(mp4: try TestMP4.make(), credentials: ContentCredentials(model: "kino-tiny"), identity: identity)
        #expect(C2PAVerifier.verify(mp4: plain, trustAnchors: identity.trustAnchors).ingredients.isEmpty)
    }

    @Test func signerWithoutTheC2PAProfileIsInvalid() throws {
        let rootKey = P256.Signing.PrivateKey()
        let root = try CertificateAuthority.makeRoot(key: rootKey, now: Date())
        let key = P256.Signing.PrivateKey()
        let name = try DistinguishedName { CommonName("no EKU") }
        let bare = try Certificate(version: .v3, serialNumber: Certificate.SerialNumber(), publicKey: .init(key.publicKey),
                                   notValidBefore: Date().addingTimeInterval(-60), notValidAfter: Date().addingTimeInterval(3600),
                                   issuer: root.subject, subject: name, signatureAlgorithm: .ecdsaWithSHA256,
                                   extensions: try Certificate.Extensions { Critical(KeyUsage(digitalSignature: true)) },
                                   issuerPrivateKey: .init(rootKey))
        let identity = SigningIdentity(privateKey: key, chain: [bare], trustAnchors: [root])
        let signed = try C2PA.sign(mp4: try TestMP4.make(), credentials: ContentCredentials(model: "m"), identity: identity)
        let report = C2PAVerifier.verify(mp4: signed, trustAnchors: [root])
        #expect(report.state == .invalid)
        #expect(report.problems.joined().contains("extended key usage"))
        #expect(report.problems.joined().contains("authority key identifier"))
    }

    @Test func hashThatExcludesTheMediaIsRefused() throws {
        let identity = try CertificateAuthority.identity(dataFolder: try Self.scratch())
        let signed = try C2PA.sign(mp4: try TestMP4.make(), credentials: ContentCredentials(model: "m"), identity: identity)
        let store = try #require(try BMFF.manifestBox(signed))
        let hash = try #require(try JUMBFSuperbox.parse(signed, in: try BMFF.manifestStoreRange(store, signed))
            .superboxes.first?.child("c2pa.assertions")?.child(C2PA.bmffHashLabel))
        #expect(throws: Never.self) { try C2PAVerifier.checkBMFFHash(hash, bytes: signed) }
        // The same assertion rewritten to exclude /mdat (as a forger might) is refused even though it "matches".
        let value = try CBOR.decode(try #require(hash.content("cbor")))
        guard case .map(var entries) = value else { Issue.record("not a map"); return }
        let exclusions = BMFF.Exclusion.standard + [BMFF.Exclusion(xpath: "/mdat")]
        let matching = try BMFF.hash(signed, exclusions: exclusions)
        guard case .map(let standardEntries) = C2PA.bmffHash(matching),
              case .array(var list)? = standardEntries.first(where: { $0.0 == .text("exclusions") })?.1 else {
            Issue.record("unexpected BMFF hash layout"); return
        }
        list.append(.map([(.text("xpath"), .text("/mdat"))]))
        entries = entries.map { entry -> (CBOR, CBOR) in
            if entry.0 == .text("exclusions") { return (entry.0, .array(list)) }
            if entry.0 == .text("hash") { return (entry.0, .bytes(matching)) }
            return entry
        }
        let forged = C2PA.cborAssertion(C2PA.bmffHashLabel, .map(entries))
        #expect(throws: ProvenanceError.self) { try C2PAVerifier.checkBMFFHash(forged, bytes: signed) }
    }

    @Test func operatorChainFromConfiguration() throws {
        let data = try Self.scratch()
        let rootKey = P256.Signing.PrivateKey()
        let root = try CertificateAuthority.makeRoot(key: rootKey, now: Date(), commonName: "Operator root")
        let key = P256.Signing.PrivateKey()
        let leaf = try CertificateAuthority.issueSigner(publicKey: key.publicKey, root: root, rootKey: rootKey, now: Date())
        try CertificateAuthority.pem(leaf).write(to: data.appendingPathComponent("chain.pem"), atomically: true, encoding: .utf8)
        try key.pemRepresentation.write(to: data.appendingPathComponent("key.pem"), atomically: true, encoding: .utf8)
        try CertificateAuthority.pem(root).write(to: data.appendingPathComponent("root.pem"), atomically: true, encoding: .utf8)
        try #"{"certificate_chain": "chain.pem", "private_key": "key.pem", "trust_anchors": ["root.pem"]}"#
            .write(to: data.appendingPathComponent("provenance.json"), atomically: true, encoding: .utf8)
        let identity = try CertificateAuthority.identity(dataFolder: data)
        #expect(identity.chain == [leaf])
        #expect(!FileManager.default.fileExists(atPath: data.appendingPathComponent("provenance/ca.pem").path))
        let signed = try C2PA.sign(mp4: try TestMP4.make(), credentials: ContentCredentials(model: "m"), identity: identity)
        #expect(C2PAVerifier.verify(mp4: signed, trustAnchors: try CertificateAuthority.trustAnchors(dataFolder: data)).state == .trusted)

        // A key that does not match the certificate is refused with a message naming both files.
        try P256.Signing.PrivateKey().pemRepresentation.write(to: data.appendingPathComponent("key.pem"), atomically: true, encoding: .utf8)
        #expect(throws: ProvenanceError.self) { try CertificateAuthority.identity(dataFolder: data) }
    }

    static func find(_ needle: [UInt8], in bytes: [UInt8], range: Range<Int>) -> Int? {
        guard range.count >= needle.count else { return nil }
        for i in range.lowerBound...(range.upperBound - needle.count) where bytes[i] == needle[0] {
            if Array(bytes[i..<i + needle.count]) == needle { return i }
        }
        return nil
    }
}
