"""Writes kino-tiny's `vocabulary` into models/kino-tiny/kino.json: the words its training captions use (from
20,000 sampled captions of the procedural world) and, by kind, the words worth suggesting. Front ends use it to
show which words of a prompt the model knows (`kino generate` hints, the studio). Needs numpy only.

    python3 training/export_vocabulary.py [--check]
"""
import json
import re
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from world import caption, sample_spec  # noqa: E402
from world.caption import CAMERA, COLOUR_WORDS, DOWN, NOUNS, OTHER, SCENE, STYLE, TRAVEL, UP, WEATHER  # noqa: E402

MODEL = Path(__file__).resolve().parent.parent / "models" / "kino-tiny" / "kino.json"


def words(text):
    return re.findall(r"[a-z0-9]+", text.lower())


def vocabulary(samples=20000):
    seen = set()
    for seed in range(samples):
        spec = sample_spec(seed)
        seen.update(words(caption(spec, np.random.default_rng(seed))))
    motions = sorted({v[0] for vs in TRAVEL.values() for v in vs} | {v[0] for v in UP + DOWN}
                     | {v[0] for vs in OTHER.values() for v in vs})
    kinds = {
        "objects": sorted({w for ws in NOUNS.values() for w in ws}),
        "colours": sorted({w for ws in COLOUR_WORDS.values() for w in ws}),
        "motions": motions,
        "directions": ["left", "right", "up", "down"],
        "scenes": sorted(SCENE),
        "weather": sorted(WEATHER),
        "styles": sorted(min(ws, key=len) for ws in STYLE.values()),
        "camera": sorted(min(ws, key=len) for ws in CAMERA.values()),
    }
    return {"kinds": kinds, "words": sorted(seen)}


def main():
    config = json.loads(MODEL.read_text())
    config["vocabulary"] = vocabulary()
    if "--check" in sys.argv:
        print(json.dumps(config["vocabulary"]["kinds"], indent=1))
        print(len(config["vocabulary"]["words"]), "words")
        return
    MODEL.write_text(json.dumps(config, indent=1) + "\n")
    print(f"wrote vocabulary ({len(config['vocabulary']['words'])} words) to {MODEL}")


if __name__ == "__main__":
    main()
