import Foundation
import KinoTensor
import Logging

/// A LoRA (or weight-diff) file for the Wan transformer, in any of the common key formats:
/// - diffusers / PEFT: `transformer.blocks.0.attn1.to_q.lora_A.weight`, `…lora_B.weight` (scale 1);
/// - original Wan / ComfyUI / lightx2v: `diffusion_model.blocks.0.self_attn.q.lora_down.weight` (or `lora_A`),
///   `…lora_up.weight` (or `lora_B`), `…alpha`, on the block linears (`k_img`/`v_img` included), `head.head`,
///   `time_projection.1`, `text_embedding.{0,2}`, `time_embedding.{0,2}` and `img_emb.proj.{1,3}`;
/// - kohya: `lora_unet_blocks_0_self_attn_q.lora_down.weight`, `…lora_up.weight`, `…alpha`;
/// plus `….diff_b` (bias changes), `head.head.diff` (a full weight change) and `blocks.N.diff_m` (modulation).
/// Each pair adds `weight · (alpha / rank) · B·A` to the matching diffusers parameter (alpha absent: scale 1),
/// exactly what diffusers' `load_lora_weights` + `set_adapters(weights)` computes, merged once at load.
///
/// What diffusers' Wan converter drops is dropped here too, and listed in `ignoredKeys` (and logged as a
/// warning): 1-D norm diffs (`norm3.diff`, `self_attn.norm_q.diff`, `cross_attn.norm_k_img.diff`, …), `.diff` on
/// modules other than `head.head`, and time_projection diffs without time_projection LoRA weights.
/// One difference from diffusers, on purpose: `blocks.N.diff_m` (and `blocks.N.modulation.diff`) is added to the
/// block's `scale_shift_table`, as lightx2v's own loader does; diffusers has no handler for it and ignores it.
public struct LoRAAdapter: Sendable {
    /// The file it came from (for messages).
    public let path: String
    /// The user's multiplier (diffusers' adapter weight).
    public let weight: Float
    /// Tensors of the file that are not merged, with the reason (diffusers drops them too).
    public let ignoredKeys: [IgnoredKey]
    /// diffusers parameter key (e.g. `blocks.0.attn1.to_q.weight`) -> change to add, already scaled.
    let deltas: [String: Delta]
    /// diffusers parameter key -> the file's key it came from (for messages).
    let sources: [String: String]

    enum Delta: Sendable {
        case lowRank(down: Tensor, up: Tensor, scale: Float)          // A [r, in], B [out, r]
        case full(Tensor)                                             // the parameter's shape (size-1 axes aside)
    }

    public var targetKeys: [String] { deltas.keys.sorted() }

    static let logger = Logger(label: "kino.models.lora")

    /// Reads a LoRA safetensors file. `weight` scales the whole adapter (1 = as trained).
    /// Splits `PATH` or `PATH:WEIGHT` (the `--lora` and kino.json syntax); weight 1 when none is given.
    public static func splitWeight(_ text: String) -> (path: String, weight: Float) {
        if let colon = text.lastIndex(of: ":"), let weight = Float(text[text.index(after: colon)...]) {
            return (String(text[..<colon]), weight)
        }
        return (text, 1)
    }

    public init(path: String, weight: Float = 1) throws {
        guard weight.isFinite else { throw ModelError.invalidInput("LoRA weight for \(path) must be a finite number") }
        let file = try Self.open(path)
        let hasTimeProjectionWeight = file.names.contains { $0.contains("time_projection") && $0.hasSuffix(".weight") }
        var groups: [String: [Role: String]] = [:]                    // diffusers module -> role -> key
        var problems: [String] = []
        var ignored: [IgnoredKey] = []
        for key in file.names.sorted() {
            switch Self.use(of: key, hasTimeProjectionWeight: hasTimeProjectionWeight) {
            case .merge(let module, let role): groups[module, default: [:]][role] = key
            case .ignore(let reason): ignored.append(IgnoredKey(key: key, reason: reason))
            case .unknown(let message): problems.append(message)
            }
        }
        var deltas: [String: Delta] = [:]
        var sources: [String: String] = [:]
        for (module, roles) in groups {
            if let downKey = roles[.down], let upKey = roles[.up] {
                let down = try file.tensor(downKey).toF32(), up = try file.tensor(upKey).toF32()
                guard down.rank == 2, up.rank == 2, up.shape[1] == down.shape[0] else {
                    problems.append("'\(downKey)' \(down.shape) and '\(upKey)' \(up.shape) are not a rank-r pair [r, in], [out, r]")
                    continue
                }
                var scale: Float = 1
                if let alphaKey = roles[.alpha] {
                    let alpha = try file.tensor(alphaKey).toF32().scalars
                    guard alpha.count == 1 else { problems.append("'\(alphaKey)' must hold one number"); continue }
                    scale = alpha[0] / Float(down.shape[0])
                }
                deltas[Self.parameter(module, bias: false)] = .lowRank(down: down, up: up, scale: scale * weight)
                sources[Self.parameter(module, bias: false)] = downKey
            } else if roles[.down] != nil || roles[.up] != nil {
                problems.append("module '\(module)' has only one of its two LoRA matrices")
            }
            // A full diff replaces a pair on the same module (diffusers puts head.head.diff in lora_A's place).
            if let diffKey = roles[.diff] {
                deltas[Self.parameter(module, bias: false)] = .full(try file.tensor(diffKey).toF32() * weight)
                sources[Self.parameter(module, bias: false)] = diffKey
            }
            if let biasKey = roles[.diffBias] {
                guard !Self.isModulation(module) else { problems.append("'\(biasKey)': the modulation has no bias"); continue }
                deltas[Self.parameter(module, bias: true)] = .full(try file.tensor(biasKey).toF32() * weight)
                sources[Self.parameter(module, bias: true)] = biasKey
            }
        }
        if !problems.isEmpty { throw ModelError.weightMismatch(file: path, problems: problems.sorted().map(WeightProblem.adapter)) }
        guard !deltas.isEmpty else {
            throw ModelError.invalidInput("\(path) holds no LoRA tensors Kino merges"
                + (ignored.isEmpty ? "" : "; not merged, as diffusers does not merge them: \(Self.summary(ignored))"))
        }
        if !ignored.isEmpty {
            Self.logger.warning("LoRA \(path): \(ignored.count) tensor(s) not merged, as diffusers does not merge them: \(Self.summary(ignored))")
        }
        self.path = path
        self.weight = weight
        self.ignoredKeys = ignored
        self.deltas = deltas
        self.sources = sources
    }

    /// The ignored keys grouped by reason, a few keys each: `14 × 1-D norm diff: … (key, key, key, …)`.
    static func summary(_ ignored: [IgnoredKey]) -> String {
        Dictionary(grouping: ignored, by: \.reason).sorted { $0.key < $1.key }.map { reason, keys in
            "\(keys.count) × \(reason) (\(keys.prefix(3).map(\.key).joined(separator: ", "))\(keys.count > 3 ? ", …" : ""))"
        }.joined(separator: "; ")
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
            // diff_m may come as [6, dim] for the [1, 6, dim] table: only size-1 axes may differ.
            change = t.shape != shape && t.shape.filter { $0 != 1 } == shape.filter { $0 != 1 } ? t.reshaped(shape) : t
        }
        guard change.shape == shape else {
            throw ModelError.weightMismatch(file: path, problems: [.adapter(
                "the change for '\(key)' (from '\(sources[key] ?? key)') has shape \(change.shape) but the model's parameter is \(shape): the LoRA was made for another model size")])
        }
        return change
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
        adapters.flatMap { a in a.targetKeys.filter { !applied.contains($0) }.map {
            "LoRA \(a.path): no parameter '\($0)' in this model (from '\(a.sources[$0] ?? $0)')"
        } }
    }
}
