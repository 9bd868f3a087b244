import ArgumentParser
import Foundation
import KinoModels
import KinoTensor

/// Times one Wan transformer forward on random weights of a given shape (a quick profile for engine work).
struct BenchTransformer: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "transformer",
        abstract: "Time one Wan transformer forward with random weights (1.3B shapes by default).")

    @Option(help: "Transformer layers (the 1.3B model has 30).") var layers = 2
    @Option(help: "Video tokens: 320 (128x128x17) or 1280 (256x256x17).") var tokens = 1280
    @Option(help: "Weight dtype: f32, bf16 or f16.") var dtype = "f32"
    @Option(help: "Worker threads (default: all cores).") var threads: Int?
    @Option(help: "Timed repeats after one warm-up.") var repeats = 2

    func run() async throws {
        if let threads { Compute.threads = threads }
        guard let weightType = DType(rawValue: dtype) else { throw ValidationError("--dtype must be f32, bf16 or f16") }
        guard tokens == 320 || tokens == 1280 else { throw ValidationError("--tokens must be 320 or 1280") }
        let (layers, tokens, repeats) = (layers, tokens, repeats)
        let line = try await runOnThread {
            var c = WanTransformerConfiguration()
            c.numLayers = layers
            let model = try RandomWan.transformer(c, dtype: weightType, seed: 1)
            let side = tokens == 320 ? 16 : 32
            var g = SeededGenerator(seed: 2)
            let latents = Tensor.randomNormal([1, 16, 5, side, side], using: &g)
            let text = Tensor.randomNormal([1, 512, 4096], using: &g)
            let context = model.textContext(text)
            let seconds = Measure.best(repeats: repeats) { _ = try? model(latents, timesteps: [757], context: context) }
            let n = Double(tokens)
            let flops = Double(layers) / 30 * (2.6e9 * n + 1.84e5 * n * n)
            return String(format: "layers %d, %d tokens, %@ weights: %.3f s per forward (%.2f s per layer), %.1f GFLOP/s, peak RSS %d MB",
                          layers, tokens, weightType.rawValue, seconds, seconds / Double(layers), flops / seconds / 1e9,
                          Measure.residentBytes().peak / 1_000_000)
        }
        print(line)
    }
}

/// Random-weight Wan components for benchmarks (normal(0, 0.02) weights, like an untrained model).
enum RandomWan {
    static func transformer(_ c: WanTransformerConfiguration, dtype: DType, seed: UInt64) throws -> WanTransformer {
        let dim = c.innerDim
        var shapes: [String: [Int]] = [
            "patch_embedding.weight": [dim, c.inChannels] + c.patchSize, "patch_embedding.bias": [dim],
            "condition_embedder.time_embedder.linear_1.weight": [dim, c.freqDim], "condition_embedder.time_embedder.linear_1.bias": [dim],
            "condition_embedder.time_embedder.linear_2.weight": [dim, dim], "condition_embedder.time_embedder.linear_2.bias": [dim],
            "condition_embedder.time_proj.weight": [6 * dim, dim], "condition_embedder.time_proj.bias": [6 * dim],
            "condition_embedder.text_embedder.linear_1.weight": [dim, c.textDim], "condition_embedder.text_embedder.linear_1.bias": [dim],
            "condition_embedder.text_embedder.linear_2.weight": [dim, dim], "condition_embedder.text_embedder.linear_2.bias": [dim],
            "scale_shift_table": [1, 2, dim], "proj_out.weight": [c.outChannels * 4, dim], "proj_out.bias": [c.outChannels * 4],
        ]
        for i in 0..<c.numLayers {
            let b = "blocks.\(i)."
            for a in ["attn1", "attn2"] {
                for p in ["to_q", "to_k", "to_v", "to_out.0"] {
                    shapes[b + a + "." + p + ".weight"] = [dim, dim]
                    shapes[b + a + "." + p + ".bias"] = [dim]
                }
                shapes[b + a + ".norm_q.weight"] = [dim]
                shapes[b + a + ".norm_k.weight"] = [dim]
            }
            shapes[b + "norm2.weight"] = [dim]
            shapes[b + "norm2.bias"] = [dim]
            shapes[b + "ffn.net.0.proj.weight"] = [c.ffnDim, dim]
            shapes[b + "ffn.net.0.proj.bias"] = [c.ffnDim]
            shapes[b + "ffn.net.2.weight"] = [dim, c.ffnDim]
            shapes[b + "ffn.net.2.bias"] = [dim]
            shapes[b + "scale_shift_table"] = [1, 6, dim]
        }
        var g = SeededGenerator(seed: seed)
        var tensors: [String: Tensor] = [:]
        for (name, shape) in shapes.sorted(by: { $0.key < $1.key }) {
            let isNorm = name.contains("norm") && name.hasSuffix(".weight")
            let t = isNorm ? Tensor(shape: shape, repeating: 1) : Tensor.randomNormal(shape, using: &g) * 0.02
            tensors[name] = t.converted(to: dtype)
        }
        return try WanTransformer(configuration: c, weights: WeightStore(component: "transformer", tensors: tensors))
    }
}
