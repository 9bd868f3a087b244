"""Tunes kino-tiny's turbo schedule: which (steps, flow shift, guidance reuse) stays closest to the default clip.

    python3 training/turbo_sweep.py                       # default grid, 24 validation prompts
    python3 training/turbo_sweep.py --steps 7,8 --shifts 5,8 --uncond-every 1,2
    python3 training/turbo_sweep.py --lora /tmp/turbo.safetensors --steps 12,14,16 --shifts 3,4   # a distill_turbo.py LoRA

Turbo's targets are PSNR >= 25 dB against the full-step clip of the same seed and the same adherence, at
half the time. This script measures the PSNR side for a grid of schedules on *validation* prompts: captions the
world grammar writes for world seeds 7,000,000+ (no eval prompt, so the eval set stays a test set). Each prompt's
default clip (the model's kino.json steps, shift and guidance) is the reference; every candidate starts from the
same noise. Prompts are batched, with the conditional and unconditional branches in one forward.

`--uncond-every K` runs the unconditional branch only on every K-th step (and always on the first); the other
steps reuse the guidance direction (cond - uncond) of the last step that ran it, so a step costs one forward
instead of two. On kino-tiny this cost about 5 dB at every step count tried (10-13 steps, shift 2-4, K = 2 or 3),
more than it saved, so the engine does not offer it; the sweep keeps the option to re-check it for a new model.
"""
import argparse
import json
import os
import sys
import time

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from world import caption, sample_spec  # noqa: E402


def sample(pipe, embeds, neg, noise, steps, shift, guidance, uncond_every=1, student=None, teacher_steps=0, **solver):
    """UniPC (the model's scheduler config with another flow shift and `solver` overrides, e.g. solver_order=3)
    from `noise`; returns final latents. With a `student` (the transformer with a turbo LoRA merged in), the first
    `teacher_steps` steps run the pipeline's transformer with guidance and the rest the student alone, unguided."""
    from diffusers import UniPCMultistepScheduler
    sched = UniPCMultistepScheduler.from_config(pipe.scheduler.config, flow_shift=shift, **solver)
    sched.set_timesteps(steps)
    x = noise.clone()
    delta = None
    for i, t in enumerate(sched.timesteps):
        tt = t.expand(x.shape[0])
        if student is not None and i >= teacher_steps:
            v = student(x, timestep=tt, encoder_hidden_states=embeds, return_dict=False)[0]
        elif delta is None or i % uncond_every == 0:
            out = pipe.transformer(torch.cat([x, x]), timestep=torch.cat([tt, tt]),
                                   encoder_hidden_states=torch.cat([embeds, neg]), return_dict=False)[0]
            cond, uncond = out.chunk(2)
            delta = cond - uncond
        else:
            cond = pipe.transformer(x, timestep=tt, encoder_hidden_states=embeds, return_dict=False)[0]
        if student is None or i < teacher_steps:
            v = cond + (guidance - 1) * delta
        x = sched.step(v, t, x, return_dict=False)[0]
    return x


def decode(pipe, latents):
    vae = pipe.vae
    mean = torch.tensor(vae.config.latents_mean).view(1, -1, 1, 1, 1)
    std = torch.tensor(vae.config.latents_std).view(1, -1, 1, 1, 1)
    with torch.no_grad():
        video = vae.decode(latents * std + mean, return_dict=False)[0]
    return ((video.clamp(-1, 1) + 1) * 127.5).round()       # 8-bit levels, as the engine writes them


def merged(transformer, lora_path):
    """A copy of `transformer` with a diffusers-format LoRA (lora_A/lora_B, optional alpha) added to its weights."""
    import copy
    from safetensors.torch import load_file
    lora = load_file(lora_path)
    out = copy.deepcopy(transformer)
    params = dict(out.named_parameters())
    for key, down in lora.items():
        if not key.endswith(".lora_A.weight"):
            continue
        module = key[len("transformer."):-len(".lora_A.weight")]
        up = lora[key.replace("lora_A", "lora_B")]
        alpha = lora.get(key.replace("lora_A.weight", "alpha"))
        scale = 1.0 if alpha is None else float(alpha) / down.shape[0]
        with torch.no_grad():
            params[module + ".weight"] += scale * (up.float() @ down.float())
    return out


def psnr(a, b):
    mse = ((a - b) ** 2).mean(dim=(1, 2, 3, 4)).clamp_min(1e-6)
    return 10 * torch.log10(255.0 ** 2 / mse)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default=os.path.join(HERE, "..", "models", "kino-tiny"))
    ap.add_argument("--prompts", type=int, default=24)
    ap.add_argument("--steps", default="6,7,8,9")
    ap.add_argument("--shifts", default="3,5,8,12")
    ap.add_argument("--uncond-every", default="1")
    ap.add_argument("--orders", default="2", help="UniPC solver_order values (1-3)")
    ap.add_argument("--solver-types", default="bh2", help="UniPC solver_type values (bh1, bh2)")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--lora", help="a turbo LoRA (distill_turbo.py): candidates run it unguided, one call per step")
    ap.add_argument("--teacher-steps", default="0", help="with --lora: values of how many leading steps run the "
                    "plain model with guidance instead")
    a = ap.parse_args()
    torch.set_num_threads(int(os.environ.get("KINO_TRAIN_THREADS", "2")))
    from diffusers import WanPipeline
    pipe = WanPipeline.from_pretrained(a.model, torch_dtype=torch.float32)
    kino = json.load(open(os.path.join(a.model, "kino.json")))
    w, h = kino["native_sizes"][0]
    frames = kino["fps"] * kino["seconds"] + 1
    prompts = []
    for s in range(7_000_000, 7_000_000 + a.prompts):
        prompts.append(caption(sample_spec(s, "train"), np.random.default_rng(s)))
    with torch.no_grad():
        embeds, neg = pipe.encode_prompt(prompts, negative_prompt=[kino.get("negative_prompt", "")] * len(prompts),
                                         do_classifier_free_guidance=True, max_sequence_length=512)
        shape = (len(prompts), pipe.transformer.config.in_channels, (frames - 1) // 4 + 1, h // 8, w // 8)
        noise = torch.randn(shape, generator=torch.Generator().manual_seed(a.seed))
        t0 = time.time()
        ref = decode(pipe, sample(pipe, embeds, neg, noise, kino["steps"], pipe.scheduler.config.flow_shift,
                                  kino["guidance"]))
        print(f"reference: {kino['steps']} steps, shift {pipe.scheduler.config.flow_shift}, "
              f"{len(prompts)} prompts, {time.time() - t0:.0f} s", flush=True)
        print(f"{'solver':>6} {'steps':>5} {'shift':>5} {'uncond':>6} {'teacher':>7} {'forwards':>8} {'mean dB':>8} "
              f"{'median':>7} {'min':>6}")
        student = merged(pipe.transformer, a.lora) if a.lora else None
        grid = [(o, t, e, n, f, k) for o in a.orders.split(",") for t in a.solver_types.split(",")
                for e in a.uncond_every.split(",") for n in a.steps.split(",") for f in a.shifts.split(",")
                for k in a.teacher_steps.split(",")]
        for order, kind, every, steps, shift, teacher in grid:
            order, every, steps, shift, teacher = int(order), int(every), int(steps), float(shift), int(teacher)
            out = decode(pipe, sample(pipe, embeds, neg, noise, steps, shift, kino["guidance"], every, student=student,
                                      teacher_steps=teacher, solver_order=order, solver_type=kind))
            p = psnr(out, ref)
            guided = range(teacher) if student else range(steps)
            forwards = steps + len([i for i in guided if i % every == 0])
            print(f"{kind}-{order:<3d} {steps:5d} {shift:5.1f} {every:6d} {teacher:7d} {forwards:8d} {p.mean():8.2f} "
                  f"{p.median():7.2f} {p.min():6.2f}", flush=True)


if __name__ == "__main__":
    main()
