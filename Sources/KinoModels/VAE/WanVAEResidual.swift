import KinoTensor

// The blocks the Wan 2.2 VAE adds (diffusers' `is_residual = true`, `patch_size = 2`): each encoder level and each
// decoder level gets a parameter-free shortcut around it that moves pixels into channels (AvgDown3D) or channels
// into pixels (DupUp3D), and the video is patchified 2×2 into channels before the encoder and after the decoder.

/// diffusers' `AvgDown3D`: [B, Cin, t, H, W] -> [B, Cout, t/ft, H/fs, W/fs]. Each output channel is the mean of
/// `group` consecutive entries of the space-to-channel rearrangement, whose channel index is
/// c·factor + τ·fs² + i·fs + j (τ, i, j the offsets in time, height and width). An odd chunk length gets zero
/// frames in front, so the first chunk of one frame averages that frame with zeros, as diffusers does.
struct AvgDown3D {
    let inChannels: Int
    let outChannels: Int
    let factorT: Int
    let factorS: Int

    var group: Int { inChannels * factorT * factorS * factorS / outChannels }

    func callAsFunction(_ x: Tensor) -> Tensor {
        let (b, c, t, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3], x.shape[4])
        let (ft, fs) = (factorT, factorS)
        let pad = (ft - t % ft) % ft
        let (to, ho, wo) = ((t + pad) / ft, h / fs, w / fs)
        let out = Tensor.uninitialized([b, outChannels, to, ho, wo])
        let src = x.toF32()
        let sp = src.f32, dp = out.mutableF32
        let (factor, group) = (ft * fs * fs, self.group)
        let scale = 1 / Float(group)
        let plane = to * ho * wo
        Parallel.forEach(b * outChannels) { range in
            for item in range {
                let (batch, o) = (item / outChannels, item % outChannels)
                let d = dp + item * plane
                for p in 0..<plane { d[p] = 0 }
                for g in 0..<group {
                    let flat = o * group + g                               // channel of the rearrangement
                    let (ci, sub) = (flat / factor, flat % factor)
                    let (tau, i, j) = (sub / (fs * fs), (sub / fs) % fs, sub % fs)
                    let s = sp + (batch * c + ci) * t * h * w
                    for k in 0..<to {
                        let frame = k * ft + tau - pad                     // in the unpadded input
                        guard frame >= 0 else { continue }                 // a zero frame of the padding
                        let sf = s + frame * h * w, df = d + k * ho * wo
                        for y in 0..<ho {
                            let row = sf + (y * fs + i) * w + j, drow = df + y * wo
                            for xo in 0..<wo { drow[xo] += row[xo * fs] }
                        }
                    }
                }
                for p in 0..<plane { d[p] *= scale }
            }
        }
        return out
    }
}

/// diffusers' `DupUp3D`, the inverse arrangement of `AvgDown3D` with repetition instead of averaging:
/// [B, Cin, t, H, W] -> [B, Cout, t·ft, H·fs, W·fs], output (o, τ, i, j) taken from input channel
/// (o·factor + τ·fs² + i·fs + j) / repeats. On the first chunk the first ft − 1 frames are dropped, as the
/// temporal upsampler beside it makes one frame, not ft, from latent frame 0.
struct DupUp3D {
    let inChannels: Int
    let outChannels: Int
    let factorT: Int
    let factorS: Int

    var repeats: Int { outChannels * factorT * factorS * factorS / inChannels }

    func callAsFunction(_ x: Tensor, firstChunk: Bool) -> Tensor {
        let (b, c, t, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3], x.shape[4])
        let (ft, fs) = (factorT, factorS)
        let skip = firstChunk ? ft - 1 : 0
        let (to, ho, wo) = (t * ft - skip, h * fs, w * fs)
        let out = Tensor.uninitialized([b, outChannels, to, ho, wo])
        let src = x.toF32()
        let sp = src.f32, dp = out.mutableF32
        let (factor, repeats) = (ft * fs * fs, self.repeats)
        Parallel.forEach(b * outChannels * to) { range in
            for item in range {
                let (bo, frame) = (item / to, item % to + skip)            // frame in the un-trimmed output
                let (batch, o) = (bo / outChannels, bo % outChannels)
                let (k, tau) = (frame / ft, frame % ft)
                let d = dp + item * ho * wo
                for i in 0..<fs {
                    for j in 0..<fs {
                        let ci = (o * factor + tau * fs * fs + i * fs + j) / repeats
                        let s = sp + ((batch * c + ci) * t + k) * h * w
                        for y in 0..<h {
                            let row = s + y * w, drow = d + (y * fs + i) * wo + j
                            for xi in 0..<w { drow[xi * fs] = row[xi] }
                        }
                    }
                }
            }
        }
        return out
    }
}

/// `WanResidualDownBlock`: residual blocks and an optional downsampler, plus an `AvgDown3D` shortcut from the
/// block's input to its output.
struct ResidualDownBlock {
    let resnets: [ResidualBlock]
    let downsampler: Resample?
    let shortcut: AvgDown3D

    init(_ w: ParameterReader, _ prefix: String, in cin: Int, out cout: Int, blocks: Int, temporal: Bool, down: Bool) {
        var resnets: [ResidualBlock] = []
        var dim = cin
        for j in 0..<blocks {
            resnets.append(ResidualBlock(w, "\(prefix).resnets.\(j)", in: dim, out: cout))
            dim = cout
        }
        self.resnets = resnets
        downsampler = down ? Resample(w, "\(prefix).downsampler", channels: cout, mode: temporal ? .downsample3d : .downsample2d) : nil
        shortcut = AvgDown3D(inChannels: cin, outChannels: cout, factorT: temporal ? 2 : 1, factorS: down ? 2 : 1)
    }

    func callAsFunction(_ x: Tensor, cache: inout CausalCache) -> Tensor {
        var h = x
        for resnet in resnets { h = resnet(h, cache: &cache) }           // [B, Cout, t, H, W]
        if let downsampler { h = downsampler(h, cache: &cache) }          // [B, Cout, t', H/2, W/2]
        h.add(shortcut(x))
        return h
    }
}

// MARK: patchify

/// Folds 2×2 (generally p×p) pixel patches into channels, as diffusers' `patchify`:
/// [B, C, F, H, W] -> [B, C·p², F, H/p, W/p] with channel c·p² + pw·p + ph — the width offset before the height
/// offset (its permute (0, 1, 6, 4, 2, 3, 5)); the reverse order would load and run but mix up the image.
func patchified(_ x: Tensor, patch p: Int) -> Tensor {
    guard p > 1 else { return x }
    let (b, c, f, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3], x.shape[4])
    let (ho, wo) = (h / p, w / p)
    let out = Tensor.uninitialized([b, c * p * p, f, ho, wo])
    let src = x.toF32()
    let sp = src.f32, dp = out.mutableF32
    Parallel.forEach(b * c * p * p * f) { range in
        for item in range {
            let (channel, frame) = (item / f, item % f)                    // channel of the output, with its batch
            let (bc, sub) = (channel / (p * p), channel % (p * p))
            let (pw, ph) = (sub / p, sub % p)
            let s = sp + (bc * f + frame) * h * w, d = dp + item * ho * wo
            for y in 0..<ho {
                let row = s + (y * p + ph) * w + pw, drow = d + y * wo
                for xo in 0..<wo { drow[xo] = row[xo * p] }
            }
        }
    }
    return out
}

/// The inverse of `patchified`: [B, C·p², F, h, w] -> [B, C, F, h·p, w·p] (diffusers' `unpatchify`).
func unpatchified(_ x: Tensor, patch p: Int) -> Tensor {
    guard p > 1 else { return x }
    let (b, cp, f, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3], x.shape[4])
    let c = cp / (p * p)
    let (ho, wo) = (h * p, w * p)
    let out = Tensor.uninitialized([b, c, f, ho, wo])
    let src = x.toF32()
    let sp = src.f32, dp = out.mutableF32
    Parallel.forEach(b * cp * f) { range in
        for item in range {
            let (channel, frame) = (item / f, item % f)
            let (bc, sub) = (channel / (p * p), channel % (p * p))
            let (pw, ph) = (sub / p, sub % p)
            let s = sp + item * h * w, d = dp + (bc * f + frame) * ho * wo
            for y in 0..<h {
                let row = s + y * w, drow = d + (y * p + ph) * wo + pw
                for xi in 0..<w { drow[xi * p] = row[xi] }
            }
        }
    }
    return out
}
