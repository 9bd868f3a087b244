"""Caption grammar: synonyms, natural verbs and varied word order for a clip spec."""

NOUNS = {
    "ball": ["ball", "ball", "sphere"], "cube": ["cube", "cube", "box", "block"], "star": ["star"],
    "car": ["car", "car", "little car"], "fish": ["fish"], "bird": ["bird"], "boat": ["boat", "boat", "sailboat"],
    "balloon": ["balloon"],
}
COLOUR_WORDS = {"purple": ["purple", "purple", "violet"], "white": ["white"], "red": ["red"], "orange": ["orange"],
                "yellow": ["yellow"], "green": ["green"], "blue": ["blue"], "pink": ["pink"]}

# (participle, third person) verbs for travel by object
TRAVEL = {
    "ball": [("rolling", "rolls"), ("moving", "moves")],
    "cube": [("sliding", "slides"), ("moving", "moves")],
    "star": [("drifting", "drifts"), ("moving", "moves")],
    "car": [("driving", "drives"), ("moving", "moves")],
    "fish": [("swimming", "swims")],
    "bird": [("flying", "flies")],
    "boat": [("sailing", "sails"), ("drifting", "drifts")],
    "balloon": [("drifting", "drifts"), ("floating", "floats")],
}
UP = [("rising", "rises"), ("moving up", "moves up"), ("floating up", "floats up")]
DOWN = [("sinking", "sinks"), ("moving down", "moves down"), ("going down", "goes down")]
DIR = {
    "left": ["to the left", "left", "from right to left", "leftward"],
    "right": ["to the right", "right", "from left to right", "rightward"],
}
OTHER = {
    "bounce": [("bouncing", "bounces")],
    "fall": [("falling", "falls"), ("dropping", "drops"), ("falling down", "falls down")],
    "orbit": [("circling", "circles"), ("orbiting in a circle", "orbits in a circle"),
              ("going round in circles", "goes round in circles")],
    "spin": [("spinning", "spins"), ("rotating", "rotates"), ("turning in place", "turns in place")],
    "grow": [("growing bigger", "grows bigger"), ("getting larger", "gets larger"), ("growing", "grows")],
    "shrink": [("shrinking", "shrinks"), ("getting smaller", "gets smaller")],
    "still": [("resting", "rests"), ("standing still", "stands still"), ("waiting", "waits")],
}
SCENE = {
    "sky": ["in a blue sky with the sun", "under a sunny sky", "against a bright sky with a sun", "in the sky"],
    "night": ["at night under the moon and stars", "in the night sky", "under a starry sky with a moon", "at night"],
    "sea": ["over the sea", "above the ocean waves", "at sea with waves", "by the sea"],
    "grass": ["on a green grass field", "across a grassy meadow", "on the grass", "in a green field"],
    "snow": ["on a snowy field", "across the snow", "in a snow field", "on white snow"],
}
WEATHER = {"rain": ["in the rain", "while it is raining", "in heavy rain"],
           "snow": ["while snow falls", "in falling snow", "during a snowfall"]}
STYLE = {"pixel": ["pixel art", "8-bit pixel art", "pixel art style"],
         "sketch": ["line sketch", "pencil sketch", "line drawing"],
         "noir": ["black and white noir", "black and white", "film noir style"],
         "neon": ["neon style", "glowing neon", "neon colors"]}
CAMERA = {"pan_left": ["the camera pans left", "camera panning left"],
          "pan_right": ["the camera pans right", "camera panning right"],
          "zoom_in": ["the camera zooms in", "zooming in"],
          "zoom_out": ["the camera zooms out", "zooming out"]}
RELATION = {"left_of": (["left of", "to the left of"], "right_of"), "right_of": (["right of", "to the right of"], "left_of"),
            "above": (["above", "over"], "below"), "below": (["below", "under"], "above")}


def _pick(rng, xs):
    return xs[int(rng.integers(len(xs)))]


def noun_phrase(o, rng, article=True):
    np_ = f"{_pick(rng, COLOUR_WORDS[o['colour']])} {_pick(rng, NOUNS[o['object']])}"
    if not article:
        return np_
    return f"an {np_}" if np_[0] in "aeiou" else f"a {np_}"


def verb_phrase(o, rng, finite):
    m, obj = o["motion"], o["object"]
    k = 1 if finite else 0
    if m in ("left", "right"):
        return f"{_pick(rng, TRAVEL[obj])[k]} {_pick(rng, DIR[m])}"
    if m == "up":
        v = _pick(rng, UP + ([("flying up", "flies up")] if obj == "bird" else []))
        return v[k]
    if m == "down":
        v = _pick(rng, DOWN + ([("flying down", "flies down")] if obj == "bird" else []))
        return v[k]
    if m == "bounce":
        d = "to the right" if o["x_end"] > o["x"] else "to the left"
        return f"{OTHER['bounce'][0][k]} {d}"
    return _pick(rng, OTHER[m])[k]


def caption(spec, rng):
    scene = _pick(rng, SCENE[spec["scene"]])
    extras = []
    if spec["weather"] != "none":
        extras.append(_pick(rng, WEATHER[spec["weather"]]))
    style = _pick(rng, STYLE[spec["style"]]) if spec["style"] != "plain" else None
    objs = spec["objects"]
    if spec["count"] == 2:
        words, inverse = RELATION[spec["relation"]]
        a, b = objs
        if rng.random() < 0.5:
            core = f"{noun_phrase(a, rng)} {_pick(rng, words)} {noun_phrase(b, rng)}"
        else:
            core = f"{noun_phrase(b, rng)} {_pick(rng, RELATION[inverse][0])} {noun_phrase(a, rng)}"
        form = int(rng.integers(2))
        text = f"{core} {scene}" if form == 0 else f"{scene}, {core}"
    else:
        o = objs[0]
        form = int(rng.integers(4))
        finite = bool(rng.integers(2))
        npp, vp = noun_phrase(o, rng), verb_phrase(o, rng, finite)
        if form == 0:
            text = f"{npp} {vp} {scene}"
        elif form == 1:
            text = f"{scene}, {npp} {vp}"
        elif form == 2:
            text = f"{npp} {scene} {verb_phrase(o, rng, False)}"
        else:
            text = f"{npp} {vp}, {scene}"
        if spec["camera"] != "static":
            cam = _pick(rng, CAMERA[spec["camera"]])
            text = f"{cam}, {text}" if rng.random() < 0.5 else f"{text}, {cam}"
    for e in extras:
        text = f"{text} {e}" if rng.random() < 0.6 else f"{text}, {e}"
    if style:
        r = rng.random()
        if r < 0.5:
            text = f"{text}, {style}"
        elif r < 0.8:
            text = f"{style}: {text}"
        elif text.startswith("a "):
            text = f"{style} of {text}"
        else:
            text = f"{style}, {text}"
    text = text[0].upper() + text[1:] if rng.random() < 0.5 else text
    return text
