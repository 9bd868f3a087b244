import ArgumentParser
import Foundation
import KinoModels
import KinoPipeline
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
              kino generate "a boat drifting on the sea at night" --size 1280x720 --seconds 4 --seed 7 -o boat.mp4
              kino generate "..." --model /models/Wan2.1-T2V-1.3B-Diffusers --size 832x480 --frames 33 -o wan.mp4
            """)

    @Argument(help: "What the video should show.") var prompt: String
    @Option(name: .shortAndLong, help: "Output MP4 path.") var output: String
    @Option(help: "Model name or diffusers folder (default: kino-tiny).") var model: String?
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
    @Option(help: "Sampler: unipc or euler (default: the model's).") var scheduler: SchedulerConfiguration.Kind?
    @Option(help: "Random seed (default: a random one, printed).") var seed: UInt64?
    @Option(help: "safetensors file whose tensor `latents` replaces the seeded initial noise.") var noise: String?
    @Option(help: "Write the decoded video before post-processing as safetensors tensor `video` [1,3,F,H,W].") var rawOut: String?
    @Option(help: "Also write a WebP thumbnail here.") var thumbnail: String?
    @Option(help: "Also write a JPEG spritesheet here.") var spritesheet: String?
    @Option(help: "H.264 quality (CRF, lower is better; default 18).") var crf: Int?
    @Option(help: "Worker threads (default: all cores).") var threads: Int?
    @Option(help: "Weight precision for compute: stored, f32 or bf16.") var precision: String = "stored"
    @Flag(help: "Skip the visible watermark (local CLI use only).") var noWatermark = false
    @Flag(help: "Turbo mode: the model's short schedule plus first-block step caching (docs/engine.md).") var turbo = false
    @Option(help: "LoRA safetensors to merge into the transformer, PATH or PATH:WEIGHT (repeatable; docs/models.md).") var lora: [String] = []
    @OptionGroup var dataOption: DataOption

    func validate() throws {
        if frames != nil && seconds != nil { throw ValidationError("give --frames or --seconds, not both") }
        guard ["stored", "f32", "bf16", "f16"].contains(precision) else { throw ValidationError("--precision must be stored, f32, bf16 or f16") }
        if prompt.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty { throw ValidationError("the prompt is empty") }
        if prompt.count > TextToVideoPipeline.maximumPromptLength {
            throw ValidationError("the prompt has \(prompt.count) characters; the limit is \(TextToVideoPipeline.maximumPromptLength)")
        }
    }

    func run() async throws {
        if let threads { Parallel.threads = threads }
        let bar = ProgressBar()
        bar.update(stage: "loading model", fraction: nil)
        let signing = try ClipProvenance.identity(dataFolder: DataFolder(explicit: dataOption.data).url)
        let folder = try ModelLocator().resolve(model)
        let dtype: DType? = precision == "stored" ? nil : DType(rawValue: precision)
        let adapters = try lora.map(LoRAOption.parse)
        let pipeline = try await runOnThread { try TextToVideoPipeline.load(folder: folder, dtype: dtype, loras: adapters) }
        let d = pipeline.defaults
        let plan = try GenerationPlan.make(size: try size.map(GenerationPlan.parseSize), frames: frames, seconds: seconds, fps: fps,
                                           defaults: d, temporalFactor: pipeline.vae.temporalFactor)
        let seed = seed ?? UInt64.random(in: 0...UInt64(UInt32.max))
        var request = GenerationRequest.make(prompt: prompt, negativePrompt: negativePrompt, plan: plan, defaults: d, steps: steps,
                                             guidance: guidance, shift: shift, scheduler: scheduler, seed: seed, turbo: turbo)
        if let guidanceSteps { request.guidanceSteps = guidanceSteps }
        if let noise { request.noise = try SafeTensorsFile(path: noise).tensor("latents").copied(to: .f32) }
        try pipeline.validate(request)
        let finalRequest = request
        let result = try await runOnThread {
            try pipeline.generate(finalRequest, progress: { event in
                switch event {
                case .encodingPrompt: bar.update(stage: "encoding prompt", fraction: nil)
                case .denoising(let step, let total): bar.update(stage: "denoising", fraction: Double(step) / Double(total), detail: "step \(step)/\(total)")
                case .decoding(let chunk, let total): bar.update(stage: "decoding", fraction: Double(chunk) / Double(total))
                case .finished: break
                }
            })
        }
        if let rawOut { try SafeTensors.write(["video": result.video], to: rawOut) }
        bar.update(stage: "encoding MP4", fraction: nil)
        let modelName = model.map { $0.contains("/") ? folder.lastPathComponent : $0 } ?? ModelLocator.defaultModel
        let exported = try await runOnThread { [thumbnail, spritesheet, crf, output, noWatermark, turbo] in
            try ClipExport.export(result, plan: plan, to: URL(fileURLWithPath: output), watermark: !noWatermark,
                                  thumbnail: thumbnail.map { URL(fileURLWithPath: $0) },
                                  spritesheet: spritesheet.map { URL(fileURLWithPath: $0) }, crf: crf, turbo: turbo,
                                  provenance: ClipProvenance(identity: signing, model: modelName))
        }
        bar.finish()
        print("wrote \(output): \(exported.width)x\(exported.height), \(exported.frameCount) frames at \(plan.fps) fps "
              + String(format: "(%.2f s)", exported.durationSeconds) + ", generated at \(plan.width)x\(plan.height) in \(finalRequest.steps) steps, seed \(seed)"
              + (turbo || guidanceSteps != nil
                 ? ", \(result.reusedForwards + result.fullForwards) transformer calls (\(result.reusedForwards) from the step cache)" : ""))
    }
}

extension SchedulerConfiguration.Kind: ExpressibleByArgument {}

/// `--lora PATH[:WEIGHT]`.
enum LoRAOption {
    static func parse(_ text: String) throws -> LoRAAdapter {
        var path = text, weight: Float = 1
        if let colon = text.lastIndex(of: ":"), let w = Float(text[text.index(after: colon)...]) {
            path = String(text[..<colon])
            weight = w
        }
        guard FileManager.default.fileExists(atPath: path) else {
            throw ValidationError("--lora \(text): no file at \(path)")
        }
        return try LoRAAdapter(path: path, weight: weight)
    }
}
