"""Stand-in for Pillow: see _stub.py."""
from ._stub import module_getattr as __getattr__  # noqa: F401

__version__ = "10.0.0"
