import KinoModels
import KinoTensor

/// One text-to-video generation at the model's generation size (post-processing resizes elsewhere).
public struct GenerationRequest: Sendable {
    public var prompt: String
    public var negativePrompt: String?
    public var width: Int
    public var height: Int
    /// Frame count, 4k+1.
    public var frames: Int
    public var steps: Int
    public var guidance: Float
    public var shift: Double?
    public var scheduler: SchedulerConfiguration.Kind?
    /// The step-distill samplers' training timesteps, one per step (nil: the model's list, else evenly spaced).
    public var timesteps: [Int]?
    public var seed: UInt64
    /// Replaces the seeded initial noise: [1, C, T, H/8, W/8] float32.
    public var noise: Tensor?
    /// Replaces the seeded noise the stochastic step-distill sampler adds after each step but the last
    /// (one tensor of the latent shape per step), for comparisons with a reference run.
    public var stepNoise: [Tensor]?
    /// SDEdit (remix): start from these clean latents, re-noised to `strength` (0 keeps them, 1 ignores them).
    public var initialLatents: Tensor?
    public var strength: Float
    /// Image-to-video and video extension: the clean, normalised latents of the clip's first k latent frames
    /// [1, C, k, H/sf, W/sf] (a picture's, or the last frames of a clip being extended). They replace those frames
    /// before every transformer call and after the last step, and their tokens run at timestep 0 (Wan 2.2 TI2V's
    /// scheme); the noise still covers every latent frame. Only models trained for it accept it
    /// (`TextToVideoPipeline.acceptsConditioning`).
    public var conditionLatents: Tensor?
    /// Training-free step caching (`--cache`; turbo mode picks the model's): some transformer calls reuse what an
    /// earlier step computed (nil: every call runs every block). See `StepCacheMode`.
    public var cache: StepCacheMode?
    /// MagCache's calibrated magnitude ratios per guidance branch (nil: the model's, from kino.json).
    public var magRatios: MagnitudeRatios?
    /// Compute every call and measure MagCache's magnitude ratios (returned in `GenerationResult.magnitudeRatios`).
    public var calibratesMagCache = false
    /// Classifier-free guidance only on the first `guidanceSteps` steps of the schedule; later steps run the
    /// conditional branch alone (half the transformer calls). nil: guidance on every step. Turbo mode sets it:
    /// the late, low-noise steps refine detail the prompt no longer steers much.
    public var guidanceSteps: Int?
    /// Run the transformer with this recipe LoRA merged in (a path in the model folder, loaded with the pipeline)
    /// instead of the default one.
    public var recipeLoRA: String?
    /// Whether the VAE decodes in spatial tiles: by default only when whole frames would not fit its memory budget.
    public var vaeTiling: WanVAE.TilingChoice = .automatic

    public init(prompt: String, negativePrompt: String? = nil, width: Int, height: Int, frames: Int, steps: Int,
                guidance: Float, shift: Double? = nil, scheduler: SchedulerConfiguration.Kind? = nil, seed: UInt64,
                noise: Tensor? = nil, initialLatents: Tensor? = nil, strength: Float = 1) {
        self.prompt = prompt
        self.negativePrompt = negativePrompt
        self.width = width
        self.height = height
        self.frames = frames
        self.steps = steps
        self.guidance = guidance
        self.shift = shift
        self.scheduler = scheduler
        self.seed = seed
        self.noise = noise
        self.initialLatents = initialLatents
        self.strength = strength
    }
}

extension GenerationRequest {
    /// A request at `plan`'s generation size with the model's defaults for everything not given: the one place
    /// that turns user options (CLI flags, API fields) into a request. A recipe (`recipe`, or `turbo`, the recipe
    /// named turbo) fills what the request leaves out before the model's defaults do: its LoRA'd transformer,
    /// sampler and timesteps, steps, guidance, shift, step caching and guided fraction (see `Recipe`).
    public static func make(prompt: String, negativePrompt: String? = nil, plan: GenerationPlan, defaults d: ModelDefaults,
                            steps: Int? = nil, guidance: Float? = nil, shift: Double? = nil,
                            scheduler: SchedulerConfiguration.Kind? = nil, timesteps: [Int]? = nil, seed: UInt64,
                            turbo: Bool = false, recipe name: String? = nil) throws -> GenerationRequest {
        if turbo, let name, name != "turbo" {
            throw PipelineError.invalidRequest("turbo is the recipe named turbo; give turbo or recipe '\(name)', not both")
        }
        let recipeName = turbo ? "turbo" : name
        let recipe = try recipeName.map { n -> Recipe in
            guard let found = d.recipe(n) else {
                throw PipelineError.invalidRequest("this model has no recipe '\(n)'; its recipes: \(d.recipeNames.joined(separator: ", "))")
            }
            return found
        }
        let chosenScheduler = scheduler ?? recipe?.scheduler ?? d.scheduler
        // A configured list stays when the request keeps its sampler and does not ask for another step count.
        func keeps(_ list: [Int]?) -> [Int]? { list.flatMap { steps == nil || steps == $0.count ? $0 : nil } }
        let list = timesteps ?? (scheduler == nil ? keeps(recipe?.timesteps) : nil)
            ?? (recipe == nil && chosenScheduler == d.scheduler ? keeps(d.timesteps) : nil)
        var r = GenerationRequest(prompt: prompt, negativePrompt: negativePrompt, width: plan.width, height: plan.height,
                                  frames: plan.frames, steps: d.steps(explicit: steps ?? list?.count, recipe: recipe),
                                  guidance: guidance ?? recipe?.guidance ?? d.guidance ?? 5,
                                  shift: shift ?? recipe?.shift ?? d.shift, scheduler: chosenScheduler, seed: seed)
        r.timesteps = list
        if let recipe {
            r.recipeLoRA = recipe.lora
            if let cache = recipe.cache { r.cache = try CacheSetting(parsing: cache).mode }
            let fraction = recipe.guidanceFraction ?? ModelDefaults.defaultTurboGuidanceFraction
            r.guidanceSteps = max(1, Int((Double(r.steps) * fraction).rounded(.up)))
        }
        return r
    }
}

/// The decoded clip and the clean latents it came from (kept for remix).
public struct GenerationResult: Sendable {
    /// Transformer calls that reused cached residuals (turbo mode), and those that ran every block.
    public var reusedForwards = 0
    public var fullForwards = 0
    /// The measured ratios of a calibration run (`GenerationRequest.calibratesMagCache`).
    public var magnitudeRatios: MagnitudeRatios?
    /// [1, 3, F, H, W] in [-1, 1], f32.
    public let video: Tensor
    /// Final (clean) latents in the pipeline's normalised space.
    public let latents: Tensor
    public let seed: UInt64
}
