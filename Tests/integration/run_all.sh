#!/usr/bin/env bash
# Runs the serve integration tests against .build/debug/kino (or $KINO_BIN) and the test-only
# .build/debug/kino-test-server (or $KINO_TEST_SERVER). Build first: swift build
set -euo pipefail
cd "$(dirname "$0")/../.."
# The SDK flow runs the real engine (bundled kino-tiny): every clip it downloads was generated, not faked.
# The kill -9 and studio tests use kino-test-server (ffmpeg test patterns) for timing they can control.
KINO_RENDERER=engine python3 Tests/integration/test_openai_sdk.py
python3 Tests/integration/test_kill9_restart.py
python3 Tests/integration/test_webhooks.py
python3 Tests/integration/test_cancel_shutdown.py
python3 Tests/integration/test_studio_chromium.py
python3 Tests/integration/test_studio_defects.py
python3 Tests/integration/test_openapi.py
python3 Tests/integration/test_schemathesis.py
python3 Tests/integration/test_provenance.py
python3 Tests/integration/test_watermark.py
python3 Tests/integration/test_trust.py
