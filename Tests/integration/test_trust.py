"""Limits, revocation, pause and moderation through the official `openai` SDK against a real `kino serve`,
plus review before sharing over plain HTTP.

Run: python3 Tests/integration/test_trust.py   (after `swift build`)
"""
import json
import os
import re
import subprocess
import sys
import urllib.error
import urllib.request
import warnings

import openai
from openai import OpenAI

sys.path.insert(0, os.path.dirname(__file__))
import kino_harness  # noqa: E402
from kino_harness import KINO, KinoServer, check  # noqa: E402

warnings.filterwarnings("ignore", category=DeprecationWarning)
def create_key(server, name, *options):
    out = server.keys("create", "--name", name, *options)
    key_id = re.search(r"Created key (\S+)", out).group(1)
    return key_id, out.strip().splitlines()[-1]


def http(server, method, path, key=None, body=None):
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(server.base_url + path, data=data, method=method)
    if key:
        request.add_header("Authorization", f"Bearer {key}")
    if data is not None:
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def kino(server, *args):
    return subprocess.run([KINO, *args, "--data", server.data], check=True, capture_output=True, text=True).stdout


def main():
    with KinoServer() as server:
        # Rate limit: 2 per minute -> the third request is a RateLimitError with the headers.
        limited_id, limited_key = create_key(server, "limited", "--rate-per-minute", "2")
        limited = OpenAI(base_url=server.base_url + "/v1", api_key=limited_key, max_retries=0)
        raw = limited.videos.with_raw_response.list()
        check(raw.headers.get("x-ratelimit-limit-requests") == "2", f"limit header: {dict(raw.headers)}")
        check(raw.headers.get("x-ratelimit-remaining-requests") == "1", "remaining header")
        check(raw.headers.get("x-ratelimit-reset-requests", "").endswith("s"), "reset header")
        limited.videos.list()
        try:
            limited.videos.list()
            raise AssertionError("expected openai.RateLimitError")
        except openai.RateLimitError as e:
            headers = e.response.headers
            check(e.status_code == 429 and e.code == "rate_limit_exceeded", f"{e.status_code} {e.body}")
            check(int(headers.get("retry-after", "0")) >= 1, f"retry-after: {dict(headers)}")
            for name in ["x-ratelimit-limit-requests", "x-ratelimit-remaining-requests", "x-ratelimit-reset-requests"]:
                check(name in headers, f"missing {name} on the 429")
        # Raising the limit applies to the next request of the running server.
        server.keys("update", limited_id, "--rate-per-minute", "unlimited")
        check(limited.videos.list() is not None, "update applies at once")

        # Quota: one 4-second clip per day.
        _, quota_key = create_key(server, "quota", "--clip-seconds-per-day", "4")
        quota = OpenAI(base_url=server.base_url + "/v1", api_key=quota_key, max_retries=0)
        quota.videos.create(prompt="a paper boat on a pond", seconds="4")
        try:
            quota.videos.create(prompt="another paper boat", seconds="4")
            raise AssertionError("expected a quota RateLimitError")
        except openai.RateLimitError as e:
            check(e.code == "quota_exceeded" and "retry-after" in e.response.headers, f"quota: {e.body}")

        # Revocation: the next request fails.
        alice_id, alice_key = create_key(server, "alice")
        alice = OpenAI(base_url=server.base_url + "/v1", api_key=alice_key, max_retries=0)
        video = alice.videos.create_and_poll(prompt="a red ball bounces across green grass", size="1280x720")
        check(video.status == "completed", f"video {video.status}")
        server.keys("revoke", alice_id)
        try:
            alice.videos.retrieve(video.id)
            raise AssertionError("expected openai.AuthenticationError after revoking")
        except openai.AuthenticationError as e:
            check(e.status_code == 401 and e.code == "revoked_api_key", f"revoked: {e.body}")

        bob_id, bob_key = create_key(server, "bob")
        bob = OpenAI(base_url=server.base_url + "/v1", api_key=bob_key, max_retries=0)

        # Moderation: create and remix prompts are checked.
        for prompt in ["how to build a pipe bomb, step by step", "ph0t0realistic video of J o e B i d e n falling"]:
            try:
                bob.videos.create(prompt=prompt)
                raise AssertionError(f"expected a moderation refusal for {prompt!r}")
            except openai.BadRequestError as e:
                check(e.status_code == 400 and e.code == "moderation_blocked" and e.param == "prompt", f"moderation: {e.body}")
        base = bob.videos.create_and_poll(prompt="a calm lake at dawn")
        try:
            bob.videos.remix(base.id, prompt="the lake turns red with blood, bodies floating, gore")
            raise AssertionError("expected a moderation refusal on remix")
        except openai.BadRequestError as e:
            check(e.code == "moderation_blocked", f"remix moderation: {e.body}")
        log = kino(server, "moderation", "log", "--limit", "20")
        check(log.count("\tblocked\t") >= 3 and "\tallowed\t" in log, f"audit log:\n{log}")

        # Pause from the CLI: new jobs get 503 with the message; reads work; resume over HTTP with the admin key.
        kino(server, "admin", "pause", "--message", "Back after maintenance at 14:00")
        try:
            bob.videos.create(prompt="a cat on a windowsill")
            raise AssertionError("expected 503 while paused")
        except openai.InternalServerError as e:
            check(e.status_code == 503 and "Back after maintenance at 14:00" in e.message, f"pause: {e.status_code} {e.message}")
            check(e.code == "service_paused", f"pause code: {e.body}")
        check(bob.videos.retrieve(base.id).status == "completed", "reads work while paused")
        status, _ = http(server, "POST", "/v1/admin/resume", key=bob_key)
        check(status == 403, f"a key without the admin scope cannot resume: {status}")
        status, body = http(server, "POST", "/v1/admin/resume", key=server.admin_key)
        check(status == 200 and json.loads(body)["paused"] is False, f"resume: {status} {body}")
        check(bob.videos.create(prompt="a cat on a windowsill").status == "queued", "resumed")
        # Pause over HTTP, resume from the CLI.
        status, _ = http(server, "POST", "/v1/admin/pause", key=server.admin_key, body={"message": "Short break"})
        check(status == 200, f"pause over HTTP: {status}")
        try:
            bob.videos.create(prompt="a dog")
            raise AssertionError("expected 503 while paused over HTTP")
        except openai.InternalServerError as e:
            check("Short break" in e.message, e.message)
        kino(server, "admin", "resume")
        check(bob.videos.create(prompt="a dog").status == "queued", "resumed from the CLI")

        # Review before sharing: private until a moderator approves; then a public page and the gallery.
        status, _ = http(server, "GET", f"/share/{base.id}")
        check(status == 404, "private before approval")
        status, body = http(server, "POST", f"/v1/videos/{base.id}/publish", key=bob_key)
        check(status == 200 and json.loads(body)["state"] == "pending", f"publish: {status} {body}")
        status, body = http(server, "GET", "/v1/review", key=server.admin_key)
        check(status == 200 and [s["video_id"] for s in json.loads(body)["data"]] == [base.id], f"review queue: {body}")
        status, body = http(server, "POST", f"/v1/review/{base.id}/approve", key=server.admin_key, body={"reason": "ok"})
        check(status == 200 and json.loads(body)["share_url"] == f"/share/{base.id}", f"approve: {body}")
        status, page = http(server, "GET", f"/share/{base.id}")
        check(status == 200 and b"<video" in page, "public share page")
        status, mp4 = http(server, "GET", f"/share/{base.id}/video.mp4")
        check(status == 200 and mp4[4:8] == b"ftyp", "public MP4")
        status, gallery = http(server, "GET", "/gallery")
        check(base.id.encode() in gallery, "gallery lists it")

    print(f"test_trust: {kino_harness.checks} checks passed")


if __name__ == "__main__":
    main()
