import Foundation
import Testing
@testable import KinoService

/// The job store contract: run against every store implementation.
@Suite("Job store contract")
struct JobStoreContractTests {
    @Test(arguments: StoreKind.allCases)
    func insertReadAndQueuePositions(kind: StoreKind) async throws {
        let store = try kind.make()
        for i in 1...3 { _ = try await store.insert(newJob("v\(i)", at: Int64(i))) }
        let third = try await #require(try await store.job(id: "v3", project: "p1"))
        #expect(third.status == .queued && third.queuePosition == 3 && third.seconds == 4 && third.size.width == 1280)
        #expect(third.settings.seed == 42 && third.keySerial == 7 && third.model == "sora-2" && third.engineModel == "kino-tiny")
        await #expect(try await store.job(id: "v3", project: "other") == nil, "another project cannot see it")
        _ = try await store.claim(worker: "w", leaseMillis: 1_000, now: 10)
        await #expect(try await store.job(id: "v3", project: "p1")?.queuePosition == 2, "positions move up when a job starts")
    }

    @Test(arguments: StoreKind.allCases)
    func cursorPagination(kind: StoreKind) async throws {
        let store = try kind.make()
        for i in 1...5 { _ = try await store.insert(newJob("v\(i)", at: Int64(i))) }
        _ = try await store.insert(newJob("x1", project: "p2"))
        let first = try await store.list(project: "p1", after: nil, limit: 2, order: .desc)
        #expect(first.jobs.map(\.id) == ["v5", "v4"] && first.hasMore)
        let second = try await store.list(project: "p1", after: "v4", limit: 2, order: .desc)
        #expect(second.jobs.map(\.id) == ["v3", "v2"] && second.hasMore)
        let last = try await store.list(project: "p1", after: "v2", limit: 2, order: .desc)
        #expect(last.jobs.map(\.id) == ["v1"] && !last.hasMore)
        let asc = try await store.list(project: "p1", after: "v2", limit: 10, order: .asc)
        #expect(asc.jobs.map(\.id) == ["v3", "v4", "v5"] && !asc.hasMore)
        await #expect(throws: KinoServiceError.self) { try await store.list(project: "p1", after: "x1", limit: 2, order: .desc) }
    }

    @Test(arguments: StoreKind.allCases)
    func claimTakesOldestRunnableJobOnce(kind: StoreKind) async throws {
        let store = try kind.make()
        await #expect(try await store.claim(worker: "a", leaseMillis: 1_000, now: 5) == nil)
        _ = try await store.insert(newJob("v1", at: 1))
        _ = try await store.insert(newJob("v2", at: 2))
        let a = try await #require(try await store.claim(worker: "a", leaseMillis: 1_000, now: 5))
        let b = try await #require(try await store.claim(worker: "b", leaseMillis: 1_000, now: 5))
        #expect(a.job.id == "v1" && b.job.id == "v2" && a.attempt == 1 && a.token != b.token)
        await #expect(try await store.claim(worker: "c", leaseMillis: 1_000, now: 5) == nil)
        await #expect(try await store.job(id: "v1", project: nil)?.status == .inProgress)
    }

    @Test(arguments: StoreKind.allCases)
    func onlyTheLeaseHolderMayFinish(kind: StoreKind) async throws {
        let store = try kind.make()
        _ = try await store.insert(newJob("v1"))
        var old = try await #require(try await store.claim(worker: "old", leaseMillis: 1_000, now: 10))
        await #expect(try await store.heartbeat(&old, progress: 40, leaseMillis: 1_000, now: 500) == false)
        await #expect(try await store.job(id: "v1", project: nil)?.progress == 40)
        // The old worker goes silent; its lease (renewed to 1500) lapses and the rescuer re-queues the job.
        await #expect(try await store.rescueExpired(now: 1_400, backoffMillis: 0).isEmpty, "a live lease is left alone")
        await #expect(try await store.rescueExpired(now: 1_600, backoffMillis: 0) == ["v1"])
        let new = try await #require(try await store.claim(worker: "new", leaseMillis: 1_000, now: 1_700))
        #expect(new.attempt == 2)
        // The presumed-dead worker wakes up: every write it tries is refused and changes nothing.
        await #expect(throws: KinoServiceError(.leaseLost, SQLiteStore.leaseLost(old).message)) {
            try await store.complete(old, JobCompletion(hasLatents: false, completedAt: 1_800, expiresAt: 9_999))
        }
        await #expect(throws: KinoServiceError.self) { try await store.fail(old, code: "x", message: "x", now: 1_800) }
        await #expect(throws: KinoServiceError.self) { _ = try await store.heartbeat(&old, progress: 99, leaseMillis: 1_000, now: 1_800) }
        await #expect(throws: KinoServiceError.self) { try await store.release(old, now: 1_800) }
        await #expect(try await store.job(id: "v1", project: nil)?.status == .inProgress)
        try await store.complete(new, JobCompletion(hasLatents: true, completedAt: 1_900, expiresAt: 5_000_000))
        let done = try await #require(try await store.job(id: "v1", project: nil))
        #expect(done.status == .completed && done.progress == 100 && done.hasLatents && done.expiresAt == 5_000_000)
        await #expect(throws: KinoServiceError.self) { try await store.complete(new, JobCompletion(hasLatents: true, completedAt: 2_000, expiresAt: 1)) }
        let events = try await store.events(videoID: "v1").map(\.event)
        #expect(events == ["queued", "claimed", "rescued", "claimed", "completed"])
    }

    /// A running job says what it is doing and since when; a new attempt starts both afresh.
    @Test(arguments: StoreKind.allCases)
    func phaseAndStartTimeFollowTheAttempt(kind: StoreKind) async throws {
        let store = try kind.make()
        _ = try await store.insert(newJob("v1"))
        var lease = try #require(try await store.claim(worker: "a", leaseMillis: 1_000, now: 100))
        _ = try await store.heartbeat(&lease, progress: 30, phase: "denoising: step 3/10", leaseMillis: 1_000, now: 200)
        _ = try await store.heartbeat(&lease, progress: 31, leaseMillis: 1_000, now: 300)
        var job = try #require(try await store.job(id: "v1", project: nil))
        #expect(job.phase == "denoising: step 3/10" && job.startedAt == 100 && job.progress == 31, "no phase keeps the last one")
        _ = try await store.rescueExpired(now: 5_000, backoffMillis: 0)
        _ = try #require(try await store.claim(worker: "b", leaseMillis: 1_000, now: 6_000))
        job = try #require(try await store.job(id: "v1", project: nil))
        #expect(job.phase == nil && job.startedAt == 6_000)
    }

    @Test(arguments: StoreKind.allCases)
    func previewsLiveOnlyWhileTheAttemptHoldsItsLease(kind: StoreKind) async throws {
        let store = try kind.make()
        _ = try await store.insert(newJob("v1"))
        let first = try #require(try await store.claim(worker: "a", leaseMillis: 1_000, now: 100))
        #expect(try await store.preview(videoID: "v1") == nil)
        try await store.savePreview(first, RenderPreview(png: [1, 2, 3], step: 3, steps: 20), now: 200)
        try await store.savePreview(first, RenderPreview(png: [4, 5], step: 6, steps: 20), now: 300)
        #expect(try await store.preview(videoID: "v1") == RenderPreview(png: [4, 5], step: 6, steps: 20), "the newest replaces the last")
        var job = try #require(try await store.job(id: "v1", project: nil))
        #expect(job.previewAt == 300 && job.previewStep == 6)
        // A worker whose lease ran out cannot write over the next attempt's previews.
        _ = try await store.rescueExpired(now: 5_000, backoffMillis: 0)
        let second = try #require(try await store.claim(worker: "b", leaseMillis: 1_000, now: 6_000))
        #expect(try await store.preview(videoID: "v1") == nil, "a new attempt starts without the old picture")
        job = try #require(try await store.job(id: "v1", project: nil))
        #expect(job.previewAt == nil && job.previewStep == nil)
        await #expect(throws: KinoServiceError.self) { try await store.savePreview(first, RenderPreview(png: [9], step: 9, steps: 20), now: 6_100) }
        #expect(try await store.preview(videoID: "v1") == nil)
        try await store.savePreview(second, RenderPreview(png: [7], step: 2, steps: 20), now: 6_200)
        try await store.complete(second, JobCompletion(hasLatents: false, completedAt: 7_000, expiresAt: 90_000))
        #expect(try await store.preview(videoID: "v1")?.step == 2, "the last picture outlives the render (a client may still fetch it)")
        #expect(try await store.purgeableAssets(now: 90_000) == ["v1"])
        #expect(try await store.preview(videoID: "v1") == nil, "purging the files drops it")
        _ = try await store.insert(newJob("v2"))
        let third = try #require(try await store.claim(worker: "c", leaseMillis: 1_000, now: 100_000))
        try await store.savePreview(third, RenderPreview(png: [5], step: 1, steps: 20), now: 100_100)
        #expect(try await store.markDeleted(id: "v2", project: third.job.project, now: 100_200))
        #expect(try await store.preview(videoID: "v2") == nil, "deleting the video drops it")
    }

    @Test(arguments: StoreKind.allCases)
    func rescuerGivesUpAfterMaxAttempts(kind: StoreKind) async throws {
        let store = try kind.make()
        _ = try await store.insert(newJob("v1", maxAttempts: 2))
        _ = try await #require(try await store.claim(worker: "a", leaseMillis: 100, now: 0))
        await #expect(try await store.rescueExpired(now: 200, backoffMillis: 1_000) == ["v1"])
        await #expect(try await store.claim(worker: "b", leaseMillis: 100, now: 300) == nil, "backoff: not runnable before 1200")
        _ = try await #require(try await store.claim(worker: "b", leaseMillis: 100, now: 1_300))
        await #expect(try await store.rescueExpired(now: 1_500, backoffMillis: 1_000) == ["v1"])
        let failed = try await #require(try await store.job(id: "v1", project: nil))
        #expect(failed.status == .failed && failed.errorCode == "worker_lost" && failed.attempt == 2)
    }

    @Test(arguments: StoreKind.allCases)
    func releaseDoesNotCountTheAttempt(kind: StoreKind) async throws {
        let store = try kind.make()
        _ = try await store.insert(newJob("v1"))
        let lease = try await #require(try await store.claim(worker: "a", leaseMillis: 1_000, now: 0))
        try await store.release(lease, now: 10)
        let again = try await #require(try await store.claim(worker: "b", leaseMillis: 1_000, now: 20))
        #expect(again.attempt == 1)
    }

    @Test(arguments: StoreKind.allCases)
    func cancelQueuedAndRunning(kind: StoreKind) async throws {
        let store = try kind.make()
        _ = try await store.insert(newJob("v1"))
        _ = try await store.insert(newJob("v2"))
        var lease = try await #require(try await store.claim(worker: "a", leaseMillis: 1_000, now: 0))
        await #expect(try await store.cancel(id: "v2", project: "p1", now: 5) == .cancelledQueued)
        await #expect(try await store.job(id: "v2", project: "p1")?.errorCode == "cancelled")
        await #expect(try await store.cancel(id: "v1", project: "p1", now: 5) == .cancelRequested)
        await #expect(try await store.heartbeat(&lease, progress: nil, leaseMillis: 1_000, now: 6) == true, "the worker learns of it")
        try await store.fail(lease, code: "cancelled", message: "cancelled", now: 7)
        await #expect(try await store.cancel(id: "v1", project: "p1", now: 8) == .alreadyFinished)
        await #expect(try await store.cancel(id: "v1", project: "p2", now: 8) == nil)
    }

    @Test(arguments: StoreKind.allCases)
    func deleteHidesAndPurgesExpiredAssets(kind: StoreKind) async throws {
        let store = try kind.make()
        for id in ["v1", "v2", "v3"] { _ = try await store.insert(newJob(id)) }
        for expires in [Int64(10_000), 99_000] {
            let lease = try await #require(try await store.claim(worker: "a", leaseMillis: 1_000, now: 0))
            try await store.complete(lease, JobCompletion(hasLatents: false, completedAt: 1, expiresAt: expires))
        }
        await #expect(try await store.markDeleted(id: "v3", project: "p1", now: 2))
        await #expect(try await store.job(id: "v3", project: "p1") == nil)
        await #expect(try await store.markDeleted(id: "v3", project: "p1", now: 3) == false)
        await #expect(Set(try store.purgeableAssets(now: 20_000)) == ["v1", "v3"])
        await #expect(try await store.purgeableAssets(now: 20_000).isEmpty, "purged once")
        await #expect(try await store.job(id: "v1", project: "p1")?.assetsPurged == true)
    }

    /// Two store instances on one file behave like two processes: concurrent claims never share a job.
    @Test func concurrentClaimsAcrossConnectionsGetDistinctJobs() async throws {
        let path = temporaryDatabasePath()
        let stores = [try SQLiteStore(path: path), try SQLiteStore(path: path)]
        for i in 0..<60 { _ = try await stores[0].insert(newJob("v\(i)", at: Int64(i))) }
        let claimed = try await withThrowingTaskGroup(of: [String].self) { group in
            for worker in 0..<6 {
                group.addTask {
                    var mine: [String] = []
                    while let lease = try await stores[worker % 2].claim(worker: "w\(worker)", leaseMillis: 60_000, now: 100) {
                        mine.append(lease.job.id)
                    }
                    return mine
                }
            }
            return try await group.reduce(into: []) { $0 += $1 }
        }
        #expect(claimed.count == 60 && Set(claimed).count == 60)
    }
}
