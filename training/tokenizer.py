"""The SentencePiece unigram tokenizer of kino-tiny, trained on the world's captions (T5 style: nmt_nfkc
normaliser, <pad>=0, </s>=1, <unk>=2), saved as a transformers T5 tokenizer folder."""
import io
import json
import os

import sentencepiece as spm
from transformers import AutoTokenizer

from common import MAX_TEXT, TEXT_ENCODER
import numpy as np

from world import caption, sample_spec


def caption_corpus(n=6000):
    lines = []
    for seed in range(10_000_000, 10_000_000 + n):
        spec = sample_spec(seed, "train")
        lines.append(caption(spec, np.random.default_rng(seed + 104729)))
    return lines


def build(folder, lines):
    os.makedirs(folder, exist_ok=True)
    model = io.BytesIO()
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(lines), model_writer=model, model_type="unigram", vocab_size=TEXT_ENCODER["vocab_size"],
        normalization_rule_name="nmt_nfkc", pad_id=0, eos_id=1, unk_id=2, bos_id=-1, character_coverage=1.0,
        num_threads=1, minloglevel=2, hard_vocab_limit=False, shuffle_input_sentence=False)
    with open(os.path.join(folder, "spiece.model"), "wb") as f:
        f.write(model.getvalue())
    with open(os.path.join(folder, "tokenizer_config.json"), "w") as f:
        json.dump({"tokenizer_class": "T5Tokenizer", "extra_ids": 0, "model_max_length": MAX_TEXT,
                   "eos_token": "</s>", "unk_token": "<unk>", "pad_token": "<pad>"}, f)
    tok = AutoTokenizer.from_pretrained(folder)
    tok.save_pretrained(folder)      # writes tokenizer.json (Precompiled normaliser) beside spiece.model
    return tok
