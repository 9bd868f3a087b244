"""Stage 4: export the EMA weights as a diffusers WanPipeline folder in fp16, plus kino.json and the model card.

    python3 training/export.py --out models/kino-tiny
"""
import argparse
import json
import os
import shutil

import numpy as np
import torch


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default="models/kino-tiny")
    ap.add_argument("--checkpoint", default=None, help="train_dit.py's last.pt, or an ema.pt from --weights-out")
    ap.add_argument("--vae", default=None, help="VAE checkpoint (default WORK/vae/last.pt; train_vae.py "
                    "--decoder-only writes WORK/vae/decoder.pt)")
    ap.add_argument("--raw", action="store_true", help="export the live weights instead of the EMA (for comparison)")
    a = ap.parse_args()
    from diffusers import AutoencoderKLWan, UniPCMultistepScheduler, WanPipeline, WanTransformer3DModel
    from transformers import AutoTokenizer, UMT5Config, UMT5EncoderModel
    from common import FLOW_SHIFT, FPS, TEXT_ENCODER, TRANSFORMER, VAE, path

    tok = AutoTokenizer.from_pretrained(path("tokenizer"))
    state = torch.load(a.checkpoint or path("dit", "last.pt"))
    te = UMT5EncoderModel(UMT5Config(**{**TEXT_ENCODER, "vocab_size": len(tok)}))
    te.load_state_dict(state["te" if a.raw else "ema_te"])
    tr = WanTransformer3DModel(**TRANSFORMER)
    tr.load_state_dict(state["tr" if a.raw else "ema_tr"])
    stats = np.load(path("latents.npz"))
    vae = AutoencoderKLWan(**VAE, latents_mean=stats["mean"].tolist(), latents_std=stats["std"].tolist())
    vae.load_state_dict(torch.load(a.vae or path("vae", "last.pt"))["model"])
    scheduler = UniPCMultistepScheduler(prediction_type="flow_prediction", use_flow_sigmas=True, flow_shift=FLOW_SHIFT,
                                        num_train_timesteps=1000, solver_order=2)
    pipe = WanPipeline(tokenizer=tok, text_encoder=te.eval(), vae=vae.eval(), transformer=tr.eval(), scheduler=scheduler)
    pipe.to(torch.float16)
    if os.path.exists(a.out):
        for part in ["transformer", "text_encoder", "vae", "tokenizer", "scheduler"]:
            shutil.rmtree(os.path.join(a.out, part), ignore_errors=True)
    pipe.save_pretrained(a.out, safe_serialization=True)
    kino = {"name": "kino-tiny", "description": f"Kino's own small model, trained on procedural clips (step {state['step']}{', live weights' if a.raw else ''})",
            "native_sizes": [[128, 80]], "default_size": [512, 320], "fps": FPS, "seconds": 4, "steps": 20,
            "guidance": 5.0, "scheduler": "unipc", "negative_prompt": "", "turbo_steps": 11, "turbo_shift": 4.0}
    with open(os.path.join(a.out, "kino.json"), "w") as f:
        json.dump(kino, f, indent=1)
    total = sum(os.path.getsize(os.path.join(r, n)) for r, _, ns in os.walk(a.out) for n in ns)
    print(f"exported step {state['step']} to {a.out}: {total / 1e6:.1f} MB")


if __name__ == "__main__":
    main()
