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
    ap.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    ap.add_argument("--ema", type=float, default=0.999, help="EMA decay (its ramp-up is the same)")
    ap.add_argument("--lr-end", type=float, default=None, help="decay the rate linearly to this over --minutes")
    ap.add_argument("--stream", type=int, default=0, help="render and encode this many fresh clips while training "
                    "(stream.py) instead of reading latents.npz alone")
    ap.add_argument("--workers", type=int, default=14, help="render processes for --stream")
    ap.add_argument("--stream-seed", type=int, default=1_000_000, help="first world seed of the streamed clips")
    ap.add_argument("--init", default=None, help="start from the ema.pt and live.pt that --weights-out wrote (a folder)")
    ap.add_argument("--weights-out", default=None, help="also write ema.pt and live.pt (fp16, no optimiser) here")
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
    dev = torch.device(a.device)
    if dev.type == "cuda":
        torch.backends.cuda.matmul.allow_tf32 = True
        torch.backends.cudnn.allow_tf32 = True

    def tokens(lines):
        t = tok(lines, padding="max_length", max_length=MAX_TEXT, truncation=True, return_tensors="pt")
        return t.input_ids.to(dev), t.attention_mask.to(dev)

    data = np.load(path("latents.npz"))
    stream = None
    if a.stream:
        from stream import LatentStream
        stream = LatentStream(a.stream, a.workers, a.stream_seed, dev, data)
        latents, captions = stream.wait_for(min(a.stream, 2000))
    else:
        latents = torch.from_numpy(data["latents"]).to(dev)     # [N, 16, 9, 10, 16] normalised
        captions = [str(c) for c in data["captions"]]
    input_ids, attention = tokens(captions)
    empty_ids, empty_mask = tokens([""])

    text_encoder = UMT5EncoderModel(UMT5Config(**{**TEXT_ENCODER, "vocab_size": len(tok)}))
    transformer = WanTransformer3DModel(**TRANSFORMER)
    if a.init:
        live = os.path.join(a.init, "live.pt")
        w = torch.load(live, map_location="cpu") if os.path.exists(live) else {
            k[4:]: v for k, v in torch.load(os.path.join(a.init, "ema.pt"), map_location="cpu").items() if k.startswith("ema_")}
        text_encoder.load_state_dict({k: v.float() for k, v in w["te"].items()})
        transformer.load_state_dict({k: v.float() for k, v in w["tr"].items()})
    text_encoder.to(dev)
    transformer.to(dev)
    params = list(text_encoder.parameters()) + list(transformer.parameters())
    opt = torch.optim.AdamW(params, lr=a.lr, weight_decay=0.01, betas=(0.9, 0.99))
    ema_te, ema_tr = copy.deepcopy(text_encoder).eval(), copy.deepcopy(transformer).eval()
    for p in list(ema_te.parameters()) + list(ema_tr.parameters()):
        p.requires_grad_(False)
    step = 0
    ckpt = os.path.join(work, "last.pt")
    if a.init:
        w = torch.load(os.path.join(a.init, "ema.pt"), map_location="cpu")
        ema_te.load_state_dict({k: v.float() for k, v in w["ema_te"].items()})
        ema_tr.load_state_dict({k: v.float() for k, v in w["ema_tr"].items()})
        step = w["step"]
        log("dit", f"initialised from {a.init} at step {step} (optimiser state starts afresh)")
    elif os.path.exists(ckpt) and not a.fresh:
        s = torch.load(ckpt, map_location=dev)
        text_encoder.load_state_dict(s["te"]); transformer.load_state_dict(s["tr"])
        ema_te.load_state_dict(s["ema_te"]); ema_tr.load_state_dict(s["ema_tr"])
        opt.load_state_dict(s["opt"]); step = s["step"]
        torch.set_rng_state(s["rng"].cpu())
        log("dit", f"resumed at step {step}")
    log("dit", f"clips {len(captions)}, vocab {len(tok)}, transformer {sum(p.numel() for p in transformer.parameters())/1e6:.2f}M, "
               f"text encoder {sum(p.numel() for p in text_encoder.parameters())/1e6:.2f}M params")

    def save():
        tmp = ckpt + ".tmp"
        torch.save({"te": text_encoder.state_dict(), "tr": transformer.state_dict(), "ema_te": ema_te.state_dict(),
                    "ema_tr": ema_tr.state_dict(), "opt": opt.state_dict(), "step": step, "rng": torch.get_rng_state()}, tmp)
        os.replace(tmp, ckpt)
        if a.weights_out:
            os.makedirs(a.weights_out, exist_ok=True)
            half = lambda m: {k: v.detach().half().cpu() for k, v in m.state_dict().items()}
            torch.save({"ema_te": half(ema_te), "ema_tr": half(ema_tr), "step": step}, os.path.join(a.weights_out, "ema.pt"))
            torch.save({"te": half(text_encoder), "tr": half(transformer), "step": step}, os.path.join(a.weights_out, "live.pt"))

    ema_params = list(ema_te.parameters()) + list(ema_tr.parameters())

    def flush(rows):
        """Appends (step, loss) rows to loss.csv; reading the losses in batches keeps a GPU from waiting each step."""
        values = torch.stack([l for _, l in rows]).float().cpu().tolist() if rows else []
        with open(os.path.join(work, "loss.csv"), "a") as f:
            for (n, _), v in zip(rows, values):
                f.write(f"{n},{time.time():.0f},{v:.5f}\n")
        rows[:] = [(n, v) for (n, _), v in zip(rows, values)]

    start = last_save = time.time()
    gen = torch.Generator().manual_seed(a.seed * 1000 + step)
    noise_gen = gen if dev.type == "cpu" else torch.Generator(dev).manual_seed(a.seed * 1000 + step)
    losses, first_step, lr_end = [], step, a.lr if a.lr_end is None else a.lr_end
    while time.time() - start < a.minutes * 60 and (a.steps == 0 or step < a.steps):
        if stream is not None and step % 50 == 0 and stream.pending:
            more, more_captions = stream.poll()
            if more is not None:
                latents = torch.cat([latents, more])
                captions += more_captions
                more_ids, more_mask = tokens(more_captions)
                input_ids, attention = torch.cat([input_ids, more_ids]), torch.cat([attention, more_mask])
                if not stream.pending:
                    log("dit", f"stream: all {len(captions)} clips encoded ({stream.encode_seconds:.0f} s encoding)")
        idx = torch.randint(0, len(captions), (a.batch,), generator=gen).to(dev)
        x0 = latents[idx]
        ids, mask = input_ids[idx].clone(), attention[idx].clone()
        drop = (torch.rand(a.batch, generator=gen) < a.drop_text).to(dev)
        ids[drop], mask[drop] = empty_ids[0], empty_mask[0]
        u = torch.rand(a.batch, generator=gen).to(dev)
        sigma = FLOW_SHIFT * u / (1 + (FLOW_SHIFT - 1) * u)
        noise = torch.randn(x0.shape, generator=noise_gen, device=dev)
        s = sigma.view(-1, 1, 1, 1, 1)
        xt = (1 - s) * x0 + s * noise
        warm = min(1.0, (step + 1 - (first_step if a.init else 0)) / 200)   # fresh Adam moments warm up again
        done = min(1.0, (time.time() - start) / (a.minutes * 60))
        for g in opt.param_groups:
            g["lr"] = (a.lr + (lr_end - a.lr) * done) * warm
        with torch.autocast(dev.type, dtype=torch.bfloat16, enabled=a.bf16):
            text = text_encoder(ids, attention_mask=mask).last_hidden_state
            text = text * mask.unsqueeze(-1)                    # Wan zeroes the rows past the prompt and
            text = torch.nn.functional.pad(text, (0, 0, 0, 512 - text.shape[1]))  # attends over 512 rows
            pred = transformer(xt, sigma * 1000, text, return_dict=False)[0]
        loss = torch.nn.functional.mse_loss(pred.float(), noise - x0)
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        step += 1
        decay = min(a.ema, (1 + step) / (10 + step))
        with torch.no_grad():
            torch._foreach_mul_(ema_params, decay)
            torch._foreach_add_(ema_params, [p.detach() for p in params], alpha=1 - decay)
        losses.append((step, loss.detach()))
        if step % 25 == 0 or a.steps:
            flush(losses)
            log("dit", f"step {step} loss {losses[-1][1]:.4f} lr {opt.param_groups[0]['lr']:.2e} "
                       f"({(time.time() - start) / 60:.1f} min, {len(captions)} clips)")
            losses = []
        if time.time() - last_save > 300:
            save()
            last_save = time.time()
    flush(losses)
    save()
    if stream is not None:
        stream.close()
    log("dit", f"stopped at step {step}")


if __name__ == "__main__":
    main()
