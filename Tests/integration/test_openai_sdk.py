"""The official `openai` Python SDK drives a real `kino serve`, exactly as a user would.

Run: python3 Tests/integration/test_openai_sdk.py   (after `swift build`)
"""
import json
import os
import subprocess
import sys
import tempfile
import time
import warnings

import openai
from openai import OpenAI

sys.path.insert(0, os.path.dirname(__file__))
import kino_harness  # noqa: E402
from kino_harness import KinoServer, Receiver, check, expect_api_error as expect_error  # noqa: E402

warnings.filterwarnings("ignore", category=DeprecationWarning)
def ffprobe(path):
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-print_format", "json", "-show_streams", "-show_format", path],
        check=True, capture_output=True, text=True)
    return json.loads(out.stdout)


def main():
    receiver = Receiver()
    try:
        run(receiver)
    finally:
        receiver.close()


def run(receiver):
    # The receiver and the picture server run on this machine: the server is told to reach private addresses.
    flags = ["--allow-private-webhooks", "--allow-remote-references", "--allow-private-references"]
    with KinoServer(extra_args=flags) as server:
        key_a = server.create_key("alice")
        key_b = server.create_key("bob")
        a = OpenAI(base_url=server.base_url + "/v1", api_key=key_a, max_retries=0)
        b = OpenAI(base_url=server.base_url + "/v1", api_key=key_b, max_retries=0)
        hook = a.webhooks.create(name="sdk test", url=receiver.url + "/hook", event_types=["video.completed", "video.failed"])

        # create_and_poll, retrieve
        video = a.videos.create_and_poll(prompt="a red ball bounces across green grass", size="1280x720", seconds="4")
        check(video.status == "completed", f"create_and_poll ended {video.status}: {video.error}")
        check(video.progress == 100 and video.size == "1280x720" and video.seconds == "4", str(video))
        check(video.completed_at and video.expires_at and video.expires_at > video.completed_at, "timestamps")
        again = a.videos.retrieve(video.id)
        check(again.id == video.id and again.status == "completed", "retrieve")
        raw = a.videos.with_raw_response.retrieve(video.id)
        for header in ["x-request-id", "openai-processing-ms", "openai-poll-after-ms"]:
            check(header in raw.headers, f"missing header {header}")

        # While it renders, the video says what it is doing (Kino's phase) and since when.
        watched = b.videos.create(prompt="a red ball bounces across green grass", seconds="4")
        phases = set()
        while (now := b.videos.retrieve(watched.id)).status in ("queued", "in_progress"):
            if now.status == "in_progress" and now.model_extra.get("phase"):
                phases.add(now.model_extra["phase"].split(":")[0])
                check(now.model_extra.get("started_at", 0) >= now.created_at, "started_at while rendering")
            time.sleep(0.05)
        check(now.status == "completed" and "denoising" in phases and len(phases) >= 2, f"phases seen: {sorted(phases)}")

        # Kino extras are accepted and echoed.
        extra = a.videos.create(prompt="waves", extra_body={"seed": 42, "negative_prompt": "blur", "steps": 3, "guidance": 4.5, "style": "noir", "turbo": True})
        check(extra.model_extra.get("seed") == 42 and extra.model_extra.get("style") == "noir" and extra.model_extra.get("turbo") is True, f"extras: {extra}")
        check(extra.status == "queued" and extra.model_extra.get("queue_position", 0) >= 1, "queue_position while queued")

        # list across pages
        ids = {video.id, extra.id}
        for i in range(3):
            ids.add(a.videos.create(prompt=f"clip {i}").id)
        first = a.videos.list(limit=2)
        check(len(first.data) == 2 and first.has_more, "first page")
        seen = [v.id for v in a.videos.list(limit=2)]
        check(len(seen) == len(set(seen)) == 5 and set(seen) == ids, f"auto-pagination saw {seen}")
        asc = [v.id for v in a.videos.list(limit=2, order="asc")]
        check(asc == list(reversed(seen)), "asc is the reverse of desc")
        check(all(v.id not in ids for v in b.videos.list()), "another project's list is empty of A's videos")

        # download_content: all three variants
        tmp = tempfile.mkdtemp()
        mp4 = os.path.join(tmp, "v.mp4")
        a.videos.download_content(video.id).write_to_file(mp4)
        probe = ffprobe(mp4)
        stream = probe["streams"][0]
        check(stream["codec_name"] == "h264" and stream["width"] == 1280 and stream["height"] == 720, f"ffprobe: {stream}")
        check(abs(float(probe["format"]["duration"]) - 4.0) < 0.5, "duration")
        thumb = a.videos.download_content(video.id, variant="thumbnail").content
        check(thumb[:4] == b"RIFF" and thumb[8:12] == b"WEBP", "thumbnail is WebP")
        sprite = a.videos.download_content(video.id, variant="spritesheet").content
        check(sprite[:3] == b"\xff\xd8\xff", "spritesheet is JPEG")

        # remix (with Kino's optional strength)
        remix = a.videos.remix(video.id, prompt="the same ball, now blue", extra_body={"strength": 0.4})
        check(remix.remixed_from_video_id == video.id and remix.model_extra.get("remix_strength") == 0.4, str(remix))
        remix = a.videos.poll(remix.id)
        check(remix.status == "completed", f"remix ended {remix.status}")

        # idempotency through the SDK
        first_try = a.videos.create(prompt="idem", extra_headers={"Idempotency-Key": "abc-1"})
        second_try = a.videos.create(prompt="idem", extra_headers={"Idempotency-Key": "abc-1"})
        check(first_try.id == second_try.id, "idempotent replay returns the first video")
        expect_error(openai.UnprocessableEntityError, 422, lambda: a.videos.create(prompt="other", extra_headers={"Idempotency-Key": "abc-1"}),
                     code="idempotency_key_reused")

        # cancel (Kino) and delete
        slow = a.videos.create(prompt="slow", extra_body={"steps": 200})
        cancelled = a.post(f"/videos/{slow.id}/cancel", cast_to=openai.types.Video)
        cancelled = a.videos.poll(slow.id)
        check(cancelled.status == "failed" and cancelled.error.code == "cancelled", f"cancel: {cancelled}")
        deleted = a.videos.delete(remix.id)
        check(deleted.deleted and deleted.id == remix.id and deleted.object == "video.deleted", "delete")
        expect_error(openai.NotFoundError, 404, lambda: a.videos.retrieve(remix.id), type_="not_found_error")

        # error cases, each through the SDK's exception classes
        expect_error(openai.BadRequestError, 400, lambda: a.videos.create(prompt="x", size="1x1"), param="size", type_="invalid_request_error")
        expect_error(openai.BadRequestError, 400, lambda: a.videos.create(prompt="x", seconds="5"), param="seconds")
        expect_error(openai.BadRequestError, 400, lambda: a.videos.create(prompt=""), param="prompt")
        expect_error(openai.NotFoundError, 404, lambda: a.videos.retrieve("video_doesnotexist"))
        expect_error(openai.AuthenticationError, 401, lambda: a.videos.list(extra_headers={"Authorization": openai.Omit()}),
                     code="missing_api_key", type_="authentication_error")
        key_c = server.create_key("carol")
        c = OpenAI(base_url=server.base_url + "/v1", api_key=key_c, max_retries=0)
        c.videos.list()
        key_c_id = key_c.split("_")[1]
        server.keys("revoke", key_c_id)
        expect_error(openai.AuthenticationError, 401, lambda: c.videos.list(), code="revoked_api_key")
        check("\trevoked" in server.keys("list"), "keys list shows revoked")
        expect_error(openai.NotFoundError, 404, lambda: b.videos.retrieve(video.id))
        expect_error(openai.NotFoundError, 404, lambda: b.videos.download_content(video.id))
        # input_reference: a picture the clip starts from (kino-tiny is trained with given frames). A file that is
        # not a picture is refused when the request arrives; a data: URL and (with --allow-remote-references) an http(s) URL work.
        expect_error(openai.BadRequestError, 400,
                     lambda: a.videos.create(prompt="x", input_reference=("ref.png", b"\x89PNG\r\n\x1a\n", "image/png")),
                     code="invalid_image", param="input_reference")
        expect_error(openai.BadRequestError, 400,
                     lambda: a.videos.create(prompt="a red ball", extra_body={"input_reference": {"image_url": receiver.url + "/none.png"}}),
                     code="unreachable_url", param="input_reference[image_url]")
        expect_error(openai.BadRequestError, 400,
                     lambda: a.videos.create(prompt="a red ball", extra_body={"input_reference": {"file_id": "file_abc"}}),
                     param="input_reference[file_id]")
        first_png = os.path.join(tmp, "first.png")
        subprocess.run(["ffmpeg", "-loglevel", "error", "-y", "-i", mp4, "-frames:v", "1", "-vf", "scale=256:160", first_png], check=True)
        with open(first_png, "rb") as f:
            picture = f.read()
        from_file = a.videos.create_and_poll(prompt="a red ball moves right across green grass", size="1280x720", seconds="4",
                                             input_reference=("first.png", picture, "image/png"))
        check(from_file.status == "completed", f"input_reference file: {from_file.status} {from_file.error}")
        data_url = "data:image/png;base64," + __import__("base64").b64encode(picture).decode()
        from_url = a.videos.create_and_poll(prompt="a red ball moves right across green grass", size="1280x720", seconds="4",
                                            extra_body={"input_reference": {"image_url": data_url}})
        check(from_url.status == "completed", f"input_reference data URL: {from_url.status} {from_url.error}")
        receiver.files["/first.png"] = (200, {"content-type": "image/png"}, picture)
        from_remote = a.videos.create_and_poll(prompt="a red ball moves right across green grass", size="1280x720", seconds="4",
                                               extra_body={"input_reference": {"image_url": receiver.url + "/first.png"}})
        check(from_remote.status == "completed", f"input_reference remote image_url: {from_remote.status} {from_remote.error}")
        started = os.path.join(tmp, "from_image.mp4")
        a.videos.download_content(from_url.id).write_to_file(started)
        check(os.path.getsize(started) > 1000, "the image-to-video clip downloads")
        # its content credentials name the picture as an ingredient (kino verify and c2pa-python agree)
        verified = subprocess.run([kino_harness.KINO, "verify", started, "--data", server.data], capture_output=True, text=True)
        check("c2pa: made from " in verified.stdout + verified.stderr and "image/png" in verified.stdout + verified.stderr,
              f"kino verify names the ingredient: {verified.stdout} {verified.stderr}")
        import c2pa
        with open(started, "rb") as f:
            manifest_store = json.loads(c2pa.Reader("video/mp4", f).json())
        ingredients = manifest_store["manifests"][manifest_store["active_manifest"]].get("ingredients", [])
        check(len(ingredients) == 1 and ingredients[0]["relationship"] == "inputTo" and ingredients[0]["format"] == "image/png",
              f"c2pa-python reads the ingredient: {ingredients}")
        # extend and edit: a video of the project by id (SDK 3.60 refuses a reference object in `video`, so it goes
        # through extra_body and arrives as multipart video[id]) or an uploaded MP4. An extension's seconds are the
        # joined total; an edit keeps the source's size and length.
        with open(mp4, "rb") as f:
            clip_bytes = f.read()
        by_id = a.videos.extend(prompt="a red ball moves right across green grass", seconds="4", video=openai.omit,
                                extra_body={"video": {"id": video.id}, "seed": 5})
        check(by_id.seconds == "8" and by_id.size == "1280x720" and by_id.status == "queued", f"extension: {by_id}")
        uploaded = a.videos.extend(prompt="a red ball moves right across green grass", seconds="4",
                                   video=("clip.mp4", clip_bytes, "video/mp4"))
        edited = a.videos.edit(prompt="a blue ball moves right across snow", video=("clip.mp4", clip_bytes, "video/mp4"))
        edited_id = a.videos.edit(prompt="a blue ball moves right across snow", video=openai.omit,
                                  extra_body={"video": {"id": video.id}, "strength": 0.5})
        for job, seconds in [(by_id, 8.0), (uploaded, 8.0), (edited, 4.0), (edited_id, 4.0)]:
            done = a.videos.poll(job.id)
            check(done.status == "completed", f"{job.id} ended {done.status}: {done.error}")
            out = os.path.join(tmp, job.id + ".mp4")
            a.videos.download_content(job.id).write_to_file(out)
            probe = ffprobe(out)
            check(abs(float(probe["format"]["duration"]) - seconds) < 0.3 and probe["streams"][0]["width"] == 1280,
                  f"{job.id}: {probe['format']['duration']} s, {probe['streams'][0]['width']} wide")
        # remix once the source's latents are gone: re-encoded from its MP4, still naming the source
        os.remove(os.path.join(server.data, "videos", video.id, "latents.safetensors"))
        late = a.videos.remix(video.id, prompt="the same ball, now blue")
        check(late.remixed_from_video_id == video.id, f"remix without latents: {late}")
        late = a.videos.poll(late.id)
        check(late.status == "completed", f"remix without latents ended {late.status}: {late.error}")
        late_mp4 = os.path.join(tmp, "late.mp4")
        a.videos.download_content(late.id).write_to_file(late_mp4)
        check(abs(float(ffprobe(late_mp4)["format"]["duration"]) - 4.0) < 0.3, "remix without latents keeps the length")
        expect_error(openai.NotFoundError, 404, lambda: b.videos.extend(prompt="x", seconds="4", video=openai.omit,
                                                                      extra_body={"video": {"id": video.id}}))
        expect_error(openai.BadRequestError, 400, lambda: a.videos.edit(prompt="x", video=("c.mp4", b"not a video", "video/mp4")),
                     code="invalid_video", param="video")
        expect_error(openai.BadRequestError, 400, lambda: a.videos.extend(prompt="x", seconds="5", video=openai.omit,
                                                                        extra_body={"video": {"id": video.id}}), param="seconds")
        expect_error(openai.BadRequestError, 400, lambda: a.videos.edit(prompt="x", video=openai.omit,
                                                                      extra_body={"video": {"id": video.id}, "size": "1280x720"}),
                     code="unknown_parameter", param="size")
        expect_error(openai.BadRequestError, 400, lambda: a.videos.create(prompt="x", model="no-such-model"), param="model")
        reader = OpenAI(base_url=server.base_url + "/v1", api_key=server.create_key("reader", scopes="read"), max_retries=0)
        expect_error(openai.PermissionDeniedError, 403, lambda: reader.videos.create(prompt="x"), code="insufficient_scope")

        # characters: a short video, a name; a prompt that names it starts from a still of it
        rosa = a.videos.create_character(name="Rosa", video=("rosa.mp4", clip_bytes, "video/mp4"))
        check(rosa.id.startswith("char_") and rosa.name == "Rosa" and rosa.created_at > 0, f"create_character: {rosa}")
        got = a.videos.get_character(rosa.id)
        check(got.id == rosa.id and got.name == "Rosa", f"get_character: {got}")
        expect_error(openai.NotFoundError, 404, lambda: b.videos.get_character(rosa.id))
        expect_error(openai.BadRequestError, 400, lambda: a.videos.create_character(name="X", video=("x.mp4", b"nope", "video/mp4")),
                     code="invalid_video", param="video")
        starring = a.videos.create_and_poll(prompt="rosa moves right across green grass", seconds="4")
        check(starring.status == "completed" and starring.model_extra.get("character_id") == rosa.id, f"a prompt naming Rosa: {starring}")

        # AsyncOpenAI: create_and_poll, and a streamed download (with_streaming_response) of the finished MP4
        import asyncio

        async def async_flow():
            async with openai.AsyncOpenAI(base_url=server.base_url + "/v1", api_key=key_a, max_retries=0) as client:
                done = await client.videos.create_and_poll(prompt="a red ball bounces across green grass", seconds="4")
                check(done.status == "completed", f"AsyncOpenAI create_and_poll ended {done.status}: {done.error}")
                streamed = os.path.join(tmp, "streamed.mp4")
                async with client.videos.with_streaming_response.download_content(done.id) as response:
                    check(response.headers.get("content-type") == "video/mp4", f"streamed type {response.headers.get('content-type')}")
                    with open(streamed, "wb") as out:
                        async for chunk in response.iter_bytes():
                            out.write(chunk)
                check(ffprobe(streamed)["streams"][0]["codec_name"] == "h264", "the streamed download is the MP4")
                with a.videos.with_streaming_response.download_content(done.id, variant="thumbnail") as response:
                    check(response.read()[8:12] == b"WEBP", "sync streamed thumbnail")

        asyncio.run(async_flow())

        # sora-2 alias works for unmodified clients, and so do OpenAI's dated ids
        aliased = a.videos.create(prompt="alias", model="sora-2")
        check(aliased.model == "sora-2", "alias echoed")
        for dated in ["sora-2-2025-10-06", "sora-2-2025-12-08", "sora-2-pro-2025-10-06"]:
            check(a.videos.create(prompt="dated", model=dated).model == dated, f"dated model id {dated}")
        listed = {m.id: m for m in a.models.list().data}
        check("sora-2-pro-2025-10-06" in listed and listed["sora-2"].owned_by == "kino" and listed["sora-2"].created > 0,
              f"models list: {list(listed)}")

        # webhooks: the project's finished videos were delivered, signed; unwrap verifies and parses each
        completed = {v.id for v in a.videos.list(limit=100) if v.status == "completed"}
        # (a cancelled video is failed with code cancelled: its event is video.cancelled, not subscribed to here)
        failed = {v.id for v in a.videos.list(limit=100) if v.status == "failed" and v.error.code != "cancelled"}
        deadline = time.time() + 30
        while time.time() < deadline:
            events = [a.webhooks.unwrap(body, headers, secret=hook.signing_secret) for headers, body in list(receiver.requests)]
            if {e.data.id for e in events} >= completed | failed:
                break
            time.sleep(0.2)
        delivered = {e.data.id: e.type for e in events}
        check(all(delivered.get(i) == "video.completed" for i in completed), f"video.completed for every completed video: {delivered}")
        check(all(delivered.get(i) == "video.failed" for i in failed), f"video.failed for every failed video: {delivered}")
        check(all(b_id not in delivered for b_id in [v.id for v in b.videos.list()]), "no events for another project's videos")
    print(f"test_openai_sdk: {kino_harness.checks} checks passed")


if __name__ == "__main__":
    main()
