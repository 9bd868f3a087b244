import Foundation

// Pixel <-> channel rearrangements of the Wan 2.2 VAE (diffusers' AvgDown3D, DupUp3D, patchify and unpatchify):
// index arithmetic only, written as direct loops so no permuted copy of a whole video is made.

extension Tensor {
    /// diffusers' `AvgDown3D`: [B, Cin, t, H, W] -> [B, outChannels, t/ft, H/fs, W/fs]. Each output channel is the
    /// mean of Cin·ft·fs²/outChannels consecutive entries of the space-to-channel rearrangement, whose channel index
    /// is c·ft·fs² + τ·fs² + i·fs + j (τ, i, j the offsets in time, height and width). An odd chunk length gets zero
    /// frames in front, so the first chunk of one frame averages that frame with zeros, as diffusers does.
    public func averagingSpaceIntoChannels(_ outChannels: Int, factorT ft: Int, factorS fs: Int) -> Tensor {
        let (b, c, t, h, w) = (shape[0], shape[1], shape[2], shape[3], shape[4])
        let pad = (ft - t % ft) % ft
        let (to, ho, wo) = ((t + pad) / ft, h / fs, w / fs)
        let out = Tensor.uninitialized([b, outChannels, to, ho, wo])
        let src = toF32()
        let sp = src.f32, dp = out.mutableF32
        let (factor, group) = (ft * fs * fs, c * ft * fs * fs / outChannels)
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

    /// diffusers' `DupUp3D`, the inverse arrangement with repetition instead of averaging:
    /// [B, Cin, t, H, W] -> [B, outChannels, t·ft − skip, H·fs, W·fs], output (o, τ, i, j) taken from input channel
    /// (o·ft·fs² + τ·fs² + i·fs + j) / (outChannels·ft·fs²/Cin); the first `skip` output frames are left out.
    public func repeatingChannelsIntoSpace(_ outChannels: Int, factorT ft: Int, factorS fs: Int, skip: Int) -> Tensor {
        let (b, c, t, h, w) = (shape[0], shape[1], shape[2], shape[3], shape[4])
        let (to, ho, wo) = (t * ft - skip, h * fs, w * fs)
        let out = Tensor.uninitialized([b, outChannels, to, ho, wo])
        let src = toF32()
        let sp = src.f32, dp = out.mutableF32
        let (factor, repeats) = (ft * fs * fs, outChannels * ft * fs * fs / c)
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

    /// Folds p×p pixel patches into channels, as diffusers' `patchify`: [B, C, F, H, W] -> [B, C·p², F, H/p, W/p]
    /// with channel c·p² + pw·p + ph — the width offset before the height offset (its permute (0, 1, 6, 4, 2, 3, 5));
    /// the reverse order would load and run but mix up the image.
    public func patchified(_ p: Int) -> Tensor {
        guard p > 1 else { return self }
        let (b, c, f, h, w) = (shape[0], shape[1], shape[2], shape[3], shape[4])
        let (ho, wo) = (h / p, w / p)
        let out = Tensor.uninitialized([b, c * p * p, f, ho, wo])
        let src = toF32()
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
    public func unpatchified(_ p: Int) -> Tensor {
        guard p > 1 else { return self }
        let (b, cp, f, h, w) = (shape[0], shape[1], shape[2], shape[3], shape[4])
        let c = cp / (p * p)
        let (ho, wo) = (h * p, w * p)
        let out = Tensor.uninitialized([b, c, f, ho, wo])
        let src = toF32()
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
}
