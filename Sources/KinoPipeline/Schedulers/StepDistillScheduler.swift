import Foundation
import KinoTensor

/// The fresh Gaussian noise a stochastic sampler adds between steps: drawn from the generation's own seeded
/// stream, or given (a reference run's noise, so runs can be compared step by step).
public enum StepNoise: Sendable {
    case generator(SeededGenerator)
    case given([Tensor])
}

/// The sampler of step-distilled Wan (lightx2v's 4-step recipe): each step predicts the clean sample
/// x0 = x − σ·v, then either re-noises x0 with fresh noise to the next level, (1 − σ')·x0 + σ'·ε (`stochastic`,
/// what the Wan 2.1 distills were trained for), or moves along the prediction, x0 + σ'·v (deterministic, the
/// Wan 2.2 variant; the same as an Euler step). The last step returns x0.
///
/// The schedule is a list of training timesteps (`[1000, 750, 500, 250]`): each t picks the unshifted level
/// t/1000 of a 1000-step grid, which is then shifted like every Wan schedule, σ = s·u / (1 + (s − 1)·u); the
/// transformer sees σ·1000.
public struct StepDistillScheduler: FlowScheduler {
    public let timesteps: [Float]
    public let sigmas: [Float]
    public let stochastic: Bool
    private var noise: StepNoise
    private var index = 0

    /// lightx2v's default list for `steps` steps: evenly spaced from 1000 ([1000, 750, 500, 250] for 4).
    public static func defaultList(steps: Int) -> [Int] {
        (0..<steps).map { 1000 - $0 * 1000 / max(steps, 1) }
    }

    public init(list: [Int], shift: Double, trainTimesteps: Int = 1000, stochastic: Bool, noise: StepNoise) {
        let n = Float(trainTimesteps)
        let sig: [Float] = list.map { t in
            // torch.linspace(1, 0, n + 1)[n - t] in float32, then the shift in float32.
            let u = 1 - Float(trainTimesteps - t) / n
            let s = Float(shift)
            return s * u / (1 + (s - 1) * u)
        }
        timesteps = sig.map { $0 * n }
        sigmas = sig + [0]
        self.stochastic = stochastic
        self.noise = noise
    }

    public mutating func begin(at index: Int) { self.index = index }

    public mutating func step(velocity: Tensor, sample: Tensor) -> Tensor {
        let sigma = sigmas[index], next = sigmas[index + 1]
        let stepIndex = index
        index += 1
        var x0 = sample
        x0.addScaled(velocity, by: -sigma)
        guard next > 0 else { return x0 }
        if !stochastic {
            x0.addScaled(velocity, by: next)
            return x0
        }
        let epsilon: Tensor
        switch noise {
        case .generator(var g):
            epsilon = Tensor.randomNormal(sample.shape, using: &g)
            noise = .generator(g)
        case .given(let list):
            // Validated against the schedule before the run (`TextToVideoPipeline.validate`).
            epsilon = list[min(stepIndex, list.count - 1)].toF32().reshaped(sample.shape)
        }
        var out = x0 * (1 - next)
        out.addScaled(epsilon, by: next)
        return out
    }

    /// Checks a user's list: training timesteps in 1...1000, strictly decreasing, one per step.
    public static func validate(list: [Int], steps: Int, trainTimesteps: Int = 1000) throws {
        guard !list.isEmpty, list.allSatisfy({ (1...trainTimesteps).contains($0) }) else {
            throw PipelineError.invalidRequest("timesteps must be whole numbers from 1 to \(trainTimesteps), e.g. 1000,750,500,250; got \(list)")
        }
        guard zip(list, list.dropFirst()).allSatisfy({ $0 > $1 }) else {
            throw PipelineError.invalidRequest("timesteps must decrease from the first step to the last, e.g. 1000,750,500,250; got \(list)")
        }
        guard list.count == steps else {
            throw PipelineError.invalidRequest("\(list.count) timesteps were given for \(steps) steps; give one per step or leave steps out")
        }
    }
}
