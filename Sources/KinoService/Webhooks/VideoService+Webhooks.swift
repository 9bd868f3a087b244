import Foundation

/// How webhooks are delivered (`kino serve` options).
public struct WebhookSettings: Sendable {
    /// Lets endpoints use plain http:// and private or loopback addresses (`--allow-private-webhooks`).
    public var allowPrivate = false
    /// Waits before each retry, in milliseconds; the delivery is given up after the last. The default follows
    /// Standard Webhooks' reference schedule: 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h (about a day in all).
    public var retrySchedule: [Int64] = [5, 300, 1800, 7200, 18000, 36000, 36000].map { $0 * 1000 }
    /// How long one delivery may take; an endpoint should answer at once and do its work later.
    public var timeout: Duration = .seconds(15)
    public var maxEndpointsPerProject = 20
    /// How refusals name the option that allows private targets (the CLI has its own).
    public var privateFlag = "`kino serve --allow-private-webhooks`"

    public init() {}

    /// Parses `5s,5m,30m,2h` (s, m, h; a bare number is seconds) for `--webhook-retries`.
    public static func parseSchedule(_ text: String) throws -> [Int64] {
        try text.split(separator: ",").map { part in
            let item = part.trimmingCharacters(in: .whitespaces).lowercased()
            let unit: Int64 = item.hasSuffix("h") ? 3_600_000 : item.hasSuffix("m") ? 60_000 : 1000
            guard let value = Double(item.hasSuffix("h") || item.hasSuffix("m") || item.hasSuffix("s") ? String(item.dropLast()) : item),
                  value >= 0, value <= 7 * 24 * 3600 else {
                throw KinoServiceError.invalid("Retry delay '\(part)' should look like 5s, 5m or 2h.", param: "webhook-retries")
            }
            return Int64(value * Double(unit))
        }
    }
}

extension VideoService {
    /// `POST /v1/webhook_endpoints`: the endpoint with its signing secret, which is shown only here and on rotation.
    public func createWebhookEndpoint(_ fields: RequestFields, principal: Principal, now: Int64 = Clock.nowMillis()) async throws -> WebhookEndpoint {
        try principal.require(.generate)
        try Self.acceptOnly(["name", "url", "event_types"], in: fields)
        let name = try Self.endpointName(fields, required: true) ?? ""
        let url = try await checkedEndpointURL(fields, required: true) ?? ""
        let types = try Self.eventTypes(fields, required: true) ?? []
        let existing = try await store.webhookEndpoints(project: principal.project, after: nil, limit: configuration.webhooks.maxEndpointsPerProject)
        guard existing.count < configuration.webhooks.maxEndpointsPerProject else {
            throw KinoServiceError.invalid("This project already has \(existing.count) webhook endpoints, the most allowed; delete one first.",
                                           param: nil, code: "limit_reached")
        }
        let endpoint = WebhookEndpoint(id: WebhookEndpoint.newID(prefix: "whep_"), project: principal.project, name: name, url: url,
                                       eventTypes: types, secret: WebhookSignature.newSecret(), createdAt: now, updatedAt: now)
        try await store.insertWebhookEndpoint(endpoint)
        logger.info("webhook endpoint created", metadata: ["endpoint": "\(endpoint.id)", "project": "\(principal.project)"])
        return endpoint
    }

    public func webhookEndpoint(_ id: String, principal: Principal) async throws -> WebhookEndpoint {
        try principal.require(.read)
        guard let endpoint = try await store.webhookEndpoint(id: id, project: principal.project) else {
            throw KinoServiceError(.notFound, "No webhook endpoint found with id '\(id)'.", param: "webhook_endpoint_id", code: "webhook_endpoint_not_found")
        }
        return endpoint
    }

    /// `POST /v1/webhook_endpoints/{id}`: changes what is sent; `updated_at` moves only when something changed.
    public func updateWebhookEndpoint(_ id: String, _ fields: RequestFields, principal: Principal, now: Int64 = Clock.nowMillis()) async throws -> WebhookEndpoint {
        try principal.require(.generate)
        try Self.acceptOnly(["name", "url", "event_types"], in: fields)
        var endpoint = try await webhookEndpoint(id, principal: principal)
        let before = endpoint
        if let name = try Self.endpointName(fields, required: false) { endpoint.name = name }
        if let url = try await checkedEndpointURL(fields, required: false) { endpoint.url = url }
        if let types = try Self.eventTypes(fields, required: false) { endpoint.eventTypes = types }
        guard endpoint != before else { return endpoint }
        endpoint.updatedAt = now
        guard try await store.updateWebhookEndpoint(endpoint) else { return try await webhookEndpoint(id, principal: principal) }
        return endpoint
    }

    public func webhookEndpoints(principal: Principal, after: String?, limit: Int?) async throws -> (endpoints: [WebhookEndpoint], hasMore: Bool) {
        try principal.require(.read)
        let limit = limit ?? 20
        guard (1...100).contains(limit) else {
            throw KinoServiceError.invalid("limit must be from 1 to 100, got \(limit).", param: "limit")
        }
        let rows = try await store.webhookEndpoints(project: principal.project, after: after, limit: limit)
        return (Array(rows.prefix(limit)), rows.count > limit)
    }

    public func deleteWebhookEndpoint(_ id: String, principal: Principal) async throws {
        try principal.require(.generate)
        guard try await store.deleteWebhookEndpoint(id: id, project: principal.project) else {
            throw KinoServiceError(.notFound, "No webhook endpoint found with id '\(id)'.", param: "webhook_endpoint_id", code: "webhook_endpoint_not_found")
        }
    }

    /// A new signing secret; with `keep_old_secret_active_for_24_hours` deliveries carry both signatures for a day.
    public func rotateWebhookSecret(_ id: String, _ fields: RequestFields, principal: Principal, now: Int64 = Clock.nowMillis()) async throws -> WebhookEndpoint {
        try principal.require(.generate)
        try Self.acceptOnly(["keep_old_secret_active_for_24_hours"], in: fields)
        let keep = try Self.boolean(fields, "keep_old_secret_active_for_24_hours") ?? false
        var endpoint = try await webhookEndpoint(id, principal: principal)
        endpoint.previousSecret = keep ? endpoint.secret : nil
        endpoint.previousSecretExpiresAt = keep ? now + 24 * 3_600_000 : nil
        endpoint.secret = WebhookSignature.newSecret()
        endpoint.updatedAt = now
        _ = try await store.updateWebhookEndpoint(endpoint)
        return endpoint
    }

    /// `POST /v1/webhook_endpoints/{id}/test`: sends a sample event now and returns the endpoint's HTTP status.
    public func testWebhookEndpoint(_ id: String, _ fields: RequestFields, principal: Principal, now: Int64 = Clock.nowMillis()) async throws -> (type: WebhookEventType, status: Int) {
        try principal.require(.generate)
        try Self.acceptOnly(["event_type"], in: fields)
        guard let text = fields["event_type"] else {
            throw KinoServiceError.invalid("Name the event to send in 'event_type' (\(Self.eventNames)).", param: "event_type", code: "missing_required_parameter")
        }
        guard let type = WebhookEventType(rawValue: text) else { throw Self.unknownEvent(text, param: "event_type") }
        let endpoint = try await webhookEndpoint(id, principal: principal)
        let eventID = WebhookEndpoint.newID(prefix: "evt_")
        let payload = WebhookEndpoint.payload(eventID: eventID, type: type, videoID: "video_test", createdAt: now)
        let sender = WebhookSender(settings: configuration.webhooks)
        switch await sender.send(payload: payload, eventID: eventID, to: endpoint, now: now) {
        case .answered(let status): return (type, status)
        case .unreachable(let reason):
            throw KinoServiceError.invalid("The test event could not be delivered to \(endpoint.url): \(reason)", param: "webhook_endpoint_id",
                                           code: "webhook_unreachable")
        }
    }

    /// The delivery log: every event sent or waiting, newest first.
    public func webhookDeliveries(principal: Principal, endpointID: String?, limit: Int = 50) async throws -> [WebhookDelivery] {
        try principal.require(.read)
        if let endpointID { _ = try await webhookEndpoint(endpointID, principal: principal) }
        return try await store.webhookDeliveries(project: principal.project, endpointID: endpointID, limit: max(1, min(limit, 500)))
    }

    static var eventNames: String { WebhookEventType.allCases.map(\.rawValue).joined(separator: ", ") }

    static func unknownEvent(_ name: String, param: String) -> KinoServiceError {
        KinoServiceError.invalid("Kino sends the events \(eventNames); '\(name)' is not one of them.", param: param, code: "invalid_value")
    }

    static func acceptOnly(_ accepted: Set<String>, in fields: RequestFields) throws {
        let sent = Set(fields.values.keys).union(fields.files).union(fields.objects)
        if let name = sent.subtracting(accepted).sorted().first {
            throw KinoServiceError.invalid("Unknown parameter '\(name)'. This route accepts: \(accepted.sorted().joined(separator: ", ")).",
                                           param: name, code: "unknown_parameter")
        }
        if let name = fields.objects.union(fields.files).sorted().first {
            throw KinoServiceError.invalid(name == "event_types" ? "'event_types' must be a list of event names (strings)."
                                                                 : "'\(name)' must be a string.", param: name, code: "invalid_type")
        }
        for name in accepted.sorted() where fields.values[name] != nil && fields[name] == nil {
            throw KinoServiceError.invalid("'\(name)' is empty; leave it out or give a value.", param: name, code: "invalid_value")
        }
    }

    static func endpointName(_ fields: RequestFields, required: Bool) throws -> String? {
        try fields.checkLength("name", limit: 200)
        guard let name = fields["name"] else {
            if required { throw KinoServiceError.invalid("Give the endpoint a 'name'.", param: "name", code: "missing_required_parameter") }
            return nil
        }
        try VideoLimits.checkText(name, field: "name")
        return name
    }

    func checkedEndpointURL(_ fields: RequestFields, required: Bool) async throws -> String? {
        try fields.checkLength("url", limit: 2048)
        guard let url = fields["url"] else {
            if required { throw KinoServiceError.invalid("Give the endpoint's 'url' (https://...).", param: "url", code: "missing_required_parameter") }
            return nil
        }
        _ = try await OutboundHTTP.target(url, allowPrivate: configuration.webhooks.allowPrivate, param: "url", flag: configuration.webhooks.privateFlag)
        return url
    }

    /// A JSON list arrives as its items joined by commas (RequestBody); a form sends the same text.
    static func eventTypes(_ fields: RequestFields, required: Bool) throws -> [WebhookEventType]? {
        guard fields.values["event_types"] != nil else {
            if required {
                throw KinoServiceError.invalid("List the events to send in 'event_types' (\(eventNames)).", param: "event_types", code: "missing_required_parameter")
            }
            return nil
        }
        var types: [WebhookEventType] = []
        for name in (fields.values["event_types"] ?? "").split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) {
            guard let type = WebhookEventType(rawValue: name) else { throw unknownEvent(name, param: "event_types") }
            if !types.contains(type) { types.append(type) }
        }
        guard !types.isEmpty else {
            throw KinoServiceError.invalid("'event_types' is empty; list at least one of \(eventNames).", param: "event_types", code: "invalid_value")
        }
        return types
    }

    static func boolean(_ fields: RequestFields, _ name: String) throws -> Bool? {
        guard let text = fields[name] else { return nil }
        switch text.lowercased() {
        case "true", "1": return true
        case "false", "0": return false
        default: throw KinoServiceError.invalid("'\(name)' must be true or false, got '\(text)'.", param: name, code: "invalid_value")
        }
    }
}
