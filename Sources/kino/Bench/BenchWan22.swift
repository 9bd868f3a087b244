import ArgumentParser
import Foundation
import KinoModels
import KinoTensor

/// Kino against diffusers on one full-size Wan 2.2 TI2V-5B transformer forward (random weights, stored bf16:
/// Tooling/make_wan22_random.py), text-to-video (one timestep for every token), at several video sizes in one run:
/// seconds, peak RSS and agreement (bench/wan-2.2.md).
struct BenchWan22: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "wan22",
        abstract: "One full-size Wan 2.2 TI2V-5B transformer forward on this CPU against PyTorch, bf16, at several sizes.",
        discussion: """
            Make the folder once (about 10 GB, not committed):  python3 Tooling/make_wan22_random.py
            Needs torch and diffusers for the PyTorch side (Tooling/bench_real_scale_torch.py --part forward, a fresh
            process per size, run before Kino's forward: never two models in memory at once).
            """)

    @Option(help: "The folder written by Tooling/make_wan22_random.py.") var model = "models-local/wan22-ti2v-5b-random"
    @Option(help: "Where to write the report.") var output = "bench/wan-2.2.md"
    @Option(help: "Video sizes, comma-separated WIDTHxHEIGHTxFRAMES (TI2V tokens: latent frames x H/32 x W/32).")
    var sizes = "640x512x1,640x512x13"
    @Flag(help: "Skip PyTorch's f32 run of the same weights at the first size.") var noF32 = false
    @Option(help: "Worker threads (default: all cores).") var threads: Int?

    func run() async throws {
        if let threads { Compute.threads = threads }
        guard FileManager.default.fileExists(atPath: model + "/transformer/diffusion_pytorch_model.safetensors.index.json") else {
            throw ValidationError("\(model) has no sharded transformer: run python3 Tooling/make_wan22_random.py first")
        }
        let parsed = try sizes.split(separator: ",").map { size -> (String, Int) in
            let parts = size.split(separator: "x")
            guard parts.count == 3, let frames = Int(parts[2]) else { throw ValidationError("--sizes: \(size) is not WIDTHxHEIGHTxFRAMES") }
            return ("\(parts[0])x\(parts[1])", frames)
        }
        let before = BenchWan.loadAverage()
        let lines = try await runOnThread { try self.forwards(parsed) }
        let report = (["# Wan 2.2 TI2V-5B on a CPU: Kino vs PyTorch", "",
                       "Written by `kino bench wan22` on `\(model)` (Tooling/make_wan22_random.py: the transformer at the real "
                       + "configuration, dim 3072 = 24 heads x 128, 30 layers, ffn 14336, 48 channels, random weights stored bf16 in "
                       + "3 shards). PyTorch (diffusers WanTransformer3DModel, bf16) runs each size in a fresh process "
                       + "(Tooling/bench_real_scale_torch.py --part forward) before Kino's forward on the same inputs; Kino's peak RSS "
                       + "is measured from a reset before loading. Agreement is max|a−b| / max|b|.", ""]
                      + lines + ["", BenchPython.footer(loadBefore: before)]).joined(separator: "\n") + "\n"
        try FileManager.default.createDirectory(atPath: (output as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try report.write(toFile: output, atomically: true, encoding: .utf8)
        print(report)
    }

    func forwards(_ sizes: [(size: String, frames: Int)]) throws -> [String] {
        var rows: [String] = [], notes: [String] = []
        for (i, (size, frames)) in sizes.enumerated() {
            let tensors = BenchPython.scratch("wan22-\(size)x\(frames)")
            let extras = i == 0 ? ["--per-token"] + (noF32 ? [] : ["--f32"]) : []
            print("PyTorch, \(size)x\(frames) …")
            let torch = try BenchPython.run(["Tooling/bench_real_scale_torch.py", "--part", "forward", "--size", size, "--frames", "\(frames)",
                                             "--dtype", "bf16", "--tensors", tensors] + extras, folder: model)
            let reference = try SafeTensorsFile(path: tensors)
            let latents = try reference.tensor("latents"), embeddings = try reference.tensor("context")
            print("Kino, \(size)x\(frames) …")
            Measure.resetPeak()
            let loadStart = Date()
            let transformer = try WanTransformer(directory: URL(fileURLWithPath: model + "/transformer"), dtype: .bf16)
            let load = Date().timeIntervalSince(loadStart)
            let start = Date()
            let out = try transformer(latents, timesteps: [757], context: transformer.textContext(embeddings))
            let seconds = Date().timeIntervalSince(start)
            let peak = Measure.residentBytes().peak / 1_000_000, loadAfter = BenchWan.loadAverage()
            let torchSeconds = torch["forward_s"] as? Double ?? .nan
            let agreement = String(format: "%.1e", out.relativeError(to: try reference.tensor("output")))
            var exact = "", torchExact = ""
            if reference.entries["output_f32"] != nil {
                exact = String(format: "%.1e", out.relativeError(to: try reference.tensor("output_f32")))
                torchExact = String(format: "%.1e", torch["bf16_vs_f32"] as? Double ?? .nan)
            }
            let tokens = torch["video_tokens"] as? Int ?? 0
            let label = "\(size), \(frames) frame\(frames == 1 ? "" : "s"), latents \(latents.shape) = \(tokens) tokens"
            rows.append("| \(label) | Kino | \(BenchPython.f2(load)) | \(BenchPython.f2(seconds)) | **\(BenchPython.f2(seconds / torchSeconds))** | \(peak) | \(String(format: "%.2f", loadAfter)) | \(agreement) | \(exact) |")
            rows.append("| | PyTorch | | \(BenchPython.f2(torchSeconds)) | | \(BenchPython.mb(torch["peak_rss_mib"])) | \(String(format: "%.2f", torch["loadavg_after_forward"] as? Double ?? .nan)) | | \(torchExact) |")
            if let perToken = torch["per_token_vs_scalar"] as? Double {
                let exactForm = (torch["per_token_vs_scalar_f32"] as? Double).map { String(format: "%.1e", $0) + " in f32 (the same weights)" }
                notes.append("Per-token timestep form in diffusers (timestep of shape (1, \(tokens)), all 757, as TI2V's pipeline passes it) "
                             + "against the scalar form at \(label): max|a−b| / max|b| = \(String(format: "%.1e", perToken)) in bf16"
                             + (exactForm.map { ", " + $0 } ?? "") + ".")
            }
        }
        return ["## One transformer forward, 512 text tokens, bf16 weights, timestep 757", "",
                "| size | engine | load s | forward s | Kino / PyTorch | peak RSS MB | load average after | vs PyTorch bf16 | vs the same weights in f32 (PyTorch) |",
                "|---|---|---|---|---|---|---|---|---|"] + rows
            + ["", "Kino runs bf16 weights memory-mapped on its \(BF16GEMM.path == .native ? "native bf16 GEMM (oneDNN, f32 accumulation)" : "widened-panel bf16 path"); "
               + "PyTorch is diffusers' bf16 model (its time embedder, modulation tables and norms kept in f32 by "
               + "`_keep_in_fp32_modules`). \"The same weights in f32\" is diffusers' model run with each block widened to f32 for its own "
               + "forward: it separates bf16 arithmetic's own error (PyTorch's row: PyTorch bf16 against it) from a real disagreement. "
               + "PyTorch's load time is not measured separately; its peak RSS is its whole process's. The load average after is "
               + "the 1-minute load average right after that forward (the machine is shared)."]
            + notes.map { "\n" + $0 }
    }
}
