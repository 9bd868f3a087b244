import Foundation
import KinoModels

/// A named bundle of sampling settings in kino.json's `recipes`, picked with `--recipe NAME` (and `--turbo`, which
/// is the recipe named `turbo`): a LoRA merged into a second copy of the transformer, a sampler and its timesteps,
/// steps, guidance, flow shift, step caching and the guided fraction of the steps. Every field is optional; what a
/// recipe leaves out comes from the model's defaults, and what a request gives explicitly wins over the recipe.
///
/// ```json
/// "recipes": {"fast": {"lora": "lightx2v_4step.safetensors", "scheduler": "step-distill", "steps": 4, "shift": 5,
///                      "guidance": 1}}
/// ```
public struct Recipe: Codable, Sendable, Equatable {
    /// A LoRA file inside the model folder (`PATH` or `PATH:WEIGHT`).
    public var lora: String?
    public var scheduler: SchedulerConfiguration.Kind?
    public var timesteps: [Int]?
    public var steps: Int?
    public var guidance: Float?
    public var shift: Double?
    /// `StepCacheMode` syntax (`easycache:0.1`), or `off`.
    public var cache: String?
    /// Classifier-free guidance on this leading fraction of the steps only (1: every step).
    public var guidanceFraction: Double?

    enum CodingKeys: String, CodingKey, CaseIterable {
        case lora, scheduler, timesteps, steps, guidance, shift, cache, guidanceFraction = "guidance_fraction"
    }

    public init(lora: String? = nil, scheduler: SchedulerConfiguration.Kind? = nil, timesteps: [Int]? = nil, steps: Int? = nil,
                guidance: Float? = nil, shift: Double? = nil, cache: String? = nil, guidanceFraction: Double? = nil) {
        self.lora = lora
        self.scheduler = scheduler
        self.timesteps = timesteps
        self.steps = steps
        self.guidance = guidance
        self.shift = shift
        self.cache = cache
        self.guidanceFraction = guidanceFraction
    }

    /// The LoRA's file and weight (`PATH:WEIGHT`, weight 1 when absent).
    public var loraFile: (path: String, weight: Float)? { lora.map(LoRAAdapter.splitWeight) }

    /// Checks what can be checked without the model loaded: the LoRA names a file in `folder`, the cache parses,
    /// the numbers are in range. Messages name the recipe and the field.
    func validate(name: String, folder: URL) throws -> [String] {
        var problems: [String] = []
        if let file = loraFile {
            if file.path.hasPrefix("/") || file.path.split(separator: "/").contains("..")
                || !FileManager.default.fileExists(atPath: folder.appendingPathComponent(file.path).path) {
                problems.append("recipes.\(name).lora '\(file.path)' must name a file inside the model folder")
            }
        }
        if let cache, cache.lowercased() != "off" {
            do { _ = try StepCacheMode(parsing: cache) } catch { problems.append("recipes.\(name).cache: \(error)") }
        }
        if let steps, !(1...1000).contains(steps) { problems.append("recipes.\(name).steps must be 1-1000") }
        if let guidance, !(guidance.isFinite && guidance >= 0) { problems.append("recipes.\(name).guidance must be a number >= 0") }
        if let shift, !(shift.isFinite && shift > 0) { problems.append("recipes.\(name).shift must be positive") }
        if let f = guidanceFraction, !(f > 0 && f <= 1) { problems.append("recipes.\(name).guidance_fraction must be in (0, 1]") }
        if let list = timesteps {
            if scheduler?.takesTimestepList != true {
                problems.append("recipes.\(name).timesteps need scheduler step-distill or step-distill-deterministic")
            } else {
                do { try StepDistillScheduler.validate(list: list, steps: steps ?? list.count) } catch {
                    problems.append("recipes.\(name).timesteps: \(error)")
                }
            }
        }
        return problems
    }
}

extension ModelDefaults {
    /// The recipe `name` names: kino.json's `recipes`, or for `turbo` without one there, the recipe the `turbo_*`
    /// fields describe (short schedule, first-block caching, optional LoRA).
    public func recipe(_ name: String) -> Recipe? {
        if let explicit = recipes?[name] { return explicit }
        guard name == "turbo" else { return nil }
        let normal = steps ?? timesteps?.count ?? 50
        return Recipe(lora: turboLora, steps: turboSteps ?? max(4, normal * 2 / 5), guidance: turboGuidance, shift: turboShift,
                      cache: turboCache ?? "firstblock:\(turboCacheThreshold ?? Self.defaultTurboCacheThreshold)",
                      guidanceFraction: turboGuidanceFraction)
    }

    /// Recipe names a request may give (`turbo` always exists).
    public var recipeNames: [String] { Array(Set((recipes ?? [:]).keys).union(["turbo"])).sorted() }

    /// Every LoRA a recipe merges (each gets its own copy of the transformer at load).
    public var recipeLoRAs: [String] {
        Array(Set(recipeNames.compactMap { recipe($0)?.lora })).sorted()
    }
}
