import Foundation
import KinoMedia

/// Whom an invisible watermark points to, as far as this data folder knows.
public struct WatermarkOwner: Sendable, Equatable {
    /// The key with the watermark's key serial (nil: serial 0, i.e. local `kino generate`, or a key this data
    /// folder never had).
    public var key: APIKeyRecord?
    /// The video whose serial (`seq`) the watermark carries (nil: serial 0 or unknown here).
    public var video: VideoJob?
}

extension SQLiteStore {
    /// Looks up the key and the video an invisible watermark names (`kino verify`). The video serial is the
    /// video's row number `seq`, which is never reused (videos are only ever marked deleted).
    public func watermarkOwner(_ payload: WatermarkPayload) throws -> WatermarkOwner {
        try database.read { db in
            let key = payload.keySerial == 0 ? nil : try db.query(
                "SELECT * FROM api_keys WHERE serial = ?", [.integer(Int64(payload.keySerial))]).first.map(Self.key(from:))
            let video = payload.videoSerial == 0 ? nil : try db.query(
                "SELECT * FROM videos WHERE seq = ?", [.integer(Int64(payload.videoSerial))]).first.map(Self.job(from:))
            return WatermarkOwner(key: key, video: video)
        }
    }
}
