import Foundation
import KinoTensor
import KinoTestSupport
import Testing
@testable import KinoPipeline

/// Schedules and step() sequences against diffusers (Tooling/make_goldens.py).
struct SchedulerTests {
    private func configuration(_ name: String) throws -> SchedulerConfiguration {
        let configs = try #require(try Fixtures.json("schedulers.json")["configs"] as? [String: Any])
        var object = try #require(configs[name] as? [String: Any])
        object["_class_name"] = name.hasPrefix("euler") ? "FlowMatchEulerDiscreteScheduler" : "UniPCMultistepScheduler"
        return try JSONDecoder().decode(SchedulerConfiguration.self, from: JSONSerialization.data(withJSONObject: object))
    }

    @Test(arguments: ["unipc_shift3", "unipc_shift5", "euler_shift3", "euler_shift7"])
    func schedulesMatchDiffusers(name: String) throws {
        let schedules = try #require(try Fixtures.json("schedulers.json")["schedules"] as? [String: Any])
        let byCount = try #require(schedules[name] as? [String: Any])
        let config = try configuration(name)
        try config.validate(path: name)
        #expect(!byCount.isEmpty)
        for (count, value) in byCount {
            let expected = try #require(value as? [String: Any])
            let timesteps = try #require(expected["timesteps"] as? [Double]).map(Float.init)
            let sigmas = try #require(expected["sigmas"] as? [Double]).map(Float.init)
            let s = config.makeScheduler(steps: try #require(Int(count)))
            #expect(s.timesteps.count == timesteps.count, "\(name) \(count) steps")
            for (a, b) in zip(s.timesteps, timesteps) { #expect(abs(a - b) <= 1e-4 * max(1, abs(b)), "\(name) \(count): timestep \(a) vs \(b)") }
            for (a, b) in zip(s.sigmas, sigmas) { #expect(abs(a - b) <= 1e-6, "\(name) \(count): sigma \(a) vs \(b)") }
        }
    }

    @Test(arguments: ["unipc_shift3", "unipc_shift5", "euler_shift3", "euler_shift7"])
    func stepSequencesMatchDiffusers(name: String) throws {
        let file = try Fixtures.tensors("scheduler_steps.safetensors")
        let outputs = try file.tensor("model_outputs"), expected = try file.tensor("\(name)_steps")
        var x = try file.tensor("sample_0").toF32()
        var s = try configuration(name).makeScheduler(steps: 6)
        for i in 0..<6 {
            x = s.step(velocity: outputs.sliced(axis: 0, i..<(i + 1)).reshaped(x.shape), sample: x)
            let golden = expected.sliced(axis: 0, i..<(i + 1)).reshaped(x.shape)
            let error = x.relativeError(to: golden)
            #expect(error < 1e-5, "\(name) step \(i): relative error \(error)")
        }
    }

    @Test func rejectsUnsupportedConfigurations() throws {
        var c = SchedulerConfiguration()
        c.className = "DDIMScheduler"
        #expect(throws: (any Error).self) { try c.validate(path: "scheduler_config.json") }
        c = SchedulerConfiguration()
        c.useFlowSigmas = false
        #expect(throws: (any Error).self) { try c.validate(path: "scheduler_config.json") }
    }
}
