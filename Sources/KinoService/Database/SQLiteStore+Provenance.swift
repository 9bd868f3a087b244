import Foundation

/// Look-ups `kino verify` needs to name what an invisible watermark's serials point at.
extension SQLiteStore: ProvenanceStore {
    /// The key whose `api_keys.serial` is `serial`.
    public func key(serial: Int64) async throws -> APIKeyRecord? {
        try await database.read { db in
            try db.query("SELECT * FROM api_keys WHERE serial = ?", [.integer(serial)]).first.map(Self.key(from:))
        }
    }

    /// The id of the video whose serial (`videos.seq`, the number the watermark carries) is `serial`.
    public func videoID(serial: Int64) async throws -> String? {
        try await database.read { db in
            try db.query("SELECT id FROM videos WHERE seq = ?", [.integer(serial)]).first?.string("id")
        }
    }
}
