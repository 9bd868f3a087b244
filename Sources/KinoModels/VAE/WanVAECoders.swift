import KinoTensor

// The encoder and decoder of the Wan 2.1 and 2.2 VAEs. The checkpoint key of every parameter is spelled here, once:
// Wan 2.1: `encoder.down_blocks.{i}` (flat), `decoder.up_blocks.{i}.upsamplers.0`;
// Wan 2.2 (is_residual): `encoder.down_blocks.{level}.{resnets.{j}|downsampler}`, `decoder.up_blocks.{i}.upsampler`;
// both: `decoder.up_blocks.{i}.resnets.{j}`, `{encoder|decoder}.mid_block.{resnets|attentions}.{j}`,
// `{encoder|decoder}.{conv_in|norm_out|conv_out}`.

/// ResBlock, per-frame attention, ResBlock (`WanMidBlock` with one layer).
struct MidBlock {
    let resnet0: ResidualBlock
    let attention: AttentionBlock
    let resnet1: ResidualBlock

    init(_ w: ParameterReader, _ prefix: String, channels c: Int) {
        resnet0 = ResidualBlock(w, "\(prefix).resnets.0", in: c, out: c)
        attention = AttentionBlock(w, "\(prefix).attentions.0", channels: c)
        resnet1 = ResidualBlock(w, "\(prefix).resnets.1", in: c, out: c)
    }

    func callAsFunction(_ x: Tensor, cache: inout CausalCache) -> Tensor {
        let y = resnet0(x, cache: &cache)
        return resnet1(attention(y), cache: &cache)
    }
}

/// `WanEncoder3d`: video chunk [B, in, t, H, W] -> [B, 2z, t', H/8, W/8] (Wan 2.1: in = 3, a flat list of blocks;
/// Wan 2.2: in = 12 patchified channels, one residual down block per level).
struct WanEncoder3D {
    enum Layer {
        case residual(ResidualBlock)
        case resample(Resample)
        case residualDown(ResidualDownBlock)
    }

    let convIn: CausalConv3d
    let layers: [Layer]
    let mid: MidBlock
    let normOut: ChannelRMSNorm
    let convOut: CausalConv3d

    init(_ w: ParameterReader, _ c: WanVAE.Configuration) {
        let dims = ([1] + c.dimMult).map { c.baseDim * $0 }
        convIn = CausalConv3d(w, "encoder.conv_in", in: c.inChannels, out: dims[0], kernel: (3, 3, 3), padding: (1, 1, 1))
        var layers: [Layer] = []
        for level in 0..<c.dimMult.count {
            let last = level == c.dimMult.count - 1
            if c.isResidual {  // Wan 2.2: one block per level, keyed by the level
                layers.append(.residualDown(ResidualDownBlock(
                    w, "encoder.down_blocks.\(level)", in: dims[level], out: dims[level + 1], blocks: c.numResBlocks,
                    temporal: !last && c.temperalDownsample[level], down: !last)))
                continue
            }
            var inDim = dims[level]
            let outDim = dims[level + 1]
            for _ in 0..<c.numResBlocks {
                layers.append(.residual(ResidualBlock(w, "encoder.down_blocks.\(layers.count)", in: inDim, out: outDim)))
                inDim = outDim
            }
            if !last {
                let mode: Resample.Mode = c.temperalDownsample[level] ? .downsample3d : .downsample2d
                layers.append(.resample(Resample(w, "encoder.down_blocks.\(layers.count)", channels: outDim, mode: mode)))
            }
        }
        self.layers = layers
        let top = dims[dims.count - 1]
        mid = MidBlock(w, "encoder.mid_block", channels: top)
        normOut = ChannelRMSNorm(w, "encoder.norm_out", channels: top)
        convOut = CausalConv3d(w, "encoder.conv_out", in: top, out: 2 * c.zDim, kernel: (3, 3, 3), padding: (1, 1, 1))
    }

    func callAsFunction(_ x: Tensor, cache: inout CausalCache) -> Tensor {
        var h = convIn(x, cache: &cache)  // [B, C0, t, H, W]
        for layer in layers {
            switch layer {
            case .residual(let block): h = block(h, cache: &cache)
            case .resample(let block): h = block(h, cache: &cache)  // H, W (and t) halve
            case .residualDown(let block): h = block(h, cache: &cache)  // H, W (and t) halve but at the last level
            }
        }
        h = mid(h, cache: &cache)
        return convOut(normOut(h, silu: true), cache: &cache)  // [B, 2z, t', H/8, W/8]
    }
}

/// `WanDecoder3d`: latent chunk [B, z, 1, h, w] -> [B, out, 1 or 4, 8h, 8w] (Wan 2.2: out = 12 patchified
/// channels, and each level has a `DupUp3D` shortcut from its input to its output).
struct WanDecoder3D {
    struct UpBlock {
        let resnets: [ResidualBlock]
        let upsampler: Resample?
        let shortcut: DupUp3D?
    }

    let convIn: CausalConv3d
    let mid: MidBlock
    let upBlocks: [UpBlock]
    let normOut: ChannelRMSNorm
    let convOut: CausalConv3d

    init(_ w: ParameterReader, _ c: WanVAE.Configuration) {
        let base = c.decoderBaseDim ?? c.baseDim
        let dims = ([c.dimMult[c.dimMult.count - 1]] + c.dimMult.reversed()).map { base * $0 }
        let temporalUpsample = Array(c.temperalDownsample.reversed())
        convIn = CausalConv3d(w, "decoder.conv_in", in: c.zDim, out: dims[0], kernel: (3, 3, 3), padding: (1, 1, 1))
        mid = MidBlock(w, "decoder.mid_block", channels: dims[0])
        var blocks: [UpBlock] = []
        for level in 0..<c.dimMult.count {
            // Wan 2.1's upsamplers halve the channels, so its levels after the first start at half width;
            // Wan 2.2's keep them.
            let blockIn = level > 0 && !c.isResidual ? dims[level] / 2 : dims[level]
            var inDim = blockIn
            let outDim = dims[level + 1]
            var resnets: [ResidualBlock] = []
            for j in 0...c.numResBlocks {
                resnets.append(ResidualBlock(w, "decoder.up_blocks.\(level).resnets.\(j)", in: inDim, out: outDim))
                inDim = outDim
            }
            var upsampler: Resample?
            var shortcut: DupUp3D?
            if level != c.dimMult.count - 1 {
                let mode: Resample.Mode = temporalUpsample[level] ? .upsample3d : .upsample2d
                if c.isResidual {
                    upsampler = Resample(w, "decoder.up_blocks.\(level).upsampler", channels: outDim, mode: mode, upsampleOut: outDim)
                    shortcut = DupUp3D(inChannels: blockIn, outChannels: outDim, factorT: temporalUpsample[level] ? 2 : 1, factorS: 2)
                } else {
                    upsampler = Resample(w, "decoder.up_blocks.\(level).upsamplers.0", channels: outDim, mode: mode)
                }
            }
            blocks.append(UpBlock(resnets: resnets, upsampler: upsampler, shortcut: shortcut))
        }
        upBlocks = blocks
        let last = dims[dims.count - 1]
        normOut = ChannelRMSNorm(w, "decoder.norm_out", channels: last)
        convOut = CausalConv3d(w, "decoder.conv_out", in: last, out: c.outChannels, kernel: (3, 3, 3), padding: (1, 1, 1))
    }

    /// `firstChunk`: latent frame 0 of a stream, which the temporal upsamplers turn into one frame, not two.
    func callAsFunction(_ z: Tensor, cache: inout CausalCache, firstChunk: Bool) -> Tensor {
        var h = convIn(z, cache: &cache)  // [B, C, 1, h, w]
        h = mid(h, cache: &cache)
        for block in upBlocks {
            let input = h
            for resnet in block.resnets { h = resnet(h, cache: &cache) }
            if let upsampler = block.upsampler { h = upsampler(h, cache: &cache) }  // H, W (and t) double
            if let shortcut = block.shortcut { h.add(shortcut(input, firstChunk: firstChunk)) }
        }
        return convOut(normOut(h, silu: true), cache: &cache)  // [B, out, t, 8h, 8w]
    }
}
