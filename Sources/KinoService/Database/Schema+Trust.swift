/// Migration "trust": per-key limits, the GCRA rate state, the global pause switch, the
/// moderation audit log and the review-before-sharing records. Portable SQL (SQLite and PostgreSQL).
extension Schema {
    static let trust: (version: Int64, statements: [String]) = (2, [
        // Per-key limits; NULL means "use the data folder's default", 0 means "no limit".
        "ALTER TABLE api_keys ADD COLUMN rate_per_minute BIGINT",
        "ALTER TABLE api_keys ADD COLUMN burst BIGINT",
        "ALTER TABLE api_keys ADD COLUMN max_concurrent BIGINT",
        "ALTER TABLE api_keys ADD COLUMN clip_seconds_per_day BIGINT",
        "ALTER TABLE api_keys ADD COLUMN max_prompt_chars BIGINT",
        "ALTER TABLE api_keys ADD COLUMN max_upload_bytes BIGINT",
        "ALTER TABLE api_keys ADD COLUMN max_queued BIGINT",
        // GCRA: one theoretical arrival time (Unix ms) per key.
        """
        CREATE TABLE rate_limits (
            key_id TEXT PRIMARY KEY,
            tat BIGINT NOT NULL
        )
        """,
        // Server-wide switches such as the pause (name 'pause', value = the operator's message).
        """
        CREATE TABLE service_state (
            name TEXT PRIMARY KEY,
            value TEXT NOT NULL,
            updated_at BIGINT NOT NULL,
            updated_by TEXT
        )
        """,
        // Every moderation decision, allowed and blocked (prompts of blocked requests have no video).
        // seq: PostgreSQL spells this `BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY`.
        """
        CREATE TABLE moderation_decisions (
            seq INTEGER PRIMARY KEY,
            at BIGINT NOT NULL,
            key_id TEXT,
            project TEXT NOT NULL,
            route TEXT NOT NULL,
            decision TEXT NOT NULL,
            category TEXT,
            rule TEXT,
            video_id TEXT,
            prompt TEXT NOT NULL
        )
        """,
        "CREATE INDEX moderation_decisions_key ON moderation_decisions (key_id, seq)",
        // Review before sharing: one row per video whose project asked to publish it.
        """
        CREATE TABLE video_shares (
            video_id TEXT PRIMARY KEY,
            project TEXT NOT NULL,
            state TEXT NOT NULL,
            requested_at BIGINT NOT NULL,
            requested_by TEXT,
            decided_at BIGINT,
            decided_by TEXT,
            reason TEXT
        )
        """,
        "CREATE INDEX video_shares_state ON video_shares (state, requested_at)",
    ])
}
