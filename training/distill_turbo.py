"""Turbo LoRA for kino-tiny: guidance distillation, so that turbo mode runs one transformer call per step instead of
two (the conditional and the unconditional branch of classifier-free guidance).

    python3 training/distill_turbo.py --minutes 45                  # resumes from WORK/turbo/last.pt
    python3 training/distill_turbo.py --steps 3 --fresh --work /tmp/turbo-repro   # a quick check
    python3 training/distill_turbo.py --export models/kino-tiny/turbo_lora.safetensors

The teacher is the exported model (`--model`, default models/kino-tiny) with its kino.json guidance g. The
student is a copy of its transformer whose blocks' linear weights train; `--export` writes the change as a
rank-`--rank` LoRA (SVD of each weight's change, diffusers/PEFT keys, so `WanPipeline.load_lora_weights` reads it
as Kino does). For a noised training latent x_t (the stored clips of latents.npz with their captions, sigma =
shift(u) as in train_dit.py), the student's conditional velocity learns the teacher's guided one:

    loss = MSE(student(x_t, t, c), teacher(x_t, t, "") + g * (teacher(x_t, t, c) - teacher(x_t, t, "")))

Kino loads the LoRA for `--turbo` when kino.json names it (`turbo_lora`, with `turbo_guidance` 1), merged into a
second copy of the transformer; the default clip keeps the teacher and real guidance.
"""
import argparse
import copy
import json
import os
import time

import numpy as np
import torch

from common import FLOW_SHIFT, HERE, log, path

TARGETS = ["to_q", "to_k", "to_v", "to_out.0", "ffn.net.0.proj", "ffn.net.2"]


def load(model):
    """The pipeline (teacher transformer inside) and a trainable copy of its transformer: only the weights of the
    blocks' linear layers train, so the change is exactly what a LoRA on those layers can hold."""
    from diffusers import WanPipeline
    pipe = WanPipeline.from_pretrained(model, torch_dtype=torch.float32)
    teacher = pipe.transformer.eval().requires_grad_(False)
    student = copy.deepcopy(teacher)
    for name, module in student.named_modules():
        if name.startswith("blocks.") and any(name.endswith("." + t) for t in TARGETS):
            module.weight.requires_grad_(True)
    return pipe, teacher, student


def extract_lora(teacher, student, rank):
    """The student's change to each trained weight, truncated to rank `rank` by SVD: lora_B @ lora_A (diffusers /
    PEFT keys, no alpha: scale 1). Returns the tensors and the worst relative Frobenius error of the truncation."""
    base = dict(teacher.named_parameters())
    out, worst = {}, 0.0
    for name, p in student.named_parameters():
        if not p.requires_grad:
            continue
        diff = (p.detach() - base[name].detach()).double()
        u, sv, vh = torch.linalg.svd(diff, full_matrices=False)
        r = min(rank, sv.numel())
        kept = (u[:, :r] * sv[:r]) @ vh[:r]
        worst = max(worst, ((diff - kept).norm() / diff.norm().clamp_min(1e-12)).item())
        module = name[: -len(".weight")]
        out[f"transformer.{module}.lora_A.weight"] = vh[:r].float().contiguous()
        out[f"transformer.{module}.lora_B.weight"] = (u[:, :r] * sv[:r]).float().contiguous()
    return out, worst


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default=os.path.join(HERE, "..", "models", "kino-tiny"))
    ap.add_argument("--minutes", type=float, default=45)
    ap.add_argument("--steps", type=int, default=0, help="stop after this many steps (0: only --minutes)")
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--rank", type=int, default=64, help="LoRA rank of --export")
    ap.add_argument("--lr", type=float, default=1e-4)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--bf16", action="store_true", help="bf16 autocast (with torch 2.13 on the 2-core machine it was "
                    "slower than fp32 for this model: 11.1 s against 8.3 s per student step)")
    ap.add_argument("--fresh", action="store_true", help="ignore an existing checkpoint")
    ap.add_argument("--work", default=None, help="checkpoint folder (default WORK/turbo)")
    ap.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    ap.add_argument("--export", metavar="FILE", help="write the checkpoint's LoRA (fp16 safetensors) and stop")
    a = ap.parse_args()
    torch.manual_seed(a.seed)
    torch.set_num_threads(int(os.environ.get("KINO_TRAIN_THREADS", "2")))
    work = a.work or os.path.dirname(path("turbo", "x"))
    os.makedirs(work, exist_ok=True)
    ckpt = os.path.join(work, "last.pt")
    kino = json.load(open(os.path.join(a.model, "kino.json")))
    guidance = float(kino["guidance"])
    pipe, teacher, student = load(a.model)
    dev = torch.device(a.device)
    params = [p for p in student.parameters() if p.requires_grad]
    step = 0
    resume = torch.load(ckpt, map_location="cpu") if os.path.exists(ckpt) and not a.fresh else None
    if resume:
        student.load_state_dict(resume["student"])
        step = resume["step"]
        torch.set_rng_state(resume["rng"])
        log("turbo", f"resumed at step {step}")
    if a.export:
        from safetensors.torch import save_file
        lora, worst = extract_lora(teacher, student, a.rank)
        state = {k: v.half() for k, v in lora.items()}
        save_file(state, a.export, metadata={"kino": json.dumps({"step": step, "rank": a.rank, "guidance": guidance})})
        log("turbo", f"exported the change of step {step} as a rank-{a.rank} LoRA ({len(state)} tensors, "
                     f"{os.path.getsize(a.export) / 1e6:.1f} MB; worst truncation error {worst:.1%}) to {a.export}")
        return

    teacher.to(dev)
    student.to(dev)
    opt = torch.optim.AdamW(params, lr=a.lr, weight_decay=0.0, betas=(0.9, 0.99))
    if resume:
        opt.load_state_dict(resume["opt"])                   # moves the moments to the parameters' device
    data = np.load(path("latents.npz"))
    latents = torch.from_numpy(data["latents"])              # [N, 16, 9, 10, 16] normalised
    captions = [str(c) for c in data["captions"]]
    with torch.no_grad():
        def encode(lines):
            return pipe.encode_prompt(lines, do_classifier_free_guidance=False, device=torch.device("cpu"),
                                      max_sequence_length=512)[0]
        embeds = torch.cat([encode(captions[i:i + 100]) for i in range(0, len(captions), 100)])
        empty = encode([kino.get("negative_prompt", "")])
    latents, embeds, empty = latents.to(dev), embeds.to(dev), empty.to(dev)
    log("turbo", f"clips {len(captions)}, guidance {guidance}: "
                 f"{sum(p.numel() for p in params) / 1e6:.2f}M trainable params")

    def save():
        tmp = ckpt + ".tmp"
        torch.save({"student": student.state_dict(), "opt": opt.state_dict(), "step": step,
                    "rng": torch.get_rng_state()}, tmp)
        os.replace(tmp, ckpt)

    gen = torch.Generator().manual_seed(a.seed * 1000 + step)
    start = last_save = time.time()
    rows = []
    while time.time() - start < a.minutes * 60 and (a.steps == 0 or step < a.steps):
        idx = torch.randint(0, len(captions), (a.batch,), generator=gen).to(dev)
        x0, text = latents[idx], embeds[idx]
        u = torch.rand(a.batch, generator=gen).to(dev)
        sigma = FLOW_SHIFT * u / (1 + (FLOW_SHIFT - 1) * u)
        s = sigma.view(-1, 1, 1, 1, 1)
        xt = (1 - s) * x0 + s * torch.randn(x0.shape, generator=gen).to(dev)
        t = sigma * 1000
        autocast = torch.autocast(dev.type, dtype=torch.bfloat16, enabled=a.bf16)
        with torch.no_grad(), autocast:
            both = teacher(torch.cat([xt, xt]), torch.cat([t, t]), torch.cat([text, empty.expand_as(text)]),
                           return_dict=False)[0]
            cond, uncond = both.chunk(2)
            cond, uncond = cond.float(), uncond.float()
            target = uncond + guidance * (cond - uncond)
        with autocast:
            pred = student(xt, t, text, return_dict=False)[0]
        loss = torch.nn.functional.mse_loss(pred.float(), target)
        for g in opt.param_groups:
            g["lr"] = a.lr * min(1.0, (step + 1) / 50)
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        step += 1
        rows.append((step, loss.item(), torch.nn.functional.mse_loss(cond, target).item()))
        if step % 10 == 0 or a.steps:
            with open(os.path.join(work, "loss.csv"), "a") as f:
                f.writelines(f"{n},{time.time():.0f},{l:.5f},{b:.5f}\n" for n, l, b in rows)
            log("turbo", f"step {step} loss {np.mean([r[1] for r in rows]):.4f} (teacher's unguided branch: "
                         f"{np.mean([r[2] for r in rows]):.4f}) ({(time.time() - start) / 60:.1f} min)")
            rows = []
        if time.time() - last_save > 180:
            save()
            last_save = time.time()
    save()
    log("turbo", f"stopped at step {step}")


if __name__ == "__main__":
    main()
