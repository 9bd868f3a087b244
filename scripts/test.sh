#!/usr/bin/env bash
# The whole test suite: installs what is missing, builds once (debug), runs the Swift tests, then the
# integration tests under Tests/integration/ (any failure fails the suite).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --test
swift build --build-tests
swift test --skip-build
# Integration tests: the official openai SDK against a real `kino serve`, kill -9 restart, the studio in
# headless Chromium, the published OpenAPI document (see docs/serve.md).
KINO_BIN=.build/debug/kino bash Tests/integration/run_all.sh
