"""A stand-in for Pillow on the GPU machine (training/gpu_distill.sh puts it on the path only when `import PIL`
fails): diffusers imports PIL.Image at import time for its image helpers, which distill_turbo.py never calls.
Any attribute is a placeholder class; using one for real raises."""


class _Meta(type):
    def __getattr__(cls, name):
        if name.startswith("__"):
            raise AttributeError(name)
        return Placeholder

    def __call__(cls, *args, **kwargs):
        raise RuntimeError("Pillow is not installed (training/gpu_stubs/PIL is a stand-in)")


class Placeholder(metaclass=_Meta):
    pass


def module_getattr(name):
    if name.startswith("__"):
        raise AttributeError(name)
    return Placeholder
