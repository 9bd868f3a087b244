import Foundation

/// LoRA key formats -> diffusers parameters, following diffusers' `_convert_non_diffusers_wan_lora_to_diffusers`
/// (loaders/lora_conversion_utils.py) for what is merged and what is dropped, and lightx2v's loader for `diff_m`.
extension LoRAAdapter {
    /// What one tensor of a LoRA file is.
    enum Role: Sendable, Hashable {
        case down, up, alpha
        /// `.diff`: a full change of the weight (or of the modulation for `diff_m`).
        case diff
        /// `.diff_b`: a change of the bias.
        case diffBias
    }

    /// A tensor of the file that is read but not merged, and why.
    public struct IgnoredKey: Sendable, Equatable, CustomStringConvertible {
        public let key: String
        public let reason: String
        public var description: String { "\(key): \(reason)" }
    }

    /// How `key` is used: merged into `module` (diffusers name) in `role`, ignored (as diffusers ignores it), or
    /// not understood (the message names the key). `hasTimeProjectionWeight`: the file has a `time_projection…weight`.
    enum KeyUse: Equatable {
        case merge(module: String, role: Role)
        case ignore(reason: String)
        case unknown(String)
    }

    static let normDiffReason = "1-D norm diff (diffusers drops every norm .diff/.diff_b: they are zero in the published files)"
    static let timeProjectionReason = "time_projection diff without time_projection LoRA weights (diffusers drops it)"
    static let otherDiffReason = "full-weight .diff on a module other than head.head (diffusers ignores it)"

    static func use(of key: String, hasTimeProjectionWeight: Bool) -> KeyUse {
        guard let (raw, role) = split(key) else {
            return .unknown("'\(key)' is not a LoRA tensor (expected …lora_A/lora_B, lora_down/lora_up, alpha, diff, diff_b or diff_m)")
        }
        let isDiff = role == .diff || role == .diffBias
        if isDiff && raw.contains("norm") { return .ignore(reason: normDiffReason) }
        if raw.contains("time_projection") && !hasTimeProjectionWeight { return .ignore(reason: timeProjectionReason) }
        guard let module = diffusersModule(raw) else {
            // diffusers ignores every diff it has no handler for (for example patch_embedding.diff_b).
            if isDiff { return .ignore(reason: "diff on '\(raw)', a module diffusers has no diff handler for (it ignores it)") }
            return .unknown("'\(key)' names module '\(raw)', which is not a Wan transformer module Kino knows")
        }
        if role == .diff && module != "proj_out" && !isModulation(module) { return .ignore(reason: otherDiffReason) }
        return .merge(module: module, role: role)
    }

    /// Splits a key into (module, role). `blocks.N.diff_m` becomes (`blocks.N.modulation`, diff).
    static func split(_ key: String) -> (String, Role)? {
        if key.hasSuffix(".diff_m") { return (String(key.dropLast(".diff_m".count)) + ".modulation", .diff) }
        let suffixes: [(String, Role)] = [(".lora_A.weight", .down), (".lora_B.weight", .up), (".lora_down.weight", .down),
                                          (".lora_up.weight", .up), (".lora_A.default.weight", .down),
                                          (".lora_B.default.weight", .up), (".alpha", .alpha), (".diff_b", .diffBias), (".diff", .diff)]
        for (suffix, role) in suffixes where key.hasSuffix(suffix) {
            return (String(key.dropLast(suffix.count)), role)
        }
        return nil
    }

    /// The block modulation (`blocks.N.scale_shift_table`) is a parameter itself, not a module with a weight.
    static func isModulation(_ module: String) -> Bool { module.hasSuffix(".scale_shift_table") }

    /// The parameter a role changes: `module.weight` / `module.bias`, or the modulation table itself.
    static func parameter(_ module: String, bias: Bool) -> String {
        isModulation(module) ? module : module + (bias ? ".bias" : ".weight")
    }

    /// Original Wan module names (inside a block and at the top level) -> diffusers names. `k_img`/`v_img` and
    /// `img_emb` exist only in image-to-video models; on a text-to-video model they fail with the key named.
    static let blockModules: [String: String] = [
        "self_attn.q": "attn1.to_q", "self_attn.k": "attn1.to_k", "self_attn.v": "attn1.to_v", "self_attn.o": "attn1.to_out.0",
        "cross_attn.q": "attn2.to_q", "cross_attn.k": "attn2.to_k", "cross_attn.v": "attn2.to_v", "cross_attn.o": "attn2.to_out.0",
        "cross_attn.k_img": "attn2.add_k_proj", "cross_attn.v_img": "attn2.add_v_proj",
        "ffn.0": "ffn.net.0.proj", "ffn.2": "ffn.net.2", "modulation": "scale_shift_table"]
    static let topModules: [String: String] = [
        "text_embedding.0": "condition_embedder.text_embedder.linear_1", "text_embedding.2": "condition_embedder.text_embedder.linear_2",
        "time_embedding.0": "condition_embedder.time_embedder.linear_1", "time_embedding.2": "condition_embedder.time_embedder.linear_2",
        "time_projection.1": "condition_embedder.time_proj", "head.head": "proj_out",
        "img_emb.proj.1": "condition_embedder.image_embedder.ff.net.0.proj", "img_emb.proj.3": "condition_embedder.image_embedder.ff.net.2"]

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
