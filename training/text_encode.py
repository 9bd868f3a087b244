"""kino-tiny's caption encoder without transformers: the exported UMT5 encoder (models/kino-tiny/text_encoder,
2 layers) re-implemented in plain torch, and its tokenizer.json read with the `tokenizers` library alone. It gives
what `WanPipeline.encode_prompt(..., max_sequence_length=512)` gives (prompt_clean, tokens + </s>, encoder output
cut to each caption's length and zero-padded), so a GPU machine with only torch needs neither transformers nor its
per-Python binary dependencies (regex, PyYAML). `python3 training/text_encode.py` checks it against the pipeline.
"""
import html
import json
import math
import os
import re

import torch
import torch.nn.functional as F


def clean(text):
    """The pipeline's prompt_clean (without ftfy, which Kino's captions never need)."""
    text = html.unescape(html.unescape(text)).strip()
    return re.sub(r"\s+", " ", text).strip()


class TextEncoder(torch.nn.Module):
    def __init__(self, folder):
        super().__init__()
        from safetensors.torch import load_file
        from tokenizers import Tokenizer
        cfg = json.load(open(os.path.join(folder, "text_encoder", "config.json")))
        assert cfg["model_type"] == "umt5" and cfg["feed_forward_proj"] == "gated-gelu", cfg
        self.cfg = cfg
        self.tok = Tokenizer.from_file(os.path.join(folder, "tokenizer", "tokenizer.json"))
        self.tok.no_padding()
        self.tok.no_truncation()
        w = {k: v.float() for k, v in load_file(os.path.join(folder, "text_encoder", "model.safetensors")).items()}
        self.w = torch.nn.ParameterDict({k.replace(".", "__"): torch.nn.Parameter(v, requires_grad=False)
                                         for k, v in w.items()})

    def p(self, name):
        return self.w[name.replace(".", "__")]

    def tokens(self, lines, max_length=512):
        """(ids [B, L] padded with 0, lens [B]) as the pipeline's tokenizer call gives them (L = longest)."""
        encs = [self.tok.encode(clean(line)).ids[:max_length] for line in lines]
        lens = torch.tensor([len(e) for e in encs])
        ids = torch.zeros(len(encs), int(lens.max()), dtype=torch.long)
        for i, e in enumerate(encs):
            ids[i, :len(e)] = torch.tensor(e)
        return ids, lens

    def bucket(self, rel):
        """UMT5's bidirectional relative-position bucket."""
        nb, maxd = self.cfg["relative_attention_num_buckets"] // 2, self.cfg["relative_attention_max_distance"]
        out = (rel > 0).long() * nb
        rel = rel.abs()
        exact = nb // 2
        large = exact + (torch.log(rel.float().clamp_min(1) / exact) / math.log(maxd / exact) * (nb - exact)).to(torch.long)
        large = large.clamp(max=nb - 1)
        return out + torch.where(rel < exact, rel, large)

    def norm(self, x, name):
        x = x * torch.rsqrt(x.float().pow(2).mean(-1, keepdim=True) + self.cfg["layer_norm_epsilon"])
        return self.p(name) * x

    @torch.no_grad()
    def forward(self, ids, lens):
        """The encoder's last hidden state [B, L, d_model] for token ids [B, L] with valid lengths lens."""
        dev = self.p("shared.weight").device
        ids, lens = ids.to(dev), lens.to(dev)
        b, n = ids.shape
        h, dk = self.cfg["num_heads"], self.cfg["d_kv"]
        mask = torch.arange(n, device=dev)[None] < lens[:, None]
        neg = torch.zeros(b, 1, 1, n, device=dev).masked_fill(~mask[:, None, None, :], torch.finfo(torch.float32).min)
        pos = torch.arange(n, device=dev)
        buckets = self.bucket(pos[None, :] - pos[:, None])                  # memory - query
        x = F.embedding(ids, self.p("shared.weight"))
        for i in range(self.cfg["num_layers"]):
            a = f"encoder.block.{i}.layer.0."
            y = self.norm(x, a + "layer_norm.weight")
            q, k, v = (F.linear(y, self.p(a + f"SelfAttention.{m}.weight")).view(b, n, h, dk).transpose(1, 2)
                       for m in "qkv")
            bias = F.embedding(buckets, self.p(a + "SelfAttention.relative_attention_bias.weight")).permute(2, 0, 1)
            scores = q @ k.transpose(-1, -2) + bias[None] + neg                  # T5: no 1/sqrt(d) scaling
            att = torch.softmax(scores.float(), dim=-1).type_as(scores) @ v
            x = x + F.linear(att.transpose(1, 2).reshape(b, n, h * dk), self.p(a + "SelfAttention.o.weight"))
            f = f"encoder.block.{i}.layer.1."
            y = self.norm(x, f + "layer_norm.weight")
            d = f + "DenseReluDense."
            g = F.gelu(F.linear(y, self.p(d + "wi_0.weight")), approximate="tanh") * F.linear(y, self.p(d + "wi_1.weight"))
            x = x + F.linear(g, self.p(d + "wo.weight"))
        return self.norm(x, "encoder.final_layer_norm.weight")

    def encode(self, lines, rows):
        """Caption embeddings [B, rows, d_model], zero past each caption's tokens (the pipeline pads these to 512)."""
        ids, lens = self.tokens(lines)
        assert int(lens.max()) <= rows, f"a caption of {int(lens.max())} tokens is longer than {rows}"
        out = self.forward(ids, lens)
        out = out * (torch.arange(out.shape[1], device=out.device)[None, :, None] < lens.to(out.device)[:, None, None])
        return F.pad(out, (0, 0, 0, rows - out.shape[1]))


if __name__ == "__main__":
    import sys
    from diffusers import WanPipeline
    folder = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(os.path.abspath(__file__)), "..",
                                                                "models", "kino-tiny")
    pipe = WanPipeline.from_pretrained(folder, torch_dtype=torch.float32)
    lines = ["", "a red ball rolls left across a grassy field", "  two blue cubes &amp; a  star,\tcamera pans right. "]
    lines += json.load(open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "val_prompts.json")))["prompts"]
    lines = [x if isinstance(x, str) else x["prompt"] for x in lines]
    ref = pipe.encode_prompt(lines, do_classifier_free_guidance=False, device=torch.device("cpu"),
                             max_sequence_length=512)[0]
    mine = F.pad(TextEncoder(folder).encode(lines, 64), (0, 0, 0, 448))
    print("max abs diff", (ref - mine).abs().max().item(), "ref scale", ref.abs().max().item())
