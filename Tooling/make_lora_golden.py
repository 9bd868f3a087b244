#!/usr/bin/env python3
"""Writes the LoRA goldens (Tests/Fixtures/lora/): random rank-4 LoRAs for the tiny Wan transformer of
Tests/Fixtures/wan/tiny-pipeline in the three key formats Kino reads, loaded by diffusers' `load_lora_weights`,
and the transformer's output with each applied on the inputs of Tests/Fixtures/wan/transformer.safetensors.

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

    runs = [("diffusers", diffusers_keys, 0.7, a, 1.0), ("wan", wan_keys, 1.0, b, 0.5), ("kohya", kohya_keys, 1.0, c, 2.0)]
    for name, keys, weight, lora, scale in runs:
        path = os.path.join(OUT, f"{name}.safetensors")
        save_file(keys, path)
        p = WanPipeline.from_pretrained(os.path.join(WAN, "tiny-pipeline"), torch_dtype=torch.float32)
        p.load_lora_weights(path, adapter_name=name)
        p.set_adapters([name], adapter_weights=[weight])
        with torch.no_grad():
            out = p.transformer(x, t, ctx, return_dict=False)[0]
        # Cross-check: merging W + weight·scale·B·A by hand gives the same output (what Kino does).
        q = WanPipeline.from_pretrained(os.path.join(WAN, "tiny-pipeline"), torch_dtype=torch.float32)
        mods = dict(q.transformer.named_modules())
        with torch.no_grad():
            for m, (A, B) in lora.items():
                mods[m].weight += weight * scale * (B @ A)
            manual = q.transformer(x, t, ctx, return_dict=False)[0]
        err = ((out - manual).abs().max() / out.abs().max()).item()
        change = ((out - base).abs().max() / base.abs().max()).item()
        assert err < 1e-5, f"{name}: diffusers' load_lora_weights differs from the manual merge ({err})"
        assert change > 0.05, f"{name}: the LoRA barely changes the output ({change})"
        goldens[f"{name}_output"] = out
        meta[name] = {"file": f"{name}.safetensors", "adapter_weight": weight, "scale": scale,
                      "relative_change_vs_base": round(change, 4), "diffusers_vs_manual_merge": err}
    save_file({k: v.contiguous() for k, v in goldens.items()}, os.path.join(OUT, "outputs.safetensors"))
    import diffusers, peft
    meta["versions"] = {"torch": torch.__version__, "diffusers": diffusers.__version__, "peft": peft.__version__}
    with open(os.path.join(OUT, "index.json"), "w") as f:
        json.dump(meta, f, indent=1)
    print(json.dumps(meta, indent=1))


if __name__ == "__main__":
    main()
