import Foundation
import KinoModels
import KinoTensor

/// Wan text-to-video: prompt -> umT5 -> DiT denoising loop with classifier-free guidance -> VAE decode.
/// Matches diffusers' `WanPipeline` given the same initial latents.
public final class TextToVideoPipeline: Sendable {
    public let tokenizer: any PromptTokenizer
    public let textEncoder: T5Encoder
    public let transformer: WanTransformer
    /// The transformer with each recipe LoRA merged, by the recipe's `lora` value.
    public let recipeTransformers: [String: WanTransformer]
    /// The turbo recipe's transformer, when it has a LoRA.
    public var turboTransformer: WanTransformer? { defaults.recipe("turbo")?.lora.flatMap { recipeTransformers[$0] } }
    public let vae: any LatentCodec
    public let scheduler: SchedulerConfiguration
    public let defaults: ModelDefaults
    /// Text length the transformer attends over (Wan: 512, padded with zero embeddings).
    public let maxTextLength: Int
    /// Whether the model was trained to continue from given latent frames (model_index.json `expand_timesteps`:
    /// Wan 2.2 TI2V-5B, kino-tiny): image-to-video and extension need it; editing by partial noising does not.
    public let acceptsConditioning: Bool
    private let contextCache = ContextCache()
    private let recipeContextCaches: [String: ContextCache]

    public init(tokenizer: any PromptTokenizer, textEncoder: T5Encoder, transformer: WanTransformer,
                recipeTransformers: [String: WanTransformer] = [:], vae: any LatentCodec,
                scheduler: SchedulerConfiguration, defaults: ModelDefaults, maxTextLength: Int = 512,
                acceptsConditioning: Bool = false) {
        self.tokenizer = tokenizer
        self.textEncoder = textEncoder
        self.transformer = transformer
        self.recipeTransformers = recipeTransformers
        recipeContextCaches = recipeTransformers.mapValues { _ in ContextCache() }
        self.vae = vae
        self.scheduler = scheduler
        self.defaults = defaults
        self.maxTextLength = maxTextLength
        self.acceptsConditioning = acceptsConditioning
    }

    /// Why image-to-video and extension are refused on models without conditioning (which models have it).
    public static let conditioningUnsupported = "this model cannot start from an image or continue a video: it was not trained "
        + "with given frames (its model_index.json has no expand_timesteps: true). Use kino-tiny or Wan 2.2 TI2V-5B "
        + "(Wan-AI/Wan2.2-TI2V-5B-Diffusers); editing a video by partial noising (--edit) works with every model"

    /// Text embeddings [1, maxTextLength, d]: the real tokens' encoding, zero-padded as Wan does.
    public func encodePrompt(_ prompt: String) throws -> Tensor {
        let ids = try tokenizer.tokenize(prompt, maxLength: maxTextLength)
        let encoded = try textEncoder(ids)                                     // [1, n, d]
        let d = encoded.shape[2]
        guard ids.count < maxTextLength else { return encoded }
        return Tensor.concatenate([encoded, Tensor(zeros: [1, maxTextLength - ids.count, d])], axis: 1)  // [1, L, d]
    }

    /// The transformer a request runs: its recipe's LoRA'd copy when it names one.
    func model(for r: GenerationRequest) throws -> (WanTransformer, ContextCache) {
        guard let lora = r.recipeLoRA else { return (transformer, contextCache) }
        guard let model = recipeTransformers[lora], let cache = recipeContextCaches[lora] else {
            throw PipelineError.invalidRequest("this pipeline has no transformer with '\(lora)' merged (no recipe in its kino.json names it); "
                                               + "run without that recipe")
        }
        return (model, cache)
    }

    /// A transformer's per-prompt state, cached for the last few prompts (cross-attention K/V included).
    func context(for prompt: String, _ model: WanTransformer, _ cache: ContextCache) throws -> WanTransformer.TextContext {
        if let hit = cache.get(prompt) { return hit }
        let context = model.textContext(try encodePrompt(prompt))
        cache.put(prompt, context)
        return context
    }

    /// Latent shape for a request: [1, C, 1 + (F-1)/tf, H/sf, W/sf].
    public func latentShape(width: Int, height: Int, frames: Int) -> [Int] {
        [1, vae.latentChannels, (frames - 1) / vae.temporalFactor + 1, height / vae.spatialFactor, width / vae.spatialFactor]
    }

    /// Why `cache` cannot run on `model` (nil: it can): TeaCache's coefficients fit one shape, MagCache needs the
    /// model's calibration.
    func cannotRun(_ cache: StepCacheMode, on model: WanTransformer, magRatios: MagnitudeRatios? = nil) -> String? {
        switch cache {
        case .teaCache where !model.matchesTeaCacheCoefficients:
            "teacache's published coefficients fit Wan 2.1 1.3B only (1536 wide, 30 blocks); this model differs, use --cache easycache"
        case .magCache where (magRatios ?? defaults.magcacheRatios) == nil:
            "magcache needs this model's magnitude ratios (kino.json magcache_ratios, measured by `kino bench caching --calibrate`); "
                + "use --cache easycache"
        default: nil
        }
    }

    /// The step-cache methods (`StepCacheMode.names`) this pipeline's model can run.
    public var runnableCaches: [String] {
        StepCacheMode.names.filter { name in
            (try? StepCacheMode(parsing: name)).map { cannotRun($0, on: transformer) == nil } ?? false
        }
    }

    /// Generation sizes are multiples of this: the VAE's spatial factor times the transformer's patch (16 for Wan
    /// 2.1, 32 for Wan 2.2 TI2V).
    public var sizeUnit: Int { vae.spatialFactor * transformer.configuration.patchSize[1] }

    public func validate(_ r: GenerationRequest) throws {
        let unit = sizeUnit
        guard r.width > 0, r.height > 0, r.width % unit == 0, r.height % unit == 0 else {
            throw PipelineError.invalidRequest("generation size \(r.width)x\(r.height) must be positive multiples of \(unit)")
        }
        guard r.frames >= 1, (r.frames - 1) % vae.temporalFactor == 0 else {
            throw PipelineError.invalidRequest("frame count \(r.frames) must be \(vae.temporalFactor)k+1 (e.g. 17, 33, 81)")
        }
        guard (1...1000).contains(r.steps) else { throw PipelineError.invalidRequest("steps must be between 1 and 1000, got \(r.steps)") }
        guard r.guidance.isFinite, r.guidance >= 0 else { throw PipelineError.invalidRequest("guidance must be >= 0") }
        if let cache = r.cache {
            guard cache.threshold.isFinite, cache.threshold >= 0 else {
                throw PipelineError.invalidRequest("the step-cache threshold must be a number >= 0")
            }
            if let problem = cannotRun(cache, on: try model(for: r).0, magRatios: r.magRatios) {
                throw PipelineError.invalidRequest(problem)
            }
        }
        if let g = r.guidanceSteps, g < 0 {
            throw PipelineError.invalidRequest("guidance steps must be >= 0 (0 runs the prompt branch only), got \(g)")
        }
        guard (0...1).contains(r.strength) else { throw PipelineError.invalidRequest("strength must be between 0 and 1") }
        let kind = r.scheduler ?? scheduler.kind
        if let list = r.timesteps {
            guard kind.takesTimestepList else {
                throw PipelineError.invalidRequest("timesteps are used only by the step-distill samplers; add --scheduler step-distill or leave them out")
            }
            try StepDistillScheduler.validate(list: list, steps: r.steps, trainTimesteps: scheduler.numTrainTimesteps)
        } else if kind.takesTimestepList, let list = scheduler.stepList, r.scheduler == nil || r.scheduler == scheduler.kind {
            try StepDistillScheduler.validate(list: list, steps: r.steps)
        }
        let shape = latentShape(width: r.width, height: r.height, frames: r.frames)
        if let given = r.stepNoise, kind == .stepDistill, given.count < r.steps - 1 || given.contains(where: { $0.shape != shape }) {
            throw PipelineError.invalidRequest("step noise must hold \(r.steps - 1) tensors of shape \(shape)")
        }
        if let noise = r.noise, noise.shape != shape {
            throw PipelineError.invalidRequest("noise tensor has shape \(noise.shape) but this request needs \(shape)")
        }
        if let initial = r.initialLatents, initial.shape != shape {
            throw PipelineError.invalidRequest("source latents have shape \(initial.shape) but this request needs \(shape)")
        }
        if let given = r.conditionLatents {
            guard acceptsConditioning else { throw PipelineError.invalidRequest(Self.conditioningUnsupported) }
            guard transformer.configuration.patchSize[0] == 1 else {
                throw PipelineError.invalidRequest("given frames need a transformer without temporal patches (patch_size[0] = 1)")
            }
            guard given.rank == 5, given.shape[2] >= 1, given.shape[2] < shape[2],
                  given.shape[0] == 1, given.shape[1] == shape[1], given.shape[3] == shape[3], given.shape[4] == shape[4] else {
                throw PipelineError.invalidRequest("given latent frames have shape \(given.shape); this request needs [1, \(shape[1]), k, "
                                                   + "\(shape[3]), \(shape[4])] with 1 <= k < \(shape[2]) (the clip must be longer than what is given)")
            }
        }
    }

    /// Runs the whole generation. Heavy: call it from a dedicated thread, never the cooperative pool.
    /// `estimate` is called after each denoising step with the step number, the step count and a function that
    /// returns the model's current estimate of the clean latents (x0 = x − σ·v, given frames put back), for
    /// previews; that function costs one latent-sized operation when called.
    public func generate(_ r: GenerationRequest, progress: (PipelineEvent) -> Void = { _ in },
                         estimate: (Int, Int, () -> Tensor) -> Void = { _, _, _ in },
                         isCancelled: () -> Bool = { false }) throws -> GenerationResult {
        try validate(r)
        let (latents, caches, forwards) = try denoiseWithCaches(r, progress: progress, estimate: estimate, isCancelled: isCancelled)
        if isCancelled() { throw CancellationError() }
        try model(for: r).0.releaseResidentPages()
        progress(.decoding(chunk: 0, of: latents.shape[2]))
        let video = try vae.decode(latents, tiling: r.vaeTiling, progress: { progress(.decoding(chunk: $0, of: $1)) },
                                   isCancelled: isCancelled)
        progress(.finished)
        var result = GenerationResult(video: video, latents: latents, seed: r.seed)
        result.reusedForwards = caches.reduce(0) { $0 + $1.reused }
        result.fullForwards = caches.isEmpty ? forwards : caches.reduce(0) { $0 + $1.computed }
        if r.calibratesMagCache, let cond = caches.first {
            result.magnitudeRatios = MagnitudeRatios(cond: cond.magnitudeRatios, uncond: caches.count > 1 ? caches[1].magnitudeRatios : nil)
        }
        return result
    }

    /// The denoising loop alone; returns the clean latents.
    public func denoise(_ r: GenerationRequest, progress: (PipelineEvent) -> Void = { _ in },
                        isCancelled: () -> Bool = { false }) throws -> Tensor {
        try denoiseWithCaches(r, progress: progress, isCancelled: isCancelled).latents
    }

    func denoiseWithCaches(_ r: GenerationRequest, progress: (PipelineEvent) -> Void,
                           estimate: (Int, Int, () -> Tensor) -> Void = { _, _, _ in }, isCancelled: () -> Bool) throws -> (latents: Tensor, caches: [StepCache], forwards: Int) {
        try validate(r)
        progress(.encodingPrompt)
        let guided = r.guidance > 1
        let (transformer, cache) = try model(for: r)
        let cond = try context(for: r.prompt, transformer, cache)
        let uncond = guided ? try context(for: r.negativePrompt ?? defaults.negativePrompt ?? "", transformer, cache) : nil
        // A full-size text encoder (11 GB) would otherwise stay resident beside the transformer.
        textEncoder.releaseResidentPages()
        var config = scheduler
        if let kind = r.scheduler, kind != config.kind {
            config = SchedulerConfiguration(kind: kind, shift: config.shift)
            config.numTrainTimesteps = scheduler.numTrainTimesteps
        }
        if let shift = r.shift { config.shift = shift }
        if let list = r.timesteps { config.stepList = list }
        let shape = latentShape(width: r.width, height: r.height, frames: r.frames)
        var noise: Tensor
        // One seeded stream: the initial noise first, then whatever a stochastic sampler draws between steps.
        var generator = SeededGenerator(seed: r.seed)
        if let given = r.noise {
            noise = given.toF32()
        } else {
            noise = Tensor.randomNormal(shape, using: &generator)
        }
        var sampler = config.makeScheduler(steps: r.steps, noise: r.stepNoise.map { .given($0) } ?? .generator(generator))
        var latents = noise
        var first = 0
        if let clean = r.initialLatents, r.strength < 1 {
            // SDEdit: jump to the step whose noise level matches `strength`, mixing the source with noise.
            first = min(r.steps - 1, r.steps - Int(Float(r.steps) * r.strength))
            let sigma = sampler.sigmas[first]
            latents = clean.toF32() * (1 - sigma)
            latents.addScaled(noise, by: sigma)
            sampler.begin(at: first)
        }
        // Given frames (image-to-video, extension) are put back before every call and after the last step; the
        // sampler itself steps every frame, as diffusers does, since what it makes of the given ones is discarded.
        let given = r.conditionLatents?.toF32()
        let givenFrames = given?.shape[2] ?? 0
        func withGiven(_ x: Tensor) -> Tensor {
            guard let given else { return x }
            return Tensor.concatenate([given, x.sliced(axis: 2, givenFrames..<x.shape[2]).contiguous()], axis: 2)
        }
        func frameTimesteps(_ t: Float) -> [Float]? {
            given == nil ? nil : (0..<shape[2]).map { $0 < givenFrames ? 0 : t }
        }
        let total = r.steps - first
        // MagCache's ratios were calibrated over the whole schedule: resample to it, then skip what SDEdit skips.
        let ratios = r.magRatios ?? defaults.magcacheRatios
        func magRatios(_ list: [Float]?, steps: Int) -> [Float] {
            Array(MagnitudeRatios.resample(list ?? [], steps: r.steps).dropFirst(first).prefix(steps))
        }
        let mode: StepCacheMode? = r.calibratesMagCache ? .magCache(threshold: 0, maxSkips: 0) : r.cache
        let condCache = mode.map { StepCache(mode: $0, steps: total, magRatios: magRatios(ratios?.cond, steps: total)) }
        let guidedSteps = max(0, min(r.guidanceSteps ?? r.steps, r.steps) - first)
        let uncondCache = guided ? mode.map {
            StepCache(mode: $0, steps: guidedSteps, magRatios: magRatios(ratios?.uncond ?? ratios?.cond, steps: guidedSteps))
        } : nil
        for cache in [condCache, uncondCache].compactMap({ $0 }) { cache.recordsMagnitudes = r.calibratesMagCache }
        var forwards = 0
        progress(.denoising(step: 0, of: total))
        for i in first..<r.steps {
            if isCancelled() { throw CancellationError() }
            let t = sampler.timesteps[i]
            let input = withGiven(latents)
            var velocity = try transformer(input, timesteps: [t], frameTimesteps: frameTimesteps(t), context: cond,
                                           cache: condCache, isCancelled: isCancelled)
            forwards += 1
            if let uncond, i < (r.guidanceSteps ?? r.steps) {
                forwards += 1
                let v0 = try transformer(input, timesteps: [t], frameTimesteps: frameTimesteps(t), context: uncond,
                                         cache: uncondCache, isCancelled: isCancelled)
                // v = v0 + g·(v - v0)
                velocity = v0 + (velocity - v0) * r.guidance
            }
            let (x, v, sigma) = (latents, velocity, sampler.sigmas[i])
            estimate(i - first + 1, total) {
                var clean = x
                clean.addScaled(v, by: -sigma)
                return withGiven(clean)
            }
            latents = sampler.step(velocity: velocity, sample: latents)
            progress(.denoising(step: i - first + 1, of: total))
        }
        return (withGiven(latents), [condCache, uncondCache].compactMap { $0 }, forwards)
    }
}

/// A tiny cache of per-prompt transformer contexts (prompt and negative prompt of recent runs).
final class ContextCache: @unchecked Sendable {
    private let lock = NSLock()
    private var entries: [(String, WanTransformer.TextContext)] = []
    private let capacity = 4

    func get(_ key: String) -> WanTransformer.TextContext? {
        lock.lock(); defer { lock.unlock() }
        return entries.first { $0.0 == key }?.1
    }

    func put(_ key: String, _ value: WanTransformer.TextContext) {
        lock.lock(); defer { lock.unlock() }
        entries.removeAll { $0.0 == key }
        entries.insert((key, value), at: 0)
        if entries.count > capacity { entries.removeLast() }
    }
}
