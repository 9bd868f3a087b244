import Foundation
import KinoRender

/// `kino generate --timings FILE`: seconds and peak resident memory of each stage of one clip (loading, prompt
/// encoding, each denoising step, decoding, the media stages), written as JSON when the clip is done. Each
/// stage's peak is measured from that stage's start (the kernel's high-water mark is reset at every change), so
/// a stage's figure is what it needed, not what an earlier stage left behind.
final class StageTimings: @unchecked Sendable {
    private let lock = NSLock()
    private let start = Date()
    private var stage: ClipStage?
    private var stageStart = Date()
    private var lastStep = Date()
    private var stages: [[String: Any]] = []
    private var steps: [Double] = []
    private var wholePeak = 0

    init() { Measure.resetPeak() }

    func observe(_ progress: ClipProgress) {
        lock.lock(); defer { lock.unlock() }
        let now = Date()
        if progress.stage != stage {
            close(at: now)
            stage = progress.stage
            stageStart = now
            lastStep = now
            Measure.resetPeak()
        } else if progress.stage == .denoising, progress.detail.hasPrefix("step") {
            steps.append(now.timeIntervalSince(lastStep))
            lastStep = now
        }
    }

    private func close(at now: Date) {
        guard let stage else { return }
        let peak = Measure.residentBytes().peak
        wholePeak = max(wholePeak, peak)
        stages.append(["stage": stage.rawValue, "seconds": round3(now.timeIntervalSince(stageStart)),
                       "peak_rss_mb": peak / 1_000_000])
    }

    func write(to path: String) throws {
        lock.lock(); defer { lock.unlock() }
        let now = Date()
        close(at: now)
        stage = nil
        let json: [String: Any] = ["stages": stages, "denoising_steps_s": steps.map(round3),
                                   "total_s": round3(now.timeIntervalSince(start)), "peak_rss_mb": wholePeak / 1_000_000]
        let data = try JSONSerialization.data(withJSONObject: json, options: [.prettyPrinted, .sortedKeys])
        try data.write(to: URL(fileURLWithPath: path))
    }

    private func round3(_ x: Double) -> Double { (x * 1000).rounded() / 1000 }
}
