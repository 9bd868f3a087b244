import Foundation
import Logging
import Synchronization

/// Renews one lease from its own thread while a render runs, and carries progress to the store. Learns from the
/// store whether the job was cancelled (from any process) or the lease was lost.
final class Heartbeat: @unchecked Sendable {
    private struct State {
        var lease: JobLease
        var progress: Int?
        var reported: Int?
        var cancelRequested = false
        var leaseLost = false
        var stopped = false
    }

    private let state: Mutex<State>
    private let store: any JobStore
    private let leaseMillis: Int64
    private let logger: Logger
    private let condition = NSCondition()
    private let done = DispatchSemaphore(value: 0)
    /// How often the thread wakes to look for new progress.
    private let tick: TimeInterval = 0.25
    /// Lease renewal period: a third of the lease, so two missed beats still leave it valid.
    private let renewEvery: TimeInterval
    private var lastBeat = Date()

    init(lease: JobLease, store: any JobStore, leaseMillis: Int64, logger: Logger) {
        self.state = Mutex(State(lease: lease))
        self.store = store
        self.leaseMillis = leaseMillis
        self.logger = logger
        self.renewEvery = Double(leaseMillis) / 3000
    }

    var cancelRequested: Bool { state.withLock { $0.cancelRequested } }
    var leaseLost: Bool { state.withLock { $0.leaseLost } }

    /// Called from the render thread with a fraction 0...1.
    func report(_ fraction: Double) {
        let percent = Int((min(max(fraction, 0), 1) * 100).rounded(.down))
        state.withLock { $0.progress = percent }
    }

    func start() {
        let thread = Thread { [self] in
            self.loop()
            self.done.signal()
        }
        thread.name = "kino-heartbeat"
        thread.start()
    }

    /// Stops the thread and returns the lease as last renewed.
    func stop() -> JobLease {
        condition.lock()
        state.withLock { $0.stopped = true }
        condition.broadcast()
        condition.unlock()
        done.wait()
        return state.withLock { $0.lease }
    }

    private func loop() {
        while true {
            condition.lock()
            if !state.withLock({ $0.stopped }) {
                _ = condition.wait(until: Date().addingTimeInterval(tick))
            }
            condition.unlock()
            if state.withLock({ $0.stopped }) { return }
            let progressChanged = state.withLock { $0.progress != $0.reported }
            if progressChanged || Date().timeIntervalSince(lastBeat) >= renewEvery {
                lastBeat = Date()
                beat()
            }
        }
    }

    private func beat() {
        var (lease, progress) = state.withLock { s in (s.lease, s.progress == s.reported ? nil : s.progress) }
        do {
            let cancel = try store.heartbeat(&lease, progress: progress, leaseMillis: leaseMillis, now: Clock.nowMillis())
            state.withLock { s in
                s.lease = lease
                if progress != nil { s.reported = progress }
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
