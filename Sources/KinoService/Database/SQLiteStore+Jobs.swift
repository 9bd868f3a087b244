import Foundation

extension SQLiteStore: JobStore {
    public func insert(_ job: NewVideoJob) async throws -> VideoJob {
        try await database.write { db in try self.insertRow(db, job) }
    }

    /// The insert inside a caller's transaction (admission checks run in the same one, see SQLiteStore+Trust).
    func insertRow(_ db: SQLConnection, _ job: NewVideoJob) throws -> VideoJob {
        try db.execute(
            """
            INSERT INTO videos (id, project, key_id, key_serial, model, engine_model, prompt, negative_prompt,
                seconds, width, height, seed, steps, guidance, style, turbo, cache, recipe, watermark, remix_of, remix_strength,
                input_file, source_kind, source_video_id, charged_seconds, character_id, status, progress, created_at, attempt, max_attempts,
                run_after)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'queued', 0, ?, 0, ?, ?)
            """,
            [.text(job.id), .text(job.project), job.keyID.sql, .integer(job.keySerial), .text(job.model),
             .text(job.engineModel), .text(job.prompt), job.settings.negativePrompt.sql,
             .integer(Int64(job.seconds)), .integer(Int64(job.size.width)), .integer(Int64(job.size.height)),
             .integer(Int64(job.settings.seed)), job.settings.steps.map { .integer(Int64($0)) } ?? .null,
             job.settings.guidance.map(SQLValue.real) ?? .null, job.settings.style.sql, .integer(job.settings.turbo ? 1 : 0),
             job.settings.cache.sql, job.settings.recipe.sql,
             .integer(job.watermark ? 1 : 0), job.remixOf.sql, job.remixStrength.map(SQLValue.real) ?? .null,
             job.inputFile.sql, job.sourceKind.map { .text($0.rawValue) } ?? .null, job.sourceVideoID.sql,
             job.chargedSeconds.map { .integer(Int64($0)) } ?? .null, job.characterID.sql, .integer(job.createdAt), .integer(Int64(job.maxAttempts)), .integer(job.createdAt)])
        try self.appendEvent(db, video: job.id, event: "queued", attempt: 0, worker: nil, at: job.createdAt)
        guard let row = try db.query("SELECT * FROM videos WHERE id = ?", [.text(job.id)]).first else {
            throw KinoServiceError.storage("The new job \(job.id) was not found right after inserting it.")
        }
        var stored = try Self.job(from: row)
        stored.queuePosition = try self.queuePosition(db, seq: stored.seq)
        return stored
    }

    public func job(id: String, project: String?) async throws -> VideoJob? {
        try await database.read { db in
            var sql = "SELECT * FROM videos WHERE id = ? AND deleted_at IS NULL"
            var args: [SQLValue] = [.text(id)]
            if let project {
                sql += " AND project = ?"
                args.append(.text(project))
            }
            guard let row = try db.query(sql, args).first else { return nil }
            var job = try Self.job(from: row)
            if job.status == .queued { job.queuePosition = try self.queuePosition(db, seq: job.seq) }
            return job
        }
    }

    public func list(project: String, after: String?, limit: Int, order: SortOrder) async throws -> JobPage {
        try await database.read { db in
            var sql = "SELECT * FROM videos WHERE project = ? AND deleted_at IS NULL"
            var args: [SQLValue] = [.text(project)]
            if let after {
                guard let cursor = try db.query(
                    "SELECT seq FROM videos WHERE id = ? AND project = ?", [.text(after), .text(project)]
                ).first?.int("seq") else {
                    throw KinoServiceError.invalid("The cursor `after=\(after)` is not a video of this project.", param: "after")
                }
                sql += order == .asc ? " AND seq > ?" : " AND seq < ?"
                args.append(.integer(cursor))
            }
            sql += order == .asc ? " ORDER BY seq ASC" : " ORDER BY seq DESC"
            sql += " LIMIT ?"
            args.append(.integer(Int64(limit + 1)))
            var jobs = try db.query(sql, args).map(Self.job(from:))
            let hasMore = jobs.count > limit
            if hasMore { jobs.removeLast() }
            for index in jobs.indices where jobs[index].status == .queued {
                jobs[index].queuePosition = try self.queuePosition(db, seq: jobs[index].seq)
            }
            return JobPage(jobs: jobs, hasMore: hasMore)
        }
    }

    public func claim(worker: String, leaseMillis: Int64, now: Int64) async throws -> JobLease? {
        let token = UUID().uuidString.lowercased()
        return try await database.write { db in
            // One statement inside BEGIN IMMEDIATE: no other writer can claim between the SELECT and the UPDATE.
            // PostgreSQL: the inner SELECT becomes `... FOR UPDATE SKIP LOCKED` inside a CTE.
            let rows = try db.query(
                """
                UPDATE videos
                SET status = 'in_progress', attempt = attempt + 1, lease_owner = ?, lease_token = ?,
                    lease_expires_at = ?, heartbeat_at = ?, progress = 0, phase = NULL, started_at = ?,
                    preview_at = NULL, preview_step = NULL
                WHERE seq = (
                    SELECT seq FROM videos
                    WHERE status = 'queued' AND deleted_at IS NULL AND run_after <= ?
                    ORDER BY seq LIMIT 1)
                RETURNING *
                """,
                [.text(worker), .text(token), .integer(now + leaseMillis), .integer(now), .integer(now), .integer(now)])
            guard let row = rows.first else { return nil }
            let job = try Self.job(from: row)
            try db.execute("DELETE FROM video_previews WHERE video_id = ?", [.text(job.id)])
            try self.appendEvent(db, video: job.id, event: "claimed", attempt: job.attempt, worker: worker, at: now)
            return JobLease(job: job, worker: worker, token: token, attempt: job.attempt, expiresAt: now + leaseMillis)
        }
    }

    public func heartbeat(_ lease: inout JobLease, progress: Int?, phase: String?, leaseMillis: Int64, now: Int64) async throws -> Bool {
        let expires = now + leaseMillis
        let held = lease
        let cancel: Bool = try await database.write { db in
            let rows = try db.query(
                """
                UPDATE videos SET lease_expires_at = ?, heartbeat_at = ?, progress = COALESCE(?, progress), phase = COALESCE(?, phase)
                WHERE id = ? AND status = 'in_progress' AND lease_token = ?
                RETURNING cancel_requested, deleted_at
                """,
                [.integer(expires), .integer(now), progress.map { .integer(Int64(min(max($0, 0), 99))) } ?? .null, phase.sql,
                 .text(held.job.id), .text(held.token)])
            guard let row = rows.first else { throw Self.leaseLost(held) }
            return (row.int("cancel_requested") ?? 0) != 0 || row.int("deleted_at") != nil
        }
        lease.expiresAt = expires
        return cancel
    }

    public func savePreview(_ lease: JobLease, _ preview: RenderPreview, now: Int64) async throws {
        try await database.write { db in
            try db.execute(
                "UPDATE videos SET preview_at = ?, preview_step = ? WHERE id = ? AND status = 'in_progress' AND lease_token = ?",
                [.integer(now), .integer(Int64(preview.step)), .text(lease.job.id), .text(lease.token)])
            guard db.changes == 1 else { throw Self.leaseLost(lease) }
            try db.execute(
                """
                INSERT INTO video_previews (video_id, image, step, steps, updated_at) VALUES (?, ?, ?, ?, ?)
                ON CONFLICT (video_id) DO UPDATE SET image = excluded.image, step = excluded.step, steps = excluded.steps,
                    updated_at = excluded.updated_at
                """,
                [.text(lease.job.id), .blob(preview.png), .integer(Int64(preview.step)), .integer(Int64(preview.steps)), .integer(now)])
        }
    }

    public func preview(videoID: String) async throws -> RenderPreview? {
        try await database.read { db in
            try db.query("SELECT image, step, steps FROM video_previews WHERE video_id = ?", [.text(videoID)]).first.map {
                RenderPreview(png: $0.bytes("image") ?? [], step: Int($0.int("step") ?? 0), steps: Int($0.int("steps") ?? 0))
            }
        }
    }

    public func complete(_ lease: JobLease, _ completion: JobCompletion) async throws {
        try await database.write { db in
            try db.execute(
                """
                UPDATE videos SET status = 'completed', progress = 100, completed_at = ?, expires_at = ?,
                    has_latents = ?, lease_owner = NULL, lease_token = NULL, lease_expires_at = NULL
                WHERE id = ? AND status = 'in_progress' AND lease_token = ?
                """,
                [.integer(completion.completedAt), .integer(completion.expiresAt), .integer(completion.hasLatents ? 1 : 0),
                 .text(lease.job.id), .text(lease.token)])
            guard db.changes == 1 else { throw Self.leaseLost(lease) }
            try self.appendEvent(db, video: lease.job.id, event: "completed", attempt: lease.attempt, worker: lease.worker, at: completion.completedAt)
        }
    }

    public func fail(_ lease: JobLease, code: String, message: String, now: Int64) async throws {
        try await database.write { db in
            try db.execute(
                """
                UPDATE videos SET status = 'failed', error_code = ?, error_message = ?, completed_at = ?,
                    lease_owner = NULL, lease_token = NULL, lease_expires_at = NULL
                WHERE id = ? AND status = 'in_progress' AND lease_token = ?
                """,
                [.text(code), .text(message), .integer(now), .text(lease.job.id), .text(lease.token)])
            guard db.changes == 1 else { throw Self.leaseLost(lease) }
            try self.appendEvent(db, video: lease.job.id, event: "failed", attempt: lease.attempt, worker: lease.worker, at: now, detail: code)
        }
    }

    public func release(_ lease: JobLease, now: Int64) async throws {
        try await database.write { db in
            try db.execute(
                """
                UPDATE videos SET status = 'queued', attempt = attempt - 1, progress = 0, run_after = ?,
                    lease_owner = NULL, lease_token = NULL, lease_expires_at = NULL
                WHERE id = ? AND status = 'in_progress' AND lease_token = ?
                """,
                [.integer(now), .text(lease.job.id), .text(lease.token)])
            guard db.changes == 1 else { throw Self.leaseLost(lease) }
            try self.appendEvent(db, video: lease.job.id, event: "released", attempt: lease.attempt, worker: lease.worker, at: now)
        }
    }

    public func rescueExpired(now: Int64, backoffMillis: Int64) async throws -> [String] {
        try await database.write { db in
            let stale = try db.query(
                "SELECT id, attempt, max_attempts, cancel_requested, lease_owner FROM videos WHERE status = 'in_progress' AND lease_expires_at < ?",
                [.integer(now)])
            var touched: [String] = []
            for row in stale {
                guard let id = row.string("id") else { continue }
                let attempt = row.int("attempt") ?? 0
                let cancelled = (row.int("cancel_requested") ?? 0) != 0
                if cancelled || attempt >= (row.int("max_attempts") ?? 1) {
                    let code = cancelled ? "cancelled" : "worker_lost"
                    let message = cancelled
                        ? "The video was cancelled."
                        : "The worker running this video stopped responding \(attempt) time(s); giving up."
                    try db.execute(
                        """
                        UPDATE videos SET status = 'failed', error_code = ?, error_message = ?, completed_at = ?,
                            lease_owner = NULL, lease_token = NULL, lease_expires_at = NULL
                        WHERE id = ? AND status = 'in_progress'
                        """,
                        [.text(code), .text(message), .integer(now), .text(id)])
                    try self.appendEvent(db, video: id, event: "failed", attempt: Int(attempt), worker: row.string("lease_owner"), at: now, detail: code)
                } else {
                    try db.execute(
                        """
                        UPDATE videos SET status = 'queued', progress = 0, run_after = ?,
                            lease_owner = NULL, lease_token = NULL, lease_expires_at = NULL
                        WHERE id = ? AND status = 'in_progress'
                        """,
                        [.integer(now + backoffMillis * attempt), .text(id)])
                    try self.appendEvent(db, video: id, event: "rescued", attempt: Int(attempt), worker: row.string("lease_owner"), at: now)
                }
                touched.append(id)
            }
            return touched
        }
    }

    public func cancel(id: String, project: String, now: Int64) async throws -> CancelOutcome? {
        try await database.write { db in
            guard let row = try db.query(
                "SELECT status, attempt FROM videos WHERE id = ? AND project = ? AND deleted_at IS NULL",
                [.text(id), .text(project)]
            ).first, let status = row.string("status").flatMap(VideoStatus.init(rawValue:)) else { return nil }
            return try self.cancel(db, id: id, status: status, attempt: Int(row.int("attempt") ?? 0), now: now)
        }
    }

    public func markDeleted(id: String, project: String, now: Int64) async throws -> Bool {
        try await database.write { db in
            guard let row = try db.query(
                "SELECT status, attempt FROM videos WHERE id = ? AND project = ? AND deleted_at IS NULL",
                [.text(id), .text(project)]
            ).first, let status = row.string("status").flatMap(VideoStatus.init(rawValue:)) else { return false }
            _ = try self.cancel(db, id: id, status: status, attempt: Int(row.int("attempt") ?? 0), now: now)
            try db.execute("UPDATE videos SET deleted_at = ? WHERE id = ?", [.integer(now), .text(id)])
            try db.execute("DELETE FROM video_previews WHERE video_id = ?", [.text(id)])
            try self.appendEvent(db, video: id, event: "deleted", attempt: Int(row.int("attempt") ?? 0), worker: nil, at: now)
            return true
        }
    }

    private func cancel(_ db: SQLConnection, id: String, status: VideoStatus, attempt: Int, now: Int64) throws -> CancelOutcome {
        switch status {
        case .queued:
            try db.execute(
                """
                UPDATE videos SET status = 'failed', error_code = 'cancelled', error_message = 'The video was cancelled before it started.',
                    completed_at = ?, cancel_requested = 1 WHERE id = ?
                """,
                [.integer(now), .text(id)])
            try self.appendEvent(db, video: id, event: "failed", attempt: attempt, worker: nil, at: now, detail: "cancelled")
            return .cancelledQueued
        case .inProgress:
            try db.execute("UPDATE videos SET cancel_requested = 1 WHERE id = ?", [.text(id)])
            try self.appendEvent(db, video: id, event: "cancel_requested", attempt: attempt, worker: nil, at: now)
            return .cancelRequested
        case .completed, .failed:
            return .alreadyFinished
        }
    }

    public func purgeableAssets(now: Int64) async throws -> [String] {
        try await database.write { db in
            let rows = try db.query(
                """
                UPDATE videos SET assets_purged = 1
                WHERE assets_purged = 0 AND status IN ('completed', 'failed')
                  AND ((expires_at IS NOT NULL AND expires_at <= ?) OR deleted_at IS NOT NULL)
                RETURNING id
                """,
                [.integer(now)])
            let ids = rows.compactMap { $0.string("id") }
            for id in ids { try db.execute("DELETE FROM video_previews WHERE video_id = ?", [.text(id)]) }
            return ids
        }
    }

    public func events(videoID: String) async throws -> [VideoEvent] {
        try await database.read { db in
            try db.query("SELECT * FROM video_events WHERE video_id = ? ORDER BY seq", [.text(videoID)]).map { row in
                VideoEvent(event: row.string("event") ?? "", attempt: Int(row.int("attempt") ?? 0), worker: row.string("worker"),
                           at: row.int("at") ?? 0, detail: row.string("detail"))
            }
        }
    }

    public func counts() async throws -> [VideoStatus: Int] {
        try await database.read { db in
            var result: [VideoStatus: Int] = [:]
            for row in try db.query("SELECT status, COUNT(*) AS n FROM videos WHERE deleted_at IS NULL GROUP BY status") {
                if let status = row.string("status").flatMap(VideoStatus.init(rawValue:)) {
                    result[status] = Int(row.int("n") ?? 0)
                }
            }
            return result
        }
    }

    private func queuePosition(_ db: SQLConnection, seq: Int64) throws -> Int {
        let n = try db.query(
            "SELECT COUNT(*) AS n FROM videos WHERE status = 'queued' AND deleted_at IS NULL AND seq < ?", [.integer(seq)]
        ).first?.int("n") ?? 0
        return Int(n) + 1
    }

    static func leaseLost(_ lease: JobLease) -> KinoServiceError {
        KinoServiceError(.leaseLost, "Worker \(lease.worker) no longer holds the lease on \(lease.job.id) (attempt \(lease.attempt)); its result is discarded.")
    }
}
