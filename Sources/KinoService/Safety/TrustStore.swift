import Foundation

/// The pause switch as stored.
public struct PauseState: Sendable, Equatable {
    public var message: String
    /// Unix milliseconds.
    public var since: Int64
    public var by: String?
}

/// One audited moderation decision.
public struct ModerationLogEntry: Sendable, Equatable {
    public var at: Int64
    public var keyID: String?
    public var project: String
    /// "create", "remix", ...
    public var route: String
    /// "allowed" or "blocked".
    public var decision: String
    public var category: String?
    public var rule: String?
    public var videoID: String?
    public var prompt: String

    public init(at: Int64, keyID: String?, project: String, route: String, decision: String, category: String?,
                rule: String?, videoID: String?, prompt: String) {
        self.at = at
        self.keyID = keyID
        self.project = project
        self.route = route
        self.decision = decision
        self.category = category
        self.rule = rule
        self.videoID = videoID
        self.prompt = prompt
    }
}

/// The state of a request to share a video publicly.
public enum ShareState: String, Sendable, Equatable, CaseIterable {
    case pending
    case approved
    case rejected
}

/// A share request joined with what a reviewer needs to see of the video.
public struct ShareRecord: Sendable, Equatable {
    public var videoID: String
    public var project: String
    public var state: ShareState
    public var requestedAt: Int64
    public var requestedBy: String?
    public var decidedAt: Int64?
    public var decidedBy: String?
    public var reason: String?
    /// The owner's note with a request (required when asking again after a rejection).
    public var note: String?
    /// The owner lets viewers of the public page download the MP4.
    public var allowDownload = false
    public var prompt: String
    public var seconds: Int
    public var size: VideoSize
    public var model: String
}

/// Per-key counters checked when a job is admitted (in the same transaction as the insert).
public struct AdmissionLimits: Sendable, Equatable {
    public var maxConcurrent: Int?
    public var maxQueued: Int?
    public var clipSecondsPerDay: Int?

    public init(maxConcurrent: Int? = nil, maxQueued: Int? = nil, clipSecondsPerDay: Int? = nil) {
        self.maxConcurrent = maxConcurrent
        self.maxQueued = maxQueued
        self.clipSecondsPerDay = clipSecondsPerDay
    }
}

/// Storage for limits, pause, moderation audit and review. SQLite implements it; a PostgreSQL store will too.
public protocol TrustStore: Sendable {
    /// Sets the given limit fields of a key (nil in `changes` = leave; `.inherit` = back to default).
    /// false when no such key exists.
    func updateKeyLimits(id: String, _ changes: [String: LimitSetting]) async throws -> Bool
    /// Applies one GCRA step atomically for `keyID` and stores the new state when allowed.
    func takeRateToken(keyID: String, gcra: GCRA, now: Int64) async throws -> GCRA.Decision
    /// Inserts the job if the key's counters allow it; throws `.rateLimited` naming the limit otherwise.
    func insertAdmitted(_ job: NewVideoJob, limits: AdmissionLimits, now: Int64) async throws -> VideoJob

    func pauseState() async throws -> PauseState?
    /// Pauses with `message`, or resumes when `message` is nil.
    func setPause(message: String?, by: String?, now: Int64) async throws

    func recordModeration(_ entry: ModerationLogEntry) async throws
    func moderationLog(limit: Int) async throws -> [ModerationLogEntry]

    /// Asks to publish a completed video of `project`; nil when there is no such video.
    /// Asks to publish; asking again after a rejection needs `note` (what changed), else a 400 `note_required`.
    func requestShare(videoID: String, project: String, by: String?, note: String?, allowDownload: Bool, now: Int64) async throws -> ShareRecord?
    /// The publish state of each of `videoIDs` that has one.
    func shareSummaries(videoIDs: [String]) async throws -> [String: ShareSummary]
    func shares(state: ShareState?, limit: Int) async throws -> [ShareRecord]
    func share(videoID: String) async throws -> ShareRecord?
    /// Records a moderator's decision; nil when the video has no share request.
    func decideShare(videoID: String, approve: Bool, reason: String?, by: String?, now: Int64) async throws -> ShareRecord?
}
