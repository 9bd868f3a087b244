import Foundation

/// A tester's verdict on one of their videos (thumbs up or down, and a note), as the early-access programme
/// collected it; the operator reads them all (`kino admin feedback`).
public struct VideoFeedback: Sendable, Equatable {
    public enum Rating: String, Sendable, CaseIterable { case up, down }

    public var videoID: String
    public var project: String
    public var rating: Rating?
    public var note: String?
    /// The key that gave it (nil: the local unauthenticated principal).
    public var keyID: String?
    /// Unix milliseconds.
    public var updatedAt: Int64
    /// The video's prompt and model, for the operator's list.
    public var prompt: String = ""
    public var model: String = ""

    public init(videoID: String, project: String, rating: Rating?, note: String?, keyID: String?, updatedAt: Int64) {
        self.videoID = videoID
        self.project = project
        self.rating = rating
        self.note = note
        self.keyID = keyID
        self.updatedAt = updatedAt
    }
}

public protocol FeedbackStore: Sendable {
    /// Sets (replaces) the feedback on a video of `project`; false when the video is not the project's.
    func setFeedback(_ feedback: VideoFeedback) async throws -> Bool
    func feedback(videoIDs: [String]) async throws -> [String: VideoFeedback]
    /// Every video's feedback, newest first (the operator's list and export).
    func allFeedback(limit: Int) async throws -> [VideoFeedback]
}

extension SQLiteStore: FeedbackStore {
    public func setFeedback(_ f: VideoFeedback) async throws -> Bool {
        try await database.write { db in
            guard try !db.query("SELECT 1 FROM videos WHERE id = ? AND project = ? AND deleted_at IS NULL",
                                [.text(f.videoID), .text(f.project)]).isEmpty else { return false }
            try db.execute(
                """
                INSERT INTO video_feedback (video_id, project, rating, note, key_id, updated_at) VALUES (?, ?, ?, ?, ?, ?)
                ON CONFLICT (video_id) DO UPDATE SET rating = excluded.rating, note = excluded.note, key_id = excluded.key_id,
                    updated_at = excluded.updated_at
                """,
                [.text(f.videoID), .text(f.project), f.rating?.rawValue.sql ?? .null, f.note.sql, f.keyID.sql, .integer(f.updatedAt)])
            return true
        }
    }

    public func feedback(videoIDs: [String]) async throws -> [String: VideoFeedback] {
        guard !videoIDs.isEmpty else { return [:] }
        return try await database.read { db in
            let marks = Array(repeating: "?", count: videoIDs.count).joined(separator: ", ")
            let rows = try db.query("SELECT * FROM video_feedback WHERE video_id IN (\(marks))", videoIDs.map(SQLValue.text))
            return Dictionary(rows.map { (Self.feedback(from: $0).videoID, Self.feedback(from: $0)) }, uniquingKeysWith: { a, _ in a })
        }
    }

    public func allFeedback(limit: Int) async throws -> [VideoFeedback] {
        try await database.read { db in
            try db.query(
                """
                SELECT f.*, v.prompt, v.model FROM video_feedback f JOIN videos v ON v.id = f.video_id
                ORDER BY f.updated_at DESC, f.video_id LIMIT ?
                """, [.integer(Int64(limit))]).map(Self.feedback(from:))
        }
    }

    static func feedback(from row: SQLRow) -> VideoFeedback {
        var f = VideoFeedback(videoID: row.string("video_id") ?? "", project: row.string("project") ?? "",
                              rating: row.string("rating").flatMap(VideoFeedback.Rating.init), note: row.string("note"),
                              keyID: row.string("key_id"), updatedAt: row.int("updated_at") ?? 0)
        f.prompt = row.string("prompt") ?? ""
        f.model = row.string("model") ?? ""
        return f
    }
}

extension String {
    var sql: SQLValue { .text(self) }
}

extension VideoService {
    /// `POST /v1/videos/{id}/feedback`: thumbs up or down (`rating`: up, down, or none to clear) and a note.
    public func setFeedback(_ id: String, _ fields: RequestFields, principal: Principal, now: Int64 = Clock.nowMillis()) async throws -> VideoFeedback {
        try principal.require(.generate)
        // An empty note clears the note (a tester who erased it and saved); every other empty field is refused.
        var checked = fields
        if fields.values["note"] != nil && fields["note"] == nil { checked.values["note"] = nil }
        try Self.acceptOnly(["rating", "note"], in: checked)
        try fields.checkLength("note", limit: 2000)
        var rating: VideoFeedback.Rating?
        if let text = fields["rating"], text != "none" {
            guard let parsed = VideoFeedback.Rating(rawValue: text) else {
                throw KinoServiceError.invalid("rating must be up, down or none; got '\(text)'.", param: "rating")
            }
            rating = parsed
        }
        if let note = fields["note"] { try VideoLimits.checkText(note, field: "note") }
        guard fields.has("rating") || fields.has("note") else {
            throw KinoServiceError.invalid("Send a rating (up, down or none) or a note.", param: "rating", code: "missing_required_parameter")
        }
        var current = try await store.feedback(videoIDs: [id])[id]
            ?? VideoFeedback(videoID: id, project: principal.project, rating: nil, note: nil, keyID: nil, updatedAt: now)
        if fields.has("rating") { current.rating = rating }
        if fields.has("note") { current.note = fields["note"] }
        current.project = principal.project
        current.keyID = principal.keyID
        current.updatedAt = now
        guard try await store.setFeedback(current) else { throw Self.notFound(id) }
        return current
    }
}
