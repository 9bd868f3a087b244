import Foundation
import KinoTensor

/// `transformer/config.json` of a diffusers `WanTransformer3DModel`.
public struct WanTransformerConfiguration: Codable, Sendable, Equatable {
    public var patchSize: [Int] = [1, 2, 2]
    public var numAttentionHeads: Int = 12
    public var attentionHeadDim: Int = 128
    public var inChannels: Int = 16
    public var outChannels: Int = 16
    public var textDim: Int = 4096
    public var freqDim: Int = 256
    public var ffnDim: Int = 8960
    public var numLayers: Int = 30
    public var crossAttnNorm: Bool = true
    public var qkNorm: String? = "rms_norm_across_heads"
    public var eps: Float = 1e-6
    public var imageDim: Int?
    public var addedKvProjDim: Int?
    public var ropeMaxSeqLen: Int = 1024

    enum CodingKeys: String, CodingKey {
        case patchSize = "patch_size", numAttentionHeads = "num_attention_heads", attentionHeadDim = "attention_head_dim"
        case inChannels = "in_channels", outChannels = "out_channels", textDim = "text_dim", freqDim = "freq_dim"
        case ffnDim = "ffn_dim", numLayers = "num_layers", crossAttnNorm = "cross_attn_norm", qkNorm = "qk_norm", eps
        case imageDim = "image_dim", addedKvProjDim = "added_kv_proj_dim", ropeMaxSeqLen = "rope_max_seq_len"
    }

    public init() {}

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = WanTransformerConfiguration()
        patchSize = try c.decodeIfPresent([Int].self, forKey: .patchSize) ?? d.patchSize
        numAttentionHeads = try c.decodeIfPresent(Int.self, forKey: .numAttentionHeads) ?? d.numAttentionHeads
        attentionHeadDim = try c.decodeIfPresent(Int.self, forKey: .attentionHeadDim) ?? d.attentionHeadDim
        inChannels = try c.decodeIfPresent(Int.self, forKey: .inChannels) ?? d.inChannels
        outChannels = try c.decodeIfPresent(Int.self, forKey: .outChannels) ?? inChannels
        textDim = try c.decodeIfPresent(Int.self, forKey: .textDim) ?? d.textDim
        freqDim = try c.decodeIfPresent(Int.self, forKey: .freqDim) ?? d.freqDim
        ffnDim = try c.decodeIfPresent(Int.self, forKey: .ffnDim) ?? d.ffnDim
        numLayers = try c.decodeIfPresent(Int.self, forKey: .numLayers) ?? d.numLayers
        crossAttnNorm = try c.decodeIfPresent(Bool.self, forKey: .crossAttnNorm) ?? d.crossAttnNorm
        qkNorm = try c.decodeIfPresent(String.self, forKey: .qkNorm)
        eps = try c.decodeIfPresent(Float.self, forKey: .eps) ?? d.eps
        imageDim = try c.decodeIfPresent(Int.self, forKey: .imageDim)
        addedKvProjDim = try c.decodeIfPresent(Int.self, forKey: .addedKvProjDim)
        ropeMaxSeqLen = try c.decodeIfPresent(Int.self, forKey: .ropeMaxSeqLen) ?? d.ropeMaxSeqLen
    }

    public var innerDim: Int { numAttentionHeads * attentionHeadDim }
}

/// Self- or cross-attention of a Wan block: q/k RMS-normalised across all heads, RoPE on self-attention only.
struct WanAttention: Sendable {
    let toQ, toK, toV, toOut: Linear
    let normQ, normK: RMSNorm?
    let heads: Int

    init(_ p: ParameterReader, dim: Int, heads: Int, qkNorm: Bool, eps: Float) {
        toQ = Linear(p, "to_q", in: dim, out: dim)
        toK = Linear(p, "to_k", in: dim, out: dim)
        toV = Linear(p, "to_v", in: dim, out: dim)
        toOut = Linear(p, "to_out.0", in: dim, out: dim)
        normQ = qkNorm ? RMSNorm(p, "norm_q", dim: dim, eps: eps) : nil
        normK = qkNorm ? RMSNorm(p, "norm_k", dim: dim, eps: eps) : nil
        self.heads = heads
    }

    /// Keys and values of a context (cacheable per prompt for cross-attention).
    func keysValues(_ context: Tensor) -> (Tensor, Tensor) {
        var k = toK(context)                                              // [B, M, dim]
        if let normK { k = normK(k) }
        let v = toV(context)
        return (k.reshaped([k.shape[0], k.shape[1], heads, -1]), v.reshaped([v.shape[0], v.shape[1], heads, -1]))  // [B, M, H, D]
    }

    func callAsFunction(_ x: Tensor, keysValues kv: (Tensor, Tensor), rotary: (cos: Tensor, sin: Tensor)?) -> Tensor {
        var q = toQ(x)                                                    // [B, N, dim]
        if let normQ { q = normQ(q) }
        q = q.reshaped([x.shape[0], x.shape[1], heads, -1])               // [B, N, H, D]
        var (k, v) = kv
        if let rotary {
            q = q.applyingRotary(cos: rotary.cos, sin: rotary.sin)
            k = k.applyingRotary(cos: rotary.cos, sin: rotary.sin)
        }
        // With bf16 weights on a CPU that multiplies bf16 natively, attention's products run in bf16 too (as
        // PyTorch's bf16 attention): at real sizes attention is half of a forward (bench/real-scale.md).
        if toQ.weight.dtype == .bf16, BF16GEMM.path == .native {
            (q, k, v) = (q.converted(to: .bf16), k.converted(to: .bf16), v.converted(to: .bf16))
        }
        let o = Tensor.attention(query: q, key: k, value: v)              // [B, N, H, D]
        return toOut(o.reshaped([x.shape[0], x.shape[1], -1]))            // [B, N, dim]
    }
}

/// One Wan DiT block (diffusers naming: norm2 = cross-attention norm, norm3 = FFN norm).
struct WanBlock: Sendable {
    let selfAttention, crossAttention: WanAttention
    let crossNorm: LayerNorm
    let ffnIn, ffnOut: Linear
    let modulation: Tensor                                                // [1, 6, dim]
    let eps: Float
    let hasCrossNorm: Bool

    init(_ p: ParameterReader, _ c: WanTransformerConfiguration) {
        let dim = c.innerDim
        let qk = c.qkNorm != nil
        selfAttention = WanAttention(p.scope("attn1"), dim: dim, heads: c.numAttentionHeads, qkNorm: qk, eps: c.eps)
        crossAttention = WanAttention(p.scope("attn2"), dim: dim, heads: c.numAttentionHeads, qkNorm: qk, eps: c.eps)
        crossNorm = c.crossAttnNorm ? LayerNorm(p, "norm2", dim: dim, eps: c.eps) : LayerNorm(eps: 0)
        ffnIn = Linear(p, "ffn.net.0.proj", in: dim, out: c.ffnDim)
        ffnOut = Linear(p, "ffn.net.2", in: c.ffnDim, out: dim)
        modulation = p("scale_shift_table", shape: [1, 6, dim]).toF32()
        eps = c.eps
        hasCrossNorm = c.crossAttnNorm
    }

    /// x [B, N, dim]; timeProjection [B, 6, dim], or [B, F, 6, dim] with one timestep per latent frame (the
    /// N tokens are then F groups of N/F, frame by frame); crossKV from `crossAttention.keysValues(text)`.
    func callAsFunction(_ x: Tensor, timeProjection: Tensor, crossKV: (Tensor, Tensor), rotary: (cos: Tensor, sin: Tensor)) -> Tensor {
        let mod = modulation + timeProjection                             // [B, (F,) 6, dim]
        let axis = mod.rank - 2
        func part(_ i: Int) -> Tensor { mod.sliced(axis: axis, i..<(i + 1)) } // [B, (F,) 1, dim]
        // Per-frame modulation broadcasts over each frame's tokens: [B, N, dim] viewed as [B, F, N/F, dim].
        let (b, n, dim) = (x.shape[0], x.shape[1], x.shape[2])
        func grouped(_ t: Tensor) -> Tensor { axis == 1 ? t : t.reshaped([b, mod.shape[1], n / mod.shape[1], dim]) }
        func flat(_ t: Tensor) -> Tensor { axis == 1 ? t : t.reshaped([b, n, dim]) }
        var h = x
        let n1 = flat(grouped(h).modulatedLayerNorm(eps: eps, shift: part(0), scale: part(1)))
        let a = selfAttention(n1, keysValues: selfAttention.keysValues(n1), rotary: rotary)
        h = h + flat(grouped(a) * part(2))
        let normed = hasCrossNorm ? crossNorm(h) : h
        h = h + crossAttention(normed, keysValues: crossKV, rotary: nil)
        let f = ffnOut(ffnIn(flat(grouped(h).modulatedLayerNorm(eps: eps, shift: part(3), scale: part(4)))).geluTanh())
        h = h + flat(grouped(f) * part(5))
        return h
    }
}
