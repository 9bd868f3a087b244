#!/usr/bin/env bash
# Runs the serve integration tests against .build/debug/kino (or $KINO_BIN). Build first: swift build
set -euo pipefail
cd "$(dirname "$0")/../.."
python3 Tests/integration/test_openai_sdk.py
python3 Tests/integration/test_kill9_restart.py
python3 Tests/integration/test_studio_chromium.py
python3 Tests/integration/test_openapi.py
python3 Tests/integration/test_provenance.py
python3 Tests/integration/test_trust.py
