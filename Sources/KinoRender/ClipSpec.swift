import Foundation
import KinoMedia
import KinoModels
import KinoPipeline
import KinoTensor

/// Which engine runs a clip: a model folder, the name outputs are credited to, and how its weights load.
/// Two specs with the same selection share one loaded pipeline (see `ClipRenderer`).
public struct ModelSelection: Sendable, Hashable {
    public var folder: URL
    /// The model's name in provenance and logs (`kino-tiny`, or the folder's name).
    public var name: String
    /// Compute precision of the transformer and text encoder weights; nil: kino.json's `precision`, else as stored.
    public var precision: WeightPrecision?
    /// LoRAs merged into the transformer, after any the model's kino.json lists.
    public var loras: [LoRASelection]

    public init(folder: URL, name: String, precision: WeightPrecision? = nil, loras: [LoRASelection] = []) {
        self.folder = folder
        self.name = name
        self.precision = precision
        self.loras = loras
    }
}

/// How the weights are held while computing.
public enum WeightPrecision: String, Sendable, Hashable, CaseIterable, Codable {
    /// As the files store them (memory-mapped, widened per GEMM panel).
    case stored
    case f32
    case bf16
    case f16

    var dtype: DType? {
        switch self {
        case .stored: nil
        case .f32: .f32
        case .bf16: .bf16
        case .f16: .f16
        }
    }
}

/// A LoRA file and the weight it is merged with.
public struct LoRASelection: Sendable, Hashable, Codable {
    public var file: URL
    public var weight: Float

    public init(file: URL, weight: Float = 1) {
        self.file = file
        self.weight = weight
    }

    /// Parses `PATH` or `PATH:WEIGHT` (the CLI's `--lora`), relative paths against `base`.
    public static func parse(_ text: String, relativeTo base: URL? = nil) throws -> LoRASelection {
        let (path, weight) = LoRAAdapter.splitWeight(text)
        guard weight.isFinite else { throw ClipRenderError.invalid("LoRA \(text): the weight must be a finite number") }
        var file = URL(fileURLWithPath: path)
        if !path.hasPrefix("/"), let base { file = base.appendingPathComponent(path) }
        guard FileManager.default.fileExists(atPath: file.path) else {
            throw ClipRenderError.invalid("LoRA \(text): no file at \(file.path)")
        }
        return LoRASelection(file: file, weight: weight)
    }
}

/// What a clip starts from besides the prompt (docs/generate.md, "Starting from a picture or a video").
public enum ClipConditioning: Sendable {
    /// A finished clip's clean latents (`latents.safetensors`, tensor `latents`) and how far to re-noise them
    /// (0 keeps the source, 1 ignores it). The clip keeps the source's size and length.
    case remix(latents: URL, strength: Double)
    /// Image-to-video: the clip's first frame is this picture (PNG, JPEG or WebP), fitted to the generation size
    /// (scaled to cover it, centre cropped). Needs a model trained with given frames
    /// (`TextToVideoPipeline.acceptsConditioning`).
    case image(URL)
    /// The same with a picture already decoded (evaluation starts from the world's own first frames).
    case imageFrames(VideoFrames)
    /// Continues a video by `ClipSpec.seconds` (the time added): the output is the source's own frames followed by
    /// the continuation, at the source's size and frame rate. The continuation is generated from the source's last
    /// 1 + 4(k - 1) frames given as k latent frames (`latentFrames`; nil: `ClipSources.defaultExtensionLatentFrames`).
    /// Needs a model trained with given frames. `cleanLatents`: the source's own latents when Kino rendered it
    /// (`latents.safetensors`): its frames are decoded from them as rendered, before its marks and the encoder, so
    /// the output carries only its own marks (ignored when they do not match the video).
    case extend(video: URL, latentFrames: Int?, cleanLatents: URL? = nil)
    /// Re-renders a video (MP4, MOV or WebM) with the prompt, from its own frames re-noised to `strength` (0 keeps
    /// it, 1 ignores it); keeps its length and frame rate. Works with every model.
    case edit(video: URL, strength: Double)
}

/// The marks every output carries: the visible one (off only for `watermark-free` keys and `--no-watermark`),
/// and the serials the invisible one encodes (0 and 0 for local CLI output).
public struct ClipMarks: Sendable, Hashable {
    public var visible: Bool
    public var keySerial: UInt32
    public var videoSerial: UInt32

    public init(visible: Bool = true, keySerial: UInt32 = 0, videoSerial: UInt32 = 0) {
        self.visible = visible
        self.keySerial = keySerial
        self.videoSerial = videoSerial
    }
}

/// Everything one clip needs, from whichever front end asked (CLI, API, eval, benchmarks). nil fields take the
/// model's defaults (its kino.json, else Wan's published ones).
public struct ClipSpec: Sendable {
    public var model: ModelSelection
    public var prompt: String
    public var negativePrompt: String?
    /// Output size; the model generates at its nearest native size and the clip is resized to this.
    public var width: Int?
    public var height: Int?
    /// Frames to generate, 4k+1, every one kept. Exclusive with `seconds`.
    public var frames: Int?
    public var seconds: Double?
    public var fps: Int?
    public var seed: UInt64
    public var steps: Int?
    public var guidance: Float?
    /// Classifier-free guidance on the first N steps only.
    public var guidanceSteps: Int?
    public var shift: Double?
    public var scheduler: SchedulerConfiguration.Kind?
    /// The step-distill samplers' training timesteps, one per step.
    public var timesteps: [Int]?
    /// Step caching (nil: the default, which is none, or the recipe's).
    public var cache: CacheSetting?
    /// A recipe from the model's kino.json (`turbo` is the same as `turbo: true`).
    public var recipe: String?
    /// A style preset name (`StylePresets`).
    public var style: String?
    public var turbo: Bool
    public var conditioning: ClipConditioning?
    /// Replaces the seeded initial noise ([1, C, T, H/8, W/8]), for parity runs against diffusers.
    public var noise: Tensor?
    public var marks: ClipMarks
    /// H.264 quality (CRF); nil: the encoder's default.
    public var crf: Int?
    /// Spatial tiling of the VAE decode (memory against a little time; see `WanVAE.Tiling`).
    public var vaeTiling: WanVAE.TilingChoice = .automatic

    public init(model: ModelSelection, prompt: String, negativePrompt: String? = nil, width: Int? = nil, height: Int? = nil,
                frames: Int? = nil, seconds: Double? = nil, fps: Int? = nil, seed: UInt64, steps: Int? = nil,
                guidance: Float? = nil, guidanceSteps: Int? = nil, shift: Double? = nil,
                scheduler: SchedulerConfiguration.Kind? = nil, style: String? = nil, turbo: Bool = false,
                conditioning: ClipConditioning? = nil, noise: Tensor? = nil, marks: ClipMarks = ClipMarks(), crf: Int? = nil) {
        self.model = model
        self.prompt = prompt
        self.negativePrompt = negativePrompt
        self.width = width
        self.height = height
        self.frames = frames
        self.seconds = seconds
        self.fps = fps
        self.seed = seed
        self.steps = steps
        self.guidance = guidance
        self.guidanceSteps = guidanceSteps
        self.shift = shift
        self.scheduler = scheduler
        self.style = style
        self.turbo = turbo
        self.conditioning = conditioning
        self.noise = noise
        self.marks = marks
        self.crf = crf
    }
}

/// Where a render writes. Every file is optional: evaluation and benchmarks keep the frames in memory.
public struct ClipOutputs: Sendable {
    public var video: URL?
    public var thumbnail: URL?
    public var spritesheet: URL?
    /// The clean latents, kept so the clip can be remixed later.
    public var latents: URL?
    /// The decoded video before post-processing, as safetensors tensor `video` [1, 3, F, H, W] in [-1, 1].
    public var rawVideo: URL?
    /// Whether progress reports carry preview pictures while denoising (about eight per render).
    public var previews = false

    public init(video: URL? = nil, thumbnail: URL? = nil, spritesheet: URL? = nil, latents: URL? = nil, rawVideo: URL? = nil,
                previews: Bool = false) {
        self.previews = previews
        self.video = video
        self.thumbnail = thumbnail
        self.spritesheet = spritesheet
        self.latents = latents
        self.rawVideo = rawVideo
    }
}
