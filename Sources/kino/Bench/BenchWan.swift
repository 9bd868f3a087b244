import ArgumentParser
import Foundation
import KinoModels
import KinoPipeline
import KinoTensor

/// Kino against diffusers on a full-size random-weight Wan2.1-T2V-1.3B folder made by
/// Tooling/make_wan13b_random.py: one transformer forward at 320 and 1,280 video tokens, agreement, time, RSS.
struct BenchWan: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "wan",
        abstract: "Compare one Wan 1.3B transformer forward with diffusers (folder from Tooling/make_wan13b_random.py).",
        discussion: """
            Make the folder once (about 6 GB, not committed):  python3 Tooling/make_wan13b_random.py
            Then:  kino bench wan --model models-local/wan13b-random --diffusers
            """)

    @Option(help: "The folder written by Tooling/make_wan13b_random.py.") var model = "models-local/wan13b-random"
    @Flag(help: "Re-time diffusers in this run (runs the tooling script's --measure-only; needs torch + diffusers).") var diffusers = false
    @Option(help: "Where to write the report.") var output = "bench/wan-1.3b.md"
    @Option(help: "Worker threads (default: all cores).") var threads: Int?

    func run() async throws {
        if let threads { Compute.threads = threads }
        let folder = URL(fileURLWithPath: model)
        let referencePath = folder.appendingPathComponent("reference.safetensors").path
        guard FileManager.default.fileExists(atPath: referencePath) else {
            throw ValidationError("\(referencePath) not found: run python3 Tooling/make_wan13b_random.py first")
        }
        if diffusers {
            let script = URL(fileURLWithPath: "Tooling/make_wan13b_random.py")
            let p = Process()
            p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            p.arguments = ["python3", script.path, "--measure-only", "--out", folder.path, "--threads", "\(Compute.threads)"]
            try p.run()
            p.waitUntilExit()
            guard p.terminationStatus == 0 else { throw ValidationError("the diffusers measurement failed (exit \(p.terminationStatus))") }
        }
        let report = try await runOnThread { () throws -> String in
            let loadStart = Date()
            let transformer = try WanTransformer(directory: folder.appendingPathComponent("transformer"))
            let loadSeconds = Date().timeIntervalSince(loadStart)
            let reference = try SafeTensorsFile(path: referencePath)
            let context = transformer.textContext(try reference.tensor("encoder_hidden_states"))
            let timing = try? JSONSerialization.jsonObject(with: Data(contentsOf: folder.appendingPathComponent("reference_timing.json"))) as? [String: Any]
            let torchRuns = (timing?["forwards"] as? [[String: Any]]) ?? []
            var lines = ["# Wan2.1-T2V-1.3B (random weights): Kino vs diffusers", "",
                         "`kino bench wan` on \(Measure.cpuDescription()), \(Compute.threads) threads, fp32, \(Date().formatted(.iso8601)).",
                         "Folder: `\(folder.path)` (Tooling/make_wan13b_random.py; \(transformer.configuration.numLayers) layers, dim \(transformer.configuration.innerDim)).",
                         "One transformer forward at t = 757 on the same latents and text embeddings; Kino loads in \(String(format: "%.2f", loadSeconds)) s (memory-mapped).", "",
                         "| video tokens | Kino s | diffusers s | Kino / diffusers | max rel. error vs diffusers | Kino peak RSS MB | diffusers peak RSS MB |",
                         "|---|---|---|---|---|---|---|"]
            for tokens in [320, 1280] {
                let latents = try reference.tensor("latents_\(tokens)")
                var output = try transformer(latents, timesteps: [757], context: context)  // warm-up (page-in)
                let start = Date()
                output = try transformer(latents, timesteps: [757], context: context)
                let seconds = Date().timeIntervalSince(start)
                let error = output.relativeError(to: try reference.tensor("output_\(tokens)"))
                let torch = torchRuns.first { ($0["video_tokens"] as? Int) == tokens }
                let torchSeconds = torch?["seconds"] as? Double
                let torchRSS = torch?["peak_rss_mib_after"] as? Double
                lines.append("| \(tokens) | \(String(format: "%.2f", seconds)) | \(torchSeconds.map { String(format: "%.2f", $0) } ?? "n/a") | "
                             + "\(torchSeconds.map { String(format: "%.2f", seconds / $0) } ?? "n/a") | \(String(format: "%.1e", error)) | "
                             + "\(Measure.residentBytes().peak / 1_000_000) | \(torchRSS.map { String(format: "%.0f", $0 * 1.048576) } ?? "n/a") |")
            }
            lines += ["", "diffusers numbers come from `reference_timing.json` (written by the tooling script\(diffusers ? " in this run" : "; pass --diffusers to re-time it in the same run")).",
                      "The timed diffusers run had load average \(torchRuns.first?["loadavg_1min"] as? Double ?? .nan); Kino's ran at \(String(format: "%.2f", Self.loadAverage())).", ""]
            return lines.joined(separator: "\n")
        }
        try FileManager.default.createDirectory(atPath: (output as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try report.write(toFile: output, atomically: true, encoding: .utf8)
        print(report)
    }

    static func loadAverage() -> Double {
        let text = (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8)) ?? ""
        return Double(text.split(separator: " ").first ?? "") ?? .nan
    }
}
