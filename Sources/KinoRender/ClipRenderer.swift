import Foundation
import KinoMedia
import KinoModels
import KinoPipeline
import KinoProvenance
import KinoTensor
import Synchronization

/// What a render made: the plan it followed, the frames at the generation size (the kept frames, 8-bit, before
/// resizing and watermarks; what evaluation scores), and the MP4 when one was asked for.
public struct RenderedClip: Sendable {
    public var plan: GenerationPlan
    public var steps: Int
    public var seed: UInt64
    public var frames: VideoFrames
    public var export: ExportResult?
    /// Transformer calls that reused cached residuals (turbo's step cache), and those that ran every block.
    public var reusedForwards: Int
    public var fullForwards: Int
}

/// The one path from a `ClipSpec` to a finished clip, for every front end: plan the size and length, apply the
/// style, build the engine request, denoise and decode, then (when asked) resize, watermark, encode, make the
/// variants and sign. Loaded pipelines are kept per `ModelSelection`, so a server reuses them across jobs.
///
/// `render` blocks for as long as the clip takes: call it from a dedicated thread, never Swift's cooperative
/// pool. It checks `isCancelled` between denoising steps, transformer blocks, VAE chunks and every media stage,
/// and throws `ClipRenderError.cancelled` when it turns true.
public final class ClipRenderer: Sendable {
    private let signing: SigningIdentity?
    private let pipelines = Mutex<[ModelSelection: TextToVideoPipeline]>([:])
    /// Stage shares measured by the last render of each model, size, length and step count (see `StageShares`).
    private let calibration = Mutex<[String: StageShares]>([:])

    /// `signing`: the C2PA identity that signs every MP4 (`ClipProvenance.identity(dataFolder:)`); nil for
    /// callers that never write one (evaluation, some benchmarks).
    public init(signing: SigningIdentity?) {
        self.signing = signing
    }

    /// The loaded pipeline of a model, loading it on first use (memory-mapped weights; seconds for Wan folders).
    public func pipeline(for model: ModelSelection) throws -> TextToVideoPipeline {
        if let loaded = pipelines.withLock({ $0[model] }) { return loaded }
        let defaults = try ModelDefaults.load(from: model.folder)
        let precision = try model.precision ?? defaults?.precision.map { try WeightPrecision.parse($0, field: "kino.json precision") }
        let configured = try (defaults?.loras ?? []).map { try LoRASelection.parse($0, relativeTo: model.folder) }
        let adapters = try (configured + model.loras).map { try LoRAAdapter(path: $0.file.path, weight: $0.weight) }
        let pipeline = try TextToVideoPipeline.load(folder: model.folder, dtype: precision?.dtype, loras: adapters, defaults: defaults)
        return pipelines.withLock { loaded in
            if let other = loaded[model] { return other }
            loaded[model] = pipeline
            return pipeline
        }
    }

    /// The plan and request a spec leads to, without rendering (for reports and for checking a spec up front).
    /// Pictures and videos the spec starts from are decoded and encoded here too (they decide the plan).
    public func prepare(_ spec: ClipSpec) throws -> (plan: GenerationPlan, request: GenerationRequest) {
        do {
            let pipeline = try pipeline(for: spec.model)
            let prepared = try prepare(spec, on: pipeline, isCancelled: { false })
            return (prepared.plan, prepared.request)
        } catch {
            throw ClipRenderError.map(error)
        }
    }

    func prepare(_ spec: ClipSpec, on pipeline: TextToVideoPipeline, isCancelled: () -> Bool) throws -> PreparedClip {
        let size = spec.width.flatMap { w in spec.height.map { (w, $0) } }
        guard (spec.width == nil) == (spec.height == nil) else { throw ClipRenderError.invalid("give both width and height, or neither") }
        let d = pipeline.defaults
        var source = try SourceClip.load(spec.conditioning, pipeline: pipeline)
        var plan = try source?.plan(spec, size: size, pipeline: pipeline)
            ?? GenerationPlan.make(size: size, frames: spec.frames, seconds: spec.seconds, fps: spec.fps, defaults: d,
                                   temporalFactor: pipeline.vae.temporalFactor, sizeUnit: pipeline.sizeUnit)
        let prompt = try StylePresets.apply(spec.style, to: spec.prompt)
        var request = try GenerationRequest.make(prompt: prompt, negativePrompt: spec.negativePrompt, plan: plan, defaults: d,
                                             steps: spec.steps, guidance: spec.guidance, shift: spec.shift,
                                             scheduler: spec.scheduler, timesteps: spec.timesteps, seed: spec.seed,
                                             turbo: spec.turbo, recipe: spec.recipe)
        if let guidanceSteps = spec.guidanceSteps { request.guidanceSteps = guidanceSteps }
        if let cache = spec.cache { request.cache = cache.mode }
        request.vaeTiling = spec.vaeTiling
        if let noise = spec.noise { request.noise = noise.toF32() }
        switch spec.conditioning {
        case .remix(let latentsFile, let strength)?:
            let source: Tensor
            do {
                source = try SafeTensorsFile(path: latentsFile.path).tensor("latents").copied(to: .f32)
            } catch {
                // The message reaches API clients, so it carries neither the server's path nor the reader's error.
                throw ClipRenderError.invalid("the source video's latents cannot be read; they may have expired or been deleted. Remix a newer video.")
            }
            let needed = pipeline.latentShape(width: plan.width, height: plan.height, frames: plan.frames)
            guard source.shape == needed else {
                throw ClipRenderError.invalid("the source video's latents \(source.shape) do not fit this request (\(needed)); remix keeps the source's size and length")
            }
            request.initialLatents = source
            request.strength = Float(strength)
        case .edit(_, let strength)?:
            request.strength = Float(strength)
        case .image?, .imageFrames?, .extend?, nil:
            break
        }
        try source?.condition(&request, plan: plan, pipeline: pipeline, isCancelled: isCancelled)
        try pipeline.validate(request)
        let joins = source?.joinsOutput == true ? source : nil
        if let joins { plan.keptFrames = joins.frames.frameCount + joins.added }
        return PreparedClip(plan: plan, request: request, extending: joins)
    }

    /// Makes one clip. See the type's notes on threads and cancellation.
    public func render(_ spec: ClipSpec, to outputs: ClipOutputs = ClipOutputs(),
                       progress: (ClipProgress) -> Void = { _ in },
                       isCancelled: () -> Bool = { false }) throws -> RenderedClip {
        do {
            return try renderUnmapped(spec, to: outputs, progress: progress, isCancelled: isCancelled)
        } catch {
            throw ClipRenderError.map(error)
        }
    }

    private func renderUnmapped(_ spec: ClipSpec, to outputs: ClipOutputs, progress: (ClipProgress) -> Void,
                                isCancelled: () -> Bool) throws -> RenderedClip {
        func checkpoint() throws { if isCancelled() { throw ClipRenderError.cancelled } }
        if outputs.video != nil && signing == nil {
            throw ClipRenderError.invalid("this renderer has no signing identity, so it cannot write an MP4 (every MP4 Kino writes is signed)")
        }
        let began = ContinuousClock.now
        progress(ClipProgress(.loadingModel, fraction: nil))
        let pipeline = try pipeline(for: spec.model)
        try checkpoint()
        let prepared = try prepare(spec, on: pipeline, isCancelled: isCancelled)
        let (plan, request) = (prepared.plan, prepared.request)
        let calibrationKey = "\(spec.model.name)|\(plan.width)x\(plan.height)>\(plan.outputWidth)x\(plan.outputHeight)|\(plan.frames)|\(request.steps)|"
            + "\(request.guidance > 1)|\(outputs.video != nil)"
        let shares = calibration.withLock { $0[calibrationKey] } ?? .measuredOnTiny
        var starts: [(ClipStage, ContinuousClock.Instant)] = [(.loadingModel, began)]
        var reported = 0.0
        // Every report's percentage follows the shares this kind of render took last time; it never goes back.
        func calibrated(_ report: ClipProgress) {
            if starts.last?.0 != report.stage { starts.append((report.stage, .now)) }
            var adjusted = report
            adjusted.overall = max(reported, shares.overall(report.stage, report.stageFraction ?? 0))
            reported = adjusted.overall
            progress(adjusted)
        }
        let previewMap = outputs.previews ? pipeline.defaults.previewRGB : nil
        let result = try pipeline.generate(request, progress: { event in
            switch event {
            case .encodingPrompt: calibrated(ClipProgress(.encodingPrompt, fraction: nil))
            case .denoising(let step, let total): calibrated(ClipProgress(.denoising, fraction: Double(step) / Double(total), detail: "step \(step)/\(total)"))
            case .decoding(let chunk, let total): calibrated(ClipProgress(.decoding, fraction: Double(chunk) / Double(total), detail: "\(chunk)/\(total)"))
            case .finished: break
            }
        }, estimate: { step, total, estimate in
            // About eight pictures per render, the last one at the final step (shown while the VAE decodes).
            guard let map = previewMap, step == total || step % max(1, (total + 7) / 8) == 0,
                  let picture = map.image(estimate()) else { return }
            var report = ClipProgress(.denoising, fraction: Double(step) / Double(total), detail: "step \(step)/\(total)")
            report.preview = ClipPreview(width: picture.width, height: picture.height, rgb: picture.rgb, step: step, steps: total)
            calibrated(report)
        }, isCancelled: isCancelled)
        try checkpoint()
        if let raw = outputs.rawVideo { try SafeTensors.write(["video": result.video], to: raw.path) }
        if let latents = outputs.latents {
            try SafeTensors.write(["latents": result.latents], metadata: ["seed": "\(spec.seed)"], to: latents.path)
        }
        let frames = try prepared.extending.map { try $0.join(generated: result, plan: plan) }
            ?? ClipExport.frames(from: result, plan: plan)
        var clip = RenderedClip(plan: plan, steps: request.steps, seed: spec.seed, frames: frames, export: nil,
                                reusedForwards: result.reusedForwards, fullForwards: result.fullForwards)
        if let video = outputs.video, let signing {
            let provenance = ClipProvenance(identity: signing, model: spec.model.name, keySerial: spec.marks.keySerial,
                                            videoSerial: spec.marks.videoSerial, ingredients: try ClipProvenance.ingredients(for: spec.conditioning))
            clip.export = try ClipExport.export(frames, plan: plan, to: video, outputs: outputs, marks: spec.marks,
                                                crf: spec.crf, turbo: spec.turbo || spec.recipe == "turbo", provenance: provenance,
                                                progress: calibrated, isCancelled: isCancelled)
        }
        try checkpoint()
        if let measured = StageShares.measured(starts: starts, finished: .now) {
            calibration.withLock { $0[calibrationKey] = measured }
        }
        return clip
    }
}

extension WeightPrecision {
    /// `stored`, `f32`, `bf16` or `f16`, with an error naming where the text came from.
    public static func parse(_ text: String, field: String) throws -> WeightPrecision {
        guard let value = WeightPrecision(rawValue: text.lowercased()) else {
            throw ClipRenderError.invalid("\(field) must be one of \(allCases.map(\.rawValue).joined(separator: ", ")), got '\(text)'")
        }
        return value
    }
}
