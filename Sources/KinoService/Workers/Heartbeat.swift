import Foundation
import Logging
import Synchronization

/// Renews one lease from a task of its own while a render runs on its thread, and carries progress to the
/// store. Learns from the store whether the job was cancelled (from any process) or the lease was lost; the
/// render thread reads both through `cancelRequested`/`leaseLost` without waiting for the store.
final class Heartbeat: Sendable {
    private struct State {
        var lease: JobLease
        var progress: Int?
        var reported: Int?
        var phase: String?
        var reportedPhase: String?
        var preview: RenderPreview?
        var cancelRequested = false
        var leaseLost = false
        var lastBeat = ContinuousClock.now
        var task: Task<Void, Never>?
    }

    private let state: Mutex<State>
    private let store: any JobStore
    private let leaseMillis: Int64
    private let logger: Logger
    /// How often the task wakes to look for new progress.
    private let tick = Duration.milliseconds(250)
    /// Lease renewal period: a third of the lease, so two missed beats still leave it valid.
    private let renewEvery: Duration

    init(lease: JobLease, store: any JobStore, leaseMillis: Int64, logger: Logger) {
        self.state = Mutex(State(lease: lease))
        self.store = store
        self.leaseMillis = leaseMillis
        self.logger = logger
        self.renewEvery = .milliseconds(leaseMillis / 3)
    }

    var cancelRequested: Bool { state.withLock { $0.cancelRequested } }
    var leaseLost: Bool { state.withLock { $0.leaseLost } }

    /// Called from the render thread.
    func report(_ progress: RenderProgress) {
        let percent = Int((min(max(progress.fraction, 0), 1) * 100).rounded(.down))
        state.withLock {
            $0.progress = percent
            if let phase = progress.stored { $0.phase = phase }
            if let preview = progress.preview { $0.preview = preview }
        }
    }

    func start() {
        let task = Task { [self] in await self.loop() }
        state.withLock { $0.task = task }
    }

    /// Stops the task and returns the lease as last renewed.
    func stop() async -> JobLease {
        let task = state.withLock { $0.task }
        task?.cancel()
        await task?.value
        return state.withLock { $0.lease }
    }

    private func loop() async {
        while !Task.isCancelled {
            do { try await Task.sleep(for: tick) } catch { return }
            let due = state.withLock {
                $0.progress != $0.reported || $0.phase != $0.reportedPhase || $0.preview != nil || ContinuousClock.now - $0.lastBeat >= renewEvery
            }
            if due { await beat() }
        }
    }

    private func beat() async {
        var (lease, progress, phase, preview) = state.withLock { s in
            defer { s.preview = nil }
            return (s.lease, s.progress == s.reported ? nil : s.progress, s.phase == s.reportedPhase ? nil : s.phase, s.preview)
        }
        state.withLock { $0.lastBeat = .now }
        do {
            let cancel = try await store.heartbeat(&lease, progress: progress, phase: phase, leaseMillis: leaseMillis, now: Clock.nowMillis())
            // Only the newest picture matters: one that fails to store is replaced by the next.
            if let preview {
                do {
                    try await store.savePreview(lease, preview, now: Clock.nowMillis())
                } catch let error as KinoServiceError where error.kind == .leaseLost {
                    throw error
                } catch {
                    logger.warning("could not store a preview: \(error)")
                }
            }
            state.withLock { s in
                s.lease = lease
                if progress != nil { s.reported = progress }
                if phase != nil { s.reportedPhase = phase }
                if cancel { s.cancelRequested = true }
            }
        } catch let error as KinoServiceError where error.kind == .leaseLost {
            logger.warning("lease lost; stopping the render: \(error.message)")
            state.withLock { $0.leaseLost = true }
        } catch {
            // A transient database error: keep trying until the lease runs out; the rescuer handles the rest.
            logger.error("heartbeat failed: \(error)")
        }
    }
}
