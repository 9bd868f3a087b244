import Foundation
import Logging

/// Periodically returns jobs of dead workers to the queue (or fails them after `maxAttempts`) and removes the
/// files of expired or deleted videos. Cheap queries, so it runs as an ordinary task.
public struct Rescuer: Sendable {
    let service: VideoService
    let logger: Logger

    public init(service: VideoService, logger: Logger = Logger(label: "kino.rescuer")) {
        self.service = service
        self.logger = logger
    }

    /// One pass; returns the ids it re-queued or failed.
    @discardableResult
    public func runOnce(now: Int64 = Clock.nowMillis()) async -> [String] {
        var touched: [String] = []
        do {
            touched = try await service.store.rescueExpired(now: now, backoffMillis: service.configuration.rescueBackoffMillis)
            if !touched.isEmpty {
                logger.warning("rescued jobs whose worker stopped heartbeating", metadata: ["videos": "\(touched)"])
                service.wakeup.signal()
            }
        } catch {
            logger.error("rescue pass failed: \(error)")
        }
        await service.purgeAssets(now: now)
        return touched
    }

    /// Runs until the task is cancelled.
    public func run() async {
        let interval = max(0.5, Double(service.configuration.leaseMillis) / 3000)
        while !Task.isCancelled {
            await runOnce()
            try? await Task.sleep(for: .seconds(interval))
        }
    }
}
