import Foundation
import Logging
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes bytes into a running tool's stdin. Returns false once the tool has closed its end (it exited or
/// stopped reading); the producer should then stop.
public typealias StdinWriter = (UnsafeRawBufferPointer) -> Bool

/// What a finished tool run left behind.
struct ToolOutput: Sendable {
    let stdout: [UInt8]
    let stderrTail: String
}

/// Runs ffmpeg / ffprobe as a subprocess with Foundation's `Process`: stdin fed by a producer on its own
/// thread, stdout and stderr drained on their own threads, a wall-clock timeout that kills the tool, and a cap
/// on how much stdout is kept. Synchronous: it blocks the calling thread until the tool exits, so call it from
/// a thread that may block (see `offPool`).
enum ToolRunner {
    static let logger = Logger(label: "kino.media")
    static let stderrKeep = 4096

    static func run(_ tool: MediaTool, arguments: [String], timeoutSeconds: Double,
                    stdoutLimit: Int = 1 << 20,
                    isCancelled: () -> Bool = { false },
                    stdin producer: (@Sendable (StdinWriter) throws -> Void)? = nil) throws -> ToolOutput {
        let executable = try tool.locate()
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        let inPipe = Pipe(), outPipe = Pipe(), errPipe = Pipe()
        process.standardInput = producer == nil ? FileHandle.nullDevice : inPipe
        process.standardOutput = outPipe
        process.standardError = errPipe
        let exited = DispatchSemaphore(value: 0)
        process.terminationHandler = { _ in exited.signal() }
        logger.debug("running \(tool.rawValue) \(arguments.joined(separator: " "))")
        do {
            try process.run()
        } catch {
            throw MediaError.toolFailed(tool: tool.rawValue, exitCode: -1,
                                        stderrTail: "could not start \(executable.path): \(error)")
        }
        let pid = process.processIdentifier
        let state = RunState()

        let outDone = spawn("kino-\(tool.rawValue)-stdout") {
            let kept = drain(outPipe.fileHandleForReading.fileDescriptor, limit: stdoutLimit)
            state.setStdout(kept.bytes, overflowed: kept.overflowed)
            if kept.overflowed { kill(pid, SIGKILL) }
        }
        let errDone = spawn("kino-\(tool.rawValue)-stderr") {
            let kept = drain(errPipe.fileHandleForReading.fileDescriptor, limit: Int.max, keepTail: stderrKeep)
            state.setStderr(kept.bytes)
        }
        var inDone: DispatchSemaphore?
        if let producer {
            let fd = inPipe.fileHandleForWriting.fileDescriptor
            inDone = spawn("kino-\(tool.rawValue)-stdin") {
                // A tool that exits early must give EPIPE here, not a process-killing SIGPIPE: block the
                // signal on this thread only; the pending signal dies with the thread.
                var set = sigset_t()
                sigemptyset(&set)
                sigaddset(&set, SIGPIPE)
                pthread_sigmask(SIG_BLOCK, &set, nil)
                do {
                    try producer { bytes in writeAll(fd, bytes) }
                } catch {
                    state.setProducerError(error)
                    kill(pid, SIGKILL)
                }
                try? inPipe.fileHandleForWriting.close()
            }
        }

        // Wake every 100 ms to honour a cancel: a render being cancelled or a server shutting down must not wait
        // for a long encode to finish.
        let deadline = DispatchTime.now() + timeoutSeconds
        var cancelled = false
        while exited.wait(timeout: min(deadline, .now() + 0.1)) == .timedOut {
            if isCancelled() {
                cancelled = true
            } else if DispatchTime.now() >= deadline {
                state.markTimedOut()
            } else {
                continue
            }
            kill(pid, SIGKILL)
            exited.wait()
            break
        }
        inDone?.wait()
        outDone.wait()
        errDone.wait()
        try? outPipe.fileHandleForReading.close()
        try? errPipe.fileHandleForReading.close()

        let result = state.snapshot()
        if cancelled { throw CancellationError() }
        if let error = result.producerError { throw error }
        if result.timedOut { throw MediaError.toolTimedOut(tool: tool.rawValue, seconds: timeoutSeconds) }
        if result.overflowed { throw MediaError.toolOutputTooLarge(tool: tool.rawValue, limitBytes: stdoutLimit) }
        let stderrTail = String(decoding: result.stderr, as: UTF8.self)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        guard process.terminationReason == .exit, process.terminationStatus == 0 else {
            throw MediaError.toolFailed(tool: tool.rawValue, exitCode: process.terminationStatus,
                                        stderrTail: stderrTail)
        }
        return ToolOutput(stdout: result.stdout, stderrTail: stderrTail)
    }

    /// Starts `body` on a new thread; the returned semaphore is signalled when it ends.
    private static func spawn(_ name: String, _ body: @escaping @Sendable () -> Void) -> DispatchSemaphore {
        let done = DispatchSemaphore(value: 0)
        let thread = Thread {
            body()
            done.signal()
        }
        thread.name = name
        thread.start()
        return done
    }

    /// Writes everything, retrying short writes and EINTR. False when the reader has gone away.
    private static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) -> Bool {
        guard var p = bytes.baseAddress else { return true }
        var left = bytes.count
        while left > 0 {
            let n = write(fd, p, left)
            if n < 0 {
                if errno == EINTR { continue }
                return false
            }
            p += n
            left -= n
        }
        return true
    }

    /// Reads `fd` to EOF. Keeps at most `limit` bytes (overflowed = more arrived), or with `keepTail` only
    /// the last `keepTail` bytes.
    private static func drain(_ fd: Int32, limit: Int, keepTail: Int? = nil) -> (bytes: [UInt8], overflowed: Bool) {
        var kept = [UInt8]()
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        var overflowed = false
        while true {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                break
            }
            if n == 0 { break }
            if overflowed { continue }  // keep draining so the tool is not blocked before it is killed
            if kept.count + n > limit {
                overflowed = true
                continue
            }
            kept.append(contentsOf: chunk[0..<n])
            if let keepTail, kept.count > 2 * keepTail {
                kept.removeFirst(kept.count - keepTail)
            }
        }
        if let keepTail, kept.count > keepTail { kept.removeFirst(kept.count - keepTail) }
        return (kept, overflowed)
    }
}

/// State shared by the threads of one tool run.
private final class RunState: @unchecked Sendable {
    private let lock = NSLock()
    private var stdout = [UInt8]()
    private var stderr = [UInt8]()
    private var overflowed = false
    private var timedOut = false
    private var producerError: (any Error)?

    func setStdout(_ bytes: [UInt8], overflowed: Bool) {
        lock.withLock { stdout = bytes; self.overflowed = overflowed }
    }
    func setStderr(_ bytes: [UInt8]) { lock.withLock { stderr = bytes } }
    func setProducerError(_ error: any Error) { lock.withLock { producerError = error } }
    func markTimedOut() { lock.withLock { timedOut = true } }

    func snapshot() -> (stdout: [UInt8], stderr: [UInt8], overflowed: Bool, timedOut: Bool,
                        producerError: (any Error)?) {
        lock.withLock { (stdout, stderr, overflowed, timedOut, producerError) }
    }
}

/// ffmpeg for callers outside the media layer that need a plain run (test fixtures, tooling): the same runner,
/// timeout and error reporting as the encoder's.
public enum FFmpeg {
    public static func run(_ arguments: [String], timeoutSeconds: Double = 120) throws {
        _ = try ToolRunner.run(.ffmpeg, arguments: ["-hide_banner", "-nostdin", "-loglevel", "error", "-y"] + arguments,
                               timeoutSeconds: timeoutSeconds)
    }
}
