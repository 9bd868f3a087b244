import Foundation
import Logging
import Synchronization

/// In-process workers: each runs on its own thread (never Swift's cooperative pool), claims a job with a lease,
/// renders it while a heartbeat thread renews the lease and relays progress and cancellation, and finishes the job
/// only while it still holds the lease.
public final class WorkerPool: Sendable {
    let service: VideoService
    let renderer: any VideoRenderer
    let count: Int
    let instance: String
    let logger: Logger
    private let stopping = Atomic<Bool>(false)
    private let finished = DispatchGroup()

    /// - Parameter instance: distinguishes this process's workers in the store (`<instance>-w<N>`).
    public init(service: VideoService, renderer: any VideoRenderer, count: Int, instance: String = UUID().uuidString.prefix(8).lowercased(), logger: Logger = Logger(label: "kino.worker")) {
        self.service = service
        self.renderer = renderer
        self.count = max(0, count)
        self.instance = instance
        self.logger = logger
    }

    public func start() {
        for index in 0..<count {
            finished.enter()
            let name = "\(instance)-w\(index + 1)"
            let thread = Thread { [self] in
                self.loop(worker: name)
                self.finished.leave()
            }
            thread.name = "kino-\(name)"
            thread.stackSize = 16 << 20
            thread.start()
        }
    }

    /// Stops claiming, asks running renders to stop, gives their jobs back to the queue, and waits for the threads.
    /// Blocks; call it off the cooperative pool (see `stopAsync`).
    public func stop() {
        stopping.store(true, ordering: .sequentiallyConsistent)
        service.wakeup.signal()
        finished.wait()
    }

    public func stopAsync() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            Thread { [self] in
                self.stop()
                continuation.resume()
            }.start()
        }
    }

    var isStopping: Bool { stopping.load(ordering: .sequentiallyConsistent) }

    private func loop(worker: String) {
        let config = service.configuration
        while !isStopping {
            let lease: JobLease?
            do {
                lease = try service.store.claim(worker: worker, leaseMillis: config.leaseMillis, now: Clock.nowMillis())
            } catch {
                logger.error("claim failed: \(error)", metadata: ["worker": "\(worker)"])
                Thread.sleep(forTimeInterval: 1)
                continue
            }
            guard let lease else {
                service.wakeup.wait(timeout: 1)
                continue
            }
            run(lease)
        }
    }

    private func run(_ initial: JobLease) {
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
            let directory = try service.outputs.prepare(videoID: job.id)
            let request = renderJob(for: job)
            outcome = .success(try renderer.render(request, into: directory, progress: { heartbeat.report($0) }, isCancelled: isCancelled))
        } catch {
            outcome = .failure(error)
        }
        let lease = heartbeat.stop()
        cancellations.clear(job.id)
        let now = Clock.nowMillis()
        do {
            if heartbeat.leaseLost { throw SQLiteStore.leaseLost(lease) }
            switch outcome {
            case .success(let result):
                let retention = service.configuration.retentionSeconds * 1000
                try store.complete(lease, JobCompletion(hasLatents: result.wroteLatents, completedAt: now, expiresAt: now + retention))
                log.info("completed")
            case .failure(let error as RenderCancelled) where isStopping && !heartbeat.cancelRequested && !cancellations.isRequested(job.id):
                _ = error
                try store.release(lease, now: now)
                log.info("released for another worker (shutting down)")
            case .failure(is RenderCancelled):
                try store.fail(lease, code: "cancelled", message: "The video was cancelled.", now: now)
                service.outputs.remove(videoID: job.id)
                log.info("cancelled")
            case .failure(let error):
                try store.fail(lease, code: "generation_failed", message: "\(error)", now: now)
                service.outputs.remove(videoID: job.id)
                log.error("render failed: \(error)")
            }
        } catch let error as KinoServiceError where error.kind == .leaseLost {
            log.warning("\(error.message)")
        } catch {
            log.error("could not record the result: \(error)")
        }
    }

    func renderJob(for job: VideoJob) -> RenderJob {
        let remix = job.remixOf.map {
            RemixSource(videoID: $0, latentsFile: service.outputs.latents(for: $0), strength: job.remixStrength ?? service.configuration.defaultRemixStrength)
        }
        return RenderJob(job: job, remix: remix)
    }
}
