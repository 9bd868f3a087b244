#!/usr/bin/env python3
"""Writes the Wan 2.1 golden fixtures that the Swift tests compare against (Tests/Fixtures/wan/).

Offline, CPU, fp32, seeded; a few minutes. Needs torch, diffusers, transformers, sentencepiece, protobuf,
safetensors and accelerate, and must run WITHOUT ftfy (Wan's prompt cleaning then only HTML-unescapes).
CI never runs this; it only reads the output. Usage: python3 Tooling/make_goldens.py [--out DIR]
"""

import argparse
import html
import importlib.util
import os
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "goldens"))

import regex  # noqa: E402  (diffusers' pipeline_wan uses `regex`: \s is Unicode White_Space)
import torch  # noqa: E402
import diffusers  # noqa: E402
import transformers  # noqa: E402
from diffusers import WanPipeline  # noqa: E402

import components as C  # noqa: E402
from fixture_writer import FixtureWriter  # noqa: E402
from hard_strings import HARD_STRINGS, WAN_NEGATIVE_PROMPT  # noqa: E402

PROMPT = "A red ball bounces across green grass"
HEIGHT, WIDTH, FRAMES = 32, 48, 9          # latents [1, 16, 3, 4, 6]; 18 video tokens
PIPELINE_STEPS = 3


def wan_prompt_clean(text: str) -> str:
    """diffusers.pipelines.wan.pipeline_wan.prompt_clean without ftfy. Note the two whitespace sets: str.strip
    uses Python's isspace (which includes U+001C..U+001F), regex's \s is Unicode White_Space (which does not)."""
    text = html.unescape(html.unescape(text)).strip()
    return regex.sub(r"\s+", " ", text).strip()


def tokenizer_goldens(w: FixtureWriter, tokenizer, processor) -> None:
    from diffusers.pipelines.wan import pipeline_wan
    cases = []
    for name, raw in HARD_STRINGS:
        cleaned = pipeline_wan.prompt_clean(raw)
        assert cleaned == wan_prompt_clean(raw), name
        enc = tokenizer([cleaned], padding="max_length", max_length=C.MAX_SEQUENCE_LENGTH, truncation=True,
                        add_special_tokens=True, return_attention_mask=True)
        ids, mask = enc.input_ids[0], enc.attention_mask[0]
        length = sum(mask)
        assert ids[length:] == [tokenizer.pad_token_id] * (len(ids) - length)
        spm_ids = processor.encode(cleaned) + [1]
        cases.append({
            "name": name, "raw": raw, "cleaned": cleaned, "length": length, "ids": ids[:length],
            "tokens": tokenizer.convert_ids_to_tokens(ids[:length]),
            "sentencepiece_ids": spm_ids[:C.MAX_SEQUENCE_LENGTH - 1] + ([1] if len(spm_ids) >= C.MAX_SEQUENCE_LENGTH else []),
        })
    w.json("tokenizer_cases",
           "Hard strings: raw prompt, Wan-cleaned prompt, reference ids (transformers T5Tokenizer, backed by "
           "tokenizer.json) up to and including </s>; the rest of the max_length row is <pad>=0 with mask 0. "
           "sentencepiece_ids: what the spiece.model library gives (informative only).",
           {"tokenizer": "tiny-pipeline/tokenizer", "max_length": C.MAX_SEQUENCE_LENGTH, "pad_id": 0, "eos_id": 1,
            "unk_id": 2, "cases": cases})


def text_encoder_goldens(w: FixtureWriter, pipe: WanPipeline) -> None:
    prompts = [PROMPT, WAN_NEGATIVE_PROMPT, "", dict(HARD_STRINGS)["long"]]
    cleaned = [wan_prompt_clean(p) for p in prompts]
    enc = pipe.tokenizer(cleaned, padding="max_length", max_length=C.MAX_SEQUENCE_LENGTH, truncation=True,
                         add_special_tokens=True, return_attention_mask=True, return_tensors="pt")
    with torch.no_grad():
        hidden = pipe.text_encoder(enc.input_ids, enc.attention_mask).last_hidden_state
        embeds = pipe._get_t5_prompt_embeds(prompts, max_sequence_length=C.MAX_SEQUENCE_LENGTH,
                                            device=torch.device("cpu"), dtype=torch.float32)
    w.tensors("text_encoder", "Tiny UMT5 encoder (text_encoder/ of tiny-pipeline) on 4 prompts: "
              "[PROMPT, Wan negative prompt, empty, long(truncated)]",
              {"input_ids": (enc.input_ids, "[4, 512] token ids, padded with 0"),
               "attention_mask": (enc.attention_mask, "[4, 512] 1 for real tokens"),
               "last_hidden_state": (hidden, "[4, 512, 32] encoder output run WITH the mask (padded rows too)"),
               "prompt_embeds": (embeds, "[4, 512, 32] WanPipeline._get_t5_prompt_embeds: rows past the real "
                                         "length set to exactly 0")})


def vae_goldens(w: FixtureWriter, vae) -> None:
    g = torch.Generator().manual_seed(11)
    video = torch.rand((1, 3, FRAMES, HEIGHT, WIDTH), generator=g) * 2 - 1
    with torch.no_grad():
        posterior = vae.encode(video).latent_dist
        mean = posterior.mean
        latents_mean = torch.tensor(vae.config.latents_mean).view(1, -1, 1, 1, 1)
        latents_std = torch.tensor(vae.config.latents_std).view(1, -1, 1, 1, 1)
        normalized = (mean - latents_mean) / latents_std
        decoded = vae.decode(mean).sample
    w.tensors("vae", "Tiny AutoencoderKLWan (vae/ of tiny-pipeline): encode a random clip, decode its mean",
              {"video": (video, "[1, 3, 9, 32, 48] input in [-1, 1]"),
               "posterior_mean": (mean, "[1, 16, 3, 4, 6] latent_dist.mean (first 16 channels of quant_conv)"),
               "posterior_logvar": (posterior.logvar, "[1, 16, 3, 4, 6] latent_dist.logvar (clamped -30..20)"),
               "normalized_latents": (normalized, "[1, 16, 3, 4, 6] (mean - latents_mean) / latents_std"),
               "decoded": (decoded, "[1, 3, 9, 32, 48] vae.decode(posterior_mean).sample, clamped to [-1, 1]")})


def transformer_goldens(w: FixtureWriter, pipe: WanPipeline, hd128) -> None:
    g = torch.Generator().manual_seed(21)
    embeds = pipe._get_t5_prompt_embeds([PROMPT, WAN_NEGATIVE_PROMPT], max_sequence_length=C.MAX_SEQUENCE_LENGTH,
                                        device=torch.device("cpu"), dtype=torch.float32)
    x0 = torch.randn((1, 16, 3, HEIGHT // 8, WIDTH // 8), generator=g)
    x1 = torch.randn((1, 16, 3, HEIGHT // 8, WIDTH // 8), generator=g)
    x2 = torch.randn((1, 16, 3, 6, 4), generator=g)
    with torch.no_grad():
        out0 = pipe.transformer(x0, torch.tensor([757.0]), embeds[:1], return_dict=False)[0]
        out1 = pipe.transformer(x1, torch.tensor([33.5]), embeds[1:], return_dict=False)[0]
        out2 = hd128(x2, torch.tensor([500.0]), embeds[:1], return_dict=False)[0]
    w.tensors("transformer", "Tiny WanTransformer3DModel (transformer/ of tiny-pipeline, head dim 12) on two "
              "inputs, and the head-dim-128 model (transformer-hd128/) on one",
              {"hidden_states_0": (x0, "[1, 16, 3, 4, 6] latents"),
               "timestep_0": (torch.tensor([757.0]), "[1]"),
               "encoder_hidden_states_0": (embeds[:1], "[1, 512, 32] prompt_embeds of PROMPT (zero-padded rows)"),
               "output_0": (out0, "[1, 16, 3, 4, 6] transformer output (velocity)"),
               "hidden_states_1": (x1, "[1, 16, 3, 4, 6] latents"),
               "timestep_1": (torch.tensor([33.5]), "[1] fractional timestep"),
               "encoder_hidden_states_1": (embeds[1:], "[1, 512, 32] prompt_embeds of the Wan negative prompt"),
               "output_1": (out1, "[1, 16, 3, 4, 6]"),
               "hd128_hidden_states": (x2, "[1, 16, 3, 6, 4] latents (H' 3, W' 2 after patching)"),
               "hd128_timestep": (torch.tensor([500.0]), "[1]"),
               "hd128_encoder_hidden_states": (embeds[:1], "[1, 512, 32] same as encoder_hidden_states_0"),
               "hd128_output": (out2, "[1, 16, 3, 6, 4] output of transformer-hd128/")})


def scheduler_goldens(w: FixtureWriter) -> dict:
    variants = {"unipc_shift3": lambda: C.build_unipc(), "unipc_shift5": lambda: C.build_unipc(flow_shift=5.0),
                "euler_shift7": lambda: C.build_euler(), "euler_shift3": lambda: C.build_euler(shift=3.0)}
    schedules, tensors, configs = {}, {}, {}
    g = torch.Generator().manual_seed(31)
    sample0 = torch.randn((1, 16, 2, 2, 2), generator=g)
    model_outputs = torch.randn((6, 1, 16, 2, 2, 2), generator=g)
    tensors["sample_0"] = (sample0, "[1, 16, 2, 2, 2] initial sample for every step sequence")
    tensors["model_outputs"] = (model_outputs, "[6, 1, 16, 2, 2, 2] model output fed at step i")
    for name, make in variants.items():
        # `_use_default_values` is an unordered set in diffusers; leave it out so reruns are byte-identical.
        configs[name] = {k: v for k, v in make().config.items() if k != "_use_default_values"}
        schedules[name] = {}
        for steps in (1, 2, 3, 4, 10, 50):
            s = make()
            s.set_timesteps(steps)
            schedules[name][str(steps)] = {"timesteps": s.timesteps.tolist(),
                                           "sigmas": s.sigmas.to(torch.float64).tolist()}
        s = make()
        s.set_timesteps(6)
        s.set_begin_index(0)
        x = sample0.clone()
        outs = []
        for i, t in enumerate(s.timesteps):
            x = s.step(model_outputs[i], t, x, return_dict=False)[0]
            outs.append(x)
        tensors[f"{name}_steps"] = (torch.stack(outs), f"[6, 1, 16, 2, 2, 2] sample after each step() of a "
                                                        f"6-step {name} schedule")
    w.json("schedulers", "timesteps and sigmas (sigmas have one more entry, the final 0) per scheduler variant "
           "and step count; configs are the full diffusers configs", {"configs": configs, "schedules": schedules})
    w.tensors("scheduler_steps", "step() sequences: 6 steps from sample_0 with model_outputs[i] at step i",
              tensors)
    return configs


def pipeline_goldens(w: FixtureWriter, folder: str) -> None:
    g = torch.Generator().manual_seed(41)
    init = torch.randn((1, 16, (FRAMES - 1) // 4 + 1, HEIGHT // 8, WIDTH // 8), generator=g)
    tensors = {"initial_latents": (init, "[1, 16, 3, 4, 6] the explicit `latents` (what --noise gives)")}
    runs = {}
    for sched in ("euler", "unipc"):
        for guidance in (1.0, 5.0):
            pipe = WanPipeline.from_pretrained(folder, torch_dtype=torch.float32)
            if sched == "euler":
                pipe.scheduler = C.build_euler()
            captured, steps = {}, []
            decode = pipe.vae.decode

            def capture_decode(z, *args, _decode=decode, **kwargs):
                out = _decode(z, *args, **kwargs)
                captured["video"] = out[0] if isinstance(out, tuple) else out.sample
                return out
            pipe.vae.decode = capture_decode

            def on_step(p, i, t, kw):
                steps.append(kw["latents"].clone())
                return {}
            pipe(prompt=PROMPT, negative_prompt=WAN_NEGATIVE_PROMPT if guidance > 1 else None, height=HEIGHT,
                 width=WIDTH, num_frames=FRAMES, num_inference_steps=PIPELINE_STEPS, guidance_scale=guidance,
                 latents=init.clone(), output_type="np", max_sequence_length=C.MAX_SEQUENCE_LENGTH,
                 callback_on_step_end=on_step, callback_on_step_end_tensor_inputs=["latents"])
            key = f"{sched}_g{int(guidance)}"
            runs[key] = {"scheduler": sched, "guidance_scale": guidance, "steps": PIPELINE_STEPS,
                         "prompt": PROMPT, "negative_prompt": WAN_NEGATIVE_PROMPT if guidance > 1 else None,
                         "timesteps": pipe.scheduler.timesteps.tolist()}
            tensors[f"{key}_step_latents"] = (torch.stack(steps), "[3, 1, 16, 3, 4, 6] latents after each step")
            tensors[f"{key}_video"] = (captured["video"], "[1, 3, 9, 32, 48] vae.decode output (clamped [-1, 1])")
    w.json("pipelines", "WanPipeline runs on tiny-pipeline/ (euler runs swap in FlowMatchEulerDiscreteScheduler "
           "with schedulers.json configs.euler_shift7; unipc runs use the folder's scheduler/)",
           {"height": HEIGHT, "width": WIDTH, "num_frames": FRAMES, "max_sequence_length": C.MAX_SEQUENCE_LENGTH,
            "runs": runs})
    w.tensors("pipelines", "Whole-pipeline goldens (see pipelines.json)", tensors)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    parser.add_argument("--out", default=os.path.join(root, "Tests", "Fixtures", "wan"))
    args = parser.parse_args()
    if importlib.util.find_spec("ftfy") is not None:
        sys.exit("ftfy is installed: Wan's prompt cleaning would use it; uninstall it to make the goldens.")
    torch.set_num_threads(2)
    torch.use_deterministic_algorithms(True)
    if os.path.exists(args.out):  # start clean, but keep the hand-written README.md
        for entry in os.listdir(args.out):
            path = os.path.join(args.out, entry)
            if entry != "README.md":
                shutil.rmtree(path) if os.path.isdir(path) else os.remove(path)
    w = FixtureWriter(args.out)
    folder = os.path.join(args.out, "tiny-pipeline")
    with tempfile.TemporaryDirectory() as tmp:
        tokenizer, processor, spiece = C.build_tokenizer(tmp)
        pipe = WanPipeline(tokenizer=tokenizer, text_encoder=C.build_text_encoder(1), vae=C.build_vae(2),
                           scheduler=C.build_unipc(), transformer=C.build_transformer(3, C.TRANSFORMER_CONFIG))
        pipe.save_pretrained(folder, safe_serialization=True)
        shutil.copy(spiece, os.path.join(folder, "tokenizer", "spiece.model"))
    hd128 = C.build_transformer(4, C.TRANSFORMER_HD128_CONFIG)
    hd128.save_pretrained(os.path.join(args.out, "transformer-hd128"), safe_serialization=True)
    # Everything below uses the pipeline as loaded back from the folder the Swift loader reads.
    pipe = WanPipeline.from_pretrained(folder, torch_dtype=torch.float32)
    assert len(pipe.tokenizer) == C.SPM_VOCAB_SIZE, len(pipe.tokenizer)
    tokenizer_goldens(w, pipe.tokenizer, processor)
    text_encoder_goldens(w, pipe)
    vae_goldens(w, pipe.vae)
    transformer_goldens(w, pipe, hd128)
    configs = scheduler_goldens(w)
    pipeline_goldens(w, folder)
    w.finish({
        "versions": {"torch": torch.__version__, "diffusers": diffusers.__version__,
                     "transformers": transformers.__version__, "sentencepiece": __import__("sentencepiece").__version__,
                     "python": sys.version.split()[0]},
        "configs": {"text_encoder": C.TEXT_ENCODER_CONFIG, "vae": C.VAE_CONFIG,
                    "transformer": C.TRANSFORMER_CONFIG, "transformer_hd128": C.TRANSFORMER_HD128_CONFIG,
                    "schedulers": configs},
        "generated_by": "Tooling/make_goldens.py",
        "dtype": "float32",
        "tolerances": {"component_relative": 1e-4, "pipeline_video_max_abs": 1e-3},
    })
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
