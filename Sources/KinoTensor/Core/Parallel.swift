import CKinoBLAS
import Dispatch
import Foundation

/// Kino's one thread pool: every kernel spreads its work over `Parallel.threads` workers.
///
/// Work runs on GCD's worker threads via `concurrentPerform`, never on Swift's cooperative pool.
/// The BLAS runs single-threaded inside each worker, so there is one level of parallelism and the
/// split of work (hence the floating-point summation order) depends only on the thread count:
/// results are bit-identical for the same inputs and thread count.
public enum Parallel {
    private static let state = ThreadCountBox()

    /// Number of worker threads (defaults to the number of active cores, or `KINO_THREADS`).
    public static var threads: Int {
        get { state.value }
        set { state.value = max(1, newValue) }
    }

    /// Runs `body` over `0..<count` split into at most `threads` contiguous chunks of at least
    /// `minimumChunk` items each. Chunk boundaries depend only on `count`, `minimumChunk` and `threads`.
    public static func forEach(_ count: Int, minimumChunk: Int = 1, _ body: (Range<Int>) -> Void) {
        guard count > 0 else { return }
        let chunks = Swift.min(threads, Swift.max(1, count / Swift.max(1, minimumChunk)))
        if chunks == 1 {
            body(0..<count)
            return
        }
        withoutActuallyEscaping(body) { body in
            let work = SendableBody(body)
            DispatchQueue.concurrentPerform(iterations: chunks) { chunk in
                let start = count * chunk / chunks
                let end = count * (chunk + 1) / chunks
                if start < end { work.body(start..<end) }
            }
        }
    }

    /// Runs `body(i)` for every `i` in `0..<count`, each index on some worker (dynamic assignment
    /// is avoided: index i always goes to chunk i * threads / count).
    public static func forEachIndex(_ count: Int, _ body: (Int) -> Void) {
        forEach(count) { range in for i in range { body(i) } }
    }
}

private struct SendableBody: @unchecked Sendable {
    let body: (Range<Int>) -> Void
    init(_ body: @escaping (Range<Int>) -> Void) { self.body = body }
}

private final class ThreadCountBox: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: Int

    init() {
        // The BLAS must not start threads of its own: Kino splits the work itself.
        openblas_set_num_threads(1)
        if let text = ProcessInfo.processInfo.environment["KINO_THREADS"], let n = Int(text), n > 0 {
            stored = n
        } else {
            stored = ProcessInfo.processInfo.activeProcessorCount
        }
    }

    var value: Int {
        get { lock.lock(); defer { lock.unlock() }; return stored }
        set { lock.lock(); stored = newValue; lock.unlock() }
    }
}
