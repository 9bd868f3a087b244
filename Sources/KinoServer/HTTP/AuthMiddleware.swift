import Foundation
import HTTPTypes
import Hummingbird
import KinoService

/// Resolves who is asking: a bearer key, else a studio session cookie (with a CSRF token on unsafe methods),
/// else — only with `--insecure-no-auth` — the local principal. Every check reads the store, so revocation takes
/// effect on the next request.
struct AuthMiddleware: RouterMiddleware {
    typealias Context = KinoRequestContext
    let keys: KeyService
    let insecureNoAuth: Bool

    static let sessionCookie = "kino_session"

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        context.principal = try await principal(for: request)
        return try await next(request, context)
    }

    func principal(for request: Request) async throws -> Principal {
        if let header = request.headers[.authorization] {
            let parts = header.split(separator: " ", maxSplits: 1)
            guard parts.count == 2, parts[0].lowercased() == "bearer" else {
                throw KinoServiceError(.unauthenticated, "The Authorization header must be `Bearer kino_...`.", code: "invalid_api_key")
            }
            return try await keys.authenticate(token: parts[1].trimmingCharacters(in: .whitespaces))
        }
        if let cookie = request.cookies[Self.sessionCookie]?.value, !cookie.isEmpty {
            let session = try await keys.session(cookie: cookie)
            if ![.get, .head].contains(request.method) {
                let sent = request.headers[.csrfToken] ?? ""
                guard constantTimeEquals(Array(sent.utf8), Array(session.csrf.utf8)) else {
                    throw KinoServiceError(.permissionDenied, "Missing or wrong CSRF token. Reload the studio page.", code: "csrf_failed")
                }
            }
            return session.principal
        }
        if insecureNoAuth { return .localUnauthenticated }
        throw KinoServiceError(
            .unauthenticated,
            "You didn't provide an API key. Send it as `Authorization: Bearer kino_...`; create one with `kino keys create --name NAME`.",
            code: "missing_api_key")
    }
}
