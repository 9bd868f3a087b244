#!/usr/bin/env python3
"""Writes a random-weight Wan 2.2 TI2V-5B transformer in the diffusers layout of Wan-AI/Wan2.2-TI2V-5B-Diffusers:
WanTransformer3DModel at the real configuration (dim 3072 = 24 heads x 128, 30 layers, ffn 14336, 48 channels in and
out, patch (1, 2, 2), text_dim 4096; 5.0 B parameters), stored bf16 in 3 shards with an index, plus the
model_index.json of the real folder (WanPipeline, "expand_timesteps": true) and its UniPC scheduler config.

    python3 Tooling/make_wan22_random.py            # models-local/wan22-ti2v-5b-random, about 10 GB
    python3 Tooling/make_wan22_random.py --check    # plus: load it with diffusers and run a tiny forward

Only the transformer is written: the VAE, text encoder and tokenizer are not needed for one transformer forward
(`kino bench wan22` feeds random text embeddings), so text_encoder/, tokenizer/ and vae/ are absent although
model_index.json names them as the real one does. Weights are generated tensor by tensor in bf16 and written shard by
shard (peak memory about one shard, 4 GB), never as a whole f32 model (20 GB). Initialisation has PyTorch's default
variance for Linear and Conv3d (std (3·fan_in)^-½, biases too), diffusers' for the modulation tables (std dim^-½),
and norm gains 1 + 0.1·N(0, 1) and norm biases 0.1·N(0, 1) so a misapplied gain or bias shows.
Made on demand and never committed (models-local/ is ignored).
"""

import json
import os
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "Tooling", "goldens"))
sys.path.insert(0, os.path.join(ROOT, "Tooling"))

# The real configuration (Wan-AI/Wan2.2-TI2V-5B-Diffusers transformer/config.json).
TI2V_5B_CONFIG = dict(
    patch_size=(1, 2, 2), num_attention_heads=24, attention_head_dim=128, in_channels=48, out_channels=48,
    text_dim=4096, freq_dim=256, ffn_dim=14336, num_layers=30, cross_attn_norm=True,
    qk_norm="rms_norm_across_heads", eps=1e-6, image_dim=None, added_kv_proj_dim=None, rope_max_seq_len=1024,
    pos_embed_seq_len=None,
)
SHARD_BYTES = 4_000_000_000     # three shards of bf16, as the real folder has


def transformer_tensors(model) -> list:
    """(name, shape, std) for every parameter, std None for norm gains (see the module docstring)."""
    import torch
    modules = dict(model.named_modules())
    dim = model.config.num_attention_heads * model.config.attention_head_dim
    out = []
    for name, p in model.state_dict().items():
        owner, leaf = name.rsplit(".", 1) if "." in name else ("", name)
        module = modules.get(owner)
        if leaf == "scale_shift_table":
            std = dim ** -0.5
        elif isinstance(module, (torch.nn.Linear, torch.nn.Conv3d)):
            std = (3 * (p[0].numel() if leaf == "weight" else module.weight[0].numel())) ** -0.5
        elif leaf == "weight":
            std = None
        else:
            std = 0.1
        out.append((name, tuple(p.shape), std))
    return out


def write_transformer(folder: str, seed: int) -> None:
    import torch
    from diffusers import WanTransformer3DModel
    from make_wan_full_random import write_bf16_shards
    with torch.device("meta"):
        skeleton = WanTransformer3DModel(**TI2V_5B_CONFIG)
    os.makedirs(folder, exist_ok=True)
    write_bf16_shards(folder, transformer_tensors(skeleton), seed, SHARD_BYTES, "diffusion_pytorch_model")
    skeleton.save_config(folder)      # last: the marker that the transformer is complete


def build(out: str) -> None:
    import components as C
    os.makedirs(out, exist_ok=True)
    C.build_unipc(flow_shift=5.0).save_pretrained(os.path.join(out, "scheduler"))
    with open(os.path.join(out, "model_index.json"), "w") as f:
        json.dump({"_class_name": "WanPipeline", "_diffusers_version": "0.35.0.dev0", "boundary_ratio": None,
                   "expand_timesteps": True, "scheduler": ["diffusers", "UniPCMultistepScheduler"],
                   "text_encoder": ["transformers", "UMT5EncoderModel"], "tokenizer": ["transformers", "T5TokenizerFast"],
                   "transformer": ["diffusers", "WanTransformer3DModel"], "transformer_2": [None, None],
                   "vae": ["diffusers", "AutoencoderKLWan"]}, f, indent=2)
    if os.path.exists(os.path.join(out, "transformer", "config.json")):
        print("  transformer: already there", flush=True)
        return
    t0 = time.perf_counter()
    write_transformer(os.path.join(out, "transformer"), seed=22)
    print(f"  transformer: {time.perf_counter() - t0:.0f} s", flush=True)


def check(out: str) -> None:
    """Loads the transformer as diffusers would (bf16, as stored) and runs one tiny forward."""
    import torch
    from diffusers import WanTransformer3DModel
    model = WanTransformer3DModel.from_pretrained(os.path.join(out, "transformer"), torch_dtype=torch.bfloat16).eval()
    print(f"  transformer loads: {sum(p.numel() for p in model.parameters()) / 1e9:.3f} B parameters, "
          f"blocks in {model.blocks[0].attn1.to_q.weight.dtype}", flush=True)
    with torch.no_grad():
        y = model(torch.randn(1, 48, 1, 4, 4, dtype=torch.bfloat16), torch.tensor([500.0]),
                  torch.randn(1, 8, 4096, dtype=torch.bfloat16) * 0.1, return_dict=False)[0]
    print(f"  tiny forward: output {tuple(y.shape)}, std {y.float().std():.3f}, finite {bool(torch.isfinite(y).all())}")
    index = json.load(open(os.path.join(out, "model_index.json")))
    print(f"  model_index.json: {index['_class_name']}, expand_timesteps {index['expand_timesteps']}")


if __name__ == "__main__":
    from make_wan_full_random import cli
    cli(build, check, "wan22-ti2v-5b-random", "Writes a random-weight Wan 2.2 TI2V-5B transformer (diffusers layout).",
        "load the transformer with diffusers afterwards and run a tiny forward", epilog=__doc__.split("\n\n", 2)[2])
