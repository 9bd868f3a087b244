import Foundation
import KinoModels

/// `scheduler/scheduler_config.json` for the flow-matching samplers Kino implements: diffusers'
/// `UniPCMultistepScheduler` (with `use_flow_sigmas`) and `FlowMatchEulerDiscreteScheduler`, and the sampler of
/// step-distilled Wan (`StepDistillScheduler`, stochastic or deterministic; no diffusers class).
public struct SchedulerConfiguration: Codable, Sendable, Equatable {
    public enum Kind: String, Codable, Sendable, CaseIterable {
        case unipc, euler
        case stepDistill = "step-distill"
        case stepDistillDeterministic = "step-distill-deterministic"

        var className: String {
            switch self {
            case .unipc: "UniPCMultistepScheduler"
            case .euler: "FlowMatchEulerDiscreteScheduler"
            case .stepDistill: "KinoStepDistillScheduler"
            case .stepDistillDeterministic: "KinoStepDistillDeterministicScheduler"
            }
        }

        /// Whether the sampler takes a list of training timesteps (`--timesteps`) instead of a step count alone.
        public var takesTimestepList: Bool { self == .stepDistill || self == .stepDistillDeterministic }
    }

    public var className: String = "UniPCMultistepScheduler"
    public var numTrainTimesteps: Int = 1000
    /// UniPC's `flow_shift` or Euler's `shift`.
    public var shift: Double = 3.0
    public var solverOrder: Int = 2
    public var predictionType: String = "flow_prediction"
    public var useFlowSigmas: Bool = true
    public var solverType: String = "bh2"
    public var lowerOrderFinal: Bool = true
    public var predictX0: Bool = true
    public var finalSigmasType: String = "zero"
    public var disableCorrector: [Int] = []
    public var useDynamicShifting: Bool = false
    /// The step-distill samplers' training timesteps, one per step (nil: evenly spaced from 1000).
    public var stepList: [Int]?

    enum CodingKeys: String, CodingKey {
        case className = "_class_name", numTrainTimesteps = "num_train_timesteps", flowShift = "flow_shift", shift
        case solverOrder = "solver_order", predictionType = "prediction_type", useFlowSigmas = "use_flow_sigmas"
        case solverType = "solver_type", lowerOrderFinal = "lower_order_final", predictX0 = "predict_x0"
        case finalSigmasType = "final_sigmas_type", disableCorrector = "disable_corrector", useDynamicShifting = "use_dynamic_shifting"
        case stepList = "denoising_step_list"
    }

    public init(kind: Kind = .unipc, shift: Double = 3.0) {
        className = kind.className
        self.shift = shift
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        className = try c.decodeIfPresent(String.self, forKey: .className) ?? "UniPCMultistepScheduler"
        numTrainTimesteps = try c.decodeIfPresent(Int.self, forKey: .numTrainTimesteps) ?? 1000
        shift = try c.decodeIfPresent(Double.self, forKey: .flowShift) ?? c.decodeIfPresent(Double.self, forKey: .shift) ?? 1.0
        solverOrder = try c.decodeIfPresent(Int.self, forKey: .solverOrder) ?? 2
        predictionType = try c.decodeIfPresent(String.self, forKey: .predictionType) ?? "flow_prediction"
        useFlowSigmas = try c.decodeIfPresent(Bool.self, forKey: .useFlowSigmas) ?? (className != "UniPCMultistepScheduler")
        solverType = try c.decodeIfPresent(String.self, forKey: .solverType) ?? "bh2"
        lowerOrderFinal = try c.decodeIfPresent(Bool.self, forKey: .lowerOrderFinal) ?? true
        predictX0 = try c.decodeIfPresent(Bool.self, forKey: .predictX0) ?? true
        finalSigmasType = try c.decodeIfPresent(String.self, forKey: .finalSigmasType) ?? "zero"
        disableCorrector = try c.decodeIfPresent([Int].self, forKey: .disableCorrector) ?? []
        useDynamicShifting = try c.decodeIfPresent(Bool.self, forKey: .useDynamicShifting) ?? false
        stepList = try c.decodeIfPresent([Int].self, forKey: .stepList)
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(className, forKey: .className)
        try c.encode(numTrainTimesteps, forKey: .numTrainTimesteps)
        try c.encode(shift, forKey: kind == .unipc ? .flowShift : .shift)
        try c.encode(solverOrder, forKey: .solverOrder)
        try c.encode(predictionType, forKey: .predictionType)
        try c.encode(useFlowSigmas, forKey: .useFlowSigmas)
        try c.encode(solverType, forKey: .solverType)
        try c.encode(lowerOrderFinal, forKey: .lowerOrderFinal)
        try c.encode(finalSigmasType, forKey: .finalSigmasType)
        try c.encodeIfPresent(stepList, forKey: .stepList)
    }

    public var kind: Kind { Kind.allCases.first { $0.className == className } ?? .unipc }

    /// Rejects configurations whose behaviour Kino does not implement, naming the field.
    public func validate(path: String) throws {
        func bad(_ message: String) -> ModelError { .invalidConfig(path: path, message: message) }
        guard Kind.allCases.contains(where: { $0.className == className }) else {
            throw bad("scheduler '\(className)' is not supported; use one of " + Kind.allCases.map(\.className).joined(separator: ", "))
        }
        if let list = stepList {
            guard kind.takesTimestepList else { throw bad("denoising_step_list is used only by the step-distill samplers") }
            do { try StepDistillScheduler.validate(list: list, steps: list.count, trainTimesteps: numTrainTimesteps) } catch {
                throw bad("denoising_step_list: \(error)")
            }
        }
        guard !useDynamicShifting else { throw bad("use_dynamic_shifting is not supported") }
        if kind == .unipc {
            guard useFlowSigmas, predictionType == "flow_prediction" else {
                throw bad("UniPC is supported with prediction_type flow_prediction and use_flow_sigmas true (Wan's setting)")
            }
            guard predictX0, ["bh1", "bh2"].contains(solverType), (1...3).contains(solverOrder) else {
                throw bad("UniPC needs predict_x0 true, solver_type bh1|bh2 and solver_order 1-3")
            }
            guard ["zero", "sigma_min"].contains(finalSigmasType) else { throw bad("final_sigmas_type must be zero or sigma_min") }
        }
        guard shift > 0 else { throw bad("shift must be positive") }
    }
}
