"""Procedural world simulator: captioned clips with structured labels (see training/README.md)."""
from .spec import held_out, labels, make_clip, sample_spec
from .caption import caption
from .render import render

__all__ = ["held_out", "labels", "make_clip", "sample_spec", "caption", "render"]
