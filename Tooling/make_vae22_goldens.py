#!/usr/bin/env python3
"""Goldens for Kino's Wan 2.2 VAE (is_residual + patch_size 2), made with diffusers' AutoencoderKLWan.

Writes Tests/Fixtures/vae22/:
  vae/config.json, vae/diffusion_pytorch_model.safetensors   a tiny random AutoencoderKLWan (fp32, seeded)
  goldens.safetensors                                         inputs and reference outputs (fp32)
    encode_input          [1, 3, 9, 32, 64]   video in [-1, 1] (non-square, so a swapped H/W patch axis shows)
    encode_mean           [1, 8, 3, 2, 4]     vae.encode(encode_input).latent_dist.mean
    image_input           [1, 3, 1, 32, 64]   one frame (image-to-video encodes the conditioning image alone)
    image_mean            [1, 8, 1, 2, 4]     vae.encode(image_input).latent_dist.mean
    decode_input          [1, 8, 3, 2, 4]     latents
    decode_output         [1, 3, 9, 32, 64]   vae.decode(decode_input).sample (clamped)
    decode_output_tiled   [1, 3, 9, 32, 64]   the same with diffusers' tiling at 2-latent tiles every 1 latent
                                              (tile_sample_min 32, stride 16: every seam case occurs)
    normalized            [1, 8, 3, 2, 4]     (encode_mean - latents_mean) * (1 / latents_std)

The configuration is TI2V-5B's VAE architecture (is_residual, patch_size 2 so in/out channels 12, dim_mult
[1, 2, 4, 4] so 16x spatial, temperal_downsample [False, True, True], decoder_base_dim != base_dim) at tiny
widths; the AvgDown3D/DupUp3D group sizes equal the real model's. Norm gammas and biases are randomised too, so
a swapped key cannot go unnoticed. Run offline on CPU: `python3 Tooling/make_vae22_goldens.py`.
"""
import os
import sys

import torch
from diffusers import AutoencoderKLWan
from safetensors.torch import save_file

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Tests", "Fixtures", "vae22")

CONFIG = dict(
    base_dim=4,
    decoder_base_dim=5,
    z_dim=8,
    dim_mult=[1, 2, 4, 4],
    num_res_blocks=2,
    attn_scales=[],
    temperal_downsample=[False, True, True],
    dropout=0.0,
    latents_mean=[-0.2289, -0.0052, -0.1323, -0.2339, 0.4385, -0.5024, 0.3201, 0.1167],
    latents_std=[0.4765, 1.0364, 0.4514, 1.1677, 0.8853, 1.5032, 0.6248, 2.1403],
    is_residual=True,
    in_channels=12,
    out_channels=12,
    patch_size=2,
    scale_factor_temporal=4,
    scale_factor_spatial=16,
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
    video = torch.rand(1, 3, 9, 32, 64, generator=g) * 2 - 1
    image = torch.rand(1, 3, 1, 32, 64, generator=g) * 2 - 1
    latents = torch.randn(1, 8, 3, 2, 4, generator=g)

    with torch.no_grad():
        mean = vae.encode(video).latent_dist.mean
        image_mean = vae.encode(image).latent_dist.mean
        decoded = vae.decode(latents).sample
        vae.enable_tiling(tile_sample_min_height=32, tile_sample_min_width=32,
                          tile_sample_stride_height=16, tile_sample_stride_width=16)
        decoded_tiled = vae.decode(latents).sample
        vae.disable_tiling()

    cfg = vae.config
    latents_mean = torch.tensor(cfg.latents_mean).view(1, cfg.z_dim, 1, 1, 1)
    recip_std = 1.0 / torch.tensor(cfg.latents_std).view(1, cfg.z_dim, 1, 1, 1)
    normalized = (mean - latents_mean) * recip_std

    clamped = (decoded.abs() >= 1.0).float().mean().item()
    seams = ((decoded_tiled - decoded).abs().max() / decoded.abs().max()).item()
    print(f"encode mean {tuple(mean.shape)} |max| {mean.abs().max():.3f}; image mean {tuple(image_mean.shape)}; "
          f"decode {tuple(decoded.shape)} |max| {decoded.abs().max():.3f}, clamped fraction {clamped:.3f}; "
          f"tiled vs untiled {seams:.4f}", file=sys.stderr)

    os.makedirs(os.path.join(ROOT, "vae"), exist_ok=True)
    vae.save_pretrained(os.path.join(ROOT, "vae"), safe_serialization=True)
    save_file(
        {
            "encode_input": video.contiguous(),
            "encode_mean": mean.contiguous(),
            "image_input": image.contiguous(),
            "image_mean": image_mean.contiguous(),
            "decode_input": latents.contiguous(),
            "decode_output": decoded.contiguous(),
            "decode_output_tiled": decoded_tiled.contiguous(),
            "normalized": normalized.contiguous(),
        },
        os.path.join(ROOT, "goldens.safetensors"),
        metadata={"generator": "Tooling/make_vae22_goldens.py", "diffusers": __import__("diffusers").__version__,
                  "torch": torch.__version__},
    )
    params = sum(p.numel() for p in vae.parameters())
    total = sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(ROOT) for f in fs)
    print(f"{params} parameters; wrote {ROOT} ({total / 1e6:.2f} MB)", file=sys.stderr)


if __name__ == "__main__":
    main()
