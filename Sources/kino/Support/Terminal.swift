import Foundation

/// A one-line progress bar on standard error (plain lines when stderr is not a terminal).
final class ProgressBar: @unchecked Sendable {
    private let lock = NSLock()
    private let interactive = isatty(STDERR_FILENO) == 1
    private let start = Date()
    private var lastLine = ""

    func update(stage: String, fraction: Double?, detail: String = "") {
        lock.lock(); defer { lock.unlock() }
        let elapsed = String(format: "%5.1fs", Date().timeIntervalSince(start))
        var line = "\(elapsed)  \(stage.padding(toLength: 18, withPad: " ", startingAt: 0))"
        if let fraction {
            let width = 28
            let filled = Int((fraction * Double(width)).rounded(.down))
            line += " [" + String(repeating: "#", count: filled) + String(repeating: "-", count: max(0, width - filled)) + "]"
            line += String(format: " %3d%%", Int(fraction * 100))
        }
        if !detail.isEmpty { line += "  \(detail)" }
        if interactive {
            FileHandle.standardError.write(Data(("\r" + line + "\u{1B}[K").utf8))
        } else if line != lastLine, fraction == nil || fraction == 1 || stage != lastStage {
            FileHandle.standardError.write(Data((line + "\n").utf8))
        }
        lastLine = line
        lastStage = stage
    }

    private var lastStage = ""

    func finish() {
        lock.lock(); defer { lock.unlock() }
        if interactive { FileHandle.standardError.write(Data("\n".utf8)) }
    }
}

/// Standard error output for the CLI.
enum Console {
    static func error(_ text: String) {
        FileHandle.standardError.write(Data((text + "\n").utf8))
    }
}

/// Runs blocking work on a dedicated thread (never Swift's cooperative pool) and awaits its result.
func runOnThread<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        let thread = Thread {
            continuation.resume(with: Result { try body() })
        }
        thread.stackSize = 16 << 20
        thread.start()
    }
}

/// Writes a line to standard output at once (print is buffered when stdout is a file or pipe).
func say(_ line: String) {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}
