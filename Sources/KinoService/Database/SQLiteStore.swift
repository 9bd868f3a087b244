import Foundation

/// The SQLite implementation of Kino's stores (jobs, keys, idempotency records, studio sessions), one file in the
/// data folder. Safe to share between threads and between processes on one machine.
public final class SQLiteStore: Sendable {
    let database: SQLiteDatabase

    /// Opens (creating if needed) the database at `path` and applies pending migrations.
    public init(path: String) throws {
        self.database = try SQLiteDatabase(path: path)
        try Schema.migrate(database)
    }

    /// An in-memory database, for tests.
    public static func inMemory() throws -> SQLiteStore {
        try SQLiteStore(path: ":memory:")
    }

    func appendEvent(_ db: SQLConnection, video: String, event: String, attempt: Int, worker: String?, at: Int64, detail: String? = nil) throws {
        try db.execute(
            "INSERT INTO video_events (video_id, event, attempt, worker, at, detail) VALUES (?, ?, ?, ?, ?, ?)",
            [.text(video), .text(event), .integer(Int64(attempt)), worker.map(SQLValue.text) ?? .null, .integer(at),
             detail.map(SQLValue.text) ?? .null])
        if let type = WebhookEventType.forJobEvent(event, detail: detail) {
            try enqueueWebhooks(db, type: type, videoID: video, now: at)
        }
    }

    static func job(from row: SQLRow) throws -> VideoJob {
        guard let statusText = row.string("status"), let status = VideoStatus(rawValue: statusText),
              let id = row.string("id"), let seq = row.int("seq")
        else { throw KinoServiceError.storage("A row in the videos table is damaged (missing id or status).") }
        let settings = GenerationSettings(
            negativePrompt: row.string("negative_prompt"),
            seed: UInt32(truncatingIfNeeded: row.int("seed") ?? 0),
            steps: row.int("steps").map(Int.init),
            guidance: row.double("guidance"),
            style: row.string("style"),
            turbo: (row.int("turbo") ?? 0) != 0,
            cache: row.string("cache"),
            recipe: row.string("recipe"))
        let request = NewVideoJob(
            id: id,
            project: row.string("project") ?? "",
            keyID: row.string("key_id"),
            keySerial: row.int("key_serial") ?? 0,
            model: row.string("model") ?? "",
            engineModel: row.string("engine_model") ?? "",
            prompt: row.string("prompt") ?? "",
            seconds: Int(row.int("seconds") ?? 0),
            size: VideoSize(width: Int(row.int("width") ?? 0), height: Int(row.int("height") ?? 0)),
            settings: settings,
            watermark: (row.int("watermark") ?? 1) != 0,
            remixOf: row.string("remix_of"),
            remixStrength: row.double("remix_strength"),
            inputFile: row.string("input_file"),
            sourceKind: row.string("source_kind").flatMap(SourceKind.init(rawValue:)),
            sourceVideoID: row.string("source_video_id"),
            chargedSeconds: row.int("charged_seconds").map(Int.init),
            characterID: row.string("character_id"),
            maxAttempts: Int(row.int("max_attempts") ?? 1),
            createdAt: row.int("created_at") ?? 0)
        return VideoJob(
            seq: seq,
            request: request,
            status: status,
            progress: Int(row.int("progress") ?? 0),
            phase: row.string("phase"),
            startedAt: row.int("started_at"),
            previewAt: row.int("preview_at"),
            previewStep: row.int("preview_step").map(Int.init),
            errorCode: row.string("error_code"),
            errorMessage: row.string("error_message"),
            completedAt: row.int("completed_at"),
            expiresAt: row.int("expires_at"),
            attempt: Int(row.int("attempt") ?? 0),
            cancelRequested: (row.int("cancel_requested") ?? 0) != 0,
            hasLatents: (row.int("has_latents") ?? 0) != 0,
            assetsPurged: (row.int("assets_purged") ?? 0) != 0,
            queuePosition: nil)
    }
}

extension Optional where Wrapped == String {
    var sql: SQLValue { map(SQLValue.text) ?? .null }
}
extension SQLiteStore: ServiceStore {}
