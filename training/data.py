"""Loading rendered shards."""
import glob
import json

import numpy as np

from common import path


def shards():
    return sorted(glob.glob(path("data", "shard-*.npz")))


def load_all():
    """(frames uint8 [N, F, H, W, 3], captions list, labels list)."""
    frames, captions, labels = [], [], []
    for s in shards():
        z = np.load(s)
        frames.append(z["frames"])
        captions += [str(c) for c in z["captions"]]
        labels += [json.loads(str(l)) for l in z["labels"]]
    return np.concatenate(frames), captions, labels


def to_video(frames_uint8):
    """uint8 [B, F, H, W, 3] (numpy, or a tensor on any device) -> float tensor [B, 3, F, H, W] in [-1, 1]."""
    import torch
    x = torch.as_tensor(frames_uint8).float().div_(127.5).sub_(1)
    return x.permute(0, 4, 1, 2, 3).contiguous()
