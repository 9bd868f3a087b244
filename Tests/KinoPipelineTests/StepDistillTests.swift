import Foundation
import KinoTensor
import KinoTestSupport
import Testing
@testable import KinoPipeline

/// The step-distill samplers against a Python reference of the same algorithm run with the tiny random pipeline
/// (Tooling/make_sampler_goldens.py, Tests/Fixtures/samplers): same initial latents and re-noising noise.
struct StepDistillTests {
    static let folder = Fixtures.root.appendingPathComponent("samplers")

    private func spec() throws -> [String: Any] {
        let data = try Data(contentsOf: Self.folder.appendingPathComponent("step_distill.json"))
        return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    @Test(arguments: ["stochastic_g1", "deterministic_g1", "stochastic_custom_g4"])
    func matchesTheReference(run: String) throws {
        let spec = try spec()
        let r = try #require((spec["runs"] as? [String: Any])?[run] as? [String: Any])
        let list = try #require(r["timesteps_list"] as? [Int])
        let stochastic = try #require(r["stochastic"] as? Bool)
        let goldens = try SafeTensorsFile(path: Self.folder.appendingPathComponent("step_distill.safetensors").path)
        let pipeline = try PipelineGoldenTests.pipeline.get()
        var request = GenerationRequest(
            prompt: try #require(spec["prompt"] as? String), negativePrompt: spec["negative_prompt"] as? String,
            width: 48, height: 32, frames: 9, steps: list.count, guidance: Float(try #require(r["guidance"] as? Double)),
            shift: try #require(r["shift"] as? Double), scheduler: stochastic ? .stepDistill : .stepDistillDeterministic,
            seed: 0, noise: try goldens.tensor("initial_latents"))
        request.timesteps = list
        if stochastic {
            let noise = try goldens.tensor("\(run)_step_noise")
            request.stepNoise = (0..<(list.count - 1)).map { noise.sliced(axis: 0, $0..<($0 + 1)).reshaped(noise.shape.dropFirst().map { $0 }) }
        }
        // The schedule the transformer sees.
        var config = SchedulerConfiguration(kind: request.scheduler ?? .unipc, shift: request.shift ?? 0)
        config.stepList = list
        let sampler = config.makeScheduler(steps: list.count)
        let timesteps = try #require(r["model_timesteps"] as? [Double]), sigmas = try #require(r["sigmas"] as? [Double])
        for (a, b) in zip(sampler.timesteps, timesteps) { #expect(abs(Double(a) - b) <= 1e-3, "timestep \(a) vs \(b)") }
        for (a, b) in zip(sampler.sigmas, sigmas) { #expect(abs(Double(a) - b) <= 1e-6, "sigma \(a) vs \(b)") }
        #expect(sampler.sigmas.last == 0)

        let latents = try pipeline.denoise(request)
        let steps = try goldens.tensor("\(run)_step_latents")
        let last = steps.sliced(axis: 0, (list.count - 1)..<list.count).reshaped(latents.shape)
        let error = latents.relativeError(to: last)
        #expect(error < 1e-4, "\(run): relative error \(error) against the reference")
    }

    @Test func defaultListAndValidation() throws {
        #expect(StepDistillScheduler.defaultList(steps: 4) == [1000, 750, 500, 250])
        #expect(StepDistillScheduler.defaultList(steps: 1) == [1000])
        #expect(throws: PipelineError.self) { try StepDistillScheduler.validate(list: [1000, 1000, 500], steps: 3) }
        #expect(throws: PipelineError.self) { try StepDistillScheduler.validate(list: [1001, 500], steps: 2) }
        #expect(throws: PipelineError.self) { try StepDistillScheduler.validate(list: [1000, 500], steps: 3) }
        try StepDistillScheduler.validate(list: [1000, 750, 500, 250], steps: 4)
    }

    @Test func requestsAreCheckedBeforeAnyWork() throws {
        let pipeline = try PipelineGoldenTests.pipeline.get()
        var request = GenerationRequest(prompt: "a red ball", width: 48, height: 32, frames: 9, steps: 4, guidance: 1, seed: 1)
        request.timesteps = [1000, 750, 500, 250]
        // A timestep list without a step-distill sampler would be silently unused: refused instead.
        #expect { try pipeline.validate(request) } throws: { "\($0)".contains("step-distill") }
        request.scheduler = .stepDistill
        try pipeline.validate(request)
        request.steps = 3
        #expect { try pipeline.validate(request) } throws: { "\($0)".contains("4 timesteps were given for 3 steps") }
    }

    @Test func seededRunsRepeatAndTheTwoVariantsDiffer() throws {
        let pipeline = try PipelineGoldenTests.pipeline.get()
        var request = GenerationRequest(prompt: "a red ball", width: 48, height: 32, frames: 9, steps: 4, guidance: 1,
                                        shift: 5, scheduler: .stepDistill, seed: 7)
        let a = try pipeline.denoise(request), b = try pipeline.denoise(request)
        #expect(a.scalars == b.scalars)
        request.scheduler = .stepDistillDeterministic
        let c = try pipeline.denoise(request)
        #expect(c.relativeError(to: a) > 1e-3, "re-noising changes the result")
    }
}
