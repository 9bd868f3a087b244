#!/usr/bin/env python3
"""Writes the Wan 2.2 TI2V golden fixtures the Swift tests compare against (Tests/Fixtures/ti2v/).

A tiny random model of TI2V-5B's architecture (Wan 2.2 VAE: residual blocks, patch 2, 16x spatial; the
transformer with 2x2 patches over its latents; `expand_timesteps: true`), saved as a diffusers folder, and:
- one transformer forward with per-token timesteps (latent frame 0 at t = 0, the rest at t), as the pipeline
  calls it for image-to-video;
- WanPipeline text-to-video and WanImageToVideoPipeline image-to-video runs with explicit initial latents
  (guidance 5 with a negative prompt, and guidance 1), with the latents after every step and the decoded video.

Offline, CPU, fp32, seeded; under a minute. Same requirements as make_goldens.py (no ftfy).
Usage: python3 Tooling/make_ti2v_goldens.py [--out DIR]
"""

import argparse
import importlib.util
import os
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "goldens"))

import numpy as np  # noqa: E402
import torch  # noqa: E402
import diffusers  # noqa: E402
import transformers  # noqa: E402
from diffusers import AutoencoderKLWan, WanImageToVideoPipeline, WanPipeline  # noqa: E402
from diffusers.pipelines.wan import pipeline_wan, pipeline_wan_i2v  # noqa: E402
from PIL import Image  # noqa: E402

import components as C  # noqa: E402
from fixture_writer import FixtureWriter, perturb_constant_parameters  # noqa: E402
from hard_strings import WAN_NEGATIVE_PROMPT  # noqa: E402

PROMPT = "A red ball bounces across green grass"
HEIGHT, WIDTH, FRAMES = 64, 96, 9          # latents [1, 8, 3, 4, 6]; 2x3 tokens per latent frame
STEPS = 3
Z = 8

# TI2V-5B's VAE layout at toy widths: residual blocks, patch 2 (12 input channels), 4 levels (8x) -> 16x.
VAE22_CONFIG = dict(
    base_dim=4, decoder_base_dim=6, z_dim=Z, dim_mult=[1, 2, 4, 4], num_res_blocks=2, attn_scales=[],
    temperal_downsample=[False, True, True], dropout=0.0, is_residual=True, in_channels=12, out_channels=12,
    patch_size=2, scale_factor_temporal=4, scale_factor_spatial=16,
    latents_mean=[-0.21, 0.33, -0.05, 0.12, 0.4, -0.27, 0.08, -0.11],
    latents_std=[0.9, 1.3, 0.7, 1.1, 0.85, 1.6, 1.05, 0.75],
)

TRANSFORMER_CONFIG = dict(C.TRANSFORMER_CONFIG, in_channels=Z, out_channels=Z)


# diffusers' image-to-video module calls ftfy unconditionally; without ftfy its text-to-video twin only
# HTML-unescapes, which is what Kino matches (make_goldens.py).
pipeline_wan_i2v.prompt_clean = pipeline_wan.prompt_clean


def build_vae22(seed: int) -> AutoencoderKLWan:
    torch.manual_seed(seed)
    model = AutoencoderKLWan(**VAE22_CONFIG).eval()
    perturb_constant_parameters(model, torch.Generator().manual_seed(seed + 1))
    return model


def picture() -> Image.Image:
    """A smooth deterministic picture (gradients and a disc) at the generation size."""
    y, x = np.mgrid[0:HEIGHT, 0:WIDTH].astype(np.float32)
    r = 0.5 + 0.5 * np.sin(x / 9.0)
    g = y / (HEIGHT - 1)
    b = ((x - 60) ** 2 + (y - 30) ** 2 < 15 ** 2).astype(np.float32)
    rgb = np.stack([r, g, 0.2 + 0.6 * b], axis=-1)
    return Image.fromarray((rgb * 255).round().astype(np.uint8), "RGB")


def capture(pipe, steps: list, captured: dict):
    decode = pipe.vae.decode

    def capture_decode(z, *args, _decode=decode, **kwargs):
        out = _decode(z, *args, **kwargs)
        captured["video"] = out[0] if isinstance(out, tuple) else out.sample
        return out
    pipe.vae.decode = capture_decode

    def on_step(p, i, t, kw):
        steps.append(kw["latents"].clone())
        return {}
    return on_step


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    parser.add_argument("--out", default=os.path.join(root, "Tests", "Fixtures", "ti2v"))
    args = parser.parse_args()
    if importlib.util.find_spec("ftfy") is not None:
        sys.exit("ftfy is installed: Wan's prompt cleaning would use it; uninstall it to make the goldens.")
    torch.set_num_threads(2)
    torch.use_deterministic_algorithms(True)
    if os.path.exists(args.out):
        for entry in os.listdir(args.out):
            path = os.path.join(args.out, entry)
            if entry != "README.md":
                shutil.rmtree(path) if os.path.isdir(path) else os.remove(path)
    w = FixtureWriter(args.out)
    folder = os.path.join(args.out, "tiny-ti2v")
    with tempfile.TemporaryDirectory() as tmp:
        tokenizer, _, spiece = C.build_tokenizer(tmp)
        pipe = WanPipeline(tokenizer=tokenizer, text_encoder=C.build_text_encoder(11), vae=build_vae22(12),
                           scheduler=C.build_unipc(flow_shift=5.0),
                           transformer=C.build_transformer(13, TRANSFORMER_CONFIG), expand_timesteps=True)
        pipe.save_pretrained(folder, safe_serialization=True)
        shutil.copy(spiece, os.path.join(folder, "tokenizer", "spiece.model"))
    image = picture()
    image.save(os.path.join(args.out, "first_frame.png"))

    g = torch.Generator().manual_seed(51)
    shape = (1, Z, (FRAMES - 1) // 4 + 1, HEIGHT // 16, WIDTH // 16)
    init = torch.randn(shape, generator=g)
    tensors = {"initial_latents": (init, f"{list(shape)} the explicit `latents` (what --noise gives)")}

    # One transformer forward with per-token timesteps, as the image-to-video loop makes them.
    pipe = WanPipeline.from_pretrained(folder, torch_dtype=torch.float32)
    assert pipe.config.expand_timesteps
    text = torch.randn((1, 7, TRANSFORMER_CONFIG["text_dim"]), generator=g)
    mask = torch.ones(shape)
    mask[:, :, 0] = 0
    per_token = (mask[0][0][:, ::2, ::2] * 700.0).flatten().unsqueeze(0)
    with torch.no_grad():
        out = pipe.transformer(hidden_states=init, timestep=per_token, encoder_hidden_states=text, return_dict=False)[0]
        uniform = pipe.transformer(hidden_states=init, timestep=torch.tensor([700.0]), encoder_hidden_states=text,
                                   return_dict=False)[0]
        expanded = pipe.transformer(hidden_states=init, timestep=torch.full_like(per_token, 700.0),
                                    encoder_hidden_states=text, return_dict=False)[0]
    assert torch.allclose(uniform, expanded, atol=1e-5), "per-token timesteps that are all equal must match the scalar form"
    tensors["transformer_text"] = (text, "[1, 7, 32] encoder_hidden_states")
    tensors["transformer_per_token_timesteps"] = (per_token, "[1, 18] frame 0's tokens at 0, the rest at 700")
    tensors["transformer_out"] = (out, f"{list(shape)} output with those per-token timesteps")
    tensors["transformer_out_uniform"] = (uniform, f"{list(shape)} output with timestep 700 everywhere")

    # The conditioning image exactly as the I2V pipeline sees it, and its normalised latents.
    i2v = WanImageToVideoPipeline.from_pretrained(folder, torch_dtype=torch.float32, image_encoder=None,
                                                  image_processor=None)
    assert i2v.config.expand_timesteps
    pre = i2v.video_processor.preprocess(image, height=HEIGHT, width=WIDTH)
    pixels = torch.from_numpy(np.asarray(image, dtype=np.float32)).permute(2, 0, 1)[None] / 127.5 - 1
    assert torch.allclose(pre, pixels, atol=1e-6), "preprocessing must be x / 127.5 - 1 at the generation size"
    vae = i2v.vae
    mean = torch.tensor(vae.config.latents_mean).view(1, Z, 1, 1, 1)
    inv_std = 1.0 / torch.tensor(vae.config.latents_std).view(1, Z, 1, 1, 1)
    with torch.no_grad():
        cond = (vae.encode(pre.unsqueeze(2)).latent_dist.mode() - mean) * inv_std
    tensors["image"] = (pre.unsqueeze(2), f"[1, 3, 1, {HEIGHT}, {WIDTH}] first_frame.png in [-1, 1]")
    tensors["image_latents"] = (cond, f"[1, {Z}, 1, 4, 6] its normalised latents (the condition)")

    runs = {}
    for mode in ("t2v", "i2v"):
        for guidance in (5.0, 1.0):
            if mode == "t2v" and guidance == 1.0:
                continue
            cls = WanPipeline if mode == "t2v" else WanImageToVideoPipeline
            extra = {} if mode == "t2v" else {"image_encoder": None, "image_processor": None}
            pipe = cls.from_pretrained(folder, torch_dtype=torch.float32, **extra)
            steps, captured = [], {}
            on_step = capture(pipe, steps, captured)
            kwargs = {} if mode == "t2v" else {"image": image}
            pipe(prompt=PROMPT, negative_prompt=WAN_NEGATIVE_PROMPT if guidance > 1 else None, height=HEIGHT,
                 width=WIDTH, num_frames=FRAMES, num_inference_steps=STEPS, guidance_scale=guidance,
                 latents=init.clone(), output_type="np", max_sequence_length=C.MAX_SEQUENCE_LENGTH,
                 callback_on_step_end=on_step, callback_on_step_end_tensor_inputs=["latents"], **kwargs)
            key = f"{mode}_g{int(guidance)}"
            runs[key] = {"mode": mode, "guidance_scale": guidance, "steps": STEPS, "prompt": PROMPT,
                         "negative_prompt": WAN_NEGATIVE_PROMPT if guidance > 1 else None,
                         "timesteps": pipe.scheduler.timesteps.tolist()}
            tensors[f"{key}_step_latents"] = (torch.stack(steps), f"[{STEPS}, 1, {Z}, 3, 4, 6] latents after each step "
                                              "(before the final replacement of frame 0)")
            tensors[f"{key}_video"] = (captured["video"], f"[1, 3, {FRAMES}, {HEIGHT}, {WIDTH}] vae.decode output")
    w.json("pipelines", "Runs on tiny-ti2v/: WanPipeline (t2v) and WanImageToVideoPipeline with expand_timesteps "
           "(i2v, image first_frame.png), UniPC from the folder (flow shift 5)",
           {"height": HEIGHT, "width": WIDTH, "num_frames": FRAMES, "max_sequence_length": C.MAX_SEQUENCE_LENGTH,
            "runs": runs})
    w.tensors("goldens", "Transformer and whole-pipeline goldens (see pipelines.json)", tensors)
    w.finish({
        "versions": {"torch": torch.__version__, "diffusers": diffusers.__version__,
                     "transformers": transformers.__version__, "python": sys.version.split()[0]},
        "configs": {"vae": VAE22_CONFIG, "transformer": TRANSFORMER_CONFIG},
        "generated_by": "Tooling/make_ti2v_goldens.py",
        "dtype": "float32",
        "tolerances": {"component_relative": 1e-4, "pipeline_video_max_abs": 1e-3},
    })
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
