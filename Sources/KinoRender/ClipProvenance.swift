import Crypto
import Foundation
import KinoMedia
import KinoProvenance

/// What ties a clip to where it came from: the C2PA signing identity of the data folder and the facts the
/// manifest states, plus the serials the invisible watermark carries.
public struct ClipProvenance: Sendable {
    public var identity: SigningIdentity
    /// The model that made the clip (the `softwareAgent` of the manifest's `c2pa.created` action).
    public var model: String
    /// api_keys.serial of the key that asked (0: local CLI output).
    public var keySerial: UInt32
    /// videos.seq of the job (0: local CLI output).
    public var videoSerial: UInt32
    /// The files the clip was made from (picture, source video, remixed latents), named in the manifest.
    public var ingredients: [ContentCredentials.Ingredient]

    public init(identity: SigningIdentity, model: String, keySerial: UInt32 = 0, videoSerial: UInt32 = 0,
                ingredients: [ContentCredentials.Ingredient] = []) {
        self.identity = identity
        self.model = model
        self.keySerial = keySerial
        self.videoSerial = videoSerial
        self.ingredients = ingredients
    }

    /// The manifest's ingredients for what a clip starts from; a picture already decoded (evaluation) has no file
    /// to name.
    public static func ingredients(for conditioning: ClipConditioning?) throws -> [ContentCredentials.Ingredient] {
        let (file, role): (URL, String)
        switch conditioning {
        case .none, .imageFrames: return []
        case .image(let url): (file, role) = (url, "The picture the clip starts from (its first frame)")
        case .extend(let url, _, _): (file, role) = (url, "The video this clip continues (its frames open the clip)")
        case .edit(let url, _): (file, role) = (url, "The video this clip re-renders")
        case .remix(let url, _): (file, role) = (url, "The latents of the clip this one remixes")
        }
        let bytes: Data
        do { bytes = try Data(contentsOf: file, options: .mappedIfSafe) } catch {
            throw ClipRenderError.signing("Content credentials: cannot read the input \(file.lastPathComponent) to name it: \(error.localizedDescription)")
        }
        let types = ["png": "image/png", "jpg": "image/jpeg", "jpeg": "image/jpeg", "webp": "image/webp", "mp4": "video/mp4",
                     "mov": "video/quicktime", "webm": "video/webm", "safetensors": "application/octet-stream"]
        let digest = SHA256.hash(data: bytes).map { String(format: "%02x", $0) }.joined()
        return [ContentCredentials.Ingredient(title: file.lastPathComponent, format: types[file.pathExtension.lowercased()] ?? "application/octet-stream",
                                              instanceID: "sha256:\(digest)", description: role)]
    }

    /// What the invisible watermark carries.
    public var watermarkPayload: WatermarkPayload {
        WatermarkPayload(keySerial: keySerial, videoSerial: videoSerial)
    }

    /// Loads (creating on first use) the signing identity of a data folder; see docs/provenance.md.
    public static func identity(dataFolder: URL) throws -> SigningIdentity {
        do {
            return try CertificateAuthority.identity(dataFolder: dataFolder)
        } catch let error as ProvenanceError {
            throw ClipRenderError.signing("Content credentials: \(error.description)")
        }
    }

    /// The C2PA state of a file in words, checked against `identity`'s trust anchors: `trusted`, `valid` (signed,
    /// by someone this server does not trust), `invalid` or `absent`, with who made it and how.
    public static func describe(fileAt url: URL, identity: SigningIdentity) -> String {
        guard let report = try? C2PAVerifier.verify(fileAt: url, trustAnchors: identity.trustAnchors) else { return "unreadable" }
        var text = report.state.rawValue
        if let agent = report.softwareAgent {
            let generated = report.digitalSourceType == C2PA.trainedAlgorithmicMedia ? ", AI-generated" : ""
            text += ": made by \(agent)\(generated)"
        }
        return text
    }

    /// Writes the signed C2PA manifest into the finished MP4 at `url`.
    public func sign(_ url: URL) throws {
        do {
            try C2PA.signFile(at: url, credentials: ContentCredentials(model: model, title: url.lastPathComponent, ingredients: ingredients),
                              identity: identity)
        } catch let error as ProvenanceError {
            throw ClipRenderError.signing("Could not add content credentials to \(url.path): \(error.description)")
        }
    }
}
