import Foundation

/// A stored API key (never the secret itself).
public struct APIKeyRecord: Sendable, Equatable {
    public var id: String
    /// A small number unique per key, carried in provenance watermarks.
    public var serial: Int64
    public var name: String
    public var project: String
    public var scopes: Set<Scope>
    public var secretHash: String
    /// Unix milliseconds.
    public var createdAt: Int64
    public var expiresAt: Int64?
    public var revokedAt: Int64?
    /// Per-key limits (nil fields follow the data folder's defaults).
    public var limits = KeyLimits()

    public var isActive: Bool { revokedAt == nil }
}

/// A studio sign-in: the cookie value is random and stored only as a hash; the CSRF token is sent to the page.
public struct StudioSession: Sendable, Equatable {
    public var keyID: String
    public var csrfToken: String
    public var expiresAt: Int64
}

/// Where keys and projects live.
public protocol KeyStore: Sendable {
    /// Inserts the key, creating its project if needed. The serial is assigned by the store.
    func insertKey(id: String, name: String, project: String, scopes: Set<Scope>, secretHash: String, now: Int64) async throws -> APIKeyRecord
    func key(id: String) async throws -> APIKeyRecord?
    func keys() async throws -> [APIKeyRecord]
    /// false when no such key exists. Revoking twice is not an error.
    func revokeKey(id: String, now: Int64) async throws -> Bool
    func keyCount() async throws -> Int
}

/// Studio sessions.
public protocol SessionStore: Sendable {
    func insertSession(idHash: String, keyID: String, csrfToken: String, now: Int64, expiresAt: Int64) async throws
    func session(idHash: String, now: Int64) async throws -> StudioSession?
    func deleteSession(idHash: String) async throws
}

/// The result of starting an idempotent request (the Stripe model).
public enum IdempotencyBegin: Sendable, Equatable {
    /// First use: go ahead, then `finish` or `abandon`.
    case proceed
    /// Already finished: replay this response.
    case replay(status: Int, body: String)
    /// The first request with this key is still running.
    case inFlight
    /// The key was used with a different request.
    case mismatch
}

/// Stored idempotency records, kept for `retention` and then forgotten.
public protocol IdempotencyStore: Sendable {
    func beginIdempotent(project: String, key: String, requestHash: String, now: Int64, retentionMillis: Int64) async throws -> IdempotencyBegin
    func finishIdempotent(project: String, key: String, status: Int, body: String) async throws
    func abandonIdempotent(project: String, key: String) async throws
}
