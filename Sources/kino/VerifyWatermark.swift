import Foundation
import KinoMedia

/// The invisible-watermark half of `kino verify`.
///
/// The detector (`InvisibleWatermark` in KinoMedia, issue 8 part 3) is built on its own branch. This is coded
/// against its announced API and compiled in with `KINO_INVISIBLE_WATERMARK` once that branch is merged
/// (then drop the condition); until then every file reads as `watermark: absent`.
enum WatermarkCheck {
    struct Serials: Sendable, Equatable {
        var keySerial: UInt32
        var videoSerial: UInt32
    }

    static func detect(_ url: URL) throws -> Serials? {
        #if KINO_INVISIBLE_WATERMARK
        let frames = try MediaDecoder.decodeVideo(at: url)
        guard let detection = InvisibleWatermark.detect(frames) else { return nil }
        return Serials(keySerial: detection.payload.keySerial, videoSerial: detection.payload.videoSerial)
        #else
        _ = url
        return nil
        #endif
    }
}
