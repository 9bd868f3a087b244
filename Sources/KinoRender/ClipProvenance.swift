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

    public init(identity: SigningIdentity, model: String, keySerial: UInt32 = 0, videoSerial: UInt32 = 0) {
        self.identity = identity
        self.model = model
        self.keySerial = keySerial
        self.videoSerial = videoSerial
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

    /// Writes the signed C2PA manifest into the finished MP4 at `url`.
    public func sign(_ url: URL) throws {
        do {
            try C2PA.signFile(at: url, credentials: ContentCredentials(model: model, title: url.lastPathComponent), identity: identity)
        } catch let error as ProvenanceError {
            throw ClipRenderError.signing("Could not add content credentials to \(url.path): \(error.description)")
        }
    }
}
