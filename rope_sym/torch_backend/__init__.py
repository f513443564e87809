"""The torch backend: the RoPE pipelines as model code writes them (``TorchRope``), the erasure engine's torch
backend (``TorchBackend``, ``torch_erasure_scan``), stage-by-stage confirmation against the exact emulation
(``confirm``) and attention-level collisions (``attention_collisions``).

torch is imported in one place, ``rope_sym.torch_backend.runtime``; without it, importing this package raises a
``RopeSymError`` naming the ``torch`` extra. ``import rope_sym`` does not import it: these names load on first use.
"""

from rope_sym.torch_backend.attention import AttentionCollisions, attention_collisions
from rope_sym.torch_backend.confirm import Confirmation, confirm
from rope_sym.torch_backend.erasure import TorchBackend, torch_erasure_scan, torch_ops
from rope_sym.torch_backend.pipelines import Stages, TorchRope, rotate_every_two, rotate_half
from rope_sym.torch_backend.runtime import TORCH_DTYPES, device_name, resolve_device, synchronize, to_host

__all__ = [
    "TORCH_DTYPES", "AttentionCollisions", "Confirmation", "Stages", "TorchBackend", "TorchRope",
    "attention_collisions", "confirm", "device_name", "resolve_device", "rotate_every_two", "rotate_half",
    "synchronize", "to_host", "torch_erasure_scan", "torch_ops",
]
