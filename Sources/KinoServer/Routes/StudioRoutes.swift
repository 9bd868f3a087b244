import Foundation
import HTTPTypes
import Hummingbird
import KinoService

/// The studio: a static page plus sign-in. Signing in posts the key in a plain HTML form (page JavaScript never
/// sees it); the server answers with an HttpOnly, SameSite=Strict session cookie. The page then asks
/// `/studio/session` for a CSRF token and sends it as `x-csrf-token` on every state-changing API call.
struct StudioRoutes {
    let keys: KeyService
    let insecureNoAuth: Bool
    let secureCookies: Bool
    let assets: ServerAssets
    static let sessionLifetimeMillis: Int64 = 7 * 24 * 3600 * 1000

    func register(on router: Router<KinoRequestContext>) {
        router.get("/") { [assets] _, _ in Self.asset(assets.studioHTML, type: "text/html; charset=utf-8") }
        router.get("studio/app.js") { [assets] _, _ in Self.asset(assets.studioJS, type: "text/javascript; charset=utf-8") }
        router.get("studio/common.js") { [assets] _, _ in Self.asset(assets.commonJS, type: "text/javascript; charset=utf-8") }
        router.get("studio/app.css") { [assets] _, _ in Self.asset(assets.css, type: "text/css; charset=utf-8") }
        router.post("studio/session", use: signIn)
        router.get("studio/session", use: session)
        router.post("studio/logout", use: signOut)
    }

    static func asset(_ text: String, type: String) -> Response {
        Response(
            status: .ok,
            headers: [
                .contentType: type,
                .cacheControl: "no-cache",
                .contentSecurityPolicy: "default-src 'self'; media-src 'self' blob:; img-src 'self' data:; frame-ancestors 'none'",
                HTTPField.Name("X-Content-Type-Options")!: "nosniff",
            ],
            body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    @Sendable func signIn(_ request: Request, context: KinoRequestContext) async throws -> Response {
        try checkSameOrigin(request)
        let body = try await request.body.collect(upTo: 16_384)
        let form = RequestBody.formDecode(String(buffer: body))
        let key = (form["key"] ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        do {
            let started = try await keys.startSession(token: key, lifetimeMillis: Self.sessionLifetimeMillis)
            var response = Response(status: .seeOther, headers: [.location: "/"])
            response.setCookie(Cookie(
                name: AuthMiddleware.sessionCookie, value: started.cookie, maxAge: Int(Self.sessionLifetimeMillis / 1000),
                path: "/", secure: secureCookies, httpOnly: true, sameSite: .strict))
            return response
        } catch let error as KinoServiceError where error.kind == .unauthenticated {
            return Response(status: .seeOther, headers: [.location: "/?error=invalid_key"])
        }
    }

    @Sendable func session(_ request: Request, context: KinoRequestContext) async throws -> Response {
        struct Session: Encodable {
            var signed_in: Bool
            var key_name: String?
            var project: String?
            var csrf_token: String?
            var insecure_no_auth: Bool
        }
        if let cookie = request.cookies[AuthMiddleware.sessionCookie]?.value, !cookie.isEmpty,
           let session = try? await keys.session(cookie: cookie) {
            return json(Session(signed_in: true, key_name: session.principal.keyName, project: session.principal.project,
                                csrf_token: session.csrf, insecure_no_auth: insecureNoAuth))
        }
        if insecureNoAuth {
            return json(Session(signed_in: true, key_name: "local", project: "local", csrf_token: nil, insecure_no_auth: true))
        }
        return json(Session(signed_in: false, insecure_no_auth: false))
    }

    @Sendable func signOut(_ request: Request, context: KinoRequestContext) async throws -> Response {
        try checkSameOrigin(request)
        if let cookie = request.cookies[AuthMiddleware.sessionCookie]?.value, !cookie.isEmpty,
           let session = try? await keys.session(cookie: cookie) {
            let sent = request.headers[.csrfToken] ?? ""
            guard constantTimeEquals(Array(sent.utf8), Array(session.csrf.utf8)) else {
                throw KinoServiceError(.permissionDenied, "Missing or wrong CSRF token. Reload the studio page.", code: "csrf_failed")
            }
            try await keys.endSession(cookie: cookie)
        }
        var response = Response(status: .noContent)
        response.setCookie(Cookie(name: AuthMiddleware.sessionCookie, value: "", maxAge: 0, path: "/", secure: secureCookies, httpOnly: true, sameSite: .strict))
        return response
    }

    /// Rejects cross-site form posts (login CSRF): when the browser says where the request came from, it must be us.
    func checkSameOrigin(_ request: Request) throws {
        guard let origin = request.headers[.origin], origin != "null" else { return }
        let host = request.head.authority ?? ""
        let originHost = origin.components(separatedBy: "://").last ?? origin
        guard originHost == host else {
            throw KinoServiceError(.permissionDenied, "Cross-site sign-in refused (Origin \(origin) is not \(host)).", code: "csrf_failed")
        }
    }
}
