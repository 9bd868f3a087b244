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

    func callAsFunction(_ x: Tensor) -> Tensor {
        x.averagingSpaceIntoChannels(outChannels, factorT: factorT, factorS: factorS)
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

    func callAsFunction(_ x: Tensor, firstChunk: Bool) -> Tensor {
        x.repeatingChannelsIntoSpace(outChannels, factorT: factorT, factorS: factorS, skip: firstChunk ? factorT - 1 : 0)
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
    x.patchified(p)
}

/// The inverse of `patchified`: [B, C·p², F, h, w] -> [B, C, F, h·p, w·p] (diffusers' `unpatchify`).
func unpatchified(_ x: Tensor, patch p: Int) -> Tensor {
    x.unpatchified(p)
}
