import Foundation
import KinoModels
import KinoPipeline
import KinoProvenance
import KinoTensor

/// The real renderer: a Wan text-to-video pipeline (kino-tiny or a Wan folder) plus the media stage.
public final class PipelineRenderer: VideoRenderer {
    public let models: [String]
    public let supportsRemix = true
    private let pipeline: TextToVideoPipeline
    private let signing: SigningIdentity

    /// Style presets: words appended to the prompt (kino-tiny was trained on these style names).
    /// The preset names the API offers (`styles` also accepts a few aliases of them).
    public static let presetNames = ["plain", "pixel-art", "line-sketch", "noir", "neon"]

    public static let styles: [String: String] = [
        "plain": "", "pixel": "pixel art", "pixel-art": "pixel art", "sketch": "line sketch", "line-sketch": "line sketch",
        "noir": "black and white noir", "neon": "neon",
    ]

    /// `signing`: the data folder's C2PA identity (`ClipProvenance.identity(dataFolder:)`).
    public init(folder: URL, name: String, signing: SigningIdentity, dtype: DType? = nil) throws {
        pipeline = try TextToVideoPipeline.load(folder: folder, dtype: dtype)
        self.signing = signing
        models = [name]
    }

    public func render(_ render: RenderJob, into outputDirectory: URL, progress: @Sendable (Double) -> Void,
                       isCancelled: @Sendable () -> Bool) throws -> RenderResult {
        let job = render.job, settings = job.settings
        let d = pipeline.defaults
        let plan = try GenerationPlan.make(size: (job.size.width, job.size.height), frames: nil, seconds: Double(job.seconds), fps: nil,
                                           defaults: d, temporalFactor: pipeline.vae.temporalFactor)
        var prompt = job.prompt
        if let style = settings.style, !style.isEmpty {
            guard let words = Self.styles[style.lowercased()] else {
                throw PipelineError.invalidRequest("unknown style '\(style)'; known styles: \(Self.styles.keys.sorted().joined(separator: ", "))")
            }
            if !words.isEmpty { prompt += ", \(words)" }
        }
        var request = GenerationRequest.make(prompt: prompt, negativePrompt: settings.negativePrompt, plan: plan, defaults: d,
                                             steps: settings.steps, guidance: settings.guidance.map { Float($0) }, seed: UInt64(settings.seed),
                                             turbo: settings.turbo)
        if let remix = render.remix {
            let source = try SafeTensorsFile(path: remix.latentsFile.path).tensor("latents").copied(to: .f32)
            let needed = pipeline.latentShape(width: plan.width, height: plan.height, frames: plan.frames)
            guard source.shape == needed else {
                throw PipelineError.invalidRequest("the source video's latents \(source.shape) do not fit this request (\(needed)); remix keeps the source's size and length")
            }
            request.initialLatents = source
            request.strength = Float(remix.strength)
        }
        let result: GenerationResult
        do {
            result = try pipeline.generate(request, progress: { event in
                switch event {
                case .denoising(let step, let total): progress(0.9 * Double(step) / Double(total))
                case .decoding(let chunk, let total): progress(0.9 + 0.05 * Double(chunk) / Double(total))
                default: break
                }
            }, isCancelled: isCancelled)
        } catch PipelineError.cancelled {
            throw RenderCancelled()
        }
        if isCancelled() { throw RenderCancelled() }
        try SafeTensors.write(["latents": result.latents], metadata: ["seed": "\(settings.seed)"],
                              to: outputDirectory.appendingPathComponent(RenderOutput.latents).path)
        _ = try ClipExport.export(result, plan: plan, to: outputDirectory.appendingPathComponent(RenderOutput.video),
                                  watermark: job.watermark,
                                  thumbnail: outputDirectory.appendingPathComponent(RenderOutput.thumbnail),
                                  spritesheet: outputDirectory.appendingPathComponent(RenderOutput.spritesheet), turbo: settings.turbo,
                                  provenance: ClipProvenance(identity: signing, model: job.model,
                                                             keySerial: render.watermarkSerials.key,
                                                             videoSerial: render.watermarkSerials.video))
        progress(1)
        return RenderResult(wroteLatents: true)
    }
}
