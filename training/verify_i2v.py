"""Sanity check of an exported kino-tiny folder in diffusers: one image-to-video clip through
WanImageToVideoPipeline (expand_timesteps path, no image encoder) from the first frame of a rendered clip the
fine-tune never saw, and one text-only WanPipeline clip of the same caption. Prints the first decoded frame's PSNR
against the picture, the motion (mean absolute change between frames), and PSNR of the generated frames against the
rendered clip; writes contact sheets (frames 0, 4, ..., 32) as PNGs.

    python3 training/verify_i2v.py --model models/kino-tiny --out /work/kino-train/i2v/verify
"""
import argparse
import json
import os

import numpy as np
import torch


def psnr(a, b):
    mse = np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2)
    return 10 * np.log10(255.0 ** 2 / max(mse, 1e-10))


def motion(frames):
    """Mean absolute change between consecutive frames (0-255 scale), and between the first and last."""
    f = frames.astype(np.float32)
    return float(np.abs(np.diff(f, axis=0)).mean()), float(np.abs(f[-1] - f[0]).mean())


def sheet(frames, out):
    from PIL import Image
    Image.fromarray(np.concatenate(list(frames[::4]), axis=1)).save(out)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default="models/kino-tiny")
    ap.add_argument("--out", default="/tmp/kino-verify")
    ap.add_argument("--clips", default="", help="a shard (default WORK/val/shard-0090.npz)")
    ap.add_argument("--index", type=int, default=80, help="which clip of the shard (the validation loss uses 0-63)")
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--guidance", type=float, default=5.0)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--more", type=int, default=0, help="also average the I2V scores over this many further clips")
    ap.add_argument("--expand", action="store_true", help="force expand_timesteps=True (to try a model whose "
                    "model_index.json does not say it)")
    a = ap.parse_args()
    from diffusers import WanImageToVideoPipeline, WanPipeline
    import diffusers.pipelines.wan.pipeline_wan as pw
    import diffusers.pipelines.wan.pipeline_wan_i2v as pi
    try:
        import ftfy
    except ImportError:                    # the pipelines' prompt_clean calls ftfy.fix_text, a no-op on these captions
        import types
        ftfy = types.SimpleNamespace(fix_text=lambda text: text)
    pw.ftfy = pi.ftfy = ftfy
    from PIL import Image
    from common import path
    torch.set_num_threads(int(os.environ.get("KINO_TRAIN_THREADS", "2")))
    os.makedirs(a.out, exist_ok=True)
    z = np.load(a.clips or path("val", "shard-0090.npz"))
    clip, caption = z["frames"][a.index], str(z["captions"][a.index])       # [33, 80, 128, 3] uint8
    picture = Image.fromarray(clip[0])
    h, w = clip.shape[1:3]
    report = {"caption": caption, "model": a.model}

    extra = {"expand_timesteps": True} if a.expand else {}
    pipe = WanImageToVideoPipeline.from_pretrained(a.model, image_encoder=None, image_processor=None,
                                                   torch_dtype=torch.float32, **extra)
    report["expand_timesteps"] = bool(pipe.config.expand_timesteps)
    assert pipe.config.expand_timesteps, "model_index.json does not set expand_timesteps"
    video = pipe(image=picture, prompt=caption, negative_prompt="", height=h, width=w, num_frames=clip.shape[0],
                 num_inference_steps=a.steps, guidance_scale=a.guidance, output_type="np",
                 generator=torch.Generator().manual_seed(a.seed)).frames[0]
    video = (np.clip(video, 0, 1) * 255 + 0.5).astype(np.uint8)              # [33, 80, 128, 3]
    report["i2v_frames"] = list(video.shape)
    report["i2v_first_frame_psnr"] = psnr(video[0], clip[0])
    report["i2v_motion_step_last"] = motion(video)
    report["truth_motion_step_last"] = motion(clip)
    report["i2v_psnr_vs_truth_frames_0_8_16_32"] = [psnr(video[i], clip[i]) for i in (0, 8, 16, 32)]
    sheet(video, os.path.join(a.out, "i2v.png"))
    sheet(clip, os.path.join(a.out, "truth.png"))
    if a.more:                  # the same on more unseen clips: mean PSNR against the rendered clip, and motion
        scores, moves = [], []
        for j in range(a.index + 1, a.index + 1 + a.more):
            c, cap = z["frames"][j], str(z["captions"][j])
            v = pipe(image=Image.fromarray(c[0]), prompt=cap, negative_prompt="", height=h, width=w,
                     num_frames=c.shape[0], num_inference_steps=a.steps, guidance_scale=a.guidance, output_type="np",
                     generator=torch.Generator().manual_seed(a.seed)).frames[0]
            v = (np.clip(v, 0, 1) * 255 + 0.5).astype(np.uint8)
            scores.append([psnr(v[i], c[i]) for i in (0, 8, 16, 32)])
            moves.append(motion(v)[0])
        report[f"i2v_{a.more}_more_clips_mean_psnr_vs_truth_frames_0_8_16_32"] = np.mean(scores, 0).round(2).tolist()
        report[f"i2v_{a.more}_more_clips_mean_motion_step"] = float(np.mean(moves))
    del pipe

    t2v = WanPipeline.from_pretrained(a.model, torch_dtype=torch.float32)
    video = t2v(prompt=caption, negative_prompt="", height=h, width=w, num_frames=clip.shape[0],
                num_inference_steps=a.steps, guidance_scale=a.guidance, output_type="np",
                generator=torch.Generator().manual_seed(a.seed)).frames[0]
    video = (np.clip(video, 0, 1) * 255 + 0.5).astype(np.uint8)
    report["t2v_frames"] = list(video.shape)
    report["t2v_motion_step_last"] = motion(video)
    report["t2v_std"] = float(video.std())
    sheet(video, os.path.join(a.out, "t2v.png"))
    print(json.dumps(report, indent=1))
    with open(os.path.join(a.out, "report.json"), "w") as f:
        json.dump(report, f, indent=1)


if __name__ == "__main__":
    main()
