import Foundation
import KinoTensor

/// The Wan video VAE (diffusers' `AutoencoderKLWan`): Wan 2.1's (8× spatial, 4× temporal compression to z_dim
/// latent channels) and Wan 2.2's (`is_residual`, `patch_size` 2: 2×2 pixel patches folded into 12 channels
/// around a residual encoder and decoder, 16× spatial), causal in time. Both take and return 3-channel video.
/// Frames are processed in chunks with a 2-frame causal cache, so memory is bounded by one chunk's activations
/// (plus the output): encode feeds frames 1, 4, 4, ...; decode feeds one latent frame at a time and latent
/// frame 0 yields 1 frame, each later one 4 (F = 1 + 4(T - 1)).
///
/// Weights are held as f32 in the layout each kernel reads: the 3×3×3 convolutions (almost all parameters)
/// are rearranged once into per-tap matrices, so resident weight memory is about 4 bytes per parameter
/// (about 0.5 GB for Wan 2.1's 127 M, 2.8 GB for Wan 2.2 TI2V-5B's 705 M) whatever the dtype on disk.
/// `encode`/`decode` are synchronous and CPU-heavy; call them from a thread of your own, not the
/// cooperative pool (the kernels spread over `Parallel`'s GCD workers).
public struct WanVAE: Sendable {
    public let configuration: Configuration
    let encoder: WanEncoder3D
    let decoder: WanDecoder3D
    let quantMeanWeight: Tensor  // [z, 2z]: the mean half of quant_conv (2z -> 2z = mean, logvar; 1×1×1)
    let quantMeanBias: Tensor  // [z]
    let postQuantConv: CausalConv3d  // z -> z
    let latentsMean: Tensor  // [1, z, 1, 1, 1]
    let latentsRecipStd: Tensor  // [1, z, 1, 1, 1], 1 / latents_std as the diffusers pipelines compute it

    /// Loads a diffusers `vae/` folder: `config.json` and `diffusion_pytorch_model.safetensors` (or its
    /// sharded index), f32/f16/bf16. Every key and shape is checked; errors name the file and the keys.
    public init(directory: URL) throws(ModelError) {
        let configuration = try Configuration.load(from: directory.appendingPathComponent("config.json"))
        try self.init(configuration: configuration, weights: try WeightStore(directory: directory, component: "vae"))
    }

    /// Builds the VAE from tensors in memory under diffusers' keys (`name` stands for the file in errors).
    public init(configuration: Configuration, weights: [String: Tensor], name: String = "in-memory weights") throws(ModelError) {
        try configuration.validate()
        try self.init(configuration: configuration, weights: WeightStore(component: "vae", tensors: weights, source: name))
    }

    /// Every checkpoint key of this configuration with its shape, in model order (for tools and tests).
    public static func checkpointShapes(for configuration: Configuration) -> [(key: String, shape: [Int])] {
        let recorder = ParameterReader(recordingShapesOf: "vae")
        _ = WanVAE(configuration: configuration, building: recorder)
        return recorder.requested
    }

    /// The VAE's kernels read contiguous f32 weights: f16/bf16 files are widened once here.
    private init(configuration: Configuration, weights: WeightStore) throws(ModelError) {
        let reader = ParameterReader(weights, dtype: .f32)
        self.init(configuration: configuration, building: reader)
        try reader.finish()
    }

    private init(configuration c: Configuration, building w: ParameterReader) {
        configuration = c
        encoder = WanEncoder3D(w, c)
        // Only the mean half of quant_conv is used: encode returns the mean of the latent distribution.
        let z = c.zDim
        quantMeanWeight = w("quant_conv.weight", shape: [2 * z, 2 * z, 1, 1, 1]).reshaped([2 * z, 2 * z]).sliced(axis: 0, 0..<z)
        quantMeanBias = w("quant_conv.bias", shape: [2 * z]).sliced(axis: 0, 0..<z)
        postQuantConv = CausalConv3d(w, "post_quant_conv", in: c.zDim, out: c.zDim, kernel: (1, 1, 1))
        decoder = WanDecoder3D(w, c)
        latentsMean = Tensor(shape: [1, c.zDim, 1, 1, 1], values: c.latentsMean)
        latentsRecipStd = Tensor(shape: [1, c.zDim, 1, 1, 1], values: c.latentsStd.map { 1 / $0 })
    }

    // MARK: encode

    /// Encodes `video` [B, 3, F, H, W] in [-1, 1] (F = 1 + 4k; H, W multiples of s = `spatialCompression`) to the
    /// latent distribution's mean [B, z, 1 + k, H/s, W/s] (not normalised; see `normalizeLatents`).
    /// `isCancelled` is checked before every chunk; cancelling throws `CancellationError`.
    public func encode(_ video: Tensor, isCancelled: () -> Bool = { false }) throws -> Tensor {
        let c = configuration
        guard video.rank == 5, video.shape[1] == c.videoChannels else {
            throw ModelError.invalidInput("encode expects a video [B, \(c.videoChannels), F, H, W], got \(video.shape)")
        }
        let (frames, height, width) = (video.shape[2], video.shape[3], video.shape[4])
        guard frames >= 1, (frames - 1) % 4 == 0 else {
            throw ModelError.invalidInput("encode needs 4k + 1 frames (1, 5, 9, ...), got \(frames)")
        }
        let s = c.spatialCompression
        guard height > 0, width > 0, height % s == 0, width % s == 0 else {
            throw ModelError.invalidInput("encode needs a height and width that are multiples of \(s), got \(height)x\(width)")
        }
        let input = patchified(video, patch: c.patch)  // [B, in_channels, F, H/p, W/p]
        var cache = CausalCache()
        var chunks: [Tensor] = []
        var start = 0
        while start < frames {
            if isCancelled() { throw CancellationError() }
            let length = start == 0 ? 1 : 4
            cache.startChunk()
            chunks.append(encoder(input.sliced(axis: 2, start..<(start + length)), cache: &cache))  // [B, 2z, t', h, w]
            start += length
        }
        let moments = Tensor.concatenate(chunks, axis: 2)  // [B, 2z, T, h, w]
        return moments.pointwiseConv(weight: quantMeanWeight, bias: quantMeanBias)  // [B, z, T, h, w]
    }

    // MARK: decode

    /// One decoded chunk, reported as soon as it is ready.
    public struct DecodeProgress: Sendable {
        /// Chunks (latent frames) decoded so far, and in all.
        public let completedChunks: Int
        public let totalChunks: Int
        /// The output frames this chunk produced.
        public let frames: Range<Int>
        /// Those frames, [B, 3, frames.count, H, W], clamped to [-1, 1] (in a tiled decode: the current
        /// tile's part of them, before blending and clamping).
        public let video: Tensor
    }

    /// Number of video frames decoded from `latentFrames` latent frames: 1 + 4(T - 1) for Wan 2.1.
    public func frameCount(latentFrames: Int) -> Int {
        latentFrames <= 0 ? 0 : 1 + configuration.temporalCompression * (latentFrames - 1)
    }

    /// Decodes `latents` [B, z, T, h, w] (not normalised; see `denormalizeLatents`) to video
    /// [B, 3, 1 + 4(T - 1), s·h, s·w] (s = `spatialCompression`) clamped to [-1, 1], one latent frame at a time.
    /// `progress` runs after each latent frame; `isCancelled` is checked before each, and cancelling
    /// throws `CancellationError`.
    /// `tiling` decides whether the frames are decoded in overlapping spatial tiles (see `Tiling`): by default
    /// only when decoding whole frames would need more than `Tiling.memoryBudget`.
    public func decode(
        _ latents: Tensor,
        tiling: TilingChoice = .automatic,
        progress: (DecodeProgress) -> Void = { _ in },
        isCancelled: () -> Bool = { false }
    ) throws -> Tensor {
        let c = configuration
        guard latents.rank == 5, latents.shape[1] == c.zDim, latents.shape[2] >= 1, latents.shape[3] >= 1, latents.shape[4] >= 1 else {
            throw ModelError.invalidInput("decode expects latents [B, \(c.zDim), T, h, w] with T, h, w >= 1, got \(latents.shape)")
        }
        if let tiles = tiling.tiles(for: latents, vae: self) {
            return try decodeTiled(latents, tiling: tiles, progress: progress, isCancelled: isCancelled)
        }
        let (batch, chunks) = (latents.shape[0], latents.shape[2])
        // The decoder's own output, before unpatchifying: [B, out_channels, F, H/p, W/p].
        let s = c.decoderSpatialCompression
        let (height, width) = (latents.shape[3] * s, latents.shape[4] * s)
        let frames = frameCount(latentFrames: chunks)
        var output = Tensor.uninitialized([batch, c.outChannels, frames, height, width])
        let x = postQuantConv(latents)  // [B, z, T, h, w]
        var cache = CausalCache()
        var written = 0
        for i in 0..<chunks {
            if isCancelled() { throw CancellationError() }
            cache.startChunk()
            let chunk = decoder(x.sliced(axis: 2, i..<(i + 1)), cache: &cache, firstChunk: i == 0)  // [B, out, 1 or 4, H/p, W/p]
            let range = written..<(written + chunk.shape[2])
            output.writeClamped(chunk, frames: range)  // clamping commutes with unpatchify: both act per element
            written = range.upperBound
            progress(DecodeProgress(completedChunks: i + 1, totalChunks: chunks, frames: range,
                                    video: unpatchified(output.sliced(axis: 2, range), patch: c.patch)))
        }
        return unpatchified(output, patch: c.patch)  // [B, 3, F, H, W]
    }

    // MARK: latent normalisation

    /// (mean - latents_mean) · (1 / latents_std): encoder output to the normalised latents the
    /// transformer works in (as diffusers' Wan pipelines compute it). Input [B, z, T, h, w].
    public func normalizeLatents(_ mean: Tensor) -> Tensor {
        (mean - latentsMean) * latentsRecipStd
    }

    /// latents / (1 / latents_std) + latents_mean: the transformer's latents back to the VAE's scale
    /// (as `WanPipeline` computes it before `vae.decode`). Input [B, z, T, h, w].
    public func denormalizeLatents(_ latents: Tensor) -> Tensor {
        latents / latentsRecipStd + latentsMean
    }
}
