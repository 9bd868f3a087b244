import Foundation
import HTTPTypes
import Hummingbird
import KinoService
import Synchronization

/// Public pages, no key needed: `/share/{id}` (a player for one approved video), its files, and `/gallery`
/// (approved videos, newest approval first). Anything not approved is a 404, so private ids are not revealed.
/// Also the studio's review page (`/studio/review`), which signs in like the studio and calls `/v1/review`.
struct ShareRoutes {
    let service: VideoService
    let renderer: any VideoRenderer
    let assets: ServerAssets
    /// Each shared file's content-credentials line, checked once (an approved file does not change).
    let credentials = CredentialLines()

    final class CredentialLines: Sendable {
        let lines = Mutex<[String: String]>([:])
    }

    func register(on router: Router<KinoRequestContext>) {
        router.get("share/:video_id", use: page)
        router.get("share/:video_id/video.mp4") { request, context in try await file(request, context, .video) }
        router.get("share/:video_id/thumbnail.webp") { request, context in try await file(request, context, .thumbnail) }
        router.get("gallery", use: gallery)
        router.get("studio/review") { [assets] _, _ in StudioRoutes.asset(assets.reviewHTML, type: "text/html; charset=utf-8") }
        router.get("studio/review.js") { [assets] _, _ in StudioRoutes.asset(assets.reviewJS, type: "text/javascript; charset=utf-8") }
    }

    /// This server's address as the client reached it (behind a TLS proxy, `X-Forwarded-Proto: https`), for the
    /// absolute URLs link previews need.
    static func origin(_ request: Request) -> String {
        let scheme = request.headers[HTTPField.Name("X-Forwarded-Proto")!] == "https" ? "https" : "http"
        return "\(scheme)://\(request.head.authority ?? "localhost")"
    }

    @Sendable func page(_ request: Request, context: KinoRequestContext) async throws -> Response {
        let id = try context.parameters.require("video_id")
        let record: ShareRecord
        let file: URL
        do {
            (record, file) = try await service.trust.publicShare(id)
        } catch let error as KinoServiceError where error.kind == .notFound {
            return Self.html(Self.layout(title: "Not found", body: "<p>There is no shared video here.</p><p><a href=\"/gallery\">Gallery</a></p>"), status: .notFound)
        }
        let base = "\(Self.origin(request))/share/\(Self.escape(id))"
        let credentials = try await credentialsLine(id, file: file)
        let title = Self.escape(String(record.prompt.prefix(200)))
        let head = """
            <meta property="og:type" content="video.other"><meta property="og:title" content="\(title)">
            <meta property="og:description" content="An AI-generated video (\(Self.escape(record.model)), shared from Kino.">
            <meta property="og:url" content="\(base)"><meta property="og:image" content="\(base)/thumbnail.webp">
            <meta property="og:video" content="\(base)/video.mp4"><meta property="og:video:type" content="video/mp4">
            <meta property="og:video:width" content="\(record.size.width)"><meta property="og:video:height" content="\(record.size.height)">
            <meta name="twitter:card" content="summary_large_image"><meta name="twitter:title" content="\(title)">
            <meta name="twitter:image" content="\(base)/thumbnail.webp">
            """
        let download = record.allowDownload
            ? "<a class=\"button\" href=\"/share/\(Self.escape(id))/video.mp4?download=1\" download>Download MP4</a>" : ""
        let body = """
            <p class="badge">AI-generated</p>
            <video src="/share/\(Self.escape(id))/video.mp4" poster="/share/\(Self.escape(id))/thumbnail.webp" controls playsinline loop \
            aria-label="Video: \(title)"></video>
            <p class="prompt">\(Self.escape(record.prompt))</p>
            <p class="meta">\(record.size) · \(record.seconds) s · \(Self.escape(record.model)) · made with Kino</p>
            <p class="credentials">Content credentials (C2PA): \(Self.escape(credentials))</p>
            <div class="actions"><button type="button" data-copy="\(base)">Copy link</button>\(download)</div>
            <p><a href="/gallery">More in the gallery</a></p>
            """
        return Self.html(Self.layout(title: "Shared video", head: head, body: body))
    }

    func credentialsLine(_ id: String, file: URL) async throws -> String {
        if let known = credentials.lines.withLock({ $0[id] }) { return known }
        let renderer = self.renderer
        let line = try await onOwnThread(named: "kino-verify") { renderer.contentCredentials(of: file) } ?? "not checked by this server"
        credentials.lines.withLock { $0[id] = line }
        return line
    }

    func file(_ request: Request, _ context: KinoRequestContext, _ variant: VideoVariant) async throws -> Response {
        let id = try context.parameters.require("video_id")
        let (record, file) = try await service.trust.publicShare(id, variant: variant)
        var headers: HTTPFields = [.cacheControl: "public, max-age=300"]
        if let download = request.uri.queryParameters.get("download") {
            guard download == "1", variant == .video else {
                throw KinoServiceError(.invalidRequest, "download must be 1, on video.mp4.", param: "download", code: "invalid_value")
            }
            guard record.allowDownload else {
                throw KinoServiceError(.permissionDenied, "The owner of this video has not allowed downloads.", code: "download_not_allowed")
            }
            headers[.contentDisposition] = "attachment; filename=\"\(id).mp4\""
            // The owner may withdraw the permission at any time; a cached copy must not outlive it.
            headers[.cacheControl] = "no-store"
        }
        return try await fileResponse(file, contentType: variant.contentType, headers: headers, request: request, context: context)
    }

    @Sendable func gallery(_ request: Request, context: KinoRequestContext) async throws -> Response {
        let items = try await service.trust.gallery().map { record in
            let id = Self.escape(record.videoID)
            return """
            <li><a href="/share/\(id)"><video src="/share/\(id)/video.mp4" poster="/share/\(id)/thumbnail.webp" muted loop playsinline \
            preload="none" data-hover aria-hidden="true" tabindex="-1"></video>\
            <span><b class="badge">AI-generated</b> \(Self.escape(String(record.prompt.prefix(140))))</span></a></li>
            """
        }
        let body = items.isEmpty
            ? "<p>No videos have been shared yet.</p>"
            : "<ul class=\"gallery\">\n" + items.joined(separator: "\n") + "\n</ul>"
        return Self.html(Self.layout(title: "Gallery", body: body))
    }

    static func layout(title: String, head: String = "", body: String) -> String {
        """
        <!doctype html>
        <html lang="en">
        <head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
        <title>\(escape(title)) · Kino</title><link rel="icon" href="/favicon.svg" type="image/svg+xml">
        <link rel="stylesheet" href="/studio/app.css"><script src="/studio/common.js" defer></script>
        \(head)</head>
        <body><a class="skip" href="#main">Skip to content</a>
        <header><h1><a href="/gallery">Kino</a></h1><span>\(escape(title))</span></header>
        <div id="announcer" class="visually-hidden" role="status" aria-live="polite"></div>
        <main id="main" class="share" tabindex="-1">
        \(body)
        </main></body></html>
        """
    }

    static func html(_ text: String, status: HTTPResponse.Status = .ok) -> Response {
        var response = StudioRoutes.asset(text, type: "text/html; charset=utf-8")
        response.status = status
        return response
    }

    static func escape(_ text: String) -> String {
        var out = ""
        for character in text {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(character)
            }
        }
        return out
    }
}
