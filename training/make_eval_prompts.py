"""Writes training/eval_prompts.json: the fixed prompt set of `kino eval`, labelled from the world's own grammar.

    python3 training/make_eval_prompts.py                 # rewrites training/eval_prompts.json (deterministic)
    python3 training/make_eval_prompts.py --check         # fails if the committed JSON differs from a fresh run

Every prompt is a world spec (training/world/spec.py) with its caption from the world's grammar, so the labels are
the world's labels.  `split` is `held_out` exactly when `world.held_out(colour, object, motion, scene)` is true
(the rule the training split uses; it only covers single-object clips), `seen` otherwise.

Design: each held-out prompt has a *matched* seen prompt with the same motion, scene and style but a
(colour, object) pair whose tuple is in the training split, so the seen and held-out scores compare like with
like; the seen side also gets a few two-object prompts (spatial relations) so object counting sees count 2.
Weather is off and the camera static, so every criterion has one right answer.
"""
import argparse
import json
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from world import caption, held_out, sample_spec  # noqa: E402
from world.vocab import COLOURS, MOTIONS, OBJECTS, RELATIONS, SCENES  # noqa: E402

OUT = os.path.join(HERE, "eval_prompts.json")
SEEDS = [1001]            # the fixed seed list: every prompt is generated once per seed
STYLE_CYCLE = ["plain"] * 7 + ["pixel", "sketch", "noir", "neon"] * 1  # 7 plain : 1 of each other style


def direction(spec):
    """The screen direction a centroid tracker should see: left/right/up/down, or none."""
    o = spec["objects"][0]
    if spec["count"] != 1:
        return "none"
    m = o["motion"]
    if m in ("left", "right", "up", "down"):
        return m
    if m == "fall":
        return "down"
    if m == "bounce":  # bounces across the frame; the caption says "to the right/left"
        return "right" if o["x_end"] > o["x"] else "left"
    return "none"      # orbit (a full circle), spin, grow, shrink, still


def entry(index, split, spec, seed):
    text = caption(spec, np.random.default_rng(seed + 104729))
    objs = spec["objects"]
    return {
        "id": index, "split": split, "prompt": text,
        "colour": objs[0]["colour"] if spec["count"] == 1 else None,
        "colours": [o["colour"] for o in objs],
        "object": objs[0]["object"] if spec["count"] == 1 else None,
        "objects": [o["object"] for o in objs],
        "motion": objs[0]["motion"] if spec["count"] == 1 else "still",
        "direction": direction(spec), "scene": spec["scene"], "style": spec["style"], "count": spec["count"],
        "relation": spec.get("relation"),
        "world_seed": int(seed),   # the world seed whose spec this is (ground truth: world.render(spec))
    }


def build(per_split, pairs, rng_seed=20261122, world_base=500000, exclude=frozenset(), seeds=SEEDS):
    """The prompt set; `exclude` removes held-out tuples (a validation set leaves out the eval set's own)."""
    rng = np.random.default_rng(rng_seed)
    held = [(c, o, m, s) for s in SCENES for m in MOTIONS for o in OBJECTS for c in COLOURS
            if held_out(c, o, m, s) and (c, o, m, s) not in exclude]
    # Stratify: round-robin over (scene, motion) cells so scenes and motions are spread evenly.
    cells = {}
    for t in held:
        cells.setdefault((t[3], t[2]), []).append(t)
    keys = sorted(cells)
    order = [keys[i] for i in rng.permutation(len(keys))]
    for k in keys:
        cells[k] = [cells[k][i] for i in rng.permutation(len(cells[k]))]
    chosen, round_ = [], 0
    while len(chosen) < per_split:
        if round_ > max(len(v) for v in cells.values()):
            raise RuntimeError("not enough held-out tuples")
        for k in order:
            if round_ < len(cells[k]) and len(chosen) < per_split:
                chosen.append(cells[k][round_])
        round_ += 1
    prompts, seen_used = [], set()
    world_seed = world_base
    for i, (c, o, m, s) in enumerate(chosen):
        style = STYLE_CYCLE[i % len(STYLE_CYCLE)]
        fixed = {"scene": s, "style": style, "weather": "none", "camera": "static", "count": 1}
        world_seed += 1
        spec = sample_spec(world_seed, "heldout", dict(fixed, objects=[{"object": o, "colour": c, "motion": m}]))
        prompts.append(("held_out", spec, world_seed))
        # the matched seen prompt: same motion, scene, style; another (colour, object) in the training split
        while True:
            c2, o2 = str(rng.choice(list(COLOURS))), str(rng.choice(OBJECTS))
            if not held_out(c2, o2, m, s) and (c2, o2, m, s) not in seen_used and (c2, o2) != (c, o):
                break
        seen_used.add((c2, o2, m, s))
        world_seed += 1
        spec = sample_spec(world_seed, "train", dict(fixed, objects=[{"object": o2, "colour": c2, "motion": m}]))
        prompts.append(("seen", spec, world_seed))
    for k in range(pairs):
        world_seed += 1
        fixed = {"scene": SCENES[k % len(SCENES)], "style": "plain", "weather": "none", "camera": "static",
                 "count": 2, "relation": RELATIONS[k % len(RELATIONS)]}
        prompts.append(("seen", sample_spec(world_seed, "train", fixed), world_seed))
    entries = [entry(i, split, spec, ws) for i, (split, spec, ws) in enumerate(prompts)]
    return {
        "description": "kino eval prompt set, generated by training/make_eval_prompts.py from the world's grammar; "
                       "split: held_out iff world.held_out(colour, object, motion, scene)",
        "width": 128, "height": 80, "frames": 33, "seeds": seeds, "prompts": entries,
    }


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--per-split", type=int, default=44, help="held-out prompts (each with a matched seen one)")
    ap.add_argument("--pairs", type=int, default=8, help="extra seen prompts with two objects")
    ap.add_argument("--check", action="store_true")
    ap.add_argument("--validation", metavar="PATH",
                    help="write a validation set instead: other held-out tuples, other world seeds and seed 2002, "
                         "for tuning sampling settings without touching the eval set")
    a = ap.parse_args()
    if a.validation:
        used = {(e["colour"], e["object"], e["motion"], e["scene"])
                for e in build(a.per_split, a.pairs)["prompts"] if e["split"] == "held_out"}
        val = build(a.per_split, a.pairs, rng_seed=20261123, world_base=600000, exclude=used, seeds=[2002])
        val["description"] = "validation prompts (make_eval_prompts.py --validation): held-out tuples the eval set " \
                             "does not use; for tuning sampling settings, never for reporting"
        with open(a.validation, "w") as f:
            f.write(json.dumps(val, indent=1) + "\n")
        print(f"wrote {a.validation}")
        return
    text = json.dumps(build(a.per_split, a.pairs), indent=1) + "\n"
    if a.check:
        with open(OUT) as f:
            if f.read() != text:
                sys.exit("eval_prompts.json is stale: run python3 training/make_eval_prompts.py")
        print("eval_prompts.json is up to date")
        return
    with open(OUT, "w") as f:
        f.write(text)
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
