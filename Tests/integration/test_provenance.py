"""C2PA content credentials, checked by an independent validator (c2pa-python, the C2PA reference library).

Drives the real `kino generate` (bundled kino-tiny, 2 steps) and `kino verify`, plus one clip from a real
`kino serve` (test-pattern renderer), and asks c2pa-python's Reader about each MP4:
  - Valid with no trust anchors (signature, assertion hashes, BMFF hard binding good; signer untrusted),
  - Trusted with the data folder's root CA as trust anchor,
  - Invalid (assertion.bmffHash.mismatch) after one byte of the mdat payload is changed.
Run: python3 Tests/integration/test_provenance.py   (needs c2pa-python from PyPI; KINO_BIN as in kino_harness)
"""
import json
import functools
import os
import subprocess
import sys
import tempfile
import time

import c2pa

sys.path.insert(0, os.path.dirname(__file__))
from kino_harness import KINO, KinoServer  # noqa: E402
import kino_harness  # noqa: E402

TRAINED = "http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia"


check = functools.partial(kino_harness.check, echo=True)


def reader(path, anchors_pem=None):
    with open(path, "rb") as f:
        if anchors_pem is None:
            r = c2pa.Reader("video/mp4", f)
        else:
            settings = c2pa.Settings.from_dict({"verify": {"verify_trust": True}, "trust": {"trust_anchors": anchors_pem}})
            r = c2pa.Reader("video/mp4", f, context=c2pa.Context(settings))
        state = r.get_validation_state()
        report = json.loads(r.json())
        manifest = r.get_active_manifest()
    failures = [s["code"] for s in report.get("validation_results", {}).get("activeManifest", {}).get("failure", [])]
    return state, failures, manifest


def top_level_boxes(data):
    boxes, at = [], 0
    while at < len(data):
        size = int.from_bytes(data[at:at + 4], "big")
        kind = data[at + 4:at + 8].decode("latin-1")
        if size == 1:
            size = int.from_bytes(data[at + 8:at + 16], "big")
        boxes.append((kind, at, size))
        at += size
    return boxes


def flip_mdat_byte(src, dst):
    data = bytearray(open(src, "rb").read())
    kind, at, size = next(b for b in top_level_boxes(data) if b[0] == "mdat")
    data[at + size // 2] ^= 0x01
    open(dst, "wb").write(data)


def verify(path, data):
    out = subprocess.run([KINO, "verify", path, "--data", data], capture_output=True, text=True, timeout=120)
    lines = out.stdout.strip().splitlines()
    return out.returncode, lines, out.stderr


def check_verify_exit(code, lines, path):
    credentials_ok = lines[0] in ("c2pa: trusted", "c2pa: valid")
    watermark_found = lines[1] != "watermark: absent"
    check(code == (0 if credentials_ok and watermark_found else 1),
          f"kino verify {os.path.basename(path)} exits {code}: 0 only with good credentials and a watermark ({lines})")


def check_clip(path, data, model):
    anchors = open(os.path.join(data, "provenance", "ca.pem")).read()
    probe = subprocess.run(["ffprobe", "-v", "error", "-select_streams", "v:0", "-count_frames",
                            "-show_entries", "stream=codec_name,nb_read_frames", "-of", "json", path],
                           capture_output=True, text=True, check=True)
    stream = json.loads(probe.stdout)["streams"][0]
    check(stream["codec_name"] == "h264" and int(stream["nb_read_frames"]) > 0,
          f"ffprobe still decodes the signed MP4 ({stream})")
    boxes = [b[0] for b in top_level_boxes(open(path, "rb").read())]
    check(boxes[0] == "ftyp" and boxes[1] == "uuid", f"the C2PA uuid box sits right after ftyp ({boxes})")

    state, failures, manifest = reader(path)
    check(state == "Valid" and failures == ["signingCredential.untrusted"],
          f"c2pa-python: Valid without trust anchors (state {state}, failures {failures})")
    state, failures, manifest = reader(path, anchors)
    check(state == "Trusted" and failures == [], f"c2pa-python: Trusted with Kino's root as anchor ({state}, {failures})")
    assertions = {a["label"]: a["data"] for a in manifest["assertions"]}
    first = assertions["c2pa.actions.v2"]["actions"][0]
    check(first["action"] == "c2pa.created" and first["digitalSourceType"] == TRAINED,
          "the first action is c2pa.created with digitalSourceType trainedAlgorithmicMedia")
    check(first["softwareAgent"]["name"] == model, f"the model name {model} is the action's softwareAgent")
    check(any(label.startswith("c2pa.hash.bmff") for label in assertions), f"a BMFF hard binding is present ({list(assertions)})")
    check(manifest["signature_info"]["alg"].lower() == "es256", "signed ES256")

    tampered = path.replace(".mp4", "-tampered.mp4")
    flip_mdat_byte(path, tampered)
    state, failures, _ = reader(tampered, anchors)
    check(state == "Invalid" and "assertion.bmffHash.mismatch" in failures,
          f"c2pa-python: Invalid after one mdat byte changed ({state}, {failures})")

    code, lines, err = verify(path, data)
    check(lines[0] == "c2pa: trusted" and lines[1].startswith("watermark: "), f"kino verify: {lines}")
    check_verify_exit(code, lines, path)
    code, lines, err = verify(tampered, data)
    check(len(lines) == 2 and lines[0] == "c2pa: invalid" and lines[1].startswith("watermark: ") and code == 1
          and "bmffHash.mismatch" in err, f"kino verify on the tampered copy: {lines}, exit {code}")
    other = tempfile.mkdtemp(prefix="kino-other-")
    code, lines, err = verify(path, other)
    check(lines[0] == "c2pa: valid", f"kino verify with another data folder (not our CA): {lines}")
    check(not os.path.exists(os.path.join(other, "provenance")), "kino verify creates no CA in a data folder it only reads")


def main():
    work = tempfile.mkdtemp(prefix="kino-prov-")
    data = os.path.join(work, "data")

    clip = os.path.join(work, "cli.mp4")
    started = time.time()
    subprocess.run([KINO, "generate", "a red ball bounces across green grass", "--steps", "2", "--seed", "5",
                    "-o", clip, "--data", data], check=True, capture_output=True, text=True, timeout=600)
    print(f"kino generate took {time.time() - started:.1f} s")
    check_clip(clip, data, "kino-tiny")

    plain = os.path.join(work, "plain.mp4")
    subprocess.run(["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "testsrc=size=64x64:rate=8:duration=1",
                    "-c:v", "libx264", "-pix_fmt", "yuv420p", plain], check=True)
    code, lines, _ = verify(plain, data)
    check(lines == ["c2pa: absent", "watermark: absent"] and code == 1, f"kino verify on an unsigned MP4: {lines}, exit {code}")

    code, lines, _ = verify(clip, data)
    check(lines == ["c2pa: trusted", "watermark: key_id=none key_name=local video_id=none"] and code == 0,
          f"kino verify names CLI output as local and exits 0: {lines}, exit {code}")

    from openai import OpenAI
    # The real engine behind `kino serve`: the watermark names the key and the video, the manifest the model.
    previous = os.environ.get("KINO_RENDERER")
    os.environ["KINO_RENDERER"] = "engine"
    try:
        server = KinoServer(threads=2).start(timeout=120)
    finally:
        if previous is None:
            del os.environ["KINO_RENDERER"]
        else:
            os.environ["KINO_RENDERER"] = previous
    try:
        key = server.create_key("alice")
        client = OpenAI(base_url=server.base_url + "/v1", api_key=key, max_retries=0, timeout=600)
        started = time.time()
        video = client.videos.create_and_poll(prompt="a red ball bounces across green grass", size="1280x720",
                                              seconds="4", extra_body={"steps": 2}, poll_interval_ms=500)
        check(video.status == "completed", f"engine video {video.id} completed in {time.time() - started:.1f} s")
        served = os.path.join(work, "engine.mp4")
        client.videos.download_content(video.id).write_to_file(served)
        check_clip(served, server.data, "kino-tiny")
        key_id = next(line.split("\t")[0] for line in server.keys("list").splitlines() if "\talice\t" in line)
        code, lines, _ = verify(served, server.data)
        check(lines == ["c2pa: trusted", f"watermark: key_id={key_id} key_name=alice video_id={video.id}"] and code == 0,
              f"kino verify names alice's key and the video: {lines}, exit {code}")
    finally:
        server.stop()

    with KinoServer(step_ms=10) as server:
        client = OpenAI(base_url=server.base_url + "/v1", api_key=server.admin_key, max_retries=0)
        video = client.videos.create_and_poll(prompt="a kite over a beach", size="1280x720", seconds="4")
        check(video.status == "completed", f"server video {video.id} completed")
        served = os.path.join(work, "served.mp4")
        client.videos.download_content(video.id).write_to_file(served)
        check_clip(served, server.data, "test-pattern")  # ffmpeg's pattern: signed, but no invisible watermark
    print("test_provenance: all checks passed")


if __name__ == "__main__":
    main()
