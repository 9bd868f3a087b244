"""Load benchmark for `kino serve`: 200 concurrent status polls while a worker generates (--threads 1).

Run: python3 bench/serve_load.py [--duration 20] [--connections 200]
Needs `wrk` (Debian package). Uses the release build if present (KINO_BIN to override). Writes bench/serve.md.
With KINO_RENDERER=engine the server runs the real engine; otherwise the TEST AID renderer (ffmpeg test
patterns) keeps the worker busy, which exercises the queue and the database but not a diffusion model.
"""
import argparse
import datetime
import os
import platform
import re
import subprocess
import sys
import time
import warnings

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.join(ROOT, "Tests", "integration"))
release = os.path.join(ROOT, ".build", "release", "kino")
if "KINO_BIN" not in os.environ and os.path.exists(release):
    os.environ["KINO_BIN"] = release
from kino_harness import KINO, KinoServer  # noqa: E402

warnings.filterwarnings("ignore", category=DeprecationWarning)


def wrk(url, key, connections, duration):
    cmd = ["wrk", "-t", "2", "-c", str(connections), "-d", f"{duration}s", "--latency", "--timeout", "5s",
           "-H", f"Authorization: Bearer {key}", url]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    return cmd, out


def millis(text):
    value, unit = re.match(r"([\d.]+)(us|ms|s)", text).groups()
    return float(value) * {"us": 0.001, "ms": 1, "s": 1000}[unit]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--duration", type=int, default=20)
    parser.add_argument("--connections", type=int, default=200)
    args = parser.parse_args()
    import openai
    from openai import OpenAI

    renderer = os.environ.get("KINO_RENDERER", "test-pattern")
    with KinoServer(step_ms=250, workers=1, threads=1) as server:
        key = server.create_key("bench")
        client = OpenAI(base_url=server.base_url + "/v1", api_key=key, max_retries=0)
        ids = [client.videos.create(prompt=f"bench {i}", size="1280x720", seconds="8").id for i in range(40)]
        while client.videos.retrieve(ids[0]).status == "queued":
            time.sleep(0.05)
        cmd, out = wrk(f"{server.base_url}/v1/videos/{ids[1]}", key, args.connections, args.duration)
        statuses = [client.videos.retrieve(i).status for i in ids]
        for i in ids:
            client.post(f"/videos/{i}/cancel", cast_to=openai.types.Video)
    latency = dict(re.findall(r"^\s+(50|75|90|99)%\s+(\S+)", out, re.M))
    rate = re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    socket_errors = re.search(r"Socket errors: (.*)", out)
    completed = statuses.count("completed")
    p99 = millis(latency["99"])
    report = f"""# `kino serve` under load: status polls while generating

Measured {datetime.datetime.now(datetime.timezone.utc).strftime('%Y-%m-%d %H:%M UTC')} by `python3 bench/serve_load.py --duration {args.duration} --connections {args.connections}`.

| what | value |
|---|---|
| concurrent connections polling `GET /v1/videos/{{id}}` | {args.connections} |
| duration | {args.duration} s |
| requests/s | {rate} |
| latency p50 / p75 / p90 / p99 | {latency['50']} / {latency['75']} / {latency['90']} / **{latency['99']}** |
| target | p99 < 50 ms: **{'met' if p99 < 50 else 'NOT met'}** |
| non-2xx responses | {errors.group(1) if errors else 0} |
| socket errors | {socket_errors.group(1) if socket_errors else 'none'} |
| jobs completed by the worker during the run | {completed} |

Set-up: `kino serve --workers 1 --threads 1` ({os.path.relpath(KINO, ROOT)}), SQLite in a fresh data folder, renderer:
`{renderer}`{' (TEST AID: ffmpeg test patterns with 250 ms steps; the worker thread renders and encodes during the whole run, but this is not a diffusion model on one core — rerun with KINO_RENDERER=engine once the engine is wired in)' if renderer == 'test-pattern' else ''}.
Load tool: `{' '.join(c if not c.startswith('Authorization') else 'Authorization: Bearer $KEY' for c in cmd)}` on the same machine
({platform.machine()}, {os.cpu_count()} cores, shared with the server and the worker).

```
{out.strip()}
```
"""
    with open(os.path.join(ROOT, "bench", "serve.md"), "w") as f:
        f.write(report)
    print(report)


if __name__ == "__main__":
    main()
