"""Fresh training clips while the transformer trains: a pool of CPU workers renders shards of the procedural world,
and the training process encodes each finished shard with the VAE on its own device and adds the latents to the
pool it samples from. This is how the recipe runs on a GPU machine, where rendering and encoding cost far less
than a clip's worth of training steps and 1,000 stored clips would be seen hundreds of times.

    python3 training/train_dit.py --device cuda --stream 60000 --workers 14 ...
"""
import glob
import json
import multiprocessing as mp
import os
import time

import numpy as np
import torch

from common import FRAMES, HEIGHT, WIDTH, log, path
from data import to_video

SHARD = 100


def _render(job):
    folder, index, seed0, shard = job
    from world import make_clip
    out = os.path.join(folder, f"stream-{index:06d}")
    frames = np.empty((shard, FRAMES, HEIGHT, WIDTH, 3), np.uint8)
    captions = []
    for i in range(shard):
        clip, caption, _, _ = make_clip(seed0 + index * shard + i, split="train")
        frames[i] = np.clip(clip * 255 + 0.5, 0, 255).astype(np.uint8)
        captions.append(caption)
    np.save(out + ".tmp.npy", frames)
    with open(out + ".json", "w") as f:
        json.dump(captions, f)
    os.replace(out + ".tmp.npy", out + ".npy")          # the .npy appearing marks the shard complete
    return index


class LatentStream:
    """Renders `clips` training clips (seeds from `seed0`, `shard` per file) with `workers` processes; `poll`
    encodes what is done. `vae`: an AutoencoderKLWan on `device` (default: WORK/vae/last.pt's, as train_dit.py uses;
    distill_turbo.py passes the exported model's, whose encoder is the same: its decoder was fine-tuned alone)."""

    def __init__(self, clips, workers, seed0, device, stats, vae=None, shard=SHARD):
        self.folder = path("stream", "x").rsplit("/", 1)[0]
        for stale in glob.glob(os.path.join(self.folder, "stream-*")):
            os.remove(stale)
        self.device = device
        if vae is None:
            from encode_latents import load_vae
            vae = load_vae(device=device)                     # its encoder is the one decoder.pt keeps frozen
        self.vae = vae
        self.mean = torch.tensor(stats["mean"], device=device).view(1, -1, 1, 1, 1)
        self.std = torch.tensor(stats["std"], device=device).view(1, -1, 1, 1, 1)
        jobs = [(self.folder, i, seed0, shard) for i in range((clips + shard - 1) // shard)]
        self.pending = len(jobs)
        self.pool = mp.get_context("spawn").Pool(workers)
        self.result = self.pool.map_async(_render, jobs, chunksize=1)
        self.encode_seconds = 0.0

    @torch.no_grad()
    def poll(self, max_shards=None):
        """(normalised latents [n, 16, 9, 10, 16] on the device, captions) of the shards finished since the last call
        (at most `max_shards` of them: where encoding is slower than rendering, training still goes on)."""
        if self.result.ready() and not self.result.successful():
            self.result.get()                                   # re-raises the render worker's error
        latents, captions = [], []
        for done in sorted(glob.glob(os.path.join(self.folder, "stream-*[0-9].npy")))[:max_shards]:
            start = time.time()
            frames = torch.from_numpy(np.load(done)).to(self.device)
            for i in range(0, len(frames), 50):
                mu = self.vae.encode(to_video(frames[i:i + 50])).latent_dist.mean
                latents.append((mu - self.mean) / self.std)
            with open(done[:-4] + ".json") as f:
                captions += json.load(f)
            os.remove(done)
            os.remove(done[:-4] + ".json")
            self.pending -= 1
            self.encode_seconds += time.time() - start
        if not latents:
            return None, []
        return torch.cat(latents), captions

    def wait_for(self, clips, name="dit"):
        """Blocks until at least `clips` clips are encoded (so the first steps do not overfit a handful)."""
        got_l, got_c = [], []
        while len(got_c) < clips and self.pending > 0:
            lat, cap = self.poll()
            if lat is not None:
                got_l.append(lat)
                got_c += cap
            else:
                time.sleep(1)
        log(name, f"stream: first {len(got_c)} clips encoded")
        return torch.cat(got_l), got_c

    def close(self):
        self.pool.terminate()
