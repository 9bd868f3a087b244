import Foundation
import KinoModels
import KinoTensor

extension SentencePieceTokenizer: PromptTokenizer {
    public func tokenize(_ prompt: String, maxLength: Int) throws -> [Int] {
        let tokens = encodeWanPrompt(prompt, maxLength: maxLength)
        return Array(tokens.ids.prefix(tokens.length))
    }
}

/// The Wan VAE as the pipeline's latent codec: the pipeline's latents are normalised ((μ - mean) / std).
struct WanLatentCodec: LatentCodec {
    let vae: WanVAE

    var latentChannels: Int { vae.configuration.zDim }
    var temporalFactor: Int { vae.configuration.temporalCompression }
    var spatialFactor: Int { vae.configuration.spatialCompression }

    func decode(_ latents: Tensor, tiling: WanVAE.TilingChoice, progress: (Int, Int) -> Void, isCancelled: () -> Bool) throws -> Tensor {
        try vae.decode(vae.denormalizeLatents(latents), tiling: tiling, progress: { progress($0.completedChunks, $0.totalChunks) },
                       isCancelled: isCancelled)
    }

    func encode(_ video: Tensor, isCancelled: () -> Bool) throws -> Tensor {
        vae.normalizeLatents(try vae.encode(video, isCancelled: isCancelled))
    }
}

extension TextToVideoPipeline {
    /// Loads a diffusers-format Wan text-to-video folder (see docs/models.md). `dtype` converts the
    /// transformer and text encoder weights at load (nil keeps the stored precision, memory-mapped); `loras` are
    /// merged into the transformer (docs/models.md, "LoRA"). A kino.json `turbo_lora` loads a second transformer
    /// with that LoRA merged as well, for turbo requests.
    /// `defaults` is the folder's kino.json when the caller has already read it (nil: read here).
    public static func load(folder: URL, dtype: DType? = nil, loras: [LoRAAdapter] = [],
                            defaults known: ModelDefaults? = nil) throws -> TextToVideoPipeline {
        let fm = FileManager.default
        let index = folder.appendingPathComponent("model_index.json")
        guard fm.fileExists(atPath: index.path) else {
            throw ModelError.missingFile(path: index.path, hint: "\(folder.path) is not a diffusers model folder")
        }
        for part in ["tokenizer", "text_encoder", "transformer", "vae", "scheduler"] {
            let dir = folder.appendingPathComponent(part)
            guard fm.fileExists(atPath: dir.path) else {
                throw ModelError.missingFile(path: dir.path, hint: "a Wan model folder needs tokenizer/, text_encoder/, transformer/, vae/ and scheduler/")
            }
        }
        let tokenizer = try SentencePieceTokenizer.load(folder: folder.appendingPathComponent("tokenizer"))
        let textEncoder = try T5Encoder(directory: folder.appendingPathComponent("text_encoder"), dtype: dtype)
        let transformer = try WanTransformer(directory: folder.appendingPathComponent("transformer"), dtype: dtype, loras: loras)
        let vae = try WanVAE(directory: folder.appendingPathComponent("vae"))
        let schedulerURL = folder.appendingPathComponent("scheduler/scheduler_config.json")
        let scheduler = try ConfigFile.decode(SchedulerConfiguration.self, from: schedulerURL)
        try scheduler.validate(path: schedulerURL.path)
        let pipelineConfig = try ModelIndex.load(from: index)
        // A TI2V folder is known by its model_index.json and VAE alone; Wan 2.1's defaults would be wrong for it.
        let isTI2V = pipelineConfig.expandTimesteps && vae.configuration.isResidual
        let defaults = try known ?? ModelDefaults.load(from: folder) ?? (isTI2V ? .wan22TI2V : .wan)
        // One more copy of the transformer per recipe LoRA: recipe requests must not pay a merge per clip.
        var recipeTransformers: [String: WanTransformer] = [:]
        for lora in defaults.recipeLoRAs {
            let file = LoRAAdapter.splitWeight(lora)
            recipeTransformers[lora] = try WanTransformer(
                directory: folder.appendingPathComponent("transformer"), dtype: dtype,
                loras: loras + [LoRAAdapter(path: folder.appendingPathComponent(file.path).path, weight: file.weight)])
        }
        guard textEncoder.configuration.dModel == transformer.configuration.textDim else {
            throw ModelError.invalidConfig(path: folder.appendingPathComponent("transformer/config.json").path,
                                           message: "text_dim \(transformer.configuration.textDim) does not match the text encoder's d_model \(textEncoder.configuration.dModel)")
        }
        guard vae.configuration.zDim == transformer.configuration.inChannels else {
            throw ModelError.invalidConfig(path: folder.appendingPathComponent("transformer/config.json").path,
                                           message: "in_channels \(transformer.configuration.inChannels) does not match the VAE's z_dim \(vae.configuration.zDim)")
        }
        return TextToVideoPipeline(tokenizer: tokenizer, textEncoder: textEncoder, transformer: transformer,
                                   recipeTransformers: recipeTransformers, vae: WanLatentCodec(vae: vae), scheduler: scheduler, defaults: defaults,
                                   acceptsConditioning: pipelineConfig.expandTimesteps)
    }
}

extension TextToVideoPipeline {
    /// Whether the folder's model continues from given frames (image-to-video, extension), read from its
    /// model_index.json without loading it (false when the file cannot be read).
    public static func acceptsConditioning(folder: URL) -> Bool {
        (try? ModelIndex.load(from: folder.appendingPathComponent("model_index.json")))?.expandTimesteps ?? false
    }
}

/// What Kino reads from `model_index.json` besides the component folders.
struct ModelIndex: Decodable {
    /// Per-token timesteps (Wan 2.2 TI2V): the model continues from given latent frames.
    var expandTimesteps = false
    /// Wan 2.2 A14B's second, low-noise transformer: a design Kino does not run.
    var hasSecondTransformer = false

    enum CodingKeys: String, CodingKey { case expandTimesteps = "expand_timesteps", transformer2 = "transformer_2" }

    init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        expandTimesteps = try c.decodeIfPresent(Bool.self, forKey: .expandTimesteps) ?? false
        let second = try c.decodeIfPresent([String?].self, forKey: .transformer2) ?? []
        hasSecondTransformer = second.contains { $0 != nil }
    }

    static func load(from url: URL) throws -> ModelIndex {
        let index = try ConfigFile.decode(ModelIndex.self, from: url)
        guard !index.hasSecondTransformer else {
            throw ModelError.invalidConfig(path: url.path, message: "transformer_2 is set: two-expert Wan 2.2 models (A14B) are not "
                                           + "supported; Kino runs Wan 2.1 and Wan 2.2 TI2V-5B folders")
        }
        return index
    }
}
