import Foundation
import Testing
@testable import KinoService

@Suite("Webhooks: signing, outbox, address rules")
struct WebhookTests {
    func endpoint(_ id: String, project: String = "p1", types: [WebhookEventType] = WebhookEventType.allCases, at: Int64 = 0) -> WebhookEndpoint {
        WebhookEndpoint(id: id, project: project, name: id, url: "https://example.com/\(id)", eventTypes: types,
                        secret: WebhookSignature.newSecret(), createdAt: at, updatedAt: at)
    }

    /// The expected value comes from Python's hmac with the same inputs (Standard Webhooks' construction).
    @Test func signatureMatchesStandardWebhooks() {
        let body = #"{"created_at":1700000000,"data":{"id":"video_1"},"id":"evt_1","object":"event","type":"video.completed"}"#
        let header = WebhookSignature.header(id: "evt_1", timestamp: 1_700_000_000, body: body,
                                             secrets: ["whsec_AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="])
        #expect(header == "v1,aSHPtMzpy/8Hl96TXnEcKE/RRWOoxN5UQxdhhMviZN8=")
        let two = WebhookSignature.header(id: "evt_1", timestamp: 1_700_000_000, body: body, secrets: [WebhookSignature.newSecret(), "whsec_AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="])
        #expect(two.split(separator: " ").count == 2 && two.hasSuffix(header))
    }

    @Test func rotationKeepsTheOldSecretOnlyUntilItExpires() {
        var e = endpoint("e1")
        e.previousSecret = "whsec_old"
        e.previousSecretExpiresAt = 1_000
        #expect(e.signingSecrets(now: 999) == [e.secret, "whsec_old"])
        #expect(e.signingSecrets(now: 1_000) == [e.secret])
    }

    /// Finishing a job and queueing its events is one transaction; each subscribed endpoint of the job's project
    /// gets the event once, with one event id shared by all.
    @Test(arguments: StoreKind.allCases)
    func finishingAJobFillsTheOutbox(kind: StoreKind) async throws {
        let store = try kind.make()
        try await store.insertWebhookEndpoint(endpoint("all"))
        try await store.insertWebhookEndpoint(endpoint("done-only", types: [.videoCompleted], at: 1))
        try await store.insertWebhookEndpoint(endpoint("elsewhere", project: "p2", at: 2))
        for id in ["v1", "v2", "v3", "v4"] { _ = try await store.insert(newJob(id)) }
        let v1 = try #require(try await store.claim(worker: "w", leaseMillis: 1_000, now: 10))
        try await store.complete(v1, JobCompletion(hasLatents: false, completedAt: 20, expiresAt: 99))
        let v2 = try #require(try await store.claim(worker: "w", leaseMillis: 1_000, now: 30))
        try await store.fail(v2, code: "generation_failed", message: "boom", now: 40)
        _ = try await store.cancel(id: "v3", project: "p1", now: 50)
        let log = try await store.webhookDeliveries(project: "p1", endpointID: nil, limit: 10)
        let seen = log.map { "\($0.endpointID) \($0.type.rawValue) \($0.videoID ?? "")" }.sorted()
        #expect(seen == ["all video.cancelled v3", "all video.completed v1", "all video.failed v2", "done-only video.completed v1"])
        let completed = log.filter { $0.videoID == "v1" }
        #expect(Set(completed.map(\.eventID)).count == 1 && completed.allSatisfy { $0.payload == completed[0].payload })
        let payload = try JSONSerialization.jsonObject(with: Data(completed[0].payload.utf8)) as? [String: Any]
        #expect(payload?["type"] as? String == "video.completed" && (payload?["data"] as? [String: Any])?["id"] as? String == "v1")
        #expect(payload?["object"] as? String == "event" && payload?["id"] as? String == completed[0].eventID)
        await #expect(try await store.webhookDeliveries(project: "p2", endpointID: nil, limit: 10).isEmpty)
    }

    /// Claims lease deliveries; failures retry on the schedule with the same event; the last failure gives up.
    @Test(arguments: StoreKind.allCases)
    func claimsLeaseAndAttemptsAreRecorded(kind: StoreKind) async throws {
        let store = try kind.make()
        try await store.insertWebhookEndpoint(endpoint("e1"))
        _ = try await store.insert(newJob("v1"))
        let lease = try #require(try await store.claim(worker: "w", leaseMillis: 1_000, now: 10))
        try await store.complete(lease, JobCompletion(hasLatents: false, completedAt: 20, expiresAt: 99))
        let first = try await store.claimWebhookDeliveries(now: 20, leaseMillis: 100, limit: 5)
        #expect(first.count == 1 && first[0].1.id == "e1")
        await #expect(try await store.claimWebhookDeliveries(now: 50, leaseMillis: 100, limit: 5).isEmpty, "leased to the first claim")
        try await store.recordWebhookAttempt(seq: first[0].0.seq, delivered: false, statusCode: 503, error: "HTTP 503", nextAttemptAt: 1_000, now: 60)
        await #expect(try await store.claimWebhookDeliveries(now: 999, leaseMillis: 100, limit: 5).isEmpty, "not before its retry time")
        let retry = try await store.claimWebhookDeliveries(now: 1_000, leaseMillis: 100, limit: 5)
        #expect(retry.count == 1 && retry[0].0.eventID == first[0].0.eventID && retry[0].0.attempts == 1)
        try await store.recordWebhookAttempt(seq: retry[0].0.seq, delivered: false, statusCode: nil, error: "refused", nextAttemptAt: nil, now: 1_010)
        let log = try await store.webhookDeliveries(project: "p1", endpointID: "e1", limit: 5)
        #expect(log.count == 1 && log[0].state == .failed && log[0].attempts == 2 && log[0].lastError == "refused")
        await #expect(try await store.claimWebhookDeliveries(now: 9_999, leaseMillis: 100, limit: 5).isEmpty, "given up")
    }

    @Test(arguments: StoreKind.allCases)
    func endpointsPageNewestFirstAndDeleteDropsPendingEvents(kind: StoreKind) async throws {
        let store = try kind.make()
        for i in 1...3 { try await store.insertWebhookEndpoint(endpoint("e\(i)", at: Int64(i))) }
        let page = try await store.webhookEndpoints(project: "p1", after: nil, limit: 2)
        #expect(page.map(\.id) == ["e3", "e2", "e1"], "limit + 1 rows tell whether more exist")
        #expect(try await store.webhookEndpoints(project: "p1", after: "e2", limit: 2).map(\.id) == ["e1"])
        await #expect(throws: KinoServiceError.self) { _ = try await store.webhookEndpoints(project: "p2", after: "e2", limit: 2) }
        _ = try await store.insert(newJob("v1"))
        _ = try await store.cancel(id: "v1", project: "p1", now: 5)
        #expect(try await store.deleteWebhookEndpoint(id: "e1", project: "p2") == false, "another project's endpoint")
        #expect(try await store.deleteWebhookEndpoint(id: "e1", project: "p1"))
        let remaining = try await store.claimWebhookDeliveries(now: 10, leaseMillis: 100, limit: 10)
        #expect(Set(remaining.map(\.1.id)) == ["e2", "e3"])
    }

    @Test func privateAddressesAreRecognised() {
        for address in ["127.0.0.1", "10.1.2.3", "172.16.0.1", "172.31.255.255", "192.168.1.1", "169.254.169.254", "100.64.0.1", "0.0.0.0",
                        "224.0.0.1", "255.255.255.255", "::1", "::", "fe80::1", "fc00::1", "fd12::1", "::ffff:10.0.0.1", "::ffff:127.0.0.1",
                        "64:ff9b::a00:1", "2001:db8::1", "not an address"] {
            #expect(OutboundHTTP.isPrivate(address), "\(address) is private")
        }
        for address in ["8.8.8.8", "172.32.0.1", "100.128.0.1", "1.1.1.1", "2606:4700:4700::1111", "::ffff:8.8.8.8"] {
            #expect(!OutboundHTTP.isPrivate(address), "\(address) is public")
        }
    }

    @Test func targetsAreCheckedBeforeAnyRequest() async throws {
        for url in ["http://example.com/x", "https://127.0.0.1/x", "https://user:pw@example.com/x", "file:///etc/passwd", "https://[::1]/x",
                    "https://localhost/x"] {
            await #expect(throws: KinoServiceError.self, "\(url)") {
                _ = try await OutboundHTTP.target(url, allowPrivate: false, param: "url", flag: "--allow-private-webhooks")
            }
        }
        let local = try await OutboundHTTP.target("http://127.0.0.1:9/x", allowPrivate: true, param: "url", flag: "--allow-private-webhooks")
        #expect(local.address == "127.0.0.1" && local.host == "127.0.0.1")
    }

    @Test func retryScheduleParses() throws {
        #expect(try WebhookSettings.parseSchedule("5s, 5m,2h,1") == [5_000, 300_000, 7_200_000, 1_000])
        #expect(throws: KinoServiceError.self) { try WebhookSettings.parseSchedule("soon") }
        #expect(WebhookSettings().retrySchedule.reduce(0, +) > 24 * 3_600_000, "the default retries for about a day")
    }
}
