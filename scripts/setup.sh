#!/usr/bin/env bash
# Installs what Kino needs on Debian 12 (root, or sudo). Installs only what is missing; safe to re-run.
#   scripts/setup.sh          packages to build and run Kino
#   scripts/setup.sh --test   plus what the test suite uses (Python test clients, browser for the studio test)
set -euo pipefail

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
    echo "setup: run as root or install sudo" >&2; exit 1; fi
fi

packages=(libopenblas-dev libdnnl-dev ffmpeg libsqlite3-dev sqlite3 pkg-config)
python_packages=()
if [ "${1:-}" = "--test" ]; then
  packages+=(chromium chromium-driver python3-pip)
  python_packages+=(openai selenium openapi-spec-validator pyyaml c2pa-python schemathesis)
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if ! command -v swift >/dev/null 2>&1; then
  if [ -x /opt/swift/usr/bin/swift ]; then
    echo "setup: Swift is at /opt/swift/usr/bin; add it to PATH" >&2
  else
    echo "setup: Swift 6 is required (https://www.swift.org/install/linux/); none found on PATH" >&2
  fi
  exit 1
fi

if [ ${#python_packages[@]} -gt 0 ]; then
  py_missing=()
  for p in "${python_packages[@]}"; do
    mod=${p//-/_}; [ "$p" = "pyyaml" ] && mod=yaml; [ "$p" = "c2pa-python" ] && mod=c2pa
    python3 -c "import $mod" 2>/dev/null || py_missing+=("$p")
  done
  if [ ${#py_missing[@]} -gt 0 ]; then
    echo "setup: pip installing ${py_missing[*]}"
    python3 -m pip install -q "${py_missing[@]}" || echo "setup: warning: pip could not install ${py_missing[*]}; the integration tests that need them will fail" >&2
  fi
fi
echo "setup: ok"
