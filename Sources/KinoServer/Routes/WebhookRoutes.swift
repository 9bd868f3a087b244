import Foundation
import HTTPTypes
import Hummingbird
import KinoService
import NIOCore

/// `/v1/webhook_endpoints` as the OpenAI SDK's `client.webhooks` calls it, `/v1/webhook_event_types`, and Kino's
/// delivery log (`/v1/webhook_endpoints/{id}/deliveries`).
struct WebhookRoutes {
    let service: VideoService

    func register(on group: RouterGroup<KinoRequestContext>) {
        group.post("webhook_endpoints", use: create)
        group.get("webhook_endpoints", use: list)
        group.get("webhook_endpoints/:webhook_endpoint_id", use: retrieve)
        group.post("webhook_endpoints/:webhook_endpoint_id", use: update)
        group.delete("webhook_endpoints/:webhook_endpoint_id", use: delete)
        group.post("webhook_endpoints/:webhook_endpoint_id/rotate_secret", use: rotate)
        group.post("webhook_endpoints/:webhook_endpoint_id/test", use: test)
        group.get("webhook_endpoints/:webhook_endpoint_id/deliveries", use: deliveries)
        group.get("webhook_event_types", use: eventTypes)
    }

    /// OpenAI's `WebhookEndpoint`; `signing_secret` only on create and rotation.
    struct EndpointObject: Encodable {
        var id: String
        var object = "webhook_endpoint"
        var name: String
        var url: String
        var event_types: [String]
        var created_at: Int64
        var updated_at: Int64
        var signing_secret_hint: String
        var signing_secret: String?

        init(_ e: WebhookEndpoint, withSecret: Bool = false) {
            id = e.id
            name = e.name
            url = e.url
            event_types = e.eventTypes.map(\.rawValue)
            created_at = e.createdAt / 1000
            updated_at = e.updatedAt / 1000
            signing_secret_hint = e.secretHint
            signing_secret = withSecret ? e.secret : nil
        }
    }

    struct DeliveryObject: Encodable {
        var object = "webhook_endpoint.delivery"
        var event_id: String
        var webhook_endpoint_id: String
        var type: String
        var video_id: String?
        var state: String
        var attempts: Int
        var last_status_code: Int?
        var last_error: String?
        var created_at: Int64
        var next_attempt_at: Int64?
        var delivered_at: Int64?

        init(_ d: WebhookDelivery) {
            event_id = d.eventID
            webhook_endpoint_id = d.endpointID
            type = d.type.rawValue
            video_id = d.videoID
            state = d.state.rawValue
            attempts = d.attempts
            last_status_code = d.lastStatusCode
            last_error = d.lastError
            created_at = d.createdAt / 1000
            next_attempt_at = d.state == .pending ? d.nextAttemptAt / 1000 : nil
            delivered_at = d.deliveredAt.map { $0 / 1000 }
        }
    }

    static func fields(_ request: Request) async throws -> RequestFields {
        let buffer: ByteBuffer
        do {
            buffer = try await request.body.collect(upTo: 64 * 1024)
        } catch is NIOTooManyBytesError {
            throw KinoServiceError(.tooLarge, "A webhook request body is at most 64 KiB.", code: "request_too_large")
        }
        return try RequestBody.fields(contentType: request.headers[.contentType] ?? "application/json", body: Array(buffer.readableBytesView))
    }

    @Sendable func create(_ request: Request, context: KinoRequestContext) async throws -> Response {
        let principal = try context.requirePrincipal()
        let fields = try await Self.fields(request)
        return try await Idempotency.run(request, context: context, route: "POST /v1/webhook_endpoints", fields: fields, store: service.store,
                                         retentionMillis: service.configuration.idempotencyRetentionMillis) {
            (.ok, encodeJSON(EndpointObject(try await service.createWebhookEndpoint(fields, principal: principal), withSecret: true)))
        }
    }

    @Sendable func list(_ request: Request, context: KinoRequestContext) async throws -> Response {
        let query = request.uri.queryParameters
        for name in query.map({ String($0.key) }) where !["after", "limit"].contains(name) {
            throw KinoServiceError(.invalidRequest, "Unknown query parameter '\(name)'. This route accepts: after, limit.", param: name, code: "unknown_parameter")
        }
        let after = query.get("after").flatMap { $0.isEmpty ? nil : $0 }
        let page = try await service.webhookEndpoints(principal: try context.requirePrincipal(), after: after,
                                                      limit: try limitParameter(request, range: 1...100))
        struct Page: Encodable { var object = "list"; var data: [EndpointObject]; var first_id: String?; var last_id: String?; var has_more: Bool }
        let data = page.endpoints.map { EndpointObject($0) }
        return json(Page(data: data, first_id: data.first?.id, last_id: data.last?.id, has_more: page.hasMore))
    }

    @Sendable func retrieve(_ request: Request, context: KinoRequestContext) async throws -> Response {
        let endpoint = try await service.webhookEndpoint(try context.parameters.require("webhook_endpoint_id"), principal: try context.requirePrincipal())
        return json(EndpointObject(endpoint))
    }

    @Sendable func update(_ request: Request, context: KinoRequestContext) async throws -> Response {
        let id = try context.parameters.require("webhook_endpoint_id")
        let endpoint = try await service.updateWebhookEndpoint(id, try await Self.fields(request), principal: try context.requirePrincipal())
        return json(EndpointObject(endpoint))
    }

    @Sendable func delete(_ request: Request, context: KinoRequestContext) async throws -> Response {
        let id = try context.parameters.require("webhook_endpoint_id")
        try await service.deleteWebhookEndpoint(id, principal: try context.requirePrincipal())
        struct Deleted: Encodable { var id: String; var object = "webhook_endpoint.deleted"; var deleted = true }
        return json(Deleted(id: id))
    }

    @Sendable func rotate(_ request: Request, context: KinoRequestContext) async throws -> Response {
        let id = try context.parameters.require("webhook_endpoint_id")
        let endpoint = try await service.rotateWebhookSecret(id, try await Self.fields(request), principal: try context.requirePrincipal())
        return json(EndpointObject(endpoint, withSecret: true))
    }

    @Sendable func test(_ request: Request, context: KinoRequestContext) async throws -> Response {
        let id = try context.parameters.require("webhook_endpoint_id")
        let result = try await service.testWebhookEndpoint(id, try await Self.fields(request), principal: try context.requirePrincipal())
        struct TestResult: Encodable {
            var object = "webhook_endpoint.test"; var webhook_endpoint_id: String; var event_type: String; var status_code: Int; var success = true
        }
        return json(TestResult(webhook_endpoint_id: id, event_type: result.type.rawValue, status_code: result.status))
    }

    @Sendable func deliveries(_ request: Request, context: KinoRequestContext) async throws -> Response {
        let id = try context.parameters.require("webhook_endpoint_id")
        let log = try await service.webhookDeliveries(principal: try context.requirePrincipal(), endpointID: id,
                                                      limit: try limitParameter(request, range: 1...500) ?? 50)
        struct Log: Encodable { var object = "list"; var data: [DeliveryObject] }
        return json(Log(data: log.map(DeliveryObject.init)))
    }

    @Sendable func eventTypes(_ request: Request, context: KinoRequestContext) async throws -> Response {
        try context.requirePrincipal().require(.read)
        struct Types: Encodable { var object = "list"; var data: [String] }
        return json(Types(data: WebhookEventType.allCases.map(\.rawValue)))
    }
}
