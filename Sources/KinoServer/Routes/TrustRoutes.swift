import Foundation
import HTTPTypes
import Hummingbird
import KinoService

/// Admin and moderator routes: the global pause (`admin` scope), the review queue and its decisions
/// (`moderator` scope), and the moderation audit log (`admin`).
struct TrustRoutes {
    let service: VideoService

    func register(on group: RouterGroup<KinoRequestContext>) {
        group.get("admin/pause", use: pauseState)
        group.post("admin/pause", use: pause)
        group.post("admin/resume", use: resume)
        group.get("admin/moderation", use: moderationLog)
        group.get("review", use: reviewQueue)
        group.get("review/:video_id/content", use: reviewContent)
        group.post("review/:video_id/approve") { request, context in try await decide(request, context, approve: true) }
        group.post("review/:video_id/reject") { request, context in try await decide(request, context, approve: false) }
    }

    struct PauseObject: Encodable {
        var object = "service.pause"
        var paused: Bool
        var message: String?
        var since: Int64?
    }

    @Sendable func pauseState(_ request: Request, context: KinoRequestContext) async throws -> Response {
        try context.requirePrincipal().require(.admin)
        let state = try await service.trust.pauseState()
        return json(PauseObject(paused: state != nil, message: state?.message, since: state.map { $0.since / 1000 }))
    }

    @Sendable func pause(_ request: Request, context: KinoRequestContext) async throws -> Response {
        let principal = try context.requirePrincipal()
        try principal.require(.admin)
        let fields = try await Self.jsonFields(request, accepting: ["message"])
        try fields.checkLength("message", limit: 1000)
        let state = try await service.trust.pause(message: fields["message"] ?? "", principal: principal)
        return json(PauseObject(paused: true, message: state.message, since: state.since / 1000))
    }

    @Sendable func resume(_ request: Request, context: KinoRequestContext) async throws -> Response {
        try await service.trust.resume(principal: try context.requirePrincipal())
        return json(PauseObject(paused: false))
    }

    @Sendable func moderationLog(_ request: Request, context: KinoRequestContext) async throws -> Response {
        try context.requirePrincipal().require(.admin)
        struct Entry: Encodable {
            var at: Int64; var key_id: String?; var project: String; var route: String; var decision: String
            var category: String?; var rule: String?; var video_id: String?; var prompt: String
        }
        struct Log: Encodable { var object = "list"; var data: [Entry] }
        // Refused rather than clamped or defaulted, as on GET /v1/videos: a client that sent limit=true or
        // limit=9999 learns its mistake instead of getting a page it did not ask for.
        var limit = 50
        if let text = request.uri.queryParameters.get("limit") {
            guard let value = Int(text), (1...500).contains(value) else {
                throw KinoServiceError(.invalidRequest, "limit must be a whole number from 1 to 500, got '\(text)'.", param: "limit", code: "invalid_value")
            }
            limit = value
        }
        let entries = try await service.trust.recentModeration(limit: limit).map {
            Entry(at: $0.at / 1000, key_id: $0.keyID, project: $0.project, route: $0.route, decision: $0.decision,
                  category: $0.category, rule: $0.rule, video_id: $0.videoID, prompt: $0.prompt)
        }
        return json(Log(data: entries))
    }

    @Sendable func reviewQueue(_ request: Request, context: KinoRequestContext) async throws -> Response {
        let stateText = request.uri.queryParameters.get("state") ?? "pending"
        let state: ShareState?
        if stateText == "all" {
            state = nil
        } else {
            guard let parsed = ShareState(rawValue: stateText) else {
                throw KinoServiceError(.invalidRequest, "state must be pending, approved, rejected or all; got '\(stateText)'.", param: "state", code: "invalid_value")
            }
            state = parsed
        }
        let records = try await service.trust.reviewQueue(principal: try context.requirePrincipal(), state: state)
        struct ReviewList: Encodable { var object = "list"; var data: [ShareObject] }
        return json(ReviewList(data: records.map { ShareObject($0, forReviewer: true) }))
    }

    @Sendable func reviewContent(_ request: Request, context: KinoRequestContext) async throws -> Response {
        let id = try context.parameters.require("video_id")
        let variant = try VideoRoutes.variant(request)
        let file = try await service.trust.reviewContent(id, variant: variant, principal: try context.requirePrincipal())
        return try await fileResponse(file, contentType: variant.contentType, headers: [.cacheControl: "private, no-store"],
                                      request: request, context: context)
    }

    func decide(_ request: Request, _ context: KinoRequestContext, approve: Bool) async throws -> Response {
        let principal = try context.requirePrincipal()
        try principal.require(.moderator)
        let fields = try await Self.jsonFields(request, accepting: ["reason"])
        try fields.checkLength("reason", limit: 2000)
        let record = try await service.trust.decide(
            try context.parameters.require("video_id"), approve: approve, reason: fields["reason"], principal: principal)
        return json(ShareObject(record, forReviewer: true))
    }

    /// A small optional JSON body (`{"message": ...}`, `{"reason": ...}`) as text fields. Like the create
    /// routes, a field the route does not take, or an object or array where text belongs, is a 400 naming it
    /// rather than silently ignored.
    static func jsonFields(_ request: Request, accepting names: Set<String>) async throws -> RequestFields {
        let buffer = try await request.body.collect(upTo: 64 * 1024)
        guard buffer.readableBytes > 0 else { return RequestFields() }
        let fields = try RequestBody.fields(contentType: request.headers[.contentType] ?? "application/json", body: Array(buffer.readableBytesView))
        let sent = Set(fields.values.keys).union(fields.files).union(fields.objects)
        if let name = sent.subtracting(names).sorted().first {
            throw KinoServiceError(.invalidRequest, "Unknown parameter '\(name)'. This route accepts: \(names.sorted().joined(separator: ", ")).",
                                   param: name, code: "unknown_parameter")
        }
        if let name = fields.objects.union(fields.files).sorted().first {
            throw KinoServiceError(.invalidRequest, "'\(name)' must be a string.", param: name, code: "invalid_type")
        }
        return fields
    }
}

/// A request to share a video, as the API shows it.
struct ShareObject: Encodable {
    var object = "video.share"
    var video_id: String
    var state: String
    var requested_at: Int64
    var decided_at: Int64?
    var reason: String?
    var note: String?
    var allow_download: Bool
    /// The public page, once approved.
    var share_url: String?
    var project: String?
    var prompt: String?
    var seconds: String?
    var size: String?
    var model: String?

    init(_ record: ShareRecord, forReviewer: Bool = false) {
        video_id = record.videoID
        state = record.state.rawValue
        requested_at = record.requestedAt / 1000
        decided_at = record.decidedAt.map { $0 / 1000 }
        reason = record.reason
        note = record.note
        allow_download = record.allowDownload
        share_url = record.state == .approved ? "/share/\(record.videoID)" : nil
        if forReviewer {
            project = record.project
            prompt = record.prompt
            seconds = String(record.seconds)
            size = record.size.description
            model = record.model
        }
    }
}
