import Foundation
import Testing
@testable import KinoService

/// Limits, pause, moderation audit and review through `VideoService` on a real SQLite store.
@Suite("Trust: limits, pause, moderation, review")
struct TrustTests {
    struct Fixture {
        let store: SQLiteStore
        let service: VideoService
        let alice: CreatedKey
        let moderator: CreatedKey

        init(limits: KeyLimits = KeyLimits.builtInDefaults, moderation: Bool = true) async throws {
            store = try SQLiteStore(path: temporaryDatabasePath())
            let outputs = try OutputStore(root: FileManager.default.temporaryDirectory.appendingPathComponent("kino-trust-\(UUID().uuidString)"))
            let trust = TrustSettings(defaultLimits: limits, moderator: moderation ? Moderator(policy: try Moderator.defaultPolicy(), source: "test") : nil)
            service = VideoService(configuration: ServiceConfiguration(catalog: ModelCatalog(models: ["kino-tiny"])), store: store,
                                   outputs: outputs, trust: trust, seedSource: { 7 })
            alice = try await service.keys.create(name: "alice")
            moderator = try await service.keys.create(name: "mod", scopes: [.moderator, .read])
        }

        /// The principal as the server sees it on the next request (limits re-read from the store).
        func principal(_ key: CreatedKey) async throws -> Principal { try await service.keys.authenticate(token: key.token) }

        func create(_ prompt: String, seconds: String = "4", as key: CreatedKey? = nil, now: Int64 = Clock.nowMillis()) async throws -> VideoJob {
            try await service.create(RequestFields(values: ["prompt": prompt, "seconds": seconds]), principal: try principal(key ?? alice), now: now)
        }
    }

    func error(_ body: () async throws -> Void) async -> KinoServiceError? {
        do { try await body() } catch let error as KinoServiceError { return error } catch { return nil }
        return nil
    }

    @Test func keyLimitsUpdateAndInherit() async throws {
        let f = try await Fixture(limits: KeyLimits(ratePerMinute: 100, maxQueued: 9))
        await #expect(try await f.store.updateKeyLimits(id: f.alice.record.id, ["rate_per_minute": .value(5), "max_queued": .value(0)]))
        var limits = await f.service.trust.effectiveLimits(try f.principal(f.alice))
        #expect(limits.ratePerMinute == 5 && limits.maxQueued == nil, "0 exempts the key from the default")
        _ = try await f.store.updateKeyLimits(id: f.alice.record.id, ["rate_per_minute": .inherit])
        limits = await f.service.trust.effectiveLimits(try f.principal(f.alice))
        #expect(limits.ratePerMinute == 100)
        await #expect(try !f.store.updateKeyLimits(id: "nope", ["burst": .value(1)]))
        #expect(throws: KinoServiceError.self) { try LimitSetting.parse("-3", option: "burst") }
    }

    @Test func rateLimitIsSharedThroughTheStore() async throws {
        let f = try await Fixture()
        _ = try await f.store.updateKeyLimits(id: f.alice.record.id, ["rate_per_minute": .value(2)])
        let p = try await f.principal(f.alice)
        await #expect(try await f.service.trust.checkRate(principal: p, now: 1_000)?.decision.remaining == 1)
        await #expect(try await f.service.trust.checkRate(principal: p, now: 1_000)?.decision.remaining == 0)
        let refused = await error { _ = try await f.service.trust.checkRate(principal: p, now: 1_000) }
        #expect(refused?.kind == .rateLimited && refused?.code == "rate_limit_exceeded" && refused?.retryAfterSeconds == 30)
        #expect(refused?.headers["x-ratelimit-limit-requests"] == "2" && refused?.headers["x-ratelimit-remaining-requests"] == "0")
        await #expect(try await f.service.trust.checkRate(principal: try f.principal(f.moderator), now: 1_000) == nil, "no limit, no headers")
    }

    @Test func queueConcurrencyAndClipSeconds() async throws {
        let f = try await Fixture(limits: KeyLimits(maxConcurrent: 3, clipSecondsPerDay: 20, maxQueued: 2))
        _ = try await f.create("one")
        _ = try await f.create("two")
        #expect(await error { _ = try await f.create("three") }?.code == "queue_full")
        _ = try await f.store.updateKeyLimits(id: f.alice.record.id, ["max_queued": .value(10), "max_concurrent": .value(2)])
        #expect(await error { _ = try await f.create("three") }?.code == "concurrency_limit_exceeded")
        _ = try await f.store.updateKeyLimits(id: f.alice.record.id, ["max_concurrent": .value(10)])
        let day: Int64 = 24 * 3600 * 1000
        let t0 = Clock.nowMillis()
        _ = try await f.create("eight", seconds: "8", now: t0)  // 4 + 4 + 8 = 16 of 20
        let over = await error { _ = try await f.create("eight more", seconds: "8", now: t0 + 1_000) }
        #expect(over?.code == "quota_exceeded" && over?.kind == .rateLimited)
        #expect(over?.headers["x-ratelimit-remaining-clip-seconds"] == "4")
        #expect((over?.retryAfterSeconds ?? 0) > 0 && (over?.retryAfterSeconds ?? 0) <= Int(day / 1000))
        _ = try await f.create("four fits", seconds: "4", now: t0 + 2_000)
    }

    @Test func pauseRefusesNewJobsWithTheMessage() async throws {
        let f = try await Fixture()
        let queued = try await f.create("before the pause")
        let admin = try await f.service.keys.create(name: "root", scopes: [.admin])
        await #expect(throws: KinoServiceError.self) { try await f.service.trust.pause(message: "x", principal: try f.principal(f.alice)) }
        _ = try await f.service.trust.pause(message: "Maintenance until 14:00", principal: try f.principal(admin))
        let refused = await error { _ = try await f.create("during") }
        #expect(refused?.kind == .unavailable && refused?.code == "service_paused")
        #expect(refused?.message.contains("Maintenance until 14:00") == true)
        await #expect(try await f.store.job(id: queued.id, project: nil)?.status == .queued, "queued jobs stay queued")
        try await f.service.trust.resume(principal: try f.principal(admin))
        await #expect(try await f.create("after").status == .queued)
    }

    @Test func moderationBlocksAndAuditsEveryDecision() async throws {
        let f = try await Fixture()
        let blocked = await error { _ = try await f.create("a man beheading a prisoner") }
        #expect(blocked?.code == "moderation_blocked" && blocked?.param == "prompt" && blocked?.kind == .invalidRequest)
        let allowed = try await f.create("a shot of espresso")
        let log = try await f.store.moderationLog(limit: 10)
        #expect(log.count == 2)
        #expect(log.first?.decision == "allowed" && log.first?.videoID == allowed.id && log.first?.keyID == f.alice.record.id)
        #expect(log.last?.decision == "blocked" && log.last?.category == "graphic_violence" && log.last?.videoID == nil)
        _ = try await f.store.updateKeyLimits(id: f.alice.record.id, ["max_prompt_chars": .value(10)])
        #expect(await error { _ = try await f.create("a prompt longer than ten") }?.code == "string_above_max_length")
    }

    @Test func reviewBeforeSharing() async throws {
        let f = try await Fixture()
        let job = try await f.create("a red ball")
        // Only completed videos can be published.
        #expect(await error { _ = try await f.service.trust.publish(job.id, principal: try f.principal(f.alice)) }?.code == "invalid_video_state")
        var lease = try await #require(try await f.store.claim(worker: "w", leaseMillis: 10_000, now: Clock.nowMillis()))
        _ = try await f.store.heartbeat(&lease, progress: 50, leaseMillis: 10_000, now: Clock.nowMillis())
        try await f.store.complete(lease, JobCompletion(hasLatents: false, completedAt: Clock.nowMillis(), expiresAt: Clock.nowMillis() + 3_600_000))
        // Another project cannot publish it; the owner can; nobody sees it publicly before approval.
        let bob = try await f.service.keys.create(name: "bob")
        #expect(await error { _ = try await f.service.trust.publish(job.id, principal: try f.principal(bob)) }?.kind == .notFound)
        await #expect(try await f.service.trust.publish(job.id, principal: try f.principal(f.alice)).state == .pending)
        #expect(await error { _ = try await f.service.trust.publicShare(job.id) }?.kind == .notFound)
        #expect(await error { _ = try await f.service.trust.reviewQueue(principal: try f.principal(f.alice)) }?.kind == .permissionDenied)
        await #expect(try await f.service.trust.reviewQueue(principal: try f.principal(f.moderator)).map(\.videoID) == [job.id])
        let rejected = try await f.service.trust.decide(job.id, approve: false, reason: "blurry", principal: try f.principal(f.moderator))
        #expect(rejected.state == .rejected && rejected.reason == "blurry")
        await #expect(try await f.service.trust.gallery().isEmpty)
        let approved = try await f.service.trust.decide(job.id, approve: true, reason: nil, principal: try f.principal(f.moderator))
        #expect(approved.state == .approved && approved.decidedBy == f.moderator.record.id)
        await #expect(try await f.service.trust.gallery().map(\.videoID) == [job.id])
        let events = try await f.store.events(videoID: job.id).map(\.event)
        #expect(events.suffix(3) == ["publish_requested", "share_rejected", "share_approved"])
    }

    /// The owner sees the moderator's answer on the video itself, and asks again after a rejection only with a note.
    @Test func ownersSeeTheAnswerAndExplainAResubmission() async throws {
        let f = try await Fixture()
        let job = try await f.create("a red ball")
        let lease = try await #require(try await f.store.claim(worker: "w", leaseMillis: 10_000, now: Clock.nowMillis()))
        try await f.store.complete(lease, JobCompletion(hasLatents: false, completedAt: Clock.nowMillis(), expiresAt: Clock.nowMillis() + 3_600_000))
        let alice = try await f.principal(f.alice)
        await #expect(try await f.service.video(job.id, principal: alice).share == nil)
        _ = try await f.service.trust.publish(job.id, principal: alice)
        await #expect(try await f.service.video(job.id, principal: alice).share?.state == .pending)
        _ = try await f.service.trust.decide(job.id, approve: false, reason: "off-brand", principal: try f.principal(f.moderator))
        let listed = try await f.service.list(principal: alice, after: nil, limit: 10, order: nil).jobs.first
        #expect(listed?.share == ShareSummary(state: .rejected, reason: "off-brand", note: nil))
        let refused = await error { _ = try await f.service.trust.publish(job.id, principal: alice) }
        #expect(refused?.code == "note_required" && refused?.param == "note")
        await #expect(try await f.service.video(job.id, principal: alice).share?.state == .rejected, "a refused request changes nothing")
        let again = try await f.service.trust.publish(job.id, note: "recoloured", principal: alice)
        #expect(again.state == .pending && again.note == "recoloured" && again.reason == nil)
        await #expect(try await f.service.trust.reviewQueue(principal: try f.principal(f.moderator)).first?.note == "recoloured")
    }
}

/// The data folder's config.json and moderation.json.
@Suite("Trust: data folder configuration")
struct TrustConfigurationTests {
    func folder() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("kino-config-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    @Test func configDefaultsOverBuiltIns() throws {
        let dir = try folder()
        try Data(#"{"limits": {"rate_per_minute": 30, "max_queued": 0}}"#.utf8).write(to: dir.appendingPathComponent("config.json"))
        let settings = try TrustSettings.load(folder: dir)
        #expect(settings.defaultLimits.ratePerMinute == 30)
        #expect(settings.defaultLimits.maxQueued == nil, "0 removes a built-in default")
        #expect(settings.defaultLimits.maxPromptChars == 32_000, "unset ones keep the built-in default")
        #expect(settings.moderator?.source == "built-in default")
        try Data(#"{"limits": {"rate_per_minute": "fast"}}"#.utf8).write(to: dir.appendingPathComponent("config.json"))
        #expect(throws: KinoServiceError.self) { try TrustSettings.load(folder: dir) }
        try Data(#"{"moderation": {"enabled": false}}"#.utf8).write(to: dir.appendingPathComponent("config.json"))
        #expect(try TrustSettings.load(folder: dir).moderator == nil)
    }

    @Test func policyFileReplacesTheDefaultAndReloads() throws {
        let dir = try folder()
        let file = dir.appendingPathComponent("moderation.json")
        let policy = { (word: String) in
            #"{"version": 1, "categories": {"c": "custom"}, "lists": {}, "rules": [{"id": "r", "category": "c", "any": ["\#(word)"]}]}"#
        }
        try Data(policy("pineapple").utf8).write(to: file)
        let moderator = try #require(try TrustSettings.load(folder: dir).moderator)
        #expect(moderator.check("a pineapple pizza").category == "c")
        #expect(moderator.check("a man beheading a prisoner").allowed, "the file replaces the default policy")
        try Data(policy("anchovy").utf8).write(to: file)
        try FileManager.default.setAttributes([.modificationDate: Date().addingTimeInterval(60)], ofItemAtPath: file.path)
        #expect(moderator.check("a pineapple pizza").allowed && !moderator.check("an anchovy pizza").allowed, "edits apply at once")
        try Data("{broken".utf8).write(to: file)
        try FileManager.default.setAttributes([.modificationDate: Date().addingTimeInterval(120)], ofItemAtPath: file.path)
        #expect(!moderator.check("an anchovy pizza").allowed, "a broken edit keeps the last good policy")
    }
}
