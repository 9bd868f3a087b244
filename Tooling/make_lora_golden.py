#!/usr/bin/env python3
"""Writes the LoRA goldens (Tests/Fixtures/lora/): random rank-4 LoRAs for the tiny Wan transformer of
Tests/Fixtures/wan/tiny-pipeline in every key format Kino reads, loaded by diffusers' `load_lora_weights`,
and the transformer's output with each applied on the inputs of Tests/Fixtures/wan/transformer.safetensors.

Formats: diffusers (PEFT keys), wan (diffusion_model.* lora_down/lora_up + alpha), kohya (lora_unet_*),
lightx2v (diffusion_model.* lora_A/lora_B + alpha, .diff_b biases, head.head.diff, the embedders and time
projection, and norm diffs that diffusers drops), diff_m (a LoRA pair plus blocks.N.diff_m: diffusers ignores
diff_m, so that golden is diffusers' output with the modulation change added to scale_shift_table by hand, as
lightx2v's loader merges it).

Offline, CPU, fp32, seeded, a few seconds; needs torch, diffusers, peft, safetensors. CI never runs it.
    python3 Tooling/make_lora_golden.py
"""
import json
import os

import torch
from diffusers import WanPipeline
from safetensors.torch import load_file, save_file

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
WAN = os.path.join(ROOT, "Tests", "Fixtures", "wan")
OUT = os.path.join(ROOT, "Tests", "Fixtures", "lora")
RANK = 4
# diffusers module -> original Wan (ComfyUI / kohya) module name inside a block
MODULES = {"attn1.to_q": "self_attn.q", "attn1.to_k": "self_attn.k", "attn1.to_v": "self_attn.v",
           "attn1.to_out.0": "self_attn.o", "attn2.to_q": "cross_attn.q", "attn2.to_k": "cross_attn.k",
           "attn2.to_v": "cross_attn.v", "attn2.to_out.0": "cross_attn.o", "ffn.net.0.proj": "ffn.0",
           "ffn.net.2": "ffn.2"}
# original Wan top-level module -> diffusers module (lightx2v format)
TOP_MODULES = {"time_projection.1": "condition_embedder.time_proj",
               "time_embedding.0": "condition_embedder.time_embedder.linear_1",
               "time_embedding.2": "condition_embedder.time_embedder.linear_2",
               "text_embedding.0": "condition_embedder.text_embedder.linear_1",
               "text_embedding.2": "condition_embedder.text_embedder.linear_2"}
# 1-D norm diffs inside a block (lightx2v files ship them; diffusers drops every key with "norm" and .diff/.diff_b)
NORM_DIFFS = ["norm3.diff", "norm3.diff_b", "self_attn.norm_q.diff", "self_attn.norm_k.diff",
              "cross_attn.norm_q.diff", "cross_attn.norm_k.diff", "cross_attn.norm_k_img.diff"]


def shapes(transformer):
    mods = dict(transformer.named_modules())
    return {f"blocks.{i}.{m}": tuple(mods[f"blocks.{i}.{m}"].weight.shape)
            for i in range(len(transformer.blocks)) for m in MODULES}


def random_lora(shapes, g):
    """{diffusers module: (A [r, in], B [out, r])}, scaled so the change is clearly visible but not dominant."""
    return {m: (torch.randn(RANK, s[1], generator=g) * 0.3, torch.randn(s[0], RANK, generator=g) * 0.3)
            for m, s in shapes.items()}


def main():
    os.makedirs(OUT, exist_ok=True)
    inputs = load_file(os.path.join(WAN, "transformer.safetensors"))
    x, t, ctx = inputs["hidden_states_0"], inputs["timestep_0"], inputs["encoder_hidden_states_0"]
    g = torch.Generator().manual_seed(7)
    pipe = WanPipeline.from_pretrained(os.path.join(WAN, "tiny-pipeline"), torch_dtype=torch.float32)
    sh = shapes(pipe.transformer)
    with torch.no_grad():
        base = pipe.transformer(x, t, ctx, return_dict=False)[0]
    goldens, meta = {"base_output": base}, {}

    # 1. diffusers / PEFT keys, no alpha (scale 1), applied at adapter weight 0.7.
    a = random_lora(sh, g)
    diffusers_keys = {}
    for m, (A, B) in a.items():
        diffusers_keys[f"transformer.{m}.lora_A.weight"] = A.contiguous()
        diffusers_keys[f"transformer.{m}.lora_B.weight"] = B.contiguous()
    # 2. original Wan keys (diffusion_model.*, lora_down/lora_up + alpha 2 -> scale alpha/rank = 0.5).
    b = random_lora(sh, g)
    wan_keys = {}
    for m, (A, B) in b.items():
        i, rest = m.split(".", 2)[1], m.split(".", 2)[2]
        name = f"diffusion_model.blocks.{i}.{MODULES[rest]}"
        wan_keys[f"{name}.lora_down.weight"] = A.contiguous()
        wan_keys[f"{name}.lora_up.weight"] = B.contiguous()
        wan_keys[f"{name}.alpha"] = torch.tensor(2.0)
    # 3. kohya keys (lora_unet_blocks_0_self_attn_q.*), alpha 8 -> scale 2, plus a bias diff (diff_b).
    c = random_lora(sh, g)
    kohya_keys = {}
    for m, (A, B) in c.items():
        i, rest = m.split(".", 2)[1], m.split(".", 2)[2]
        name = "lora_unet_blocks_" + i + "_" + MODULES[rest].replace(".", "_")
        kohya_keys[f"{name}.lora_down.weight"] = A.contiguous()
        kohya_keys[f"{name}.lora_up.weight"] = B.contiguous()
        kohya_keys[f"{name}.alpha"] = torch.tensor(8.0)

    # 4. lightx2v-style distill LoRA: lora_A/lora_B + alpha 2 (scale 0.5) and .diff_b on every block linear,
    # LoRA pairs + .diff_b on the embedders and the time projection, a full head.head.diff (+ .diff_b), and norm
    # diffs (norm3, norm_q/norm_k) that diffusers drops; adapter weight 0.8.
    d = random_lora(sh, g)
    mods = dict(pipe.transformer.named_modules())
    lightx2v_keys, d_weights, d_biases = {}, {}, {}
    for m, (A, B) in d.items():
        i, rest = m.split(".", 2)[1], m.split(".", 2)[2]
        name = f"diffusion_model.blocks.{i}.{MODULES[rest]}"
        lightx2v_keys[f"{name}.lora_A.weight"] = A.contiguous()
        lightx2v_keys[f"{name}.lora_B.weight"] = B.contiguous()
        lightx2v_keys[f"{name}.alpha"] = torch.tensor(2.0)
        bias = torch.randn(B.shape[0], generator=g) * 0.1
        lightx2v_keys[f"{name}.diff_b"] = bias
        d_weights[m], d_biases[m] = 0.5 * (B @ A), bias
    for theirs, ours in TOP_MODULES.items():
        out_f, in_f = mods[ours].weight.shape
        A, B = torch.randn(RANK, in_f, generator=g) * 0.3, torch.randn(out_f, RANK, generator=g) * 0.3
        bias = torch.randn(out_f, generator=g) * 0.1
        lightx2v_keys[f"diffusion_model.{theirs}.lora_A.weight"] = A.contiguous()
        lightx2v_keys[f"diffusion_model.{theirs}.lora_B.weight"] = B.contiguous()
        lightx2v_keys[f"diffusion_model.{theirs}.diff_b"] = bias
        d_weights[ours], d_biases[ours] = B @ A, bias
    head = mods["proj_out"].weight
    lightx2v_keys["diffusion_model.head.head.diff"] = torch.randn(*head.shape, generator=g) * 0.05
    lightx2v_keys["diffusion_model.head.head.diff_b"] = torch.randn(head.shape[0], generator=g) * 0.05
    d_weights["proj_out"], d_biases["proj_out"] = lightx2v_keys["diffusion_model.head.head.diff"], lightx2v_keys["diffusion_model.head.head.diff_b"]
    dim = pipe.transformer.config.num_attention_heads * pipe.transformer.config.attention_head_dim
    for i in range(len(pipe.transformer.blocks)):
        for norm in NORM_DIFFS:
            lightx2v_keys[f"diffusion_model.blocks.{i}.{norm}"] = torch.randn(dim, generator=g) * 0.5
    # 5. diff_m: a LoRA pair on every self-attention query plus each block's modulation change (diff_m,
    # [1, 6, dim]); adapter weight 0.6.
    e = {m: v for m, v in random_lora(sh, g).items() if m.endswith("attn1.to_q")}
    diff_m_keys, e_weights, modulation = {}, {}, {}
    for m, (A, B) in e.items():
        i = m.split(".")[1]
        diff_m_keys[f"diffusion_model.blocks.{i}.self_attn.q.lora_down.weight"] = A.contiguous()
        diff_m_keys[f"diffusion_model.blocks.{i}.self_attn.q.lora_up.weight"] = B.contiguous()
        diff_m_keys[f"diffusion_model.blocks.{i}.diff_m"] = torch.randn(1, 6, dim, generator=g) * 0.3
        e_weights[m] = B @ A
        modulation[f"blocks.{i}"] = diff_m_keys[f"diffusion_model.blocks.{i}.diff_m"]

    def pairs(lora, scale):
        return {m: scale * (B @ A) for m, (A, B) in lora.items()}

    # name, keys, adapter weight, {module: weight change}, {module: bias change}, {block: modulation change},
    # scale (alpha / rank of the block LoRA pairs)
    runs = [("diffusers", diffusers_keys, 0.7, pairs(a, 1.0), {}, {}, 1.0), ("wan", wan_keys, 1.0, pairs(b, 0.5), {}, {}, 0.5),
            ("kohya", kohya_keys, 1.0, pairs(c, 2.0), {}, {}, 2.0),
            ("lightx2v", lightx2v_keys, 0.8, d_weights, d_biases, {}, 0.5),
            ("diff_m", diff_m_keys, 0.6, e_weights, {}, modulation, 1.0)]
    for name, keys, weight, weights, biases, modulations, scale in runs:
        path = os.path.join(OUT, f"{name}.safetensors")
        save_file(keys, path)
        p = WanPipeline.from_pretrained(os.path.join(WAN, "tiny-pipeline"), torch_dtype=torch.float32)
        p.load_lora_weights(path, adapter_name=name)
        p.set_adapters([name], adapter_weights=[weight])
        with torch.no_grad():
            pairs_only = p.transformer(x, t, ctx, return_dict=False)[0]
            # diffusers has no handler for diff_m (it ignores it); add it to the modulation by hand, as
            # lightx2v's loader merges it.
            for block, change in modulations.items():
                dict(p.transformer.named_modules())[block].scale_shift_table += weight * change
            out = p.transformer(x, t, ctx, return_dict=False)[0]
        # Cross-check: merging every change by hand gives the same output (what Kino does).
        q = WanPipeline.from_pretrained(os.path.join(WAN, "tiny-pipeline"), torch_dtype=torch.float32)
        mods_q = dict(q.transformer.named_modules())
        with torch.no_grad():
            for m, change in weights.items():
                mods_q[m].weight += weight * change
            for m, change in biases.items():
                mods_q[m].bias += weight * change
            for block, change in modulations.items():
                mods_q[block].scale_shift_table += weight * change
            manual = q.transformer(x, t, ctx, return_dict=False)[0]
        err = ((out - manual).abs().max() / out.abs().max()).item()
        change = ((out - base).abs().max() / base.abs().max()).item()
        assert err < 1e-5, f"{name}: diffusers' load_lora_weights differs from the manual merge ({err})"
        assert change > 0.05, f"{name}: the LoRA barely changes the output ({change})"
        goldens[f"{name}_output"] = out
        meta[name] = {"file": f"{name}.safetensors", "adapter_weight": weight, "scale": scale,
                      "relative_change_vs_base": round(change, 4), "diffusers_vs_manual_merge": err}
        if modulations:
            meta[name]["relative_change_from_diff_m"] = round(((out - pairs_only).abs().max() / out.abs().max()).item(), 4)
    meta["lightx2v"]["dropped_by_diffusers"] = sorted(k for k in lightx2v_keys if any(n in k for n in NORM_DIFFS))
    meta["diff_m"]["golden"] = ("manual merge: diffusers ignores blocks.N.diff_m, so the golden is diffusers' output for "
                                "the LoRA pairs with adapter_weight * diff_m added to blocks.N.scale_shift_table by hand")
    save_file({k: v.contiguous() for k, v in goldens.items()}, os.path.join(OUT, "outputs.safetensors"))
    import diffusers, peft
    meta["versions"] = {"torch": torch.__version__, "diffusers": diffusers.__version__, "peft": peft.__version__}
    with open(os.path.join(OUT, "index.json"), "w") as f:
        json.dump(meta, f, indent=1)
    print(json.dumps(meta, indent=1))


if __name__ == "__main__":
    main()
