#!/usr/bin/env python3
"""Writes a full-size random-weight Wan2.1-T2V-1.3B transformer as a diffusers folder, with a one-layer 4096-wide
UMT5 text encoder and the tiny VAE (so it fits a 24 GiB machine), plus a diffusers reference for Kino to match.

    python3 Tooling/make_wan13b_random.py                 # models-local/wan13b-random (about 6.5 GB, fp32)
    python3 Tooling/make_wan13b_random.py --layers 1 --out /tmp/wan-small --sizes 64x64   # quick check

Writes into the folder: the diffusers pipeline (transformer sharded at 5 GB, text encoder sharded, as the real
Wan-AI/Wan2.1-T2V-1.3B-Diffusers folder is), `reference.safetensors` (inputs and diffusers output of one
transformer forward per size) and `reference_timing.json` (load time, forward seconds and peak RSS, fp32, 2
threads). The timing runs in a fresh process that loads the folder, as a user's process would.
Needs the tiny tokenizer from Tests/Fixtures/wan (run Tooling/make_goldens.py first).
"""

import argparse
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "Tooling", "goldens"))

# The real configuration (Wan-AI/Wan2.1-T2V-1.3B-Diffusers transformer/config.json).
WAN13B_CONFIG = dict(
    patch_size=(1, 2, 2), num_attention_heads=12, attention_head_dim=128, in_channels=16, out_channels=16,
    text_dim=4096, freq_dim=256, ffn_dim=8960, num_layers=30, cross_attn_norm=True,
    qk_norm="rms_norm_across_heads", eps=1e-6, image_dim=None, added_kv_proj_dim=None, rope_max_seq_len=1024,
)
PROMPT = "A red ball bounces across green grass"
FRAMES = 17


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # Linux: KiB


def build(out: str, layers: int) -> None:
    import torch
    from diffusers import WanPipeline, WanTransformer3DModel
    from transformers import AutoTokenizer, UMT5Config, UMT5EncoderModel
    import components as C

    tokenizer_dir = os.path.join(ROOT, "Tests", "Fixtures", "wan", "tiny-pipeline", "tokenizer")
    if not os.path.isdir(tokenizer_dir):
        sys.exit(f"{tokenizer_dir} is missing: run Tooling/make_goldens.py first")
    tokenizer = AutoTokenizer.from_pretrained(tokenizer_dir)
    torch.manual_seed(0)
    text_encoder = UMT5EncoderModel(UMT5Config(
        vocab_size=len(tokenizer), d_model=4096, d_kv=64, d_ff=10240, num_layers=1, num_heads=64,
        relative_attention_num_buckets=32, relative_attention_max_distance=128, dropout_rate=0.0,
        layer_norm_epsilon=1e-6, feed_forward_proj="gated-gelu", is_encoder_decoder=False, use_cache=False,
        pad_token_id=0, eos_token_id=1, decoder_start_token_id=0, tie_word_embeddings=False)).eval()
    torch.manual_seed(1)
    transformer = WanTransformer3DModel(**{**WAN13B_CONFIG, "num_layers": layers}).eval()
    pipe = WanPipeline(tokenizer=tokenizer, text_encoder=text_encoder, vae=C.build_vae(2),
                       scheduler=C.build_unipc(), transformer=transformer)
    pipe.save_pretrained(out, safe_serialization=True, max_shard_size="5GB")
    # Shard the text encoder like the real folder (model-0000x-of-0000n.safetensors + index).
    shutil.rmtree(os.path.join(out, "text_encoder"))
    text_encoder.save_pretrained(os.path.join(out, "text_encoder"), max_shard_size="400MB")
    shutil.copy(os.path.join(tokenizer_dir, "spiece.model"), os.path.join(out, "tokenizer", "spiece.model"))


def measure(out: str, sizes: list[tuple[int, int]], threads: int, repeats: int) -> None:
    import torch
    from diffusers import WanPipeline
    from safetensors.torch import save_file

    torch.set_num_threads(threads)
    t0 = time.perf_counter()
    pipe = WanPipeline.from_pretrained(out, torch_dtype=torch.float32)
    load_s = time.perf_counter() - t0
    report = {"threads": threads, "repeats": repeats, "dtype": "float32", "load_seconds": round(load_s, 2),
              "peak_rss_mib_after_load": round(peak_rss_mib(), 1), "forwards": [],
              "torch": torch.__version__, "diffusers": __import__("diffusers").__version__,
              "machine": platform.machine(), "processor_count": os.cpu_count(),
              "transformer_parameters": sum(p.numel() for p in pipe.transformer.parameters()),
              "num_layers": pipe.transformer.config.num_layers}
    tensors = {}
    with torch.no_grad():
        embeds = pipe._get_t5_prompt_embeds(PROMPT, max_sequence_length=512, device=torch.device("cpu"),
                                            dtype=torch.float32)
        tensors["encoder_hidden_states"] = embeds.contiguous()
        # Warm-up (first-touch page faults, allocator growth, kernel selection), not timed.
        pipe.transformer(torch.zeros((1, 16, 1, 4, 4)), torch.tensor([1.0]), embeds, return_dict=False)
        for (width, height) in sizes:
            g = torch.Generator().manual_seed(width * 10000 + height)
            latents = torch.randn((1, 16, (FRAMES - 1) // 4 + 1, height // 8, width // 8), generator=g)
            tokens = latents.shape[2] * (height // 16) * (width // 16)
            timestep = torch.tensor([757.0])
            runs = []
            for _ in range(repeats):
                t1 = time.perf_counter()
                output = pipe.transformer(latents, timestep, embeds, return_dict=False)[0]
                runs.append(time.perf_counter() - t1)
            seconds = min(runs)
            report["forwards"].append({"width": width, "height": height, "frames": FRAMES, "video_tokens": tokens,
                                       "latents_shape": list(latents.shape), "timestep": 757.0,
                                       "seconds": round(seconds, 3), "all_seconds": [round(r, 3) for r in runs],
                                       "loadavg_1min": round(os.getloadavg()[0], 2),
                                       "peak_rss_mib_after": round(peak_rss_mib(), 1)})
            tensors[f"latents_{tokens}"] = latents.contiguous()
            tensors[f"output_{tokens}"] = output.contiguous()
            print(json.dumps(report["forwards"][-1]), flush=True)
    save_file(tensors, os.path.join(out, "reference.safetensors"))
    report["reference_tensors"] = {k: list(v.shape) for k, v in tensors.items()}
    report["prompt"] = PROMPT
    with open(os.path.join(out, "reference_timing.json"), "w") as f:
        json.dump(report, f, indent=1)
        f.write("\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=os.path.join(ROOT, "models-local", "wan13b-random"))
    parser.add_argument("--layers", type=int, default=WAN13B_CONFIG["num_layers"])
    parser.add_argument("--sizes", default="128x128,256x256",
                        help="WxH list at 17 frames; 128x128 = 320 video tokens, 256x256 = 1,280")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=2, help="forwards per size; the minimum is reported")
    parser.add_argument("--measure-only", action="store_true", help="(internal) time an existing folder")
    args = parser.parse_args()
    sizes = [tuple(int(v) for v in s.split("x")) for s in args.sizes.split(",")]
    if args.measure_only:
        measure(args.out, sizes, args.threads, args.repeats)
        return
    t0 = time.perf_counter()
    build(args.out, args.layers)
    print(f"built {args.out} in {time.perf_counter() - t0:.1f} s", flush=True)
    # A fresh process, so that peak RSS reflects loading the folder and running, not building it.
    subprocess.run([sys.executable, os.path.abspath(__file__), "--measure-only", "--out", args.out,
                    "--sizes", args.sizes, "--threads", str(args.threads), "--repeats", str(args.repeats)], check=True)


if __name__ == "__main__":
    main()
