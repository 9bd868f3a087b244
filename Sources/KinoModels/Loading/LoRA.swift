import Foundation
import KinoTensor

/// A LoRA (or weight-diff) file for the Wan transformer, in any of the common key formats:
/// - diffusers / PEFT: `transformer.blocks.0.attn1.to_q.lora_A.weight`, `…lora_B.weight` (scale 1);
/// - original Wan / ComfyUI: `diffusion_model.blocks.0.self_attn.q.lora_down.weight`, `…lora_up.weight`, `…alpha`;
/// - kohya: `lora_unet_blocks_0_self_attn_q.lora_down.weight`, `…lora_up.weight`, `…alpha`;
/// plus full diffs `….diff` (weights) and `….diff_b` (biases) as step-distilled Wan LoRAs ship them.
/// Each pair adds `weight · (alpha / rank) · B·A` to the matching diffusers parameter (alpha absent: scale 1),
/// exactly what diffusers' `load_lora_weights` + `set_adapters(weights)` computes, merged once at load.
public struct LoRAAdapter: Sendable {
    /// The file it came from (for messages).
    public let path: String
    /// The user's multiplier (diffusers' adapter weight).
    public let weight: Float
    /// diffusers parameter key (e.g. `blocks.0.attn1.to_q.weight`) -> change to add, already scaled.
    let deltas: [String: Delta]

    enum Delta: Sendable {
        case lowRank(down: Tensor, up: Tensor, scale: Float)          // A [r, in], B [out, r]
        case full(Tensor)                                             // same shape as the parameter
    }

    public var targetKeys: [String] { deltas.keys.sorted() }

    /// Reads a LoRA safetensors file. `weight` scales the whole adapter (1 = as trained).
    public init(path: String, weight: Float = 1) throws {
        guard weight.isFinite else { throw ModelError.invalidInput("LoRA weight for \(path) must be a finite number") }
        let file = try Self.open(path)
        var groups: [String: [String: String]] = [:]                  // module -> role -> key
        var problems: [String] = []
        for key in file.names {
            guard let (module, role) = Self.split(key) else {
                problems.append("'\(key)' is not a LoRA tensor (expected …lora_A/lora_B, lora_down/lora_up, alpha, diff or diff_b)")
                continue
            }
            guard let target = Self.diffusersModule(module) else {
                problems.append("'\(key)' names module '\(module)', which is not a Wan transformer module Kino knows")
                continue
            }
            groups[target, default: [:]][role] = key
        }
        var deltas: [String: Delta] = [:]
        for (module, roles) in groups {
            if let downKey = roles["down"], let upKey = roles["up"] {
                let down = try file.tensor(downKey).toF32(), up = try file.tensor(upKey).toF32()
                guard down.rank == 2, up.rank == 2, up.shape[1] == down.shape[0] else {
                    problems.append("'\(downKey)' \(down.shape) and '\(upKey)' \(up.shape) are not a rank-r pair [r, in], [out, r]")
                    continue
                }
                var scale: Float = 1
                if let alphaKey = roles["alpha"] {
                    let alpha = try file.tensor(alphaKey).toF32().scalars
                    guard alpha.count == 1 else { problems.append("'\(alphaKey)' must hold one number"); continue }
                    scale = alpha[0] / Float(down.shape[0])
                }
                deltas[module + ".weight"] = .lowRank(down: down, up: up, scale: scale * weight)
            } else if roles["down"] != nil || roles["up"] != nil {
                problems.append("module '\(module)' has only one of its two LoRA matrices")
            }
            if let diffKey = roles["diff"] { deltas[module + ".weight"] = .full(try file.tensor(diffKey).toF32() * weight) }
            if let biasKey = roles["diff_b"] { deltas[module + ".bias"] = .full(try file.tensor(biasKey).toF32() * weight) }
        }
        if !problems.isEmpty { throw ModelError.weightMismatch(file: path, problems: problems.sorted().map(WeightProblem.adapter)) }
        guard !deltas.isEmpty else { throw ModelError.invalidInput("\(path) holds no LoRA tensors") }
        self.path = path
        self.weight = weight
        self.deltas = deltas
    }

    private static func open(_ path: String) throws -> SafeTensorsFile {
        do { return try SafeTensorsFile(path: path) } catch { throw ModelError.unreadableWeights(error) }
    }

    /// The change to add to parameter `key` of shape `shape`, or nil when this adapter does not touch it.
    func delta(for key: String, shape: [Int]) throws -> Tensor? {
        guard let d = deltas[key] else { return nil }
        let change: Tensor
        switch d {
        case .lowRank(let down, let up, let scale):
            // B·A = up [out, r] · down [r, in]; linear(x, W) computes x·Wᵀ, so pass downᵀ [in, r].
            change = up.linear(down.transposed(0, 1).contiguous()) * scale
        case .full(let t):
            change = t
        }
        guard change.shape == shape else {
            throw ModelError.weightMismatch(file: path, problems: [.adapter(
                "the change for '\(key)' has shape \(change.shape) but the model's parameter is \(shape): the LoRA was made for another model size")])
        }
        return change
    }

    /// Splits a key into (module, role): role is down, up, alpha, diff or diff_b.
    static func split(_ key: String) -> (String, String)? {
        let suffixes: [(String, String)] = [(".lora_A.weight", "down"), (".lora_B.weight", "up"), (".lora_down.weight", "down"),
                                            (".lora_up.weight", "up"), (".lora_A.default.weight", "down"),
                                            (".lora_B.default.weight", "up"), (".alpha", "alpha"), (".diff_b", "diff_b"), (".diff", "diff")]
        for (suffix, role) in suffixes where key.hasSuffix(suffix) {
            return (String(key.dropLast(suffix.count)), role)
        }
        return nil
    }

    /// Original Wan module names (inside a block and at the top level) -> diffusers names.
    static let blockModules: [String: String] = [
        "self_attn.q": "attn1.to_q", "self_attn.k": "attn1.to_k", "self_attn.v": "attn1.to_v", "self_attn.o": "attn1.to_out.0",
        "cross_attn.q": "attn2.to_q", "cross_attn.k": "attn2.to_k", "cross_attn.v": "attn2.to_v", "cross_attn.o": "attn2.to_out.0",
        "self_attn.norm_q": "attn1.norm_q", "self_attn.norm_k": "attn1.norm_k",
        "cross_attn.norm_q": "attn2.norm_q", "cross_attn.norm_k": "attn2.norm_k",
        "ffn.0": "ffn.net.0.proj", "ffn.2": "ffn.net.2", "norm3": "norm2", "modulation": "scale_shift_table"]
    static let topModules: [String: String] = [
        "text_embedding.0": "condition_embedder.text_embedder.linear_1", "text_embedding.2": "condition_embedder.text_embedder.linear_2",
        "time_embedding.0": "condition_embedder.time_embedder.linear_1", "time_embedding.2": "condition_embedder.time_embedder.linear_2",
        "time_projection.1": "condition_embedder.time_proj", "head.head": "proj_out", "patch_embedding": "patch_embedding"]

    /// Maps a module name in any supported format to the diffusers module name, or nil.
    public static func diffusersModule(_ raw: String) -> String? {
        var name = raw
        for prefix in ["base_model.model.", "transformer.", "model.diffusion_model.", "diffusion_model."] where name.hasPrefix(prefix) {
            name = String(name.dropFirst(prefix.count))
        }
        if name.hasPrefix("lora_unet_") { return kohyaModule(String(name.dropFirst("lora_unet_".count))) }
        let parts = name.split(separator: ".", maxSplits: 2).map(String.init)
        if parts.count == 3, parts[0] == "blocks", Int(parts[1]) != nil {
            let inner = parts[2]
            if let mapped = blockModules[inner] { return "blocks.\(parts[1]).\(mapped)" }
            if Set(blockModules.values).contains(inner) { return name }    // already diffusers naming
            return nil
        }
        if let mapped = topModules[name] { return mapped }
        if Set(topModules.values).contains(name) { return name }
        return nil
    }

    /// kohya flattens dots to underscores: `blocks_0_self_attn_q`, `text_embedding_0`.
    static func kohyaModule(_ flat: String) -> String? {
        if flat.hasPrefix("blocks_") {
            let rest = flat.dropFirst("blocks_".count)
            guard let underscore = rest.firstIndex(of: "_"), let block = Int(rest[..<underscore]) else { return nil }
            let inner = String(rest[rest.index(after: underscore)...])
            guard let mapped = blockModules.first(where: { $0.key.replacingOccurrences(of: ".", with: "_") == inner })?.value else { return nil }
            return "blocks.\(block).\(mapped)"
        }
        return topModules.first(where: { $0.key.replacingOccurrences(of: ".", with: "_") == flat })?.value
    }
}

/// The adapters merged into one component while it loads; reports adapter keys no parameter matched.
public final class WeightPatches {
    let adapters: [LoRAAdapter]
    private(set) var applied: Set<String> = []

    public init(_ adapters: [LoRAAdapter]) { self.adapters = adapters }

    /// `tensor` with every adapter's change for `key` added (f32), or nil when no adapter touches `key`.
    func patched(_ key: String, _ tensor: Tensor) throws -> Tensor? {
        var result: Tensor?
        for adapter in adapters {
            guard let change = try adapter.delta(for: key, shape: tensor.shape) else { continue }
            result = (result ?? tensor.toF32()) + change
            applied.insert(key)
        }
        return result
    }

    /// Adapter targets that the model never loaded (a LoRA for another architecture or size).
    var unmatched: [String] {
        adapters.flatMap { a in a.targetKeys.filter { !applied.contains($0) }.map { "LoRA \(a.path): no parameter '\($0)' in this model" } }
    }
}
