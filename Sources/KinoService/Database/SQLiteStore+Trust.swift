import Foundation

extension SQLiteStore: TrustStore {
    public func updateKeyLimits(id: String, _ changes: [String: LimitSetting]) async throws -> Bool {
        try await database.write { db in
            guard !(try db.query("SELECT id FROM api_keys WHERE id = ?", [.text(id)])).isEmpty else { return false }
            for (name, setting) in changes.sorted(by: { $0.key < $1.key }) {
                guard KeyLimits.fields.contains(where: { $0.name == name }) else {
                    throw KinoServiceError.invalid("Unknown limit '\(name)'.", param: name)
                }
                // `name` is one of the fixed column names above, never user text.
                try db.execute("UPDATE api_keys SET \(name) = ? WHERE id = ?",
                               [setting.stored.map { .integer(Int64($0)) } ?? .null, .text(id)])
            }
            return true
        }
    }

    static func limits(from row: SQLRow) -> KeyLimits {
        var limits = KeyLimits()
        for field in KeyLimits.fields {
            limits[keyPath: field.path] = row.int(field.name).map(Int.init)
        }
        return limits
    }

    public func takeRateToken(keyID: String, gcra: GCRA, now: Int64) async throws -> GCRA.Decision {
        try await database.write { db in
            let tat = try db.query("SELECT tat FROM rate_limits WHERE key_id = ?", [.text(keyID)]).first?.int("tat")
            let decision = gcra.decide(tat: tat, now: now)
            if decision.allowed {
                try db.execute(
                    "INSERT INTO rate_limits (key_id, tat) VALUES (?, ?) ON CONFLICT (key_id) DO UPDATE SET tat = excluded.tat",
                    [.text(keyID), .integer(decision.newTAT)])
            }
            return decision
        }
    }

    public func insertAdmitted(_ job: NewVideoJob, limits: AdmissionLimits, now: Int64) async throws -> VideoJob {
        try await database.write { db in
            if let keyID = job.keyID {
                try self.checkAdmission(db, keyID: keyID, seconds: job.chargedSeconds ?? job.seconds, limits: limits, now: now)
            }
            return try self.insertRow(db, job)
        }
    }

    private func checkAdmission(_ db: SQLConnection, keyID: String, seconds: Int, limits: AdmissionLimits, now: Int64) throws {
        if limits.maxQueued != nil || limits.maxConcurrent != nil {
            let row = try db.query(
                """
                SELECT SUM(CASE WHEN status = 'queued' THEN 1 ELSE 0 END) AS queued,
                       SUM(CASE WHEN status = 'in_progress' THEN 1 ELSE 0 END) AS running
                FROM videos WHERE key_id = ? AND deleted_at IS NULL AND status IN ('queued', 'in_progress')
                """, [.text(keyID)]).first
            let queued = Int(row?.int("queued") ?? 0)
            let running = Int(row?.int("running") ?? 0)
            if let limit = limits.maxQueued, queued >= limit {
                throw KinoServiceError.rateLimited(
                    "This API key already has \(queued) videos waiting in the queue (its limit is \(limit)). Wait for some to start, or ask an administrator to raise max_queued.",
                    code: "queue_full", retryAfterSeconds: 5, headers: ["x-ratelimit-limit-queued": "\(limit)", "x-ratelimit-remaining-queued": "0"])
            }
            if let limit = limits.maxConcurrent, queued + running >= limit {
                throw KinoServiceError.rateLimited(
                    "This API key already has \(queued + running) unfinished videos (its limit is \(limit) at once). Wait for one to finish, or ask an administrator to raise max_concurrent.",
                    code: "concurrency_limit_exceeded", retryAfterSeconds: 5,
                    headers: ["x-ratelimit-limit-concurrent": "\(limit)", "x-ratelimit-remaining-concurrent": "0"])
            }
        }
        if let limit = limits.clipSecondsPerDay {
            let dayAgo = now - 24 * 3600 * 1000
            let rows = try db.query(
                """
                SELECT COALESCE(charged_seconds, seconds) AS seconds, created_at FROM videos
                WHERE key_id = ? AND created_at > ? AND status <> 'failed' ORDER BY created_at
                """, [.text(keyID), .integer(dayAgo)])
            let used = rows.reduce(0) { $0 + Int($1.int("seconds") ?? 0) }
            if used + seconds > limit {
                // The window slides: find when enough of today's seconds fall out of it.
                var freed = 0
                var retryAt = now + 24 * 3600 * 1000
                for row in rows {
                    freed += Int(row.int("seconds") ?? 0)
                    if used - freed + seconds <= limit {
                        retryAt = (row.int("created_at") ?? now) + 24 * 3600 * 1000
                        break
                    }
                }
                let retry = max(1, Int((retryAt - now + 999) / 1000))
                let remaining = max(0, limit - used)
                throw KinoServiceError.rateLimited(
                    seconds > limit
                        ? "A \(seconds)-second video is more than this API key's daily allowance of \(limit) clip-seconds."
                        : "This API key has used \(used) of its \(limit) clip-seconds in the last 24 hours; a \(seconds)-second video does not fit. Try again in \(retry) s or ask an administrator to raise clip_seconds_per_day.",
                    code: "quota_exceeded", retryAfterSeconds: retry,
                    headers: ["x-ratelimit-limit-clip-seconds": "\(limit)", "x-ratelimit-remaining-clip-seconds": "\(remaining)"])
            }
        }
    }

    // MARK: Pause

    public func pauseState() async throws -> PauseState? {
        try await database.read { db in
            guard let row = try db.query("SELECT value, updated_at, updated_by FROM service_state WHERE name = 'pause'").first else { return nil }
            return PauseState(message: row.string("value") ?? "", since: row.int("updated_at") ?? 0, by: row.string("updated_by"))
        }
    }

    public func setPause(message: String?, by: String?, now: Int64) async throws {
        try await database.write { db in
            if let message {
                try db.execute(
                    """
                    INSERT INTO service_state (name, value, updated_at, updated_by) VALUES ('pause', ?, ?, ?)
                    ON CONFLICT (name) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at, updated_by = excluded.updated_by
                    """, [.text(message), .integer(now), by.sql])
            } else {
                try db.execute("DELETE FROM service_state WHERE name = 'pause'")
            }
        }
    }

    // MARK: Moderation audit

    public func recordModeration(_ entry: ModerationLogEntry) async throws {
        try await database.write { db in
            try db.execute(
                """
                INSERT INTO moderation_decisions (at, key_id, project, route, decision, category, rule, video_id, prompt)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                """,
                [.integer(entry.at), entry.keyID.sql, .text(entry.project), .text(entry.route), .text(entry.decision),
                 entry.category.sql, entry.rule.sql, entry.videoID.sql, .text(String(entry.prompt.prefix(4000)))])
        }
    }

    public func moderationLog(limit: Int) async throws -> [ModerationLogEntry] {
        try await database.read { db in
            try db.query("SELECT * FROM moderation_decisions ORDER BY seq DESC LIMIT ?", [.integer(Int64(limit))]).map { row in
                ModerationLogEntry(
                    at: row.int("at") ?? 0, keyID: row.string("key_id"), project: row.string("project") ?? "",
                    route: row.string("route") ?? "", decision: row.string("decision") ?? "", category: row.string("category"),
                    rule: row.string("rule"), videoID: row.string("video_id"), prompt: row.string("prompt") ?? "")
            }
        }
    }

    // MARK: Review before sharing

    static let shareColumns = """
        SELECT s.video_id, s.project, s.state, s.requested_at, s.requested_by, s.decided_at, s.decided_by, s.reason, s.note, s.allow_download,
               v.prompt, v.seconds, v.width, v.height, v.model
        FROM video_shares s JOIN videos v ON v.id = s.video_id
        WHERE v.deleted_at IS NULL AND v.assets_purged = 0
        """

    static func share(from row: SQLRow) -> ShareRecord? {
        guard let id = row.string("video_id"), let state = row.string("state").flatMap(ShareState.init) else { return nil }
        var record = ShareRecord(
            videoID: id, project: row.string("project") ?? "", state: state, requestedAt: row.int("requested_at") ?? 0,
            requestedBy: row.string("requested_by"), decidedAt: row.int("decided_at"), decidedBy: row.string("decided_by"),
            reason: row.string("reason"), note: row.string("note"), prompt: row.string("prompt") ?? "", seconds: Int(row.int("seconds") ?? 0),
            size: VideoSize(width: Int(row.int("width") ?? 0), height: Int(row.int("height") ?? 0)), model: row.string("model") ?? "")
        record.allowDownload = (row.int("allow_download") ?? 0) != 0
        return record
    }

    public func shareSummaries(videoIDs: [String]) async throws -> [String: ShareSummary] {
        guard !videoIDs.isEmpty else { return [:] }
        return try await database.read { db in
            let marks = Array(repeating: "?", count: videoIDs.count).joined(separator: ", ")
            var result: [String: ShareSummary] = [:]
            for row in try db.query("SELECT video_id, state, reason, note, allow_download FROM video_shares WHERE video_id IN (\(marks))",
                                    videoIDs.map(SQLValue.text)) {
                guard let id = row.string("video_id"), let state = row.string("state").flatMap(ShareState.init) else { continue }
                result[id] = ShareSummary(state: state, reason: row.string("reason"), note: row.string("note"),
                                          allowDownload: (row.int("allow_download") ?? 0) != 0)
            }
            return result
        }
    }

    public func requestShare(videoID: String, project: String, by: String?, note: String?, allowDownload: Bool, now: Int64) async throws -> ShareRecord? {
        try await database.write { db in
            guard let video = try db.query(
                "SELECT status, assets_purged FROM videos WHERE id = ? AND project = ? AND deleted_at IS NULL",
                [.text(videoID), .text(project)]).first else { return nil }
            guard video.string("status") == VideoStatus.completed.rawValue, (video.int("assets_purged") ?? 0) == 0 else {
                throw KinoServiceError.invalid(
                    "Video \(videoID) is \(video.string("status") ?? "unknown")\((video.int("assets_purged") ?? 0) != 0 ? " and its files expired" : ""); only completed videos can be published.",
                    param: "video_id", code: "invalid_video_state")
            }
            let existing = try db.query("SELECT state FROM video_shares WHERE video_id = ?", [.text(videoID)]).first?.string("state")
            if existing == ShareState.rejected.rawValue, (note ?? "").isEmpty {
                throw KinoServiceError.invalid(
                    "Video \(videoID) was rejected by a moderator; to ask again, add a note saying what changed (`note`).",
                    param: "note", code: "note_required")
            }
            // Whether viewers may download is the owner's to change at any time, also once approved.
            try db.execute("UPDATE video_shares SET allow_download = ? WHERE video_id = ?", [.integer(allowDownload ? 1 : 0), .text(videoID)])
            if existing != ShareState.approved.rawValue, existing != ShareState.pending.rawValue {
                try db.execute(
                    """
                    INSERT INTO video_shares (video_id, project, state, requested_at, requested_by, note, allow_download)
                    VALUES (?, ?, 'pending', ?, ?, ?, ?)
                    ON CONFLICT (video_id) DO UPDATE SET state = 'pending', requested_at = excluded.requested_at,
                        requested_by = excluded.requested_by, decided_at = NULL, decided_by = NULL, reason = NULL, note = excluded.note
                    """, [.text(videoID), .text(project), .integer(now), by.sql, note.sql, .integer(allowDownload ? 1 : 0)])
                try self.appendEvent(db, video: videoID, event: "publish_requested", attempt: 0, worker: nil, at: now, detail: by.map { "key \($0)" })
            }
            return try db.query(Self.shareColumns + " AND s.video_id = ?", [.text(videoID)]).first.flatMap(Self.share(from:))
        }
    }

    public func shares(state: ShareState?, limit: Int) async throws -> [ShareRecord] {
        try await database.read { db in
            var sql = Self.shareColumns
            var args: [SQLValue] = []
            if let state {
                sql += " AND s.state = ?"
                args.append(.text(state.rawValue))
            }
            sql += state == .approved ? " ORDER BY s.decided_at DESC LIMIT ?" : " ORDER BY s.requested_at LIMIT ?"
            args.append(.integer(Int64(limit)))
            return try db.query(sql, args).compactMap(Self.share(from:))
        }
    }

    public func share(videoID: String) async throws -> ShareRecord? {
        try await database.read { db in
            try db.query(Self.shareColumns + " AND s.video_id = ?", [.text(videoID)]).first.flatMap(Self.share(from:))
        }
    }

    public func decideShare(videoID: String, approve: Bool, reason: String?, by: String?, now: Int64) async throws -> ShareRecord? {
        try await database.write { db in
            guard try !db.query(Self.shareColumns + " AND s.video_id = ?", [.text(videoID)]).isEmpty else { return nil }
            let state = approve ? ShareState.approved : ShareState.rejected
            try db.execute(
                "UPDATE video_shares SET state = ?, decided_at = ?, decided_by = ?, reason = ? WHERE video_id = ?",
                [.text(state.rawValue), .integer(now), by.sql, reason.sql, .text(videoID)])
            let detail = ["by key \(by ?? "local")", reason.map { "reason: \($0)" }].compactMap { $0 }.joined(separator: "; ")
            try self.appendEvent(db, video: videoID, event: approve ? "share_approved" : "share_rejected", attempt: 0, worker: nil, at: now, detail: detail)
            return try db.query(Self.shareColumns + " AND s.video_id = ?", [.text(videoID)]).first.flatMap(Self.share(from:))
        }
    }
}
