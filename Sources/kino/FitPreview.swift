import ArgumentParser
import Foundation
import KinoEval
import KinoMedia
import KinoPipeline
import KinoRender
import KinoTensor

/// `kino models fit-preview`: renders a few clips with the model and fits the linear map from its latent channels
/// to RGB that previews use while denoising (kino.json `preview_rgb`).
struct FitPreview: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fit-preview",
        abstract: "Fit the latent-to-RGB map the studio's previews use, from clips the model renders.",
        discussion: """
            Renders --clips prompts at the model's default settings (training/val_prompts.json for kino-tiny, a \
            built-in list otherwise), pools each decoded clip onto the latent grid and fits RGB = W·latent + b by \
            least squares. Prints the kino.json entry; --write puts it into the model folder's kino.json.
            """)

    @OptionGroup var engine: EngineOptions
    @Option(help: "How many clips to fit on.") var clips = 8
    @Option(help: "Width and height to render at, WxH (default: the prompt set's, else the model's default).") var size: String?
    @Option(help: "Frames per clip (default: the prompt set's, else 17).") var frames: Int?
    @Flag(help: "Write preview_rgb into the model folder's kino.json.") var write = false

    static let genericPrompts = [
        "a red ball bounces across green grass", "a boat sails on a blue sea at sunset", "a white bird flies in a clear sky",
        "a yellow car drives down a city street at night", "snow falls on a quiet forest", "a purple balloon floats over a field",
        "an orange fish swims in clear water", "a person walks along a beach at dawn",
    ]

    func validate() throws {
        guard (1...64).contains(clips) else { throw ValidationError("--clips must be 1...64") }
    }

    func run() async throws {
        let model = try engine.selection()
        let renderer = ClipRenderer(signing: nil)
        let set = try? EvalPromptSet.load(from: Eval.locate("training/val_prompts.json"))
        let useSet = model.name == ModelLocator.defaultModel && set != nil
        let prompts = useSet ? (set?.prompts.map(\.prompt) ?? []) : Self.genericPrompts
        var dims: (Int, Int)? = useSet ? set.map { ($0.width, $0.height) } : nil
        if let size {
            let parts = size.lowercased().split(separator: "x").compactMap { Int($0) }
            guard parts.count == 2 else { throw ValidationError("--size must be WxH, e.g. 480x272") }
            dims = (parts[0], parts[1])
        }
        let frameCount = frames ?? (useSet ? set?.frames ?? 17 : 17)
        let pipeline = try renderer.pipeline(for: model)
        var pairs: [(latents: Tensor, video: Tensor)] = []
        for (index, prompt) in prompts.prefix(clips).enumerated() {
            let spec = ClipSpec(model: model, prompt: prompt, width: dims?.0, height: dims?.1, frames: frameCount, seed: UInt64(index + 1))
            let request = try renderer.prepare(spec).request
            let result = try await offPool { try pipeline.generate(request) }
            pairs.append((result.latents, result.video))
            Console.error("fit-preview: clip \(index + 1)/\(min(clips, prompts.count)) rendered")
        }
        let map = try LatentRGBMap.fit(pairs)
        let error = try Self.meanError(map, pairs)
        Console.error(String(format: "fit-preview: mean absolute error %.3f on the [-1, 1] scale over %d clips", error, pairs.count))
        let entry = try Self.entry(map)
        if write {
            let file = model.folder.appendingPathComponent("kino.json")
            var defaults = pipeline.defaults
            defaults.previewRGB = map
            try Self.write(entry, into: file, creatingFrom: defaults)
            Console.error("fit-preview: wrote preview_rgb into \(file.path)")
        } else {
            print(entry)
        }
    }

    /// `"preview_rgb": {...}` on one line, four decimals.
    static func entry(_ map: LatentRGBMap) throws -> String {
        func list(_ v: [Float]) -> String { "[" + v.map { String(format: "%.4f", $0) }.joined(separator: ", ") + "]" }
        return "\"preview_rgb\": {\"weights\": [" + map.weights.map(list).joined(separator: ", ") + "], \"bias\": \(list(map.bias))}"
    }

    /// Replaces the file's `preview_rgb` line, or adds the entry after the opening brace. A folder without a
    /// kino.json gets one holding the defaults it ran with (for Wan folders, Wan's published ones), since a
    /// kino.json replaces those defaults.
    static func write(_ entry: String, into file: URL, creatingFrom defaults: ModelDefaults) throws {
        guard let text = try? String(contentsOf: file, encoding: .utf8) else {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            try encoder.encode(defaults).write(to: file, options: .atomic)
            return
        }
        var lines = text.components(separatedBy: "\n")
        if let i = lines.firstIndex(where: { $0.trimmingCharacters(in: .whitespaces).hasPrefix("\"preview_rgb\"") }) {
            lines[i] = " " + entry + (lines[i].hasSuffix(",") ? "," : "")
        } else if let i = lines.firstIndex(where: { $0.trimmingCharacters(in: .whitespaces) == "{" }) {
            let empty = lines.dropFirst(i + 1).allSatisfy { $0.trimmingCharacters(in: .whitespaces).hasPrefix("}") || $0.isEmpty }
            lines.insert(" " + entry + (empty ? "" : ","), at: i + 1)
        } else {
            throw ValidationError("\(file.path) does not start with '{' on a line of its own; add preview_rgb by hand:\n\(entry)")
        }
        try lines.joined(separator: "\n").write(to: file, atomically: true, encoding: .utf8)
    }

    /// Mean absolute difference between the map's colours and the pooled video, over every latent pixel.
    static func meanError(_ map: LatentRGBMap, _ pairs: [(latents: Tensor, video: Tensor)]) throws -> Double {
        var total = 0.0, count = 0
        for pair in pairs {
            for sample in try LatentRGBMap.pooledSamples(pair.latents, pair.video) {
                total += zip(map.colour(sample.latent), sample.rgb).reduce(0) { $0 + abs($1.0 - $1.1) }
                count += 3
            }
        }
        return total / Double(max(count, 1))
    }
}
