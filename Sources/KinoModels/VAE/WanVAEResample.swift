import KinoTensor

/// Spatial (and optionally temporal) resampling between VAE levels (diffusers' `WanResample`).
///
/// - upsample: nearest 2× in H and W, then a 3×3 conv that halves the channels (Wan 2.1) or keeps them (the
///   Wan 2.2 decoder passes `upsampleOut`). `upsample3d` first doubles
///   the frames with a causal (3,1,1) conv to 2C channels whose halves become frames 2τ and 2τ+1; it skips
///   that conv on the first chunk, so latent frame 0 yields one frame and every later latent frame four.
/// - downsample: zero pad (right 1, bottom 1), 3×3 conv with stride 2. `downsample3d` then halves the frames
///   with a (3,1,1) stride-2 conv over [last frame of the previous chunk, this chunk]; on the first chunk
///   it only remembers the frame.
struct Resample {
    enum Mode { case upsample2d, upsample3d, downsample2d, downsample3d }

    let mode: Mode
    /// Upsampling: the per-frame 3×3 conv as a (1, 3, 3) conv. Downsampling: its weight [C, C, 1, 3, 3] and
    /// bias for KinoTensor's conv3d with stride (1, 2, 2) and the asymmetric ZeroPad2d((0, 1, 0, 1)).
    enum Spatial {
        case up(CausalConv3d)
        case down(weight: Tensor, bias: Tensor)
    }

    let spatial: Spatial
    let timeConv: CausalConv3d?

    init(_ w: ParameterReader, _ prefix: String, channels dim: Int, mode: Mode, upsampleOut: Int? = nil) {
        self.mode = mode
        let out = (mode == .upsample2d || mode == .upsample3d) ? upsampleOut ?? dim / 2 : dim
        let weight = w("\(prefix).resample.1.weight", shape: [out, dim, 3, 3]).reshaped([out, dim, 1, 3, 3])
        let bias = w("\(prefix).resample.1.bias", shape: [out])
        let isUp = mode == .upsample2d || mode == .upsample3d
        spatial = isUp ? .up(CausalConv3d(weight: weight, bias: bias, padding: (0, 1, 1))) : .down(weight: weight, bias: bias)
        switch mode {
        case .upsample3d:
            timeConv = CausalConv3d(w, "\(prefix).time_conv", in: dim, out: 2 * dim, kernel: (3, 1, 1), padding: (1, 0, 0))
        case .downsample3d:
            timeConv = CausalConv3d(w, "\(prefix).time_conv", in: dim, out: dim, kernel: (3, 1, 1), stride: (2, 1, 1))
        case .upsample2d, .downsample2d:
            timeConv = nil
        }
    }

    func callAsFunction(_ x: Tensor, cache: inout CausalCache) -> Tensor {
        switch spatial {
        case .up(let conv):
            let doubled = mode == .upsample3d ? upsampleTime(x, cache: &cache) : x  // [B, C, t, 2, H, W] or [B, C, t, H, W]
            let up = doubled.upsampledNearest()  // [..., 2H, 2W]
            let (b, c) = (x.shape[0], x.shape[1])
            let (h2, w2) = (up.shape[up.rank - 2], up.shape[up.rank - 1])
            let video = up.reshaped([b, c, up.count / (b * c * h2 * w2), h2, w2])  // [B, C, T', 2H, 2W]
            return conv(video)  // [B, C/2, T', 2H, 2W]
        case .down(let weight, let bias):
            let down = x.conv3d(weight: weight, bias: bias, stride: (1, 2, 2),
                                padding: Padding3D(bottom: 1, right: 1))  // [B, C, t, H/2, W/2]
            return mode == .downsample3d ? downsampleTime(down, cache: &cache) : down
        }
    }

    /// [B, C, t, H, W] -> [B, C, t, 2, H, W] (frame pairs), or unchanged on the first chunk.
    private func upsampleTime(_ x: Tensor, cache: inout CausalCache) -> Tensor {
        guard let timeConv else { return x }
        let slot = cache.current()
        if case .empty = slot {
            cache.advance(storing: .skippedFirstChunk)
            return x
        }
        let (b, c, t, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3], x.shape[4])
        var keep = x.sliced(axis: 2, Swift.max(0, t - CausalCache.frames)..<t)
        var previous: Tensor?
        if case .frames(let kept) = slot { previous = kept }
        if keep.shape[2] < CausalCache.frames {
            if let previous {
                let last = previous.shape[2]
                keep = Tensor.concatenate([previous.sliced(axis: 2, (last - 1)..<last), keep], axis: 2)
            } else {
                keep = Tensor.concatenate([Tensor(zeros: keep.shape), keep], axis: 2)
            }
        } else {
            keep = keep.copied()
        }
        let y = timeConv(x, previous: previous)  // [B, 2C, t, H, W]
        cache.advance(storing: .frames(keep))
        return y.reshaped([b, 2, c, t, h, w]).permuted([0, 2, 3, 1, 4, 5])  // [B, C, t, 2, H, W]
    }

    /// [B, C, t, H, W] -> [B, C, t/2, H, W] using the previous chunk's last frame; nothing on the first chunk.
    private func downsampleTime(_ x: Tensor, cache: inout CausalCache) -> Tensor {
        guard let timeConv else { return x }
        let t = x.shape[2]
        let keep = x.sliced(axis: 2, (t - 1)..<t).copied()
        guard case .frames(let previous) = cache.current() else {
            cache.advance(storing: .frames(keep))
            return x
        }
        let last = previous.shape[2]
        let joined = Tensor.concatenate([previous.sliced(axis: 2, (last - 1)..<last), x], axis: 2)  // [B, C, t+1, H, W]
        let y = timeConv(joined)  // [B, C, t/2, H, W]
        cache.advance(storing: .frames(keep))
        return y
    }
}
