import ArgumentParser
import Foundation
import KinoModels
import KinoTensor

/// Kino against PyTorch on the full-size random Wan2.1-T2V-1.3B folder (Tooling/make_wan_full_random.py): the
/// umT5-XXL text encoder, one transformer forward at a real video size, the VAE decode, and whole clips through
/// `kino generate` with per-stage times and memory (bench/real-scale.md).
struct BenchRealScale: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "real-scale",
        abstract: "Full-size Wan 2.1 1.3B on this CPU against PyTorch: text encoder, forward, VAE, whole clips.",
        discussion: """
            Make the folder once (about 17.6 GB, not committed):  python3 Tooling/make_wan_full_random.py
            Needs torch, transformers and diffusers for the PyTorch side. Sections run one after another (never two
            models in memory at once); the whole report takes about an hour on 2 cores.
            """)

    @Option(help: "The folder written by Tooling/make_wan_full_random.py.") var model = "models-local/wan21-full-random"
    @Option(help: "Where to write the report.") var output = "bench/real-scale.md"
    @Option(help: "Sections (comma-separated): \(Self.sectionNames.joined(separator: ", ")).") var only = Self.sectionNames.joined(separator: ",")
    @Option(help: "Worker threads (default: all cores).") var threads: Int?

    static let sectionNames = ["encoder", "forward", "vae", "clip", "decode-832"]

    func run() async throws {
        if let threads { Compute.threads = threads }
        let sections = only.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        if let unknown = sections.first(where: { !Self.sectionNames.contains($0) }) {
            throw ValidationError("--only: unknown section \(unknown); use some of \(Self.sectionNames.joined(separator: ", "))")
        }
        guard FileManager.default.fileExists(atPath: model + "/text_encoder/model.safetensors.index.json") else {
            throw ValidationError("\(model) is not a full-size folder: run python3 Tooling/make_wan_full_random.py first")
        }
        var measured: [String: String] = [:]
        for name in Self.sectionNames where sections.contains(name) {
            let before = BenchWan.loadAverage()
            let lines = try await runOnThread { () throws -> [String] in
                switch name {
                case "encoder": try self.encoderSection()
                case "forward": try self.forwardSection()
                case "vae": try self.vaeSection()
                case "clip": try self.clipSection()
                default: try self.decodeSection()
                }
            }
            measured[name] = (["<!-- section: \(name) -->"] + lines + ["", BenchPython.footer(loadBefore: before)]).joined(separator: "\n")
            try write(measured)
        }
    }

    /// Keeps sections not measured in this run from the existing report.
    func write(_ measured: [String: String]) throws {
        let previous = (try? String(contentsOfFile: output, encoding: .utf8)).map(BenchEngine.sections(of:)) ?? [:]
        var report = ["# Full-size Wan 2.1 1.3B on a CPU: Kino vs PyTorch", "",
                      "Written by `kino bench real-scale` on `\(model)` (Tooling/make_wan_full_random.py: random weights at the real "
                      + "configuration; umT5-XXL stored bf16 in 5 shards, transformer fp32, Wan 2.1 VAE fp32). PyTorch runs each part in a "
                      + "fresh process (Tooling/bench_real_scale_torch.py); Kino's peak RSS is measured from a reset before loading. "
                      + "Agreement is max|a−b| / max|b|.", ""].joined(separator: "\n")
        for name in Self.sectionNames {
            if let text = measured[name] ?? previous[name] { report += "\n" + text + "\n" }
        }
        try FileManager.default.createDirectory(atPath: (output as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try report.write(toFile: output, atomically: true, encoding: .utf8)
        print(report)
    }

    // MARK: sections

    func encoderSection() throws -> [String] {
        let tensors = scratch("encoder")
        let torch = try python(["Tooling/bench_real_scale_torch.py", "--part", "encoder", "--tokens", "512", "--tensors", tensors])
        let reference = try SafeTensorsFile(path: tensors)
        let ids = try reference.integers("ids")
        Measure.resetPeak()
        let base = Measure.residentBytes().current
        let loadStart = Date()
        let encoder = try T5Encoder(directory: URL(fileURLWithPath: model + "/text_encoder"))
        let load = Date().timeIntervalSince(loadStart)
        let start = Date()
        let embeddings = try encoder(ids)
        let seconds = Date().timeIntervalSince(start)
        let peak = Measure.residentBytes().peak - base
        let error = embeddings.reshaped([ids.count, encoder.configuration.dModel]).relativeError(to: try reference.tensor("embeddings"))
        let exactError = embeddings.reshaped([ids.count, encoder.configuration.dModel]).relativeError(to: try reference.tensor("embeddings_f32"))
        let weightsMB = BenchEngine.folderBytes(URL(fileURLWithPath: model + "/text_encoder")) / 1_000_000
        let torchSeconds = torch["encode_s"] as? Double ?? .nan
        return ["## Text encoder: umT5-XXL (5.7 B parameters, bf16 on disk), \(ids.count) tokens", "",
                "| engine | load s | encode s | Kino / PyTorch | peak RSS MB | vs PyTorch bf16 | vs the same weights in f32 |", "|---|---|---|---|---|---|---|",
                "| Kino (bf16 weights memory-mapped, \(BF16GEMM.path == .native ? "native bf16 GEMM" : "widened per panel")) | \(f2(load)) | \(f2(seconds)) | **\(f2(seconds / torchSeconds))** | \(peak / 1_000_000) | \(String(format: "%.1e", error)) | \(String(format: "%.1e", exactError)) |",
                "| PyTorch (transformers UMT5EncoderModel, bf16, padded to 512 with a mask as WanPipeline does) | \(f2(torch["load_s"] as? Double ?? .nan)) | \(f2(torchSeconds)) | | \(mb(torch["peak_rss_mib"])) | | \(String(format: "%.1e", torch["bf16_vs_f32"] as? Double ?? .nan)) |",
                "", "Encoder weights on disk: \(weightsMB) MB; the target for Kino's peak is weights + 1,500 MB = \(weightsMB + 1500) MB. "
                + "Mapped pages count in RSS once touched; the 2.1 GB embedding table is read only at the prompt's rows. "
                + "\"The same weights in f32\" is transformers' model run block by block in f32 (Tooling/bench_real_scale_torch.py): "
                + "it separates bf16 arithmetic's own error (PyTorch keeps the residual stream in bf16; Kino keeps it in f32 and "
                + "rounds only GEMM inputs) from a real disagreement."]
    }

    func forwardSection() throws -> [String] {
        var lines = ["## One transformer forward at 832x480, 33 frames (14,040 video tokens), 512 text tokens", "",
                     "| engine | weights | seconds | Kino / PyTorch | peak RSS MB | attention share (Kino) |", "|---|---|---|---|---|---|"]
        for dtype in ["fp32", "bf16"] {
            let torch = try python(["Tooling/bench_real_scale_torch.py", "--part", "forward", "--size", "832x480", "--frames", "33", "--dtype", dtype])
            Measure.resetPeak()
            let transformer = try WanTransformer(directory: URL(fileURLWithPath: model + "/transformer"), dtype: dtype == "bf16" ? .bf16 : nil)
            var g = SeededGenerator(seed: 7)
            let latents = Tensor.randomNormal([1, 16, 9, 60, 104], using: &g)
            let context = transformer.textContext(Tensor.randomNormal([1, 512, 4096], using: &g) * 0.1)
            let start = Date()
            _ = try transformer(latents, timesteps: [757], context: context)
            let seconds = Date().timeIntervalSince(start)
            let peak = Measure.residentBytes().peak / 1_000_000
            // Attention alone at this size (12 heads of 128 over 14,040 tokens), times the 30 layers.
            let q = Tensor.randomNormal([1, 14_040, 12, 128], using: &g)
            let attentionStart = Date()
            _ = Tensor.attention(query: q, key: q, value: q)
            let attention = Date().timeIntervalSince(attentionStart) * Double(transformer.configuration.numLayers)
            let torchSeconds = torch["forward_s"] as? Double ?? .nan
            lines.append("| Kino | \(dtype) | \(f2(seconds)) | **\(f2(seconds / torchSeconds))** | \(peak) | \(String(format: "%.0f%%", 100 * attention / seconds)) |")
            lines.append("| PyTorch | \(dtype) | \(f2(torchSeconds)) | | \(mb(torch["peak_rss_mib"])) | |")
        }
        return lines
    }

    func vaeSection() throws -> [String] {
        let tensors = scratch("vae"), tiledTensors = scratch("vae-tiled")
        let torch = try python(["Tooling/bench_real_scale_torch.py", "--part", "vae", "--size", "480x272", "--frames", "33", "--tensors", tensors])
        let torchTiled = try python(["Tooling/bench_real_scale_torch.py", "--part", "vae", "--size", "480x272", "--frames", "33", "--tiled",
                                     "--tensors", tiledTensors])
        let reference = try SafeTensorsFile(path: tensors)
        let referenceVideo = try reference.tensor("video"), referenceTiled = try SafeTensorsFile(path: tiledTensors).tensor("video")
        let latents = try reference.tensor("latents")
        var rows: [String] = []
        var videos: [String: Tensor] = [:]
        for (name, choice) in [("untiled", WanVAE.TilingChoice.never), ("tiled", .always(WanVAE.Tiling()))] {
            Measure.resetPeak()
            let vae = try WanVAE(directory: URL(fileURLWithPath: model + "/vae"))
            let start = Date()
            let video = try vae.decode(latents, tiling: choice)
            let seconds = Date().timeIntervalSince(start)
            let peak = Measure.residentBytes().peak / 1_000_000
            videos[name] = video
            let torchPart = name == "tiled" ? torchTiled : torch
            let torchSeconds = torchPart["decode_s"] as? Double ?? .nan
            let agreement = video.relativeError(to: name == "tiled" ? referenceTiled : referenceVideo)
            rows.append("| Kino, \(name) | \(f2(seconds)) | **\(f2(seconds / torchSeconds))** | \(peak) | \(String(format: "%.1e", agreement)) |")
            rows.append("| PyTorch, \(name)\(name == "tiled" ? " (`enable_tiling()`)" : "") | \(f2(torchSeconds)) | | \(mb(torchPart["peak_rss_mib"])) | |")
        }
        let kinoSeams = videos["tiled"].map { $0.relativeError(to: videos["untiled"] ?? $0) } ?? .nan
        let torchSeams = referenceTiled.relativeError(to: referenceVideo)
        return ["## VAE decode, 33 frames at 480x272 (latents [1, 16, 9, 34, 60])", "",
                "| engine | seconds | Kino / PyTorch | peak RSS MB | agreement with PyTorch's same mode |", "|---|---|---|---|---|"]
            + rows
            + ["", "Tiles of 256x256 output pixels every 192 (diffusers' defaults). Tiled against untiled: Kino "
               + "\(String(format: "%.1e", kinoSeams)), diffusers \(String(format: "%.1e", torchSeams)) (the seams' own cost, the same in both)."]
    }

    /// The whole-clip comparison: `kino generate` as a user runs it, against WanPipeline from prompt to MP4.
    func clipSection() throws -> [String] {
        let noise = scratch("clip")
        let torch = try python(["Tooling/bench_real_scale_torch.py", "--part", "clip", "--size", "480x272", "--frames", "33", "--steps", "4", "--tensors", noise])
        let latents = scratch("clip-latents")
        try SafeTensors.write(["latents": try SafeTensorsFile(path: noise).tensor("noise")], to: latents)
        let kino = try generate(size: "480x272", frames: 33, steps: 4, noise: latents)
        let kinoTotal = kino["total_s"] as? Double ?? .nan, torchTotal = torch["total_s"] as? Double ?? .nan
        let stage = { (name: String) -> [String: Any] in
            (kino["stages"] as? [[String: Any]])?.first { $0["stage"] as? String == name } ?? [:]
        }
        let steps = (kino["denoising_steps_s"] as? [Double]) ?? []
        let torchForwards = (torch["forwards_s"] as? [Double]) ?? []
        return ["## Whole clip: prompt → MP4, 480x272, 33 frames (4,590 video tokens), 4 UniPC steps, guidance 1", "",
                "| stage | Kino s | Kino peak RSS MB | PyTorch s |", "|---|---|---|---|",
                "| load | \(f2(stage("loading model")["seconds"] as? Double ?? .nan)) | \(stage("loading model")["peak_rss_mb"] ?? "") | \(f2(torch["load_s"] as? Double ?? .nan)) |",
                "| text encoding | \(f2(stage("encoding prompt")["seconds"] as? Double ?? .nan)) | \(stage("encoding prompt")["peak_rss_mb"] ?? "") | \(f2(torch["text_s"] as? Double ?? .nan)) |",
                "| each transformer forward | \(steps.map(f2).joined(separator: ", ")) | \(stage("denoising")["peak_rss_mb"] ?? "") | \(torchForwards.map(f2).joined(separator: ", ")) |",
                "| VAE decode | \(f2(stage("decoding")["seconds"] as? Double ?? .nan)) | \(stage("decoding")["peak_rss_mb"] ?? "") | \(f2(torch["decode_s"] as? Double ?? .nan)) |",
                "| watermarks, MP4, C2PA (PyTorch: export_to_video) | \(f2(["watermarking", "encoding MP4", "signing"].compactMap { stage($0)["seconds"] as? Double }.reduce(0, +))) | | \(f2(torch["export_s"] as? Double ?? .nan)) |",
                "| **whole process** | **\(f2(kinoTotal))** | \(kino["peak_rss_mb"] ?? "") | **\(f2(torchTotal))** |", "",
                "Kino / PyTorch, whole clip: **\(f2(kinoTotal / torchTotal))**. PyTorch's peak RSS: \(mb(torch["peak_rss_mib"])) MB "
                + "(text encoder bf16, transformer fp32 as stored, VAE fp32). Kino runs at its default precision (as stored) and "
                + "starts from PyTorch's initial noise. Kino's peaks are per stage (measured from each stage's start)."]
    }

    /// Decoding at 832x480, as the decode stage of `kino generate` runs it (the transformer's pages are released
    /// before it, so the stage holds the VAE, the latents and the decode's own memory): random latents, the VAE
    /// loaded from the folder, peak RSS measured from a reset before loading.
    func decodeSection() throws -> [String] {
        var lines = ["## VAE decode at 832x480, Kino alone", "",
                     "| frames | latents | decode s | seconds per output frame | peak RSS MB |", "|---|---|---|---|---|"]
        // Whole frames first, on a short clip (the memory does not grow with length, only the time): what the
        // default avoids. Then the default (automatic: tiles at this size) at 33 and 81 frames.
        for (frames, choice, label) in [(9, WanVAE.TilingChoice.never, "untiled (`--vae-tiling off`)"),
                                        (33, .automatic, "default (tiled here)"), (81, .automatic, "default (tiled here)")] {
            Measure.resetPeak()
            let vae = try WanVAE(directory: URL(fileURLWithPath: model + "/vae"))
            var g = SeededGenerator(seed: 5)
            let shape = [1, 16, (frames - 1) / 4 + 1, 60, 104]
            let latents = Tensor.randomNormal(shape, using: &g)
            let start = Date()
            let video = try vae.decode(latents, tiling: choice)
            let seconds = Date().timeIntervalSince(start)
            lines.append("| \(video.shape[2]), \(label) | \(shape) | \(f2(seconds)) | \(f2(seconds / Double(video.shape[2]))) | \(Measure.residentBytes().peak / 1_000_000) |")
        }
        lines += ["", "The target is a decode peak of at most 6,000 MB with no tiling flag. `kino generate --timings` reports the same "
                  + "stage inside a whole run (see the clip section)."]
        return lines
    }

    // MARK: helpers

    func generate(size: String, frames: Int, steps: Int, noise: String?) throws -> [String: Any] {
        let timings = scratch("timings-\(size)-\(frames)") + ".json"
        var arguments = ["generate", "a red ball bounces across green grass", "--model", model, "--size", size, "--frames", "\(frames)",
                         "--steps", "\(steps)", "--guidance", "1", "--seed", "1", "-o", scratch("clip-\(size)-\(frames)") + ".mp4",
                         "--timings", timings, "--threads", "\(Compute.threads)"]
        if let noise { arguments += ["--noise", noise] }
        try runProcess(CommandLine.arguments[0], arguments)
        guard let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: timings))) as? [String: Any] else {
            throw ValidationError("kino generate wrote unreadable timings to \(timings)")
        }
        return json
    }

    func python(_ arguments: [String]) throws -> [String: Any] { try BenchPython.run(arguments, folder: model) }

    @discardableResult
    func runProcess(_ executable: String, _ arguments: [String]) throws -> String { try BenchPython.runProcess(executable, arguments) }

    func scratch(_ name: String) -> String { BenchPython.scratch("real-scale-" + name) }

    func f2(_ x: Double) -> String { BenchPython.f2(x) }
    func mb(_ mib: Any?) -> String { BenchPython.mb(mib) }
}

/// What the benches against PyTorch share: the PyTorch side runs in a fresh process (its peak RSS is its own) and
/// prints one JSON object as its last line.
enum BenchPython {
    static func run(_ arguments: [String], folder: String) throws -> [String: Any] {
        let output = try runProcess("/usr/bin/env", ["python3"] + arguments + ["--threads", "\(Compute.threads)", "--folder", folder])
        let last = output.split(separator: "\n").last.map(String.init) ?? ""
        guard let json = try JSONSerialization.jsonObject(with: Data(last.utf8)) as? [String: Any] else {
            throw ValidationError("\(arguments.joined(separator: " ")) printed no JSON result")
        }
        return json
    }

    @discardableResult
    static func runProcess(_ executable: String, _ arguments: [String]) throws -> String {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: executable)
        p.arguments = arguments
        let pipe = Pipe()
        p.standardOutput = pipe
        try p.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        guard p.terminationStatus == 0 else {
            throw ValidationError("\(executable) \(arguments.joined(separator: " ")) failed (exit \(p.terminationStatus))")
        }
        return String(decoding: data, as: UTF8.self)
    }

    static func scratch(_ name: String) -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("kino-\(name).safetensors").path
    }

    /// The line under each section: when, on what CPU, the load around it, and which bf16 path ran.
    static func footer(loadBefore before: Double) -> String {
        "_Measured \(Date().formatted(.iso8601)) on \(Measure.cpuDescription()), \(Compute.threads) threads; "
            + "load average \(String(format: "%.2f", before)) before, \(String(format: "%.2f", BenchWan.loadAverage())) after; "
            + "\(CPUFeatures.summary)._"
    }

    static func f2(_ x: Double) -> String { x.isFinite ? String(format: "%.2f", x) : "n/a" }
    static func mb(_ mib: Any?) -> String { (mib as? Double).map { String(format: "%.0f", $0 * 1.048576) } ?? "n/a" }
}
