"""Tiny random Wan components (seeded) built with diffusers/transformers."""

import io
import json
import os

import sentencepiece as spm
import torch
from diffusers import (AutoencoderKLWan, FlowMatchEulerDiscreteScheduler, UniPCMultistepScheduler,
                       WanTransformer3DModel)
from transformers import AutoTokenizer, UMT5Config, UMT5EncoderModel

from fixture_writer import perturb_constant_parameters
from hard_strings import training_lines

MAX_SEQUENCE_LENGTH = 512  # Wan's real text length; the tiny pipeline keeps it.
SPM_VOCAB_SIZE = 448

# Real Wan 2.1 latent statistics (z_dim 16).
LATENTS_MEAN = [-0.7571, -0.7089, -0.9113, 0.1075, -0.1745, 0.9653, -0.1517, 1.5508,
                0.4134, -0.0715, 0.5517, -0.3632, -0.1922, -0.9497, 0.2503, -0.2921]
LATENTS_STD = [2.8184, 1.4541, 2.3275, 2.6558, 1.2196, 1.7708, 2.6052, 2.0743,
               3.2687, 2.1526, 2.8652, 1.5579, 1.6382, 1.1253, 2.8251, 1.9160]

TEXT_ENCODER_CONFIG = dict(
    vocab_size=SPM_VOCAB_SIZE, d_model=32, d_kv=8, d_ff=64, num_layers=2, num_heads=4,
    relative_attention_num_buckets=8, relative_attention_max_distance=16, dropout_rate=0.0,
    layer_norm_epsilon=1e-6, feed_forward_proj="gated-gelu", is_encoder_decoder=False, use_cache=False,
    pad_token_id=0, eos_token_id=1, decoder_start_token_id=0, tie_word_embeddings=False,
)

VAE_CONFIG = dict(
    base_dim=4, z_dim=16, dim_mult=[1, 2, 4, 4], num_res_blocks=2, attn_scales=[],
    temperal_downsample=[False, True, True], dropout=0.0,
    latents_mean=LATENTS_MEAN, latents_std=LATENTS_STD,
)

# The diffusers test configuration (head dim 12: RoPE split 4/4/4).
TRANSFORMER_CONFIG = dict(
    patch_size=(1, 2, 2), num_attention_heads=2, attention_head_dim=12, in_channels=16, out_channels=16,
    text_dim=32, freq_dim=256, ffn_dim=32, num_layers=2, cross_attn_norm=True,
    qk_norm="rms_norm_across_heads", eps=1e-6, rope_max_seq_len=32,
)

# Head dim 128 as in the real models (RoPE split 44/42/42), kept tiny otherwise.
TRANSFORMER_HD128_CONFIG = dict(
    patch_size=(1, 2, 2), num_attention_heads=1, attention_head_dim=128, in_channels=16, out_channels=16,
    text_dim=32, freq_dim=256, ffn_dim=64, num_layers=1, cross_attn_norm=True,
    qk_norm="rms_norm_across_heads", eps=1e-6, rope_max_seq_len=1024,
)

# As in Wan-AI/Wan2.1-T2V-1.3B-Diffusers scheduler/scheduler_config.json.
UNIPC_CONFIG = dict(
    num_train_timesteps=1000, solver_order=2, prediction_type="flow_prediction", use_flow_sigmas=True,
    flow_shift=3.0, predict_x0=True, solver_type="bh2", lower_order_final=True, final_sigmas_type="zero",
    timestep_spacing="linspace", steps_offset=0,
)

# As in diffusers' tiny Wan pipeline test: shift applied to the sigma endpoints and again to the sigmas.
EULER_CONFIG = dict(num_train_timesteps=1000, shift=7.0)


def build_tokenizer(workdir: str):
    """Trains a small T5-style unigram SentencePiece model and loads it through transformers.

    `T5TokenizerFast(vocab_file=...)` silently builds a 4-token vocabulary in transformers 5, so the model
    goes into a folder with a tokenizer_config.json and is loaded with from_pretrained; the vocabulary size
    is asserted."""
    model = io.BytesIO()
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(training_lines()), model_writer=model, model_type="unigram",
        vocab_size=SPM_VOCAB_SIZE, normalization_rule_name="nmt_nfkc", pad_id=0, eos_id=1, unk_id=2,
        bos_id=-1, character_coverage=1.0, num_threads=1, minloglevel=2, hard_vocab_limit=False,
        seed_sentencepiece_size=100000, shuffle_input_sentence=False,
    )
    folder = os.path.join(workdir, "spm-tokenizer")
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, "spiece.model"), "wb") as f:
        f.write(model.getvalue())
    with open(os.path.join(folder, "tokenizer_config.json"), "w") as f:
        json.dump({"tokenizer_class": "T5Tokenizer", "extra_ids": 0, "model_max_length": MAX_SEQUENCE_LENGTH,
                   "eos_token": "</s>", "unk_token": "<unk>", "pad_token": "<pad>"}, f)
    processor = spm.SentencePieceProcessor(model_proto=model.getvalue())
    tokenizer = AutoTokenizer.from_pretrained(folder)
    assert processor.get_piece_size() == SPM_VOCAB_SIZE, processor.get_piece_size()
    assert len(tokenizer) == SPM_VOCAB_SIZE, f"tokenizer has {len(tokenizer)} tokens, expected {SPM_VOCAB_SIZE}"
    assert tokenizer.backend_tokenizer.normalizer is not None, "no Precompiled normaliser"
    return tokenizer, processor, os.path.join(folder, "spiece.model")


def build_text_encoder(seed: int) -> UMT5EncoderModel:
    torch.manual_seed(seed)
    model = UMT5EncoderModel(UMT5Config(**TEXT_ENCODER_CONFIG)).eval()
    perturb_constant_parameters(model, torch.Generator().manual_seed(seed + 1))
    return model


def build_vae(seed: int) -> AutoencoderKLWan:
    torch.manual_seed(seed)
    model = AutoencoderKLWan(**VAE_CONFIG).eval()
    perturb_constant_parameters(model, torch.Generator().manual_seed(seed + 1))
    return model


def build_transformer(seed: int, config: dict) -> WanTransformer3DModel:
    torch.manual_seed(seed)
    model = WanTransformer3DModel(**config).eval()
    perturb_constant_parameters(model, torch.Generator().manual_seed(seed + 1))
    return model


def build_unipc(**overrides) -> UniPCMultistepScheduler:
    return UniPCMultistepScheduler(**{**UNIPC_CONFIG, **overrides})


def build_euler(**overrides) -> FlowMatchEulerDiscreteScheduler:
    return FlowMatchEulerDiscreteScheduler(**{**EULER_CONFIG, **overrides})
