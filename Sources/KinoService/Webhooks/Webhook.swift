import Crypto
import Foundation

/// The events Kino sends, in OpenAI's names; `video.cancelled` is Kino's own (OpenAI reports a cancel as nothing).
public enum WebhookEventType: String, Sendable, CaseIterable, Codable {
    case videoCompleted = "video.completed"
    case videoFailed = "video.failed"
    case videoCancelled = "video.cancelled"

    /// The event a job's history entry raises: `completed`, or `failed` with its error code as detail.
    static func forJobEvent(_ event: String, detail: String?) -> WebhookEventType? {
        switch event {
        case "completed": .videoCompleted
        case "failed": detail == "cancelled" ? .videoCancelled : .videoFailed
        default: nil
        }
    }
}

/// A project's webhook endpoint (OpenAI's `WebhookEndpoint`). The secret signs every delivery; during a rotation
/// that keeps the old one, both sign until `previousSecretExpiresAt`.
public struct WebhookEndpoint: Sendable, Equatable {
    public var id: String
    public var project: String
    public var name: String
    public var url: String
    public var eventTypes: [WebhookEventType]
    public var secret: String
    public var previousSecret: String?
    public var previousSecretExpiresAt: Int64?
    /// Unix milliseconds.
    public var createdAt: Int64
    public var updatedAt: Int64

    public init(id: String, project: String, name: String, url: String, eventTypes: [WebhookEventType], secret: String,
                previousSecret: String? = nil, previousSecretExpiresAt: Int64? = nil, createdAt: Int64, updatedAt: Int64) {
        self.id = id
        self.project = project
        self.name = name
        self.url = url
        self.eventTypes = eventTypes
        self.secret = secret
        self.previousSecret = previousSecret
        self.previousSecretExpiresAt = previousSecretExpiresAt
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }

    /// `whsec_` and the last four characters: enough to tell secrets apart, useless to an attacker.
    public var secretHint: String { "whsec_..." + secret.suffix(4) }

    /// The secrets that sign a delivery made at `now`.
    func signingSecrets(now: Int64) -> [String] {
        guard let previousSecret, let until = previousSecretExpiresAt, until > now else { return [secret] }
        return [secret, previousSecret]
    }
}

/// One delivery of one event to one endpoint, from the durable outbox. Retries keep `eventID` (the
/// `webhook-id` header) and `payload`, so a receiver can drop duplicates.
public struct WebhookDelivery: Sendable, Equatable {
    public enum State: String, Sendable { case pending, delivered, failed }

    public var seq: Int64
    public var eventID: String
    public var endpointID: String
    public var project: String
    public var type: WebhookEventType
    public var videoID: String?
    public var payload: String
    public var state: State
    public var attempts: Int
    public var nextAttemptAt: Int64
    public var lastStatusCode: Int?
    public var lastError: String?
    public var createdAt: Int64
    public var deliveredAt: Int64?
}

/// Standard Webhooks signing (the scheme the OpenAI SDK's `webhooks.unwrap` verifies).
public enum WebhookSignature {
    /// A new `whsec_` secret: 32 random bytes, base64.
    public static func newSecret() -> String {
        var generator = SystemRandomNumberGenerator()
        return "whsec_" + Data((0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) }).base64EncodedString()
    }

    /// The `webhook-signature` header: `v1,<base64 HMAC-SHA256 of "id.timestamp.body">` per secret, space-separated.
    public static func header(id: String, timestamp: Int64, body: String, secrets: [String]) -> String {
        let message = Data("\(id).\(timestamp).\(body)".utf8)
        return secrets.map { secret in
            let key = SymmetricKey(data: keyBytes(secret))
            return "v1," + Data(HMAC<SHA256>.authenticationCode(for: message, using: key)).base64EncodedString()
        }.joined(separator: " ")
    }

    static func keyBytes(_ secret: String) -> Data {
        if secret.hasPrefix("whsec_"), let data = Data(base64Encoded: String(secret.dropFirst(6))) { return data }
        return Data(secret.utf8)
    }
}

/// Endpoints and their outbox. Events are put in the outbox by the job store in the same transaction as the
/// job's final state, so a crash between the two cannot lose one.
public protocol WebhookStore: Sendable {
    func insertWebhookEndpoint(_ endpoint: WebhookEndpoint) async throws
    /// Replaces the endpoint's row (matched by id and project); false when there is none.
    func updateWebhookEndpoint(_ endpoint: WebhookEndpoint) async throws -> Bool
    func webhookEndpoint(id: String, project: String) async throws -> WebhookEndpoint?
    /// Newest first, after the endpoint `after` (exclusive); one more than `limit` tells whether more exist.
    func webhookEndpoints(project: String, after: String?, limit: Int) async throws -> [WebhookEndpoint]
    /// Deletes the endpoint and drops its undelivered events; false when there is none.
    func deleteWebhookEndpoint(id: String, project: String) async throws -> Bool
    /// Leases up to `limit` deliveries that are due, so two dispatchers never send the same one at once.
    func claimWebhookDeliveries(now: Int64, leaseMillis: Int64, limit: Int) async throws -> [(WebhookDelivery, WebhookEndpoint)]
    /// Records an attempt: delivered, or failed with the next attempt's time (nil: give up).
    func recordWebhookAttempt(seq: Int64, delivered: Bool, statusCode: Int?, error: String?, nextAttemptAt: Int64?, now: Int64) async throws
    /// The delivery log of a project (one endpoint, or all), newest first.
    func webhookDeliveries(project: String, endpointID: String?, limit: Int) async throws -> [WebhookDelivery]
}

extension WebhookEndpoint {
    /// The JSON body of an event, fixed when the event is put in the outbox.
    static func payload(eventID: String, type: WebhookEventType, videoID: String, createdAt: Int64) -> String {
        let object: [String: Any] = [
            "id": eventID, "object": "event", "type": type.rawValue, "created_at": createdAt / 1000, "data": ["id": videoID],
        ]
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data()
        return String(decoding: data, as: UTF8.self)
    }

    static func newID(prefix: String) -> String {
        var generator = SystemRandomNumberGenerator()
        return prefix + hexString((0..<12).map { _ in UInt8.random(in: 0...255, using: &generator) })
    }
}
