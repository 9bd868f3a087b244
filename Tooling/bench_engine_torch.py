#!/usr/bin/env python3
"""The PyTorch/diffusers side of `kino bench engine` (offline tooling; tests never run it).

One invocation = one fresh process (so peak RSS is this measurement's own), printing one JSON object:
    --part forward --dtype fp32|bf16 --sizes 128x128,256x256   time of one transformer forward inside a
        generation: (3-step generation - 1-step generation) / 2, guidance 1, output_type latent, UniPC, on the
        folder made by Tooling/make_wan13b_random.py; writes the initial noise and the 3-step latents to --tensors
        so Kino can start from the same noise and report agreement.
    --part vae      decode of latents [1, 16, 5, 32, 32] (17 frames at 256x256) with a random full-size Wan VAE
        (AutoencoderKLWan's default = Wan 2.1's config), made once under models-local/wan-vae-random.
    --part tiny     the default kino-tiny clip (models/kino-tiny: its kino.json size, frames, steps, guidance) from
        prompt to decoded frames.
"""
import argparse
import json
import os
import resource
import time

import torch

PROMPT = "A red ball bounces across green grass"
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def peak_mib():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def timed(fn):
    t = time.perf_counter()
    out = fn()
    return time.perf_counter() - t, out


def forward(a):
    from diffusers import WanPipeline
    from safetensors.torch import save_file
    dtype = torch.bfloat16 if a.dtype == "bf16" else torch.float32
    folder = a.folder.rstrip("/") + ("-bf16" if a.dtype == "bf16" else "")
    pipe = WanPipeline.from_pretrained(folder, torch_dtype=dtype)     # the VAE is not used (output_type latent)
    pipe.set_progress_bar_config(disable=True)
    results, tensors = [], {}
    for size in a.sizes.split(","):
        w, h = (int(v) for v in size.split("x"))
        g = torch.Generator().manual_seed(w * 1000 + h)
        noise = torch.randn((1, 16, 5, h // 8, w // 8), generator=g)
        tokens = 5 * (h // 16) * (w // 16)

        def run(steps):
            return pipe(prompt=PROMPT, height=h, width=w, num_frames=17, num_inference_steps=steps, guidance_scale=1.0,
                        latents=noise.clone(), output_type="latent").frames
        run(1)                                                    # warm-up: page-in, allocator, kernel choice
        best1 = best3 = float("inf")
        out3 = None
        for _ in range(a.repeats):
            t1, _ = timed(lambda: run(1))
            t3, out3 = timed(lambda: run(3))
            best1, best3 = min(best1, t1), min(best3, t3)
        results.append({"video_tokens": tokens, "width": w, "height": h, "one_step_s": round(best1, 3),
                        "three_step_s": round(best3, 3), "forward_s": round((best3 - best1) / 2, 3),
                        "loadavg": round(os.getloadavg()[0], 2)})
        tensors[f"noise_{tokens}"] = noise.contiguous()
        tensors[f"latents3_{tokens}"] = out3.float().contiguous()
    if a.tensors:
        save_file(tensors, a.tensors)
    return {"part": "forward", "dtype": a.dtype, "runs": results, "peak_rss_mib": round(peak_mib(), 1)}


def vae(a):
    from diffusers import AutoencoderKLWan
    folder = os.path.join(ROOT, "models-local", "wan-vae-random")
    if not os.path.exists(os.path.join(folder, "config.json")):
        torch.manual_seed(0)
        AutoencoderKLWan().save_pretrained(folder, safe_serialization=True)
    model = AutoencoderKLWan.from_pretrained(folder).eval()
    z = torch.randn((1, 16, 5, 32, 32), generator=torch.Generator().manual_seed(5))
    with torch.no_grad():
        model.decode(z[:, :, :2])                                # warm-up
        best, out = float("inf"), None
        for _ in range(a.repeats):
            t, out = timed(lambda: model.decode(z).sample)
            best = min(best, t)
    if a.tensors:
        from safetensors.torch import save_file
        save_file({"latents": z.contiguous(), "video": out.contiguous()}, a.tensors)
    return {"part": "vae", "folder": folder, "decode_s": round(best, 3), "frames": int(out.shape[2]),
            "size": [int(out.shape[4]), int(out.shape[3])], "peak_rss_mib": round(peak_mib(), 1)}


def tiny(a):
    from diffusers import WanPipeline
    folder = os.path.join(ROOT, "models", "kino-tiny")
    cfg = json.load(open(os.path.join(folder, "kino.json")))
    w, h = cfg["native_sizes"][0]
    frames = int(cfg["fps"] * cfg["seconds"]) + 1
    pipe = WanPipeline.from_pretrained(folder, torch_dtype=torch.float32)
    pipe.set_progress_bar_config(disable=True)

    def run():
        return pipe(prompt=PROMPT, negative_prompt=cfg.get("negative_prompt", ""), height=h, width=w, num_frames=frames,
                    num_inference_steps=cfg["steps"], guidance_scale=cfg["guidance"], output_type="np",
                    generator=torch.Generator().manual_seed(0)).frames
    run()
    best = min(timed(run)[0] for _ in range(a.repeats))
    return {"part": "tiny", "seconds": round(best, 3), "size": [w, h], "frames": frames, "steps": cfg["steps"],
            "peak_rss_mib": round(peak_mib(), 1)}


def make_bf16(a):
    """A bf16 copy of the random 1.3B folder (transformer and text encoder in bf16; VAE, tokenizer as they are)."""
    import shutil
    from safetensors.torch import load_file, save_file
    out = a.folder.rstrip("/") + "-bf16"
    if os.path.exists(os.path.join(out, "model_index.json")):
        return {"part": "make-bf16", "folder": out, "made": False}
    tmp = out + ".tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    shutil.copytree(a.folder, tmp, ignore=shutil.ignore_patterns("*.safetensors", "reference*"))
    for part in ["transformer", "text_encoder", "vae"]:
        for name in os.listdir(os.path.join(a.folder, part)):
            if name.endswith(".safetensors"):
                src = os.path.join(a.folder, part, name)
                tensors = load_file(src)
                if part != "vae":
                    tensors = {k: v.to(torch.bfloat16).contiguous() for k, v in tensors.items()}
                save_file(tensors, os.path.join(tmp, part, name), metadata={"format": "pt"})
                del tensors
    os.replace(tmp, out)
    return {"part": "make-bf16", "folder": out, "made": True}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--part", choices=["forward", "vae", "tiny", "make-bf16"], required=True)
    ap.add_argument("--folder", default=os.path.join(ROOT, "models-local", "wan13b-random"))
    ap.add_argument("--dtype", choices=["fp32", "bf16"], default="fp32")
    ap.add_argument("--sizes", default="128x128,256x256")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--repeats", type=int, default=1)
    ap.add_argument("--tensors", default=None)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    with torch.no_grad():
        out = {"forward": forward, "vae": vae, "tiny": tiny, "make-bf16": make_bf16}[a.part](a)
    out.update({"torch": torch.__version__, "threads": a.threads})
    print(json.dumps(out), flush=True)


if __name__ == "__main__":
    main()
