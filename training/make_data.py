"""Renders captioned training clips from the procedural world into shards (uint8 frames + captions + labels).

    python3 training/make_data.py --clips 2400 --workers 2     # resumable: existing shards are kept
    python3 training/make_data.py --clips 100 --first-shard 90 --out val   # seeds 9000-9099 into WORK/val
"""
import argparse
import json
import multiprocessing as mp
import os

import numpy as np

from common import FRAMES, HEIGHT, WIDTH, path
from world import make_clip

SHARD = 100


def render_shard(index, folder="data"):
    out = path(folder, f"shard-{index:04d}.npz")
    if os.path.exists(out):
        return out
    frames = np.empty((SHARD, FRAMES, HEIGHT, WIDTH, 3), np.uint8)
    captions, labels = [], []
    for i in range(SHARD):
        seed = index * SHARD + i
        clip, caption, label, _ = make_clip(seed, split="train")
        frames[i] = np.clip(clip * 255 + 0.5, 0, 255).astype(np.uint8)
        captions.append(caption)
        labels.append(label)
    tmp = out + ".tmp.npz"
    np.savez(tmp, frames=frames, captions=np.array(captions), labels=np.array([json.dumps(l) for l in labels]))
    os.replace(tmp, out)
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--clips", type=int, default=2400)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--first-shard", type=int, default=0, help="index of the first shard (its seeds: index * 100 on)")
    ap.add_argument("--out", default="data", help="folder under WORK")
    a = ap.parse_args()
    shards = [(a.first_shard + i, a.out) for i in range((a.clips + SHARD - 1) // SHARD)]
    with mp.Pool(a.workers) as pool:
        for p in pool.starmap(render_shard, shards):
            print("wrote", p, flush=True)


if __name__ == "__main__":
    main()
