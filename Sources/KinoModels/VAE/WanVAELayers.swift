import KinoTensor

// Building blocks of the Wan 2.1 VAE (diffusers' `autoencoder_kl_wan.py`). Activations are channel-first
// [B, C, T, H, W] f32. Every block is built from a `ParameterReader` and a key prefix; the prefixes are written
// once, in `WanVAECoders.swift`.

/// The chunked causal cache (diffusers' `feat_cache` / `feat_idx`). Each causal convolution that sees the
/// stream owns one slot, visited in the same order every chunk; the slot keeps the last `CausalCache.frames`
/// input frames of the previous chunk, which stand in for the convolution's zero padding in front.
struct CausalCache {
    enum Slot {
        /// Not visited yet (the first chunk).
        case empty
        /// A temporal upsample skipped its time convolution on the first chunk (diffusers' "Rep").
        case skippedFirstChunk
        /// The frames kept from the previous chunk.
        case frames(Tensor)
    }

    /// CACHE_T: frames kept per convolution.
    static let frames = 2
    private var slots: [Slot] = []
    private var cursor = 0

    /// Rewinds to the first slot; call before each chunk.
    mutating func startChunk() { cursor = 0 }

    /// The slot of the convolution about to run.
    mutating func current() -> Slot {
        if cursor == slots.count { slots.append(.empty) }
        return slots[cursor]
    }

    /// Replaces the current slot and moves to the next convolution.
    mutating func advance(storing slot: Slot) {
        slots[cursor] = slot
        cursor += 1
    }
}

/// Wan's CausalConv3d: all temporal padding (2·p frames) in front, none behind; spatial padding symmetric.
struct CausalConv3d {
    let bias: Tensor  // [Cout]
    let kernel: (t: Int, h: Int, w: Int)
    let stride: (t: Int, h: Int, w: Int)
    let padding: (t: Int, h: Int, w: Int)
    /// The weight, kept in the one layout its kernel reads (not twice, which would double the VAE's memory).
    enum Form {
        case pointwise(Tensor)  // [Cout, Cin]: 1×1×1 kernels
        case taps(Tensor)  // [kt·kh·kw, Cout, Cin]: other stride-1 kernels (`causalConv3d`)
        case strided(Tensor)  // [Cout, Cin, kt, kh, kw]: strided kernels (KinoTensor's `conv3d`)
    }

    let form: Form

    init(_ w: ParameterReader, _ prefix: String, in cin: Int, out cout: Int, kernel: (Int, Int, Int),
         stride: (Int, Int, Int) = (1, 1, 1), padding: (Int, Int, Int) = (0, 0, 0)) {
        self.init(weight: w("\(prefix).weight", shape: [cout, cin, kernel.0, kernel.1, kernel.2]),
                  bias: w("\(prefix).bias", shape: [cout]), stride: stride, padding: padding)
    }

    /// From tensors already loaded: weight [Cout, Cin, kt, kh, kw], bias [Cout].
    init(weight: Tensor, bias: Tensor, stride: (Int, Int, Int) = (1, 1, 1), padding: (Int, Int, Int) = (0, 0, 0)) {
        self.bias = bias
        self.stride = stride
        self.padding = padding
        let (cout, cin) = (weight.shape[0], weight.shape[1])
        kernel = (weight.shape[2], weight.shape[3], weight.shape[4])
        let taps = kernel.t * kernel.h * kernel.w
        if stride != (1, 1, 1) {
            form = .strided(weight)
        } else if taps == 1 && padding == (0, 0, 0) {
            form = .pointwise(weight.reshaped([cout, cin]))
        } else {
            form = .taps(weight.reshaped([cout, cin, taps]).permuted([2, 0, 1]).contiguous())
        }
    }

    /// Convolves `x`, with `previous` frames (from the cache) in place of that much front padding.
    func callAsFunction(_ x: Tensor, previous: Tensor? = nil) -> Tensor {
        let cached = padding.t > 0 ? previous : nil
        let front = 2 * padding.t - (cached?.shape[2] ?? 0)
        switch form {
        case .pointwise(let matrix):
            return x.pointwiseConv(weight: matrix, bias: bias)  // [B, Cout, t, H, W]
        case .taps(let taps):
            return x.causalConv3d(previous: cached, taps: taps, kernel: kernel, bias: bias, front: front,
                                  padH: padding.h, padW: padding.w)  // [B, Cout, t', H', W']
        case .strided(let weight):
            let input = cached.map { Tensor.concatenate([$0, x], axis: 2) } ?? x  // [B, C, t + cached, H, W]
            return input.conv3d(weight: weight, bias: bias, stride: stride,
                                padding: Padding3D(front: front, top: padding.h, bottom: padding.h, left: padding.w, right: padding.w))
        }
    }

    /// Convolves one chunk of the stream: uses the cached frames of the previous chunk and stores this
    /// chunk's last frames (topped up with the previous chunk's last frame when the chunk has only one).
    func callAsFunction(_ x: Tensor, cache: inout CausalCache) -> Tensor {
        let slot = cache.current()
        var previous: Tensor?
        if case .frames(let kept) = slot { previous = kept }
        let t = x.shape[2]
        var keep = x.sliced(axis: 2, Swift.max(0, t - CausalCache.frames)..<t)
        if keep.shape[2] < CausalCache.frames, let previous {
            let last = previous.shape[2]
            keep = Tensor.concatenate([previous.sliced(axis: 2, (last - 1)..<last), keep], axis: 2)
        } else {
            keep = keep.copied()  // do not keep the whole chunk alive through a view
        }
        let y = self(x, previous: previous)
        cache.advance(storing: .frames(keep))
        return y
    }
}

/// Wan's RMS norm over channels (`WanRMS_norm`), with the SiLU that follows it fused in where asked.
struct ChannelRMSNorm {
    let gamma: Tensor  // [C]

    /// `images`: the checkpoint stores gamma as [C, 1, 1] (attention) rather than [C, 1, 1, 1].
    init(_ w: ParameterReader, _ prefix: String, channels: Int, images: Bool = false) {
        let shape = images ? [channels, 1, 1] : [channels, 1, 1, 1]
        gamma = w("\(prefix).gamma", shape: shape).reshaped([channels])
    }

    func callAsFunction(_ x: Tensor, silu: Bool) -> Tensor {
        x.channelRMSNorm(gamma: gamma, silu: silu)
    }
}

/// Norm, SiLU, causal conv, twice, plus a (1×1×1 conv) shortcut when the width changes.
struct ResidualBlock {
    let norm1: ChannelRMSNorm
    let conv1: CausalConv3d
    let norm2: ChannelRMSNorm
    let conv2: CausalConv3d
    let shortcut: CausalConv3d?

    init(_ w: ParameterReader, _ prefix: String, in cin: Int, out cout: Int) {
        norm1 = ChannelRMSNorm(w, "\(prefix).norm1", channels: cin)
        conv1 = CausalConv3d(w, "\(prefix).conv1", in: cin, out: cout, kernel: (3, 3, 3), padding: (1, 1, 1))
        norm2 = ChannelRMSNorm(w, "\(prefix).norm2", channels: cout)
        conv2 = CausalConv3d(w, "\(prefix).conv2", in: cout, out: cout, kernel: (3, 3, 3), padding: (1, 1, 1))
        shortcut = cin != cout ? CausalConv3d(w, "\(prefix).conv_shortcut", in: cin, out: cout, kernel: (1, 1, 1)) : nil
    }

    func callAsFunction(_ x: Tensor, cache: inout CausalCache) -> Tensor {
        let h = shortcut.map { $0(x) } ?? x  // [B, Cout, t, H, W]
        var y = conv1(norm1(x, silu: true), cache: &cache)  // [B, Cout, t, H, W]
        y = conv2(norm2(y, silu: true), cache: &cache)
        y.add(h)
        return y
    }
}

/// Single-head self-attention within each frame, over its H·W pixels (`WanAttentionBlock`).
struct AttentionBlock {
    let norm: ChannelRMSNorm
    let qkvWeight: Tensor  // [3C, C]
    let qkvBias: Tensor  // [3C]
    let projWeight: Tensor  // [C, C]
    let projBias: Tensor  // [C]

    init(_ w: ParameterReader, _ prefix: String, channels c: Int) {
        norm = ChannelRMSNorm(w, "\(prefix).norm", channels: c, images: true)
        qkvWeight = w("\(prefix).to_qkv.weight", shape: [3 * c, c, 1, 1]).reshaped([3 * c, c])
        qkvBias = w("\(prefix).to_qkv.bias", shape: [3 * c])
        projWeight = w("\(prefix).proj.weight", shape: [c, c, 1, 1]).reshaped([c, c])
        projBias = w("\(prefix).proj.bias", shape: [c])
    }

    func callAsFunction(_ x: Tensor) -> Tensor {
        let (b, c, t, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3], x.shape[4])
        let tokens = norm(x, silu: false).permuted([0, 2, 3, 4, 1]).reshaped([b * t, h * w, c])  // [B·T, HW, C]
        let qkv = tokens.linear(qkvWeight, bias: qkvBias)  // [B·T, HW, 3C]
        func part(_ i: Int) -> Tensor {
            qkv.sliced(axis: 2, (i * c)..<((i + 1) * c)).reshaped([b * t, h * w, 1, c])  // [B·T, HW, 1, C]
        }
        let attended = Tensor.attention(query: part(0), key: part(1), value: part(2))  // [B·T, HW, 1, C]
        let projected = attended.reshaped([b * t, h * w, c]).linear(projWeight, bias: projBias)  // [B·T, HW, C]
        var y = projected.reshaped([b, t, h, w, c]).permuted([0, 4, 1, 2, 3]).contiguous()  // [B, C, T, H, W]
        y.add(x)
        return y
    }
}
