import Foundation

/// The durable job queue. One contract, several stores (SQLite now, PostgreSQL later); the contract tests in
/// `KinoServiceTests/JobStoreContract.swift` run against every implementation.
///
/// Rules every implementation keeps:
/// - `claim` takes the oldest runnable queued job and leases it in one transaction; two claims never get the same job.
/// - `heartbeat`, `complete`, `fail` and `release` succeed only while the caller's lease token is still on the row;
///   otherwise they throw `KinoServiceError` of kind `.leaseLost` and change nothing.
/// - `rescueExpired` returns jobs whose lease ran out to the queue (with backoff) until `max_attempts`, then fails them.
/// - Every state change appends a `VideoEvent`.
/// Times are Unix milliseconds, passed in so that tests control the clock.
public protocol JobStore: Sendable {
    func insert(_ job: NewVideoJob) async throws -> VideoJob
    /// A job by id. `project` nil means any project (workers, admin); deleted jobs are never returned.
    func job(id: String, project: String?) async throws -> VideoJob?
    func list(project: String, after: String?, limit: Int, order: SortOrder) async throws -> JobPage
    func claim(worker: String, leaseMillis: Int64, now: Int64) async throws -> JobLease?
    /// Extends the lease and records progress and the phase (`denoising: step 3/20`); returns whether a cancel was
    /// requested.
    func heartbeat(_ lease: inout JobLease, progress: Int?, phase: String?, leaseMillis: Int64, now: Int64) async throws -> Bool
    /// Stores the running job's latest preview picture (replacing the last), under the same lease check as
    /// `heartbeat`. The last one is kept after the job ends (a client that saw its step may still fetch it) and
    /// dropped when the job is claimed again, deleted or its files are purged.
    func savePreview(_ lease: JobLease, _ preview: RenderPreview, now: Int64) async throws
    /// The latest preview of a job (nil when there is none).
    func preview(videoID: String) async throws -> RenderPreview?
    func complete(_ lease: JobLease, _ completion: JobCompletion) async throws
    func fail(_ lease: JobLease, code: String, message: String, now: Int64) async throws
    /// Gives a job back to the queue without counting the attempt (graceful shutdown).
    func release(_ lease: JobLease, now: Int64) async throws
    /// Re-queues or fails jobs whose lease expired; returns the ids it touched.
    func rescueExpired(now: Int64, backoffMillis: Int64) async throws -> [String]
    /// nil when the job does not exist in `project`.
    func cancel(id: String, project: String, now: Int64) async throws -> CancelOutcome?
    /// Hides the job from the API (cancelling it first if needed); false when it does not exist in `project`.
    func markDeleted(id: String, project: String, now: Int64) async throws -> Bool
    /// Marks the assets of finished jobs past `expires_at`, and of deleted jobs, as purged; returns their ids so
    /// the caller can remove the files.
    func purgeableAssets(now: Int64) async throws -> [String]
    func events(videoID: String) async throws -> [VideoEvent]
    /// Number of jobs per status (for /healthz and the studio).
    func counts() async throws -> [VideoStatus: Int]
}

extension JobStore {
    public func heartbeat(_ lease: inout JobLease, progress: Int?, leaseMillis: Int64, now: Int64) async throws -> Bool {
        try await heartbeat(&lease, progress: progress, phase: nil, leaseMillis: leaseMillis, now: now)
    }
}

/// One entry in a job's history.
public struct VideoEvent: Sendable, Equatable {
    public var event: String
    public var attempt: Int
    public var worker: String?
    public var at: Int64
    public var detail: String?
}

/// What an invisible watermark's serials point at (`kino verify`).
public protocol ProvenanceStore: Sendable {
    /// The key whose serial is `serial`.
    func key(serial: Int64) async throws -> APIKeyRecord?
    /// The id of the video whose serial (`seq`) is `serial`.
    func videoID(serial: Int64) async throws -> String?
}

/// Everything the service keeps, as one capability every store provides (SQLite now, PostgreSQL next): the
/// service never asks a store what it can do.
public protocol ServiceStore: JobStore, KeyStore, SessionStore, IdempotencyStore, TrustStore, ProvenanceStore, CharacterStore, WebhookStore, FeedbackStore {}

