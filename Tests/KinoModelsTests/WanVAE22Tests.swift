import Foundation
import KinoTensor
import Testing
@testable import KinoModels

/// Parity with diffusers' AutoencoderKLWan in its Wan 2.2 form (is_residual, patch_size 2) on the tiny random VAE
/// in Tests/Fixtures/vae22 (made by Tooling/make_vae22_goldens.py), plus the configuration checks.
struct WanVAE22Tests {
    static let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/vae22")
    static var vaeFolder: URL { fixture.appendingPathComponent("vae") }
    /// max|a − b| / max|b|, as for Wan 2.1's goldens (Kino's kernels sum in a different order than PyTorch's).
    static let tolerance: Float = 1e-3

    static func golden(_ name: String) throws -> Tensor {
        try SafeTensorsFile(path: fixture.appendingPathComponent("goldens.safetensors").path).tensor(name)
    }

    static func vae() throws -> WanVAE { try WanVAE(directory: vaeFolder) }

    @Test func encodeMatchesDiffusers() throws {
        let mean = try Self.vae().encode(try Self.golden("encode_input"))
        #expect(mean.shape == [1, 8, 3, 2, 4])
        let error = mean.relativeError(to: try Self.golden("encode_mean"))
        #expect(error <= Self.tolerance, "Wan 2.2 encode: max|a-b|/max|b| = \(error)")
        print("WanVAE 2.2 encode relative error vs diffusers: \(error)")
    }

    /// Image-to-video encodes the conditioning image alone, a one-frame video.
    @Test func singleFrameEncodeMatchesDiffusers() throws {
        let mean = try Self.vae().encode(try Self.golden("image_input"))
        #expect(mean.shape == [1, 8, 1, 2, 4])
        let error = mean.relativeError(to: try Self.golden("image_mean"))
        #expect(error <= Self.tolerance, "Wan 2.2 single-frame encode: max|a-b|/max|b| = \(error)")
        print("WanVAE 2.2 single-frame encode relative error vs diffusers: \(error)")
    }

    @Test func decodeMatchesDiffusersChunkByChunk() throws {
        var reports: [WanVAE.DecodeProgress] = []
        let video = try Self.vae().decode(try Self.golden("decode_input"), tiling: .never, progress: { reports.append($0) })
        #expect(video.shape == [1, 3, 9, 32, 64])
        let error = video.relativeError(to: try Self.golden("decode_output"))
        #expect(error <= Self.tolerance, "Wan 2.2 decode: max|a-b|/max|b| = \(error)")
        print("WanVAE 2.2 decode relative error vs diffusers: \(error)")
        #expect(reports.map(\.frames) == [0..<1, 1..<5, 5..<9])
        // Progress reports carry RGB frames (unpatchified), equal to the final result's.
        let last = try #require(reports.last)
        #expect(last.video.shape == [1, 3, 4, 32, 64])
        #expect(last.video.scalars == video.sliced(axis: 2, 5..<9).scalars)
        let values = video.scalars
        #expect(values.allSatisfy { $0 >= -1 && $0 <= 1 })
        #expect(values.contains(1) || values.contains(-1), "the golden is meant to exercise the clamp")
    }

    /// Tiles are blended in the decoder's patchified output, as diffusers' tiled_decode does: the same tiny tiles
    /// (2 latent pixels every 1) must match diffusers' tiled decode, and differ from the untiled one by no more.
    @Test func tiledDecodeMatchesDiffusersTiled() throws {
        let vae = try Self.vae()
        let input = try Self.golden("decode_input")
        let tiled = try vae.decode(input, tiling: .always(WanVAE.Tiling(tile: 2, stride: 1)))
        #expect(tiled.shape == [1, 3, 9, 32, 64])
        let error = tiled.relativeError(to: try Self.golden("decode_output_tiled"))
        #expect(error <= Self.tolerance, "Wan 2.2 tiled decode vs diffusers' tiled: max|a-b|/max|b| = \(error)")
        print("WanVAE 2.2 tiled decode relative error vs diffusers' tiled: \(error)")
        let untiled = try Self.golden("decode_output")
        let ours = tiled.relativeError(to: untiled)
        let theirs = try Self.golden("decode_output_tiled").relativeError(to: untiled)
        #expect(ours <= theirs * 1.01 + Self.tolerance, "tiled vs untiled: Kino \(ours), diffusers \(theirs)")
        print("WanVAE 2.2 tiled vs untiled: Kino \(ours), diffusers \(theirs)")
    }

    @Test func latentNormalisationMatchesThePipelines() throws {
        let vae = try Self.vae()
        let normalized = vae.normalizeLatents(try Self.golden("encode_mean"))
        #expect(normalized.relativeError(to: try Self.golden("normalized")) < 1e-6)
    }

    @Test func missingKeyIsNamed() throws {
        let file = try SafeTensorsFile(path: Self.vaeFolder.appendingPathComponent("diffusion_pytorch_model.safetensors").path)
        var tensors: [String: Tensor] = [:]
        for name in file.names { tensors[name] = try file.tensor(name) }
        let config = try WanVAE.Configuration.load(from: Self.vaeFolder.appendingPathComponent("config.json"))
        _ = try WanVAE(configuration: config, weights: tensors)
        let key = "decoder.up_blocks.0.upsampler.time_conv.weight"
        let shape = try #require(tensors[key]).shape
        tensors[key] = nil
        do {
            _ = try WanVAE(configuration: config, weights: tensors)
            Issue.record("loading without \(key) should have failed")
        } catch {
            guard case .weightMismatch(_, let problems) = error else { Issue.record("unexpected error: \(error)"); return }
            #expect(problems == [.missing(key: key, expectedShape: shape)])
        }
        // Every key the checkpoint holds is one Kino reads, with its shape.
        let expected = Dictionary(uniqueKeysWithValues: WanVAE.checkpointShapes(for: config).map { ($0.key, $0.shape) })
        #expect(expected.count == file.names.count)
        for name in file.names { #expect(expected[name] == (try file.tensor(name)).shape, "\(name)") }
    }

    /// TI2V-5B's vae/config.json (diffusers' `convert_wan_to_diffusers.py`; the latent statistics stand in).
    static let ti2v5B = """
    {"_class_name": "AutoencoderKLWan", "attn_scales": [], "base_dim": 160, "decoder_base_dim": 256,
     "dim_mult": [1, 2, 4, 4], "dropout": 0.0, "in_channels": 12, "is_residual": true,
     "latents_mean": \([Float](repeating: 0, count: 48)), "latents_std": \([Float](repeating: 1, count: 48)),
     "num_res_blocks": 2, "out_channels": 12, "patch_size": 2, "scale_factor_spatial": 16,
     "scale_factor_temporal": 4, "temperal_downsample": [false, true, true], "z_dim": 48}
    """

    @Test func ti2v5BConfigurationCompresses16x() throws {
        let config = try JSONDecoder().decode(WanVAE.Configuration.self, from: Data(Self.ti2v5B.utf8))
        try config.validate()
        #expect(config.spatialCompression == 16)
        #expect(config.temporalCompression == 4)
        #expect(config.videoChannels == 3)
        #expect(config.zDim == 48)
        #expect(WanVAE.Tiling.default(for: config) == WanVAE.Tiling(tile: 16, stride: 12))
        let shapes = WanVAE.checkpointShapes(for: config)
        #expect(Set(shapes.map(\.key)).count == shapes.count)
        #expect(shapes.count == Self.ti2v5BTensorCount)
        #expect(shapes.reduce(0) { $0 + $1.shape.reduce(1, *) } == Self.ti2v5BParameterCount)
    }

    /// diffusers' AutoencoderKLWan with TI2V-5B's configuration (counted on the meta device).
    static let ti2v5BTensorCount = 196
    static let ti2v5BParameterCount = 704_688_668

    @Test(arguments: [
        (#"{"is_residual": true, "patch_size": 4, "in_channels": 48, "out_channels": 48}"#, "patch_size"),
        (#"{"is_residual": true, "patch_size": 1, "in_channels": 3, "out_channels": 3}"#, "patch_size"),
        (#"{"is_residual": true, "in_channels": 12, "out_channels": 12}"#, "is_residual"),
        (#"{"patch_size": 2, "in_channels": 12, "out_channels": 12}"#, "is_residual"),
        (#"{"is_residual": true, "patch_size": 2}"#, "in_channels"),
        (#"{"is_residual": true, "patch_size": 2, "in_channels": 12, "out_channels": 12, "dim_mult": [1, 3, 3, 3]}"#, "dim_mult"),
    ])
    func unsupportedConfigurationsNameTheField(json: String, field: String) throws {
        let config = try JSONDecoder().decode(WanVAE.Configuration.self, from: Data(json.utf8))
        do {
            try config.validate(path: "x/vae/config.json")
            Issue.record("\(json) should be refused")
        } catch {
            #expect(error.description.contains("x/vae/config.json"))
            #expect(error.description.contains(field), "\(error.description)")
        }
    }
}
