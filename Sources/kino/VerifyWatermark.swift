import Foundation
import KinoMedia

/// The invisible-watermark half of `kino verify`.
///
/// Decodes the clip and asks `InvisibleWatermark` (KinoMedia) for the key and video serials it carries.
enum WatermarkCheck {
    struct Serials: Sendable, Equatable {
        var keySerial: UInt32
        var videoSerial: UInt32
    }

    static func detect(_ url: URL) throws -> Serials? {
        let frames = try MediaDecoder.decodeVideo(at: url)
        guard let detection = InvisibleWatermark.detect(frames) else { return nil }
        return Serials(keySerial: detection.payload.keySerial, videoSerial: detection.payload.videoSerial)
    }
}
