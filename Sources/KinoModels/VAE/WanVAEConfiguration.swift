import Foundation

extension WanVAE {
    /// The VAE's `vae/config.json` as diffusers writes it for `AutoencoderKLWan`. Fields absent from the file
    /// take diffusers' defaults (the published Wan 2.1 configs omit several), so the defaults are Wan 2.1's VAE.
    public struct Configuration: Codable, Sendable, Equatable {
        public var baseDim: Int
        public var decoderBaseDim: Int?
        public var zDim: Int
        public var dimMult: [Int]
        public var numResBlocks: Int
        public var attnScales: [Double]
        /// Per level except the last: whether that level also halves the frames (diffusers' spelling).
        public var temperalDownsample: [Bool]
        public var dropout: Double
        public var latentsMean: [Float]
        public var latentsStd: [Float]
        public var isResidual: Bool
        public var inChannels: Int
        public var outChannels: Int
        public var patchSize: Int?
        public var scaleFactorTemporal: Int?
        public var scaleFactorSpatial: Int?

        enum CodingKeys: String, CodingKey {
            case baseDim = "base_dim"
            case decoderBaseDim = "decoder_base_dim"
            case zDim = "z_dim"
            case dimMult = "dim_mult"
            case numResBlocks = "num_res_blocks"
            case attnScales = "attn_scales"
            case temperalDownsample = "temperal_downsample"
            case dropout
            case latentsMean = "latents_mean"
            case latentsStd = "latents_std"
            case isResidual = "is_residual"
            case inChannels = "in_channels"
            case outChannels = "out_channels"
            case patchSize = "patch_size"
            case scaleFactorTemporal = "scale_factor_temporal"
            case scaleFactorSpatial = "scale_factor_spatial"
        }

        public static let wan21LatentsMean: [Float] = [
            -0.7571, -0.7089, -0.9113, 0.1075, -0.1745, 0.9653, -0.1517, 1.5508,
            0.4134, -0.0715, 0.5517, -0.3632, -0.1922, -0.9497, 0.2503, -0.2921,
        ]
        public static let wan21LatentsStd: [Float] = [
            2.8184, 1.4541, 2.3275, 2.6558, 1.2196, 1.7708, 2.6052, 2.0743,
            3.2687, 2.1526, 2.8652, 1.5579, 1.6382, 1.1253, 2.8251, 1.9160,
        ]

        public init(
            baseDim: Int = 96, decoderBaseDim: Int? = nil, zDim: Int = 16, dimMult: [Int] = [1, 2, 4, 4],
            numResBlocks: Int = 2, attnScales: [Double] = [], temperalDownsample: [Bool] = [false, true, true],
            dropout: Double = 0, latentsMean: [Float] = Configuration.wan21LatentsMean,
            latentsStd: [Float] = Configuration.wan21LatentsStd, isResidual: Bool = false, inChannels: Int = 3,
            outChannels: Int = 3, patchSize: Int? = nil, scaleFactorTemporal: Int? = 4, scaleFactorSpatial: Int? = 8
        ) {
            self.baseDim = baseDim
            self.decoderBaseDim = decoderBaseDim
            self.zDim = zDim
            self.dimMult = dimMult
            self.numResBlocks = numResBlocks
            self.attnScales = attnScales
            self.temperalDownsample = temperalDownsample
            self.dropout = dropout
            self.latentsMean = latentsMean
            self.latentsStd = latentsStd
            self.isResidual = isResidual
            self.inChannels = inChannels
            self.outChannels = outChannels
            self.patchSize = patchSize
            self.scaleFactorTemporal = scaleFactorTemporal
            self.scaleFactorSpatial = scaleFactorSpatial
        }

        public init(from decoder: Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            let d = Configuration()
            baseDim = try c.decodeIfPresent(Int.self, forKey: .baseDim) ?? d.baseDim
            decoderBaseDim = try c.decodeIfPresent(Int.self, forKey: .decoderBaseDim)
            zDim = try c.decodeIfPresent(Int.self, forKey: .zDim) ?? d.zDim
            dimMult = try c.decodeIfPresent([Int].self, forKey: .dimMult) ?? d.dimMult
            numResBlocks = try c.decodeIfPresent(Int.self, forKey: .numResBlocks) ?? d.numResBlocks
            attnScales = try c.decodeIfPresent([Double].self, forKey: .attnScales) ?? d.attnScales
            temperalDownsample = try c.decodeIfPresent([Bool].self, forKey: .temperalDownsample) ?? d.temperalDownsample
            dropout = try c.decodeIfPresent(Double.self, forKey: .dropout) ?? d.dropout
            latentsMean = try c.decodeIfPresent([Float].self, forKey: .latentsMean) ?? d.latentsMean
            latentsStd = try c.decodeIfPresent([Float].self, forKey: .latentsStd) ?? d.latentsStd
            isResidual = try c.decodeIfPresent(Bool.self, forKey: .isResidual) ?? d.isResidual
            inChannels = try c.decodeIfPresent(Int.self, forKey: .inChannels) ?? d.inChannels
            outChannels = try c.decodeIfPresent(Int.self, forKey: .outChannels) ?? d.outChannels
            patchSize = try c.decodeIfPresent(Int.self, forKey: .patchSize)
            scaleFactorTemporal = try c.decodeIfPresent(Int.self, forKey: .scaleFactorTemporal) ?? d.scaleFactorTemporal
            scaleFactorSpatial = try c.decodeIfPresent(Int.self, forKey: .scaleFactorSpatial) ?? d.scaleFactorSpatial
        }

        /// Reads and validates `config.json` (the path is named in every error).
        public static func load(from url: URL) throws(ModelError) -> Configuration {
            let path = url.path
            guard let data = FileManager.default.contents(atPath: path) else {
                throw .missingFile(path: path, hint: "A diffusers VAE folder holds config.json next to diffusion_pytorch_model.safetensors.")
            }
            let configuration: Configuration
            do {
                configuration = try JSONDecoder().decode(Configuration.self, from: data)
            } catch {
                throw .invalidConfig(path: path, message: "not a valid AutoencoderKLWan config (\(error))")
            }
            try configuration.validate(path: path)
            return configuration
        }

        /// Pixels per latent pixel along H and W: 2^(levels - 1) · patch_size (8 for Wan 2.1, 16 for Wan 2.2).
        public var spatialCompression: Int { decoderSpatialCompression * patch }
        /// The encoder's and decoder's own factor, between patchified frames and latents: 2^(levels - 1).
        var decoderSpatialCompression: Int { 1 << (dimMult.count - 1) }
        /// Pixels per side of the patches folded into channels (1: no patchify).
        var patch: Int { patchSize ?? 1 }
        /// Channels of the video that `encode` takes and `decode` returns: in_channels / patch² (3 for both).
        public var videoChannels: Int { inChannels / (patch * patch) }
        /// Frames per latent frame after the first: 2^(temporal downsamplings) (4 for Wan 2.1).
        public var temporalCompression: Int { 1 << temperalDownsample.filter { $0 }.count }

        /// Checks that Kino can run this configuration; errors name `path` and the field.
        public func validate(path: String = "vae/config.json") throws(ModelError) {
            func fail(_ message: String) -> ModelError { .invalidConfig(path: path, message: message) }
            guard baseDim > 0, zDim > 0, numResBlocks > 0, inChannels > 0, outChannels > 0, (decoderBaseDim ?? 1) > 0 else {
                throw fail("base_dim, decoder_base_dim, z_dim, num_res_blocks, in_channels and out_channels must be positive")
            }
            guard !dimMult.isEmpty, dimMult.allSatisfy({ $0 > 0 }) else { throw fail("dim_mult must be a non-empty list of positive integers") }
            guard temperalDownsample.count >= dimMult.count - 1 else {
                throw fail("temperal_downsample has \(temperalDownsample.count) entries; dim_mult \(dimMult) needs \(dimMult.count - 1)")
            }
            try validateWan22(fail)
            guard attnScales.isEmpty else { throw fail("attn_scales must be empty (Wan 2.1; diffusers cannot run encoder attention either)") }
            guard latentsMean.count == zDim, latentsStd.count == zDim else {
                throw fail("latents_mean and latents_std need z_dim = \(zDim) values, have \(latentsMean.count) and \(latentsStd.count)")
            }
            guard latentsStd.allSatisfy({ $0 != 0 }) else { throw fail("latents_std must not contain 0") }
        }
    }
}

extension WanVAE.Configuration {
    /// The Wan 2.2 fields: Kino runs `is_residual` only together with `patch_size` 2 (as every published Wan 2.2
    /// VAE is configured), RGB video on both sides, and widths whose shortcut rearrangements divide evenly.
    func validateWan22(_ fail: (String) -> ModelError) throws(ModelError) {
        guard patchSize == nil || patchSize == 2 else {
            throw fail("patch_size = \(patchSize ?? 0) is not supported: null (Wan 2.1) or 2 (Wan 2.2)")
        }
        guard isResidual == (patchSize != nil) else {
            throw fail(isResidual
                ? "is_residual = true needs patch_size = 2 (the Wan 2.2 VAE); Kino does not run a residual VAE without patches"
                : "patch_size = 2 needs is_residual = true (the Wan 2.2 VAE); Kino does not run a patchified Wan 2.1 VAE")
        }
        let channels = 3 * patch * patch
        guard inChannels == channels, outChannels == channels else {
            throw fail("in_channels and out_channels must be \(channels) (RGB video in \(patch)x\(patch) patches), have \(inChannels) and \(outChannels)")
        }
        guard isResidual else { return }
        // AvgDown3D averages (in · factor / out) values per output channel, DupUp3D repeats (out · factor / in):
        // both need whole numbers, which depends on the ratios of dim_mult only (not on the base widths).
        let encoder = ([1] + dimMult).map { baseDim * $0 }
        let decoder = ([dimMult[dimMult.count - 1]] + dimMult.reversed()).map { (decoderBaseDim ?? baseDim) * $0 }
        let temporalUp = Array(temperalDownsample.prefix(dimMult.count - 1).reversed())
        for level in 0..<dimMult.count {
            let resamples = level < dimMult.count - 1  // every level but the last
            let encoderFactor = resamples ? (temperalDownsample[level] ? 2 : 1) * 4 : 1
            guard encoder[level] * encoderFactor % encoder[level + 1] == 0 else {
                throw fail("dim_mult \(dimMult) is not supported with is_residual: encoder level \(level) (\(encoder[level]) -> \(encoder[level + 1]) channels) has no whole AvgDown3D group")
            }
            let decoderFactor = (temporalUp.indices.contains(level) && temporalUp[level] ? 2 : 1) * 4
            guard !resamples || decoder[level + 1] * decoderFactor % decoder[level] == 0 else {
                throw fail("dim_mult \(dimMult) is not supported with is_residual: decoder level \(level) (\(decoder[level]) -> \(decoder[level + 1]) channels) has no whole DupUp3D repeat")
            }
        }
    }
}
