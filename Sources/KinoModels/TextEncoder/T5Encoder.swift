import Foundation
import KinoTensor

/// `text_encoder/config.json` of a transformers `UMT5EncoderModel` / `T5EncoderModel`.
public struct T5Configuration: Codable, Sendable, Equatable {
    public var modelType: String = "umt5"
    public var vocabSize: Int = 256_384
    public var dModel: Int = 4096
    public var dKv: Int = 64
    public var dFf: Int = 10_240
    public var numLayers: Int = 24
    public var numHeads: Int = 64
    public var relativeAttentionNumBuckets: Int = 32
    public var relativeAttentionMaxDistance: Int = 128
    public var layerNormEpsilon: Float = 1e-6
    public var feedForwardProj: String = "gated-gelu"

    enum CodingKeys: String, CodingKey {
        case modelType = "model_type", vocabSize = "vocab_size", dModel = "d_model", dKv = "d_kv", dFf = "d_ff"
        case numLayers = "num_layers", numHeads = "num_heads"
        case relativeAttentionNumBuckets = "relative_attention_num_buckets"
        case relativeAttentionMaxDistance = "relative_attention_max_distance"
        case layerNormEpsilon = "layer_norm_epsilon", feedForwardProj = "feed_forward_proj"
    }

    public init() {}

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = T5Configuration()
        modelType = try c.decodeIfPresent(String.self, forKey: .modelType) ?? d.modelType
        vocabSize = try c.decodeIfPresent(Int.self, forKey: .vocabSize) ?? d.vocabSize
        dModel = try c.decodeIfPresent(Int.self, forKey: .dModel) ?? d.dModel
        dKv = try c.decodeIfPresent(Int.self, forKey: .dKv) ?? d.dKv
        dFf = try c.decodeIfPresent(Int.self, forKey: .dFf) ?? d.dFf
        numLayers = try c.decodeIfPresent(Int.self, forKey: .numLayers) ?? d.numLayers
        numHeads = try c.decodeIfPresent(Int.self, forKey: .numHeads) ?? d.numHeads
        relativeAttentionNumBuckets = try c.decodeIfPresent(Int.self, forKey: .relativeAttentionNumBuckets) ?? d.relativeAttentionNumBuckets
        relativeAttentionMaxDistance = try c.decodeIfPresent(Int.self, forKey: .relativeAttentionMaxDistance) ?? d.relativeAttentionMaxDistance
        layerNormEpsilon = try c.decodeIfPresent(Float.self, forKey: .layerNormEpsilon) ?? d.layerNormEpsilon
        feedForwardProj = try c.decodeIfPresent(String.self, forKey: .feedForwardProj) ?? d.feedForwardProj
    }

    /// umT5 has a relative-position bias in every layer; T5 only in the first, shared by the rest.
    var biasInEveryLayer: Bool { modelType == "umt5" }
    var isGated: Bool { feedForwardProj.hasPrefix("gated-") }
}

/// One encoder layer: RMS-normed self-attention with relative-position bias (no 1/sqrt(d) scaling), then a
/// gated-GELU (or ReLU) feed-forward; both residual.
struct T5Layer: Sendable {
    let attentionNorm, ffnNorm: RMSNorm
    let q, k, v, o: Linear
    let relativeBias: Tensor?                                              // [buckets, heads]
    let input: FeedForwardInput
    let wo: Linear

    enum FeedForwardInput: Sendable {
        case gatedGELU(Linear, Linear)
        case relu(Linear)
    }

    init(_ p: ParameterReader, _ c: T5Configuration, hasBias: Bool) {
        let inner = c.numHeads * c.dKv
        let attention = p.scope("layer.0.SelfAttention")
        attentionNorm = RMSNorm(p, "layer.0.layer_norm", dim: c.dModel, eps: c.layerNormEpsilon)
        q = Linear(attention, "q", in: c.dModel, out: inner, bias: false)
        k = Linear(attention, "k", in: c.dModel, out: inner, bias: false)
        v = Linear(attention, "v", in: c.dModel, out: inner, bias: false)
        o = Linear(attention, "o", in: inner, out: c.dModel, bias: false)
        relativeBias = hasBias ? attention("relative_attention_bias.weight", shape: [c.relativeAttentionNumBuckets, c.numHeads]).toF32() : nil
        let ffn = p.scope("layer.1.DenseReluDense")
        ffnNorm = RMSNorm(p, "layer.1.layer_norm", dim: c.dModel, eps: c.layerNormEpsilon)
        input = c.isGated
            ? .gatedGELU(Linear(ffn, "wi_0", in: c.dModel, out: c.dFf, bias: false), Linear(ffn, "wi_1", in: c.dModel, out: c.dFf, bias: false))
            : .relu(Linear(ffn, "wi", in: c.dModel, out: c.dFf, bias: false))
        wo = Linear(ffn, "wo", in: c.dFf, out: c.dModel, bias: false)
    }
}

/// The T5/umT5 encoder stack (encoder only), as used for Wan's text conditioning.
public struct T5Encoder: Sendable {
    public let configuration: T5Configuration
    let embedding: Tensor                                                  // [vocab, dModel]
    let layers: [T5Layer]
    let finalNorm: RMSNorm
    let weights: WeightStore

    public init(directory: URL, dtype: DType? = nil) throws {
        let c = try ConfigFile.decode(T5Configuration.self, from: directory.appendingPathComponent("config.json"))
        try self.init(configuration: c, weights: WeightStore(directory: directory, component: "text_encoder"), dtype: dtype)
    }

    public init(configuration c: T5Configuration, weights: WeightStore, dtype: DType? = nil) throws {
        guard c.isGated ? c.feedForwardProj == "gated-gelu" : c.feedForwardProj == "relu" else {
            throw ModelError.invalidInput("text encoder feed_forward_proj '\(c.feedForwardProj)' is not supported (gated-gelu or relu)")
        }
        let p = ParameterReader(weights, dtype: dtype)
        configuration = c
        self.weights = weights
        embedding = p("shared.weight", shape: [c.vocabSize, c.dModel])
        layers = (0..<c.numLayers).map { T5Layer(p.scope("encoder.block.\($0)"), c, hasBias: c.biasInEveryLayer || $0 == 0) }
        finalNorm = RMSNorm(p, "encoder.final_layer_norm", dim: c.dModel, eps: c.layerNormEpsilon)
        try p.finish(ignoringUnexpected: { $0 == "encoder.embed_tokens.weight" || $0 == "lm_head.weight" })
        // Converted weights live in memory now; the file pages read to convert them are dead weight.
        if dtype != nil { weights.releaseResidentPages() }
    }

    /// Drops the memory-mapped weights from the resident set when they are large (umT5-XXL: 11 GB), after a
    /// clip's prompts are encoded; the next encode faults them back from the page cache.
    public func releaseResidentPages() { weights.releaseResidentPages() }

    /// T5's bidirectional relative-position bucket, computed in f32 as transformers does.
    static func bucket(_ relative: Int, buckets: Int, maxDistance: Int) -> Int {
        let half = buckets / 2
        var result = relative > 0 ? half : 0
        let distance = abs(relative)
        let maxExact = half / 2
        if distance < maxExact { return result + distance }
        let ratio = Foundation.log(Float(distance) / Float(maxExact)) / Float(Foundation.log(Double(maxDistance) / Double(maxExact)))
        let large = maxExact + Int(ratio * Float(half - maxExact))
        result += Swift.min(large, half - 1)
        return result
    }

    /// Bias [heads, n, n] for a sequence of n tokens.
    func positionBias(_ table: Tensor, length n: Int) -> Tensor {
        let c = configuration
        let buckets = (0..<(2 * n - 1)).map { T5Encoder.bucket($0 - (n - 1), buckets: c.relativeAttentionNumBuckets, maxDistance: c.relativeAttentionMaxDistance) }
        return Tensor.relativePositionBias(table: table, buckets: buckets, length: n)  // [heads, n, n]
    }

    /// Encodes one prompt's real tokens (no padding: masked positions never influence real ones) -> [1, n, dModel].
    public func callAsFunction(_ ids: [Int]) throws -> Tensor {
        let c = configuration
        guard !ids.isEmpty else { throw ModelError.invalidInput("the text encoder needs at least one token") }
        if let bad = ids.first(where: { $0 < 0 || $0 >= c.vocabSize }) {
            throw ModelError.invalidInput("token id \(bad) is outside the vocabulary of \(c.vocabSize)")
        }
        let n = ids.count
        let rows = ids.map { embedding.sliced(axis: 0, $0..<($0 + 1)) }
        var x = Tensor.concatenate(rows, axis: 0).reshaped([1, n, c.dModel])   // [1, n, d]
        var bias: Tensor?
        for layer in layers {
            if let table = layer.relativeBias { bias = positionBias(table, length: n) }
            let h = layer.attentionNorm(x)
            let q = layer.q(h).reshaped([n, c.numHeads, c.dKv]).transposed(0, 1)   // [H, n, dkv]
            let k = layer.k(h).reshaped([n, c.numHeads, c.dKv]).permuted([1, 2, 0]) // [H, dkv, n]
            let v = layer.v(h).reshaped([n, c.numHeads, c.dKv]).transposed(0, 1)   // [H, n, dkv]
            var scores = q.matmul(k)                                               // [H, n, n]
            if let bias { scores.add(bias) }
            let attended = scores.softmax().matmul(v).transposed(0, 1).reshaped([1, n, c.numHeads * c.dKv])
            x = x + layer.o(attended)
            let f = layer.ffnNorm(x)
            let hidden: Tensor
            switch layer.input {
            case .gatedGELU(let wi0, let wi1): hidden = wi0(f).geluTanh() * wi1(f)
            case .relu(let wi): hidden = wi(f).map { Swift.max($0, 0) }
            }
            x = x + layer.wo(hidden)
        }
        return finalNorm(x)
    }
}
