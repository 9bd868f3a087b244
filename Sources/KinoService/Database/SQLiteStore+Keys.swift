import Foundation

extension SQLiteStore: KeyStore {
    public func insertKey(id: String, name: String, project: String, scopes: Set<Scope>, secretHash: String, now: Int64) async throws -> APIKeyRecord {
        try await database.write { db in
            if try db.query("SELECT name FROM projects WHERE name = ?", [.text(project)]).isEmpty {
                try db.execute("INSERT INTO projects (name, created_at) VALUES (?, ?)", [.text(project), .integer(now)])
            }
            let serial = (try db.query("SELECT COALESCE(MAX(serial), 0) + 1 AS s FROM api_keys").first?.int("s")) ?? 1
            try db.execute(
                "INSERT INTO api_keys (id, serial, name, project, scopes, secret_hash, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                [.text(id), .integer(serial), .text(name), .text(project), .text(Scope.format(scopes)), .text(secretHash), .integer(now)])
            return APIKeyRecord(id: id, serial: serial, name: name, project: project, scopes: scopes, secretHash: secretHash,
                                createdAt: now, expiresAt: nil, revokedAt: nil)
        }
    }

    public func key(id: String) async throws -> APIKeyRecord? {
        try await database.read { db in
            try db.query("SELECT * FROM api_keys WHERE id = ?", [.text(id)]).first.map(Self.key(from:))
        }
    }

    public func keys() async throws -> [APIKeyRecord] {
        try await database.read { db in
            try db.query("SELECT * FROM api_keys ORDER BY serial").map(Self.key(from:))
        }
    }

    public func revokeKey(id: String, now: Int64) async throws -> Bool {
        try await database.write { db in
            guard !(try db.query("SELECT id FROM api_keys WHERE id = ?", [.text(id)])).isEmpty else { return false }
            try db.execute("UPDATE api_keys SET revoked_at = COALESCE(revoked_at, ?) WHERE id = ?", [.integer(now), .text(id)])
            try db.execute("DELETE FROM sessions WHERE key_id = ?", [.text(id)])
            return true
        }
    }

    public func keyCount() async throws -> Int {
        try await database.read { db in Int(try db.query("SELECT COUNT(*) AS n FROM api_keys").first?.int("n") ?? 0) }
    }

    static func key(from row: SQLRow) throws -> APIKeyRecord {
        guard let id = row.string("id") else { throw KinoServiceError.storage("A row in api_keys has no id.") }
        let scopes = Set((row.string("scopes") ?? "").split(separator: ",").compactMap { Scope(rawValue: String($0)) })
        var record = APIKeyRecord(
            id: id, serial: row.int("serial") ?? 0, name: row.string("name") ?? "", project: row.string("project") ?? "",
            scopes: scopes, secretHash: row.string("secret_hash") ?? "", createdAt: row.int("created_at") ?? 0,
            expiresAt: row.int("expires_at"), revokedAt: row.int("revoked_at"))
        record.limits = limits(from: row)
        return record
    }
}

extension SQLiteStore: SessionStore {
    public func insertSession(idHash: String, keyID: String, csrfToken: String, now: Int64, expiresAt: Int64) async throws {
        try await database.write { db in
            try db.execute("DELETE FROM sessions WHERE expires_at < ?", [.integer(now)])
            try db.execute(
                "INSERT INTO sessions (id_hash, key_id, csrf_token, created_at, expires_at) VALUES (?, ?, ?, ?, ?)",
                [.text(idHash), .text(keyID), .text(csrfToken), .integer(now), .integer(expiresAt)])
        }
    }

    public func session(idHash: String, now: Int64) async throws -> StudioSession? {
        try await database.read { db in
            guard let row = try db.query(
                "SELECT key_id, csrf_token, expires_at FROM sessions WHERE id_hash = ? AND expires_at > ?",
                [.text(idHash), .integer(now)]
            ).first, let keyID = row.string("key_id"), let csrf = row.string("csrf_token") else { return nil }
            return StudioSession(keyID: keyID, csrfToken: csrf, expiresAt: row.int("expires_at") ?? 0)
        }
    }

    public func deleteSession(idHash: String) async throws {
        try await database.write { db in try db.execute("DELETE FROM sessions WHERE id_hash = ?", [.text(idHash)]) }
    }
}

extension SQLiteStore: IdempotencyStore {
    public func beginIdempotent(project: String, key: String, requestHash: String, now: Int64, retentionMillis: Int64) async throws -> IdempotencyBegin {
        try await database.write { db in
            try db.execute("DELETE FROM idempotency_keys WHERE created_at < ?", [.integer(now - retentionMillis)])
            if let row = try db.query(
                "SELECT request_hash, state, response_status, response_body FROM idempotency_keys WHERE project = ? AND key = ?",
                [.text(project), .text(key)]
            ).first {
                guard row.string("request_hash") == requestHash else { return .mismatch }
                guard row.string("state") == "done", let status = row.int("response_status") else { return .inFlight }
                return .replay(status: Int(status), body: row.string("response_body") ?? "")
            }
            try db.execute(
                "INSERT INTO idempotency_keys (project, key, request_hash, state, created_at) VALUES (?, ?, ?, 'pending', ?)",
                [.text(project), .text(key), .text(requestHash), .integer(now)])
            return .proceed
        }
    }

    public func finishIdempotent(project: String, key: String, status: Int, body: String) async throws {
        try await database.write { db in
            try db.execute(
                "UPDATE idempotency_keys SET state = 'done', response_status = ?, response_body = ? WHERE project = ? AND key = ?",
                [.integer(Int64(status)), .text(body), .text(project), .text(key)])
        }
    }

    public func abandonIdempotent(project: String, key: String) async throws {
        try await database.write { db in
            try db.execute("DELETE FROM idempotency_keys WHERE project = ? AND key = ? AND state = 'pending'", [.text(project), .text(key)])
        }
    }
}
