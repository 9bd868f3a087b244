import Foundation
import HTTPTypes
import Hummingbird
import KinoService

/// Public pages, no key needed: `/share/{id}` (a player for one approved video), its files, and `/gallery`
/// (approved videos, newest approval first). Anything not approved is a 404, so private ids are not revealed.
/// Also the studio's review page (`/studio/review`), which signs in like the studio and calls `/v1/review`.
struct ShareRoutes {
    let service: VideoService
    let assets: ServerAssets

    func register(on router: Router<KinoRequestContext>) {
        router.get("share/:video_id", use: page)
        router.get("share/:video_id/video.mp4") { request, context in try await file(request, context, .video) }
        router.get("share/:video_id/thumbnail.webp") { request, context in try await file(request, context, .thumbnail) }
        router.get("gallery", use: gallery)
        router.get("studio/review") { [assets] _, _ in StudioRoutes.asset(assets.reviewHTML, type: "text/html; charset=utf-8") }
        router.get("studio/review.js") { [assets] _, _ in StudioRoutes.asset(assets.reviewJS, type: "text/javascript; charset=utf-8") }
    }

    @Sendable func page(_ request: Request, context: KinoRequestContext) async throws -> Response {
        let id = try context.parameters.require("video_id")
        let record: ShareRecord
        do {
            record = try await service.trust.publicShare(id).record
        } catch let error as KinoServiceError where error.kind == .notFound {
            return Self.html(Self.layout(title: "Not found", body: "<p>There is no shared video here.</p><p><a href=\"/gallery\">Gallery</a></p>"), status: .notFound)
        }
        let body = """
            <video src="/share/\(Self.escape(id))/video.mp4" poster="/share/\(Self.escape(id))/thumbnail.webp" controls playsinline loop></video>
            <p class="prompt">\(Self.escape(record.prompt))</p>
            <p class="meta">\(record.size) · \(record.seconds) s · \(Self.escape(record.model)) · made with Kino, AI-generated</p>
            <p><a href="/gallery">More in the gallery</a></p>
            """
        return Self.html(Self.layout(title: "Shared video", body: body))
    }

    func file(_ request: Request, _ context: KinoRequestContext, _ variant: VideoVariant) async throws -> Response {
        let id = try context.parameters.require("video_id")
        let file = try await service.trust.publicShare(id, variant: variant).file
        return try await fileResponse(file, contentType: variant.contentType, headers: [.cacheControl: "public, max-age=300"],
                                      request: request, context: context)
    }

    @Sendable func gallery(_ request: Request, context: KinoRequestContext) async throws -> Response {
        let items = try await service.trust.gallery().map { record in
            """
            <li><a href="/share/\(Self.escape(record.videoID))"><img src="/share/\(Self.escape(record.videoID))/thumbnail.webp" alt="" loading="lazy">\
            <span>\(Self.escape(String(record.prompt.prefix(140))))</span></a></li>
            """
        }
        let body = items.isEmpty
            ? "<p>No videos have been shared yet.</p>"
            : "<ul class=\"gallery\">\n" + items.joined(separator: "\n") + "\n</ul>"
        return Self.html(Self.layout(title: "Gallery", body: body))
    }

    static func layout(title: String, body: String) -> String {
        """
        <!doctype html>
        <html lang="en">
        <head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
        <title>\(escape(title)) · Kino</title><link rel="stylesheet" href="/studio/app.css"></head>
        <body><header><h1><a href="/gallery">Kino</a></h1><span>\(escape(title))</span></header>
        <main class="share">
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
