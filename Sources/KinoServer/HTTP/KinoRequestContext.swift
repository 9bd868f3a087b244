import Foundation
import HTTPTypes
import Hummingbird
import KinoService

/// Per-request state: who is asking (set by `AuthMiddleware`) and the request id (set by `APIResponseMiddleware`).
public struct KinoRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    public var principal: Principal?
    public var requestID: String = ""

    public init(source: Source) {
        self.coreContext = .init(source: source)
    }

    /// The authenticated principal; route handlers behind `AuthMiddleware` always have one.
    func requirePrincipal() throws -> Principal {
        guard let principal else {
            throw KinoServiceError(.unauthenticated, "You didn't provide an API key. Send it as `Authorization: Bearer kino_...`.", code: "missing_api_key")
        }
        return principal
    }
}

extension HTTPField.Name {
    static let requestID = Self("x-request-id")!
    static let processingMS = Self("openai-processing-ms")!
    static let pollAfterMS = Self("openai-poll-after-ms")!
    static let idempotencyKey = Self("Idempotency-Key")!
    static let idempotentReplayed = Self("Idempotent-Replayed")!
    static let csrfToken = Self("x-csrf-token")!
}
