import Foundation
import KinoTensor
import Testing
@testable import KinoModels

/// Parity with diffusers' AutoencoderKLWan on the tiny random VAE in Tests/Fixtures/vae-tiny
/// (made by Tooling/make_vae_goldens.py), plus loading errors, cancellation and input checks.
struct WanVAETests {
    static let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/vae-tiny")
    static var vaeFolder: String { fixture.appendingPathComponent("vae").path }

    static func golden(_ name: String) throws -> Tensor {
        try SafeTensorsFile(path: fixture.appendingPathComponent("goldens.safetensors").path).tensor(name)
    }

    /// A copy of the fixture's vae/ folder with its weights passed through `edit` (a fresh temporary folder).
    static func editedCopy(_ edit: (inout [String: Tensor]) -> Void) throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("kino-vae-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: vaeFolder + "/config.json", toPath: dir.path + "/config.json")
        let file = try SafeTensorsFile(path: vaeFolder + "/diffusion_pytorch_model.safetensors")
        var tensors: [String: Tensor] = [:]
        for name in file.names { tensors[name] = try file.tensor(name) }
        edit(&tensors)
        try SafeTensors.write(tensors, to: dir.path + "/diffusion_pytorch_model.safetensors")
        return dir.path
    }

    static func expectMismatch(_ folder: String, _ check: (String, [WeightProblem]) -> Void) {
        do {
            _ = try WanVAE(directory: URL(fileURLWithPath: folder))
            Issue.record("loading \(folder) should have failed")
        } catch {
            guard case .weightMismatch(let file, let problems) = error else {
                Issue.record("unexpected error: \(error)")
                return
            }
            #expect(file == folder + "/diffusion_pytorch_model.safetensors")
            #expect(error.description.contains(file))
            for problem in problems { #expect(error.description.contains(problem.key)) }
            check(file, problems)
        }
    }

    @Test func encodeMatchesDiffusers() throws {
        let vae = try WanVAE(directory: URL(fileURLWithPath: Self.vaeFolder))
        let mean = try vae.encode(try Self.golden("encode_input"))
        let expected = try Self.golden("encode_mean")
        #expect(mean.shape == [1, 4, 3, 4, 6])
        let error = mean.relativeError(to: expected)
        #expect(error < 1e-4, "relative error \(error)")
        print("WanVAE encode relative error vs diffusers: \(error)")
    }

    @Test func decodeMatchesDiffusersChunkByChunk() throws {
        let vae = try WanVAE(directory: URL(fileURLWithPath: Self.vaeFolder))
        var reports: [WanVAE.DecodeProgress] = []
        let video = try vae.decode(try Self.golden("decode_input"), progress: { reports.append($0) })
        let expected = try Self.golden("decode_output")
        #expect(video.shape == [1, 3, 13, 32, 48])
        let error = video.relativeError(to: expected)
        #expect(error < 1e-4, "relative error \(error)")
        print("WanVAE decode relative error vs diffusers: \(error)")
        #expect(reports.map(\.frames) == [0..<1, 1..<5, 5..<9, 9..<13])
        #expect(reports.map(\.completedChunks) == [1, 2, 3, 4])
        #expect(reports.allSatisfy { $0.totalChunks == 4 })
        // Each report's frames are final: they equal the corresponding frames of the whole result.
        let last = try #require(reports.last)
        #expect(last.video.scalars == video.sliced(axis: 2, 9..<13).scalars)
        let values = video.scalars
        #expect(values.allSatisfy { $0 >= -1 && $0 <= 1 })
        #expect(values.contains(1) || values.contains(-1), "the golden is meant to exercise the clamp")
    }

    /// Tiled decoding (diffusers' enable_tiling scheme) against diffusers' own tiled decode of the same latents,
    /// with tiny tiles so that every seam case occurs; and the seams cost about what they cost diffusers.
    @Test func tiledDecodeMatchesDiffusersTiled() throws {
        let vae = try WanVAE(directory: URL(fileURLWithPath: Self.vaeFolder))
        let input = try Self.golden("decode_input")
        var reports = 0
        let tiled = try vae.decode(input, tiling: .always(WanVAE.Tiling(tile: 2, stride: 1)), progress: { _ in reports += 1 })
        let expected = try SafeTensorsFile(path: Self.fixture.appendingPathComponent("goldens-tiled.safetensors").path)
            .tensor("decode_output_tiled")
        #expect(tiled.shape == [1, 3, 13, 32, 48])
        let error = tiled.relativeError(to: expected)
        #expect(error < 1e-4, "tiled decode relative error vs diffusers' tiled decode: \(error)")
        #expect(reports == 4 * 6 * 4)                               // tiles × latent frames
        let untiled = try vae.decode(input, tiling: .never)
        let ours = tiled.relativeError(to: untiled), theirs = expected.relativeError(to: try Self.golden("decode_output"))
        #expect(ours > 0 && ours <= theirs * 1.01, "tiled vs untiled: Kino \(ours), diffusers \(theirs)")
    }

    /// `.automatic` decodes whole frames while they fit the memory budget and tiles beyond it.
    @Test func automaticTilingFollowsTheMemoryEstimate() throws {
        let vae = try WanVAE(directory: URL(fileURLWithPath: Self.vaeFolder))
        #expect(WanVAE.TilingChoice.automatic.tiles(for: Tensor(zeros: [1, 4, 1, 4, 6]), vae: vae) == nil)
        #expect(WanVAE.TilingChoice.automatic.tiles(for: Tensor(zeros: [1, 4, 1, 1000, 1000]), vae: vae) == WanVAE.Tiling())
        #expect(WanVAE.TilingChoice.always(WanVAE.Tiling(tile: 8, stride: 6)).tiles(for: Tensor(zeros: [1, 4, 1, 4, 6]), vae: vae) == nil)
    }

    @Test func latentNormalisationMatchesThePipelines() throws {
        let vae = try WanVAE(directory: URL(fileURLWithPath: Self.vaeFolder))
        let normalized = vae.normalizeLatents(try Self.golden("encode_mean"))
        #expect(normalized.relativeError(to: try Self.golden("normalized")) < 1e-6)
        let denormalized = vae.denormalizeLatents(try Self.golden("decode_input"))
        #expect(denormalized.relativeError(to: try Self.golden("denormalized")) < 1e-6)
        // The two are inverses.
        let roundTrip = vae.denormalizeLatents(normalized)
        #expect(roundTrip.relativeError(to: try Self.golden("encode_mean")) < 1e-5)
    }

    /// A bf16 checkpoint must give what diffusers gives with the same (bf16-rounded) weights. This random tiny
    /// model is sensitive to weight rounding: bf16 moves diffusers' own decode ~7% from the fp32 golden, so the
    /// bf16 reference is the golden made with rounded weights; f16 stays within 2e-2 of the fp32 golden.
    @Test func bf16AndF16WeightsOnDisk() throws {
        let bf16 = try WanVAE(directory: URL(fileURLWithPath: try Self.editedCopy { tensors in tensors = tensors.mapValues { $0.converted(to: .bf16) } }))
        let bf16Decode = try bf16.decode(try Self.golden("decode_input")).relativeError(to: try Self.golden("decode_output_bf16_weights"))
        let bf16Encode = try bf16.encode(try Self.golden("encode_input")).relativeError(to: try Self.golden("encode_mean_bf16_weights"))
        #expect(bf16Decode < 1e-4, "bf16 decode relative error \(bf16Decode)")
        #expect(bf16Encode < 1e-4, "bf16 encode relative error \(bf16Encode)")

        let f16 = try WanVAE(directory: URL(fileURLWithPath: try Self.editedCopy { tensors in tensors = tensors.mapValues { $0.converted(to: .f16) } }))
        let f16Decode = try f16.decode(try Self.golden("decode_input")).relativeError(to: try Self.golden("decode_output"))
        let f16Encode = try f16.encode(try Self.golden("encode_input")).relativeError(to: try Self.golden("encode_mean"))
        #expect(f16Decode < 2e-2, "f16 decode relative error \(f16Decode)")
        #expect(f16Encode < 2e-2, "f16 encode relative error \(f16Encode)")
        #expect(f16Decode > 0, "f16 weights should round")
    }

    @Test func missingKeyIsNamedWithItsFile() throws {
        let folder = try Self.editedCopy { $0["decoder.up_blocks.1.upsamplers.0.time_conv.weight"] = nil }
        Self.expectMismatch(folder) { _, problems in
            #expect(problems == [.missing(key: "decoder.up_blocks.1.upsamplers.0.time_conv.weight", expectedShape: [32, 16, 3, 1, 1])])
        }
    }

    @Test func unexpectedAndMisshapenKeysAreNamed() throws {
        let folder = try Self.editedCopy { tensors in
            tensors["encoder.extra.weight"] = Tensor(zeros: [2])
            tensors["encoder.norm_out.gamma"] = Tensor(zeros: [16])
        }
        Self.expectMismatch(folder) { _, problems in
            #expect(problems.contains(.unexpected(key: "encoder.extra.weight", shape: [2])))
            #expect(problems.contains(.wrongShape(key: "encoder.norm_out.gamma", expected: [16, 1, 1, 1], found: [16])))
            #expect(problems.count == 2)
        }
    }

    @Test func shardedCheckpointLoads() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("kino-vae-shards-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: Self.vaeFolder + "/config.json", toPath: dir + "/config.json")
        let file = try SafeTensorsFile(path: Self.vaeFolder + "/diffusion_pytorch_model.safetensors")
        var shards: [[String: Tensor]] = [[:], [:]]
        var map: [String: String] = [:]
        for name in file.names {
            let shard = name.hasPrefix("encoder.") ? 0 : 1
            shards[shard][name] = try file.tensor(name)
            map[name] = "diffusion_pytorch_model-0000\(shard + 1)-of-00002.safetensors"
        }
        for (i, tensors) in shards.enumerated() {
            try SafeTensors.write(tensors, to: dir + "/diffusion_pytorch_model-0000\(i + 1)-of-00002.safetensors")
        }
        let index = try JSONSerialization.data(withJSONObject: ["metadata": [:] as [String: String], "weight_map": map])
        try index.write(to: URL(fileURLWithPath: dir + "/diffusion_pytorch_model.safetensors.index.json"))
        let vae = try WanVAE(directory: URL(fileURLWithPath: dir))
        let error = try vae.decode(try Self.golden("decode_input")).relativeError(to: try Self.golden("decode_output"))
        #expect(error < 1e-4, "relative error \(error)")

        // A shard named by the index but absent is reported by its path.
        try FileManager.default.removeItem(atPath: dir + "/diffusion_pytorch_model-00002-of-00002.safetensors")
        do {
            _ = try WanVAE(directory: URL(fileURLWithPath: dir))
            Issue.record("a missing shard should not load")
        } catch {
            guard case .missingFile(let path, _) = error else { Issue.record("unexpected \(error)"); return }
            #expect(path == dir + "/diffusion_pytorch_model-00002-of-00002.safetensors")
        }
    }

    @Test func missingFilesAreNamed() throws {
        let empty = FileManager.default.temporaryDirectory.appendingPathComponent("kino-vae-empty-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: empty, withIntermediateDirectories: true)
        #expect(throws: ModelError.missingFile(path: empty + "/config.json", hint:
            "A diffusers VAE folder holds config.json next to diffusion_pytorch_model.safetensors.")) {
            try WanVAE(directory: URL(fileURLWithPath: empty))
        }
        try FileManager.default.copyItem(atPath: Self.vaeFolder + "/config.json", toPath: empty + "/config.json")
        do {
            _ = try WanVAE(directory: URL(fileURLWithPath: empty))
            Issue.record("a folder without weights should not load")
        } catch {
            guard case .missingFile(let path, _) = error else { Issue.record("unexpected \(error)"); return }
            #expect(path == empty + "/diffusion_pytorch_model.safetensors")
        }
    }

    @Test func unsupportedConfigurationsAreRejected() throws {
        var config = WanVAE.Configuration()
        config.isResidual = true
        #expect(throws: ModelError.self) { try config.validate() }
        config = WanVAE.Configuration(zDim: 4)
        do {
            try config.validate(path: "x/config.json")
            Issue.record("latents_mean of 16 values for z_dim 4 should be rejected")
        } catch {
            #expect(error.description.contains("x/config.json"))
            #expect(error.description.contains("latents_mean"))
        }
    }

    @Test func publishedWan21ConfigDecodesWithDefaults() throws {
        // The fields of Wan-AI/Wan2.1-T2V-1.3B-Diffusers' vae/config.json (it omits the newer ones).
        let json = """
        {"_class_name": "AutoencoderKLWan", "_diffusers_version": "0.33.0.dev0", "attn_scales": [], "base_dim": 96,
         "dim_mult": [1, 2, 4, 4], "dropout": 0.0, "latents_mean": \(WanVAE.Configuration.wan21LatentsMean),
         "latents_std": \(WanVAE.Configuration.wan21LatentsStd), "num_res_blocks": 2,
         "temperal_downsample": [false, true, true], "z_dim": 16}
        """
        let config = try JSONDecoder().decode(WanVAE.Configuration.self, from: Data(json.utf8))
        #expect(config == WanVAE.Configuration())
        try config.validate()
        #expect(config.spatialCompression == 8 && config.temporalCompression == 4)
        // diffusers' AutoencoderKLWan() has 194 tensors and 126,892,531 parameters.
        let shapes = WanVAE.checkpointShapes(for: config)
        #expect(shapes.count == 194)
        #expect(shapes.reduce(0) { $0 + $1.shape.reduce(1, *) } == 126_892_531)
        #expect(Set(shapes.map(\.key)).count == shapes.count)
    }

    @Test func decodeStopsWhenCancelled() throws {
        let vae = try WanVAE(directory: URL(fileURLWithPath: Self.vaeFolder))
        var chunks = 0
        #expect(throws: CancellationError.self) {
            try vae.decode(try Self.golden("decode_input"), progress: { _ in chunks += 1 }, isCancelled: { chunks >= 2 })
        }
        #expect(chunks == 2)
        #expect(throws: CancellationError.self) {
            try vae.encode(try Self.golden("encode_input"), isCancelled: { true })
        }
    }

    @Test func badInputShapesThrow() throws {
        let vae = try WanVAE(directory: URL(fileURLWithPath: Self.vaeFolder))
        #expect(throws: ModelError.self) { try vae.encode(Tensor(zeros: [1, 3, 8, 32, 32])) }
        #expect(throws: ModelError.self) { try vae.encode(Tensor(zeros: [1, 3, 5, 30, 32])) }
        #expect(throws: ModelError.self) { try vae.decode(Tensor(zeros: [1, 16, 2, 4, 4])) }
        #expect(vae.frameCount(latentFrames: 21) == 81)
    }
}
