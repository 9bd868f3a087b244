import Foundation

/// Errors raised by the Kino service layer. The HTTP layer maps each kind to a status code in one place
/// (`KinoServer/HTTP/ErrorMapping.swift`); messages are written for the person who has to act on them.
public struct KinoServiceError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: String, Sendable, Equatable {
        /// The request is malformed or asks for something invalid (HTTP 400).
        case invalidRequest
        /// The request asks for something Kino's engine cannot do yet (HTTP 400, `code: "unsupported"`).
        case unsupported
        /// No key, or a key that is unknown, malformed or revoked (HTTP 401).
        case unauthenticated
        /// The key is valid but lacks the scope (HTTP 403).
        case permissionDenied
        /// The object does not exist or belongs to another project (HTTP 404).
        case notFound
        /// The same idempotency key is being used by a request that is still running (HTTP 409).
        case conflict
        /// The same idempotency key was used with a different request body (HTTP 422).
        case idempotencyMismatch
        /// A worker lost its lease; its result is discarded (internal, never sent to clients).
        case leaseLost
        /// Storage or database failure (HTTP 500).
        case storage
        /// Over a per-key rate or quota (HTTP 429 with `retry-after`).
        case rateLimited
        /// The request body is larger than the key may send (HTTP 413).
        case tooLarge
        /// The operator paused new jobs (HTTP 503 carrying the operator's message).
        case unavailable
    }

    public var kind: Kind
    public var message: String
    /// The request parameter the error is about, when there is one.
    public var param: String?
    /// A machine-readable code, e.g. `invalid_value`, `unsupported`, `invalid_api_key`.
    public var code: String?
    /// Seconds the client should wait before retrying (sent as `retry-after`).
    public var retryAfterSeconds: Int?
    /// Extra response headers, e.g. `x-ratelimit-*`.
    public var headers: [String: String] = [:]

    public init(_ kind: Kind, _ message: String, param: String? = nil, code: String? = nil) {
        self.kind = kind
        self.message = message
        self.param = param
        self.code = code
    }

    static func rateLimited(_ message: String, code: String, retryAfterSeconds: Int, headers: [String: String] = [:]) -> Self {
        var error = Self(.rateLimited, message, code: code)
        error.retryAfterSeconds = retryAfterSeconds
        error.headers = headers
        return error
    }

    public var description: String { message }

    static func invalid(_ message: String, param: String?, code: String = "invalid_value") -> Self {
        .init(.invalidRequest, message, param: param, code: code)
    }

    static func storage(_ message: String) -> Self {
        .init(.storage, message, code: "storage_error")
    }
}
