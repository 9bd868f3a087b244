import Foundation
import KinoModels

/// Kino's per-model defaults, read from an optional `kino.json` in the model folder (see docs/models.md).
///
/// ```json
/// {"name": "kino-tiny", "native_sizes": [[128, 80], [80, 128], [96, 96]], "fps": 8, "seconds": 4,
///  "steps": 20, "guidance": 5.0, "shift": 3.0, "scheduler": "unipc", "negative_prompt": "blurry, static"}
/// ```
/// Every field is optional. With `native_sizes`, Kino generates at the native size whose aspect ratio is
/// nearest the requested output size and resizes the result; without it the output size is the generation size.
public struct ModelDefaults: Codable, Sendable, Equatable {
    public var name: String?
    public var description: String?
    public var nativeSizes: [[Int]]?
    public var defaultSize: [Int]?
    public var fps: Int?
    public var seconds: Double?
    public var steps: Int?
    public var guidance: Float?
    public var shift: Double?
    public var scheduler: SchedulerConfiguration.Kind?
    /// The step-distill samplers' training timesteps (e.g. `[1000, 750, 500, 250]`); used when a request keeps
    /// the model's sampler and step count.
    public var timesteps: [Int]?
    public var negativePrompt: String?
    /// Turbo mode: its step count, the first-block step-cache threshold (see `StepCache`) and the leading
    /// fraction of its steps that use classifier-free guidance (see `GenerationRequest.guidanceSteps`).
    public var turboSteps: Int?
    public var turboCacheThreshold: Float?
    /// Turbo mode's step cache, e.g. `easycache:0.05` (nil: first-block caching at `turbo_cache_threshold`);
    /// `off` turns caching off for turbo.
    public var turboCache: String?
    /// MagCache's calibrated ratios for this model (`kino bench caching` measures them).
    public var magcacheRatios: MagnitudeRatios?
    public var turboGuidanceFraction: Double?
    /// Turbo mode's flow shift (nil: the normal one). A larger shift spends the few steps at high noise, which
    /// kept kino-tiny's 7-step clips closest to its 20-step ones (docs/engine.md).
    public var turboShift: Double?
    /// Turbo mode's LoRA (a path inside the model folder), merged into a second copy of the transformer that only
    /// turbo requests use, and the guidance turbo runs at (a guidance-distilled LoRA bakes guidance in: 1 means one
    /// transformer call per step). See docs/engine.md, "Turbo mode".
    public var turboLora: String?
    public var turboGuidance: Float?
    /// How the transformer and text encoder weights are held while computing (`stored`, `f32`, `bf16`, `f16`);
    /// a flag (`--precision`) overrides it.
    public var precision: String?
    /// LoRAs merged into the transformer for every request, `PATH` or `PATH:WEIGHT`, relative to the model folder;
    /// `--lora` flags add to them.
    public var loras: [String]?
    /// Named sampling bundles (`--recipe NAME`; `turbo` is `--turbo`): see `Recipe`.
    public var recipes: [String: Recipe]?
    /// The fitted latent-to-RGB map for previews while denoising (`kino models fit-preview` writes it).
    public var previewRGB: LatentRGBMap?
    /// The words the model was trained on, by kind (objects, colours, motions, ...), for prompt hints.
    public var vocabulary: ModelVocabulary?

    enum CodingKeys: String, CodingKey, CaseIterable {
        case name, description, nativeSizes = "native_sizes", defaultSize = "default_size", fps, seconds, steps, guidance, shift, scheduler, timesteps
        case negativePrompt = "negative_prompt", turboSteps = "turbo_steps", turboCacheThreshold = "turbo_cache_threshold"
        case turboGuidanceFraction = "turbo_guidance_fraction", turboShift = "turbo_shift"
        case turboLora = "turbo_lora", turboGuidance = "turbo_guidance", precision, loras, recipes
        case turboCache = "turbo_cache", magcacheRatios = "magcache_ratios", previewRGB = "preview_rgb", vocabulary
    }

    /// The step count a request gets: `explicit` if given, else turbo's or the model's default.
    public func steps(explicit: Int?, turbo: Bool) -> Int {
        steps(explicit: explicit, recipe: turbo ? recipe("turbo") : nil)
    }

    /// The step count a request gets: `explicit`, else the recipe's timestep list or steps, else the model's.
    public func steps(explicit: Int?, recipe: Recipe?) -> Int {
        explicit ?? recipe?.timesteps?.count ?? recipe?.steps ?? steps ?? timesteps?.count ?? 50
    }

    /// Turbo mode's step-cache threshold when none is configured in kino.json.
    public static let defaultTurboCacheThreshold: Float = 0.1
    /// Turbo mode's guided fraction of the steps when none is configured in kino.json (1: every step).
    public static let defaultTurboGuidanceFraction = 1.0

    public init() {}

    /// Wan 2.1's published defaults, used for folders without `kino.json`.
    public static let wan = ModelDefaults(fps: 16, seconds: 5, steps: 50, guidance: 5.0, shift: nil, scheduler: nil, negativePrompt: nil)

    /// Wan 2.2 TI2V-5B's published defaults (1280x704, 121 frames at 24 fps, 50 steps, guidance 5; its flow shift
    /// of 5 is in its scheduler config), used for TI2V folders without `kino.json`.
    public static let wan22TI2V: ModelDefaults = {
        var d = ModelDefaults(fps: 24, seconds: 5, steps: 50, guidance: 5.0, shift: nil, scheduler: nil, negativePrompt: nil)
        d.defaultSize = [1280, 704]
        return d
    }()

    init(fps: Int?, seconds: Double?, steps: Int?, guidance: Float?, shift: Double?, scheduler: SchedulerConfiguration.Kind?, negativePrompt: String?) {
        self.fps = fps
        self.seconds = seconds
        self.steps = steps
        self.guidance = guidance
        self.shift = shift
        self.scheduler = scheduler
        self.negativePrompt = negativePrompt
    }

    public static func load(from folder: URL) throws -> ModelDefaults? {
        let url = folder.appendingPathComponent("kino.json")
        guard FileManager.default.fileExists(atPath: url.path) else { return nil }
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw ModelError.invalidConfig(path: url.path, message: "kino.json cannot be read")
        }
        let defaults = try ConfigFile.decode(ModelDefaults.self, data: data, path: url)
        // A misspelt field would otherwise be ignored and its setting silently not applied.
        if let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] {
            let known = Set(CodingKeys.allCases.map(\.rawValue))
            let unknown = object.keys.filter { !known.contains($0) && !$0.hasPrefix("_") }.sorted()
            if !unknown.isEmpty {
                throw ModelError.invalidConfig(path: url.path, message: "unknown field\(unknown.count == 1 ? "" : "s") "
                    + unknown.map { "'\($0)'" }.joined(separator: ", ") + "; the fields are listed in docs/models.md")
            }
            let recipeKeys = Set(Recipe.CodingKeys.allCases.map(\.rawValue))
            for (name, value) in (object["recipes"] as? [String: Any] ?? [:]).sorted(by: { $0.key < $1.key }) {
                let bad = ((value as? [String: Any])?.keys.filter { !recipeKeys.contains($0) } ?? []).sorted()
                if !bad.isEmpty {
                    throw ModelError.invalidConfig(path: url.path, message: "recipes.\(name): unknown field"
                        + "\(bad.count == 1 ? "" : "s") " + bad.map { "'\($0)'" }.joined(separator: ", ")
                        + "; a recipe has \(recipeKeys.sorted().joined(separator: ", "))")
                }
            }
        }
        for size in defaults.nativeSizes ?? [] where size.count != 2 || size[0] % 16 != 0 || size[1] % 16 != 0 || size[0] <= 0 || size[1] <= 0 {
            throw ModelError.invalidConfig(path: url.path, message: "native_sizes entries must be [width, height] in positive multiples of 16, got \(size)")
        }
        if let lora = defaults.turboLora {
            guard !lora.hasPrefix("/"), !lora.split(separator: "/").contains(".."),
                  FileManager.default.fileExists(atPath: folder.appendingPathComponent(lora).path) else {
                throw ModelError.invalidConfig(path: url.path, message: "turbo_lora '\(lora)' must name a file inside the model folder; "
                                                + "restore it or remove turbo_lora to run turbo without it")
            }
        }
        if let list = defaults.timesteps {
            guard defaults.scheduler?.takesTimestepList == true else {
                throw ModelError.invalidConfig(path: url.path, message: "timesteps are used only with scheduler step-distill or step-distill-deterministic")
            }
            do { try StepDistillScheduler.validate(list: list, steps: defaults.steps ?? list.count) } catch {
                throw ModelError.invalidConfig(path: url.path, message: "\(error)")
            }
        }
        if let text = defaults.turboCache, text.lowercased() != "off" {
            do { _ = try StepCacheMode(parsing: text) } catch {
                throw ModelError.invalidConfig(path: url.path, message: "turbo_cache: \(error)")
            }
        }
        let problems = try (defaults.recipes ?? [:]).sorted { $0.key < $1.key }.flatMap { try $0.value.validate(name: $0.key, folder: folder) }
        if !problems.isEmpty { throw ModelError.invalidConfig(path: url.path, message: problems.joined(separator: "; ")) }
        if let ratios = defaults.magcacheRatios {
            for (name, list) in [("cond", ratios.cond), ("uncond", ratios.uncond ?? [1])]
            where list.isEmpty || !list.allSatisfy({ $0.isFinite && $0 > 0 }) {
                throw ModelError.invalidConfig(path: url.path, message: "magcache_ratios.\(name) must list positive numbers, one per step "
                                               + "(kino bench caching --calibrate measures them)")
            }
        }
        if let problem = defaults.previewRGB?.problem {
            throw ModelError.invalidConfig(path: url.path, message: "\(problem) (kino models fit-preview writes a valid one)")
        }
        if let problem = defaults.vocabulary?.problem {
            throw ModelError.invalidConfig(path: url.path, message: problem)
        }
        if defaults.recipes?["turbo"] != nil {
            let legacy = [("turbo_steps", defaults.turboSteps != nil), ("turbo_shift", defaults.turboShift != nil),
                          ("turbo_lora", defaults.turboLora != nil), ("turbo_guidance", defaults.turboGuidance != nil),
                          ("turbo_cache", defaults.turboCache != nil), ("turbo_cache_threshold", defaults.turboCacheThreshold != nil),
                          ("turbo_guidance_fraction", defaults.turboGuidanceFraction != nil)].filter(\.1).map(\.0)
            if !legacy.isEmpty {
                throw ModelError.invalidConfig(path: url.path, message: "recipes.turbo replaces " + legacy.joined(separator: ", ")
                                               + "; move those settings into recipes.turbo")
            }
        }
        if let g = defaults.turboGuidance, !(g.isFinite && g >= 1) {
            throw ModelError.invalidConfig(path: url.path, message: "turbo_guidance must be a number >= 1, got \(g)")
        }
        return defaults
    }

    /// The native size whose aspect ratio is closest to `width`x`height` (ties: the larger area).
    public func nativeSize(nearest width: Int, _ height: Int) -> (width: Int, height: Int)? {
        guard let sizes = nativeSizes, !sizes.isEmpty else { return nil }
        let target = Foundation.log(Double(width) / Double(height))
        let best = sizes.min { a, b in
            let da = abs(Foundation.log(Double(a[0]) / Double(a[1])) - target)
            let db = abs(Foundation.log(Double(b[0]) / Double(b[1])) - target)
            return da != db ? da < db : a[0] * a[1] > b[0] * b[1]
        }
        return best.map { ($0[0], $0[1]) }
    }
}

/// MagCache's calibration: per guidance branch, the mean ratio of each step's block-stack residual magnitude to the
/// previous step's (the first entry is 1). Runs with another step count resample it to the nearest entries.
public struct MagnitudeRatios: Codable, Sendable, Equatable {
    public var cond: [Float]
    public var uncond: [Float]?

    public init(cond: [Float], uncond: [Float]?) {
        self.cond = cond
        self.uncond = uncond
    }

    /// `ratios` resampled to `steps` entries by nearest index, as MagCache does for other step counts.
    public static func resample(_ ratios: [Float], steps: Int) -> [Float] {
        guard ratios.count > 1, steps > 1, ratios.count != steps else { return steps == 1 ? Array(ratios.prefix(1)) : ratios }
        return (0..<steps).map { ratios[Int((Double($0) * Double(ratios.count - 1) / Double(steps - 1)).rounded())] }
    }
}
