#!/usr/bin/env python3
"""bf16 goldens for the tiny pipeline (unipc, guidance 1, same initial latents as pipelines.safetensors):
  - `video_bf16_weights`: transformer and text-encoder weights rounded to bf16, compute in fp32 (what Kino does
    with `--precision bf16`: bf16 storage, f32 arithmetic);
  - `video_bf16_compute`: the whole pipeline in torch bf16 (diffusers with torch_dtype=torch.bfloat16).
    python3 Tooling/make_bf16_golden.py      # writes Tests/Fixtures/wan/pipelines_bf16.safetensors
"""
import json
import os

import torch
from diffusers import WanPipeline
from safetensors.torch import load_file, save_file

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
WAN = os.path.join(ROOT, "Tests", "Fixtures", "wan")


def run(pipe, init, spec, dtype):
    captured = {}
    decode = pipe.vae.decode

    def capture(z, *a, **k):
        out = decode(z, *a, **k)
        captured["video"] = (out[0] if isinstance(out, tuple) else out.sample).float()
        return out
    pipe.vae.decode = capture
    pipe(prompt=spec["prompt"], height=32, width=48, num_frames=9, num_inference_steps=spec["steps"], guidance_scale=1.0,
         latents=init.clone().to(dtype), output_type="np", max_sequence_length=512)
    return captured["video"].contiguous()


def main():
    torch.manual_seed(0)
    init = load_file(os.path.join(WAN, "pipelines.safetensors"))["initial_latents"]
    spec = json.load(open(os.path.join(WAN, "pipelines.json")))["runs"]["unipc_g1"]
    folder = os.path.join(WAN, "tiny-pipeline")
    pipe = WanPipeline.from_pretrained(folder, torch_dtype=torch.float32)
    with torch.no_grad():
        for module in (pipe.transformer, pipe.text_encoder):
            for p in module.parameters():
                p.copy_(p.to(torch.bfloat16).float())
    weights = run(pipe, init, spec, torch.float32)
    pipe = WanPipeline.from_pretrained(folder, torch_dtype=torch.bfloat16)
    pipe.vae.to(torch.float32)
    compute = run(pipe, init, spec, torch.bfloat16)
    save_file({"video_bf16_weights": weights, "video_bf16_compute": compute},
              os.path.join(WAN, "pipelines_bf16.safetensors"))
    print("wrote pipelines_bf16.safetensors")


if __name__ == "__main__":
    main()
