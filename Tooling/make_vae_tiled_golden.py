#!/usr/bin/env python3
"""Writes Tests/Fixtures/vae-tiny/goldens-tiled.safetensors: diffusers' tiled decode of the tiny VAE fixture's
`decode_input` (Tooling/make_vae_goldens.py), so Kino's tiled decode is checked against the same algorithm.

    python3 Tooling/make_vae_tiled_golden.py

Tiles of 16 output pixels (2 latent) every 8 (1 latent): the 32x48 frames are cut into 4 x 6 tiles with 8-pixel
cross-fades, which exercises every seam case (first row, first column, interior, ragged last tiles).
    decode_output_tiled  [1, 3, 13, 32, 48]  vae.enable_tiling(16, 16, 8, 8); vae.decode(decode_input).sample
"""
import os

import torch
from diffusers import AutoencoderKLWan
from safetensors.torch import load_file, save_file

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIXTURE = os.path.join(ROOT, "Tests", "Fixtures", "vae-tiny")


def main() -> None:
    vae = AutoencoderKLWan.from_pretrained(os.path.join(FIXTURE, "vae")).eval()
    latents = load_file(os.path.join(FIXTURE, "goldens.safetensors"))["decode_input"]
    vae.enable_tiling(tile_sample_min_height=16, tile_sample_min_width=16,
                      tile_sample_stride_height=8, tile_sample_stride_width=8)
    with torch.no_grad():
        tiled = vae.decode(latents).sample
    save_file({"decode_output_tiled": tiled.contiguous()}, os.path.join(FIXTURE, "goldens-tiled.safetensors"))
    print("tiled", list(tiled.shape))


if __name__ == "__main__":
    main()
