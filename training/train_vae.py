"""Stage 1: a small Wan VAE (diffusers AutoencoderKLWan) trained on short clips from the world.

    python3 training/train_vae.py --minutes 20        # resumes from the last checkpoint
    python3 training/train_vae.py --decoder-only --crop 48 --frames 33 --batch 2 --minutes 40   # WORK/vae/decoder.pt
Loss: L1 + MSE reconstruction of 5-frame clips (random crops of the 33-frame renders) + 1e-6 KL; `--object-weight`
weights the pixels of objects and edges up (see object_weights).

--decoder-only fine-tunes the decoder alone on the frozen encoder's posterior means, starting from vae/last.pt and
resuming from vae/decoder.pt. The latent space stays exactly the one the transformer was trained on, so a better
decoder (colours, edges) can be swapped in under a trained transformer: export.py --vae WORK/vae/decoder.pt.
Train it on whole 33-frame clips: the causal decoder's error grows along its frame cache, so a decoder that only
ever saw 5-frame windows (2 latent frames) reconstructs those at 22 dB and the 9 latent frames of a clip at 13 dB.
"""
import argparse
import os
import time

import numpy as np
import torch
from diffusers import AutoencoderKLWan

from common import VAE, log, path
from data import load_all, to_video


def object_weights(x, weight):
    """1 + weight on pixels whose colour differs from the mean of their 9x9 neighbourhood by more than 0.1 (in
    [-1, 1] units, summed over RGB): the objects and their edges, found without labels. Normalised to mean 1 so
    the learning rate means the same with and without it."""
    with torch.no_grad():
        b, c, t, h, w = x.shape
        frames = x.transpose(1, 2).reshape(b * t, c, h, w)
        local = torch.nn.functional.avg_pool2d(frames, 9, stride=1, padding=4, count_include_pad=False)
        mask = ((frames - local).abs().sum(1, keepdim=True) > 0.1).float()
        wts = (1 + weight * mask).reshape(b, t, 1, h, w).transpose(1, 2)
        return wts / wts.mean()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--minutes", type=float, default=20)
    ap.add_argument("--steps", type=int, default=0, help="stop after this many steps (0: only --minutes)")
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--frames", type=int, default=5)
    ap.add_argument("--crop", type=int, default=48, help="square crop side (multiple of 8; 0: whole frames); the VAE is "
                    "convolutional")
    ap.add_argument("--decoder-only", action="store_true", help="train the decoder on the frozen encoder's means")
    ap.add_argument("--object-weight", type=float, default=0.0,
                    help="extra loss weight on pixels that stand out from their 9x9 neighbourhood (objects, edges): "
                         "small objects are ~1%% of the pixels, so a plain mean lets the decoder wash their colour out")
    ap.add_argument("--bf16", action="store_true", help="bf16 autocast (slower than fp32 for Conv3d here)")
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()
    torch.manual_seed(a.seed)
    torch.set_num_threads(int(os.environ.get("KINO_TRAIN_THREADS", "2")))
    frames, _, _ = load_all()
    log("vae", f"clips: {len(frames)}")
    model = AutoencoderKLWan(**VAE)
    trained = model.parameters()
    ckpt = path("vae", "last.pt")
    if a.decoder_only:
        model.load_state_dict(torch.load(ckpt)["model"])          # the encoder the latents came from
        model.encoder.requires_grad_(False)
        model.quant_conv.requires_grad_(False)
        trained = list(model.decoder.parameters()) + list(model.post_quant_conv.parameters())
        ckpt = path("vae", "decoder.pt")
    opt = torch.optim.AdamW(trained, lr=a.lr, weight_decay=0.0)
    step = 0
    try:
        state = torch.load(ckpt)
        model.load_state_dict(state["model"])
        opt.load_state_dict(state["opt"])
        step = state["step"]
        log("vae", f"resumed {os.path.basename(ckpt)} at step {step}")
    except FileNotFoundError:
        pass
    crop_h, crop_w = (a.crop, a.crop) if a.crop else frames.shape[2:4]
    rng = np.random.default_rng(a.seed + step)
    start = last_save = time.time()
    model.train()
    while time.time() - start < a.minutes * 60 and (a.steps == 0 or step < a.steps):
        idx = rng.integers(0, len(frames), a.batch)
        t0 = rng.integers(0, frames.shape[1] - a.frames + 1, a.batch)
        ys = rng.integers(0, frames.shape[2] - crop_h + 1, a.batch)
        xs = rng.integers(0, frames.shape[3] - crop_w + 1, a.batch)
        clip = np.stack([frames[i, t:t + a.frames, y:y + crop_h, x0:x0 + crop_w] for i, t, y, x0 in zip(idx, t0, ys, xs)])
        x = to_video(clip)
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=a.bf16):
            if a.decoder_only:
                with torch.no_grad():
                    posterior = model.encode(x).latent_dist
                z = posterior.mean
            else:
                posterior = model.encode(x).latent_dist
                z = posterior.sample()
            recon = model.decode(z).sample
        recon = recon.float()
        err = (recon - x).abs() + (recon - x) ** 2
        if a.object_weight:
            rec = (err * object_weights(x, a.object_weight)).mean()
        else:
            rec = err.mean()
        kl = posterior.kl().mean() / x[0].numel()
        loss = rec + (0 if a.decoder_only else 1e-6 * kl)
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(trained if a.decoder_only else model.parameters(), 1.0)
        opt.step()
        step += 1
        if step % 10 == 0 or a.steps:
            with open(path("logs", "vae_decoder_loss.csv" if a.decoder_only else "vae_loss.csv"), "a") as f:
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
