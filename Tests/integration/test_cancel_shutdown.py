"""Cancel and shutdown with the real engine (bundled kino-tiny), at several points of a render.

- A cancel through the API while the job denoises, while its frames are resized and watermarked, and while ffmpeg
  encodes ends as `failed` with error.code "cancelled".
- SIGTERM while the job denoises and while it encodes: the process exits within 15 s, the job is `queued` again at
  once (not by lease expiry: the lease is 30 s), its attempt is not counted, and it completes after a restart.
- SIGTERM with an open `/events` stream (and no worker to end its job): the stream ends with a `reconnect` event
  and the process exits within 15 s.

The clips are long and large (12 s at 1792x1024, 96 frames to resize, watermark and encode) so that each stage
lasts long enough to be hit by polling the job's progress: denoising reports 2-85%, decoding 85-92%, resizing and
watermarking 92-95%, encoding 95-99%, signing 99-100% (KinoRender's ClipProgress).

Run: python3 Tests/integration/test_cancel_shutdown.py   (after `swift build`)
"""
import os
import signal
import sqlite3
import sys
import threading
import time
import urllib.request
import warnings

from openai import OpenAI

sys.path.insert(0, os.path.dirname(__file__))
from kino_harness import KinoServer, check  # noqa: E402

warnings.filterwarnings("ignore", category=DeprecationWarning)

CLIP = dict(prompt="a red ball bounces across green grass", size="1792x1024", seconds="12")


def wait_for(client, video_id, predicate, what, timeout=120):
    deadline = time.time() + timeout
    while time.time() < deadline:
        video = client.videos.retrieve(video_id)
        if predicate(video):
            return video
        if video.status in ("completed", "failed"):
            raise AssertionError(f"{video_id} ended ({video.status}, {video.error}) before {what}")
        time.sleep(0.05)
    raise AssertionError(f"{video_id}: timed out waiting for {what}")


def running_at(percent):
    return lambda v: v.status == "in_progress" and v.progress >= percent


def row(data, video_id):
    db = sqlite3.connect(os.path.join(data, "kino.sqlite"))
    try:
        status, attempt = db.execute("SELECT status, attempt FROM videos WHERE id = ?", (video_id,)).fetchone()
        events = [e for (e,) in db.execute("SELECT event FROM video_events WHERE video_id = ? ORDER BY seq", (video_id,))]
        return status, attempt, events
    finally:
        db.close()


def api_cancels(server, client):
    for percent, stage in [(3, "denoising"), (92, "resizing and watermarking"), (95, "encoding")]:
        video = client.videos.create(**CLIP, extra_body={"steps": 40})
        seen = wait_for(client, video.id, running_at(percent), f"{stage} ({percent}%)")
        client.post(f"/videos/{video.id}/cancel", cast_to=object)
        done = wait_for(client, video.id, lambda v: v.status == "failed", "the cancel to land", timeout=30)
        check(done.error and done.error.code == "cancelled", f"cancel during {stage}: {done.error}")
        check(not os.path.exists(os.path.join(server.data, "videos", video.id, "video.mp4")), "no output kept after a cancel")
        print(f"ok: cancel during {stage} (seen at {seen.progress}%) ended as failed/cancelled")


def sigterm_and_wait(server, what):
    """Sends SIGTERM and returns the seconds until the process exited; fails when that takes over 15 s."""
    started = time.time()
    server.process.send_signal(signal.SIGTERM)
    try:
        server.process.wait(timeout=15)
    except Exception:
        server.process.kill()
        raise AssertionError(f"{what}: the process did not exit within 15 s")
    return time.time() - started


def sigterm_during(data, key, percent, stage):
    server = KinoServer(data=data, renderer="engine", threads=2).start(timeout=120)
    client = OpenAI(base_url=server.base_url + "/v1", api_key=key, max_retries=0)
    video = client.videos.create(**CLIP, extra_body={"steps": 30})
    seen = wait_for(client, video.id, running_at(percent), f"{stage} ({percent}%)")
    took = sigterm_and_wait(server, f"SIGTERM during {stage}")
    status, attempt, events = row(data, video.id)
    check(status == "queued", f"SIGTERM during {stage}: the job should be queued at once, is {status} ({events})")
    check(attempt == 0, f"SIGTERM during {stage}: the interrupted attempt must not count, attempt is {attempt}")
    check(events[-1] == "released", f"SIGTERM during {stage}: events {events}")
    print(f"ok: SIGTERM during {stage} (seen at {seen.progress}%): exited in {took:.1f} s, job queued again")
    restarted = KinoServer(data=data, renderer="engine", threads=2).start(timeout=120)
    try:
        client = OpenAI(base_url=restarted.base_url + "/v1", api_key=key, max_retries=0)
        deadline = time.time() + 180
        while time.time() < deadline and client.videos.retrieve(video.id).status != "completed":
            check(client.videos.retrieve(video.id).status != "failed", f"{video.id} failed after the restart")
            time.sleep(0.25)
        status, attempt, events = row(data, video.id)
        check(status == "completed" and events.count("completed") == 1, f"after the restart: {status} {events}")
        print(f"ok: the released job completed once after the restart ({events})")
    finally:
        restarted.stop()


def sigterm_with_open_stream():
    """An open /events stream of a job that will never run (no workers) must not hold the shutdown: it ends with
    a `reconnect` event and the process exits within 15 s."""
    server = KinoServer(workers=0, renderer="test-pattern").start()
    key = server.create_key("sse")
    client = OpenAI(base_url=server.base_url + "/v1", api_key=key, max_retries=0)
    video = client.videos.create(prompt="waits in the queue")
    request = urllib.request.Request(f"{server.base_url}/v1/videos/{video.id}/events", headers={"Authorization": f"Bearer {key}"})
    stream = urllib.request.urlopen(request, timeout=30)
    lines = []
    reader = threading.Thread(target=lambda: lines.extend(line.decode().strip() for line in stream))
    reader.start()
    deadline = time.time() + 10
    while "event: video" not in lines and time.time() < deadline:
        time.sleep(0.05)
    check("event: video" in lines, f"the stream sent the video first: {lines}")
    took = sigterm_and_wait(server, "SIGTERM with an open event stream")
    reader.join(timeout=5)
    check("event: reconnect" in lines, f"the stream ends with a reconnect event: {lines}")
    print(f"ok: SIGTERM with an open event stream: exited in {took:.1f} s, the stream said reconnect")


def main():
    sigterm_with_open_stream()
    with KinoServer(renderer="engine", threads=2) as server:
        key = server.create_key("cancel")
        client = OpenAI(base_url=server.base_url + "/v1", api_key=key, max_retries=0)
        api_cancels(server, client)
        data = server.data
    sigterm_during(data, key, 40, "denoising")
    sigterm_during(data, key, 95, "encoding")
    print("test_cancel_shutdown: ok")


if __name__ == "__main__":
    main()
