"""Vocabulary of the procedural world: objects, colours, motions, scenes, weather, styles, cameras."""

OBJECTS = ["ball", "cube", "star", "car", "fish", "bird", "boat", "balloon"]

# Saturated RGB in [0, 1]; also the reference palette of the colour detector.
COLOURS = {
    "red": (0.92, 0.10, 0.10),
    "orange": (1.00, 0.55, 0.05),
    "yellow": (1.00, 0.90, 0.10),
    "green": (0.10, 0.78, 0.15),
    "blue": (0.10, 0.30, 0.98),
    "purple": (0.60, 0.15, 0.82),
    "pink": (1.00, 0.45, 0.78),
    "white": (0.97, 0.97, 0.97),
}

# Motions of a single object.  `screen` is the direction a centroid tracker should see (None: no direction).
MOTIONS = ["left", "right", "up", "down", "bounce", "fall", "orbit", "spin", "grow", "shrink"]
DIRECTIONAL = {"left": "left", "right": "right", "up": "up", "down": "down", "fall": "down"}

SCENES = ["sky", "night", "sea", "grass", "snow"]
WEATHERS = ["none", "rain", "snow"]
STYLES = ["plain", "pixel", "sketch", "noir", "neon"]
CAMERAS = ["static", "pan_left", "pan_right", "zoom_in", "zoom_out"]
RELATIONS = ["left_of", "right_of", "above", "below"]

# Frame geometry of kino-tiny: 128x80, 33 frames at 8 fps (4 seconds).
WIDTH, HEIGHT, FRAMES, FPS = 128, 80, 33, 8
