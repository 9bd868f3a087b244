import Foundation

/// The database schema as ordered migrations. Each migration runs once, in its own transaction, and is recorded
/// in `schema_migrations`. The SQL sticks to what SQLite and PostgreSQL share; where they differ the PostgreSQL
/// spelling is noted beside it (a PostgreSQL store will carry its own copy of this list).
enum Schema {
    static let migrations: [(version: Int64, statements: [String])] = [
        (1, [
            """
            CREATE TABLE projects (
                name TEXT PRIMARY KEY,
                created_at BIGINT NOT NULL
            )
            """,
            """
            CREATE TABLE api_keys (
                id TEXT PRIMARY KEY,
                serial BIGINT NOT NULL UNIQUE,
                name TEXT NOT NULL,
                project TEXT NOT NULL REFERENCES projects(name),
                scopes TEXT NOT NULL,
                secret_hash TEXT NOT NULL,
                created_at BIGINT NOT NULL,
                expires_at BIGINT,
                revoked_at BIGINT
            )
            """,
            // seq: PostgreSQL spells this `BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY`.
            """
            CREATE TABLE videos (
                seq INTEGER PRIMARY KEY,
                id TEXT NOT NULL UNIQUE,
                project TEXT NOT NULL,
                key_id TEXT,
                key_serial BIGINT NOT NULL,
                model TEXT NOT NULL,
                engine_model TEXT NOT NULL,
                prompt TEXT NOT NULL,
                negative_prompt TEXT,
                seconds INTEGER NOT NULL,
                width INTEGER NOT NULL,
                height INTEGER NOT NULL,
                seed BIGINT NOT NULL,
                steps INTEGER,
                guidance DOUBLE PRECISION,
                style TEXT,
                watermark INTEGER NOT NULL,
                remix_of TEXT,
                remix_strength DOUBLE PRECISION,
                status TEXT NOT NULL,
                progress INTEGER NOT NULL DEFAULT 0,
                error_code TEXT,
                error_message TEXT,
                created_at BIGINT NOT NULL,
                started_at BIGINT,
                completed_at BIGINT,
                expires_at BIGINT,
                attempt INTEGER NOT NULL DEFAULT 0,
                max_attempts INTEGER NOT NULL,
                run_after BIGINT NOT NULL,
                lease_owner TEXT,
                lease_token TEXT,
                lease_expires_at BIGINT,
                heartbeat_at BIGINT,
                cancel_requested INTEGER NOT NULL DEFAULT 0,
                has_latents INTEGER NOT NULL DEFAULT 0,
                assets_purged INTEGER NOT NULL DEFAULT 0,
                deleted_at BIGINT
            )
            """,
            "CREATE INDEX videos_queue ON videos (status, run_after, seq)",
            "CREATE INDEX videos_project ON videos (project, seq)",
            // Append-only history of every state change: the audit trail and the evidence for exactly-once tests.
            """
            CREATE TABLE video_events (
                seq INTEGER PRIMARY KEY,
                video_id TEXT NOT NULL,
                event TEXT NOT NULL,
                attempt INTEGER NOT NULL,
                worker TEXT,
                at BIGINT NOT NULL,
                detail TEXT
            )
            """,
            "CREATE INDEX video_events_video ON video_events (video_id, seq)",
            """
            CREATE TABLE idempotency_keys (
                project TEXT NOT NULL,
                key TEXT NOT NULL,
                request_hash TEXT NOT NULL,
                state TEXT NOT NULL,
                response_status INTEGER,
                response_body TEXT,
                created_at BIGINT NOT NULL,
                PRIMARY KEY (project, key)
            )
            """,
            """
            CREATE TABLE sessions (
                id_hash TEXT PRIMARY KEY,
                key_id TEXT NOT NULL REFERENCES api_keys(id),
                csrf_token TEXT NOT NULL,
                created_at BIGINT NOT NULL,
                expires_at BIGINT NOT NULL
            )
            """,
        ]),
        trust,
        // Turbo mode: the model's short schedule plus step caching, per job.
        (3, ["ALTER TABLE videos ADD COLUMN turbo INTEGER NOT NULL DEFAULT 0"]),
        // Step caching (`easycache`, `teacache:0.08`, `off`; NULL: the default) and kino.json recipe, per job.
        (4, ["ALTER TABLE videos ADD COLUMN cache TEXT", "ALTER TABLE videos ADD COLUMN recipe TEXT"]),
        // Image-to-video: the stored input picture's file name (in the output store's input folder), per job.
        (5, ["ALTER TABLE videos ADD COLUMN input_file TEXT"]),
        // Extensions and edits: what the job does with its source video, which video it was (NULL for an upload),
        // and the clip-seconds it counts (NULL: `seconds`; an extension counts only what it adds).
        (6, ["ALTER TABLE videos ADD COLUMN source_kind TEXT", "ALTER TABLE videos ADD COLUMN source_video_id TEXT",
             "ALTER TABLE videos ADD COLUMN charged_seconds INTEGER"]),
        // Characters (`POST /v1/videos/characters`): a named reference video per project, and the still of it that
        // conditions a clip whose prompt names the character.
        (7, ["""
            CREATE TABLE characters (
                id TEXT PRIMARY KEY,
                project TEXT NOT NULL,
                name TEXT NOT NULL,
                video_file TEXT NOT NULL,
                still_file TEXT NOT NULL,
                created_at BIGINT NOT NULL
            )
            """, "CREATE INDEX characters_project ON characters (project, created_at)",
             "ALTER TABLE videos ADD COLUMN character_id TEXT"]),
        // Webhooks: endpoints per project, and the outbox of deliveries (filled in the transaction that finishes a
        // job, so a crash cannot lose an event). seq: an identity column in PostgreSQL, as in `videos`.
        (8, ["""
            CREATE TABLE webhook_endpoints (
                seq INTEGER PRIMARY KEY,
                id TEXT NOT NULL UNIQUE,
                project TEXT NOT NULL,
                name TEXT NOT NULL,
                url TEXT NOT NULL,
                event_types TEXT NOT NULL,
                secret TEXT NOT NULL,
                previous_secret TEXT,
                previous_secret_expires_at BIGINT,
                created_at BIGINT NOT NULL,
                updated_at BIGINT NOT NULL
            )
            """, "CREATE INDEX webhook_endpoints_project ON webhook_endpoints (project, seq)",
             """
            CREATE TABLE webhook_deliveries (
                seq INTEGER PRIMARY KEY,
                event_id TEXT NOT NULL,
                endpoint_id TEXT NOT NULL,
                project TEXT NOT NULL,
                type TEXT NOT NULL,
                video_id TEXT,
                payload TEXT NOT NULL,
                state TEXT NOT NULL,
                attempts INTEGER NOT NULL DEFAULT 0,
                next_attempt_at BIGINT NOT NULL,
                lease_until BIGINT,
                last_status_code INTEGER,
                last_error TEXT,
                created_at BIGINT NOT NULL,
                delivered_at BIGINT
            )
            """, "CREATE INDEX webhook_deliveries_due ON webhook_deliveries (state, next_attempt_at)",
             "CREATE INDEX webhook_deliveries_project ON webhook_deliveries (project, endpoint_id, seq)"]),
        // The owner's note when asking again to publish a rejected video (what changed), shown to the reviewer.
        (9, ["ALTER TABLE video_shares ADD COLUMN note TEXT"]),
        // What a running job is doing (`denoising: step 3/20`), for progress a user can read.
        (10, ["ALTER TABLE videos ADD COLUMN phase TEXT"]),
        // Testers' thumbs up/down and notes on their videos.
        (11, ["""
            CREATE TABLE video_feedback (
                video_id TEXT PRIMARY KEY,
                project TEXT NOT NULL,
                rating TEXT,
                note TEXT,
                key_id TEXT,
                updated_at BIGINT NOT NULL
            )
            """, "CREATE INDEX video_feedback_updated ON video_feedback (updated_at)"]),
        // Whether the owner lets viewers of the public page download the MP4.
        (12, ["ALTER TABLE video_shares ADD COLUMN allow_download INTEGER NOT NULL DEFAULT 0"]),
        // A running job's latest low-resolution preview (PNG; PostgreSQL: BYTEA), kept only while it runs; the
        // videos row says when it changed so lists need no join.
        (13, ["""
            CREATE TABLE video_previews (
                video_id TEXT PRIMARY KEY,
                image BLOB NOT NULL,
                step INTEGER NOT NULL,
                steps INTEGER NOT NULL,
                updated_at BIGINT NOT NULL
            )
            """, "ALTER TABLE videos ADD COLUMN preview_at BIGINT", "ALTER TABLE videos ADD COLUMN preview_step INTEGER"]),
    ]

    /// Brings the database up to the newest schema version.
    static func migrate(_ database: SQLiteDatabase) throws {
        try database.writeNow { db in
            try db.execute("CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, applied_at BIGINT NOT NULL)")
        }
        for migration in migrations {
            try database.writeNow { db in
                let done = try db.query("SELECT version FROM schema_migrations WHERE version = ?", [.integer(migration.version)])
                guard done.isEmpty else { return }
                for statement in migration.statements { try db.execute(statement) }
                try db.execute(
                    "INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)",
                    [.integer(migration.version), .integer(Clock.nowMillis())])
            }
        }
    }
}

/// Wall-clock helpers. Times are stored as integer milliseconds since the Unix epoch (portable BIGINT).
public enum Clock {
    public static func nowMillis() -> Int64 { Int64((Date().timeIntervalSince1970 * 1000).rounded()) }
}
