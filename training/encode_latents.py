"""Stage 2: encode every rendered clip to VAE latents once (the posterior mean), compute the per-channel
latent mean/std that the exported VAE config carries, and store normalised latents for the transformer.

    python3 training/encode_latents.py
"""
import os
import time

import numpy as np
import torch
from diffusers import AutoencoderKLWan

from common import VAE, log, path
from data import shards, to_video


def load_vae(checkpoint=None, device="cpu"):
    """The VAE of a train_vae.py checkpoint (default WORK/vae/last.pt), in eval mode on `device`."""
    model = AutoencoderKLWan(**VAE)
    model.load_state_dict(torch.load(checkpoint or path("vae", "last.pt"), map_location="cpu")["model"])
    return model.to(device).eval()


@torch.no_grad()
def main():
    import argparse
    ap = argparse.ArgumentParser()
    ap.add_argument("--shards", type=int, default=0, help="encode only the first N shards (0: all)")
    ap.add_argument("--stats-from", default=None,
                    help="reuse the channel mean/std of an earlier latents.npz (keeps a resumed transformer's targets)")
    a = ap.parse_args()
    torch.set_num_threads(int(os.environ.get("KINO_TRAIN_THREADS", "2")))
    vae = load_vae()
    means, captions, labels = [], [], []
    start = time.time()
    for s in shards()[:a.shards or None]:
        z = np.load(s)
        cache = path("latent-shards", os.path.basename(s).replace(".npz", ".npy"))   # resumable per shard
        if os.path.exists(cache):
            means.append(np.load(cache))
        else:
            frames = z["frames"]
            parts = [vae.encode(to_video(frames[i:i + 4])).latent_dist.mean.numpy().astype(np.float32)
                     for i in range(0, len(frames), 4)]
            np.save(cache + ".tmp.npy", np.concatenate(parts))
            os.replace(cache + ".tmp.npy", cache)
            means.append(np.load(cache))
        captions += [str(c) for c in z["captions"]]
        labels += [str(l) for l in z["labels"]]
        log("encode", f"{s}: {len(captions)} clips, {time.time() - start:.0f} s")
    mu = np.concatenate(means)                                   # [N, 16, 9, 10, 16]
    if a.stats_from:
        old = np.load(a.stats_from)
        mean, std = old["mean"], old["std"]
    else:
        mean = mu.mean(axis=(0, 2, 3, 4))
        std = mu.std(axis=(0, 2, 3, 4)) + 1e-6
    latents = (mu - mean[None, :, None, None, None]) / std[None, :, None, None, None]
    out = path("latents.npz")
    np.savez(out + ".tmp.npz", latents=latents.astype(np.float32), captions=np.array(captions),
             labels=np.array(labels), mean=mean, std=std)
    os.replace(out + ".tmp.npz", out)
    log("encode", f"latents {latents.shape}, channel mean {mean.round(3).tolist()}, std {std.round(3).tolist()}")


if __name__ == "__main__":
    main()
