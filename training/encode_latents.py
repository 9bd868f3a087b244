"""Stage 2: encode every rendered clip to VAE latents once (the posterior mean), compute the per-channel
latent mean/std that the exported VAE config carries, and store normalised latents for the transformer.

    python3 training/encode_latents.py
    python3 training/encode_latents.py --model models/kino-tiny --out i2v/latents.npz --text   # fine-tuning an
        # exported model: its VAE and the latents_mean/std its config carries (as the pipeline normalises), and
        # the captions through its frozen text encoder (text_encode.py: [N, 64, 128] fp32, zero past each caption)
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
    ap.add_argument("--model", default=None, help="an exported diffusers folder: encode with its VAE (fp32) and "
                    "normalise with its config's latents_mean/std (WanPipeline's normalisation)")
    ap.add_argument("--cached-only", action="store_true", help="use only the shards already in the cache")
    ap.add_argument("--max-new", type=int, default=-1, help="encode at most this many uncached shards (the rest "
                    "are left out); with --text in a loop it grows the file a running train_i2v.py reloads")
    ap.add_argument("--batch", type=int, default=4, help="clips per VAE call")
    ap.add_argument("--out", default="latents.npz", help="output, relative to WORK")
    ap.add_argument("--text", action="store_true", help="also store the captions' embeddings by --model's text encoder")
    ap.add_argument("--data", default="data", help="folder of rendered shards, relative to WORK")
    ap.add_argument("--part", default=None, help="I/N: encode only every N-th shard from the I-th into the cache and "
                    "stop (N processes of one thread each use 2 cores better than one of two); then run without it")
    a = ap.parse_args()
    torch.set_num_threads(int(os.environ.get("KINO_TRAIN_THREADS", "2")))
    if a.model:
        vae = AutoencoderKLWan.from_pretrained(os.path.join(a.model, "vae"), torch_dtype=torch.float32).eval()
        cache_dir = "latent-shards-" + os.path.basename(os.path.normpath(a.model))
    else:
        vae = load_vae()
        cache_dir = "latent-shards"
    import glob
    shard_files = sorted(glob.glob(path(a.data, "shard-*.npz")))
    means, captions, labels = [], [], []
    start = time.time()
    shard_files = shard_files[:a.shards or None]
    if a.part:
        i, n = map(int, a.part.split("/"))
        shard_files = shard_files[i::n]
    for s in shard_files:
        cache = path(cache_dir, ("" if a.data == "data" else a.data.replace("/", "_") + "-") + os.path.basename(s).replace(".npz", ".npy"))   # resumable per shard
        if not os.path.exists(cache):
            if a.cached_only or a.max_new == 0:
                continue
            a.max_new -= 1
        z = np.load(s)
        if os.path.exists(cache):
            means.append(np.load(cache))
        else:
            frames = z["frames"]
            parts = [vae.encode(to_video(frames[i:i + a.batch])).latent_dist.mean.numpy().astype(np.float32)
                     for i in range(0, len(frames), a.batch)]
            np.save(cache + ".tmp.npy", np.concatenate(parts))
            os.replace(cache + ".tmp.npy", cache)
            means.append(np.load(cache))
        captions += [str(c) for c in z["captions"]]
        labels += [str(l) for l in z["labels"]]
        log("encode", f"{s}: {len(captions)} clips, {time.time() - start:.0f} s")
    if a.part:
        return
    mu = np.concatenate(means)                                   # [N, 16, 9, 10, 16]
    if a.model:
        mean, std = np.array(vae.config.latents_mean, np.float32), np.array(vae.config.latents_std, np.float32)
    elif a.stats_from:
        old = np.load(a.stats_from)
        mean, std = old["mean"], old["std"]
    else:
        mean = mu.mean(axis=(0, 2, 3, 4))
        std = mu.std(axis=(0, 2, 3, 4)) + 1e-6
    latents = (mu - mean[None, :, None, None, None]) / std[None, :, None, None, None]
    out = path(a.out)
    extra = {}
    if a.text:
        from text_encode import TextEncoder
        te = TextEncoder(a.model).eval()
        extra["text"] = np.concatenate([te.encode(captions[i:i + 256], 64).numpy().astype(np.float32)
                                        for i in range(0, len(captions), 256)])
    np.savez(out + ".tmp.npz", latents=latents.astype(np.float32), captions=np.array(captions),
             labels=np.array(labels), mean=mean, std=std, **extra)
    os.replace(out + ".tmp.npz", out)
    log("encode", f"latents {latents.shape}, channel mean {mean.round(3).tolist()}, std {std.round(3).tolist()}")


if __name__ == "__main__":
    main()
