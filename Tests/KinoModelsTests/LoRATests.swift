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

    /// Every format of the goldens: name, adapter weight, parameters it changes. lightx2v: 20 block linears with
    /// biases, 5 top-level linears with biases, proj_out weight and bias; diff_m: 2 queries, 2 modulation tables.
    @Test(arguments: [("diffusers", Float(0.7), 20), ("wan", 1, 20), ("kohya", 1, 20), ("lightx2v", 0.8, 52), ("diff_m", 0.6, 4)])
    func matchesDiffusers(format: String, weight: Float, targets: Int) throws {
        let adapter = try LoRAAdapter(path: Self.lora.appendingPathComponent("\(format).safetensors").path, weight: weight)
        #expect(adapter.targetKeys.count == targets, "\(format): \(adapter.targetKeys)")
        let goldens = try SafeTensorsFile(path: Self.lora.appendingPathComponent("outputs.safetensors").path)
        let out = try output(loras: [adapter])
        let error = out.relativeError(to: try goldens.tensor("\(format)_output"))
        #expect(error < 1e-4, "\(format): relative error \(error) against diffusers")
        // The LoRA really changes the output: the base model is far from the golden.
        let base = try goldens.tensor("base_output")
        #expect(out.relativeError(to: base) > 0.05)
        #expect(try output(loras: []).relativeError(to: base) < 1e-4)
    }

    /// The norm diffs of a lightx2v file are dropped, as diffusers drops them, and reported, not silently lost.
    @Test func normDiffsAreReportedAsIgnored() throws {
        let adapter = try LoRAAdapter(path: Self.lora.appendingPathComponent("lightx2v.safetensors").path, weight: 0.8)
        let data = try Data(contentsOf: Self.lora.appendingPathComponent("index.json"))
        let index = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let dropped = try #require((index["lightx2v"] as? [String: Any])?["dropped_by_diffusers"] as? [String])
        #expect(dropped.count == 14)
        #expect(adapter.ignoredKeys.map(\.key) == dropped)
        #expect(adapter.ignoredKeys.allSatisfy { $0.reason.contains("norm") && "\($0)".contains($0.key) })
        #expect(!adapter.targetKeys.contains { $0.contains("norm") })
        #expect(!adapter.targetKeys.contains { $0.contains("scale_shift_table") })
    }

    /// The other keys diffusers' converter drops: a .diff on a block linear, a time_projection bias diff without
    /// time_projection LoRA weights; a file of nothing else is refused with the keys named.
    @Test func otherDroppedDiffsAreReported() throws {
        let dir = try Self.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("mixed.safetensors").path
        try SafeTensors.write(["diffusion_model.blocks.0.self_attn.q.lora_down.weight": Tensor(zeros: [4, 24]),
                               "diffusion_model.blocks.0.self_attn.q.lora_up.weight": Tensor(zeros: [24, 4]),
                               "diffusion_model.blocks.0.self_attn.k.diff": Tensor(zeros: [24, 24]),
                               "diffusion_model.time_projection.1.diff_b": Tensor(zeros: [144])], to: path)
        let adapter = try LoRAAdapter(path: path)
        #expect(adapter.targetKeys == ["blocks.0.attn1.to_q.weight"])
        #expect(adapter.ignoredKeys.map(\.key) == ["diffusion_model.blocks.0.self_attn.k.diff", "diffusion_model.time_projection.1.diff_b"])
        #expect(adapter.ignoredKeys[1].reason.contains("time_projection"))
        let onlyNorms = dir.appendingPathComponent("norms.safetensors").path
        try SafeTensors.write(["diffusion_model.blocks.0.norm3.diff": Tensor(zeros: [24])], to: onlyNorms)
        #expect { try LoRAAdapter(path: onlyNorms) } throws: { error in
            "\(error)".contains("no LoRA tensors Kino merges") && "\(error)".contains("diffusion_model.blocks.0.norm3.diff")
        }
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
        // Norms take no LoRA: their diffs are dropped (normDiffsAreReportedAsIgnored), a pair on them is an error.
        #expect(LoRAAdapter.diffusersModule("diffusion_model.blocks.0.norm3") == nil)
        #expect(LoRAAdapter.diffusersModule("diffusion_model.blocks.2.cross_attn.k_img") == "blocks.2.attn2.add_k_proj")
        #expect(LoRAAdapter.diffusersModule("diffusion_model.blocks.2.cross_attn.v_img") == "blocks.2.attn2.add_v_proj")
        #expect(LoRAAdapter.diffusersModule("diffusion_model.img_emb.proj.1") == "condition_embedder.image_embedder.ff.net.0.proj")
        #expect(LoRAAdapter.diffusersModule("diffusion_model.img_emb.proj.3") == "condition_embedder.image_embedder.ff.net.2")
        #expect(LoRAAdapter.diffusersModule("diffusion_model.time_projection.1") == "condition_embedder.time_proj")
        #expect(LoRAAdapter.diffusersModule("diffusion_model.time_embedding.0") == "condition_embedder.time_embedder.linear_1")
        #expect(LoRAAdapter.diffusersModule("diffusion_model.text_embedding.2") == "condition_embedder.text_embedder.linear_2")
        #expect(LoRAAdapter.diffusersModule("diffusion_model.blocks.4.modulation") == "blocks.4.scale_shift_table")
        #expect(LoRAAdapter.diffusersModule("unet.down_blocks.0.attn") == nil)
    }

    /// head.head.diff is a full proj_out change; blocks.N.diff_m goes into that block's scale_shift_table, [1, 6, dim]
    /// or [6, dim] (zeros here: the model loads with them and stays the base model).
    @Test func headDiffAndModulationDiffMapToTheirParameters() throws {
        let dir = try Self.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("diffs.safetensors").path
        try SafeTensors.write(["diffusion_model.head.head.diff": Tensor(zeros: [64, 24]), "diffusion_model.head.head.diff_b": Tensor(zeros: [64]),
                               "diffusion_model.blocks.0.diff_m": Tensor(zeros: [1, 6, 24]),
                               "diffusion_model.blocks.1.diff_m": Tensor(zeros: [6, 24])], to: path)
        let adapter = try LoRAAdapter(path: path)
        #expect(adapter.targetKeys == ["blocks.0.scale_shift_table", "blocks.1.scale_shift_table", "proj_out.bias", "proj_out.weight"])
        #expect(adapter.ignoredKeys.isEmpty)
        let base = try SafeTensorsFile(path: Self.lora.appendingPathComponent("outputs.safetensors").path).tensor("base_output")
        #expect(try output(loras: [adapter]).relativeError(to: base) < 1e-4)
    }

    /// Image-to-video targets map to their diffusers names; a text-to-video model has no such parameter and says so.
    @Test func imageOnlyTargetsAreRefusedOnATextToVideoModel() throws {
        let dir = try Self.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("i2v.safetensors").path
        try SafeTensors.write(["diffusion_model.blocks.0.cross_attn.k_img.lora_down.weight": Tensor(zeros: [4, 24]),
                               "diffusion_model.blocks.0.cross_attn.k_img.lora_up.weight": Tensor(zeros: [24, 4]),
                               "diffusion_model.img_emb.proj.1.lora_down.weight": Tensor(zeros: [4, 32]),
                               "diffusion_model.img_emb.proj.1.lora_up.weight": Tensor(zeros: [32, 4])], to: path)
        let adapter = try LoRAAdapter(path: path)
        #expect(adapter.targetKeys == ["blocks.0.attn2.add_k_proj.weight", "condition_embedder.image_embedder.ff.net.0.proj.weight"])
        #expect { try output(loras: [adapter]) } throws: { error in
            "\(error)".contains("no parameter 'blocks.0.attn2.add_k_proj.weight' in this model (from 'diffusion_model.blocks.0.cross_attn.k_img.lora_down.weight')")
                && "\(error)".contains("no parameter 'condition_embedder.image_embedder.ff.net.0.proj.weight'")
        }
    }

    static func temporaryFolder() throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("kino-lora-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
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
