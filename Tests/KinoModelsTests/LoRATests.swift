import Foundation
import KinoModels
import KinoTensor
import KinoTestSupport
import Testing

/// LoRA loading against diffusers' `load_lora_weights` (goldens: Tooling/make_lora_golden.py, Tests/Fixtures/lora).
@Suite struct LoRATests {
    static let lora = Fixtures.root.appendingPathComponent("lora")
    static let transformerFolder = Fixtures.tinyPipeline.appendingPathComponent("transformer")

    func output(loras: [LoRAAdapter]) throws -> Tensor {
        let model = try WanTransformer(directory: Self.transformerFolder, loras: loras)
        let io = try Fixtures.tensors("transformer.safetensors")
        return try model(try io.tensor("hidden_states_0"), timesteps: try io.tensor("timestep_0").scalars,
                         context: model.textContext(try io.tensor("encoder_hidden_states_0")))
    }

    @Test(arguments: [("diffusers", Float(0.7)), ("wan", 1), ("kohya", 1)])
    func matchesDiffusers(format: String, weight: Float) throws {
        let adapter = try LoRAAdapter(path: Self.lora.appendingPathComponent("\(format).safetensors").path, weight: weight)
        #expect(adapter.targetKeys.count == 20, "2 blocks x 10 linear layers")
        let goldens = try SafeTensorsFile(path: Self.lora.appendingPathComponent("outputs.safetensors").path)
        let out = try output(loras: [adapter])
        let error = out.relativeError(to: try goldens.tensor("\(format)_output"))
        #expect(error < 1e-4, "\(format): relative error \(error) against diffusers")
        // The LoRA really changes the output: the base model is far from the golden.
        let base = try goldens.tensor("base_output")
        #expect(out.relativeError(to: base) > 0.05)
        #expect(try output(loras: []).relativeError(to: base) < 1e-4)
    }

    @Test func weightZeroLeavesTheModelUnchanged() throws {
        let adapter = try LoRAAdapter(path: Self.lora.appendingPathComponent("wan.safetensors").path, weight: 0)
        let base = try SafeTensorsFile(path: Self.lora.appendingPathComponent("outputs.safetensors").path).tensor("base_output")
        #expect(try output(loras: [adapter]).relativeError(to: base) < 1e-4)
    }

    @Test func keyFormatsMapToDiffusersModules() {
        #expect(LoRAAdapter.diffusersModule("diffusion_model.blocks.3.self_attn.o") == "blocks.3.attn1.to_out.0")
        #expect(LoRAAdapter.diffusersModule("transformer.blocks.0.ffn.net.0.proj") == "blocks.0.ffn.net.0.proj")
        #expect(LoRAAdapter.diffusersModule("lora_unet_blocks_12_cross_attn_k") == "blocks.12.attn2.to_k")
        #expect(LoRAAdapter.diffusersModule("lora_unet_blocks_1_ffn_2") == "blocks.1.ffn.net.2")
        #expect(LoRAAdapter.diffusersModule("diffusion_model.head.head") == "proj_out")
        #expect(LoRAAdapter.diffusersModule("diffusion_model.blocks.0.norm3") == "blocks.0.norm2")
        #expect(LoRAAdapter.diffusersModule("unet.down_blocks.0.attn") == nil)
    }

    @Test func aLoRAForAnotherModelIsRefusedWithTheKey() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("kino-lora-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        // Block 7 does not exist in the 2-layer model; the wrong inner size does not fit block 0.
        let missing = dir.appendingPathComponent("missing.safetensors").path
        try SafeTensors.write(["diffusion_model.blocks.7.self_attn.q.lora_down.weight": Tensor(zeros: [4, 24]),
                               "diffusion_model.blocks.7.self_attn.q.lora_up.weight": Tensor(zeros: [24, 4])], to: missing)
        #expect { try output(loras: [try LoRAAdapter(path: missing)]) } throws: { error in
            "\(error)".contains("no parameter 'blocks.7.attn1.to_q.weight'")
        }
        let wrong = dir.appendingPathComponent("wrong.safetensors").path
        try SafeTensors.write(["diffusion_model.blocks.0.self_attn.q.lora_down.weight": Tensor(zeros: [4, 1536]),
                               "diffusion_model.blocks.0.self_attn.q.lora_up.weight": Tensor(zeros: [1536, 4])], to: wrong)
        #expect { try output(loras: [try LoRAAdapter(path: wrong)]) } throws: { error in
            "\(error)".contains("another model size")
        }
        let junk = dir.appendingPathComponent("junk.safetensors").path
        try SafeTensors.write(["model.layers.0.weight": Tensor(zeros: [2, 2])], to: junk)
        #expect { try LoRAAdapter(path: junk) } throws: { error in "\(error)".contains("not a LoRA tensor") }
    }
}
