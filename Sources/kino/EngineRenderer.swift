import Foundation
import KinoMedia
import KinoModels
import KinoProvenance
import KinoRender
import KinoService

/// The engine behind `kino serve`: a claimed job becomes a `ClipSpec` for `ClipRenderer`, the one path every
/// clip takes. The service knows no ML or media; this is where the two meet.
struct EngineRenderer: VideoRenderer {
    let model: ModelSelection
    let renderer: ClipRenderer
    var models: [String] { [model.name] }
    let supportsRemix = true
    var styles: [String] { StylePresets.names }
    let recipes: [String]
    let caches: [String]
    let acceptsImages: Bool
    /// Edits work with every model (re-noising the source); extensions also need `acceptsImages`.
    let acceptsVideos = true
    let vocabulary: ModelWords?
    let previews: Bool

    /// Loads the model now, so a broken folder fails `kino serve` at start rather than the first job.
    let signing: SigningIdentity

    func contentCredentials(of file: URL) -> String? { ClipProvenance.describe(fileAt: file, identity: signing) }

    init(model: ModelSelection, signing: SigningIdentity) throws {
        self.signing = signing
        self.model = model
        renderer = ClipRenderer(signing: signing)
        let pipeline = try renderer.pipeline(for: model)
        recipes = pipeline.defaults.recipeNames
        caches = pipeline.runnableCaches
        acceptsImages = pipeline.acceptsConditioning
        vocabulary = pipeline.defaults.vocabulary.map { ModelWords(kinds: $0.kinds, words: $0.words) }
        previews = pipeline.defaults.previewRGB != nil
    }

    /// Decodes the picture as the render will (KinoMedia's input decoding: PNG, JPEG or WebP, size limits), from a
    /// scratch file that is removed again.
    func checkImage(_ bytes: [UInt8]) throws -> String {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("kino-input-\(UUID().uuidString)")
        try Data(bytes).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        do {
            _ = try MediaDecoder.decodeImage(at: file)
            let codec = try MediaProbe.probe(file).codecName
            return ["png": "png", "mjpeg": "jpg", "webp": "webp"][codec] ?? "img"
        } catch let error as MediaError {
            // The client never sees the server's scratch path.
            let reason = error.description.replacingOccurrences(of: "input \(file.path)", with: "it")
                .replacingOccurrences(of: file.path, with: "it")
            throw KinoServiceError(.invalidRequest, "The input picture cannot be used: \(reason)", code: "invalid_image")
        }
    }

    /// Decodes an uploaded source video as the render will (KinoMedia's input decoding: MP4, MOV or WebM, size and
    /// length limits), from a scratch file that is removed again.
    func checkVideo(_ bytes: [UInt8]) throws -> SourceVideoFacts {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("kino-source-\(UUID().uuidString)")
        try Data(bytes).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        do {
            // Every frame is decoded (a damaged file is refused now, not in a failed job) but only one is kept.
            let checked = try MediaDecoder.checkVideo(at: file)
            let formats = checked.info.formatNames
            let fileExtension = formats.contains("webm") || formats.contains("matroska") ? "webm" : formats.contains("mov") ? "mp4" : "video"
            let still = file.appendingPathExtension("webp")
            defer { try? FileManager.default.removeItem(at: still) }
            try StillEncoder.writeThumbnail(checked.still, to: still, frameIndex: 0, quality: 95)
            return SourceVideoFacts(fileExtension: fileExtension, size: VideoSize(width: checked.info.width, height: checked.info.height),
                                    seconds: checked.durationSeconds, still: [UInt8](try Data(contentsOf: still)))
        } catch let error as MediaError {
            let reason = error.description.replacingOccurrences(of: "input \(file.path)", with: "it")
                .replacingOccurrences(of: file.path, with: "it")
            throw KinoServiceError(.invalidRequest, "The source video cannot be used: \(reason)", code: "invalid_video")
        }
    }

    func spec(for render: RenderJob) throws -> ClipSpec {
        let job = render.job, settings = job.settings
        let serials = render.watermarkSerials
        var spec = ClipSpec(model: model, prompt: job.prompt, negativePrompt: settings.negativePrompt, width: job.size.width,
                        height: job.size.height, seconds: Double(job.seconds), seed: UInt64(settings.seed),
                        steps: settings.steps, guidance: settings.guidance.map { Float($0) }, style: settings.style,
                        turbo: settings.turbo,
                        conditioning: render.remix.map { .remix(latents: $0.latentsFile, strength: $0.strength) }
                            ?? render.inputImage.map { .image($0) },
                        marks: ClipMarks(visible: job.watermark, keySerial: serials.key, videoSerial: serials.video))
        if let video = render.sourceVideo, let kind = job.sourceKind {
            // The result keeps the source's size and frame rate; an extension's seconds are the time it adds.
            (spec.width, spec.height) = (nil, nil)
            switch kind {
            case .extension:
                spec.seconds = Double(job.chargedSeconds ?? 4)
                spec.conditioning = .extend(video: video, latentFrames: nil, cleanLatents: render.sourceLatents)
            case .edit:
                spec.seconds = nil
                spec.conditioning = .edit(video: video, strength: job.remixStrength ?? 0.6)
            }
        }
        spec.cache = try settings.cache.map(CacheSetting.init(parsing:))
        spec.recipe = settings.recipe
        return spec
    }

    func render(_ render: RenderJob, into outputDirectory: URL, progress: @Sendable (RenderProgress) -> Void,
                isCancelled: @Sendable () -> Bool) throws -> RenderResult {
        let outputs = ClipOutputs(video: outputDirectory.appendingPathComponent(RenderOutput.video),
                                  thumbnail: outputDirectory.appendingPathComponent(RenderOutput.thumbnail),
                                  spritesheet: outputDirectory.appendingPathComponent(RenderOutput.spritesheet),
                                  latents: outputDirectory.appendingPathComponent(RenderOutput.latents), previews: true)
        do {
            _ = try renderer.render(try spec(for: render), to: outputs, progress: { report in
                var mapped = RenderProgress(report.overall, phase: report.stage.phase, detail: report.detail)
                // A preview that cannot be encoded is only a missing preview, never a failed render.
                if let p = report.preview, let png = try? PNGEncoder.encode(width: p.width, height: p.height, rgb: p.rgb) {
                    mapped.preview = RenderPreview(png: png, step: p.step, steps: p.steps)
                }
                progress(mapped)
            }, isCancelled: isCancelled)
        } catch ClipRenderError.cancelled {
            throw RenderCancelled()
        }
        return RenderResult(wroteLatents: true)
    }
}
