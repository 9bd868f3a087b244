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
    func insert(_ job: NewVideoJob) throws -> VideoJob
    /// A job by id. `project` nil means any project (workers, admin); deleted jobs are never returned.
    func job(id: String, project: String?) throws -> VideoJob?
    func list(project: String, after: String?, limit: Int, order: SortOrder) throws -> JobPage
    func claim(worker: String, leaseMillis: Int64, now: Int64) throws -> JobLease?
    /// Extends the lease and records progress; returns whether a cancel was requested.
    func heartbeat(_ lease: inout JobLease, progress: Int?, leaseMillis: Int64, now: Int64) throws -> Bool
    func complete(_ lease: JobLease, _ completion: JobCompletion) throws
    func fail(_ lease: JobLease, code: String, message: String, now: Int64) throws
    /// Gives a job back to the queue without counting the attempt (graceful shutdown).
    func release(_ lease: JobLease, now: Int64) throws
    /// Re-queues or fails jobs whose lease expired; returns the ids it touched.
    func rescueExpired(now: Int64, backoffMillis: Int64) throws -> [String]
    /// nil when the job does not exist in `project`.
    func cancel(id: String, project: String, now: Int64) throws -> CancelOutcome?
    /// Hides the job from the API (cancelling it first if needed); false when it does not exist in `project`.
    func markDeleted(id: String, project: String, now: Int64) throws -> Bool
    /// Marks the assets of finished jobs past `expires_at`, and of deleted jobs, as purged; returns their ids so
    /// the caller can remove the files.
    func purgeableAssets(now: Int64) throws -> [String]
    func events(videoID: String) throws -> [VideoEvent]
    /// Number of jobs per status (for /healthz and the studio).
    func counts() throws -> [VideoStatus: Int]
}

/// One entry in a job's history.
public struct VideoEvent: Sendable, Equatable {
    public var event: String
    public var attempt: Int
    public var worker: String?
    public var at: Int64
    public var detail: String?
}
