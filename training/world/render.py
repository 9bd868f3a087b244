"""Rendering of a clip spec into frames: float32 array (F, H, W, 3) in [0, 1].

Everything is a pure function of the spec (which carries its own seed), so a clip is reproducible.
"""
import numpy as np

from .vocab import COLOURS, HEIGHT, WIDTH, FRAMES

YY, XX = np.mgrid[0:HEIGHT, 0:WIDTH].astype(np.float32)


def _soft(d, s):
    """Anti-aliased coverage from a signed distance d (in shape units) at scale s pixels."""
    return np.clip(0.5 - d * s, 0.0, 1.0)


def _disc(u, v, cu, cv, r, s):
    return _soft(np.sqrt((u - cu) ** 2 + (v - cv) ** 2) - r, s)


def _ellipse(u, v, cu, cv, a, b, s):
    q = np.sqrt(((u - cu) / a) ** 2 + ((v - cv) / b) ** 2)
    return _soft((q - 1.0) * min(a, b), s)


def _box(u, v, u0, u1, v0, v1, s):
    d = np.maximum(np.maximum(u0 - u, u - u1), np.maximum(v0 - v, v - v1))
    return _soft(d, s)


def _segment(u, v, a, b, width, s):
    pa = np.stack([u - a[0], v - a[1]], -1)
    ba = np.array([b[0] - a[0], b[1] - a[1]], np.float32)
    h = np.clip((pa @ ba) / float(ba @ ba), 0.0, 1.0)
    d = np.sqrt(((pa - h[..., None] * ba) ** 2).sum(-1)) - width
    return _soft(d, s)


def shape_layers(obj, u, v, s, colour, t, facing):
    """Layers (mask, rgb) of an object in local coordinates u, v (units of its radius s pixels)."""
    c = np.array(colour, np.float32)
    dark = np.array([0.08, 0.08, 0.1], np.float32)
    u = u * facing
    if obj == "ball":
        m = _disc(u, v, 0, 0, 1.0, s)
        shade = np.clip(1.15 - 0.25 * np.sqrt((u + 0.35) ** 2 + (v + 0.35) ** 2), 0.7, 1.15)
        return [(m, np.clip(c * shade[..., None], 0, 1))]
    if obj == "cube":
        back = _box(u, v, -0.55, 0.95, -0.95, 0.55, s)
        front = _box(u, v, -0.95, 0.55, -0.55, 0.95, s)
        return [(back, c * 0.6), (front, c)]
    if obj == "star":
        r = np.sqrt(u * u + v * v)
        a = np.arctan2(v, u) + np.pi / 2
        f = np.abs(((a * 5 / (2 * np.pi)) % 1.0) - 0.5) * 2  # 1 at tips, 0 in valleys
        lim = 0.45 + 0.6 * f ** 1.5
        return [(_soft(r - lim, s), c)]
    if obj == "car":
        body = _box(u, v, -1.3, 1.3, -0.15, 0.45, s)
        cabin = _box(u, v, -0.7, 0.55, -0.65, -0.1, s)
        window = _box(u, v, -0.05, 0.45, -0.55, -0.18, s)
        wheels = np.maximum(_disc(u, v, -0.75, 0.5, 0.3, s), _disc(u, v, 0.75, 0.5, 0.3, s))
        return [(body, c), (cabin, c * 0.85), (window, np.array([0.75, 0.9, 1.0], np.float32)), (wheels, dark)]
    if obj == "fish":
        body = _ellipse(u, v, 0.15, 0, 1.0, 0.55, s)
        tw = np.clip((-0.75 - u) * 0.9 + 0.15, 0, None)
        tail = _soft(np.maximum(np.abs(v) - tw, np.maximum(-1.55 - u, u + 0.75)), s)
        eye = _disc(u, v, 0.65, -0.12, 0.12, s)
        return [(tail, c * 0.8), (body, c), (eye, dark)]
    if obj == "bird":
        flap = 0.45 * np.sin(t * 2 * np.pi * 6)
        w1 = _segment(u, v, (0, 0), (-1.25, -0.55 + flap), 0.2, s)
        w2 = _segment(u, v, (0, 0), (1.25, -0.55 + flap), 0.2, s)
        body = _ellipse(u, v, 0.1, 0.1, 0.6, 0.32, s)
        beak = _box(u, v, 0.65, 0.95, 0.02, 0.18, s)
        return [(np.maximum(w1, w2), c * 0.85), (body, c), (beak, np.array([1.0, 0.7, 0.1], np.float32))]
    if obj == "boat":
        hw = 1.3 - (v - 0.15) * 0.9
        hull = _soft(np.maximum(np.abs(u) - hw, np.maximum(0.15 - v, v - 0.65)), s)
        mast = _box(u, v, -0.05, 0.05, -1.1, 0.15, s)
        sw = np.clip((v + 1.05) * 0.75, 0, None)
        sail = _soft(np.maximum(np.maximum(0.1 - u, u - 0.1 - sw), np.maximum(-1.05 - v, v - 0.05)), s)
        sail_c = np.array([0.95, 0.95, 0.92], np.float32) if colour != COLOURS["white"] else np.array([0.9, 0.2, 0.2], np.float32)
        return [(mast, dark), (sail, sail_c), (hull, c)]
    if obj == "balloon":
        body = _ellipse(u, v, 0, -0.25, 0.8, 1.0, s)
        string = _segment(u, v, (0, 0.75), (0.1 * np.sin(t * 6), 1.9), 0.05, s)
        hl = _ellipse(u, v, -0.3, -0.6, 0.18, 0.28, s)
        return [(string, dark), (body, c), (hl * body, np.clip(c + 0.35, 0, 1))]
    raise ValueError(f"unknown object {obj}")


def draw_object(img, obj, colour, cx, cy, size, angle, t, facing):
    """Composite one object (with a dark outline for contrast) onto img in place."""
    ca, sa = np.cos(angle), np.sin(angle)
    dx, dy = (XX - cx) / size, (YY - cy) / size
    u = ca * dx + sa * dy
    v = -sa * dx + ca * dy
    layers = shape_layers(obj, u, v, size, colour, t, facing)
    cover = np.zeros_like(XX)
    for m, _ in layers:
        cover = np.maximum(cover, m)
    # outline: dilated coverage (cheap: max of shifted copies)
    out = cover.copy()
    for sy, sx in ((1, 0), (-1, 0), (0, 1), (0, -1)):
        out = np.maximum(out, np.roll(np.roll(cover, sy, 0), sx, 1))
    img *= 1 - 0.7 * out[..., None]
    img += 0.7 * out[..., None] * np.array([0.05, 0.05, 0.07], np.float32)
    for m, rgb in layers:
        rgb = np.broadcast_to(rgb, img.shape) if np.ndim(rgb) == 1 else rgb
        img *= 1 - m[..., None]
        img += m[..., None] * rgb
    return cover


def _vgrad(top, bottom, y0, y1):
    f = np.clip((YY - y0) / max(1.0, y1 - y0), 0, 1)[..., None]
    return (1 - f) * np.array(top, np.float32) + f * np.array(bottom, np.float32)


def background(scene, t, ox, p):
    """Scene at time t (0..1) with the camera shifted ox pixels; p: per-clip scene parameters."""
    hz = p["horizon"]
    if scene == "sky":
        img = _vgrad((0.25, 0.5, 0.95), (0.65, 0.82, 1.0), 0, HEIGHT)
        sx = (p["sun_x"] - ox * 0.3) % (WIDTH + 40) - 20
        sun = _disc(XX, YY, sx, p["sun_y"], 11, 1.0)
        img = img * (1 - sun[..., None]) + sun[..., None] * np.array([1.0, 0.88, 0.2], np.float32)
        for cx0, cy0 in p["clouds"]:
            cx = (cx0 - ox) % (WIDTH + 60) - 30
            cl = np.maximum(_ellipse(XX, YY, cx, cy0, 16, 6, 1.0), _ellipse(XX, YY, cx + 8, cy0 - 4, 9, 6, 1.0))
            img = img * (1 - 0.9 * cl[..., None]) + 0.9 * cl[..., None]
        return img
    if scene == "night":
        img = _vgrad((0.02, 0.03, 0.12), (0.1, 0.12, 0.3), 0, HEIGHT)
        mx = (p["sun_x"] - ox * 0.3) % (WIDTH + 40) - 20
        moon = _disc(XX, YY, mx, p["sun_y"], 8, 1.0)
        img = img * (1 - moon[..., None]) + moon[..., None] * np.array([0.95, 0.95, 0.8], np.float32)
        sx = ((p["stars"][:, 0] - ox * 0.5) % WIDTH).astype(int)
        sy = p["stars"][:, 1].astype(int)
        tw = 0.6 + 0.4 * np.sin(t * 12 + p["stars"][:, 2])
        img[sy, sx] = np.maximum(img[sy, sx], tw[:, None])
        return img
    if scene == "sea":
        img = _vgrad((0.45, 0.7, 1.0), (0.7, 0.85, 1.0), 0, hz)
        sea = _vgrad((0.0, 0.32, 0.6), (0.0, 0.15, 0.38), hz, HEIGHT)
        wave = np.sin((XX + ox) * 0.22 + YY * 0.9 + t * 9) * np.sin((XX + ox) * 0.05 - t * 3)
        crest = np.clip((wave - 0.6) * 3, 0, 1)[..., None] * (YY > hz)[..., None]
        sea = sea * (1 - 0.6 * crest) + 0.6 * crest * np.array([0.8, 0.9, 1.0], np.float32)
        return np.where((YY > hz)[..., None], sea, img)
    if scene == "grass":
        img = _vgrad((0.4, 0.68, 1.0), (0.7, 0.86, 1.0), 0, hz)
        g = _vgrad((0.25, 0.62, 0.15), (0.12, 0.45, 0.08), hz, HEIGHT)
        stripe = (np.sin((XX + ox) * 0.35 + YY * 0.4) > 0.3)[..., None]
        g = np.where(stripe, g * 0.85, g)
        return np.where((YY > hz)[..., None], g, img)
    if scene == "snow":
        img = _vgrad((0.72, 0.78, 0.88), (0.85, 0.88, 0.93), 0, hz)
        g = _vgrad((0.97, 0.97, 1.0), (0.85, 0.9, 0.98), hz, HEIGHT)
        drift = (np.sin((XX + ox) * 0.12 + YY * 0.3) > 0.7)[..., None]
        g = np.where(drift, g * np.array([0.88, 0.92, 1.0], np.float32), g)
        return np.where((YY > hz)[..., None], g, img)
    raise ValueError(f"unknown scene {scene}")


def scene_params(scene, rng):
    return {
        "horizon": float(rng.uniform(26, 38)),
        "sun_x": float(rng.uniform(10, 118)),
        "sun_y": float(rng.uniform(10, 20)),
        "clouds": [(float(rng.uniform(0, 128)), float(rng.uniform(8, 30))) for _ in range(2)],
        "stars": np.stack([rng.uniform(0, 128, 40), rng.uniform(0, 60, 40), rng.uniform(0, 6, 40)], 1),
    }


def weather_overlay(img, weather, t, parts):
    if weather == "rain":
        x = (parts[:, 0] - t * 40) % WIDTH
        y = (parts[:, 1] + t * 320) % HEIGHT
        for k in range(5):
            xi = np.clip((x + k * 0.5).astype(int), 0, WIDTH - 1)
            yi = np.clip((y - k * 1.5).astype(int), 0, HEIGHT - 1)
            img[yi, xi] = img[yi, xi] * 0.4 + 0.6 * np.array([0.75, 0.8, 0.9], np.float32)
    elif weather == "snow":
        x = (parts[:, 0] + 4 * np.sin(t * 6 + parts[:, 2])) % WIDTH
        y = (parts[:, 1] + t * 60) % HEIGHT
        for dy, dx in ((0, 0), (1, 0), (0, 1), (1, 1)):
            yi = np.clip(y.astype(int) + dy, 0, HEIGHT - 1)
            xi = np.clip(x.astype(int) + dx, 0, WIDTH - 1)
            img[yi, xi] = 0.97
    return img


def zoom(img, factor):
    """Scale the frame about its centre by `factor` (>1 zooms in), bilinear."""
    if abs(factor - 1) < 1e-4:
        return img
    sy = (YY - HEIGHT / 2 + 0.5) / factor + HEIGHT / 2 - 0.5
    sx = (XX - WIDTH / 2 + 0.5) / factor + WIDTH / 2 - 0.5
    y0 = np.clip(np.floor(sy).astype(int), 0, HEIGHT - 2)
    x0 = np.clip(np.floor(sx).astype(int), 0, WIDTH - 2)
    fy = np.clip(sy - y0, 0, 1)[..., None]
    fx = np.clip(sx - x0, 0, 1)[..., None]
    a = img[y0, x0] * (1 - fx) + img[y0, x0 + 1] * fx
    b = img[y0 + 1, x0] * (1 - fx) + img[y0 + 1, x0 + 1] * fx
    return a * (1 - fy) + b * fy


def _blur(x, r):
    for _ in range(r):
        x = (x + np.roll(x, 1, 0) + np.roll(x, -1, 0) + np.roll(x, 1, 1) + np.roll(x, -1, 1)) / 5
    return x


def stylise(img, style):
    if style == "plain":
        return img
    if style == "pixel":
        small = img[2::4, 2::4]
        small = np.round(small * 4) / 4
        return np.repeat(np.repeat(small, 4, 0), 4, 1)
    gray = img @ np.array([0.299, 0.587, 0.114], np.float32)
    gy = np.abs(np.roll(gray, -1, 0) - np.roll(gray, 1, 0))
    gx = np.abs(np.roll(gray, -1, 1) - np.roll(gray, 1, 1))
    cy = np.abs(np.roll(img, -1, 0) - np.roll(img, 1, 0)).max(-1)
    cx = np.abs(np.roll(img, -1, 1) - np.roll(img, 1, 1)).max(-1)
    edge = np.clip(np.maximum(np.maximum(gx, gy), np.maximum(cx, cy)) * 3.0, 0, 1)
    edge[0], edge[-1], edge[:, 0], edge[:, -1] = 0, 0, 0, 0
    if style == "sketch":
        paper = np.array([0.96, 0.94, 0.88], np.float32)
        ink = np.clip(img * 0.6, 0, 1)
        return paper * (1 - edge[..., None]) + ink * edge[..., None]
    if style == "noir":
        g = np.clip((gray - 0.5) * 1.6 + 0.5, 0, 1)
        vig = 1 - 0.35 * (((XX - WIDTH / 2) / (WIDTH / 2)) ** 2 + ((YY - HEIGHT / 2) / (HEIGHT / 2)) ** 2)
        return np.repeat((g * vig)[..., None], 3, -1)
    if style == "neon":
        sat = img - img.min(-1, keepdims=True)
        sat = sat / (sat.max(-1, keepdims=True) + 1e-3)
        glow = _blur(edge, 2)
        line = np.clip(edge + glow * 1.5, 0, 1)[..., None]
        return np.clip(img * 0.12 + line * (0.3 + 0.8 * sat), 0, 1)
    raise ValueError(f"unknown style {style}")


def render(spec):
    """Render a spec (see world.spec) into (F, H, W, 3) float32 frames."""
    rng = np.random.default_rng(spec["seed"] + 7919)
    sp = scene_params(spec["scene"], rng)
    parts = np.stack([rng.uniform(0, WIDTH, 120), rng.uniform(0, HEIGHT, 120), rng.uniform(0, 6, 120)], 1)
    cam = spec["camera"]
    frames = np.empty((FRAMES, HEIGHT, WIDTH, 3), np.float32)
    for i in range(FRAMES):
        t = i / (FRAMES - 1)
        pan = {"pan_left": -70.0, "pan_right": 70.0}.get(cam, 0.0) * t
        img = background(spec["scene"], t, pan, sp).astype(np.float32)
        for o in spec["objects"]:
            cx, cy, size, angle, facing = trajectory(o, t)
            draw_object(img, o["object"], COLOURS[o["colour"]], cx - pan, cy, size, angle, t, facing)
        img = weather_overlay(img, spec["weather"], t, parts)
        if cam == "zoom_in":
            img = zoom(img, 1 + 0.6 * t)
        elif cam == "zoom_out":
            img = zoom(img, 1.6 - 0.6 * t)
        frames[i] = stylise(np.clip(img, 0, 1), spec["style"])
    return np.clip(frames, 0, 1)


def trajectory(o, t):
    """Centre x, y, size (px), angle (rad) and facing (+1 right, -1 left) of object o at time t."""
    m, x0, y0, s = o["motion"], o["x"], o["y"], o["size"]
    x1, y1, ang, facing = x0, y0, 0.0, o.get("facing", 1)
    if m in ("left", "right", "up", "down"):
        x1 = x0 + (o["x_end"] - x0) * t
        y1 = y0 + (o["y_end"] - y0) * t
    elif m == "bounce":
        x1 = x0 + (o["x_end"] - x0) * t
        ground = o["y_end"]
        n = 3
        ph = (t * n) % 1.0
        amp = (ground - y0) * (0.85 ** np.floor(t * n))
        y1 = ground - amp * 4 * ph * (1 - ph)
    elif m == "fall":
        y1 = min(y0 + (o["y_end"] - y0) * (t / 0.8) ** 2, o["y_end"])
    elif m == "orbit":
        a = o.get("phase", 0.0) + o.get("spin_dir", 1) * 2 * np.pi * t
        x1 = x0 + 26 * np.cos(a)
        y1 = y0 + 16 * np.sin(a)
    elif m == "spin":
        ang = o.get("spin_dir", 1) * 2 * np.pi * t * 1.5
    elif m == "grow":
        s = s * (0.55 + 0.9 * t)
    elif m == "shrink":
        s = s * (1.45 - 0.9 * t)
    elif m == "still":
        y1 = y0 + 1.5 * np.sin(t * 2 * np.pi + o.get("phase", 0.0))
    else:
        raise ValueError(f"unknown motion {m}")
    return x1, y1, s, ang, facing
