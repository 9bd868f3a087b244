#!/usr/bin/env python3
"""Writes the step-distill sampler goldens (Tests/Fixtures/samplers/): a small Python reference of the sampler
step-distilled Wan runs with (lightx2v's 4-step recipe), driven by the tiny random pipeline of
Tests/Fixtures/wan/tiny-pipeline, with the initial latents and the re-noising noise saved so Kino can replay them.

The sampler: shifted sigmas taken from a 1000-step grid at the listed training timesteps
(u = linspace(1, 0, 1001)[1000 - t], sigma = s*u / (1 + (s-1)*u), the transformer sees sigma*1000); each step
predicts x0 = x - sigma*v, then re-noises it to the next level, (1 - sigma')*x0 + sigma'*eps (stochastic), or
moves to x0 + sigma'*v (deterministic); the last step returns x0.

Offline, CPU, fp32, seeded, a few seconds; needs torch and diffusers. CI never runs it.
    python3 Tooling/make_sampler_goldens.py
"""
import json
import os
import sys

import torch
from diffusers import WanPipeline
from safetensors.torch import save_file

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "Tooling", "goldens"))
import components as C  # noqa: E402
from hard_strings import WAN_NEGATIVE_PROMPT  # noqa: E402

FOLDER = os.path.join(ROOT, "Tests", "Fixtures", "wan", "tiny-pipeline")
OUT = os.path.join(ROOT, "Tests", "Fixtures", "samplers")
PROMPT = "A red ball bounces across green grass"
HEIGHT, WIDTH, FRAMES = 32, 48, 9
RUNS = [  # name, timestep list, shift, stochastic, guidance
    ("stochastic_g1", [1000, 750, 500, 250], 5.0, True, 1.0),
    ("deterministic_g1", [1000, 750, 500, 250], 5.0, False, 1.0),
    ("stochastic_custom_g4", [999, 800, 500], 3.0, True, 4.0),
]


def schedule(steps, shift, n=1000):
    grid = torch.linspace(1.0, 0.0, n + 1)[:-1]
    sigmas = shift * grid / (1 + (shift - 1) * grid)
    index = [n - t for t in steps]
    return sigmas[index], sigmas[index] * n


def main():
    torch.set_num_threads(2)
    os.makedirs(OUT, exist_ok=True)
    pipe = WanPipeline.from_pretrained(FOLDER, torch_dtype=torch.float32)
    g = torch.Generator().manual_seed(2026)
    shape = (1, 16, (FRAMES - 1) // 4 + 1, HEIGHT // 8, WIDTH // 8)
    tensors = {"initial_latents": torch.randn(shape, generator=g)}
    meta = {"prompt": PROMPT, "negative_prompt": WAN_NEGATIVE_PROMPT, "height": HEIGHT, "width": WIDTH,
            "frames": FRAMES, "max_sequence_length": C.MAX_SEQUENCE_LENGTH, "runs": {}}
    with torch.no_grad():
        cond, uncond = pipe.encode_prompt(PROMPT, WAN_NEGATIVE_PROMPT, do_classifier_free_guidance=True,
                                          max_sequence_length=C.MAX_SEQUENCE_LENGTH)
        for name, steps, shift, stochastic, guidance in RUNS:
            sigmas, timesteps = schedule(steps, shift)
            noises = [torch.randn(shape, generator=g) for _ in steps[1:]]
            x = tensors["initial_latents"].clone()
            per_step = []
            for i, t in enumerate(timesteps):
                v = pipe.transformer(x, t.reshape(1), cond, return_dict=False)[0]
                if guidance > 1:
                    v0 = pipe.transformer(x, t.reshape(1), uncond, return_dict=False)[0]
                    v = v0 + guidance * (v - v0)
                x0 = x - sigmas[i] * v
                if i + 1 < len(steps):
                    nxt = sigmas[i + 1]
                    x = (1 - nxt) * x0 + nxt * noises[i] if stochastic else x0 + nxt * v
                else:
                    x = x0
                per_step.append(x.clone())
            tensors[f"{name}_step_latents"] = torch.stack(per_step)
            if stochastic:
                tensors[f"{name}_step_noise"] = torch.stack(noises)
            meta["runs"][name] = {"timesteps_list": steps, "shift": shift, "stochastic": stochastic,
                                  "guidance": guidance, "sigmas": sigmas.tolist(), "model_timesteps": timesteps.tolist()}
    save_file({k: v.contiguous() for k, v in tensors.items()}, os.path.join(OUT, "step_distill.safetensors"))
    import diffusers
    meta["versions"] = {"torch": torch.__version__, "diffusers": diffusers.__version__}
    meta["generated_by"] = "Tooling/make_sampler_goldens.py"
    with open(os.path.join(OUT, "step_distill.json"), "w") as f:
        json.dump(meta, f, indent=1)
    print(json.dumps({k: v for k, v in meta["runs"].items()}, indent=1))


if __name__ == "__main__":
    main()
