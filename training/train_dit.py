"""Stage 3: the text encoder (umT5, from scratch) and the Wan transformer, trained jointly with flow matching on
stored latents; EMA weights; resumable.

    python3 training/train_dit.py --minutes 60          # resumes from WORK/dit/last.pt
    python3 training/train_dit.py --steps 20 --fresh --work /tmp/kino-repro   # the short reproducible run
Loss: MSE between the predicted velocity and (noise - x0) at sigma = shift(u), u ~ U(0, 1), shift 3.
"""
import argparse
import copy
import os
import time

import numpy as np
import torch


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--minutes", type=float, default=60)
    ap.add_argument("--steps", type=int, default=0, help="stop after this many steps (0: only --minutes)")
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--lr", type=float, default=4e-4)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--drop-text", type=float, default=0.1, help="caption dropout for classifier-free guidance")
    ap.add_argument("--fresh", action="store_true", help="ignore existing checkpoints")
    ap.add_argument("--bf16", action="store_true", help="bf16 autocast (faster only on CPUs with AVX512-BF16/AMX)")
    ap.add_argument("--work", default=None, help="checkpoint folder (default WORK/dit)")
    a = ap.parse_args()

    from transformers import UMT5Config, UMT5EncoderModel
    from diffusers import WanTransformer3DModel
    from common import FLOW_SHIFT, MAX_TEXT, TEXT_ENCODER, TRANSFORMER, log, path
    import tokenizer as tk

    torch.manual_seed(a.seed)
    torch.set_num_threads(int(os.environ.get("KINO_TRAIN_THREADS", "2")))
    work = a.work or os.path.dirname(path("dit", "x"))
    os.makedirs(work, exist_ok=True)
    tok_dir = path("tokenizer")
    if not os.path.exists(os.path.join(tok_dir, "tokenizer.json")):
        tok = tk.build(tok_dir, tk.caption_corpus())
    else:
        from transformers import AutoTokenizer
        tok = AutoTokenizer.from_pretrained(tok_dir)
    data = np.load(path("latents.npz"))
    latents = torch.from_numpy(data["latents"])                 # [N, 16, 9, 10, 16] normalised
    captions = [str(c) for c in data["captions"]]
    ids = tok(captions, padding="max_length", max_length=MAX_TEXT, truncation=True, return_tensors="pt")
    empty = tok([""], padding="max_length", max_length=MAX_TEXT, truncation=True, return_tensors="pt")

    text_encoder = UMT5EncoderModel(UMT5Config(**{**TEXT_ENCODER, "vocab_size": len(tok)}))
    transformer = WanTransformer3DModel(**TRANSFORMER)
    params = list(text_encoder.parameters()) + list(transformer.parameters())
    opt = torch.optim.AdamW(params, lr=a.lr, weight_decay=0.01, betas=(0.9, 0.99))
    ema_te, ema_tr = copy.deepcopy(text_encoder).eval(), copy.deepcopy(transformer).eval()
    for p in list(ema_te.parameters()) + list(ema_tr.parameters()):
        p.requires_grad_(False)
    step = 0
    ckpt = os.path.join(work, "last.pt")
    if os.path.exists(ckpt) and not a.fresh:
        s = torch.load(ckpt)
        text_encoder.load_state_dict(s["te"]); transformer.load_state_dict(s["tr"])
        ema_te.load_state_dict(s["ema_te"]); ema_tr.load_state_dict(s["ema_tr"])
        opt.load_state_dict(s["opt"]); step = s["step"]
        torch.set_rng_state(s["rng"])
        log("dit", f"resumed at step {step}")
    log("dit", f"clips {len(captions)}, vocab {len(tok)}, transformer {sum(p.numel() for p in transformer.parameters())/1e6:.2f}M, "
               f"text encoder {sum(p.numel() for p in text_encoder.parameters())/1e6:.2f}M params")

    def save():
        tmp = ckpt + ".tmp"
        torch.save({"te": text_encoder.state_dict(), "tr": transformer.state_dict(), "ema_te": ema_te.state_dict(),
                    "ema_tr": ema_tr.state_dict(), "opt": opt.state_dict(), "step": step, "rng": torch.get_rng_state()}, tmp)
        os.replace(tmp, ckpt)

    start = last_save = time.time()
    gen = torch.Generator().manual_seed(a.seed * 1000 + step)
    while time.time() - start < a.minutes * 60 and (a.steps == 0 or step < a.steps):
        idx = torch.randint(0, len(captions), (a.batch,), generator=gen)
        x0 = latents[idx]
        input_ids, mask = ids.input_ids[idx].clone(), ids.attention_mask[idx].clone()
        drop = torch.rand(a.batch, generator=gen) < a.drop_text
        input_ids[drop], mask[drop] = empty.input_ids[0], empty.attention_mask[0]
        u = torch.rand(a.batch, generator=gen)
        sigma = FLOW_SHIFT * u / (1 + (FLOW_SHIFT - 1) * u)
        noise = torch.randn(x0.shape, generator=gen)
        s = sigma.view(-1, 1, 1, 1, 1)
        xt = (1 - s) * x0 + s * noise
        warm = min(1.0, (step + 1) / 200)
        for g in opt.param_groups:
            g["lr"] = a.lr * warm
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=a.bf16):
            text = text_encoder(input_ids, attention_mask=mask).last_hidden_state
            text = text * mask.unsqueeze(-1)                    # Wan zeroes the rows past the prompt and
            text = torch.nn.functional.pad(text, (0, 0, 0, 512 - text.shape[1]))  # attends over 512 rows
            pred = transformer(xt, sigma * 1000, text, return_dict=False)[0]
        loss = torch.nn.functional.mse_loss(pred.float(), noise - x0)
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        step += 1
        decay = min(0.999, (1 + step) / (10 + step))
        with torch.no_grad():
            for e, p in zip(list(ema_te.parameters()) + list(ema_tr.parameters()), params):
                e.mul_(decay).add_(p.detach(), alpha=1 - decay)
        with open(os.path.join(work, "loss.csv"), "a") as f:
            f.write(f"{step},{time.time():.0f},{loss.item():.5f}\n")
        if step % 25 == 0 or a.steps:
            log("dit", f"step {step} loss {loss.item():.4f} ({(time.time() - start) / 60:.1f} min)")
        if time.time() - last_save > 300:
            save()
            last_save = time.time()
    save()
    log("dit", f"stopped at step {step}")


if __name__ == "__main__":
    main()
