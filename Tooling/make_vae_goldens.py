#!/usr/bin/env python3
"""Goldens for Kino's Wan 2.1 VAE (KinoModels/VAE/WanVAE.swift), made with diffusers' AutoencoderKLWan.

Writes Tests/Fixtures/vae-tiny/:
  vae/config.json, vae/diffusion_pytorch_model.safetensors   a tiny random AutoencoderKLWan (fp32, seeded)
  goldens.safetensors                                         inputs and reference outputs (fp32)
    encode_input   [1, 3, 9, 32, 48]  video in [-1, 1]
    encode_mean    [1, 4, 3, 4, 6]    vae.encode(encode_input).latent_dist.mean
    decode_input   [1, 4, 4, 4, 6]    latents
    decode_output  [1, 3, 13, 32, 48] vae.decode(decode_input).sample (clamped)
    normalized     [1, 4, 3, 4, 6]    (encode_mean - latents_mean) * (1 / latents_std), as WanImageToVideoPipeline
    denormalized   [1, 4, 4, 4, 6]    decode_input / (1 / latents_std) + latents_mean, as WanPipeline
    encode_mean_bf16_weights, decode_output_bf16_weights
                                      the same with every weight rounded to bfloat16 (computed in fp32), the
                                      reference for a checkpoint stored in bf16. (This random tiny model is
                                      sensitive: bf16 rounding alone moves diffusers' own decode by ~7% relative.)

The configuration keeps Wan 2.1's structure (dim_mult of four levels, 2 residual blocks per level, temporal
downsampling [False, True, True]) at tiny widths. Norm gammas and biases are randomised too, so a swapped key
cannot go unnoticed. Run offline on CPU: `python3 Tooling/make_vae_goldens.py` (torch, diffusers, safetensors).
"""
import json
import os
import sys

import torch
from diffusers import AutoencoderKLWan
from safetensors.torch import save_file

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Tests", "Fixtures", "vae-tiny")

CONFIG = dict(
    base_dim=8,
    z_dim=4,
    dim_mult=[1, 2, 2, 2],
    num_res_blocks=2,
    attn_scales=[],
    temperal_downsample=[False, True, True],
    dropout=0.0,
    latents_mean=[-0.7571, -0.7089, -0.9113, 0.1075],
    latents_std=[2.8184, 1.4541, 2.3275, 2.6558],
)


def main() -> None:
    torch.manual_seed(0)
    torch.set_num_threads(2)
    vae = AutoencoderKLWan(**CONFIG).eval()
    with torch.no_grad():
        for name, p in vae.named_parameters():
            if name.endswith("gamma"):
                p.copy_(1.0 + 0.2 * torch.randn_like(p))
            elif name.endswith("bias"):
                p.copy_(0.05 * torch.randn_like(p))
        # Scale the last decoder conv so that some decoded values reach the clamp to [-1, 1].
        vae.decoder.conv_out.weight.mul_(1.5)

    g = torch.Generator().manual_seed(1)
    video = torch.rand(1, 3, 9, 32, 48, generator=g) * 2 - 1
    latents = torch.randn(1, 4, 4, 4, 6, generator=g)

    with torch.no_grad():
        mean = vae.encode(video).latent_dist.mean
        decoded = vae.decode(latents).sample

    rounded = AutoencoderKLWan(**CONFIG).eval()
    rounded.load_state_dict({k: v.to(torch.bfloat16).float() for k, v in vae.state_dict().items()})
    with torch.no_grad():
        mean_bf16 = rounded.encode(video).latent_dist.mean
        decoded_bf16 = rounded.decode(latents).sample

    cfg = vae.config
    latents_mean = torch.tensor(cfg.latents_mean).view(1, cfg.z_dim, 1, 1, 1)
    recip_std = 1.0 / torch.tensor(cfg.latents_std).view(1, cfg.z_dim, 1, 1, 1)
    normalized = (mean - latents_mean) * recip_std
    denormalized = latents / recip_std + latents_mean

    clamped = (decoded.abs() >= 1.0).float().mean().item()
    print(f"encode mean {tuple(mean.shape)} |max| {mean.abs().max():.3f}; decode {tuple(decoded.shape)} "
          f"|max| {decoded.abs().max():.3f}, clamped fraction {clamped:.3f}", file=sys.stderr)

    os.makedirs(os.path.join(ROOT, "vae"), exist_ok=True)
    vae.save_pretrained(os.path.join(ROOT, "vae"), safe_serialization=True)
    save_file(
        {
            "encode_input": video.contiguous(),
            "encode_mean": mean.contiguous(),
            "decode_input": latents.contiguous(),
            "decode_output": decoded.contiguous(),
            "normalized": normalized.contiguous(),
            "denormalized": denormalized.contiguous(),
            "encode_mean_bf16_weights": mean_bf16.contiguous(),
            "decode_output_bf16_weights": decoded_bf16.contiguous(),
        },
        os.path.join(ROOT, "goldens.safetensors"),
        metadata={"generator": "Tooling/make_vae_goldens.py", "diffusers": __import__("diffusers").__version__,
                  "torch": torch.__version__},
    )
    total = sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(ROOT) for f in fs)
    print(f"wrote {ROOT} ({total / 1e6:.2f} MB)", file=sys.stderr)


if __name__ == "__main__":
    main()
