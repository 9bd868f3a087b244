import Foundation
import KinoModels
import KinoTensor
import KinoTestSupport
import Testing
@testable import KinoPipeline

/// Step caching: the option's syntax, each method's skip rule, and whole runs on the tiny pipeline.
struct StepCacheTests {
    func request(_ cache: StepCacheMode?, steps: Int = 10, guidance: Float = 5) -> GenerationRequest {
        var r = GenerationRequest(prompt: "A red ball bounces across green grass", width: 48, height: 32, frames: 9,
                                  steps: steps, guidance: guidance, seed: 11)
        r.cache = cache
        return r
    }

    @Test func theOptionParses() throws {
        #expect(try StepCacheMode(parsing: "easycache") == .easyCache(threshold: 0.05))
        #expect(try StepCacheMode(parsing: "TeaCache:0.2") == .teaCache(threshold: 0.2))
        #expect(try StepCacheMode(parsing: "magcache") == .magCache(threshold: 0.12, maxSkips: 2))
        #expect(try StepCacheMode(parsing: "firstblock:0.1") == .firstBlock(threshold: 0.1))
        #expect { try StepCacheMode(parsing: "fastcache") } throws: { "\($0)".contains("easycache, teacache, magcache, firstblock") }
        #expect { try StepCacheMode(parsing: "easycache:-1") } throws: { "\($0)".contains(">= 0") }
        #expect { try StepCacheMode(parsing: "easycache:x") } throws: { "\($0)".contains("easycache:0.05") }
    }

    /// TeaCache accumulates its fitted polynomial of the time embedding's relative change: a 1% change per step
    /// scores about 0.074, so at threshold 0.08 every other step is skipped; the first and last always compute.
    @Test func teaCacheFollowsItsPolynomial() {
        let cache = StepCache(mode: .teaCache(threshold: 0.08), steps: 5)
        let x = Tensor(shape: [1, 2, 3], values: [1, 2, 3, 4, 5, 6])
        var embedding: Float = 100, calls = 0
        var outputs: [Tensor] = []
        for _ in 0..<5 {
            outputs.append(cache.runBlocks(x, embedding: Tensor(shape: [1, 1], values: [embedding]),
                                           first: { $0 + 1 }, rest: { calls += 1; return $0 * 2 }))
            embedding *= 1.01
        }
        #expect(cache.computed == 3 && cache.reused == 2 && calls == 3)
        // A reused call adds the cached residual (x+1)·2 − x to its input.
        #expect(outputs[1].scalars == outputs[0].scalars)
    }

    @Test func thresholdZeroChangesNothing() throws {
        let pipeline = try PipelineGoldenTests.pipeline.get()
        let full = try pipeline.generate(request(nil))
        for mode in [StepCacheMode.easyCache(threshold: 0), .firstBlock(threshold: 0)] {
            let cached = try pipeline.generate(request(mode))
            #expect(cached.reusedForwards == 0 && cached.fullForwards == 20, "\(mode)")
            #expect(cached.latents.maxAbsDifference(full.latents) == 0, "\(mode)")
        }
    }

    /// EasyCache keeps the first fifth of the steps (it needs two computed calls to know the transformation
    /// rate) and the last step; a loose threshold reuses every call in between, per guidance branch.
    @Test func easyCacheSkipsBetweenItsKeptSteps() throws {
        let pipeline = try PipelineGoldenTests.pipeline.get()
        let full = try pipeline.generate(request(nil))
        let cached = try pipeline.generate(request(.easyCache(threshold: 1e9)))
        #expect(cached.fullForwards == 6 && cached.reusedForwards == 14, "steps 0, 1 and 9 of each branch computed")
        #expect(cached.latents.scalars.allSatisfy { $0.isFinite })
        let error = cached.latents.relativeError(to: full.latents)
        #expect(error > 0 && error < 1, "reuse changes the result a little: \(error)")
        // The default threshold sits between the two.
        let tuned = try pipeline.generate(request(.easyCache(threshold: 0.05)))
        #expect(tuned.reusedForwards + tuned.fullForwards == 20)
    }

    /// MagCache: a calibration run measures each step's residual-magnitude ratio; with those ratios a loose
    /// threshold skips at most `maxSkips` calls in a row after the kept first fifth.
    @Test func magCacheCalibratesThenSkips() throws {
        let pipeline = try PipelineGoldenTests.pipeline.get()
        var calibrate = request(nil)
        calibrate.calibratesMagCache = true
        let calibration = try pipeline.generate(calibrate)
        let ratios = try #require(calibration.magnitudeRatios)
        #expect(ratios.cond.count == 10 && ratios.uncond?.count == 10 && ratios.cond.first == 1)
        #expect(ratios.cond.dropFirst().allSatisfy { $0.isFinite && $0 > 0 })
        #expect(calibration.reusedForwards == 0)

        #expect { try pipeline.generate(request(.magCache(threshold: 1, maxSkips: 2))) } throws: { "\($0)".contains("magnitude ratios") }
        var r = request(.magCache(threshold: 1e9, maxSkips: 2))
        r.magRatios = ratios
        let cached = try pipeline.generate(r)
        // Per branch: steps 0-1 kept, then two skips and one compute: 2 s, 3 s, 4 c, 5 s, 6 s, 7 c, 8 s, 9 s.
        #expect(cached.fullForwards == 8 && cached.reusedForwards == 12)
    }

    @Test func teaCacheIsRefusedOnModelsItWasNotFittedFor() throws {
        let pipeline = try PipelineGoldenTests.pipeline.get()
        #expect { try pipeline.generate(request(.teaCache(threshold: 0.08))) } throws: { "\($0)".contains("use --cache easycache") }
    }

    @Test func ratiosResampleToOtherStepCounts() {
        #expect(MagnitudeRatios.resample([1, 2, 3, 4, 5], steps: 3) == [1, 3, 5])
        #expect(MagnitudeRatios.resample([1, 2, 3], steps: 5) == [1, 2, 2, 3, 3])
        #expect(MagnitudeRatios.resample([1, 2, 3], steps: 3) == [1, 2, 3])
    }
}
