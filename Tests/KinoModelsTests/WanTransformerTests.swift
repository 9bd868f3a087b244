import Foundation
import KinoTensor
import KinoTestSupport
import Testing
@testable import KinoModels

/// The transformer against diffusers' WanTransformer3DModel (Tooling/make_goldens.py): fp32 within 1e-4
/// relative (max|a-b| / max|b|); bf16 weights within 2e-2.
struct WanTransformerTests {
    @Test(arguments: [0, 1])
    func tinyTransformerMatchesDiffusers(input: Int) throws {
        let model = try WanTransformer(directory: Fixtures.tinyPipeline.appendingPathComponent("transformer"))
        let io = try Fixtures.tensors("transformer.safetensors")
        let t = try io.tensor("timestep_\(input)").scalars
        let out = try model(try io.tensor("hidden_states_\(input)"), timesteps: t,
                            context: model.textContext(try io.tensor("encoder_hidden_states_\(input)")))
        let error = out.relativeError(to: try io.tensor("output_\(input)"))
        #expect(error < 1e-4, "relative error \(error)")
    }

    @Test func headDim128UsesWansRopeSplit() throws {
        let model = try WanTransformer(directory: Fixtures.wan.appendingPathComponent("transformer-hd128"))
        #expect(model.configuration.attentionHeadDim == 128)
        let io = try Fixtures.tensors("transformer.safetensors")
        let out = try model(try io.tensor("hd128_hidden_states"), timesteps: try io.tensor("hd128_timestep").scalars,
                            context: model.textContext(try io.tensor("hd128_encoder_hidden_states")))
        let error = out.relativeError(to: try io.tensor("hd128_output"))
        #expect(error < 1e-4, "relative error \(error)")
    }

    @Test func bf16WeightsStayClose() throws {
        let model = try WanTransformer(directory: Fixtures.tinyPipeline.appendingPathComponent("transformer"), dtype: .bf16)
        let io = try Fixtures.tensors("transformer.safetensors")
        let out = try model(try io.tensor("hidden_states_0"), timesteps: try io.tensor("timestep_0").scalars,
                            context: model.textContext(try io.tensor("encoder_hidden_states_0")))
        let error = out.relativeError(to: try io.tensor("output_0"))
        #expect(error < 2e-2, "relative error \(error)")
        #expect(error > 0, "bf16 weights should not be bit-identical to fp32")
    }

    @Test func wrongWeightsNameTheFileAndKey() throws {
        let folder = try Fixtures.scratchCopy(of: Fixtures.tinyPipeline.appendingPathComponent("transformer"))
        let weights = folder.appendingPathComponent("diffusion_pytorch_model.safetensors")
        let file = try SafeTensorsFile(path: weights.path)
        var tensors: [String: Tensor] = [:]
        for name in file.names where name != "blocks.0.attn1.to_q.weight" { tensors[name] = try file.tensor(name).copied() }
        tensors["proj_out.bias"] = Tensor(zeros: [3])
        tensors["blocks.9.extra.weight"] = Tensor(zeros: [1])
        try SafeTensors.write(tensors, to: weights.path)
        do {
            _ = try WanTransformer(directory: folder)
            Issue.record("loading broken weights should fail")
        } catch let error as ModelError {
            // The same error, and the same words, as every other model's loader (one ParameterReader).
            guard case .weightMismatch(let file, let problems) = error else { Issue.record("unexpected \(error)"); return }
            #expect(file == weights.path)
            #expect(problems.contains(.missing(key: "blocks.0.attn1.to_q.weight", expectedShape: [24, 24])))
            #expect(problems.contains(.wrongShape(key: "proj_out.bias", expected: [64], found: [3])))
            #expect(problems.contains(.unexpected(key: "blocks.9.extra.weight", shape: [1])))
            #expect(error.description.contains("missing tensor 'blocks.0.attn1.to_q.weight'") && error.description.contains(weights.path))
        }
    }

    @Test func missingConfigNamesTheFile() throws {
        let folder = try Fixtures.scratchCopy(of: Fixtures.tinyPipeline.appendingPathComponent("transformer"))
        try FileManager.default.removeItem(at: folder.appendingPathComponent("config.json"))
        #expect(throws: ModelError.missingFile(path: folder.appendingPathComponent("config.json").path,
                                               hint: "every diffusers component folder needs its config.json")) {
            try WanTransformer(directory: folder)
        }
        try Data("{\"num_layers\": \"two\"}".utf8).write(to: folder.appendingPathComponent("config.json"))
        do {
            _ = try WanTransformer(directory: folder)
            Issue.record("a malformed config should fail")
        } catch let error as ModelError {
            #expect(error.description.contains("config.json") && error.description.contains("num_layers"))
        }
    }
}

struct T5EncoderTests {
    /// Encoding only the real tokens reproduces diffusers' masked encoding of the real rows.
    @Test func encoderMatchesTransformersOnRealTokens() throws {
        let model = try T5Encoder(directory: Fixtures.tinyPipeline.appendingPathComponent("text_encoder"))
        let io = try Fixtures.tensors("text_encoder.safetensors")
        let ids = try io.integers("input_ids"), mask = try io.integers("attention_mask")
        let embeds = try io.tensor("prompt_embeds")
        let length = embeds.shape[1], width = embeds.shape[2]
        for row in 0..<embeds.shape[0] {
            let n = (0..<length).filter { mask[row * length + $0] == 1 }.count
            let tokens = Array(ids[(row * length)..<(row * length + n)])
            let out = try model(tokens)
            #expect(out.shape == [1, n, width])
            let golden = embeds.sliced(axis: 0, row..<(row + 1)).sliced(axis: 1, 0..<n)
            let error = out.relativeError(to: golden)
            #expect(error < 1e-4, "prompt \(row): relative error \(error) over \(n) tokens")
            // Rows past the real length are exactly zero in Wan's embeddings.
            #expect(embeds.sliced(axis: 0, row..<(row + 1)).sliced(axis: 1, n..<length).contiguous().scalars.allSatisfy { $0 == 0 })
        }
    }

    @Test func bucketsMatchT5() {
        // transformers' bidirectional buckets (32 buckets, max distance 128) at a few distances.
        let expected: [(Int, Int)] = [(0, 0), (1, 17), (-1, 1), (7, 23), (8, 24), (15, 25), (16, 26), (-16, 10), (127, 31), (500, 31), (-500, 15)]
        for (distance, bucket) in expected {
            #expect(T5Encoder.bucket(distance, buckets: 32, maxDistance: 128) == bucket, "distance \(distance)")
        }
    }

    @Test func rejectsOutOfVocabularyIds() throws {
        let model = try T5Encoder(directory: Fixtures.tinyPipeline.appendingPathComponent("text_encoder"))
        #expect(throws: ModelError.self) { try model([model.configuration.vocabSize]) }
        #expect(throws: ModelError.self) { try model([]) }
    }
}
