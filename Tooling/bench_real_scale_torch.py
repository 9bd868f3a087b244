#!/usr/bin/env python3
"""The PyTorch side of `kino bench real-scale` (offline tooling; tests never run it), on the full-size random folder
of Tooling/make_wan_full_random.py. One invocation = one fresh process (its peak RSS is the measurement's own),
printing one JSON object as its last line:

    --part encoder   umT5-XXL (transformers' UMT5EncoderModel, bf16) on a prompt of --tokens tokens; writes the
                     token ids and the embeddings of the real tokens (f32) to --tensors for Kino's agreement.
    --part vae       AutoencoderKLWan.decode of random latents for --frames at --size (fp32); writes latents and
                     frames to --tensors unless --no-output.
    --part forward   one WanTransformer3DModel forward at --frames x --size, 512 text tokens (--dtype fp32|bf16);
                     with --tensors, inputs and output for Kino's agreement (also used by `kino bench wan22` on
                     the Wan 2.2 TI2V-5B folder of Tooling/make_wan22_random.py).
    --part clip      WanPipeline from prompt to MP4 at --size x --frames, --steps at guidance 1 (text encoder bf16,
                     transformer --dtype, VAE fp32), with the time of each stage; writes the initial noise to
                     --tensors so Kino starts from the same latents.
"""
import argparse
import json
import os
import resource
import time

import torch

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PROMPT = "A red ball bounces across green grass"


def peak_mib():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def long_prompt(tokenizer, tokens):
    """A prompt that fills exactly `tokens` positions (end-of-sequence included), as a long user prompt would."""
    words = ("a red ball bounces across green grass under a blue sky while a small dog runs beside it "
             "and the camera slowly pans to the left over the hills ").split()
    text, i = "", 0
    while len(tokenizer(text).input_ids) < tokens:
        text += (" " if text else "") + words[i % len(words)]
        i += 1
    ids = tokenizer(text, max_length=tokens, truncation=True).input_ids
    return text, ids


def encoder(a):
    from safetensors.torch import save_file
    from transformers import AutoTokenizer, UMT5EncoderModel
    tokenizer = AutoTokenizer.from_pretrained(os.path.join(a.folder, "tokenizer"))
    text, ids = long_prompt(tokenizer, a.tokens)
    t0 = time.perf_counter()
    model = UMT5EncoderModel.from_pretrained(os.path.join(a.folder, "text_encoder"), dtype=torch.bfloat16).eval()
    load_s = time.perf_counter() - t0
    # As WanPipeline does: pad to 512 with a mask and keep the real tokens' states.
    padded = torch.zeros((1, 512), dtype=torch.long)
    padded[0, :len(ids)] = torch.tensor(ids)
    mask = torch.zeros((1, 512), dtype=torch.long)
    mask[0, :len(ids)] = 1
    with torch.no_grad():
        t0 = time.perf_counter()
        out = model(padded, attention_mask=mask).last_hidden_state
        seconds = time.perf_counter() - t0
    peak = peak_mib()
    tensors = {"ids": torch.tensor(ids, dtype=torch.int64), "embeddings": out[0, :len(ids)].float().contiguous()}
    # The same weights computed in f32 (23 GB of f32 weights would not fit), to tell bf16 arithmetic's own error
    # from a disagreement.
    widen_each_forward(list(model.encoder.block) + [model.encoder.final_layer_norm])
    with torch.no_grad():
        exact = model(padded, attention_mask=mask).last_hidden_state[0, :len(ids)].float()
    tensors["embeddings_f32"] = exact.contiguous()
    bf16_error = (tensors["embeddings"] - exact).abs().max() / exact.abs().max()
    if a.tensors:
        save_file(tensors, a.tensors)
    return {"part": "encoder", "tokens": len(ids), "load_s": round(load_s, 2), "encode_s": round(seconds, 3),
            "peak_rss_mib": round(peak, 1), "bf16_vs_f32": float(bf16_error)}


def vae(a):
    from diffusers import AutoencoderKLWan
    from safetensors.torch import save_file
    w, h = (int(v) for v in a.size.split("x"))
    model = AutoencoderKLWan.from_pretrained(os.path.join(a.folder, "vae")).eval()
    z = torch.randn((1, 16, (a.frames - 1) // 4 + 1, h // 8, w // 8), generator=torch.Generator().manual_seed(5))
    if a.tiled:
        model.enable_tiling()
    with torch.no_grad():
        t0 = time.perf_counter()
        out = model.decode(z).sample
        seconds = time.perf_counter() - t0
    if a.tensors:
        tensors = {"latents": z.contiguous()}
        if not a.no_output:
            tensors["video"] = out.contiguous()
        save_file(tensors, a.tensors)
    return {"part": "vae", "frames": int(out.shape[2]), "size": [int(out.shape[4]), int(out.shape[3])],
            "tiled": a.tiled, "decode_s": round(seconds, 2), "peak_rss_mib": round(peak_mib(), 1)}


def load_pipeline(a):
    from diffusers import WanPipeline
    dtype = torch.bfloat16 if a.dtype == "bf16" else torch.float32
    return WanPipeline.from_pretrained(a.folder, torch_dtype={"text_encoder": torch.bfloat16, "transformer": dtype,
                                                              "default": torch.float32})


def forward(a):
    """One forward at --frames x --size with 512 random text tokens, timestep 757. The latent shape follows the
    folder's transformer: 16 channels at 1/8 (Wan 2.1's VAE) or 48 at 1/16 (Wan 2.2 TI2V-5B's). With --tensors, the
    inputs (rounded to --dtype, so Kino reads exactly what PyTorch ran) and the output are written for Kino's agreement;
    --per-token also runs the timestep in TI2V's per-token form (B, seq_len), all equal, and --f32 the same weights
    in f32, block by block."""
    from diffusers import WanTransformer3DModel
    from safetensors.torch import save_file
    w, h = (int(v) for v in a.size.split("x"))
    dtype = torch.bfloat16 if a.dtype == "bf16" else torch.float32
    folder = os.path.join(a.folder, "transformer")
    channels = json.load(open(os.path.join(folder, "config.json")))["in_channels"]
    scale = 16 if channels == 48 else 8
    transformer = WanTransformer3DModel.from_pretrained(folder, torch_dtype=dtype).eval()
    latents = torch.randn((1, channels, (a.frames - 1) // 4 + 1, h // scale, w // scale),
                          generator=torch.Generator().manual_seed(7)).to(dtype)
    context = (torch.randn((1, 512, 4096), generator=torch.Generator().manual_seed(8)) * 0.1).to(dtype)
    with torch.no_grad():
        transformer(torch.zeros((1, channels, 1, 4, 4), dtype=dtype), torch.tensor([1.0]), context,
                    return_dict=False)                                          # warm-up
        t0 = time.perf_counter()
        out = transformer(latents, torch.tensor([757.0]), context, return_dict=False)[0]
        seconds = time.perf_counter() - t0
    peak, load = peak_mib(), os.getloadavg()[0]
    tokens = latents.shape[2] * (latents.shape[3] // 2) * (latents.shape[4] // 2)
    result = {"part": "forward", "video_tokens": int(tokens), "latents": list(latents.shape), "dtype": a.dtype,
              "forward_s": round(seconds, 2), "peak_rss_mib": round(peak, 1), "loadavg_after_forward": round(load, 2)}
    tensors = {"latents": latents.float().contiguous(), "context": context.float().contiguous(),
               "output": out.float().contiguous()}
    relative = lambda x, y: float((x.float() - y.float()).abs().max() / y.float().abs().max())
    scalar, per_token = torch.tensor([757.0]), torch.full((1, tokens), 757.0)
    if a.per_token:
        with torch.no_grad():
            result["per_token_vs_scalar"] = relative(transformer(latents, per_token, context, return_dict=False)[0], out)
    if a.f32 and dtype == torch.bfloat16:
        exact = forward_f32(transformer, latents.float(), context.float(), [scalar] + ([per_token] if a.per_token else []))
        tensors["output_f32"] = exact[0].contiguous()
        result["bf16_vs_f32"] = relative(out, exact[0])
        if a.per_token:
            result["per_token_vs_scalar_f32"] = relative(exact[1], exact[0])
    if a.tensors:
        save_file(tensors, a.tensors)
    return result


def widen_each_forward(modules):
    """Makes each bf16 module compute in f32 for its own forward only (widened before, narrowed after; its output
    and the next module's inputs stay f32): a bf16 model's f32 result without its f32 weights all in memory."""
    def widen(module, args, kwargs):
        module.float()
        cast = lambda t: t.float() if torch.is_tensor(t) and t.is_floating_point() else t
        return tuple(cast(x) for x in args), {k: cast(v) for k, v in kwargs.items()}

    def narrow(module, args, kwargs, output):
        module.to(torch.bfloat16)
        return output

    for module in modules:
        module.register_forward_pre_hook(widen, with_kwargs=True)
        module.register_forward_hook(narrow, with_kwargs=True)


def forward_f32(transformer, latents, context, timesteps):
    """The bf16 model's forward in f32 (a 5 B model in f32 would not fit in memory beside the rest), once per
    timestep tensor: the small non-block parts are widened for good, each block only for its own forward."""
    for name, module in transformer.named_children():
        if name != "blocks":
            module.float()
    transformer.scale_shift_table.data = transformer.scale_shift_table.data.float()
    widen_each_forward(transformer.blocks)
    with torch.no_grad():
        return [transformer(latents, t, context, return_dict=False)[0].float() for t in timesteps]


def clip(a):
    import subprocess
    from safetensors.torch import save_file

    def export_to_video(frames, path, fps):
        """H.264 through ffmpeg (as diffusers' export_to_video does through imageio; neither imageio nor OpenCV is
        installed here)."""
        import numpy as np
        height, width = frames[0].shape[:2]
        raw = b"".join((np.clip(f, 0, 1) * 255).round().astype(np.uint8).tobytes() for f in frames)
        subprocess.run(["ffmpeg", "-loglevel", "error", "-y", "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", f"{width}x{height}",
                        "-r", str(fps), "-i", "-", "-c:v", "libx264", "-pix_fmt", "yuv420p", path], input=raw, check=True)
    w, h = (int(v) for v in a.size.split("x"))
    t0 = time.perf_counter()
    pipe = load_pipeline(a)
    pipe.set_progress_bar_config(disable=True)
    stages = {"load_s": time.perf_counter() - t0, "text_s": 0.0, "forwards_s": [], "decode_s": 0.0}

    def timing(module_call, key):
        def wrapped(*args, **kwargs):
            t = time.perf_counter()
            out = module_call(*args, **kwargs)
            elapsed = time.perf_counter() - t
            if key == "forwards_s":
                stages[key].append(round(elapsed, 2))
            else:
                stages[key] += elapsed
            return out
        return wrapped

    pipe.text_encoder.forward = timing(pipe.text_encoder.forward, "text_s")
    pipe.transformer.forward = timing(pipe.transformer.forward, "forwards_s")
    pipe.vae.decode = timing(pipe.vae.decode, "decode_s")
    latents = torch.randn((1, 16, (a.frames - 1) // 4 + 1, h // 8, w // 8), generator=torch.Generator().manual_seed(9))
    if a.tensors:
        save_file({"noise": latents.contiguous()}, a.tensors)
    start = time.perf_counter()
    with torch.no_grad():
        frames = pipe(prompt=PROMPT, height=h, width=w, num_frames=a.frames, num_inference_steps=a.steps,
                      guidance_scale=1.0, latents=latents, output_type="np").frames[0]
    t = time.perf_counter()
    export_to_video(list(frames), os.path.join("/tmp", "kino-real-scale-diffusers.mp4"), fps=16)
    stages["export_s"] = time.perf_counter() - t
    stages["generate_s"] = time.perf_counter() - start
    stages["total_s"] = time.perf_counter() - t0
    return {"part": "clip", **{k: (round(v, 2) if isinstance(v, float) else v) for k, v in stages.items()},
            "peak_rss_mib": round(peak_mib(), 1)}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--part", choices=["encoder", "vae", "forward", "clip"], required=True)
    ap.add_argument("--folder", default=os.path.join(ROOT, "models-local", "wan21-full-random"))
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--tokens", type=int, default=512)
    ap.add_argument("--size", default="480x272")
    ap.add_argument("--frames", type=int, default=33)
    ap.add_argument("--steps", type=int, default=4)
    ap.add_argument("--dtype", choices=["fp32", "bf16"], default="fp32")
    ap.add_argument("--tiled", action="store_true")
    ap.add_argument("--no-output", action="store_true")
    ap.add_argument("--tensors", default=None)
    ap.add_argument("--per-token", action="store_true", help="forward: also the per-token timestep form")
    ap.add_argument("--f32", action="store_true", help="forward: also the same weights in f32")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    result = {"encoder": encoder, "vae": vae, "forward": forward, "clip": clip}[a.part](a)
    result.update({"threads": a.threads, "torch": torch.__version__, "loadavg": round(os.getloadavg()[0], 2)})
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
