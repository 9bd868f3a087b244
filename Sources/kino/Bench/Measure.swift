import Foundation

/// Timing and memory measurement for the benchmarks.
enum Measure {
    /// Best wall time of `repeats` runs after one warm-up, in seconds.
    static func best(repeats: Int = 3, warmup: Bool = true, _ body: () -> Void) -> Double {
        if warmup { body() }
        var best = Double.infinity
        for _ in 0..<max(1, repeats) {
            let start = DispatchTime.now().uptimeNanoseconds
            body()
            best = min(best, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
        }
        return best
    }

    /// Current and peak resident set size of this process, in bytes (Linux /proc/self/status).
    static func residentBytes() -> (current: Int, peak: Int) {
        guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return (0, 0) }
        var current = 0, peak = 0
        for line in text.split(separator: "\n") {
            let parts = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            if parts.first == "VmRSS:", parts.count > 1 { current = (Int(parts[1]) ?? 0) * 1024 }
            if parts.first == "VmHWM:", parts.count > 1 { peak = (Int(parts[1]) ?? 0) * 1024 }
        }
        return (current, peak)
    }

    /// Resets the kernel's peak-RSS mark for this process so the next peak is measured from here.
    static func resetPeak() {
        try? "5".write(toFile: "/proc/self/clear_refs", atomically: false, encoding: .utf8)
    }

    static func cpuDescription() -> String {
        let info = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
        let model = info.split(separator: "\n").first { $0.hasPrefix("model name") }?.split(separator: ":").last?
            .trimmingCharacters(in: .whitespaces) ?? "unknown CPU"
        return "\(model), \(ProcessInfo.processInfo.activeProcessorCount) cores"
    }
}
