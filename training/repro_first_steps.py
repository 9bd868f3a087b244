"""Reproduces the first steps of the kino-tiny recipe from a clean checkout and compares them with the logged
curve in runs/first-steps.csv (a short run of the recipe must reproduce the logged loss curve).

    python3 training/repro_first_steps.py             # ~5 min on 2 quiet cores; exit 1 if the curve differs
    python3 training/repro_first_steps.py --record    # (maintainers) rewrite runs/first-steps.csv

Every stage runs for real on a small scale in a scratch KINO_TRAIN_DIR: 100 rendered clips, 20 VAE steps,
latent encoding, 20 transformer steps (batch 32) from a fresh seed-0 start. CPU PyTorch is deterministic for
a fixed thread count, so the losses match to the printed precision on the same PyTorch build; a different CPU
or PyTorch version may differ in the last digits (the tolerance is 1e-3 relative).
"""
import argparse
import csv
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
REFERENCE = os.path.join(HERE, "runs", "first-steps.csv")
STEPS = 20


def run(work, *args):
    env = {**os.environ, "KINO_TRAIN_DIR": work, "KINO_TRAIN_THREADS": "2", "OMP_WAIT_POLICY": "PASSIVE"}
    print("+", " ".join(args), flush=True)
    subprocess.run([sys.executable, *args], cwd=HERE, env=env, check=True, stdout=subprocess.DEVNULL)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--record", action="store_true")
    ap.add_argument("--work", default=None)
    a = ap.parse_args()
    work = a.work or tempfile.mkdtemp(prefix="kino-repro-")
    run(work, "make_data.py", "--clips", "100", "--workers", "1")
    run(work, "train_vae.py", "--steps", str(STEPS), "--minutes", "60")
    run(work, "encode_latents.py")
    run(work, "train_dit.py", "--steps", str(STEPS), "--minutes", "60", "--fresh")
    vae = {int(r[0]): float(r[2]) for r in csv.reader(open(os.path.join(work, "logs", "vae_loss.csv")))}
    dit = {int(r[0]): float(r[2]) for r in csv.reader(open(os.path.join(work, "dit", "loss.csv")))}
    rows = [(s, vae.get(s), dit.get(s)) for s in range(1, STEPS + 1)]
    if a.record:
        with open(REFERENCE, "w") as f:
            f.write("step,vae_reconstruction,dit_loss\n")
            for s, v, d in rows:
                f.write(f"{s},{v:.5f},{d:.5f}\n")
        print(f"recorded {REFERENCE}")
        return
    reference = {int(r["step"]): r for r in csv.DictReader(open(REFERENCE))}
    worst = 0.0
    print("step  vae (run / logged)   dit (run / logged)")
    for s, v, d in rows:
        ref = reference[s]
        rv, rd = float(ref["vae_reconstruction"]), float(ref["dit_loss"])
        worst = max(worst, abs(v - rv) / abs(rv), abs(d - rd) / abs(rd))
        print(f"{s:4d}  {v:.5f} / {rv:.5f}   {d:.5f} / {rd:.5f}")
    ok = worst <= 1e-3
    print(f"largest relative difference {worst:.2e}: {'reproduced' if ok else 'DIFFERENT'} (tolerance 1e-3)")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
