"""How well a VAE checkpoint reproduces the world: encode and decode held-out clips (seeds no shard used) and report
the round-trip PSNR and the mean colour error, per scene. A decoder that shifts colours caps every colour and scene
score `kino eval` can give, whatever the transformer learned.

    python3 training/vae_quality.py                                  # WORK/vae/last.pt
    python3 training/vae_quality.py --vae /work/kino-train/vae/decoder.pt
"""
import argparse
import os
from collections import defaultdict

import numpy as np
import torch

from encode_latents import load_vae
from world import make_clip


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--vae", default=None)
    ap.add_argument("--clips", type=int, default=24)
    ap.add_argument("--frames", type=int, default=33, help="frames per clip (33: a whole clip, as at inference)")
    a = ap.parse_args()
    torch.set_num_threads(int(os.environ.get("KINO_TRAIN_THREADS", "2")))
    vae = load_vae(a.vae)
    by_scene = defaultdict(list)
    for seed in range(9_000_000, 9_000_000 + a.clips):
        clip, _, label, _ = make_clip(seed, split="train")
        truth = clip[:a.frames]
        x = torch.from_numpy(truth).float().permute(3, 0, 1, 2)[None] * 2 - 1
        with torch.no_grad():
            rec = vae.decode(vae.encode(x).latent_dist.mean).sample.clamp(-1, 1)
        r = ((rec[0].permute(1, 2, 3, 0) + 1) / 2).numpy()
        psnr = 10 * np.log10(1 / max(((r - truth) ** 2).mean(), 1e-10))
        colour = np.abs(r.mean(axis=(0, 1, 2)) - truth.mean(axis=(0, 1, 2))).max()
        by_scene[label["scene"]].append((psnr, colour))
    rows = [(s, np.mean([p for p, _ in v]), np.mean([c for _, c in v]), len(v)) for s, v in sorted(by_scene.items())]
    print(f"{'scene':8} {'clips':>5} {'PSNR dB':>8} {'mean colour error':>18}")
    for s, p, c, n in rows:
        print(f"{s:8} {n:5d} {p:8.2f} {c:18.3f}")
    everything = [x for v in by_scene.values() for x in v]
    print(f"{'all':8} {len(everything):5d} {np.mean([p for p, _ in everything]):8.2f} "
          f"{np.mean([c for _, c in everything]):18.3f}")


if __name__ == "__main__":
    main()
