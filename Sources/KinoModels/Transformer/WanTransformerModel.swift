import Foundation
import KinoTensor

/// The Wan 2.1 diffusion transformer (diffusers `WanTransformer3DModel`, text-to-video variant).
public struct WanTransformer: Sendable {
    public let configuration: WanTransformerConfiguration
    let patchEmbedding: Tensor, patchBias: Tensor                     // [dim, Cin, pt, ph, pw], [dim]
    let timeIn, timeOut, timeProjection: Linear
    let textIn, textOut: Linear
    let blocks: [WanBlock]
    let outModulation: Tensor                                         // [1, 2, dim]
    let projectionOut: Linear
    let weights: WeightStore

    /// Loads from a diffusers `transformer/` folder. `dtype` converts weights at load (nil: as stored);
    /// `loras` are merged into the weights they target (see `LoRAAdapter`).
    /// Drops the memory-mapped weights from the resident set when they are large, once a clip's denoising is
    /// done, so the VAE decode does not run beside gigabytes of idle transformer weights.
    public func releaseResidentPages() { weights.releaseResidentPages() }

    /// Whether TeaCache's published coefficients apply: they were fitted on Wan 2.1 1.3B (dim 1536, 30 blocks).
    public var matchesTeaCacheCoefficients: Bool { configuration.innerDim == 1536 && configuration.numLayers == 30 }

    public init(directory: URL, dtype: DType? = nil, loras: [LoRAAdapter] = []) throws {
        let configURL = directory.appendingPathComponent("config.json")
        let configuration = try ConfigFile.decode(WanTransformerConfiguration.self, from: configURL)
        try self.init(configuration: configuration, weights: WeightStore(directory: directory, component: "transformer"),
                      dtype: dtype, loras: loras)
    }

    public init(configuration c: WanTransformerConfiguration, weights: WeightStore, dtype: DType? = nil,
                loras: [LoRAAdapter] = []) throws {
        guard c.imageDim == nil, c.addedKvProjDim == nil else {
            throw ModelError.invalidInput("image-to-video Wan transformers (image_dim / added_kv_proj_dim) are not supported yet")
        }
        guard c.patchSize.count == 3, c.innerDim > 0, c.attentionHeadDim % 2 == 0 else {
            throw ModelError.invalidInput("transformer config: patch_size must have 3 entries and attention_head_dim must be even")
        }
        let p = ParameterReader(weights, dtype: dtype, patches: loras.isEmpty ? nil : WeightPatches(loras))
        let dim = c.innerDim
        configuration = c
        self.weights = weights
        patchEmbedding = p("patch_embedding.weight", shape: [dim, c.inChannels] + c.patchSize).toF32()
        patchBias = p("patch_embedding.bias", shape: [dim]).toF32()
        let cond = p.scope("condition_embedder")
        timeIn = Linear(cond, "time_embedder.linear_1", in: c.freqDim, out: dim)
        timeOut = Linear(cond, "time_embedder.linear_2", in: dim, out: dim)
        timeProjection = Linear(cond, "time_proj", in: dim, out: 6 * dim)
        textIn = Linear(cond, "text_embedder.linear_1", in: c.textDim, out: dim)
        textOut = Linear(cond, "text_embedder.linear_2", in: dim, out: dim)
        blocks = (0..<c.numLayers).map { WanBlock(p.scope("blocks.\($0)"), c) }
        outModulation = p("scale_shift_table", shape: [1, 2, dim]).toF32()
        projectionOut = Linear(p, "proj_out", in: dim, out: c.outChannels * c.patchSize.reduce(1, *))
        try p.finish(ignoringUnexpected: { $0.hasSuffix("norm_added_q.weight") })
        // Converted weights live in memory now; the file pages read to convert them are dead weight.
        if dtype != nil { weights.releaseResidentPages() }
    }

    /// Per-prompt state that does not change between denoising steps: the projected text and every block's
    /// cross-attention keys and values.
    public struct TextContext: @unchecked Sendable {
        let crossKV: [(Tensor, Tensor)]
    }

    /// Projects text embeddings [B, L, textDim] and precomputes the cross-attention keys/values.
    public func textContext(_ textEmbeddings: Tensor) -> TextContext {
        let text = textOut(textIn(textEmbeddings).geluTanh())         // [B, L, dim]
        return TextContext(crossKV: blocks.map { $0.crossAttention.keysValues(text) })
    }

    /// Sinusoidal timestep features [B, freqDim] as diffusers' `Timesteps(flip_sin_to_cos=True, shift=0)`.
    func timestepFeatures(_ timesteps: [Float]) -> Tensor {
        let half = configuration.freqDim / 2
        let scale = Float(-Foundation.log(10_000.0))
        let freqs = (0..<half).map { Foundation.exp(scale * Float($0) / Float(half)) }
        var values: [Float] = []
        for t in timesteps {
            let args = freqs.map { t * $0 }
            values += args.map { Foundation.cos($0) } + args.map { Foundation.sin($0) }
        }
        return Tensor(shape: [timesteps.count, 2 * half], values: values)
    }

    /// Predicts the flow velocity. latents [B, C, F, H, W]; one timestep per batch item (0...1000), or
    /// `frameTimesteps`, one per latent frame (after temporal patching) for every batch item: the per-token
    /// timesteps of Wan 2.2's `expand_timesteps` pipelines, where given (clean) frames run at t = 0.
    /// `cache` lets the call reuse work of earlier steps (see `StepCache`; one per guidance branch).
    public func callAsFunction(_ latents: Tensor, timesteps: [Float], frameTimesteps: [Float]? = nil, context: TextContext,
                               cache: StepCache? = nil, isCancelled: () -> Bool = { false }) throws -> Tensor {
        let c = configuration
        let (b, f, h, w) = (latents.shape[0], latents.shape[2], latents.shape[3], latents.shape[4])
        let (pt, ph, pw) = (c.patchSize[0], c.patchSize[1], c.patchSize[2])
        guard f % pt == 0, h % ph == 0, w % pw == 0, latents.shape[1] == c.inChannels else {
            throw ModelError.invalidInput("latents \(latents.shape) do not fit patch size \(c.patchSize) and \(c.inChannels) channels")
        }
        guard frameTimesteps.map({ $0.count == f / pt }) ?? (timesteps.count == b) else {
            throw ModelError.invalidInput("give one timestep per batch item (\(b)) or one per latent frame (\(f / pt))")
        }
        if let cache, let reused = cache.reuseWholeOutput(latents) { return reused }
        let (fp, hp, wp) = (f / pt, h / ph, w / pw)
        let rotary = Rotary.tables3D(frames: fp, height: hp, width: wp, axisDims: Rotary.wanAxisDims(headDim: c.attentionHeadDim))
        var x = latents.conv3d(weight: patchEmbedding, bias: patchBias, stride: (pt, ph, pw))   // [B, dim, F', H', W']
        x = x.reshaped([b, c.innerDim, fp * hp * wp]).transposed(1, 2).contiguous()             // [B, N, dim]
        // Per-frame timesteps make per-frame embeddings: [B·F', dim], modulating each frame's tokens.
        let steps = frameTimesteps.map { perFrame in (0..<b).flatMap { _ in perFrame } } ?? timesteps
        let temb = timeOut(timeIn(timestepFeatures(steps)).silu())                              // [B(·F'), dim]
        let groups = frameTimesteps == nil ? [b] : [b, fp]
        let tproj = timeProjection(temb.silu()).reshaped(groups + [6, c.innerDim])             // [B, (F',) 6, dim]
        func runBlocks(_ input: Tensor, from start: Int) throws -> Tensor {
            var h = input
            for i in start..<blocks.count {
                if isCancelled() { throw CancellationError() }
                h = blocks[i](h, timeProjection: tproj, crossKV: context.crossKV[i], rotary: rotary)
            }
            return h
        }
        if let cache, !blocks.isEmpty {
            x = try cache.runBlocks(x, embedding: temb,
                                    first: { blocks[0]($0, timeProjection: tproj, crossKV: context.crossKV[0], rotary: rotary) },
                                    rest: { blocks.count > 1 ? try runBlocks($0, from: 1) : $0 })
        } else {
            x = try runBlocks(x, from: 0)
        }
        let mod = outModulation + temb.reshaped(groups + [1, c.innerDim])                      // [B, (F',) 2, dim]
        let axis = mod.rank - 2
        let n = fp * hp * wp
        x = x.reshaped(groups + [n / (groups.count == 1 ? 1 : fp), c.innerDim])
            .modulatedLayerNorm(eps: c.eps, shift: mod.sliced(axis: axis, 0..<1), scale: mod.sliced(axis: axis, 1..<2))
            .reshaped([b, n, c.innerDim])
        x = projectionOut(x)                                                                    // [B, N, pt·ph·pw·Cout]
        // Unpatchify: [B, F', H', W', pt, ph, pw, C] -> [B, C, F'·pt, H'·ph, W'·pw].
        let y = x.reshaped([b, fp, hp, wp, pt, ph, pw, c.outChannels]).permuted([0, 7, 1, 4, 2, 5, 3, 6]).contiguous()
        let out = y.reshaped([b, c.outChannels, f, h, w])
        cache?.finish(input: latents, output: out)
        return out
    }
}

/// JSON config reading with errors that name the file.
public enum ConfigFile {
    public static func decode<T: Decodable>(_ type: T.Type, from url: URL) throws -> T {
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw ModelError.missingFile(path: url.path, hint: "every diffusers component folder needs its config.json")
        }
        return try decode(type, data: data, path: url)
    }

    /// Decodes `data` already read from `url` (for callers that also inspect the raw JSON).
    public static func decode<T: Decodable>(_ type: T.Type, data: Data, path url: URL) throws -> T {
        do {
            return try JSONDecoder().decode(T.self, from: data)
        } catch let DecodingError.typeMismatch(_, context), let DecodingError.valueNotFound(_, context),
                let DecodingError.keyNotFound(_, context), let DecodingError.dataCorrupted(context) {
            let path = context.codingPath.map(\.stringValue).joined(separator: ".")
            throw ModelError.invalidConfig(path: url.path, message: "\(path.isEmpty ? "" : "field '\(path)': ")\(context.debugDescription)")
        } catch {
            throw ModelError.invalidConfig(path: url.path, message: "\(error)")
        }
    }
}
