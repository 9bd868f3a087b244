#!/usr/bin/env bash
# One GPU run of the turbo LoRA's guidance distillation (distill_turbo.py --stream), start to finish, on a fresh
# machine that has only python3 + a CUDA torch (+ numpy): installs the carried wheels (.gpu-wheels/: diffusers and
# what it imports, tokenizers, safetensors; no transformers, see text_encode.py) into a private folder, trains for
# --minutes on freshly rendered clips, and leaves in $OUT:
#   turbo_lora.safetensors  rank-64 LoRA, fp16, diffusers/PEFT keys (also rewritten every 2 minutes)
#   student.pt              the trained weights' change (fp16): distill_turbo.py --fresh --init FILE --export ...
#   loss.csv                step, unix time, loss, the teacher's unguided-branch loss
#   summary.json            distill_turbo.py's numbers;  run.json: this script's (pip, python, wall time, rc)
#   distill.log             the whole output
#
#   OUT=/tmp/out bash training/gpu_distill.sh [--minutes 6] [--total-minutes 8.3] [--batch 256] [--workers N]
#                                              [-- extra distill_turbo.py options]
# --total-minutes is a hard end for the whole script (the training loop stops early to leave time to export).
set -uo pipefail
START=$(date +%s)
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
: "${OUT:?set OUT to the folder that comes back}"
mkdir -p "$OUT"
MINUTES=6 TOTAL=8.3 BATCH=256 LR=2e-4 LR_END=2e-5
WORKERS=$(( $(nproc) - 2 )); [ "$WORKERS" -lt 1 ] && WORKERS=1
WHEELS="$ROOT/.gpu-wheels"
PY=${PYTHON:-python3}
EXTRA=()
while [ $# -gt 0 ]; do
  case "$1" in
    --minutes) MINUTES=$2; shift 2 ;;
    --total-minutes) TOTAL=$2; shift 2 ;;
    --batch) BATCH=$2; shift 2 ;;
    --workers) WORKERS=$2; shift 2 ;;
    --lr) LR=$2; shift 2 ;;
    --lr-end) LR_END=$2; shift 2 ;;
    --wheels) WHEELS=$2; shift 2 ;;
    --) shift; EXTRA=("$@"); break ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
LOG="$OUT/distill.log"
say() { echo "[gpu_distill $(( $(date +%s) - START ))s] $*" | tee -a "$LOG"; }

# 1. the carried wheels, into a folder of their own that PYTHONPATH puts first (pip --no-index --find-links;
#    without pip, training/unpack_wheels.py). PyYAML is the one binary per Python version (cp310-cp314 carried).
#    Pillow is not carried: diffusers only imports it, so training/gpu_stubs/PIL stands in where it is missing.
SITE=${KINO_PY_SITE:-/tmp/kino-py}
T0=$(date +%s)
if "$PY" -c "import diffusers, tokenizers, safetensors, yaml; from diffusers import WanTransformer3DModel" 2>/dev/null \
   && [ -z "${KINO_FORCE_WHEELS:-}" ]; then
  say "diffusers, tokenizers and safetensors already importable: nothing installed"
  INSTALL=preinstalled
else
  rm -rf "$SITE"; mkdir -p "$SITE"
  NAMES=$(ls "$WHEELS" | grep '\.whl$' | cut -d- -f1 | sort -u | tr '\n' ' ')
  if [ -z "${KINO_NO_PIP:-}" ] && "$PY" -m pip --version >/dev/null 2>&1 && "$PY" -m pip install --no-index \
       --find-links "$WHEELS" --no-deps --disable-pip-version-check --no-warn-script-location -q --target "$SITE" \
       $NAMES >>"$LOG" 2>&1; then
    INSTALL=pip
  else
    say "pip missing or failed (see the log): unpacking the wheels instead"
    rm -rf "$SITE"
    "$PY" "$ROOT/training/unpack_wheels.py" "$SITE" "$WHEELS" | tee -a "$LOG"
    INSTALL=unzip
  fi
  export PYTHONPATH="$SITE${PYTHONPATH:+:$PYTHONPATH}"
fi
if ! "$PY" -c "import PIL.Image" 2>/dev/null; then
  export PYTHONPATH="${PYTHONPATH:+$PYTHONPATH:}$ROOT/training/gpu_stubs"
  INSTALL="$INSTALL+PIL-stub"
fi
if ! "$PY" -c "from diffusers import WanTransformer3DModel, AutoencoderKLWan; import tokenizers, safetensors" >>"$LOG" 2>&1; then
  say "diffusers still does not import (see the log): stopping"; exit 3
fi
PIP_S=$(( $(date +%s) - T0 ))
say "packages: $INSTALL in ${PIP_S}s; $("$PY" -c 'import sys, torch, diffusers; print("python", sys.version.split()[0], "torch", torch.__version__, "cuda", torch.cuda.is_available(), torch.cuda.get_device_name(0) if torch.cuda.is_available() else "", "diffusers", diffusers.__version__)' 2>&1 | tail -1)"

# 2. the distillation, with a hard end that leaves ~40 s to export and write the outputs
export KINO_TRAIN_DIR=${KINO_TRAIN_DIR:-/tmp/kino-train} OMP_NUM_THREADS=1 KINO_TRAIN_THREADS=${KINO_TRAIN_THREADS:-2}
export PYTHONUNBUFFERED=1 HF_HUB_OFFLINE=1 DIFFUSERS_OFFLINE=1
END=$("$PY" -c "print(int($START + $TOTAL * 60))")
UNTIL=$(( END - 40 ))
DEVICE=$("$PY" -c "import torch; print('cuda' if torch.cuda.is_available() else 'cpu')")
BF16=(); [ "$DEVICE" = cuda ] && BF16=(--bf16)
say "training: device $DEVICE, batch $BATCH, lr $LR -> $LR_END, $MINUTES min, $WORKERS render workers, hard end in $(( UNTIL - $(date +%s) ))s"
timeout -k 20 $(( END - $(date +%s) - 5 )) "$PY" "$ROOT/training/distill_turbo.py" --device "$DEVICE" "${BF16[@]}" \
  --batch "$BATCH" --lr "$LR" --lr-end "$LR_END" --stream 60000 --workers "$WORKERS" --minutes "$MINUTES" \
  --until "$UNTIL" --fresh --work "$KINO_TRAIN_DIR/turbo" --weights-out "$OUT" "${EXTRA[@]}" 2>&1 | tee -a "$LOG"
RC=${PIPESTATUS[0]}
say "distill_turbo.py exited $RC"
"$PY" - "$OUT" "$RC" "$INSTALL" "$PIP_S" "$START" <<'EOF'
import json, os, sys, time
out, rc, install, pip_s, start = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
lora = os.path.join(out, "turbo_lora.safetensors")
json.dump({"rc": rc, "install": install, "install_seconds": pip_s, "wall_seconds": round(time.time() - start),
           "python": sys.version.split()[0], "lora_bytes": os.path.getsize(lora) if os.path.exists(lora) else None},
          open(os.path.join(out, "run.json"), "w"), indent=1)
EOF
ls -l "$OUT" | tee -a "$LOG"
[ -s "$OUT/turbo_lora.safetensors" ] && exit 0 || exit "${RC:-1}"
