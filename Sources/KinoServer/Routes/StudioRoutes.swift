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
        for path in ["favicon.ico", "favicon.svg"] {
            router.get(RouterPath(path)) { _, _ in Self.asset(ServerAssets.favicon, type: "image/svg+xml") }
        }
        // A sample picture of each style preset, for the form (a 404 for styles without one).
        router.get("studio/styles/:file") { [assets] _, context in
            let file = try context.parameters.require("file")
            guard file.hasSuffix(".webp"), let bytes = assets.styleSamples[String(file.dropLast(5))] else {
                throw KinoServiceError(.notFound, "No sample picture '\(file)'.", code: "not_found")
            }
            return Response(status: .ok, headers: [.contentType: "image/webp", .cacheControl: "max-age=86400"],
                            body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
        }
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
                .contentSecurityPolicy: "default-src 'self'; media-src 'self' blob:; img-src 'self' data: blob:; frame-ancestors 'none'",
                HTTPField.Name("X-Content-Type-Options")!: "nosniff",
            ],
            body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    @Sendable func signIn(_ request: Request, context: KinoRequestContext) async throws -> Response {
        // The one request that issues a cookie: the browser must say where it comes from, and it must be us.
        try checkSameOrigin(request, required: true)
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
        try checkSameOrigin(request, required: false)
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

    /// Rejects cross-site form posts (login CSRF): the request's `Origin`, parsed, must name this server's host
    /// and port exactly. `Origin: null` (sandboxed frames, some redirects) never passes; a missing Origin passes
    /// only where `required` is false (sign-out, which the CSRF token protects as well).
    func checkSameOrigin(_ request: Request, required: Bool) throws {
        let host = (request.head.authority ?? "").lowercased()
        guard let origin = request.headers[.origin] else {
            if required {
                throw KinoServiceError(.permissionDenied, "Sign-in needs the browser's Origin header; sign in from the studio page.", code: "csrf_failed")
            }
            return
        }
        guard origin != "null", let parts = URLComponents(string: origin), let scheme = parts.scheme, ["http", "https"].contains(scheme),
              let originHost = parts.host, parts.path.isEmpty || parts.path == "/", parts.query == nil,
              (originHost + (parts.port.map { ":\($0)" } ?? "")).lowercased() == host, !host.isEmpty else {
            throw KinoServiceError(.permissionDenied, "Cross-site sign-in refused (Origin \(origin) is not \(host)).", code: "csrf_failed")
        }
    }
}
