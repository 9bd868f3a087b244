"""The invisible watermark end to end: `kino generate` (bundled kino-tiny, 2 steps), then ffmpeg re-encodes the
clip the way a re-upload would, and `kino verify` must still read the watermark (C2PA is gone by then).

  - libx264 CRF 23 re-encode                          -> watermark found (key_name=local), c2pa absent
  - half size + libx264 CRF 28                        -> watermark found
  - the same content without Kino (ffmpeg's testsrc2) -> watermark: absent
Run: python3 Tests/integration/test_watermark.py   (KINO_BIN as in kino_harness). About 30 s.
The robustness numbers themselves come from `kino bench watermark` (bench/watermark.md), not from this test.
"""
import functools
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
from kino_harness import KINO  # noqa: E402
import kino_harness  # noqa: E402

LOCAL = "watermark: key_id=none key_name=local video_id=none"


check = functools.partial(kino_harness.check, echo=True)


def verify(path, data):
    out = subprocess.run([KINO, "verify", path, "--data", data], capture_output=True, text=True, timeout=120)
    return out.returncode, out.stdout.strip().splitlines()


def ffmpeg(*args):
    subprocess.run(["ffmpeg", "-v", "error", "-y", *args], check=True, timeout=300)


def main():
    work = tempfile.mkdtemp(prefix="kino-wm-")
    data = os.path.join(work, "data")
    clip = os.path.join(work, "cli.mp4")
    subprocess.run([KINO, "generate", "a boat drifting on the sea at night", "--steps", "2", "--seed", "9",
                    "-o", clip, "--data", data], check=True, capture_output=True, text=True, timeout=600)
    code, lines = verify(clip, data)
    check(lines[1:] == [LOCAL] and code == 0, f"as written: {lines}, exit {code}")

    crf23 = os.path.join(work, "crf23.mp4")
    ffmpeg("-i", clip, "-c:v", "libx264", "-crf", "23", "-pix_fmt", "yuv420p", crf23)
    code, lines = verify(crf23, data)
    check(lines == ["c2pa: absent", LOCAL] and code == 1, f"re-encoded at CRF 23: {lines}, exit {code}")

    half = os.path.join(work, "half-crf28.mp4")
    ffmpeg("-i", clip, "-vf", "scale=iw/2:ih/2", "-c:v", "libx264", "-crf", "28", "-pix_fmt", "yuv420p", half)
    code, lines = verify(half, data)
    check(lines == ["c2pa: absent", LOCAL], f"half size + CRF 28: {lines}")

    plain = os.path.join(work, "plain.mp4")
    ffmpeg("-f", "lavfi", "-i", "testsrc2=size=512x320:rate=8:duration=4", "-c:v", "libx264", "-pix_fmt", "yuv420p",
           plain)
    code, lines = verify(plain, data)
    check(lines == ["c2pa: absent", "watermark: absent"] and code == 1, f"never watermarked: {lines}, exit {code}")


if __name__ == "__main__":
    main()
