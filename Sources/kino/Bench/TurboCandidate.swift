import ArgumentParser
import Foundation
import KinoModels
import KinoPipeline
import KinoRender

/// A setting the turbo bench scores beside turbo itself (how turbo's mechanism was chosen): `key=value` pairs.
struct TurboCandidate: CustomStringConvertible {
    let description: String
    private var apply: [(inout ClipSpec) throws -> Void] = []

    init(parsing text: String) throws {
        description = text.trimmingCharacters(in: .whitespaces)
        for pair in description.split(separator: ",") {
            let kv = pair.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard kv.count == 2 else { throw ValidationError("--turbo-candidates: '\(pair)' is not key=value") }
            let (key, value) = (kv[0], kv[1])
            func number<T: LosslessStringConvertible>(_: T.Type) throws -> T {
                guard let v = T(value) else { throw ValidationError("--turbo-candidates: \(key)=\(value) is not a number") }
                return v
            }
            switch key {
            case "steps": let v = try number(Int.self); apply.append { $0.steps = v }
            case "gsteps": let v = try number(Int.self); apply.append { $0.guidanceSteps = v }
            case "guidance": let v = try number(Float.self); apply.append { $0.guidance = v }
            case "shift": let v = try number(Double.self); apply.append { $0.shift = v }
            case "scheduler":
                guard let v = SchedulerConfiguration.Kind(rawValue: value) else { throw ValidationError("--turbo-candidates: unknown scheduler \(value)") }
                apply.append { $0.scheduler = v }
            case "cache": let v = try CacheSetting(parsing: value); apply.append { $0.cache = v }
            case "recipe": apply.append { $0.recipe = value }
            default: throw ValidationError("--turbo-candidates: unknown key \(key); use steps, gsteps, guidance, shift, scheduler, cache, recipe")
            }
        }
    }

    static func list(_ text: String?) throws -> [TurboCandidate] {
        try (text ?? "").split(separator: ";").map { try TurboCandidate(parsing: String($0)) }
    }

    func spec(_ base: ClipSpec) throws -> ClipSpec {
        var spec = base
        for change in apply { try change(&spec) }
        return spec
    }
}
