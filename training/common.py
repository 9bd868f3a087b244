"""Shared settings and helpers of the kino-tiny recipe (see training/README.md)."""
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)

# Where data, checkpoints and logs go (outside git): override with KINO_TRAIN_DIR.
WORK = os.environ.get("KINO_TRAIN_DIR", "/work/kino-train")

WIDTH, HEIGHT, FRAMES, FPS = 128, 80, 33, 8
MAX_TEXT = 64          # the captions are short; the exported pipeline pads to this length

TEXT_ENCODER = dict(vocab_size=1000, d_model=128, d_kv=32, d_ff=256, num_layers=2, num_heads=4,
                    relative_attention_num_buckets=32, relative_attention_max_distance=128, dropout_rate=0.0,
                    layer_norm_epsilon=1e-6, feed_forward_proj="gated-gelu", is_encoder_decoder=False,
                    use_cache=False, pad_token_id=0, eos_token_id=1, decoder_start_token_id=0,
                    tie_word_embeddings=False)
VAE = dict(base_dim=16, z_dim=16, dim_mult=[1, 2, 2, 2], num_res_blocks=1, attn_scales=[],
           temperal_downsample=[False, True, True], dropout=0.0)
TRANSFORMER = dict(patch_size=(1, 2, 2), num_attention_heads=4, attention_head_dim=64, in_channels=16,
                   out_channels=16, text_dim=128, freq_dim=256, ffn_dim=1024, num_layers=6, cross_attn_norm=True,
                   qk_norm="rms_norm_across_heads", eps=1e-6, rope_max_seq_len=128)
FLOW_SHIFT = 3.0


def path(*parts):
    p = os.path.join(WORK, *parts)
    os.makedirs(os.path.dirname(p), exist_ok=True)
    return p


def log(name, text):
    line = f"{text}"
    print(line, flush=True)
    with open(path("logs", name + ".log"), "a") as f:
        f.write(line + "\n")


def save_json(obj, p):
    with open(p, "w") as f:
        json.dump(obj, f, indent=1)
