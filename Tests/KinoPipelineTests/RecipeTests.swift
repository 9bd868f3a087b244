import Foundation
import KinoModels
import KinoTensor
import KinoTestSupport
import Testing
@testable import KinoPipeline

/// kino.json recipes: a LoRA, sampler, steps, guidance and caching picked by one name.
struct RecipeTests {
    static let recipes = #"""
        {"steps": 6, "guidance": 5,
         "recipes": {"fast": {"lora": "turbo.safetensors", "scheduler": "step-distill", "steps": 4, "shift": 5, "guidance": 1},
                     "turbo": {"steps": 3, "cache": "easycache:0.2", "guidance_fraction": 0.5}}}
        """#

    @Test func aRecipeFillsWhatTheRequestLeavesOut() throws {
        let folder = try TurboTests.folderWithTurboLoRA(Self.recipes)
        defer { try? FileManager.default.removeItem(at: folder) }
        let pipeline = try TextToVideoPipeline.load(folder: folder)
        #expect(pipeline.recipeTransformers.keys.sorted() == ["turbo.safetensors"])
        let d = pipeline.defaults
        #expect(d.recipeNames == ["fast", "turbo"])
        let plan = try GenerationPlan.make(size: (48, 32), frames: 9, seconds: nil, fps: 8, defaults: d, temporalFactor: 4)
        let fast = try GenerationRequest.make(prompt: "a red ball", plan: plan, defaults: d, seed: 3, recipe: "fast")
        #expect(fast.scheduler == .stepDistill && fast.steps == 4 && fast.shift == 5 && fast.guidance == 1)
        #expect(fast.recipeLoRA == "turbo.safetensors" && fast.cache == nil)
        let result = try pipeline.generate(fast)
        #expect(result.fullForwards == 4, "guidance 1: one call per step")
        // What the request gives wins over the recipe.
        let explicit = try GenerationRequest.make(prompt: "a red ball", plan: plan, defaults: d, steps: 2, guidance: 3, seed: 3, recipe: "fast")
        #expect(explicit.steps == 2 && explicit.guidance == 3)
        // A recipe's own timestep list survives an explicit step count of the same length.
        var withList = d
        withList.recipes?["fast"]?.timesteps = [1000, 900, 700, 400]
        let kept = try GenerationRequest.make(prompt: "a red ball", plan: plan, defaults: withList, steps: 4, seed: 3, recipe: "fast")
        #expect(kept.timesteps == [1000, 900, 700, 400])
        let other = try GenerationRequest.make(prompt: "a red ball", plan: plan, defaults: withList, steps: 3, seed: 3, recipe: "fast")
        #expect(other.timesteps == nil && other.steps == 3)
        // recipes.turbo replaces the turbo_* fields.
        let turbo = try GenerationRequest.make(prompt: "a red ball", plan: plan, defaults: d, seed: 3, turbo: true)
        #expect(turbo.steps == 3 && turbo.cache == .easyCache(threshold: 0.2) && turbo.guidanceSteps == 2 && turbo.recipeLoRA == nil)
    }

    /// Every kino.json field this engine reads is decoded (a field left out of the coding keys would be ignored).
    @Test func cachingFieldsAreRead() throws {
        let folder = try TurboTests.folderWithTurboLoRA(#"{"turbo_cache": "easycache:0.2", "magcache_ratios": {"cond": [1, 0.9], "uncond": [1, 0.8]}}"#)
        defer { try? FileManager.default.removeItem(at: folder) }
        let d = try #require(try ModelDefaults.load(from: folder))
        #expect(d.turboCache == "easycache:0.2" && d.recipe("turbo")?.cache == "easycache:0.2")
        #expect(d.magcacheRatios == MagnitudeRatios(cond: [1, 0.9], uncond: [1, 0.8]))
    }

    @Test func unknownOrConflictingRecipesAreRefused() throws {
        let d = try #require(try JSONDecoder().decode(ModelDefaults.self, from: Data(Self.recipes.utf8)))
        let plan = try GenerationPlan.make(size: (48, 32), frames: 9, seconds: nil, fps: 8, defaults: d, temporalFactor: 4)
        #expect { try GenerationRequest.make(prompt: "p", plan: plan, defaults: d, seed: 1, recipe: "slow") } throws: {
            "\($0)".contains("no recipe 'slow'; its recipes: fast, turbo")
        }
        #expect { try GenerationRequest.make(prompt: "p", plan: plan, defaults: d, seed: 1, turbo: true, recipe: "fast") } throws: {
            "\($0)".contains("not both")
        }
    }

    @Test(arguments: [(#"{"recipes": {"fast": {"cache": "fastcache"}}}"#, "recipes.fast.cache"),
                      (#"{"recipes": {"fast": {"lora": "missing.safetensors"}}}"#, "recipes.fast.lora"),
                      (#"{"recipes": {"fast": {"timesteps": [1000, 500]}}}"#, "recipes.fast.timesteps"),
                      (#"{"recipes": {"fast": {"steps": 0}}}"#, "recipes.fast.steps"),
                      (#"{"recipes": {"fast": {"step": 4}}}"#, "recipes.fast: unknown field 'step'"),
                      (#"{"turbo_stpes": 4}"#, "unknown field 'turbo_stpes'"),
                      (#"{"recipes": {"turbo": {"steps": 3}}, "turbo_steps": 4}"#, "recipes.turbo replaces turbo_steps"),
                      (#"{"magcache_ratios": {"cond": []}}"#, "magcache_ratios.cond"),
                      (#"{"magcache_ratios": {"cond": [1, -0.5]}}"#, "magcache_ratios.cond")])
    func badRecipesNameTheField(json: String, field: String) throws {
        let folder = try TurboTests.folderWithTurboLoRA(json)
        defer { try? FileManager.default.removeItem(at: folder) }
        #expect { try TextToVideoPipeline.load(folder: folder) } throws: { "\($0)".contains(field) }
    }
}
