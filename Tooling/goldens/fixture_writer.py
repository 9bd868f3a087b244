"""Writes safetensors fixtures and keeps the JSON index that describes them."""

import json
import os

import torch
from safetensors.torch import save_file


class FixtureWriter:
    def __init__(self, root: str):
        self.root = root
        self.index: dict = {"fixtures": {}}
        os.makedirs(root, exist_ok=True)

    def tensors(self, name: str, description: str, tensors: dict[str, tuple[torch.Tensor, str]]) -> None:
        """Saves `name`.safetensors; every tensor is stored contiguous (fp32 for floats, int64 for ints)."""
        out = {}
        meta = {}
        for key, (tensor, what) in tensors.items():
            t = tensor.detach().cpu().clone().contiguous()
            if t.is_floating_point():
                t = t.to(torch.float32)
            else:
                t = t.to(torch.int64)
            out[key] = t
            meta[key] = {"shape": list(t.shape), "dtype": str(t.dtype).replace("torch.", ""), "what": what}
        path = os.path.join(self.root, f"{name}.safetensors")
        save_file(out, path)
        self.index["fixtures"][f"{name}.safetensors"] = {"description": description, "tensors": meta}

    def json(self, name: str, description: str, payload) -> None:
        path = os.path.join(self.root, f"{name}.json")
        with open(path, "w", encoding="utf-8") as f:
            json.dump(payload, f, ensure_ascii=False, indent=1)
            f.write("\n")
        self.index["fixtures"][f"{name}.json"] = {"description": description}

    def finish(self, extra: dict) -> None:
        self.index.update(extra)
        with open(os.path.join(self.root, "index.json"), "w", encoding="utf-8") as f:
            json.dump(self.index, f, ensure_ascii=False, indent=1, sort_keys=True)
            f.write("\n")


def perturb_constant_parameters(module: torch.nn.Module, generator: torch.Generator, scale: float = 0.1) -> None:
    """Random init leaves some parameters constant (zero biases, unit norm gains, zero tables);
    a bug in how Swift applies them would then go unseen, so give them seeded random offsets."""
    with torch.no_grad():
        for _, p in sorted(module.named_parameters(), key=lambda kv: kv[0]):
            if p.numel() > 0 and torch.all(p == p.flatten()[0]):
                p.add_(torch.randn(p.shape, generator=generator, dtype=p.dtype) * scale)
