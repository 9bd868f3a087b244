"""Image-to-video fine-tune of an exported kino-tiny transformer with the Wan 2.2 TI2V scheme (diffusers
WanImageToVideoPipeline with expand_timesteps=True): the clip's first k latent frames are the clean latents of the
given picture(s), the other frames are noised as usual, and the transformer gets a per-token timestep, 0 on the
conditioned frames' tokens and t elsewhere (the pipeline's `(mask[:, ::2, ::2] * t).flatten()`); the loss is on the
unconditioned frames only. Half the samples (--i2v) are conditioned on k = 1 (mostly), 2 or 3 frames (extending a
video conditions on more than one); the rest are text-only as kino-tiny was trained. The text encoder stays frozen
(its embeddings are stored by encode_latents.py --text). Flow matching as train_dit.py: sigma = shift(u), shift 3,
x_t = (1 - sigma) x0 + sigma noise, target noise - x0; 10% caption dropout (conditioned samples too).

    python3 training/encode_latents.py --model models/kino-tiny --out i2v/latents.npz --text
    python3 training/encode_latents.py --model models/kino-tiny --data val --out i2v/val.npz --text
    python3 training/train_i2v.py --minutes 70            # resumes from WORK/i2v/last.pt
    python3 training/train_i2v.py --export models/kino-tiny   # EMA transformer -> fp16 diffusers folder
"""
import argparse
import copy
import json
import os
import time

import numpy as np
import torch
import torch.nn.functional as F

K_CHOICES = (1, 2, 3)             # conditioned latent frames (1 latent frame = the picture, 2 = 5 video frames, ...)
K_PROBS = (0.75, 0.2, 0.05)


def token_timesteps(t, keep, grid):
    """Per-token timesteps [B, F * h * w] in the transformer's token order (frame, row, col): 0 on the tokens of
    conditioned frames (keep[b, f] = 0), t[b] elsewhere (keep = 1). grid = (h, w) tokens per frame."""
    per_frame = keep * t[:, None]                                           # [B, F]
    return per_frame[:, :, None].expand(-1, -1, grid[0] * grid[1]).flatten(1)


def pad_text(text):
    """[B, 64, d] caption rows (zero past the caption) -> [B, 512, d], as the Wan pipeline pads them."""
    return F.pad(text, (0, 0, 0, 512 - text.shape[1]))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default="models/kino-tiny", help="the exported folder to start from")
    ap.add_argument("--minutes", type=float, default=60)
    ap.add_argument("--steps", type=int, default=0, help="stop after this many steps (0: only --minutes)")
    ap.add_argument("--batch", type=int, default=24)
    ap.add_argument("--lr", type=float, default=1e-4)
    ap.add_argument("--lr-end", type=float, default=None, help="decay the rate linearly to this over this "
                    "session's --minutes (a resumed session starts its decay at --lr again)")
    ap.add_argument("--warmup", type=int, default=50)
    ap.add_argument("--ema", type=float, default=0.999, help="EMA decay (with train_dit.py's ramp (1+s)/(10+s))")
    ap.add_argument("--i2v", type=float, default=0.5, help="fraction of samples conditioned on first frames")
    ap.add_argument("--drop-text", type=float, default=0.1)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--eval-every", type=int, default=200)
    ap.add_argument("--save-minutes", type=float, default=4)
    ap.add_argument("--fresh", action="store_true")
    ap.add_argument("--work", default=None, help="default WORK/i2v")
    ap.add_argument("--export", default=None, help="write the EMA transformer (fp16) into FOLDER/transformer and exit")
    ap.add_argument("--mix", type=float, default=1.0, help="with --export: write (1 - MIX) x the folder's current "
                    "transformer + MIX x the EMA (WiSE-FT weight averaging; the shipped kino-tiny uses 0.5 on the "
                    "pre-fine-tune weights, which keeps text-to-video closer to where it was)")
    a = ap.parse_args()

    from diffusers import WanTransformer3DModel
    from common import FLOW_SHIFT, log, path
    torch.set_num_threads(int(os.environ.get("KINO_TRAIN_THREADS", "2")))
    work = a.work or os.path.dirname(path("i2v", "x"))
    os.makedirs(work, exist_ok=True)
    ckpt = os.path.join(work, "last.pt")

    if a.export:
        # the same file, keys and dtype (fp16) as the shipped one; config.json is left as it is, and
        # model_index.json gets expand_timesteps: true (how Kino knows the model takes image conditioning)
        from safetensors.torch import load_file, save_file
        s = torch.load(ckpt, map_location="cpu")
        out = os.path.join(a.export, "transformer", "diffusion_pytorch_model.safetensors")
        old = load_file(out)
        new = {k: (old[k].float() * (1 - a.mix) + v.float() * a.mix).to(torch.float16).contiguous()
               for k, v in s["ema_tr"].items() if k in old}
        assert sorted(old) == sorted(new) and all(old[k].shape == new[k].shape and old[k].dtype == new[k].dtype
                                                  for k in old), "keys, shapes or dtypes differ from the shipped file"
        save_file(new, out, metadata={"format": "pt"})
        index = os.path.join(a.export, "model_index.json")
        text = open(index).read()
        if '"expand_timesteps": false' in text:
            open(index, "w").write(text.replace('"expand_timesteps": false', '"expand_timesteps": true'))
        assert json.load(open(index))["expand_timesteps"] is True
        print(f"exported the EMA transformer of step {s['step']} (mix {a.mix}) to {out}; {index}: expand_timesteps true")
        return

    transformer = WanTransformer3DModel.from_pretrained(os.path.join(a.model, "transformer"), torch_dtype=torch.float32)

    torch.manual_seed(a.seed)
    data_file = path("i2v", "latents.npz")

    def load_data():
        data = np.load(data_file)
        # latents [N, 16, 9, 10, 16] normalised as the pipeline does; caption rows [N, 64, 128]
        return torch.from_numpy(data["latents"]), torch.from_numpy(data["text"]).float(), os.path.getmtime(data_file)

    latents, texts, data_mtime = load_data()
    val = np.load(path("i2v", "val.npz"))
    n_val = min(64, len(val["latents"]))
    val_x0 = torch.from_numpy(val["latents"][:n_val])
    val_text = torch.from_numpy(val["text"][:n_val]).float()
    from text_encode import TextEncoder
    empty = TextEncoder(a.model).encode([""], 64)                # the negative prompt "" as the pipeline encodes it
    n, c, nf, lh, lw = latents.shape
    grid = (lh // 2, lw // 2)

    # fixed validation noises and sigmas (stratified u), k = 1 for the I2V validation loss
    vg = torch.Generator().manual_seed(12345)
    val_noise = torch.randn(val_x0.shape, generator=vg)
    vu = (torch.arange(n_val) + 0.5) / n_val
    val_sigma = FLOW_SHIFT * vu / (1 + (FLOW_SHIFT - 1) * vu)

    params = [p for p in transformer.parameters()]
    opt = torch.optim.AdamW(params, lr=a.lr, weight_decay=0.01, betas=(0.9, 0.99))
    ema = copy.deepcopy(transformer).eval()
    for p in ema.parameters():
        p.requires_grad_(False)
    ema_params = list(ema.parameters())
    step, elapsed = 0, 0.0
    gen = torch.Generator().manual_seed(a.seed)
    if os.path.exists(ckpt) and not a.fresh:
        s = torch.load(ckpt, map_location="cpu")
        transformer.load_state_dict(s["tr"]); ema.load_state_dict(s["ema_tr"]); opt.load_state_dict(s["opt"])
        step, elapsed = s["step"], s["elapsed"]
        gen.set_state(s["gen"])
        log("i2v", f"resumed at step {step} ({elapsed / 60:.1f} min)")
    elif a.fresh and os.path.exists(os.path.join(work, "loss.csv")):
        os.remove(os.path.join(work, "loss.csv"))
    log("i2v", f"clips {n}, val {n_val}, transformer {sum(p.numel() for p in params) / 1e6:.2f}M params, batch {a.batch}")

    @torch.no_grad()
    def validate(model):
        """(text-only loss: scalar timestep as WanPipeline calls it, all frames; I2V loss: k = 1, per-token
        timesteps as WanImageToVideoPipeline(expand_timesteps=True) calls it, frames 1-8)."""
        model.eval()
        t2v, i2v = [], []
        for i in range(0, n_val, 16):
            x0, noise, sig, txt = val_x0[i:i + 16], val_noise[i:i + 16], val_sigma[i:i + 16], pad_text(val_text[i:i + 16])
            sv = sig.view(-1, 1, 1, 1, 1)
            xt = (1 - sv) * x0 + sv * noise
            pred = model(xt, sig * 1000, txt, return_dict=False)[0]
            t2v.append(((pred - (noise - x0)) ** 2).mean(dim=(1, 2, 3, 4)))
            keep = torch.ones(len(x0), nf)
            keep[:, 0] = 0
            xin = torch.where(keep.view(len(x0), 1, nf, 1, 1) > 0, xt, x0)
            pred = model(xin, token_timesteps(sig * 1000, keep, grid), txt, return_dict=False)[0]
            i2v.append(((pred - (noise - x0))[:, :, 1:] ** 2).mean(dim=(1, 2, 3, 4)))
        model.train()
        return torch.cat(t2v).mean().item(), torch.cat(i2v).mean().item()

    csv = os.path.join(work, "loss.csv")
    if not os.path.exists(csv):
        with open(csv, "w") as f:
            f.write("step,elapsed_s,loss_t2v,loss_i2v,val_t2v,val_i2v,val_t2v_ema,val_i2v_ema\n")

    def row(values):
        with open(csv, "a") as f:
            f.write(",".join("" if v is None else (f"{v:.5f}" if isinstance(v, float) else str(v)) for v in values) + "\n")

    def evaluate():
        t0 = time.time()
        vt, vi = validate(transformer)
        et, ei = validate(ema) if step else (vt, vi)
        row([step, round(elapsed), None, None, vt, vi, et, ei])
        log("i2v", f"val step {step}: live t2v {vt:.4f} i2v {vi:.4f} | ema t2v {et:.4f} i2v {ei:.4f} ({time.time() - t0:.0f} s)")

    def save():
        tmp = ckpt + ".tmp"
        torch.save({"tr": transformer.state_dict(), "ema_tr": ema.state_dict(), "opt": opt.state_dict(),
                    "step": step, "elapsed": elapsed, "gen": gen.get_state()}, tmp)
        os.replace(tmp, ckpt)

    if step == 0:
        evaluate()
    transformer.train()
    start = time.time()
    session0, session_step = elapsed, step
    last_save = time.time()
    acc = []
    while time.time() - start < a.minutes * 60 and (a.steps == 0 or step < a.steps):
        b = a.batch
        idx = torch.randint(0, n, (b,), generator=gen)
        x0 = latents[idx]
        text = texts[idx].clone()
        drop = torch.rand(b, generator=gen) < a.drop_text
        text[drop] = empty[0]
        u = torch.rand(b, generator=gen)
        sigma = FLOW_SHIFT * u / (1 + (FLOW_SHIFT - 1) * u)
        noise = torch.randn(x0.shape, generator=gen)
        cond = torch.rand(b, generator=gen) < a.i2v
        k = torch.tensor(K_CHOICES)[torch.multinomial(torch.tensor(K_PROBS), b, replacement=True, generator=gen)]
        k = torch.where(cond, k, torch.zeros_like(k))
        keep = (torch.arange(nf)[None, :] >= k[:, None]).float()           # [B, F]: 0 on conditioned frames
        s5 = sigma.view(-1, 1, 1, 1, 1)
        xt = (1 - s5) * x0 + s5 * noise
        k5 = keep.view(b, 1, nf, 1, 1)
        xin = k5 * xt + (1 - k5) * x0                                       # the pipeline's (1-mask)*cond + mask*latents
        done = min(1.0, (time.time() - start) / (a.minutes * 60))
        rate = a.lr if a.lr_end is None else a.lr + (a.lr_end - a.lr) * done
        for g in opt.param_groups:
            g["lr"] = rate * min(1.0, (step + 1) / a.warmup)
        pred = transformer(xin, token_timesteps(sigma * 1000, keep, grid), pad_text(text), return_dict=False)[0]
        err = (pred.float() - (noise - x0)) ** 2 * k5                       # loss on the unconditioned frames only
        per = err.sum(dim=(1, 2, 3, 4)) / (keep.sum(1) * c * lh * lw)
        loss = per.mean()
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        step += 1
        decay = min(a.ema, (1 + step) / (10 + step))
        with torch.no_grad():
            torch._foreach_mul_(ema_params, decay)
            torch._foreach_add_(ema_params, [p.detach() for p in params], alpha=1 - decay)
        elapsed = session0 + time.time() - start
        per = per.detach()
        lt = per[~cond].mean().item() if (~cond).any() else None
        li = per[cond].mean().item() if cond.any() else None
        row([step, round(elapsed), lt, li, None, None, None, None])
        acc.append(loss.item())
        if step % 10 == 0:
            log("i2v", f"step {step} loss {np.mean(acc):.4f} lr {opt.param_groups[0]['lr']:.2e} "
                       f"({elapsed / 60:.1f} min, {(elapsed - session0) / (step - session_step):.2f} s/step)")
            acc = []
        if step % a.eval_every == 0:
            evaluate()
            if os.path.getmtime(data_file) != data_mtime:     # encode_latents.py --max-new added shards
                latents, texts, data_mtime = load_data()
                n = len(latents)
                log("i2v", f"reloaded {data_file}: {n} clips")
        if time.time() - last_save > a.save_minutes * 60:
            save()
            last_save = time.time()
    save()
    if step % a.eval_every:
        evaluate()
    save()
    log("i2v", f"stopped at step {step} ({elapsed / 60:.1f} min)")


if __name__ == "__main__":
    main()
