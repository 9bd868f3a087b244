import Foundation

/// Runs blocking work (subprocess pipes, resizing) on a fresh dedicated thread and resumes the caller when it
/// finishes, so async code never parks a thread of Swift's cooperative pool on a blocking call.
public func offPool<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
        let thread = Thread {
            do { continuation.resume(returning: try body()) } catch { continuation.resume(throwing: error) }
        }
        thread.name = "kino-media"
        thread.stackSize = 8 << 20
        thread.start()
    }
}
