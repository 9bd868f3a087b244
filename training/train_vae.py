"""Stage 1: a small Wan VAE (diffusers AutoencoderKLWan) trained on short clips from the world.

    python3 training/train_vae.py --minutes 20        # resumes from the last checkpoint
Loss: L1 + MSE reconstruction of 5-frame clips (random crops of the 33-frame renders) + 1e-6 KL.
"""
import argparse
import os
import time

import numpy as np
import torch
from diffusers import AutoencoderKLWan

from common import VAE, log, path
from data import load_all, to_video


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--minutes", type=float, default=20)
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--frames", type=int, default=5)
    ap.add_argument("--crop", type=int, default=48, help="square crop side (multiple of 8); the VAE is convolutional")
    ap.add_argument("--bf16", action="store_true", help="bf16 autocast (slower than fp32 for Conv3d here)")
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()
    torch.manual_seed(a.seed)
    torch.set_num_threads(int(os.environ.get("KINO_TRAIN_THREADS", "2")))
    frames, _, _ = load_all()
    log("vae", f"clips: {len(frames)}")
    model = AutoencoderKLWan(**VAE)
    opt = torch.optim.AdamW(model.parameters(), lr=a.lr, weight_decay=0.0)
    ckpt = path("vae", "last.pt")
    step = 0
    try:
        state = torch.load(ckpt)
        model.load_state_dict(state["model"])
        opt.load_state_dict(state["opt"])
        step = state["step"]
        log("vae", f"resumed at step {step}")
    except FileNotFoundError:
        pass
    rng = np.random.default_rng(a.seed + step)
    start = last_save = time.time()
    model.train()
    while time.time() - start < a.minutes * 60:
        idx = rng.integers(0, len(frames), a.batch)
        t0 = rng.integers(0, frames.shape[1] - a.frames + 1, a.batch)
        ys = rng.integers(0, frames.shape[2] - a.crop + 1, a.batch)
        xs = rng.integers(0, frames.shape[3] - a.crop + 1, a.batch)
        clip = np.stack([frames[i, t:t + a.frames, y:y + a.crop, x0:x0 + a.crop] for i, t, y, x0 in zip(idx, t0, ys, xs)])
        x = to_video(clip)
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=a.bf16):
            posterior = model.encode(x).latent_dist
            z = posterior.sample()
            recon = model.decode(z).sample
        recon = recon.float()
        rec = (recon - x).abs().mean() + ((recon - x) ** 2).mean()
        kl = posterior.kl().mean() / x[0].numel()
        loss = rec + 1e-6 * kl
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        step += 1
        if step % 10 == 0:
            with open(path("logs", "vae_loss.csv"), "a") as f:
                f.write(f"{step},{time.time():.0f},{rec.item():.5f},{kl.item():.5f}\n")
        if step % 50 == 0:
            log("vae", f"step {step} rec {rec.item():.4f} kl {kl.item():.4f}")
        if time.time() - last_save > 180:
            torch.save({"model": model.state_dict(), "opt": opt.state_dict(), "step": step}, ckpt)
            last_save = time.time()
    torch.save({"model": model.state_dict(), "opt": opt.state_dict(), "step": step}, ckpt)
    log("vae", f"done at step {step}")


if __name__ == "__main__":
    main()
