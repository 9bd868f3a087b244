import Foundation
import KinoModels
import KinoTensor
import KinoTestSupport
import Testing
@testable import KinoPipeline

/// Turbo mode: first-block step caching and the turbo schedule.
struct TurboTests {
    static let pipeline = Result { try TextToVideoPipeline.load(folder: Fixtures.tinyPipeline) }

    func request(threshold: Float?, guidance: Float = 5) throws -> GenerationRequest {
        var r = GenerationRequest(prompt: "A red ball bounces across green grass", width: 48, height: 32, frames: 9, steps: 6,
                                  guidance: guidance, seed: 3)
        r.cache = threshold.map { .firstBlock(threshold: $0) }
        return r
    }

    @Test func thresholdZeroNeverReusesAndMatchesTheFullRun() throws {
        let pipeline = try Self.pipeline.get()
        let full = try pipeline.generate(try request(threshold: nil))
        let cached = try pipeline.generate(try request(threshold: 0))
        #expect(cached.reusedForwards == 0 && cached.fullForwards == 12)
        #expect(cached.latents.maxAbsDifference(full.latents) == 0)
    }

    @Test func aLooseThresholdReusesEveryStepAfterTheFirstPerBranch() throws {
        let pipeline = try Self.pipeline.get()
        let full = try pipeline.generate(try request(threshold: nil))
        let cached = try pipeline.generate(try request(threshold: 1e9))
        #expect(cached.fullForwards == 2, "one full forward per guidance branch")
        #expect(cached.reusedForwards == 10)
        #expect(cached.latents.scalars.allSatisfy { $0.isFinite })
        #expect(cached.latents.maxAbsDifference(full.latents) > 0, "reusing residuals must change the result")
        let unguided = try pipeline.generate(try request(threshold: 1e9, guidance: 1))
        #expect(unguided.fullForwards == 1 && unguided.reusedForwards == 5)
    }

    @Test func firstBlockCacheComparesRelativeChange() {
        let cache = StepCache(threshold: 0.1)
        let x = Tensor(shape: [1, 2, 3], values: [1, 1, 1, 1, 1, 1])
        let embedding = Tensor(zeros: [1, 3])
        var calls = 0
        func rest(_ t: Tensor) -> Tensor { calls += 1; return t * 2 }
        let a = cache.runBlocks(x, embedding: embedding, first: { $0 + 1 }, rest: rest)      // residual 1, full
        let b = cache.runBlocks(x, embedding: embedding, first: { $0 + 1.05 }, rest: rest)   // 5% change: reused
        let c = cache.runBlocks(x, embedding: embedding, first: { $0 + 1.5 }, rest: rest)    // 50% change: full
        #expect(calls == 2 && cache.reused == 1 && cache.computed == 2)
        #expect(a.scalars.allSatisfy { $0 == 4 })
        #expect(b.scalars.allSatisfy { abs($0 - 4.05) < 1e-6 }, "block 0's output plus the cached residual 2")
        #expect(c.scalars.allSatisfy { $0 == 5 })
    }

    @Test func turboPicksTheModelsTurboSchedule() throws {
        var d = ModelDefaults()
        d.steps = 20
        d.turboSteps = 8
        d.turboCacheThreshold = 0.05
        let plan = try GenerationPlan.make(size: (48, 32), frames: 9, seconds: nil, fps: 8, defaults: d, temporalFactor: 4)
        let turbo = try GenerationRequest.make(prompt: "p", plan: plan, defaults: d, seed: 1, turbo: true)
        #expect(turbo.steps == 8 && turbo.cache == .firstBlock(threshold: 0.05))
        #expect(turbo.guidanceSteps == 8, "guidance on every turbo step unless kino.json says otherwise")
        d.turboGuidanceFraction = 0.3
        #expect(try GenerationRequest.make(prompt: "p", plan: plan, defaults: d, seed: 1, turbo: true).guidanceSteps == 3, "rounded up")
        d.shift = 3
        d.turboShift = 8
        #expect(try GenerationRequest.make(prompt: "p", plan: plan, defaults: d, seed: 1, turbo: true).shift == 8)
        #expect(try GenerationRequest.make(prompt: "p", plan: plan, defaults: d, shift: 5, seed: 1, turbo: true).shift == 5, "explicit wins")
        let normal = try GenerationRequest.make(prompt: "p", plan: plan, defaults: d, seed: 1)
        #expect(normal.steps == 20 && normal.cache == nil && normal.guidanceSteps == nil && normal.shift == 3)
        #expect(try GenerationRequest.make(prompt: "p", plan: plan, defaults: d, steps: 3, seed: 1, turbo: true).steps == 3)
        d.turboSteps = nil
        #expect(d.steps(explicit: nil, turbo: true) == 8, "two fifths of the default when kino.json has no turbo_steps")
    }

    /// Guidance on the first N steps only: N = 0 is the unguided run, N = steps the fully guided one, and in
    /// between the late steps run the prompt branch alone.
    @Test func guidanceStepsLimitTheUnconditionalBranch() throws {
        let pipeline = try Self.pipeline.get()
        let full = try pipeline.generate(try request(threshold: nil))
        let unguided = try pipeline.generate(try request(threshold: nil, guidance: 1))
        func limited(_ n: Int) throws -> GenerationResult {
            var r = try request(threshold: nil)
            r.guidanceSteps = n
            return try pipeline.generate(r)
        }
        let all = try limited(6), none = try limited(0), half = try limited(3)
        #expect(all.fullForwards == 12 && all.latents.maxAbsDifference(full.latents) == 0)
        #expect(none.fullForwards == 6 && none.latents.maxAbsDifference(unguided.latents) == 0)
        #expect(half.fullForwards == 9)
        #expect(half.latents.maxAbsDifference(full.latents) > 0 && half.latents.maxAbsDifference(unguided.latents) > 0)
        var bad = try request(threshold: nil)
        bad.guidanceSteps = -1
        #expect(throws: PipelineError.self) { try pipeline.generate(bad) }
    }

    /// A copy of the tiny pipeline whose kino.json names a turbo LoRA (the diffusers-format LoRA fixture).
    static func folderWithTurboLoRA(_ kinoJSON: String) throws -> URL {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("kino-turbo-\(UUID().uuidString)")
        try FileManager.default.copyItem(at: Fixtures.tinyPipeline, to: folder)
        try FileManager.default.copyItem(at: Fixtures.root.appendingPathComponent("lora/diffusers.safetensors"),
                                         to: folder.appendingPathComponent("turbo.safetensors"))
        try Data(kinoJSON.utf8).write(to: folder.appendingPathComponent("kino.json"))
        return folder
    }

    /// kino.json's turbo_lora: turbo requests run the transformer with the LoRA merged, at turbo_guidance (1: one
    /// call per step), exactly as if the LoRA had been given with --lora; normal requests keep the plain weights.
    @Test func turboLoRARunsTheMergedTransformerUnguided() throws {
        let folder = try Self.folderWithTurboLoRA(#"{"steps": 6, "guidance": 5, "turbo_steps": 4, "turbo_lora": "turbo.safetensors", "turbo_guidance": 1}"#)
        defer { try? FileManager.default.removeItem(at: folder) }
        let pipeline = try TextToVideoPipeline.load(folder: folder)
        #expect(pipeline.turboTransformer != nil)
        let plan = try GenerationPlan.make(size: (48, 32), frames: 9, seconds: nil, fps: 8, defaults: pipeline.defaults, temporalFactor: 4)
        let turbo = try GenerationRequest.make(prompt: "a red ball", plan: plan, defaults: pipeline.defaults, seed: 3, turbo: true)
        #expect(turbo.recipeLoRA == "turbo.safetensors" && turbo.guidance == 1 && turbo.steps == 4)
        #expect(try GenerationRequest.make(prompt: "a red ball", plan: plan, defaults: pipeline.defaults, guidance: 3, seed: 3,
                                       turbo: true).guidance == 3, "an explicit guidance wins")
        let normal = try GenerationRequest.make(prompt: "a red ball", plan: plan, defaults: pipeline.defaults, seed: 3)
        #expect(normal.recipeLoRA == nil && normal.guidance == 5)

        var fast = turbo
        fast.cache = nil
        let result = try pipeline.generate(fast)
        #expect(result.fullForwards == 4, "guidance 1: one transformer call per step")
        // The same request through a pipeline that merged the LoRA with --lora, on its normal weights.
        let merged = try TextToVideoPipeline.load(folder: Fixtures.tinyPipeline, loras: [
            LoRAAdapter(path: folder.appendingPathComponent("turbo.safetensors").path)])
        var same = fast
        same.recipeLoRA = nil
        #expect(try merged.generate(same).latents.maxAbsDifference(result.latents) == 0)
        #expect(try pipeline.generate(same).latents.maxAbsDifference(result.latents) > 1e-3, "the LoRA changes the clip")
        // A pipeline without turbo weights refuses a request for them instead of silently running the plain ones.
        #expect(throws: PipelineError.self) { try Self.pipeline.get().generate(fast) }
    }

    @Test(arguments: [#"{"turbo_lora": "missing.safetensors"}"#, #"{"turbo_lora": "../lora/diffusers.safetensors"}"#,
                      #"{"turbo_lora": "turbo.safetensors", "turbo_guidance": 0.5}"#])
    func badTurboSettingsNameTheField(_ json: String) throws {
        let folder = try Self.folderWithTurboLoRA(json)
        defer { try? FileManager.default.removeItem(at: folder) }
        let error = #expect(throws: ModelError.self) { try TextToVideoPipeline.load(folder: folder) }
        #expect(error?.description.contains("turbo_") == true, "the message names the kino.json field: \(String(describing: error))")
    }
}
