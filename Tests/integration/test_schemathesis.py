"""The published OpenAPI document describes what a real `kino serve` does: schemathesis generates requests from
/v1/openapi.yaml (valid ones and deliberately invalid ones, every method, with and without the key) against the
test server and checks each answer against the document: no 5xx, only documented status codes, bodies and
headers, invalid input refused, valid input accepted, 405 with Allow for other methods.

Bounded for CI (about a minute): KINO_SCHEMATHESIS_EXAMPLES (default 10) examples per operation, a fixed seed
(KINO_SCHEMATHESIS_SEED) so a failure can be replayed. Settings and the few documented exceptions are in
Tests/integration/schemathesis.toml; the last full run is summarised in bench/schemathesis.md.

Run: python3 Tests/integration/test_schemathesis.py   (needs schemathesis from PyPI: scripts/setup.sh --test)
"""
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(__file__))
from kino_harness import KinoServer  # noqa: E402

CONFIG = os.path.join(os.path.dirname(__file__), "schemathesis.toml")


def main():
    examples = os.environ.get("KINO_SCHEMATHESIS_EXAMPLES", "10")
    seed = os.environ.get("KINO_SCHEMATHESIS_SEED", "2025")
    with KinoServer(step_ms=20) as server:
        assert server.admin_key, "the test server printed no admin key"
        command = [
            sys.executable, "-m", "schemathesis.cli", "--no-color", "--config-file", CONFIG, "run",
            server.base_url + "/v1/openapi.yaml",
            "--header", f"Authorization: Bearer {server.admin_key}",
            "--checks", "all", "--max-examples", examples, "--seed", seed,
            "--workers", "2", "--request-timeout", "10", "--max-time", "100",
        ]
        result = subprocess.run(command, capture_output=True, text=True, timeout=240)
        output = result.stdout + result.stderr
        if result.returncode != 0:
            print(output)
            print("--- server log (tail) ---")
            print(open(server.log_path).read()[-4000:])
            raise SystemExit(f"test_schemathesis: schemathesis found problems (exit {result.returncode})")
    summary = output[output.find("Test cases:"):].strip().splitlines()[:2] if "Test cases:" in output else []
    print("test_schemathesis: ok", " ".join(line.strip() for line in summary))


if __name__ == "__main__":
    main()
