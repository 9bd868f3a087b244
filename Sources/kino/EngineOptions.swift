import ArgumentParser
import Foundation
import KinoPipeline
import KinoRender
import KinoTensor

/// The engine options every command that renders shares: which model, its weight precision, LoRAs, threads.
struct EngineOptions: ParsableArguments {
    @Option(help: "Model name or diffusers folder (default: kino-tiny; see `kino models`).") var model: String?
    @Option(help: "Weight precision for compute: stored, f32, bf16 or f16 (default: kino.json's precision, else stored).")
    var precision: String?
    @Option(help: "LoRA safetensors to merge into the transformer, PATH or PATH:WEIGHT (repeatable; adds to kino.json's loras; docs/models.md).")
    var lora: [String] = []
    @Option(help: "Compute threads (default: all cores).") var threads: Int?

    func validate() throws {
        if let precision { _ = try WeightPrecision.parse(precision, field: "--precision") }
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1") }
    }

    /// Resolves the model (names are looked up in the data folder's models, then the bundled ones) and applies
    /// the thread count.
    func selection(data: URL? = nil) throws -> ModelSelection {
        if let threads { Compute.threads = threads }
        let folder = try (data.map { ModelLocator(dataDirectory: $0) } ?? ModelLocator()).resolve(model)
        let name = model.map { $0.contains("/") ? folder.lastPathComponent : $0 } ?? ModelLocator.defaultModel
        return ModelSelection(folder: folder, name: name,
                              precision: try precision.map { try WeightPrecision.parse($0, field: "--precision") },
                              loras: try lora.map { try LoRASelection.parse($0) })
    }
}
