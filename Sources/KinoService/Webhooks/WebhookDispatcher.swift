import Foundation
import Logging

/// Signs and sends one event to one endpoint, checking the endpoint's address again at send time (DNS may have
/// changed since the endpoint was created).
struct WebhookSender: Sendable {
    enum Outcome: Sendable, Equatable {
        case answered(Int)
        case unreachable(String)
    }

    let settings: WebhookSettings

    func send(payload: String, eventID: String, to endpoint: WebhookEndpoint, now: Int64) async -> Outcome {
        let timestamp = now / 1000
        let signature = WebhookSignature.header(id: eventID, timestamp: timestamp, body: payload, secrets: endpoint.signingSecrets(now: now))
        do {
            let target = try await OutboundHTTP.target(endpoint.url, allowPrivate: settings.allowPrivate, param: "url", flag: settings.privateFlag)
            let response = try await OutboundHTTP.send(
                target, method: .POST,
                headers: [("content-type", "application/json"), ("webhook-id", eventID), ("webhook-timestamp", String(timestamp)),
                          ("webhook-signature", signature)],
                body: Array(payload.utf8), timeout: settings.timeout, maxBytes: 64 * 1024)
            return .answered(response.status)
        } catch let error as KinoServiceError {
            return .unreachable(error.message)
        } catch {
            return .unreachable("\(error)")
        }
    }
}

/// Delivers the outbox: claims due deliveries (leased, so several servers on one database never send one twice
/// at once), sends them, and records each attempt. A 2xx answer delivers; anything else is retried on
/// `WebhookSettings.retrySchedule` with the same `webhook-id` and body, then given up. At least once: a crash
/// after sending and before recording sends the event again after the lease.
public struct WebhookDispatcher: Sendable {
    let service: VideoService
    let logger: Logger

    public init(service: VideoService, logger: Logger = Logger(label: "kino.webhooks")) {
        self.service = service
        self.logger = logger
    }

    /// One pass; returns how many deliveries it attempted.
    @discardableResult
    public func runOnce(now: Int64 = Clock.nowMillis()) async -> Int {
        let settings = service.configuration.webhooks
        let leaseMillis = Int64(settings.timeout.components.seconds) * 1000 + 30_000
        let due: [(WebhookDelivery, WebhookEndpoint)]
        do {
            due = try await service.store.claimWebhookDeliveries(now: now, leaseMillis: leaseMillis, limit: 16)
        } catch {
            logger.error("could not read the webhook outbox: \(error)")
            return 0
        }
        let sender = WebhookSender(settings: settings)
        await withTaskGroup(of: Void.self) { group in
            for (delivery, endpoint) in due {
                group.addTask {
                    let outcome = await sender.send(payload: delivery.payload, eventID: delivery.eventID, to: endpoint, now: Clock.nowMillis())
                    await record(outcome, delivery: delivery, endpoint: endpoint, schedule: settings.retrySchedule)
                }
            }
        }
        return due.count
    }

    func record(_ outcome: WebhookSender.Outcome, delivery: WebhookDelivery, endpoint: WebhookEndpoint, schedule: [Int64]) async {
        let now = Clock.nowMillis()
        var status: Int?
        var failure: String?
        switch outcome {
        case .answered(let code) where (200..<300).contains(code): status = code
        case .answered(let code): status = code; failure = "the endpoint answered HTTP \(code)"
        case .unreachable(let reason): failure = reason
        }
        let attempt = delivery.attempts + 1
        let next: Int64? = failure == nil || attempt > schedule.count ? nil : now + schedule[attempt - 1]
        let metadata: Logger.Metadata = ["event": "\(delivery.eventID)", "endpoint": "\(endpoint.id)", "type": "\(delivery.type.rawValue)",
                                         "attempt": "\(attempt)"]
        if let failure {
            logger.warning("webhook delivery failed: \(failure); \(next == nil ? "giving up" : "will retry")", metadata: metadata)
        } else {
            logger.info("webhook delivered", metadata: metadata)
        }
        do {
            try await service.store.recordWebhookAttempt(seq: delivery.seq, delivered: failure == nil, statusCode: status, error: failure,
                                                         nextAttemptAt: next, now: now)
        } catch {
            logger.error("could not record a webhook attempt (it will be sent again): \(error)", metadata: metadata)
        }
    }

    /// Runs until the task is cancelled.
    public func run() async {
        while !Task.isCancelled {
            let sent = await runOnce()
            if sent == 0 { try? await Task.sleep(for: .milliseconds(500)) }
        }
    }
}
