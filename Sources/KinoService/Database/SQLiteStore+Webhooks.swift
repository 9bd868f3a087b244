import Foundation

extension SQLiteStore: WebhookStore {
    /// Puts one event per subscribed endpoint of the video's project in the outbox, inside the caller's
    /// transaction (the one that records the job's final state).
    func enqueueWebhooks(_ db: SQLConnection, type: WebhookEventType, videoID: String, now: Int64) throws {
        guard let project = try db.query("SELECT project FROM videos WHERE id = ?", [.text(videoID)]).first?.string("project")
        else { return }
        let endpoints = try db.query("SELECT id, event_types FROM webhook_endpoints WHERE project = ?", [.text(project)])
            .filter { ($0.string("event_types") ?? "").split(separator: ",").contains { $0 == type.rawValue } }
        guard !endpoints.isEmpty else { return }
        let eventID = WebhookEndpoint.newID(prefix: "evt_")
        let payload = WebhookEndpoint.payload(eventID: eventID, type: type, videoID: videoID, createdAt: now)
        for endpoint in endpoints {
            try db.execute(
                """
                INSERT INTO webhook_deliveries (event_id, endpoint_id, project, type, video_id, payload, state, next_attempt_at, created_at)
                VALUES (?, ?, ?, ?, ?, ?, 'pending', ?, ?)
                """,
                [.text(eventID), .text(endpoint.string("id") ?? ""), .text(project), .text(type.rawValue), .text(videoID),
                 .text(payload), .integer(now), .integer(now)])
        }
    }

    public func insertWebhookEndpoint(_ e: WebhookEndpoint) async throws {
        try await database.write { db in
            try db.execute(
                """
                INSERT INTO webhook_endpoints (id, project, name, url, event_types, secret, previous_secret,
                    previous_secret_expires_at, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """,
                [.text(e.id), .text(e.project), .text(e.name), .text(e.url), .text(Self.eventTypes(e.eventTypes)), .text(e.secret),
                 e.previousSecret.sql, e.previousSecretExpiresAt.map(SQLValue.integer) ?? .null, .integer(e.createdAt), .integer(e.updatedAt)])
        }
    }

    public func updateWebhookEndpoint(_ e: WebhookEndpoint) async throws -> Bool {
        try await database.write { db in
            try db.execute(
                """
                UPDATE webhook_endpoints SET name = ?, url = ?, event_types = ?, secret = ?, previous_secret = ?,
                    previous_secret_expires_at = ?, updated_at = ? WHERE id = ? AND project = ?
                """,
                [.text(e.name), .text(e.url), .text(Self.eventTypes(e.eventTypes)), .text(e.secret), e.previousSecret.sql,
                 e.previousSecretExpiresAt.map(SQLValue.integer) ?? .null, .integer(e.updatedAt), .text(e.id), .text(e.project)])
            return db.changes == 1
        }
    }

    public func webhookEndpoint(id: String, project: String) async throws -> WebhookEndpoint? {
        try await database.read { db in
            try db.query("SELECT * FROM webhook_endpoints WHERE id = ? AND project = ?", [.text(id), .text(project)]).first.map(Self.endpoint(from:))
        }
    }

    public func webhookEndpoints(project: String, after: String?, limit: Int) async throws -> [WebhookEndpoint] {
        try await database.read { db in
            var bound = Int64.max
            if let after {
                guard let seq = try db.query("SELECT seq FROM webhook_endpoints WHERE id = ? AND project = ?", [.text(after), .text(project)])
                    .first?.int("seq")
                else {
                    throw KinoServiceError(.invalidRequest, "after: no webhook endpoint '\(after)' in this project.", param: "after", code: "invalid_value")
                }
                bound = seq
            }
            return try db.query(
                "SELECT * FROM webhook_endpoints WHERE project = ? AND seq < ? ORDER BY seq DESC LIMIT ?",
                [.text(project), .integer(bound), .integer(Int64(limit) + 1)]
            ).map(Self.endpoint(from:))
        }
    }

    public func deleteWebhookEndpoint(id: String, project: String) async throws -> Bool {
        try await database.write { db in
            try db.execute("DELETE FROM webhook_endpoints WHERE id = ? AND project = ?", [.text(id), .text(project)])
            guard db.changes == 1 else { return false }
            try db.execute(
                "UPDATE webhook_deliveries SET state = 'failed', last_error = 'endpoint deleted' WHERE endpoint_id = ? AND state = 'pending'",
                [.text(id)])
            return true
        }
    }

    public func claimWebhookDeliveries(now: Int64, leaseMillis: Int64, limit: Int) async throws -> [(WebhookDelivery, WebhookEndpoint)] {
        try await database.write { db in
            let rows = try db.query(
                """
                SELECT d.*, e.id AS e_id FROM webhook_deliveries d JOIN webhook_endpoints e ON e.id = d.endpoint_id
                WHERE d.state = 'pending' AND d.next_attempt_at <= ? AND (d.lease_until IS NULL OR d.lease_until < ?)
                ORDER BY d.next_attempt_at, d.seq LIMIT ?
                """,
                [.integer(now), .integer(now), .integer(Int64(limit))])
            var claimed: [(WebhookDelivery, WebhookEndpoint)] = []
            for row in rows {
                let delivery = Self.delivery(from: row)
                try db.execute("UPDATE webhook_deliveries SET lease_until = ? WHERE seq = ?", [.integer(now + leaseMillis), .integer(delivery.seq)])
                guard let endpoint = try db.query("SELECT * FROM webhook_endpoints WHERE id = ?", [.text(delivery.endpointID)])
                    .first.map(Self.endpoint(from:)) else { continue }
                claimed.append((delivery, endpoint))
            }
            return claimed
        }
    }

    public func recordWebhookAttempt(seq: Int64, delivered: Bool, statusCode: Int?, error: String?, nextAttemptAt: Int64?, now: Int64) async throws {
        try await database.write { db in
            let state = delivered ? "delivered" : (nextAttemptAt == nil ? "failed" : "pending")
            try db.execute(
                """
                UPDATE webhook_deliveries SET state = ?, attempts = attempts + 1, lease_until = NULL, last_status_code = ?,
                    last_error = ?, next_attempt_at = COALESCE(?, next_attempt_at), delivered_at = ? WHERE seq = ?
                """,
                [.text(state), statusCode.map { .integer(Int64($0)) } ?? .null, error.sql,
                 nextAttemptAt.map(SQLValue.integer) ?? .null, delivered ? .integer(now) : .null, .integer(seq)])
        }
    }

    public func webhookDeliveries(project: String, endpointID: String?, limit: Int) async throws -> [WebhookDelivery] {
        try await database.read { db in
            if let endpointID {
                return try db.query(
                    "SELECT * FROM webhook_deliveries WHERE project = ? AND endpoint_id = ? ORDER BY seq DESC LIMIT ?",
                    [.text(project), .text(endpointID), .integer(Int64(limit))]).map(Self.delivery(from:))
            }
            return try db.query("SELECT * FROM webhook_deliveries WHERE project = ? ORDER BY seq DESC LIMIT ?",
                                [.text(project), .integer(Int64(limit))]).map(Self.delivery(from:))
        }
    }

    static func eventTypes(_ types: [WebhookEventType]) -> String { types.map(\.rawValue).joined(separator: ",") }

    static func endpoint(from row: SQLRow) -> WebhookEndpoint {
        WebhookEndpoint(
            id: row.string("id") ?? "", project: row.string("project") ?? "", name: row.string("name") ?? "", url: row.string("url") ?? "",
            eventTypes: (row.string("event_types") ?? "").split(separator: ",").compactMap { WebhookEventType(rawValue: String($0)) },
            secret: row.string("secret") ?? "", previousSecret: row.string("previous_secret"),
            previousSecretExpiresAt: row.int("previous_secret_expires_at"), createdAt: row.int("created_at") ?? 0,
            updatedAt: row.int("updated_at") ?? 0)
    }

    static func delivery(from row: SQLRow) -> WebhookDelivery {
        WebhookDelivery(
            seq: row.int("seq") ?? 0, eventID: row.string("event_id") ?? "", endpointID: row.string("endpoint_id") ?? "",
            project: row.string("project") ?? "", type: WebhookEventType(rawValue: row.string("type") ?? "") ?? .videoFailed,
            videoID: row.string("video_id"), payload: row.string("payload") ?? "",
            state: WebhookDelivery.State(rawValue: row.string("state") ?? "") ?? .failed, attempts: Int(row.int("attempts") ?? 0),
            nextAttemptAt: row.int("next_attempt_at") ?? 0, lastStatusCode: row.int("last_status_code").map(Int.init),
            lastError: row.string("last_error"), createdAt: row.int("created_at") ?? 0, deliveredAt: row.int("delivered_at"))
    }
}
