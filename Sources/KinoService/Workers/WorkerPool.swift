import Foundation
import Logging
import Synchronization

/// In-process workers: each claims a job with a lease (store calls are async), renders it on a thread of its own
/// (never Swift's cooperative pool: a render blocks for minutes) while a heartbeat task renews the lease and relays
/// progress and cancellation, and finishes the job only while it still holds the lease.
public final class WorkerPool: Sendable {
    let service: VideoService
    let renderer: any VideoRenderer
    let count: Int
    let instance: String
    let logger: Logger
    private let stopping = Atomic<Bool>(false)
    private let workers = Mutex<[Task<Void, Never>]>([])

    /// - Parameter instance: distinguishes this process's workers in the store (`<instance>-w<N>`).
    public init(service: VideoService, renderer: any VideoRenderer, count: Int, instance: String = UUID().uuidString.prefix(8).lowercased(), logger: Logger = Logger(label: "kino.worker")) {
        self.service = service
        self.renderer = renderer
        self.count = max(0, count)
        self.instance = instance
        self.logger = logger
    }

    public func start() {
        let started = (0..<count).map { index in
            let name = "\(instance)-w\(index + 1)"
            return Task { [self] in await self.loop(worker: name) }
        }
        workers.withLock { $0 += started }
    }

    /// Stops claiming, makes running renders stop (their `isCancelled` turns true), gives their jobs back to the
    /// queue at once, and waits for the workers to finish, at most `timeout`: a renderer that ignores `isCancelled`
    /// must not hold the process open (its job then returns to the queue when its lease runs out). Returns whether
    /// every worker finished in time.
    @discardableResult
    public func stop(timeout: Duration = .seconds(10)) async -> Bool {
        stopping.store(true, ordering: .sequentiallyConsistent)
        service.wakeup.signal()
        let running = workers.withLock { $0 }
        // Unstructured on purpose: a task group would wait for a stuck worker before returning.
        let finished: Bool = await withCheckedContinuation { continuation in
            let resume = Mutex<CheckedContinuation<Bool, Never>?>(continuation)
            let answer: @Sendable (Bool) -> Void = { value in resume.withLock { $0.take() }?.resume(returning: value) }
            Task {
                for worker in running { await worker.value }
                answer(true)
            }
            Task {
                try? await Task.sleep(for: timeout)
                answer(false)
            }
        }
        if !finished {
            logger.warning("workers still rendering after \(timeout); their jobs return to the queue when their leases expire")
        }
        return finished
    }

    var isStopping: Bool { stopping.load(ordering: .sequentiallyConsistent) }

    private func loop(worker: String) async {
        let config = service.configuration
        while !isStopping {
            let lease: JobLease?
            do {
                lease = try await service.store.claim(worker: worker, leaseMillis: config.leaseMillis, now: Clock.nowMillis())
            } catch {
                logger.error("claim failed: \(error)", metadata: ["worker": "\(worker)"])
                try? await Task.sleep(for: .seconds(1))
                continue
            }
            guard let lease else {
                await service.wakeup.wait(timeout: .seconds(1))
                continue
            }
            await run(lease)
        }
    }

    private func run(_ initial: JobLease) async {
        let job = initial.job
        let store = service.store
        var log = logger
        log[metadataKey: "video"] = "\(job.id)"
        log[metadataKey: "attempt"] = "\(initial.attempt)"
        log.info("rendering")
        let heartbeat = Heartbeat(lease: initial, store: store, leaseMillis: service.configuration.leaseMillis, logger: log)
        heartbeat.start()
        let cancellations = service.cancellations
        let isCancelled: @Sendable () -> Bool = { [self] in
            self.isStopping || cancellations.isRequested(job.id) || heartbeat.cancelRequested || heartbeat.leaseLost
        }
        var outcome: Result<RenderResult, any Error>
        do {
            let directory = try await service.outputs.prepare(videoID: job.id, logger: log)
            let request = renderJob(for: job)
            let renderer = self.renderer
            outcome = .success(try await onOwnThread(named: "kino-render") {
                try renderer.render(request, into: directory, progress: { heartbeat.report($0) }, isCancelled: isCancelled)
            })
        } catch {
            outcome = .failure(error)
        }
        let lease = await heartbeat.stop()
        let userCancelled = heartbeat.cancelRequested || cancellations.isRequested(job.id)
        cancellations.clear(job.id)
        let now = Clock.nowMillis()
        do {
            if heartbeat.leaseLost { throw SQLiteStore.leaseLost(lease) }
            switch outcome {
            case .success(let result):
                let retention = service.configuration.retentionSeconds * 1000
                try await store.complete(lease, JobCompletion(hasLatents: result.wroteLatents, completedAt: now, expiresAt: now + retention))
                log.info("completed")
            case .failure(let error) where isStopping && !userCancelled:
                // Shutting down: whatever the render threw while being stopped, the job goes back to the queue
                // now, its attempt not counted, instead of waiting for the lease to expire.
                try await store.release(lease, now: now)
                log.info("released for another worker (shutting down)", metadata: ["stopped-by": "\(error)"])
            case .failure where userCancelled, .failure(is RenderCancelled):
                // A user's cancel stays a cancel whatever the interrupted render threw.
                try await store.fail(lease, code: "cancelled", message: "The video was cancelled.", now: now)
                service.outputs.remove(videoID: job.id)
                log.info("cancelled")
            case .failure(let error):
                let (code, message) = clientFacing(error)
                try await store.fail(lease, code: code, message: message, now: now)
                service.outputs.remove(videoID: job.id)
                log.error("render failed: \(error)", metadata: ["code": "\(code)"])
            }
        } catch let error as KinoServiceError where error.kind == .leaseLost {
            log.warning("\(error.message)")
        } catch {
            log.error("could not record the result: \(error)")
        }
    }

    /// The code and message a failed job shows its client. A renderer's own messages are written for users and
    /// pass through; storage faults, and any message that names a path on this server, become a generic message
    /// (the full error goes to the operator's log) so clients never see the server's files or internals.
    func clientFacing(_ error: any Error) -> (code: String, message: String) {
        if StorageRetry.isStorage(error) { return (StorageRetry.clientCode, StorageRetry.clientMessage) }
        let message = "\(error)"
        if message.contains(service.outputs.root.path) || message.firstMatch(of: Self.absolutePath) != nil {
            return ("generation_failed", "The video failed because of an error on the server. The server's operator can find the details in its log.")
        }
        return ("generation_failed", message)
    }

    /// `/a/b` at the start of the text or after a space, quote or parenthesis: a file path, not a ratio like 16/9.
    nonisolated(unsafe) static let absolutePath = #/(^|[\s'"(])/[^\s/]+/[^\s]/#

    func renderJob(for job: VideoJob) -> RenderJob {
        let remix = job.remixOf.map {
            RemixSource(videoID: $0, latentsFile: service.outputs.latents(for: $0), strength: job.remixStrength ?? service.configuration.defaultRemixStrength)
        }
        let input = job.inputFile.map { service.outputs.input(named: $0) }
        guard job.sourceKind != nil else { return RenderJob(job: job, remix: remix, inputImage: input) }
        let latents = service.outputs.sourceLatents(videoID: job.id)
        return RenderJob(job: job, sourceVideo: input, sourceLatents: FileManager.default.fileExists(atPath: latents.path) ? latents : nil)
    }
}

/// Runs blocking work on a new thread of its own and waits for it without holding a cooperative-pool thread.
public func onOwnThread<T: Sendable>(named name: String, _ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        let thread = Thread { continuation.resume(with: Result { try body() }) }
        thread.name = name
        thread.stackSize = 16 << 20
        thread.start()
    }
}
