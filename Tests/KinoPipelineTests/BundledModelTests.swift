import Foundation
import KinoTensor
import KinoTestSupport
import Testing
@testable import KinoPipeline

/// The bundled kino-tiny model loads through the same engine path as Wan weights and makes a clip.
struct BundledModelTests {
    static let folder = Fixtures.root.deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("models/kino-tiny")

    @Test func bundledModelMakesAClip() throws {
        let pipeline = try TextToVideoPipeline.load(folder: Self.folder)
        let size = try #require(pipeline.defaults.nativeSizes?.first)
        let request = GenerationRequest(prompt: "a red ball rolling right on green grass", width: size[0], height: size[1],
                                        frames: 9, steps: 2, guidance: pipeline.defaults.guidance ?? 5, seed: 1)
        let result = try pipeline.generate(request)
        #expect(result.video.shape == [1, 3, 9, size[1], size[0]])
        let values = result.video.scalars
        #expect(values.allSatisfy { $0.isFinite && $0 >= -1 && $0 <= 1 })
        // A real picture, not a constant: the frames vary across pixels.
        let mean = values.reduce(0, +) / Float(values.count)
        #expect(values.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Float(values.count) > 1e-4)
    }

    /// kino-tiny's turbo recipe runs its guidance-distilled LoRA: one transformer call per step, no cache, and a
    /// different clip from the plain weights at guidance 1.
    @Test func bundledTurboRunsTheDistilledLoRA() throws {
        let pipeline = try TextToVideoPipeline.load(folder: Self.folder)
        #expect(pipeline.turboTransformer != nil)
        let plan = try GenerationPlan.make(size: (128, 80), frames: 9, seconds: nil, fps: 8, defaults: pipeline.defaults, temporalFactor: 4)
        var turbo = try GenerationRequest.make(prompt: "a red ball rolling right on green grass", plan: plan,
                                               defaults: pipeline.defaults, seed: 1, turbo: true)
        #expect(turbo.guidance == 1 && turbo.cache == nil && turbo.recipeLoRA != nil)
        turbo.steps = 3
        let result = try pipeline.generate(turbo)
        #expect(result.fullForwards == 3 && result.reusedForwards == 0)
        var plain = turbo
        plain.recipeLoRA = nil
        #expect(try pipeline.generate(plain).latents.relativeError(to: result.latents) > 1e-3)
    }

    @Test func locatorFindsTheBundledModelByName() throws {
        let locator = ModelLocator(environment: [:], executable: Self.folder.appendingPathComponent("../../.build/debug/kino"))
        #expect(try locator.resolve("kino-tiny").standardizedFileURL.path == Self.folder.standardizedFileURL.path)
        #expect(throws: (any Error).self) { try locator.resolve("no-such-model") }
    }
}
