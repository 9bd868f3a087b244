"""Starts a real `kino serve` for the integration tests and benchmarks.

The server is the test-only `kino-test-server` (`kino serve` with ffmpeg test patterns, model name
`test-pattern`, built from Tests/KinoTestServer and never shipped) unless KINO_RENDERER=engine, where it is the
real `kino serve` running the bundled kino-tiny, so the API, queue and studio can be tested with timing the tests
control. Environment: KINO_BIN (default .build/debug/kino) and KINO_TEST_SERVER (default
.build/debug/kino-test-server), relative to the repository root.
"""
import http.server
import os
import re
import signal
import socket
import subprocess
import tempfile
import threading
import time
import urllib.request

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
KINO = os.environ.get("KINO_BIN", os.path.join(ROOT, ".build", "debug", "kino"))
TEST_SERVER = os.environ.get("KINO_TEST_SERVER", os.path.join(os.path.dirname(KINO), "kino-test-server"))


checks = 0
# KINO_KEEP_GOING=1 records failed checks instead of stopping at the first (`failures`): for showing which checks
# an older build fails (bench/studio-before-after.md), never in CI.
KEEP_GOING = os.environ.get("KINO_KEEP_GOING") == "1"
failures = []


def check(condition, message, *, echo=False):
    """One counted assertion for the test scripts (`kino_harness.checks` is the running total);
    `echo` prints "ok: message" for scripts that narrate what they verified."""
    global checks
    checks += 1
    if not condition:
        if KEEP_GOING:
            failures.append(message)
            print("FAILED:", message, flush=True)
            return
        raise AssertionError(message)
    if echo:
        print("ok:", message)


def expect_api_error(exc_class, status, fn, *, code=None, param=None, type_=None):
    """Runs `fn`, which must raise the openai SDK's `exc_class` with HTTP `status` and an OpenAI-shaped error
    body (message, type, optional code/param) plus an x-request-id; returns the exception."""
    try:
        fn()
    except exc_class as e:
        check(e.status_code == status, f"expected HTTP {status}, got {e.status_code}")
        check(isinstance(e.body, dict) and "message" in e.body and "type" in e.body, f"error shape: {e.body}")
        if code is not None:
            check(e.code == code, f"expected code {code}, got {e.code} ({e.body})")
        if param is not None:
            check(e.param == param, f"expected param {param}, got {e.param}")
        if type_ is not None:
            check(e.type == type_, f"expected type {type_}, got {e.type}")
        check(e.request_id and e.request_id.startswith("req_"), "x-request-id on errors")
        return e
    raise AssertionError(f"expected {exc_class.__name__}")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class KinoServer:
    def __init__(self, data=None, extra_args=(), step_ms=50, workers=1, lease_seconds=None, threads=None, renderer=None):
        self.data = data or tempfile.mkdtemp(prefix="kino-it-")
        self.port = free_port()
        self.extra_args = list(extra_args)
        self.step_ms = step_ms
        self.workers = workers
        self.lease_seconds = lease_seconds
        self.threads = threads
        self.renderer = renderer or os.environ.get("KINO_RENDERER", "test-pattern")
        self.process = None
        self.admin_key = None
        self.log_path = os.path.join(self.data, f"serve-{self.port}.log")

    @property
    def base_url(self):
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout=30):
        if self.renderer == "test-pattern":
            args = [TEST_SERVER, "--step-ms", str(self.step_ms)]
        else:
            args = [KINO, "serve"]
        args += ["--data", self.data, "--port", str(self.port), "--workers", str(self.workers)]
        if self.lease_seconds is not None:
            args += ["--lease-seconds", str(self.lease_seconds)]
        if self.threads is not None:
            args += ["--threads", str(self.threads)]
        args += self.extra_args
        os.makedirs(self.data, exist_ok=True)
        self.log = open(self.log_path, "a")
        self.process = subprocess.Popen(args, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"kino serve exited with {self.process.returncode}:\n{open(self.log_path).read()}")
            try:
                urllib.request.urlopen(self.base_url + "/healthz", timeout=1).read()
                break
            except OSError:
                time.sleep(0.1)
        else:
            raise RuntimeError("kino serve did not become healthy:\n" + open(self.log_path).read())
        match = re.search(r"^(kino_\S+)$", open(self.log_path).read(), re.M)
        if match and self.admin_key is None:
            self.admin_key = match.group(1)
        return self

    def kill9(self):
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def keys(self, *args):
        out = subprocess.run([KINO, "keys", *args, "--data", self.data], check=True, capture_output=True, text=True)
        return out.stdout

    def create_key(self, name, scopes=None, project=None):
        args = ["create", "--name", name]
        if scopes:
            args += ["--scopes", scopes]
        if project:
            args += ["--project", project]
        return self.keys(*args).strip().splitlines()[-1]

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


class Receiver:
    """A small webhook receiver: records every request; answers `fail_first` requests with 503, then 200."""

    def __init__(self, fail_first=0):
        self.requests = []
        self.fail_first = fail_first
        self.files = {}
        self.fetched = []
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("content-length", 0)))
                receiver.requests.append((dict(self.headers), body))
                status = 503 if len(receiver.requests) <= receiver.fail_first else 200
                self.send_response(status)
                self.send_header("content-length", "0")
                self.end_headers()

            def do_GET(self):
                receiver.fetched.append(self.path)
                entry = receiver.files.get(self.path)
                if entry is None:
                    self.send_response(404)
                    self.send_header("content-length", "0")
                    self.end_headers()
                    return
                status, headers, body = entry
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.port = free_port()
        class Quiet(http.server.ThreadingHTTPServer):
            def handle_error(self, request, client_address):
                pass  # the server hangs up on the oversized picture on purpose

        self.server = Quiet(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"

    def wait_for(self, count, timeout=30):
        deadline = time.time() + timeout
        while time.time() < deadline and len(self.requests) < count:
            time.sleep(0.1)
        check(len(self.requests) >= count, f"wanted {count} deliveries, got {len(self.requests)}")
        return self.requests

    def close(self):
        self.server.shutdown()


def tiny_png(width, height):
    import struct
    import zlib

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    rows = b"".join(b"\0" + bytes([200, 40, 40]) * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))
