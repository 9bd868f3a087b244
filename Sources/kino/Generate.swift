import ArgumentParser
import Foundation
import KinoModels
import KinoPipeline
import KinoProvenance
import KinoRender
import KinoService
import KinoTensor

struct Generate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Generate a video clip from a text prompt.",
        discussion: """
            Uses the bundled kino-tiny model unless --model names another (see `kino models`).
            The output is an H.264 MP4 with Kino's visible watermark and C2PA content credentials signed by the data
            folder's certificate authority (created on first use; see docs/provenance.md and `kino verify`). The seed
            used is printed, so a run can be repeated exactly (same model, settings, build and thread count give
            identical frames).

            Examples:
              kino generate "a red ball bounces across green grass" -o ball.mp4
              kino generate "a boat drifting on the sea at night" --size 1280x720 --seconds 4 --seed 7 --style noir -o boat.mp4
              kino generate "..." --model /models/Wan2.1-T2V-1.3B-Diffusers --size 832x480 --frames 33 --precision bf16 -o wan.mp4

            Starting from a picture or a video (docs/generate.md):
              kino generate "the ball rolls to the right" --image first.png -o moving.mp4     # image-to-video
              kino generate "the ball keeps rolling" --extend ball.mp4 --seconds 4 -o longer.mp4  # 4 s more
              kino generate "a blue ball on snow" --edit ball.mp4 --strength 0.6 -o edited.mp4   # same length
            --image and --extend need a model trained with given frames (kino-tiny, Wan 2.2 TI2V-5B); --edit works
            with every model.
            """)

    @Argument(help: "What the video should show.") var prompt: String
    @Option(name: .shortAndLong, help: "Output MP4 path.") var output: String
    @OptionGroup var engine: EngineOptions
    @Option(help: "What the video should not show.") var negativePrompt: String?
    @Option(help: "Output size WxH (default: the model's default size).") var size: String?
    @Option(help: "Frames to generate, 4k+1 (e.g. 17, 33, 81). Exclusive with --seconds.") var frames: Int?
    @Option(help: "Clip length in seconds (default: the model's default).") var seconds: Double?
    @Option(help: "Frames per second (default: the model's).") var fps: Int?
    @Option(help: "Denoising steps (default: the model's).") var steps: Int?
    @Option(help: "Use classifier-free guidance on the first N steps only (default: every step; turbo: the model's turbo_guidance_fraction).")
    var guidanceSteps: Int?
    @Option(help: "Classifier-free guidance scale; 1 turns guidance off.") var guidance: Float?
    @Option(help: "Flow shift (default: the scheduler config's).") var shift: Double?
    @Option(help: "Sampler: unipc, euler, step-distill or step-distill-deterministic (default: the model's; docs/engine.md).")
    var scheduler: SchedulerConfiguration.Kind?
    @Option(help: "The step-distill samplers' training timesteps, one per step (default: evenly spaced, e.g. 1000,750,500,250).")
    var timesteps: TimestepList?
    @Option(help: "Style preset: \(StylePresets.names.joined(separator: ", ")) (words added to the prompt).") var style: String?
    @Option(help: "Random seed (default: a random one, printed).") var seed: UInt64?
    @Option(help: "safetensors file whose tensor `latents` replaces the seeded initial noise.") var noise: String?
    @Option(help: "Write the decoded video before post-processing as safetensors tensor `video` [1,3,F,H,W].") var rawOut: String?
    @Option(help: "Also write a WebP thumbnail here.") var thumbnail: String?
    @Option(help: "Also write a JPEG spritesheet here.") var spritesheet: String?
    @Option(help: "Also keep the clean latents here (safetensors), for remixing the clip later.") var latentsOut: String?
    @Option(help: "H.264 quality (CRF, lower is better; default 18).") var crf: Int?
    @Flag(help: "Skip the visible watermark (local CLI use only).") var noWatermark = false
    @Option(help: "VAE decode in spatial tiles: auto (only when whole frames would need more than 4.5 GB), on or off.")
    var vaeTiling: VAETiling = .auto
    @Option(help: "Write each stage's seconds and peak memory (and each denoising step's seconds) here as JSON.")
    var timings: String?
    @Flag(help: "Turbo mode: the model's short schedule plus its step caching (docs/engine.md).") var turbo = false
    @Option(help: "Step caching: easycache, teacache (Wan 2.1 1.3B), magcache (calibrated models), firstblock, each optionally :THRESHOLD, or off (default: none; turbo: the model's).")
    var cache: String?
    @Option(help: "A recipe from the model's kino.json (a LoRA, sampler, steps, guidance and caching in one name; docs/engine.md). --turbo is --recipe turbo.")
    var recipe: String?
    @Option(help: "Start from this picture (PNG, JPEG, WebP): it becomes the first frame, scaled to cover the size and centre-cropped.")
    var image: String?
    @Option(help: "Continue this video: --seconds is the time added; the output keeps its frames, size and frame rate.")
    var extend: String?
    @Option(help: ArgumentHelp("With --extend: how many latent frames of the source's end the model is given (1 + 4(k-1) frames; default \(ClipSources.defaultExtensionLatentFrames)).",
                               valueName: "k"))
    var extendContext: Int?
    @Option(help: "Re-render this video with the prompt, keeping its length and frame rate (see --strength).") var edit: String?
    @Option(help: "With --edit: how far the source is re-noised, 0 (keep it) to 1 (ignore it); default 0.6.") var strength: Double?
    @OptionGroup var dataOption: DataOption

    func validate() throws {
        if frames != nil && seconds != nil { throw ValidationError("give --frames or --seconds, not both") }
        if prompt.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty { throw ValidationError("the prompt is empty") }
        if VideoLimits.length(prompt) > VideoLimits.maximumPromptLength {
            throw ValidationError("the prompt has \(VideoLimits.length(prompt)) characters; the limit is \(VideoLimits.maximumPromptLength)")
        }
        if let cache {
            do { _ = try CacheSetting(parsing: cache) } catch { throw ValidationError("--cache: \(error) (or off)") }
        }
        if [image, extend, edit].compactMap({ $0 }).count > 1 { throw ValidationError("give one of --image, --extend and --edit") }
        if strength != nil && edit == nil { throw ValidationError("--strength goes with --edit") }
        if let strength, !(0...1).contains(strength) { throw ValidationError("--strength must be between 0 and 1, got \(strength)") }
        if extendContext != nil && extend == nil { throw ValidationError("--extend-context goes with --extend") }
        if extend != nil && frames != nil { throw ValidationError("--extend takes --seconds, the time added, not --frames") }
        if edit != nil && (frames != nil || seconds != nil) { throw ValidationError("--edit keeps the source's length; leave out --frames and --seconds") }
        for path in [image, extend, edit].compactMap({ $0 }) where !FileManager.default.fileExists(atPath: path) {
            throw ValidationError("no file at \(path)")
        }
        if let style, !StylePresets.acceptedNames.contains(style.lowercased()) {
            throw ValidationError("unknown --style '\(style)'; known styles: \(StylePresets.names.joined(separator: ", "))")
        }
    }

    func run() async throws {
        let bar = ProgressBar()
        bar.update(stage: ClipStage.loadingModel.rawValue, fraction: nil)
        let data = DataFolder(explicit: dataOption.data).url
        let renderer = ClipRenderer(signing: try ClipProvenance.identity(dataFolder: data))
        let dimensions = try size.map { text -> VideoSize in
            guard let parsed = VideoLimits.parseSize(text) else {
                throw ValidationError("--size must look like 1280x720 (width x height), got '\(text)'")
            }
            return parsed
        }
        let seed = seed ?? UInt64.random(in: 0...UInt64(UInt32.max))
        var draft = ClipSpec(
            model: try engine.selection(data: data), prompt: prompt, negativePrompt: negativePrompt,
            width: dimensions?.width, height: dimensions?.height, frames: frames, seconds: seconds, fps: fps, seed: seed,
            steps: steps, guidance: guidance, guidanceSteps: guidanceSteps, shift: shift, scheduler: scheduler, style: style,
            turbo: turbo, noise: try noise.map { try SafeTensorsFile(path: $0).tensor("latents").copied(to: .f32) },
            marks: ClipMarks(visible: !noWatermark), crf: crf)
        draft.vaeTiling = vaeTiling.choice
        draft.timesteps = timesteps?.values
        draft.recipe = recipe
        if let image { draft.conditioning = .image(URL(fileURLWithPath: image)) }
        if let extend { draft.conditioning = .extend(video: URL(fileURLWithPath: extend), latentFrames: extendContext) }
        if let edit { draft.conditioning = .edit(video: URL(fileURLWithPath: edit), strength: strength ?? 0.6) }
        do { draft.cache = try cache.map(CacheSetting.init(parsing:)) } catch { throw ValidationError("--cache: \(error)") }
        let spec = draft
        // A model trained on a small world draws only the words of its captions; say so before minutes of work.
        if let hint = (try? ModelDefaults.load(from: spec.model.folder))??.vocabulary?.hint(for: prompt) {
            Console.error("note: \(spec.model.name): \(hint)")
        }
        let outputs = ClipOutputs(video: URL(fileURLWithPath: output), thumbnail: thumbnail.map { URL(fileURLWithPath: $0) },
                                  spritesheet: spritesheet.map { URL(fileURLWithPath: $0) },
                                  latents: latentsOut.map { URL(fileURLWithPath: $0) }, rawVideo: rawOut.map { URL(fileURLWithPath: $0) })
        let stageTimings = timings.map { _ in StageTimings() }
        let clip = try await runOnThread {
            try renderer.render(spec, to: outputs, progress: {
                stageTimings?.observe($0)
                bar.update(stage: $0.stage.rawValue, fraction: $0.stageFraction, detail: $0.detail)
            })
        }
        bar.finish()
        if let timings, let stageTimings { try stageTimings.write(to: timings) }
        let plan = clip.plan
        let exported = clip.export.map { "\($0.width)x\($0.height), \($0.frameCount) frames at \(plan.fps) fps " + String(format: "(%.2f s)", $0.durationSeconds) } ?? ""
        print("wrote \(output): \(exported), generated at \(plan.width)x\(plan.height) in \(clip.steps) steps, seed \(seed)"
              + (turbo || guidanceSteps != nil || cache != nil || recipe != nil
                 ? ", \(clip.reusedForwards + clip.fullForwards) transformer calls (\(clip.reusedForwards) from the step cache)" : ""))
    }
}

extension SchedulerConfiguration.Kind: ExpressibleByArgument {}

/// `1000,750,500,250`: a comma-separated list of training timesteps.
struct TimestepList: ExpressibleByArgument {
    let values: [Int]
    init?(argument: String) {
        let parts = argument.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard !parts.isEmpty, parts.allSatisfy({ $0 != nil }) else { return nil }
        values = parts.compactMap { $0 }
    }
}

enum VAETiling: String, ExpressibleByArgument, CaseIterable {
    case auto, on, off

    var choice: WanVAE.TilingChoice {
        switch self {
        case .auto: .automatic
        case .on: .always(WanVAE.Tiling())
        case .off: .never
        }
    }
}
