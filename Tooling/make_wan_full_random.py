#!/usr/bin/env python3
"""Writes a random-weight Wan2.1-T2V-1.3B folder with every component at its real size, in the diffusers layout of
Wan-AI/Wan2.1-T2V-1.3B-Diffusers: the umT5-XXL text encoder (d_model 4096, 24 layers, 64 heads, d_ff 10240, vocab
256,384; bf16, sharded with an index), the 1.3 B transformer (fp32, sharded at 5 GB) and the full Wan 2.1 VAE.

    python3 Tooling/make_wan_full_random.py              # models-local/wan21-full-random, about 17.6 GB
    python3 Tooling/make_wan_full_random.py --check      # plus: load it with diffusers/transformers (needs ~12 GB)

The text encoder is generated tensor by tensor in bf16 and written shard by shard (an f32 model would need about
23 GB). Its initialisation follows transformers' T5 scheme (q scaled by (d_model·d_kv)^-½, the rest by fan-in^-½,
embeddings N(0, 1)), so activations stay in range through 24 layers, as trained weights do. The tokenizer is the tiny
fixture one (ids < 448, well inside the vocabulary). The transformer is hard-linked from models-local/wan13b-random
when that folder holds the full 30-layer model (Tooling/make_wan13b_random.py), otherwise generated.
Made on demand and never committed (models-local/ is ignored).
"""

import argparse
import json
import os
import shutil
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "Tooling", "goldens"))
sys.path.insert(0, os.path.join(ROOT, "Tooling"))

UMT5_XXL = dict(
    vocab_size=256384, d_model=4096, d_kv=64, d_ff=10240, num_layers=24, num_heads=64,
    relative_attention_num_buckets=32, relative_attention_max_distance=128, dropout_rate=0.0,
    layer_norm_epsilon=1e-6, feed_forward_proj="gated-gelu", is_encoder_decoder=False, use_cache=False,
    pad_token_id=0, eos_token_id=1, decoder_start_token_id=0, tie_word_embeddings=False,
)
SHARD_BYTES = 2_500_000_000     # five shards of bf16, as the real folder has


def encoder_std(name: str, c: dict) -> float | None:
    """transformers' T5 initialisation (factor 1); None for norm gains (ones, perturbed)."""
    if name.endswith("layer_norm.weight"):
        return None
    if name == "shared.weight":
        return 1.0
    if ".SelfAttention.q." in name:
        return (c["d_model"] * c["d_kv"]) ** -0.5
    if ".SelfAttention.o." in name:
        return (c["num_heads"] * c["d_kv"]) ** -0.5
    if ".DenseReluDense.wo." in name:
        return c["d_ff"] ** -0.5
    return c["d_model"] ** -0.5            # k, v, wi_0, wi_1, relative_attention_bias


def write_text_encoder(folder: str, seed: int) -> None:
    import torch
    from transformers import UMT5Config, UMT5EncoderModel

    config = UMT5Config(**UMT5_XXL)
    with torch.device("meta"):
        skeleton = UMT5EncoderModel(config)
    names = [(n, tuple(p.shape)) for n, p in skeleton.state_dict().items() if n != "encoder.embed_tokens.weight"]
    os.makedirs(folder, exist_ok=True)
    config.architectures = ["UMT5EncoderModel"]
    config.torch_dtype = "bfloat16"
    config.save_pretrained(folder)
    write_bf16_shards(folder, [(n, s, encoder_std(n, UMT5_XXL)) for n, s in names], seed, SHARD_BYTES, "model")


def write_bf16_shards(folder: str, tensors: list, seed: int, shard_bytes: int, stem: str) -> None:
    """Writes (name, shape, std) tensors as bf16, generated tensor by tensor (f32 temporaries of at most 256 MB) and
    saved shard by shard, with the index transformers and diffusers read: `{stem}-0000i-of-0000n.safetensors` and
    `{stem}.safetensors.index.json`. std None means a norm gain: 1 + 0.1·N(0, 1); otherwise N(0, std²)."""
    import torch
    from safetensors.torch import save_file

    total = sum(2 * torch.Size(s).numel() for _, s, _ in tensors)
    shard_count = -(-total // shard_bytes)
    generator = torch.Generator().manual_seed(seed)
    weight_map, shard, shard_size, index = {}, {}, 0, 1

    def flush():
        nonlocal shard, shard_size, index
        file = f"{stem}-{index:05d}-of-{shard_count:05d}.safetensors"
        save_file(shard, os.path.join(folder, file), metadata={"format": "pt"})
        for key in shard:
            weight_map[key] = file
        print(f"  {os.path.basename(folder)}/{file}: {len(shard)} tensors, {shard_size / 1e9:.2f} GB", flush=True)
        shard, shard_size, index = {}, 0, index + 1

    for name, shape, std in tensors:
        value = torch.empty(shape, dtype=torch.bfloat16)
        rows = max(1, (1 << 26) // max(1, value[0].numel() if value.dim() > 1 else 1))
        for start in range(0, shape[0], rows):
            block = torch.randn((min(rows, shape[0] - start),) + tuple(shape[1:]), generator=generator)
            value[start:start + block.shape[0]] = (block * std if std is not None else 1 + 0.1 * block).to(torch.bfloat16)
        nbytes = value.numel() * 2
        if shard and shard_size + nbytes > shard_bytes:
            flush()
        shard[name] = value
        shard_size += nbytes
    if shard:
        flush()
    # The shard count was estimated before writing; rename if packing gave fewer files.
    written = sorted(set(weight_map.values()))
    if len(written) != shard_count:
        renamed = {old: f"{stem}-{i + 1:05d}-of-{len(written):05d}.safetensors" for i, old in enumerate(written)}
        for old, new in renamed.items():
            os.rename(os.path.join(folder, old), os.path.join(folder, new))
        weight_map = {k: renamed[v] for k, v in weight_map.items()}
    with open(os.path.join(folder, f"{stem}.safetensors.index.json"), "w") as f:
        json.dump({"metadata": {"total_size": total}, "weight_map": weight_map}, f, indent=1)


def write_transformer(folder: str) -> None:
    source = os.path.join(ROOT, "models-local", "wan13b-random", "transformer")
    config_path = os.path.join(source, "config.json")
    if os.path.exists(config_path) and json.load(open(config_path)).get("num_layers") == 30:
        os.makedirs(folder, exist_ok=True)
        for name in os.listdir(source):
            target = os.path.join(folder, name)
            if not os.path.exists(target):
                os.link(os.path.join(source, name), target)
        print(f"  transformer: hard links to {source}", flush=True)
        return
    import components as C
    from make_wan13b_random import WAN13B_CONFIG
    C.build_transformer(1, WAN13B_CONFIG).save_pretrained(folder, safe_serialization=True, max_shard_size="5GB")


def write_vae(folder: str) -> None:
    import torch
    from diffusers import AutoencoderKLWan
    from fixture_writer import perturb_constant_parameters
    torch.manual_seed(3)
    vae = AutoencoderKLWan().eval()           # the defaults are Wan 2.1's VAE: base_dim 96, z_dim 16
    perturb_constant_parameters(vae, torch.Generator().manual_seed(4))
    vae.save_pretrained(folder, safe_serialization=True)


def build(out: str) -> None:
    import components as C
    os.makedirs(out, exist_ok=True)
    tokenizer_dir = os.path.join(ROOT, "Tests", "Fixtures", "wan", "tiny-pipeline", "tokenizer")
    if not os.path.isdir(tokenizer_dir):
        sys.exit(f"{tokenizer_dir} is missing: run Tooling/make_goldens.py first")
    shutil.copytree(tokenizer_dir, os.path.join(out, "tokenizer"), dirs_exist_ok=True)
    C.build_unipc().save_pretrained(os.path.join(out, "scheduler"))
    with open(os.path.join(out, "model_index.json"), "w") as f:
        json.dump({"_class_name": "WanPipeline", "_diffusers_version": "0.42.1", "boundary_ratio": None,
                   "expand_timesteps": False, "scheduler": ["diffusers", "UniPCMultistepScheduler"],
                   "text_encoder": ["transformers", "UMT5EncoderModel"], "tokenizer": ["transformers", "T5Tokenizer"],
                   "transformer": ["diffusers", "WanTransformer3DModel"], "transformer_2": [None, None],
                   "vae": ["diffusers", "AutoencoderKLWan"]}, f, indent=2)
    # Each part's marker is the file written last, so an interrupted run redoes only what is unfinished.
    for part, marker, writer in [("vae", "diffusion_pytorch_model.safetensors", write_vae),
                                 ("transformer", "config.json", write_transformer),
                                 ("text_encoder", "model.safetensors.index.json", lambda d: write_text_encoder(d, seed=0))]:
        if os.path.exists(os.path.join(out, part, marker)):
            print(f"  {part}: already there", flush=True)
            continue
        t0 = time.perf_counter()
        writer(os.path.join(out, part))
        print(f"  {part}: {time.perf_counter() - t0:.0f} s", flush=True)


def check(out: str) -> None:
    """Loads each component as diffusers' WanPipeline would (text encoder in bf16), one at a time."""
    import torch
    from diffusers import AutoencoderKLWan, WanTransformer3DModel
    from transformers import UMT5EncoderModel
    encoder = UMT5EncoderModel.from_pretrained(os.path.join(out, "text_encoder"), torch_dtype=torch.bfloat16)
    print(f"  text encoder loads: {sum(p.numel() for p in encoder.parameters()) / 1e9:.2f} B parameters", flush=True)
    del encoder
    transformer = WanTransformer3DModel.from_pretrained(os.path.join(out, "transformer"))
    print(f"  transformer loads: {sum(p.numel() for p in transformer.parameters()) / 1e9:.2f} B parameters", flush=True)
    del transformer
    vae = AutoencoderKLWan.from_pretrained(os.path.join(out, "vae"))
    print(f"  VAE loads: {sum(p.numel() for p in vae.parameters()) / 1e6:.0f} M parameters", flush=True)


def cli(build, check, folder: str, description: str, check_help: str, epilog: str | None = None) -> None:
    """The command line of the make_wan*_random scripts: --out (models-local/<folder>) and --check."""
    parser = argparse.ArgumentParser(description=description, epilog=epilog, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", default=os.path.join(ROOT, "models-local", folder))
    parser.add_argument("--check", action="store_true", help=check_help)
    args = parser.parse_args()
    t0 = time.perf_counter()
    build(args.out)
    print(f"built {args.out} in {time.perf_counter() - t0:.0f} s", flush=True)
    if args.check:
        check(args.out)


if __name__ == "__main__":
    cli(build, check, "wan21-full-random", __doc__.splitlines()[0], "load every component with diffusers afterwards")
