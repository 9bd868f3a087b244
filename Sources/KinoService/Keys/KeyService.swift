import Crypto
import Foundation

/// Who is making a request: the key's project and scopes.
public struct Principal: Sendable, Equatable {
    public var keyID: String?
    public var keyName: String
    public var keySerial: Int64
    public var project: String
    public var scopes: Set<Scope>
    /// The key's own limits (nil fields follow the data folder's defaults).
    public var limits = KeyLimits()

    public init(keyID: String?, keyName: String, keySerial: Int64, project: String, scopes: Set<Scope>) {
        self.keyID = keyID
        self.keyName = keyName
        self.keySerial = keySerial
        self.project = project
        self.scopes = scopes
    }

    /// The principal of `--insecure-no-auth` (loopback only): one local project, all scopes but watermark-free.
    public static let localUnauthenticated = Principal(
        keyID: nil, keyName: "local", keySerial: 0, project: "local", scopes: [.generate, .read, .admin, .moderator])

    public func require(_ scope: Scope) throws {
        guard scopes.contains(scope) else {
            throw KinoServiceError(
                .permissionDenied,
                "This API key lacks the '\(scope.rawValue)' scope. Create a key with it: kino keys create --name NAME --scopes \(scope.rawValue),...",
                code: "insufficient_scope")
        }
    }
}

/// A newly created key: the secret is shown once and never stored.
public struct CreatedKey: Sendable {
    public var record: APIKeyRecord
    public var token: String
}

/// Creating, listing, revoking and checking API keys. Every check reads the store, so revocation takes effect on
/// the next request, also in a running server and across processes.
public struct KeyService: Sendable {
    let store: any KeyStore & SessionStore

    public init(store: any KeyStore & SessionStore) {
        self.store = store
    }

    /// Creates a key. Without `project`, the key gets a project of its own named `key-<id>`.
    public func create(name: String, scopes: Set<Scope> = Scope.defaults, project: String? = nil, now: Int64 = Clock.nowMillis()) async throws -> CreatedKey {
        let trimmed = name.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !trimmed.isEmpty, VideoLimits.length(trimmed) <= 100, !trimmed.contains("\t"), !trimmed.contains("\n") else {
            throw KinoServiceError.invalid("A key name must be 1 to 100 characters without tabs or newlines.", param: "name")
        }
        if let project, project.isEmpty || VideoLimits.length(project) > 100 || project.contains("\t") || project.contains("\n") {
            throw KinoServiceError.invalid("A project name must be 1 to 100 characters without tabs or newlines.", param: "project")
        }
        var generator = SystemRandomNumberGenerator()
        let token = APIKeyToken.generate(using: &generator)
        let record = try await store.insertKey(
            id: token.id, name: trimmed, project: project ?? "key-\(token.id)", scopes: scopes, secretHash: token.hash, now: now)
        return CreatedKey(record: record, token: token.token)
    }

    public func list() async throws -> [APIKeyRecord] { try await store.keys() }

    /// Revokes by id; throws `.notFound` naming the id when there is no such key.
    public func revoke(id: String, now: Int64 = Clock.nowMillis()) async throws {
        guard try await store.revokeKey(id: id, now: now) else {
            throw KinoServiceError(.notFound, "No API key with id '\(id)'. `kino keys list` shows the ids.", param: "id", code: "key_not_found")
        }
    }

    /// Checks a bearer token. Throws `.unauthenticated` with a message that says what is wrong.
    public func authenticate(token: String, now: Int64 = Clock.nowMillis()) async throws -> Principal {
        guard let parsed = APIKeyToken.parse(token) else {
            throw KinoServiceError(.unauthenticated, "Incorrect API key provided: it is not a well-formed Kino key (kino_...).", code: "invalid_api_key")
        }
        guard let record = try await store.key(id: parsed.id),
              constantTimeEquals(Array(record.secretHash.utf8), Array(parsed.hash.utf8))
        else {
            throw KinoServiceError(.unauthenticated, "Incorrect API key provided. Check the key or create one with `kino keys create`.", code: "invalid_api_key")
        }
        return try principal(for: record, now: now)
    }

    func principal(for record: APIKeyRecord, now: Int64) throws -> Principal {
        if record.revokedAt != nil {
            throw KinoServiceError(.unauthenticated, "This API key (\(record.id)) has been revoked. Ask an administrator for a new key.", code: "revoked_api_key")
        }
        if let expires = record.expiresAt, expires <= now {
            throw KinoServiceError(.unauthenticated, "This API key (\(record.id)) has expired. Ask an administrator for a new key.", code: "expired_api_key")
        }
        var principal = Principal(keyID: record.id, keyName: record.name, keySerial: record.serial, project: record.project, scopes: record.scopes)
        principal.limits = record.limits
        return principal
    }

    /// Creates the first admin key when the store has none; returns it so the caller can print it once.
    public func bootstrapAdminKeyIfNeeded() async throws -> CreatedKey? {
        guard try await store.keyCount() == 0 else { return nil }
        return try await create(name: "admin", scopes: [.admin, .generate, .read, .moderator], project: "admin")
    }

    // MARK: Studio sessions

    /// Signs in with a key: returns the cookie value (random, shown once) and the CSRF token for the page.
    public func startSession(token: String, lifetimeMillis: Int64, now: Int64 = Clock.nowMillis()) async throws -> (cookie: String, csrf: String, principal: Principal) {
        let principal = try await authenticate(token: token, now: now)
        guard let keyID = principal.keyID else {
            throw KinoServiceError(.unauthenticated, "A session needs a real API key.", code: "invalid_api_key")
        }
        let cookie = Self.randomToken()
        let csrf = Self.randomToken()
        try await store.insertSession(idHash: APIKeyToken.sha256Hex(cookie), keyID: keyID, csrfToken: csrf, now: now, expiresAt: now + lifetimeMillis)
        return (cookie, csrf, principal)
    }

    /// Resolves a session cookie; the key behind it is re-checked, so revoking the key ends the session.
    public func session(cookie: String, now: Int64 = Clock.nowMillis()) async throws -> (principal: Principal, csrf: String) {
        guard let session = try await store.session(idHash: APIKeyToken.sha256Hex(cookie), now: now),
              let record = try await store.key(id: session.keyID)
        else {
            throw KinoServiceError(.unauthenticated, "Your studio session has ended. Sign in again with your API key.", code: "session_expired")
        }
        return (try principal(for: record, now: now), session.csrfToken)
    }

    public func endSession(cookie: String) async throws {
        try await store.deleteSession(idHash: APIKeyToken.sha256Hex(cookie))
    }

    static func randomToken() -> String {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) }
        return Data(bytes).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }
}
