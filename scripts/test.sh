#!/usr/bin/env bash
# The whole test suite: installs what is missing, builds once (debug), runs the Swift tests, then the
# integration tests under Tests/integration/ (each script there is run; any failure fails the suite).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --test
swift build --build-tests
swift test --skip-build
if [ -d Tests/integration ]; then
  for t in Tests/integration/test_*.sh; do
    [ -e "$t" ] || continue
    echo "== $t"
    bash "$t"
  done
fi
