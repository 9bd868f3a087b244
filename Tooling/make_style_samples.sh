#!/usr/bin/env bash
# Renders the studio's style sample pictures with the bundled model: one clip per style preset, its middle frame
# as a 160x100 WebP in Sources/KinoServer/Resources/styles/. Re-run after kino-tiny or the presets change.
#   bash Tooling/make_style_samples.sh [path/to/kino]
set -euo pipefail
cd "$(dirname "$0")/.."
KINO=${1:-.build/debug/kino}
out=Sources/KinoServer/Resources/styles
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
mkdir -p "$out"
for style in plain pixel-art line-sketch noir neon; do
  "$KINO" generate "a red ball bounces across green grass" --style "$style" --seed 5 --no-watermark \
    --thumbnail "$scratch/$style.webp" -o "$scratch/$style.mp4" --data "$scratch/data" >/dev/null 2>&1
  ffmpeg -loglevel error -y -i "$scratch/$style.webp" -vf scale=160:100 -quality 80 "$out/$style.webp"
  echo "$out/$style.webp: $(stat -c %s "$out/$style.webp") bytes"
done
