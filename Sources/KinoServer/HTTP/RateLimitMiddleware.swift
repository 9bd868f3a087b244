import Foundation
import HTTPTypes
import Hummingbird
import KinoService

/// Per-key request rate (GCRA) on every /v1 request, after authentication. Allowed responses carry
/// `x-ratelimit-limit-requests`, `x-ratelimit-remaining-requests` and `x-ratelimit-reset-requests`; refused ones
/// are a 429 with `retry-after` too (thrown, mapped in `ErrorMapping`). The key's limits are read from the store
/// with the key, so `kino keys update` applies to the next request.
struct RateLimitMiddleware: RouterMiddleware {
    typealias Context = KinoRequestContext
    let service: VideoService

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let principal = context.principal, let checked = try await service.trust.checkRate(principal: principal) else {
            return try await next(request, context)
        }
        var response = try await next(request, context)
        for (name, value) in TrustService.rateHeaders(checked.decision, limit: checked.limit) {
            if let field = HTTPField.Name(name) { response.headers[field] = value }
        }
        return response
    }
}
