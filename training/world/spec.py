"""Sampling of clip specs (structured labels + layout), the held-out split, and the clip entry point."""
import hashlib

import numpy as np

from .caption import caption
from .render import render
from .vocab import CAMERAS, COLOURS, DIRECTIONAL, HEIGHT, MOTIONS, OBJECTS, RELATIONS, SCENES, WIDTH

COLOUR_NAMES = list(COLOURS)


def held_out(colour, obj, motion, scene):
    """True if the (colour, object, motion, scene) tuple is held out of training (about 7% of tuples)."""
    key = f"{colour}|{obj}|{motion}|{scene}".encode()
    return int(hashlib.md5(key).hexdigest()[:8], 16) % 100 < 7


def _place(o, motion, rng):
    """Fill the layout fields of object o for a motion."""
    s = o["size"]
    o["motion"] = motion
    o["facing"] = 1
    if motion in ("left", "right"):
        a, b = rng.uniform(0.12, 0.25) * WIDTH, rng.uniform(0.75, 0.88) * WIDTH
        o["x"], o["x_end"] = (b, a) if motion == "left" else (a, b)
        o["y"] = o["y_end"] = rng.uniform(0.35, 0.72) * HEIGHT
        o["facing"] = -1 if motion == "left" else 1
    elif motion in ("up", "down"):
        a, b = rng.uniform(0.15, 0.3) * HEIGHT, rng.uniform(0.72, 0.85) * HEIGHT
        o["y"], o["y_end"] = (b, a) if motion == "up" else (a, b)
        o["x"] = o["x_end"] = rng.uniform(0.3, 0.7) * WIDTH
        o["facing"] = int(rng.choice([-1, 1]))
    elif motion == "bounce":
        d = rng.choice([-1, 1])
        a, b = 0.18 * WIDTH, 0.82 * WIDTH
        o["x"], o["x_end"] = (a, b) if d > 0 else (b, a)
        o["y"] = rng.uniform(0.15, 0.3) * HEIGHT
        o["y_end"] = HEIGHT - s - 2
        o["facing"] = int(d)
    elif motion == "fall":
        o["x"] = o["x_end"] = rng.uniform(0.3, 0.7) * WIDTH
        o["y"] = s * 0.9
        o["y_end"] = HEIGHT - s - 2
    elif motion == "orbit":
        o["x"], o["y"] = WIDTH / 2, HEIGHT / 2
        o["phase"] = float(rng.uniform(0, 2 * np.pi))
        o["spin_dir"] = int(rng.choice([-1, 1]))
    else:  # spin, grow, shrink, still
        o["x"] = rng.uniform(0.35, 0.65) * WIDTH
        o["y"] = rng.uniform(0.4, 0.6) * HEIGHT
        o["spin_dir"] = int(rng.choice([-1, 1]))
        o["phase"] = float(rng.uniform(0, 2 * np.pi))
        o["facing"] = int(rng.choice([-1, 1]))
    for k in ("x", "y", "x_end", "y_end"):
        if k in o:
            o[k] = float(o[k])
    return o


def sample_spec(seed, split="train", fixed=None):
    """Draw a clip spec from a seed.  `fixed` pins labels (scene, style, weather, camera, count, objects...).

    split "train" rejects held-out tuples; "heldout" forces a held-out (single-object) tuple; "any" accepts all.
    """
    fixed = fixed or {}
    rng = np.random.default_rng(seed)
    for _ in range(1000):
        spec = {"seed": int(seed)}
        spec["scene"] = fixed.get("scene") or str(rng.choice(SCENES))
        spec["style"] = fixed.get("style") or str(rng.choice(["plain"] * 12 + ["pixel", "sketch", "noir", "neon"] * 2))
        spec["weather"] = fixed.get("weather") or str(rng.choice(["none"] * 8 + ["rain", "snow"]))
        count = fixed.get("count") or int(rng.choice([1, 1, 1, 1, 2]))
        spec["camera"] = fixed.get("camera") or (str(rng.choice(CAMERAS[1:])) if count == 1 and rng.random() < 0.12 else "static")
        spec["count"] = count
        objs = []
        fo = fixed.get("objects") or [{}] * count
        for k in range(count):
            o = {"object": fo[k].get("object") or str(rng.choice(OBJECTS)),
                 "colour": fo[k].get("colour") or str(rng.choice(COLOUR_NAMES)),
                 "size": float(rng.uniform(13, 17) if count == 1 else rng.uniform(10, 13))}
            if count == 1:
                motion = fo[k].get("motion") or ("still" if spec["camera"] != "static" else str(rng.choice(MOTIONS)))
                _place(o, motion, rng)
            objs.append(o)
        if count == 2:
            if objs[1]["object"] == objs[0]["object"] and objs[1]["colour"] == objs[0]["colour"]:
                continue
            rel = fixed.get("relation") or str(rng.choice(RELATIONS))
            spec["relation"] = rel
            for o in objs:
                _place(o, "still", rng)
            if rel in ("left_of", "right_of"):
                y = float(rng.uniform(0.4, 0.65) * HEIGHT)
                xs = (0.28 * WIDTH, 0.72 * WIDTH) if rel == "left_of" else (0.72 * WIDTH, 0.28 * WIDTH)
                for o, x in zip(objs, xs):
                    o["x"], o["y"] = float(x + rng.uniform(-6, 6)), float(y + rng.uniform(-4, 4))
            else:
                x = float(rng.uniform(0.35, 0.65) * WIDTH)
                ys = (0.27 * HEIGHT, 0.73 * HEIGHT) if rel == "above" else (0.73 * HEIGHT, 0.27 * HEIGHT)
                for o, y in zip(objs, ys):
                    o["x"], o["y"] = float(x + rng.uniform(-12, 12)), float(y)
        spec["objects"] = objs
        if count == 1:
            o = objs[0]
            ho = held_out(o["colour"], o["object"], o["motion"], spec["scene"])
            if (split == "train" and ho) or (split == "heldout" and not ho):
                if fixed.get("objects"):
                    raise ValueError("fixed labels contradict the requested split")
                continue
        elif split == "heldout":
            continue
        spec["direction"] = DIRECTIONAL.get(objs[0]["motion"]) if count == 1 and spec["camera"] == "static" else None
        return spec
    raise RuntimeError("could not sample a spec for this split")


def labels(spec):
    """The structured labels of a spec (what evaluation scores)."""
    return {
        "objects": [{"object": o["object"], "colour": o["colour"], "motion": o["motion"]} for o in spec["objects"]],
        "scene": spec["scene"], "style": spec["style"], "weather": spec["weather"], "camera": spec["camera"],
        "count": spec["count"], "relation": spec.get("relation"), "direction": spec["direction"],
    }


def make_clip(seed, split="train", fixed=None):
    """(frames (33, 80, 128, 3) float32 in [0,1], caption str, labels dict, spec) for a seed."""
    spec = sample_spec(seed, split, fixed)
    text = caption(spec, np.random.default_rng(seed + 104729))
    return render(spec), text, labels(spec), spec
