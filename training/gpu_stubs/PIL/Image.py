"""Stand-in for Pillow: see _stub.py."""
from ._stub import Placeholder as Image, module_getattr as __getattr__  # noqa: F401
