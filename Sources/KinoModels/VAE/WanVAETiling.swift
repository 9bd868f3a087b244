import Foundation
import KinoTensor

/// Decoding in overlapping spatial tiles, as diffusers' `AutoencoderKLWan.enable_tiling()` does: the latents are
/// cut into tiles of `tile` latent pixels every `stride`, each tile is decoded through all its frames with a
/// causal cache of its own, and neighbouring tiles are cross-faded over their overlap (`tile − stride` latent
/// pixels, times 8 in the decoder's output, which Wan 2.2 unpatchifies after blending) before the kept part of
/// each is written. Memory then follows the tile, not the frame: the decoder's widest activations are about
/// 300 bytes per decoder output pixel and base channel (28 KB per pixel
/// for Wan 2.1, measured: 3.7 GB for whole 480x272 frames; bench/real-scale.md has 832x480), so an 832x480 clip decodes within
/// a few GB whatever its length. The price is the overlap, decoded twice (about 1.8x the work at the default
/// sizes), and small differences near tile seams (measured in bench/real-scale.md against diffusers' own).
extension WanVAE {
    public struct Tiling: Sendable, Equatable {
        /// Tile size and step, in latent pixels (diffusers' defaults: 256 and 192 output pixels).
        public var tile: Int
        public var stride: Int

        public init(tile: Int = 32, stride: Int = 24) {
            self.tile = max(1, tile)
            self.stride = max(1, min(stride, tile))
        }

        /// diffusers' default tiles, 256 output pixels every 192, in this VAE's latent pixels (32 and 24 for
        /// Wan 2.1, 16 and 12 for Wan 2.2).
        public static func `default`(for configuration: Configuration) -> Tiling {
            let s = configuration.spatialCompression
            return Tiling(tile: max(1, 256 / s), stride: max(1, 192 / s))
        }

        /// The decode memory (whole frames, beyond weights and output) above which `.automatic` tiles.
        public static let memoryBudget = 4_500_000_000
        /// Bytes of decoder activations per output pixel and decoder base channel (measured on Wan 2.1's VAE).
        static let bytesPerPixelAndChannel = 300
    }

    public enum TilingChoice: Sendable, Equatable {
        /// Tiles only when whole frames would need more than `Tiling.memoryBudget`.
        case automatic
        case always(Tiling)
        case never

        /// The tiling to use for `latents`, or nil to decode whole frames.
        func tiles(for latents: Tensor, vae: WanVAE) -> Tiling? {
            let (h, w) = (latents.shape[3], latents.shape[4])
            switch self {
            case .never: return nil
            case .always(let tiling): return h > tiling.tile || w > tiling.tile ? tiling : nil
            case .automatic:
                // Counted in the decoder's own pixels (H/2 × W/2 for Wan 2.2, whose decoder works on patchified
                // frames); Wan 2.2 keeps the ratio of its widest activation to its base width, but the constant
                // was measured on Wan 2.1 only.
                let c = vae.configuration
                let s = c.decoderSpatialCompression
                let pixels = h * w * s * s * latents.shape[0]
                let estimate = pixels * (c.decoderBaseDim ?? c.baseDim) * Tiling.bytesPerPixelAndChannel
                return estimate > Tiling.memoryBudget ? Tiling.default(for: c) : nil
            }
        }
    }

    /// Decodes in overlapping tiles; progress counts tiles × latent frames.
    func decodeTiled(_ latents: Tensor, tiling: Tiling, progress: (DecodeProgress) -> Void,
                     isCancelled: () -> Bool) throws -> Tensor {
        let c = configuration
        // Tiles are decoded, blended and kept in the decoder's own (patchified) output, as diffusers does, and
        // unpatchified at the end: s is the decoder's factor (8), not `spatialCompression` (16 with patch 2).
        let s = c.decoderSpatialCompression
        let (batch, chunks, h, w) = (latents.shape[0], latents.shape[2], latents.shape[3], latents.shape[4])
        let rowStarts = Array(stride(from: 0, to: h, by: tiling.stride))
        let columnStarts = Array(stride(from: 0, to: w, by: tiling.stride))
        let total = rowStarts.count * columnStarts.count * chunks
        let frames = frameCount(latentFrames: chunks)
        var output = Tensor.uninitialized([batch, c.outChannels, frames, h * s, w * s])
        let blend = (tiling.tile - tiling.stride) * s
        var done = 0
        var above: [Tensor] = []                                        // the previous row's blended tiles
        for (row, top) in rowStarts.enumerated() {
            var current: [Tensor] = []
            for (column, left) in columnStarts.enumerated() {
                let region = latents.sliced(axis: 3, top..<min(top + tiling.tile, h))
                    .sliced(axis: 4, left..<min(left + tiling.tile, w)).contiguous()
                let x = postQuantConv(region)
                var cache = CausalCache()
                var pieces: [Tensor] = []
                for i in 0..<chunks {
                    if isCancelled() { throw CancellationError() }
                    cache.startChunk()
                    pieces.append(decoder(x.sliced(axis: 2, i..<(i + 1)), cache: &cache, firstChunk: i == 0))
                    done += 1
                    let written = pieces.reduce(0) { $0 + $1.shape[2] }
                    progress(DecodeProgress(completedChunks: done, totalChunks: total,
                                            frames: (written - pieces[pieces.count - 1].shape[2])..<written,
                                            video: unpatchified(pieces[pieces.count - 1], patch: c.patch)))
                }
                var tile = Tensor.concatenate(pieces, axis: 2)          // [B, out, F, th, tw], not yet clamped
                pieces = []
                if row > 0 { tile.blendLeadingEdge(with: above[column], axis: 3, extent: blend) }
                if column > 0 { tile.blendLeadingEdge(with: current[column - 1], axis: 4, extent: blend) }
                output.writeClamped(tile, top: top * s, left: left * s,
                                    height: min(tiling.stride * s, h * s - top * s), width: min(tiling.stride * s, w * s - left * s))
                current.append(tile)
            }
            above = current
        }
        return unpatchified(output, patch: c.patch)  // [B, 3, F, H, W]
    }
}
