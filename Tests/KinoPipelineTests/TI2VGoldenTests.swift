import Foundation
import KinoModels
import KinoTensor
import KinoTestSupport
import Testing
@testable import KinoPipeline

/// Wan 2.2 TI2V (text- and image-to-video in one model) against diffusers on a tiny random model of its
/// architecture (Tooling/make_ti2v_goldens.py): the per-frame timesteps of the transformer, and WanPipeline /
/// WanImageToVideoPipeline runs with `expand_timesteps`, fp32, decoded frames within 1e-3.
struct TI2VGoldenTests {
    static let pipeline = Result { try TextToVideoPipeline.load(folder: Fixtures.tinyTI2V) }

    static func goldens() throws -> SafeTensorsFile {
        try SafeTensorsFile(path: Fixtures.ti2v.appendingPathComponent("goldens.safetensors").path)
    }

    @Test func perFrameTimestepsMatchDiffusersPerTokenForm() throws {
        let model = try WanTransformer(directory: Fixtures.tinyTI2V.appendingPathComponent("transformer"))
        let io = try Self.goldens()
        let latents = try io.tensor("initial_latents")
        let context = model.textContext(try io.tensor("transformer_text"))
        // diffusers' per-token timesteps: frame 0's tokens at 0, the rest at 700 (patch 2x2 -> 6 tokens a frame).
        let perToken = try io.tensor("transformer_per_token_timesteps").scalars
        let perFrame = stride(from: 0, to: perToken.count, by: perToken.count / latents.shape[2]).map { perToken[$0] }
        #expect(perFrame == [0, 700, 700])
        let out = try model(latents, timesteps: [700], frameTimesteps: perFrame, context: context)
        let error = out.relativeError(to: try io.tensor("transformer_out"))
        print("TI2V transformer with per-frame timesteps, relative error vs diffusers per-token: \(error)")
        #expect(error < 1e-4, "per-frame timesteps: relative error \(error)")
        let uniform = try model(latents, timesteps: [700], context: context)
        #expect(uniform.relativeError(to: try io.tensor("transformer_out_uniform")) < 1e-4)
        // All frames at the same t is the scalar form exactly; frame 0 at t = 0 changes every frame's output.
        let same = try model(latents, timesteps: [700], frameTimesteps: [700, 700, 700], context: context)
        #expect(same.maxAbsDifference(uniform) < 1e-6)
        #expect(out.maxAbsDifference(uniform) > 1e-3)
        #expect(throws: ModelError.self) { try model(latents, timesteps: [700], frameTimesteps: [0, 700], context: context) }
    }

    @Test func folderIsRecognisedAsTI2V() throws {
        let pipeline = try Self.pipeline.get()
        #expect(pipeline.acceptsConditioning)
        #expect(pipeline.vae.spatialFactor == 16 && pipeline.vae.temporalFactor == 4 && pipeline.vae.latentChannels == 8)
        // No kino.json: TI2V-5B's published defaults (1280x704, 24 fps, 50 steps, guidance 5).
        #expect(pipeline.defaults == .wan22TI2V)
        #expect(pipeline.scheduler.shift == 5)
        let plan = try GenerationPlan.make(size: nil, frames: nil, seconds: nil, fps: nil, defaults: pipeline.defaults)
        #expect(plan.width == 1280 && plan.height == 704 && plan.frames == 121 && plan.fps == 24)
    }

    @Test(arguments: ["t2v_g5", "i2v_g5", "i2v_g1"])
    func wholePipelineMatchesDiffusers(run: String) throws {
        let pipeline = try Self.pipeline.get()
        let spec = try #require(try JSONSerialization.jsonObject(
            with: Data(contentsOf: Fixtures.ti2v.appendingPathComponent("pipelines.json"))) as? [String: Any])
        let r = try #require((spec["runs"] as? [String: Any])?[run] as? [String: Any])
        let goldens = try Self.goldens()
        var request = GenerationRequest(
            prompt: try #require(r["prompt"] as? String), negativePrompt: r["negative_prompt"] as? String ?? "",
            width: 96, height: 64, frames: 9, steps: try #require(r["steps"] as? Int),
            guidance: Float(try #require(r["guidance_scale"] as? Double)), scheduler: .unipc, seed: 0,
            noise: try goldens.tensor("initial_latents"))
        if run.hasPrefix("i2v") {
            // The image goes through Kino's own VAE encode; its latents must be diffusers' condition.
            let condition = try pipeline.vae.encode(try goldens.tensor("image"), isCancelled: { false })
            let error = condition.relativeError(to: try goldens.tensor("image_latents"))
            #expect(error < 1e-4, "image latents: relative error \(error)")
            request.conditionLatents = condition
        }
        let result = try pipeline.generate(request)
        var last = try goldens.tensor("\(run)_step_latents").sliced(axis: 0, 2..<3).reshaped(result.latents.shape)
        if let given = request.conditionLatents {
            // diffusers replaces frame 0 once more after its loop (the per-step latents are from before that).
            last = Tensor.concatenate([given, last.sliced(axis: 2, 1..<3).contiguous()], axis: 2)
        }
        #expect(result.latents.relativeError(to: last) < 1e-4, "\(run): final latents")
        let error = result.video.maxAbsDifference(try goldens.tensor("\(run)_video"))
        print("TI2V \(run) decoded frames max abs error vs diffusers: \(error)")
        #expect(error < 1e-3, "\(run): max abs error \(error)")
    }

    @Test func conditioningIsRefusedByModelsNotTrainedForIt() throws {
        let wan21 = try TextToVideoPipeline.load(folder: Fixtures.tinyPipeline)
        #expect(!wan21.acceptsConditioning)
        var request = GenerationRequest(prompt: "x", width: 48, height: 32, frames: 9, steps: 2, guidance: 1, seed: 0)
        request.conditionLatents = Tensor(zeros: [1, 16, 1, 4, 6])
        #expect(throws: PipelineError.invalidRequest(TextToVideoPipeline.conditioningUnsupported)) { try wan21.validate(request) }
    }

    @Test func givenFramesMustFitTheClip() throws {
        let pipeline = try Self.pipeline.get()
        var request = GenerationRequest(prompt: "x", width: 96, height: 64, frames: 9, steps: 2, guidance: 1, seed: 0)
        for bad in [[1, 8, 3, 4, 6], [1, 8, 1, 4, 5], [1, 7, 1, 4, 6]] {
            request.conditionLatents = Tensor(zeros: bad)
            #expect(throws: PipelineError.self) { try pipeline.validate(request) }
        }
        request.conditionLatents = Tensor(zeros: [1, 8, 2, 4, 6])
        try pipeline.validate(request)
    }
}
