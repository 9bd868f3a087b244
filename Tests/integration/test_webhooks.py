"""Webhooks through the official `openai` SDK: endpoints (create, retrieve, update, list, delete, rotate_secret,
test, event types), signed deliveries that `client.webhooks.unwrap` accepts, retries with the same webhook-id,
a delivery that survives `kill -9` of the server, the SSRF rules, and remote input pictures.

Run: python3 Tests/integration/test_webhooks.py   (after `swift build`)
"""
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
import warnings

import openai
from openai import OpenAI

sys.path.insert(0, os.path.dirname(__file__))
import kino_harness  # noqa: E402
from kino_harness import KinoServer, Receiver, check, expect_api_error as expect_error, tiny_png  # noqa: E402

warnings.filterwarnings("ignore", category=DeprecationWarning)


def events_of(client, secret, requests):
    return [client.webhooks.unwrap(body, headers, secret=secret) for headers, body in requests]


def endpoints_and_deliveries(receiver):
    with KinoServer(extra_args=["--allow-private-webhooks", "--webhook-retries", "1s,1s,1s"]) as server:
        key = server.create_key("hooks")
        other = OpenAI(base_url=server.base_url + "/v1", api_key=server.create_key("other"), max_retries=0)
        client = OpenAI(base_url=server.base_url + "/v1", api_key=key, max_retries=0)

        types = client.webhooks.event_types.list()
        check(set(types.data) == {"video.completed", "video.failed", "video.cancelled"}, f"event types: {types.data}")
        hook = client.webhooks.create(name="ci", url=receiver.url + "/hook",
                                      event_types=["video.completed", "video.failed", "video.cancelled"])
        check(hook.signing_secret.startswith("whsec_") and hook.object == "webhook_endpoint", f"create: {hook}")
        check(hook.signing_secret_hint.endswith(hook.signing_secret[-4:]), "hint names the secret's end")
        got = client.webhooks.retrieve(hook.id)
        check(got.url == hook.url and got.event_types == hook.event_types and not hasattr(got, "signing_secret"), f"retrieve: {got}")
        expect_error(openai.NotFoundError, 404, lambda: other.webhooks.retrieve(hook.id))
        same = client.webhooks.update(hook.id, name="ci")
        check(same.updated_at == hook.updated_at, "an unchanged update keeps updated_at")
        second = client.webhooks.create(name="completed only", url=receiver.url + "/hook2", event_types=["video.completed"])
        listed = [e.id for e in client.webhooks.list(limit=1)]
        check(listed == [second.id, hook.id], f"list (newest first, paged): {listed}")
        client.webhooks.delete(second.id)
        check([e.id for e in client.webhooks.list()] == [hook.id], "delete")

        # test(): a sample event, signed, answered synchronously
        result = client.webhooks.test(hook.id, event_type="video.completed")
        check(result.status_code == 200 and result.webhook_endpoint_id == hook.id and result.success, f"test: {result}")
        sample = events_of(client, hook.signing_secret, receiver.wait_for(1))[0]
        check(sample.type == "video.completed", f"test event: {sample}")

        # A completed and a cancelled video (video.failed is covered by the store's unit tests and test()).
        done = client.videos.create_and_poll(prompt="a red ball", seconds="4")
        check(done.status == "completed", f"video: {done.status}")
        slow = client.videos.create(prompt="slow", extra_body={"steps": 200})
        client.post(f"/videos/{slow.id}/cancel", cast_to=openai.types.Video)
        requests = receiver.wait_for(3)
        events = events_of(client, hook.signing_secret, requests[1:3])
        by_type = {e.type: e for e in events}
        check(by_type.get("video.completed") and by_type["video.completed"].data.id == done.id, f"completed event: {events}")
        check(by_type.get("video.cancelled") and by_type["video.cancelled"].data.id == slow.id, f"cancelled event: {events}")
        check(all(e.object == "event" and e.id.startswith("evt_") for e in events), "event objects")

        # A wrong secret or a changed body does not verify.
        headers, body = requests[1]
        expect_unwrap_error(client, body, headers, "whsec_" + "A" * 44)
        expect_unwrap_error(client, body.replace(b"video", b"vidoe"), headers, hook.signing_secret)

        # rotate_secret keeping the old one: both verify for now
        rotated = client.webhooks.rotate_secret(hook.id, keep_old_secret_active_for_24_hours=True)
        check(rotated.signing_secret != hook.signing_secret, "rotated secret is new")
        client.webhooks.test(hook.id, event_type="video.failed")
        headers, body = receiver.wait_for(4)[3]
        for secret in [rotated.signing_secret, hook.signing_secret]:
            check(client.webhooks.unwrap(body, headers, secret=secret).type == "video.failed", "both secrets verify during rotation")

        # SSRF: without the flag, private addresses and plain http are refused (a second server on the same data)
        check(len(client.get(f"/webhook_endpoints/{hook.id}/deliveries", cast_to=object)["data"]) >= 2, "delivery log")
        log = subprocess.run([kino_harness.KINO, "webhooks", "deliveries", "--project", project_of(server, key), "--data", server.data],
                             check=True, capture_output=True, text=True).stdout
        check("video.completed" in log and "delivered" in log, f"kino webhooks deliveries: {log}")
        expect_error(openai.BadRequestError, 400, lambda: client.webhooks.create(name="x", url="ftp://x", event_types=["video.completed"]),
                     param="url")
        expect_error(openai.BadRequestError, 400, lambda: client.webhooks.create(name="x", url=receiver.url, event_types=["batch.completed"]),
                     param="event_types")
        expect_error(openai.BadRequestError, 400, lambda: client.webhooks.create(name="x", url=receiver.url, event_types=["video.completed"],
                                                                                 extra_body={"secret": "mine"}),
                     code="unknown_parameter", param="secret")
        return server.data, key, hook, rotated


def project_of(server, key):
    for line in server.keys("list").splitlines():
        parts = line.split("\t")
        if key.split("_")[1] == parts[0]:
            return parts[2]
    raise AssertionError("key not listed")


def expect_unwrap_error(client, body, headers, secret):
    try:
        client.webhooks.unwrap(body, headers, secret=secret)
    except openai.InvalidWebhookSignatureError:
        kino_harness.checks += 1
        return
    raise AssertionError("a bad signature verified")


def private_targets_refused():
    with KinoServer() as server:
        client = OpenAI(base_url=server.base_url + "/v1", api_key=server.create_key("strict"), max_retries=0)
        for url in ["http://127.0.0.1:9/x", "https://127.0.0.1/x", "https://10.0.0.1/x", "https://[::1]/x", "https://169.254.169.254/latest",
                    "https://localhost/x"]:
            expect_error(openai.BadRequestError, 400, lambda: client.webhooks.create(name="x", url=url, event_types=["video.completed"]),
                         param="url")


def delivery_survives_kill(receiver):
    """The receiver refuses the first delivery; the server is killed (-9) before the retry; after a restart the
    retry arrives with the same webhook-id and verifies."""
    data = tempfile.mkdtemp(prefix="kino-hooks-")
    server = KinoServer(data=data, extra_args=["--allow-private-webhooks", "--webhook-retries", "2s"]).start()
    key = server.create_key("durable")
    client = OpenAI(base_url=server.base_url + "/v1", api_key=key, max_retries=0)
    hook = client.webhooks.create(name="durable", url=receiver.url + "/durable", event_types=["video.completed"])
    done = client.videos.create_and_poll(prompt="a red ball", seconds="4")
    first = receiver.wait_for(1)[0]
    server.kill9()
    db = sqlite3.connect(os.path.join(data, "kino.sqlite"))
    state = db.execute("SELECT state, attempts FROM webhook_deliveries WHERE video_id = ?", (done.id,)).fetchall()
    check(state == [("pending", 1)], f"after the refused attempt and the kill: {state}")
    time.sleep(2.5)
    check(len(receiver.requests) == 1, "nothing delivered while the server is down")
    restarted = KinoServer(data=data, extra_args=["--allow-private-webhooks", "--webhook-retries", "2s"]).start()
    try:
        second = receiver.wait_for(2)[1]
    finally:
        restarted.stop()
    check(first[0]["webhook-id"] == second[0]["webhook-id"] and first[1] == second[1], "the retry has the same webhook-id and body")
    event = client.webhooks.unwrap(second[1], second[0], secret=hook.signing_secret)
    check(event.type == "video.completed" and event.data.id == done.id, f"delivered after restart: {event}")
    state = db.execute("SELECT state, attempts, last_status_code FROM webhook_deliveries WHERE video_id = ?", (done.id,)).fetchall()
    check(state == [("delivered", 2, 200)], f"delivery log after restart: {state}")


def remote_references(receiver):
    png = tiny_png(64, 40)
    receiver.files["/pic.png"] = (200, {"content-type": "image/png"}, png)
    receiver.files["/moved"] = (302, {"location": "/pic.png"}, b"")
    receiver.files["/page"] = (200, {"content-type": "text/html"}, b"<html></html>")
    receiver.files["/big.png"] = (200, {"content-type": "image/png"}, png + b"\0" * (21 << 20))
    # The bundled model starts from pictures (the test-pattern renderer does not); the jobs are only queued.
    with KinoServer(renderer="engine", workers=0, extra_args=["--allow-remote-references", "--allow-private-references"]) as server:
        client = OpenAI(base_url=server.base_url + "/v1", api_key=server.create_key("remote"), max_retries=0)
        for path in ["/pic.png", "/moved"]:
            video = client.videos.create(prompt="a red ball", extra_body={"input_reference": {"image_url": receiver.url + path}})
            check(video.status == "queued", f"remote picture {path}: {video}")
        check(receiver.fetched.count("/pic.png") == 2 and "/moved" in receiver.fetched, f"fetched: {receiver.fetched}")
        for path, code in [("/page", "invalid_image"), ("/missing.png", "unreachable_url"), ("/big.png", "invalid_value")]:
            expect_error(openai.BadRequestError, 400, lambda: client.videos.create(
                prompt="a red ball", extra_body={"input_reference": {"image_url": receiver.url + path}}),
                code=code, param="input_reference[image_url]")
    before = len(receiver.fetched)
    with KinoServer(renderer="engine", workers=0) as server:
        client = OpenAI(base_url=server.base_url + "/v1", api_key=server.create_key("remote"), max_retries=0)
        expect_error(openai.BadRequestError, 400, lambda: client.videos.create(
            prompt="a red ball", extra_body={"input_reference": {"image_url": receiver.url + "/pic.png"}}),
            code="unsupported", param="input_reference[image_url]")
        check(not any(path == "/pic.png" for path in receiver.fetched[before:]), "nothing fetched while off")
    with KinoServer(renderer="engine", workers=0, extra_args=["--allow-remote-references"]) as server:
        client = OpenAI(base_url=server.base_url + "/v1", api_key=server.create_key("remote"), max_retries=0)
        expect_error(openai.BadRequestError, 400, lambda: client.videos.create(
            prompt="a red ball", extra_body={"input_reference": {"image_url": receiver.url + "/pic.png"}}),
            param="input_reference[image_url]")
        expect_error(openai.BadRequestError, 400, lambda: client.videos.create(
            prompt="a red ball", extra_body={"input_reference": {"image_url": "https://169.254.169.254/latest/meta-data"}}),
            code="private_address", param="input_reference[image_url]")
        check(len(receiver.fetched) == before, "no request reaches a private address")


def main():
    receiver = Receiver()
    try:
        endpoints_and_deliveries(receiver)
        remote_references(receiver)
    finally:
        receiver.close()
    private_targets_refused()
    flaky = Receiver(fail_first=1)
    try:
        delivery_survives_kill(flaky)
    finally:
        flaky.close()
    print(f"test_webhooks: {kino_harness.checks} checks passed")


if __name__ == "__main__":
    main()
