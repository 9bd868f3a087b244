import Foundation
import Logging

/// Limits, pause, moderation and review: the trust checks `VideoService` makes around every job, and the review
/// queue and public shares. The routes for them (`TrustRoutes`, `ShareRoutes`) talk to it directly.
public final class TrustService: Sendable {
    let store: any ServiceStore
    let outputs: OutputStore
    let logger: Logger
    /// Default limits and the moderator (`config.json` and the policy file of the data folder).
    public let settings: TrustSettings

    init(store: any ServiceStore, outputs: OutputStore, settings: TrustSettings, logger: Logger) {
        self.store = store
        self.outputs = outputs
        self.settings = settings
        self.logger = logger
    }

    /// The key's limits over the data folder's defaults (nil fields: no limit).
    public func effectiveLimits(_ principal: Principal) -> KeyLimits {
        principal.limits.effective(over: settings.defaultLimits)
    }

    // MARK: Request rate

    /// One GCRA step for the principal's key. Returns nil when the key has no rate limit (or there is no key);
    /// throws `.rateLimited` with `retry-after` and `x-ratelimit-*` headers when over it.
    public func checkRate(principal: Principal, now: Int64 = Clock.nowMillis()) async throws -> (decision: GCRA.Decision, limit: Int)? {
        let limits = effectiveLimits(principal)
        guard let keyID = principal.keyID, let rate = limits.ratePerMinute else { return nil }
        let gcra = GCRA(ratePerMinute: rate, burst: limits.burst)
        let decision = try await store.takeRateToken(keyID: keyID, gcra: gcra, now: now)
        guard decision.allowed else {
            let retry = max(1, Int((decision.retryAfterMillis + 999) / 1000))
            throw KinoServiceError.rateLimited(
                "Rate limit reached for this API key: \(rate) requests per minute. Try again in \(rateLimitDuration(millis: decision.retryAfterMillis)), or ask an administrator to raise rate_per_minute.",
                code: "rate_limit_exceeded", retryAfterSeconds: retry,
                headers: Self.rateHeaders(decision, limit: rate).merging(["retry-after-ms": "\(decision.retryAfterMillis)"]) { a, _ in a })
        }
        return (decision, rate)
    }

    /// `x-ratelimit-limit-requests`, `x-ratelimit-remaining-requests`, `x-ratelimit-reset-requests`.
    public static func rateHeaders(_ decision: GCRA.Decision, limit: Int) -> [String: String] {
        [
            "x-ratelimit-limit-requests": "\(limit)",
            "x-ratelimit-remaining-requests": "\(decision.remaining)",
            "x-ratelimit-reset-requests": rateLimitDuration(millis: decision.resetMillis),
        ]
    }

    /// The largest request body the principal may send.
    public func maxBodyBytes(for principal: Principal, serverLimit: Int) -> Int {
        min(serverLimit, effectiveLimits(principal).maxUploadBytes ?? serverLimit)
    }

    // MARK: Pause

    func checkNotPaused() async throws {
        guard let pause = try await store.pauseState() else { return }
        // No retry-after: a pause usually lasts longer than a client should block, so SDKs fail fast with the message.
        throw KinoServiceError(
            .unavailable,
            "This Kino server is paused and is not accepting new videos: \(pause.message) (videos already queued will still finish; try again later).",
            code: "service_paused")
    }

    public func pauseState() async throws -> PauseState? { try await store.pauseState() }

    /// Pauses new jobs (needs the admin scope); running and queued jobs finish.
    public func pause(message: String, principal: Principal, now: Int64 = Clock.nowMillis()) async throws -> PauseState {
        try principal.require(.admin)
        let text = message.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !text.isEmpty, VideoLimits.length(text) <= 1000 else {
            throw KinoServiceError.invalid("The pause message must be 1 to 1000 characters; it is shown to everyone whose request is refused.", param: "message")
        }
        try await store.setPause(message: text, by: principal.keyID ?? principal.keyName, now: now)
        logger.warning("new jobs paused", metadata: ["by": "\(principal.keyID ?? principal.keyName)", "message": "\(text)"])
        return PauseState(message: text, since: now, by: principal.keyID ?? principal.keyName)
    }

    public func resume(principal: Principal, now: Int64 = Clock.nowMillis()) async throws {
        try principal.require(.admin)
        try await store.setPause(message: nil, by: principal.keyID ?? principal.keyName, now: now)
        logger.warning("new jobs resumed", metadata: ["by": "\(principal.keyID ?? principal.keyName)"])
    }

    // MARK: Prompt checks and admission

    /// Prompt length (per key) and moderation. A refusal is recorded in the audit log and thrown as a 400
    /// with `code: "moderation_blocked"`, `param: "prompt"`.
    func screenPrompt(_ prompt: String, principal: Principal, route: String, now: Int64) async throws {
        if let limit = effectiveLimits(principal).maxPromptChars, VideoLimits.length(prompt) > limit {
            throw KinoServiceError.invalid(
                "The prompt has \(VideoLimits.length(prompt)) characters; this API key may send at most \(limit).", param: "prompt", code: "string_above_max_length")
        }
        guard let moderator = settings.moderator else { return }
        let decision = moderator.check(prompt)
        guard !decision.allowed else { return }
        try await store.recordModeration(ModerationLogEntry(
            at: now, keyID: principal.keyID, project: principal.project, route: route, decision: "blocked",
            category: decision.category, rule: decision.rule, videoID: nil, prompt: prompt))
        logger.info("prompt blocked", metadata: ["category": "\(decision.category ?? "")", "rule": "\(decision.rule ?? "")", "key": "\(principal.keyID ?? "local")"])
        throw KinoServiceError.invalid(
            "Your prompt was blocked by this server's content policy (\(decision.categoryTitle ?? decision.category ?? "policy")). Rephrase it; if you think this is a mistake, ask the server's operator.",
            param: "prompt", code: "moderation_blocked")
    }

    /// Inserts the job within the key's queue, concurrency and clip-seconds limits, and audits the allowed prompt.
    func admit(_ job: NewVideoJob, principal: Principal, route: String, now: Int64) async throws -> VideoJob {
        let limits = effectiveLimits(principal)
        let stored = try await store.insertAdmitted(
            job, limits: AdmissionLimits(maxConcurrent: limits.maxConcurrent, maxQueued: limits.maxQueued, clipSecondsPerDay: limits.clipSecondsPerDay),
            now: now)
        if settings.moderator != nil {
            try await store.recordModeration(ModerationLogEntry(
                at: now, keyID: principal.keyID, project: principal.project, route: route, decision: "allowed",
                category: nil, rule: nil, videoID: stored.id, prompt: job.prompt))
        }
        return stored
    }

    // MARK: Review before sharing

    /// Asks to publish one of the project's completed videos; a moderator approves or rejects it.
    public func publish(_ id: String, note: String? = nil, allowDownload: Bool = false, principal: Principal,
                        now: Int64 = Clock.nowMillis()) async throws -> ShareRecord {
        try principal.require(.generate)
        if let note {
            guard VideoLimits.length(note) <= 2000 else { throw KinoServiceError.invalid("The note is longer than 2000 characters.", param: "note") }
            try VideoLimits.checkText(note, field: "note")
        }
        guard let record = try await store.requestShare(videoID: id, project: principal.project, by: principal.keyID,
                                                        note: note?.isEmpty == true ? nil : note, allowDownload: allowDownload, now: now) else {
            throw VideoService.notFound(id)
        }
        return record
    }

    /// The publish state of one of the project's videos (nil when never asked).
    public func shareState(_ id: String, principal: Principal) async throws -> ShareRecord? {
        try principal.require(.read)
        guard try await store.job(id: id, project: principal.project) != nil else { throw VideoService.notFound(id) }
        return try await store.share(videoID: id)
    }

    public func reviewQueue(principal: Principal, state: ShareState? = .pending, limit: Int = 100) async throws -> [ShareRecord] {
        try principal.require(.moderator)
        return try await store.shares(state: state, limit: limit)
    }

    public func decide(_ id: String, approve: Bool, reason: String?, principal: Principal, now: Int64 = Clock.nowMillis()) async throws -> ShareRecord {
        try principal.require(.moderator)
        if let reason, VideoLimits.length(reason) > 2000 {
            throw KinoServiceError.invalid("The reason is longer than 2000 characters.", param: "reason")
        }
        guard let record = try await store.decideShare(
            videoID: id, approve: approve, reason: reason?.isEmpty == true ? nil : reason, by: principal.keyID ?? principal.keyName, now: now)
        else {
            throw KinoServiceError(.notFound, "Video '\(id)' has no request to publish it (or it was deleted or expired).", param: "video_id", code: "share_not_found")
        }
        logger.info("share decided", metadata: ["video": "\(id)", "approved": "\(approve)", "by": "\(principal.keyID ?? principal.keyName)"])
        return record
    }

    /// A file of a video that asked to be published, for its reviewer.
    public func reviewContent(_ id: String, variant: VideoVariant, principal: Principal) async throws -> URL {
        try principal.require(.moderator)
        guard try await store.share(videoID: id) != nil else {
            throw KinoServiceError(.notFound, "Video '\(id)' has no request to publish it.", param: "video_id", code: "share_not_found")
        }
        return try existingFile(id, variant)
    }

    /// A public (approved) video and its file; anything else is a 404, so private ids are not revealed.
    public func publicShare(_ id: String, variant: VideoVariant = .video) async throws -> (record: ShareRecord, file: URL) {
        guard let record = try await store.share(videoID: id), record.state == .approved else {
            throw KinoServiceError(.notFound, "There is no shared video '\(id)'.", param: "video_id", code: "share_not_found")
        }
        return (record, try existingFile(id, variant))
    }

    public func gallery(limit: Int = 60) async throws -> [ShareRecord] {
        try await store.shares(state: .approved, limit: limit)
    }

    func existingFile(_ id: String, _ variant: VideoVariant) throws -> URL {
        let file = outputs.file(for: id, variant)
        guard FileManager.default.fileExists(atPath: file.path) else {
            throw KinoServiceError(.notFound, "The files of video \(id) have expired and were deleted.", param: "video_id", code: "video_expired")
        }
        return file
    }

    public func recentModeration(limit: Int = 50) async throws -> [ModerationLogEntry] {
        try await store.moderationLog(limit: limit)
    }
}
