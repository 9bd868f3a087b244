import Foundation
import HTTPTypes
import Hummingbird
import KinoService
import Logging
import NIOCore
import ServiceLifecycle

/// `/v1/videos` and Kino's additions. Handlers translate HTTP to `VideoService` calls and back; errors are thrown
/// and mapped in `ErrorMapping`.
struct VideoRoutes {
    let service: VideoService
    let renderer: any VideoRenderer
    let maxBodyBytes: Int

    func register(on group: RouterGroup<KinoRequestContext>) {
        group.post("videos", use: create)
        group.get("videos", use: list)
        group.get("videos/events", use: libraryEvents)
        // Routes OpenAI has that Kino's engine cannot serve yet: a clear 400, never silence.
        group.post("videos/extensions", use: extend)
        group.post("videos/edits", use: edit)
        group.post("videos/characters", use: createCharacter)
        group.get("videos/characters/:character_id", use: character)
        group.get("videos/:video_id", use: retrieve)
        group.delete("videos/:video_id", use: delete)
        group.get("videos/:video_id/content", use: content)
        group.post("videos/:video_id/remix", use: remix)
        group.post("videos/:video_id/cancel", use: cancel)
        group.post("videos/:video_id/publish", use: publish)
        group.post("videos/:video_id/feedback", use: feedback)
        group.get("videos/:video_id/events", use: events)
        group.get("videos/:video_id/preview", use: preview)
        group.get("models", use: models)
    }

    /// The `variant` query parameter (default `video`); an unknown one is a 400 naming it.
    static func variant(_ request: Request) throws -> VideoVariant {
        let text = request.uri.queryParameters.get("variant") ?? "video"
        guard let variant = VideoVariant(rawValue: text) else {
            throw KinoServiceError(.invalidRequest, "variant must be one of video, thumbnail, spritesheet; got '\(text)'.", param: "variant", code: "invalid_value")
        }
        return variant
    }

    static func unsupported(_ what: String) -> KinoServiceError {
        KinoServiceError(.unsupported, "\(what) is not supported by this Kino server yet.", code: "unsupported")
    }

    @Sendable func create(_ request: Request, context: KinoRequestContext) async throws -> Response {
        try await idempotentPost(request, context: context, route: "POST /v1/videos") {
            VideoObject(try await service.create($0, principal: $1)).jsonData
        }
    }

    @Sendable func remix(_ request: Request, context: KinoRequestContext) async throws -> Response {
        let id = try context.parameters.require("video_id")
        return try await idempotentPost(request, context: context, route: "POST /v1/videos/\(id)/remix") {
            VideoObject(try await service.remix(sourceID: id, $0, principal: $1, rendererSupportsRemix: renderer.supportsRemix)).jsonData
        }
    }

    @Sendable func extend(_ request: Request, context: KinoRequestContext) async throws -> Response {
        try await idempotentPost(request, context: context, route: "POST /v1/videos/extensions") {
            VideoObject(try await service.extend($0, principal: $1)).jsonData
        }
    }

    @Sendable func edit(_ request: Request, context: KinoRequestContext) async throws -> Response {
        try await idempotentPost(request, context: context, route: "POST /v1/videos/edits") {
            VideoObject(try await service.edit($0, principal: $1)).jsonData
        }
    }

    @Sendable func createCharacter(_ request: Request, context: KinoRequestContext) async throws -> Response {
        try await idempotentPost(request, context: context, route: "POST /v1/videos/characters") {
            Self.characterJSON(try await service.createCharacter($0, principal: $1))
        }
    }

    /// A POST that makes something: the generate scope, the body's fields, and the Idempotency-Key replay around
    /// `make`, whose JSON is the 200 answer.
    private func idempotentPost(_ request: Request, context: KinoRequestContext, route: String,
                                _ make: @escaping @Sendable (RequestFields, Principal) async throws -> Data) async throws -> Response {
        let principal = try context.requirePrincipal()
        try principal.require(.generate)
        let fields = try await readFields(request, context: context)
        return try await Idempotency.run(
            request, context: context, route: route, fields: fields, store: service.store,
            retentionMillis: service.configuration.idempotencyRetentionMillis
        ) {
            (.ok, try await make(fields, principal))
        }
    }

    @Sendable func character(_ request: Request, context: KinoRequestContext) async throws -> Response {
        let found = try await service.character(try context.parameters.require("character_id"), principal: try context.requirePrincipal())
        return jsonResponse(Self.characterJSON(found))
    }

    /// OpenAI's character object (id, created_at in Unix seconds, name), plus `object`.
    static func characterJSON(_ c: VideoCharacter) -> Data {
        var w = JSONWriter()
        w.beginObject()
        w.field("id", c.id)
        w.field("object", "video.character")
        w.field("created_at", c.createdAt / 1000)
        w.field("name", c.name)
        w.endObject()
        return w.data
    }

    @Sendable func retrieve(_ request: Request, context: KinoRequestContext) async throws -> Response {
        let job = try await service.video(try context.parameters.require("video_id"), principal: try context.requirePrincipal())
        var headers = HTTPFields()
        headers[.pollAfterMS] = String(service.pollAfterMillis(for: job))
        return jsonResponse(VideoObject(job).jsonData, headers: headers)
    }

    @Sendable func list(_ request: Request, context: KinoRequestContext) async throws -> Response {
        let query = request.uri.queryParameters
        var limit: Int?
        if let text = query.get("limit") {
            guard let value = Int(text) else {
                throw KinoServiceError(.invalidRequest, "limit must be a whole number from 1 to 100, got '\(text)'.", param: "limit", code: "invalid_value")
            }
            limit = value
        }
        let after = query.get("after").flatMap { $0.isEmpty ? nil : $0 }
        let page = try await service.list(principal: try context.requirePrincipal(), after: after, limit: limit, order: query.get("order"))
        return jsonResponse(VideoList(data: page.jobs.map(VideoObject.init), hasMore: page.hasMore).jsonData)
    }

    @Sendable func delete(_ request: Request, context: KinoRequestContext) async throws -> Response {
        let id = try context.parameters.require("video_id")
        try await service.delete(id, principal: try context.requirePrincipal())
        return json(VideoDeleted(id: id))
    }

    /// Asks to publish the video; a moderator approves or rejects it (see TrustRoutes).
    @Sendable func publish(_ request: Request, context: KinoRequestContext) async throws -> Response {
        let fields = try await TrustRoutes.jsonFields(request, accepting: ["note", "allow_download"])
        try fields.checkLength("note", limit: 2000)
        let allowDownload: Bool
        switch fields["allow_download"] {
        case nil, "false": allowDownload = false
        case "true": allowDownload = true
        case let other?:
            throw KinoServiceError(.invalidRequest, "allow_download must be true or false, got '\(other)'.", param: "allow_download", code: "invalid_value")
        }
        let record = try await service.trust.publish(try context.parameters.require("video_id"), note: fields["note"],
                                                     allowDownload: allowDownload, principal: try context.requirePrincipal())
        return json(ShareObject(record))
    }

    /// Thumbs up/down and a note on one of the caller's videos; answers the Video object with its `feedback`.
    @Sendable func feedback(_ request: Request, context: KinoRequestContext) async throws -> Response {
        let id = try context.parameters.require("video_id")
        let principal = try context.requirePrincipal()
        let fields = try await TrustRoutes.jsonFields(request, accepting: ["rating", "note"])
        _ = try await service.setFeedback(id, fields, principal: principal)
        return jsonResponse(VideoObject(try await service.video(id, principal: principal)).jsonData)
    }

    /// A video's latest low-resolution preview (PNG at the latent grid's size), 204 while there is none; the
    /// Video object's `preview.step` says when there is a new one.
    @Sendable func preview(_ request: Request, context: KinoRequestContext) async throws -> Response {
        for (name, _) in request.uri.queryParameters {
            throw KinoServiceError(.invalidRequest, "Unknown query parameter '\(name)'. This route takes none.", param: String(name), code: "unknown_parameter")
        }
        // No picture yet is an answer, not an error: pollers and pages ask again when `preview.step` changes.
        guard let picture = try await service.preview(try context.parameters.require("video_id"), principal: try context.requirePrincipal()) else {
            return Response(status: .noContent, headers: [.cacheControl: "no-store"])
        }
        return Response(status: .ok, headers: [.contentType: "image/png", .cacheControl: "no-store"],
                        body: ResponseBody(byteBuffer: ByteBuffer(bytes: picture.png)))
    }

    @Sendable func cancel(_ request: Request, context: KinoRequestContext) async throws -> Response {
        let job = try await service.cancel(try context.parameters.require("video_id"), principal: try context.requirePrincipal())
        return jsonResponse(VideoObject(job).jsonData)
    }

    @Sendable func content(_ request: Request, context: KinoRequestContext) async throws -> Response {
        let id = try context.parameters.require("video_id")
        let variant = try Self.variant(request)
        // Only "1" asks for an attachment; anything else was a guess at the API, not a silent "inline".
        let download = request.uri.queryParameters.get("download")
        guard download == nil || download == "1" else {
            throw KinoServiceError(.invalidRequest, "download must be 1 (or left out); got '\(download ?? "")'.", param: "download", code: "invalid_value")
        }
        let file = try await service.content(id, variant: variant, principal: try context.requirePrincipal())
        let disposition = download == "1" ? "attachment" : "inline"
        let headers: HTTPFields = [.contentDisposition: "\(disposition); filename=\"\(id)-\(variant.fileName)\"",
                                   .cacheControl: "private, max-age=3600"]
        return try await fileResponse(file, contentType: variant.contentType, headers: headers, request: request, context: context)
    }

    /// Server-sent events: the Video object each time it changes, until it is completed or failed. The stream
    /// also ends when the server shuts down (with a `reconnect` event, so the client resumes elsewhere or after
    /// the restart), and a comment every `heartbeatSeconds` finds clients that left without closing.
    @Sendable func events(_ request: Request, context: KinoRequestContext) async throws -> Response {
        let principal = try context.requirePrincipal()
        let id = try context.parameters.require("video_id")
        let first = try await service.video(id, principal: principal)
        let service = self.service
        let body = ResponseBody { writer in
            var last: Data?
            var job = first
            var lastWrite = ContinuousClock.now
            while true {
                let data = VideoObject(job).jsonData
                if data != last {
                    var buffer = ByteBuffer(string: "event: video\ndata: ")
                    buffer.writeBytes(data)
                    buffer.writeString("\n\n")
                    try await writer.write(buffer)
                    last = data
                    lastWrite = .now
                }
                if job.status.isTerminal { break }
                if Task.isShuttingDownGracefully || Task.isCancelled {
                    try await writer.write(ByteBuffer(string: "retry: 2000\nevent: reconnect\ndata: {\"reason\":\"the server is shutting down\"}\n\n"))
                    break
                }
                if ContinuousClock.now - lastWrite >= .seconds(Self.heartbeatSeconds) {
                    try await writer.write(ByteBuffer(string: ": keep-alive\n\n"))
                    lastWrite = .now
                }
                try? await Task.sleep(for: .milliseconds(500))
                guard let next = try? await service.video(id, principal: principal) else { break }
                job = next
            }
            try await writer.finish(nil)
        }
        return Response(
            status: .ok,
            headers: [.contentType: "text/event-stream", .cacheControl: "no-cache"],
            body: body)
    }

    /// Server-sent events for a whole library (the studio's one connection, however many videos are unfinished):
    /// the project's newest `limit` videos (default 50) as `video` events when they change, a `deleted` event
    /// (`{"id": ...}`) when one of them is deleted from anywhere, and videos that leave the window while
    /// unfinished are still followed until they finish. The stream ends after about five minutes with a `retry`
    /// hint, so an EventSource reconnects and a server restart is noticed.
    @Sendable func libraryEvents(_ request: Request, context: KinoRequestContext) async throws -> Response {
        let principal = try context.requirePrincipal()
        try principal.require(.read)
        for (name, _) in request.uri.queryParameters where name != "limit" {
            throw KinoServiceError(.invalidRequest, "Unknown query parameter '\(name)'. This route accepts: limit.", param: String(name), code: "unknown_parameter")
        }
        let window = try limitParameter(request, range: 1...100) ?? 50
        let service = self.service
        let body = ResponseBody { writer in
            var sent: [String: Data] = [:]
            var following: Set<String> = []
            let started = ContinuousClock.now
            var lastWrite = ContinuousClock.now
            func send(_ event: String, _ data: Data) async throws {
                var buffer = ByteBuffer(string: "event: \(event)\ndata: ")
                buffer.writeBytes(data)
                buffer.writeString("\n\n")
                try await writer.write(buffer)
                lastWrite = .now
            }
            try await writer.write(ByteBuffer(string: "retry: 1000\n\n"))
            while !Task.isShuttingDownGracefully, !Task.isCancelled, ContinuousClock.now - started < .seconds(300) {
                let page = try await service.list(principal: principal, after: nil, limit: window, order: "desc")
                var seen = Set<String>()
                var jobs = page.jobs
                // Videos sent before that are no longer in the window: deleted, or pushed out by newer ones.
                for id in Set(sent.keys).subtracting(page.jobs.map(\.id)).sorted() {
                    if let job = try? await service.video(id, principal: principal) {
                        if following.contains(id) { jobs.append(job) } else { sent[id] = nil }
                    } else {
                        sent[id] = nil
                        following.remove(id)
                        try await send("deleted", Data("{\"id\":\"\(id)\"}".utf8))
                    }
                }
                for job in jobs {
                    seen.insert(job.id)
                    if job.status.isTerminal { following.remove(job.id) } else { following.insert(job.id) }
                    let data = VideoObject(job).jsonData
                    if sent[job.id] != data {
                        sent[job.id] = data
                        try await send("video", data)
                    }
                }
                if ContinuousClock.now - lastWrite >= .seconds(Self.heartbeatSeconds) {
                    try await writer.write(ByteBuffer(string: ": keep-alive\n\n"))
                    lastWrite = .now
                }
                try? await Task.sleep(for: .milliseconds(700))
            }
            try await writer.finish(nil)
        }
        return Response(status: .ok, headers: [.contentType: "text/event-stream", .cacheControl: "no-cache"], body: body)
    }

    /// How often an idle event stream sends a comment; a write to a client that left fails and ends the stream.
    static let heartbeatSeconds = 15

    @Sendable func models(_ request: Request, context: KinoRequestContext) async throws -> Response {
        try context.requirePrincipal().require(.read)
        // OpenAI's model object (id, object, created, owned_by), plus Kino's extras: which Kino model an alias runs,
        // what the model can do (front ends disable the rest, with the reason) and the words it knows.
        struct Capabilities: Encodable { var image_to_video: Bool; var extend: Bool; var edit: Bool; var remix: Bool; var previews: Bool }
        struct Vocabulary: Encodable { var kinds: [String: [String]]; var words: [String] }
        struct Model: Encodable {
            var id: String; var object = "model"; var created: Int64; var owned_by = "kino"; var alias_of: String?
            var capabilities: Capabilities?; var vocabulary: Vocabulary?
        }
        struct Models: Encodable { var object = "list"; var data: [Model] }
        let catalog = service.configuration.catalog
        let created = service.startedAt / 1000
        let capabilities = Capabilities(image_to_video: renderer.acceptsImages, extend: renderer.acceptsImages && renderer.acceptsVideos,
                                        edit: renderer.acceptsVideos, remix: renderer.supportsRemix, previews: renderer.previews)
        func model(_ id: String, aliasOf: String? = nil) -> Model {
            let runs = aliasOf ?? id
            let served = renderer.models.contains(runs)
            return Model(id: id, created: created, alias_of: aliasOf, capabilities: served ? capabilities : nil,
                         vocabulary: served ? renderer.vocabulary.map { Vocabulary(kinds: $0.kinds, words: $0.words) } : nil)
        }
        let data = catalog.models.map { model($0) } + catalog.aliases.keys.sorted().map { model($0, aliasOf: catalog.aliases[$0]) }
        return json(Models(data: data))
    }

    func readFields(_ request: Request, context: KinoRequestContext) async throws -> RequestFields {
        let buffer: ByteBuffer
        let limit = context.principal.map { service.trust.maxBodyBytes(for: $0, serverLimit: maxBodyBytes) } ?? maxBodyBytes
        do {
            buffer = try await request.body.collect(upTo: limit)
        } catch is NIOTooManyBytesError {
            let size = limit >= 1_048_576 ? "\(limit / 1_048_576) MiB" : "\(limit) bytes"
            throw KinoServiceError(.tooLarge,
                                   limit < maxBodyBytes
                                       ? "The request body is larger than \(size), the most this API key may send (max_upload_bytes)."
                                       : "The request body is larger than \(size), the most this server accepts.",
                                   code: "request_too_large")
        }
        return try RequestBody.fields(contentType: request.headers[.contentType], body: Array(buffer.readableBytesView))
    }
}
