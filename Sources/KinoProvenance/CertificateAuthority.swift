import Crypto
import Foundation
import SwiftASN1
import X509

/// The key and certificates Kino signs C2PA manifests with, plus the roots `kino verify` trusts.
public struct SigningIdentity: Sendable {
    /// The P-256 private key's raw scalar (CryptoKit key types are not `Sendable`).
    public var privateKeyBytes: [UInt8]
    /// The end-entity (signing) certificate first, then any intermediates; never the root.
    public var chain: [Certificate]
    /// Roots that make a manifest "trusted": this data folder's CA plus any configured anchors.
    public var trustAnchors: [Certificate]

    public init(privateKey: P256.Signing.PrivateKey, chain: [Certificate], trustAnchors: [Certificate]) {
        self.privateKeyBytes = Array(privateKey.rawRepresentation)
        self.chain = chain
        self.trustAnchors = trustAnchors
    }

    public var privateKey: P256.Signing.PrivateKey {
        get throws { try P256.Signing.PrivateKey(rawRepresentation: privateKeyBytes) }
    }

    public var chainDER: [[UInt8]] {
        get throws { try chain.map(CertificateAuthority.der) }
    }
}

/// Kino's private certificate authority for content credentials, kept in `<data>/provenance/`:
/// `ca.pem` + `ca.key` (the root, 20 years) and `signer.pem` + `signer.key` (the ES256 end-entity certificate
/// C2PA requires: not a CA, digitalSignature, documentSigning and emailProtection EKUs, AKI/SKI). Made on first
/// use; the signer is re-issued when it has less than 30 days left. The signer lives 10 years because Kino
/// signs without an RFC 3161 time stamp (no network), and validators then check the certificate against the
/// current date: a clip's credentials read "valid" only while its signer is. An operator can bring their own chain
/// instead through `<data>/provenance.json` (see docs/provenance.md).
public enum CertificateAuthority {
    public static let folderName = "provenance"
    public static let configName = "provenance.json"
    static let documentSigning: ASN1ObjectIdentifier = [1, 3, 6, 1, 5, 5, 7, 3, 36]

    /// The operator's own signing chain, `<data>/provenance.json`. Paths are relative to the data folder.
    public struct Configuration: Codable, Sendable, Equatable {
        /// PEM file: the signing certificate, then intermediates.
        public var certificateChain: String?
        /// PEM file: the signing certificate's P-256 private key (PKCS#8 or SEC1).
        public var privateKey: String?
        /// PEM files whose certificates count as trust anchors for `kino verify` (besides Kino's own root).
        public var trustAnchors: [String]?

        enum CodingKeys: String, CodingKey {
            case certificateChain = "certificate_chain", privateKey = "private_key", trustAnchors = "trust_anchors"
        }
    }

    /// The identity for this data folder: the configured chain if `provenance.json` names one, else Kino's own
    /// CA, created now if it does not exist yet.
    public static func identity(dataFolder: URL, now: Date = Date()) throws -> SigningIdentity {
        let config = try configuration(dataFolder: dataFolder)
        var anchors = try config.trustAnchors.map { try $0.flatMap { try loadCertificates(resolve($0, in: dataFolder)) } } ?? []
        if let chainPath = config.certificateChain ?? nil {
            guard let keyPath = config.privateKey else {
                throw ProvenanceError("\(configName) names certificate_chain but no private_key; give both, or neither to use Kino's own CA")
            }
            let chain = try loadCertificates(resolve(chainPath, in: dataFolder))
            let key = try loadPrivateKey(resolve(keyPath, in: dataFolder))
            guard chain.first?.publicKey == Certificate.PublicKey(key.publicKey) else {
                throw ProvenanceError("the first certificate in \(chainPath) does not belong to the private key in \(keyPath)")
            }
            if let ownRoot = try? loadCertificates(dataFolder.appendingPathComponent("\(folderName)/ca.pem")) { anchors += ownRoot }
            return SigningIdentity(privateKey: key, chain: chain, trustAnchors: anchors)
        }
        let own = try ownIdentity(folder: dataFolder.appendingPathComponent(folderName, isDirectory: true), now: now)
        return SigningIdentity(privateKey: try own.privateKey, chain: own.chain, trustAnchors: own.trustAnchors + anchors)
    }

    /// The roots `kino verify` trusts for this data folder, without creating anything.
    public static func trustAnchors(dataFolder: URL) throws -> [Certificate] {
        let config = try configuration(dataFolder: dataFolder)
        var anchors = try config.trustAnchors.map { try $0.flatMap { try loadCertificates(resolve($0, in: dataFolder)) } } ?? []
        let root = dataFolder.appendingPathComponent("\(folderName)/ca.pem")
        if FileManager.default.fileExists(atPath: root.path) { anchors += try loadCertificates(root) }
        return anchors
    }

    static func configuration(dataFolder: URL) throws -> Configuration {
        let url = dataFolder.appendingPathComponent(configName)
        guard FileManager.default.fileExists(atPath: url.path) else { return Configuration() }
        do {
            return try JSONDecoder().decode(Configuration.self, from: Data(contentsOf: url))
        } catch {
            throw ProvenanceError("cannot read \(url.path): \(error). Expected JSON with certificate_chain, private_key and trust_anchors (paths relative to the data folder)")
        }
    }

    static func resolve(_ path: String, in folder: URL) -> URL {
        path.hasPrefix("/") ? URL(fileURLWithPath: path) : folder.appendingPathComponent(path)
    }

    // MARK: Kino's own CA

    static func ownIdentity(folder: URL, now: Date) throws -> SigningIdentity {
        let caURL = folder.appendingPathComponent("ca.pem"), caKeyURL = folder.appendingPathComponent("ca.key")
        let signerURL = folder.appendingPathComponent("signer.pem"), signerKeyURL = folder.appendingPathComponent("signer.key")
        let fm = FileManager.default
        do {
            try fm.createDirectory(at: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        } catch {
            throw ProvenanceError("cannot create \(folder.path) for Kino's signing CA: \(error.localizedDescription). Pass --data DIR or set KINO_DATA to a writable folder")
        }
        // Two processes starting on a fresh data folder (say `kino serve` and `kino generate`) must not each
        // make a root: hold an exclusive lock while reading or creating the files.
        let lock = try FolderLock(folder.appendingPathComponent(".lock"))
        defer { lock.release() }
        if !fm.fileExists(atPath: caURL.path) {
            let key = P256.Signing.PrivateKey()
            let root = try makeRoot(key: key, now: now)
            try writeSecret(key.pemRepresentation, to: caKeyURL)
            try write(pem(root), to: caURL)
        }
        let caKey = try loadPrivateKey(caKeyURL)
        guard let root = try loadCertificates(caURL).first else { throw ProvenanceError("\(caURL.path) holds no certificate") }
        if fm.fileExists(atPath: signerURL.path), fm.fileExists(atPath: signerKeyURL.path),
           let signer = try loadCertificates(signerURL).first,
           signer.notValidAfter > now.addingTimeInterval(30 * 86400), signer.issuer == root.subject {
            return SigningIdentity(privateKey: try loadPrivateKey(signerKeyURL), chain: [signer], trustAnchors: [root])
        }
        let key = P256.Signing.PrivateKey()
        let signer = try issueSigner(publicKey: key.publicKey, root: root, rootKey: caKey, now: now)
        try writeSecret(key.pemRepresentation, to: signerKeyURL)
        try write(pem(signer), to: signerURL)
        return SigningIdentity(privateKey: key, chain: [signer], trustAnchors: [root])
    }

    public static func makeRoot(key: P256.Signing.PrivateKey, now: Date, commonName: String = "Kino content credentials root") throws -> Certificate {
        let name = try DistinguishedName {
            OrganizationName("Kino")
            CommonName(commonName)
        }
        let publicKey = Certificate.PublicKey(key.publicKey)
        let ski = SubjectKeyIdentifier(hash: publicKey)
        let extensions = try Certificate.Extensions {
            Critical(BasicConstraints.isCertificateAuthority(maxPathLength: 0))
            Critical(KeyUsage(keyCertSign: true, cRLSign: true))
            ski
            AuthorityKeyIdentifier(keyIdentifier: ski.keyIdentifier)
        }
        return try Certificate(version: .v3, serialNumber: Certificate.SerialNumber(), publicKey: publicKey,
                               notValidBefore: now.addingTimeInterval(-3600), notValidAfter: now.addingTimeInterval(20 * 365 * 86400),
                               issuer: name, subject: name, signatureAlgorithm: .ecdsaWithSHA256, extensions: extensions,
                               issuerPrivateKey: Certificate.PrivateKey(key))
    }

    public static func issueSigner(publicKey: P256.Signing.PublicKey, root: Certificate, rootKey: P256.Signing.PrivateKey,
                                   now: Date, validDays: Double = 10 * 365) throws -> Certificate {
        let subject = try DistinguishedName {
            OrganizationName("Kino")
            CommonName("Kino content credentials signer")
        }
        let key = Certificate.PublicKey(publicKey)
        let rootSKI = try root.extensions.subjectKeyIdentifier?.keyIdentifier ?? SubjectKeyIdentifier(hash: root.publicKey).keyIdentifier
        let extensions = try Certificate.Extensions {
            Critical(BasicConstraints.notCertificateAuthority)
            Critical(KeyUsage(digitalSignature: true))
            try ExtendedKeyUsage([ExtendedKeyUsage.Usage(oid: documentSigning), .emailProtection])
            SubjectKeyIdentifier(hash: key)
            AuthorityKeyIdentifier(keyIdentifier: rootSKI)
        }
        let notAfter = min(now.addingTimeInterval(validDays * 86400), root.notValidAfter)
        return try Certificate(version: .v3, serialNumber: Certificate.SerialNumber(), publicKey: key,
                               notValidBefore: now.addingTimeInterval(-3600), notValidAfter: notAfter,
                               issuer: root.subject, subject: subject, signatureAlgorithm: .ecdsaWithSHA256,
                               extensions: extensions, issuerPrivateKey: Certificate.PrivateKey(rootKey))
    }

    // MARK: Files

    public static func der(_ certificate: Certificate) throws -> [UInt8] {
        var serializer = DER.Serializer()
        try serializer.serialize(certificate)
        return serializer.serializedBytes
    }

    public static func pem(_ certificate: Certificate) throws -> String {
        try certificate.serializeAsPEM().pemString + "\n"
    }

    public static func loadCertificates(_ url: URL) throws -> [Certificate] {
        let text: String
        do { text = try String(contentsOf: url, encoding: .utf8) } catch {
            throw ProvenanceError("cannot read certificates from \(url.path): \(error.localizedDescription)")
        }
        do {
            let certificates = try PEMDocument.parseMultiple(pemString: text)
                .filter { $0.discriminator == "CERTIFICATE" }.map { try Certificate(pemDocument: $0) }
            guard !certificates.isEmpty else { throw ProvenanceError("no CERTIFICATE block") }
            return certificates
        } catch {
            throw ProvenanceError("\(url.path) is not a PEM certificate file: \(error)")
        }
    }

    public static func loadPrivateKey(_ url: URL) throws -> P256.Signing.PrivateKey {
        let text: String
        do { text = try String(contentsOf: url, encoding: .utf8) } catch {
            throw ProvenanceError("cannot read the private key \(url.path): \(error.localizedDescription)")
        }
        do {
            return try P256.Signing.PrivateKey(pemRepresentation: text)
        } catch {
            throw ProvenanceError("\(url.path) is not a PEM P-256 private key (ES256 needs P-256): \(error)")
        }
    }

    static func write(_ text: String, to url: URL) throws {
        do { try Data(text.utf8).write(to: url, options: .atomic) } catch {
            throw ProvenanceError("cannot write \(url.path): \(error.localizedDescription)")
        }
    }

    static func writeSecret(_ text: String, to url: URL) throws {
        try write(text, to: url)
        try? FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: url.path)
    }
}

/// An exclusive `flock` on a file, released on `release()`.
struct FolderLock {
    let descriptor: Int32

    init(_ url: URL) throws {
        descriptor = open(url.path, O_CREAT | O_RDWR, 0o600)
        guard descriptor >= 0 else { throw ProvenanceError("cannot open the lock file \(url.path) (errno \(errno))") }
        guard flock(descriptor, LOCK_EX) == 0 else {
            close(descriptor)
            throw ProvenanceError("cannot lock \(url.path) (errno \(errno))")
        }
    }

    func release() {
        flock(descriptor, LOCK_UN)
        close(descriptor)
    }
}
