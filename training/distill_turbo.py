"""Turbo LoRA for kino-tiny: guidance distillation, so that turbo mode runs one transformer call per step instead of
two (the conditional and the unconditional branch of classifier-free guidance).

    python3 training/distill_turbo.py --minutes 45                  # resumes from WORK/turbo/last.pt
    python3 training/distill_turbo.py --steps 3 --fresh --work /tmp/turbo-repro   # a quick check
    python3 training/distill_turbo.py --export models/kino-tiny/turbo_lora.safetensors
    python3 training/distill_turbo.py --device cuda --bf16 --batch 256 --stream 60000 --workers 14 \
        --minutes 6 --fresh --weights-out $OUT          # a GPU machine: fresh clips, LoRA + loss in $OUT

The teacher is the exported model (`--model`, default models/kino-tiny) with its kino.json guidance g. The
student is a copy of its transformer whose blocks' linear weights train; `--export` writes the change as a
rank-`--rank` LoRA (SVD of each weight's change, diffusers/PEFT keys, so `WanPipeline.load_lora_weights` reads it
as Kino does). For a noised training latent x_t (the stored clips of latents.npz with their captions, sigma =
shift(u) as in train_dit.py), the student's conditional velocity learns the teacher's guided one:

    loss = MSE(student(x_t, t, c), teacher(x_t, t, "") + g * (teacher(x_t, t, c) - teacher(x_t, t, "")))

With `--stream N` (a GPU machine, as train_dit.py's) the clips are not read from latents.npz, which a fresh
machine lacks: CPU workers render fresh ones from the world (stream.py) and the exported model's VAE encodes them
on the device, normalised with its config's latents_mean/std. Captions go through text_encode.py (the exported
UMT5 encoder in plain torch), so the run needs diffusers but not transformers. `--weights-out DIR` writes, every
`--export-every` seconds and at the end, DIR/turbo_lora.safetensors, DIR/student.pt (the change to the trained
weights, fp16; `--init` continues from it, `--fresh --init FILE --export` re-exports at another rank), DIR/loss.csv and DIR/summary.json.

Kino loads the LoRA for `--turbo` when kino.json names it (`turbo_lora`, with `turbo_guidance` 1), merged into a
second copy of the transformer; the default clip keeps the teacher and real guidance.
"""
import argparse
import copy
import json
import os
import shutil
import signal
import time

import numpy as np
import torch
import torch.nn.functional as F

from common import FLOW_SHIFT, HERE, log, path

TARGETS = ["to_q", "to_k", "to_v", "to_out.0", "ffn.net.0.proj", "ffn.net.2"]
TEXT_ROWS = 64          # stored caption rows (the captions are shorter); padded with zeros to the pipeline's 512


def from_folder(cls, folder):
    """A diffusers model from its saved folder in fp32 without from_pretrained, which on a machine without
    accelerate refuses models that keep modules in fp32 (Wan's transformer)."""
    from safetensors.torch import load_file
    model = cls.from_config(cls.load_config(folder))
    state = load_file(os.path.join(folder, "diffusion_pytorch_model.safetensors"))
    model.load_state_dict({k: v.float() for k, v in state.items()}, strict=True)
    return model.float()


def load(model):
    """The teacher transformer, a trainable copy of it and the caption encoder: only the weights of the blocks'
    linear layers train, so the change is exactly what a LoRA on those layers can hold."""
    from diffusers import WanTransformer3DModel
    from text_encode import TextEncoder
    teacher = from_folder(WanTransformer3DModel, os.path.join(model, "transformer"))
    teacher = teacher.eval().requires_grad_(False)
    student = copy.deepcopy(teacher)
    for name, module in student.named_modules():
        if name.startswith("blocks.") and any(name.endswith("." + t) for t in TARGETS):
            module.weight.requires_grad_(True)
    return teacher, student, TextEncoder(model)


def extract_lora(teacher, student, rank):
    """The student's change to each trained weight, truncated to rank `rank` by SVD: lora_B @ lora_A (diffusers /
    PEFT keys, no alpha: scale 1). Returns the tensors and the worst relative Frobenius error of the truncation."""
    base = dict(teacher.named_parameters())
    out, worst = {}, 0.0
    for name, p in student.named_parameters():
        if not p.requires_grad:
            continue
        diff = (p.detach() - base[name].detach()).cpu().double()
        u, sv, vh = torch.linalg.svd(diff, full_matrices=False)
        r = min(rank, sv.numel())
        kept = (u[:, :r] * sv[:r]) @ vh[:r]
        worst = max(worst, ((diff - kept).norm() / diff.norm().clamp_min(1e-12)).item())
        module = name[: -len(".weight")]
        out[f"transformer.{module}.lora_A.weight"] = vh[:r].float().contiguous()
        out[f"transformer.{module}.lora_B.weight"] = (u[:, :r] * sv[:r]).float().contiguous()
    return out, worst


def export_lora(teacher, student, rank, file, meta):
    from safetensors.torch import save_file
    lora, worst = extract_lora(teacher, student, rank)
    state = {k: v.half() for k, v in lora.items()}
    tmp = file + ".tmp"
    save_file(state, tmp, metadata={"kino": json.dumps({**meta, "rank": rank})})
    os.replace(tmp, file)
    os.chmod(file, 0o644)
    log("turbo", f"exported the change of step {meta['step']} as a rank-{rank} LoRA ({len(state)} tensors, "
                 f"{os.path.getsize(file) / 1e6:.1f} MB; worst truncation error {worst:.1%}) to {file}")
    return worst


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default=os.path.join(HERE, "..", "models", "kino-tiny"))
    ap.add_argument("--minutes", type=float, default=45, help="training time (after the first streamed clips)")
    ap.add_argument("--until", type=float, default=0, help="also stop by this Unix time (a hard wall-clock end)")
    ap.add_argument("--steps", type=int, default=0, help="stop after this many steps (0: only --minutes)")
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--rank", type=int, default=64, help="LoRA rank of --export / --weights-out")
    ap.add_argument("--lr", type=float, default=1e-4)
    ap.add_argument("--lr-end", type=float, default=None, help="decay the rate linearly to this over --minutes")
    ap.add_argument("--warmup", type=int, default=50, help="steps of linear warm-up")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--bf16", action="store_true", help="bf16 autocast (with torch 2.13 on the 2-core machine it was "
                    "slower than fp32 for this model: 11.1 s against 8.3 s per student step)")
    ap.add_argument("--fresh", action="store_true", help="ignore an existing checkpoint")
    ap.add_argument("--work", default=None, help="checkpoint folder (default WORK/turbo)")
    ap.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    ap.add_argument("--export", metavar="FILE", help="write the checkpoint's LoRA (fp16 safetensors) and stop")
    ap.add_argument("--stream", type=int, default=0, help="render and encode this many fresh clips while training "
                    "(stream.py) instead of reading latents.npz")
    ap.add_argument("--workers", type=int, default=14, help="render processes for --stream")
    ap.add_argument("--stream-seed", type=int, default=4_000_000, help="first world seed of the streamed clips")
    ap.add_argument("--shard", type=int, default=100, help="clips per rendered shard (--stream)")
    ap.add_argument("--poll-shards", type=int, default=8, help="shards encoded at most every 10 steps (--stream)")
    ap.add_argument("--stream-wait", type=int, default=2000, help="clips encoded before the first step (--stream)")
    ap.add_argument("--weights-out", default=None, help="also write turbo_lora.safetensors, student.pt (the weights' change), loss.csv "
                    "and summary.json here")
    ap.add_argument("--export-every", type=float, default=120, help="seconds between --weights-out writes")
    ap.add_argument("--init", default=None, help="start from a student.pt that --weights-out wrote")
    a = ap.parse_args()
    t_process = time.time()
    torch.manual_seed(a.seed)
    torch.set_num_threads(int(os.environ.get("KINO_TRAIN_THREADS", "2")))
    work = a.work or os.path.dirname(path("turbo", "x"))
    os.makedirs(work, exist_ok=True)
    ckpt = os.path.join(work, "last.pt")
    kino = json.load(open(os.path.join(a.model, "kino.json")))
    guidance = float(kino["guidance"])
    teacher, student, text_encoder = load(a.model)
    dev = torch.device(a.device)
    if dev.type == "cuda":
        torch.backends.cuda.matmul.allow_tf32 = True
        torch.backends.cudnn.allow_tf32 = True
    params = [p for p in student.parameters() if p.requires_grad]
    step = 0
    resume = torch.load(ckpt, map_location="cpu") if os.path.exists(ckpt) and not a.fresh else None
    if resume:
        student.load_state_dict(resume["student"])
        step = resume["step"]
        torch.set_rng_state(resume["rng"])
        log("turbo", f"resumed at step {step}")
    elif a.init:
        w = torch.load(a.init, map_location="cpu")
        trained = dict(student.named_parameters())
        with torch.no_grad():
            for k, d in w["delta"].items():
                trained[k].add_(d.float())
        step = w["step"]
        log("turbo", f"initialised from {a.init} at step {step} (optimiser state starts afresh)")
    if a.export:
        export_lora(teacher, student, a.rank, a.export, {"step": step, "guidance": guidance})
        return

    teacher.to(dev)
    student.to(dev)
    text_encoder.to(dev)
    opt = torch.optim.AdamW(params, lr=a.lr, weight_decay=0.0, betas=(0.9, 0.99))
    if resume:
        opt.load_state_dict(resume["opt"])                   # moves the moments to the parameters' device
    stream = None
    if a.stream:
        from diffusers import AutoencoderKLWan
        from stream import LatentStream
        vae = from_folder(AutoencoderKLWan, os.path.join(a.model, "vae")).to(dev).eval()
        stats = {"mean": vae.config.latents_mean, "std": vae.config.latents_std}
        stream = LatentStream(a.stream, a.workers, a.stream_seed, dev, stats, vae=vae, shard=a.shard)
        latents, captions = stream.wait_for(min(a.stream, a.stream_wait), name="turbo")
    else:
        data = np.load(path("latents.npz"))
        latents = torch.from_numpy(data["latents"]).to(dev)  # [N, 16, 9, 10, 16] normalised
        captions = [str(c) for c in data["captions"]]

    def encode(lines):
        return torch.cat([text_encoder.encode(lines[i:i + 500], TEXT_ROWS) for i in range(0, len(lines), 500)])

    embeds = encode(captions)                                # [N, 64, 128], zero past each caption
    empty = encode([kino.get("negative_prompt", "")])
    log("turbo", f"clips {len(captions)}, guidance {guidance}: "
                 f"{sum(p.numel() for p in params) / 1e6:.2f}M trainable params, batch {a.batch}, {dev}"
                 f"{' bf16' if a.bf16 else ''}, {time.time() - t_process:.0f} s to the first step")

    def save():
        tmp = ckpt + ".tmp"
        torch.save({"student": student.state_dict(), "opt": opt.state_dict(), "step": step,
                    "rng": torch.get_rng_state()}, tmp)
        os.replace(tmp, ckpt)

    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))    # finish the step, then write the outputs
    gen = torch.Generator().manual_seed(a.seed * 1000 + step)
    noise_gen = gen if dev.type == "cpu" else torch.Generator(dev).manual_seed(a.seed * 1000 + step)
    start = last_save = last_export = time.time()
    first_step, lr_end, pending, history = step, a.lr if a.lr_end is None else a.lr_end, [], []
    warm_from = first_step if a.init and not resume else 0      # fresh Adam moments warm up again

    def flush():
        """Appends step, time, loss, unguided-branch loss to loss.csv (reading losses in batches keeps a GPU busy)."""
        if not pending:
            return
        values = torch.stack([torch.stack([l, b]) for _, _, l, b in pending]).float().cpu().tolist()
        with open(os.path.join(work, "loss.csv"), "a") as f:
            f.writelines(f"{n},{t:.0f},{l:.5f},{b:.5f}\n" for (n, t, _, _), (l, b) in zip(pending, values))
        history.extend((n, l, b) for (n, _, _, _), (l, b) in zip(pending, values))
        log("turbo", f"step {step} loss {np.mean([v[0] for v in values]):.4f} (teacher's unguided branch: "
                     f"{np.mean([v[1] for v in values]):.4f}) lr {opt.param_groups[0]['lr']:.2e} "
                     f"({(time.time() - start) / 60:.2f} min, {(step - first_step) / max(time.time() - start, 1e-9):.2f} "
                     f"steps/s, {len(captions)} clips)")
        pending.clear()

    def write_out(final):
        if not a.weights_out:
            return
        os.makedirs(a.weights_out, exist_ok=True)
        meta = {"step": step, "guidance": guidance}
        worst = export_lora(teacher, student, a.rank, os.path.join(a.weights_out, "turbo_lora.safetensors"), meta)
        base = dict(teacher.named_parameters())               # the change (fp16 keeps it to 1e-3 of itself)
        delta = {n: (p.detach() - base[n].detach()).half().cpu() for n, p in student.named_parameters() if p.requires_grad}
        torch.save({"delta": delta, "step": step}, os.path.join(a.weights_out, "student.pt.tmp"))
        os.replace(os.path.join(a.weights_out, "student.pt.tmp"), os.path.join(a.weights_out, "student.pt"))
        if os.path.exists(os.path.join(work, "loss.csv")):
            shutil.copyfile(os.path.join(work, "loss.csv"), os.path.join(a.weights_out, "loss.csv"))
        seconds = time.time() - start

        def mean(rows, i):
            return round(float(np.mean([r[i] for r in rows])), 5) if rows else None
        summary = {"final": final, "step": step, "steps_this_run": step - first_step, "batch": a.batch,
                   "samples": (step - first_step) * a.batch, "train_seconds": round(seconds, 1),
                   "steps_per_s": round((step - first_step) / max(seconds, 1e-9), 3),
                   "process_seconds": round(time.time() - t_process, 1), "clips": len(captions),
                   "stream_encode_seconds": round(stream.encode_seconds, 1) if stream else None,
                   "loss_first_50": mean(history[:50], 1), "unguided_first_50": mean(history[:50], 2),
                   "loss_last_50": mean(history[-50:], 1), "unguided_last_50": mean(history[-50:], 2),
                   "lr": a.lr, "lr_end": lr_end, "guidance": guidance, "rank": a.rank,
                   "worst_truncation_error": round(worst, 4), "device": str(dev),
                   "gpu": torch.cuda.get_device_name(dev) if dev.type == "cuda" else None,
                   "max_memory_gb": round(torch.cuda.max_memory_allocated(dev) / 2**30, 2) if dev.type == "cuda" else None,
                   "torch": torch.__version__}
        with open(os.path.join(a.weights_out, "summary.json"), "w") as f:
            json.dump(summary, f, indent=1)

    def running():
        now = time.time()
        return (not stop and now - start < a.minutes * 60 and (a.steps == 0 or step < a.steps)
                and (a.until == 0 or now < a.until))

    while running():
        if stream is not None and step % 10 == 0 and stream.pending:
            more, more_captions = stream.poll(a.poll_shards)
            if more is not None:
                latents = torch.cat([latents, more])
                captions += more_captions
                embeds = torch.cat([embeds, encode(more_captions)])
                if not stream.pending:
                    log("turbo", f"stream: all {len(captions)} clips encoded ({stream.encode_seconds:.0f} s encoding)")
        idx = torch.randint(0, len(captions), (a.batch,), generator=gen).to(dev)
        x0, text = latents[idx], F.pad(embeds[idx], (0, 0, 0, 512 - TEXT_ROWS))     # Wan attends over 512 rows
        u = torch.rand(a.batch, generator=gen).to(dev)
        sigma = FLOW_SHIFT * u / (1 + (FLOW_SHIFT - 1) * u)
        s = sigma.view(-1, 1, 1, 1, 1)
        xt = (1 - s) * x0 + s * torch.randn(x0.shape, generator=noise_gen, device=dev)
        t = sigma * 1000
        negative = F.pad(empty, (0, 0, 0, 512 - TEXT_ROWS)).expand_as(text)
        autocast = torch.autocast(dev.type, dtype=torch.bfloat16, enabled=a.bf16)
        with torch.no_grad(), autocast:
            both = teacher(torch.cat([xt, xt]), torch.cat([t, t]), torch.cat([text, negative]), return_dict=False)[0]
            cond, uncond = both.float().chunk(2)
            target = uncond + guidance * (cond - uncond)
        with autocast:
            pred = student(xt, t, text, return_dict=False)[0]
        loss = F.mse_loss(pred.float(), target)
        done = min(1.0, (time.time() - start) / (a.minutes * 60))
        for g in opt.param_groups:
            g["lr"] = (a.lr + (lr_end - a.lr) * done) * min(1.0, (step + 1 - warm_from) / a.warmup)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        step += 1
        pending.append((step, time.time(), loss.detach(), F.mse_loss(cond, target).detach()))
        if step % (25 if dev.type == "cuda" else 10) == 0 or a.steps:
            flush()
        if time.time() - last_save > 180:
            save()
            last_save = time.time()
        if a.weights_out and time.time() - last_export > a.export_every:
            flush()
            write_out(final=False)
            last_export = time.time()
    flush()
    if stream is not None:
        stream.close()
    save()
    write_out(final=True)
    log("turbo", f"stopped at step {step} ({time.time() - t_process:.0f} s in all)")


if __name__ == "__main__":
    main()
