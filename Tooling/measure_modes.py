#!/usr/bin/env python3
"""Measures `kino generate --image/--extend/--edit` outputs the way bench/quality-i2v.md reports them.

  image  PICTURE OUT.mp4            first frame vs the picture (PSNR at the output size), mean frame-to-frame change
  extend SOURCE.mp4 OUT.mp4 [RAW]   length, source part PSNR, join change vs the source's median change (and the
                                    largest change in the half second after it); with RAW
                                    (--raw-out of the same run) also the join without Kino's blend
  edit   SOURCE.mp4 OUT.mp4         frame counts, PSNR against the source (an edit should not be a copy)

Offline tooling: numpy, Pillow (RAW only: safetensors) and ffmpeg/ffprobe.
"""
import subprocess
import sys

import numpy as np


def frames(path):
    info = subprocess.run(["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries", "stream=width,height",
                           "-of", "csv=p=0", path], capture_output=True, text=True, check=True).stdout.strip().split(",")
    w, h = int(info[0]), int(info[1])
    raw = subprocess.run(["ffmpeg", "-loglevel", "error", "-i", path, "-f", "rawvideo", "-pix_fmt", "rgb24", "-"],
                         capture_output=True, check=True).stdout
    return np.frombuffer(raw, np.uint8).reshape(-1, h, w, 3).astype(np.float64)


def frame_rate(path):
    rate = subprocess.run(["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries", "stream=r_frame_rate",
                           "-of", "csv=p=0", path], capture_output=True, text=True, check=True).stdout.strip()
    num, _, den = rate.partition("/")
    return round(int(num) / int(den or 1))


def psnr(a, b):
    return 10 * np.log10(255 ** 2 / max(np.mean((a - b) ** 2), 1e-12))


def changes(v):
    return np.array([np.mean(np.abs(v[i + 1] - v[i])) for i in range(len(v) - 1)])


def main():
    mode = sys.argv[1]
    if mode == "image":
        picture, out = frames(sys.argv[2])[0], frames(sys.argv[3])
        if picture.shape != out[0].shape:
            from PIL import Image
            picture = np.asarray(Image.fromarray(picture.astype(np.uint8)).resize(out[0].shape[1::-1], Image.LANCZOS), np.float64)
        print(f"first frame {psnr(picture, out[0]):.2f} dB from the picture; {len(out)} frames; "
              f"mean frame-to-frame change {changes(out).mean():.2f}")
    elif mode == "extend":
        source, out = frames(sys.argv[2]), frames(sys.argv[3])
        n, median = len(source), float(np.median(changes(source)))
        moves = changes(out)
        join = moves[n - 1]
        # Kino dissolves the source's last frame into the first half second of new frames, so the jump the join
        # hides is spread over that window: report its largest change too, and the continuation's own median.
        fps = frame_rate(sys.argv[3])
        window = moves[n - 1:n + max(2, fps // 2)]
        print(f"{n} + {len(out) - n} frames; source part {psnr(source, out[:n]):.2f} dB; join change {join:.2f} = "
              f"{join / median:.2f}x the source's median {median:.2f}; largest change in the half second after it "
              f"{window.max() / median:.2f}x; the new frames' own median {np.median(moves[n:]) / median:.2f}x")
        if len(sys.argv) > 4:
            from PIL import Image
            from safetensors.numpy import load_file
            video = load_file(sys.argv[4])["video"][0]
            gen = ((np.clip(video, -1, 1) + 1) / 2 * 255).round().astype(np.uint8).transpose(1, 2, 3, 0)
            shared = gen.shape[0] - (len(out) - n)
            while shared > 1 and (shared - 1) % 4 != 0:
                shared -= 1
            size = source.shape[2], source.shape[1]
            first = np.asarray(Image.fromarray(gen[shared]).resize(size, Image.LANCZOS), np.float64)
            plain = np.mean(np.abs(first - source[-1]))
            print(f"without the blend the join would change {plain:.2f} = {plain / median:.2f}x")
    elif mode == "edit":
        source, out = frames(sys.argv[2]), frames(sys.argv[3])
        k = min(len(source), len(out))
        print(f"source {len(source)} frames, edit {len(out)}; PSNR against the source {psnr(source[:k], out[:k]):.2f} dB")
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
