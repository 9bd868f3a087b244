import Foundation
import KinoTestSupport
import Synchronization
import Testing
@testable import KinoRender

/// Calibrated percentages and render previews.
struct ClipProgressTests {
    @Test func sharesFollowTheMeasuredStageTimes() throws {
        let t0 = ContinuousClock.now
        let starts: [(ClipStage, ContinuousClock.Instant)] = [
            (.loadingModel, t0), (.encodingPrompt, t0 + .seconds(30)), (.denoising, t0 + .seconds(31)),
            (.decoding, t0 + .seconds(37)), (.encodingVideo, t0 + .seconds(39)),
        ]
        let shares = try #require(StageShares.measured(starts: starts, finished: t0 + .seconds(40)))
        // Loading (30 s, once per process) takes no share; the other 10 s split 1 / 6 / 2 / 1.
        let expected: [(ClipStage, Double)] = [(.loadingModel, 0), (.encodingPrompt, 0.1), (.denoising, 0.7), (.decoding, 0.9),
                                               (.finishing, 0.9), (.encodingVideo, 1), (.signing, 1)]
        for (got, (expectedStage, expectedEnd)) in zip(shares.ends, expected) {
            #expect(got.stage == expectedStage && abs(got.end - expectedEnd) < 1e-9)
        }
        #expect(abs(shares.overall(.denoising, 0.5) - 0.4) < 1e-9, "half the steps is 40% when denoising is 60% of the time from 10%")
        #expect(StageShares.measured(starts: [(.denoising, t0)], finished: t0) == nil)
    }

    /// kino-tiny has a fitted preview map: a render that asks for previews gets about eight pictures at the latent
    /// grid's size, the last at the final step, and percentages that never go back.
    @Test func theBundledModelReportsPreviewsWhileDenoising() throws {
        let folder = Fixtures.root.deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("models/kino-tiny")
        let renderer = ClipRenderer(signing: nil)
        let spec = ClipSpec(model: ModelSelection(folder: folder, name: "kino-tiny"), prompt: "a red ball bounces across green grass",
                            width: 128, height: 80, frames: 9, seed: 4, steps: 10)
        let reports = Mutex<[ClipProgress]>([])
        _ = try renderer.render(spec, to: ClipOutputs(previews: true), progress: { p in reports.withLock { $0.append(p) } })
        let seen = reports.withLock { $0 }
        let previews = seen.compactMap(\.preview)
        #expect(previews.map(\.step) == [2, 4, 6, 8, 10])
        #expect(previews.allSatisfy { $0.width == 16 && $0.height == 10 && $0.rgb.count == 16 * 10 * 3 && $0.steps == 10 })
        // A picture, not a flat colour.
        let last = try #require(previews.last).rgb
        #expect(Set(last).count > 20)
        #expect(zip(seen, seen.dropFirst()).allSatisfy { $0.overall <= $1.overall })
        reports.withLock { $0 = [] }
        _ = try renderer.render(spec, to: ClipOutputs(), progress: { p in reports.withLock { $0.append(p) } })
        #expect(reports.withLock { $0.allSatisfy { $0.preview == nil } }, "no previews unless asked for")
    }
}
