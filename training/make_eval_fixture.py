"""Renders the ground-truth clips of the eval prompt set: the fixture the `kino eval` detectors are validated on.

    python3 training/make_eval_fixture.py       # writes Tests/Fixtures/eval/groundtruth.{mp4,json}

For every prompt in training/eval_prompts.json it rebuilds the world spec (same world seed, split and fixed labels)
and renders it with world.render, i.e. exactly the clip the caption describes.  Every second frame is kept (17 of
33, 4 fps) to keep the fixture small, and the clips are stored back to back as one lossless H.264 (libx264rgb,
qp 0) MP4, which KinoMedia's decoder reads bit-exactly; groundtruth.json holds the labels, the frame range of each
clip and a checksum of its pixels so a test can prove the decode was lossless.

    python3 training/make_eval_fixture.py --through-vae models/kino-tiny --out /tmp/gt-vae
    kino eval --ground-truth-only --ground-truth /tmp/gt-vae

sends every clip through a model's VAE first (encode, decode, all 33 frames): the detectors' scores on those clips
are the most a transformer could get with that decoder, the VAE's ceiling for each criterion.
"""
import argparse
import json
import os
import subprocess
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from world import render, sample_spec  # noqa: E402

OUT = os.path.join(os.path.dirname(HERE), "Tests", "Fixtures", "eval")
STRIDE = 2


def spec_of(p):
    """The world spec of an eval prompt (see make_eval_prompts.py)."""
    split = "heldout" if p["split"] == "held_out" else "train"
    fixed = {"scene": p["scene"], "style": p["style"], "weather": "none", "camera": "static", "count": p["count"]}
    if p["count"] == 1:
        fixed["objects"] = [{"object": p["object"], "colour": p["colour"], "motion": p["motion"]}]
    else:
        fixed["relation"] = p["relation"]
    spec = sample_spec(p["world_seed"], split, fixed)
    assert [o["colour"] for o in spec["objects"]] == p["colours"], "eval_prompts.json does not match the world"
    assert [o["object"] for o in spec["objects"]] == p["objects"], "eval_prompts.json does not match the world"
    return spec


def vae_round_trip(folder):
    """frames [T, H, W, 3] in [0, 1] -> the same after the model's VAE (posterior mean), as the engine decodes."""
    import torch
    from diffusers import AutoencoderKLWan
    vae = AutoencoderKLWan.from_pretrained(os.path.join(folder, "vae"), torch_dtype=torch.float32)

    def run(frames):
        x = torch.from_numpy(np.ascontiguousarray(frames)).float().permute(3, 0, 1, 2)[None] * 2 - 1
        with torch.no_grad():
            y = vae.decode(vae.encode(x).latent_dist.mean).sample.clamp(-1, 1)
        return ((y[0].permute(1, 2, 3, 0) + 1) / 2).numpy()
    return run


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--through-vae", metavar="MODEL", help="diffusers model folder whose VAE every clip goes through")
    ap.add_argument("--out", default=OUT)
    a = ap.parse_args()
    with open(os.path.join(HERE, "eval_prompts.json")) as f:
        prompts = json.load(f)
    os.makedirs(a.out, exist_ok=True)
    through = vae_round_trip(a.through_vae) if a.through_vae else (lambda frames: frames)
    clips, raw, start = [], [], 0
    for p in prompts["prompts"]:
        frames = through(render(spec_of(p)))[::STRIDE]
        u8 = np.clip(frames * 255 + 0.5, 0, 255).astype(np.uint8)
        raw.append(u8.tobytes())
        clips.append(dict(p, first_frame=start, frame_count=len(u8), pixel_sum=int(u8.astype(np.int64).sum())))
        start += len(u8)
    h, w = prompts["height"], prompts["width"]
    mp4 = os.path.join(a.out, "groundtruth.mp4")
    subprocess.run(["ffmpeg", "-y", "-loglevel", "error", "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", f"{w}x{h}",
                    "-r", str(8 // STRIDE), "-i", "pipe:0", "-c:v", "libx264rgb", "-qp", "0", "-preset", "veryslow",
                    "-movflags", "+faststart", mp4], input=b"".join(raw), check=True)
    meta = {"description": "ground-truth clips of training/eval_prompts.json rendered by training/world "
                           "(make_eval_fixture.py); every second frame; lossless libx264rgb",
            "width": w, "height": h, "stride": STRIDE, "clips": clips}
    if a.through_vae:
        meta["description"] += f"; sent through the VAE of {a.through_vae}"
    with open(os.path.join(a.out, "groundtruth.json"), "w") as f:
        json.dump(meta, f, indent=1)
        f.write("\n")
    print(f"wrote {mp4} ({os.path.getsize(mp4) / 1e6:.2f} MB, {start} frames)")


if __name__ == "__main__":
    main()
