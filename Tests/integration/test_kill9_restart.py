"""Kill -9 of `kino serve` with jobs queued and one running, then a restart: every accepted job finishes exactly
once and nothing accepted is lost.

Run: python3 Tests/integration/test_kill9_restart.py   (after `swift build`)
Evidence of "exactly once" is the append-only video_events table: one `completed` event per job.
"""
import os
import sqlite3
import sys
import time
import warnings

from openai import OpenAI

sys.path.insert(0, os.path.dirname(__file__))
from kino_harness import KinoServer  # noqa: E402

warnings.filterwarnings("ignore", category=DeprecationWarning)


def main():
    server = KinoServer(step_ms=300, lease_seconds=3).start()
    key = server.create_key("restart")
    client = OpenAI(base_url=server.base_url + "/v1", api_key=key, max_retries=0)
    accepted = [client.videos.create(prompt=f"job {i}", size="1280x720").id for i in range(6)]

    # Wait until one job is running with some progress, then kill the server without warning.
    deadline = time.time() + 60
    while time.time() < deadline:
        statuses = {v.id: (v.status, v.progress) for v in client.videos.list(limit=100)}
        if any(s == "in_progress" and p > 0 for s, p in statuses.values()):
            break
        time.sleep(0.1)
    else:
        raise AssertionError("no job started")
    running = [i for i, (s, _) in statuses.items() if s == "in_progress"]
    queued = [i for i, (s, _) in statuses.items() if s == "queued"]
    assert running and queued, f"want one running and some queued at the kill, got {statuses}"
    server.kill9()
    print(f"killed with {len(running)} running, {len(queued)} queued")

    # Restart on the same data folder; the rescuer re-queues the orphaned job once its lease expires.
    restarted = KinoServer(data=server.data, step_ms=50, lease_seconds=3).start()
    client = OpenAI(base_url=restarted.base_url + "/v1", api_key=key, max_retries=0)
    deadline = time.time() + 180
    while time.time() < deadline:
        videos = {v.id: v for v in client.videos.list(limit=100)}
        if all(videos[i].status in ("completed", "failed") for i in accepted):
            break
        time.sleep(0.5)
    restarted.stop()

    assert set(videos) == set(accepted), "an accepted job was lost"
    failed = [v for v in videos.values() if v.status != "completed"]
    assert not failed, f"jobs did not complete: {[(v.id, v.error) for v in failed]}"
    db = sqlite3.connect(os.path.join(server.data, "kino.sqlite"))
    for video_id in accepted:
        events = [e for (e,) in db.execute("SELECT event FROM video_events WHERE video_id = ? ORDER BY seq", (video_id,))]
        assert events.count("completed") == 1, f"{video_id} completed {events.count('completed')} times: {events}"
        assert "failed" not in events, f"{video_id}: {events}"
        assert os.path.getsize(os.path.join(server.data, "videos", video_id, "video.mp4")) > 0
    rescued = [vid for vid in running
               if "rescued" in [e for (e,) in db.execute("SELECT event FROM video_events WHERE video_id = ?", (vid,))]]
    assert rescued == running, f"the running job should have been rescued once: {rescued} vs {running}"
    print(f"test_kill9_restart: all {len(accepted)} accepted jobs completed exactly once; rescued {rescued}")


if __name__ == "__main__":
    main()
