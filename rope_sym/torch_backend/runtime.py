"""The one place that imports torch, and what every torch module here shares: dtypes, devices, host copies.

torch is optional: importing this module without it raises a ``RopeSymError`` naming the ``torch`` extra.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from rope_sym.errors import InvalidRopeSpec, RopeSymError

try:
    import torch
except ImportError as error:  # pragma: no cover - exercised only without torch
    raise RopeSymError("torch is not installed: install the 'torch' extra (pip install 'rope-sym[torch]')") from error

Array = NDArray[np.float64]

TORCH_DTYPES: dict[str, torch.dtype] = {
    "fp16": torch.float16, "bf16": torch.bfloat16, "fp32": torch.float32, "fp64": torch.float64,
}
"""torch dtype of each activation format name."""

def resolve_device(device: str | torch.device | None = None) -> torch.device:
    """``device`` as a ``torch.device``; ``None`` or ``"auto"`` is ``cuda`` when available, else ``cpu``.

    A device torch cannot use here is an ``InvalidRopeSpec`` naming it.
    """
    if device is None or device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        dev = torch.device(device)
    except (RuntimeError, TypeError):
        raise InvalidRopeSpec(f"unknown torch device {device!r} (use cpu, cuda, cuda:N or auto)") from None
    if dev.type == "cuda":
        if not torch.cuda.is_available():
            raise InvalidRopeSpec(f"device {device!r} is not available: torch.cuda.is_available() is False")
        if dev.index is not None and dev.index >= torch.cuda.device_count():
            raise InvalidRopeSpec(f"device {device!r} is not available: {torch.cuda.device_count()} cuda devices")
    elif dev.type != "cpu":
        raise InvalidRopeSpec(f"device {device!r} is not supported (use cpu, cuda, cuda:N or auto)")
    return dev


def device_name(device: torch.device) -> str:
    """A readable device name: ``cpu (AVX2)`` or ``cuda:0 (NVIDIA H100 80GB HBM3)``."""
    if device.type == "cuda":
        index = device.index if device.index is not None else torch.cuda.current_device()
        return f"cuda:{index} ({torch.cuda.get_device_name(index)})"
    return f"cpu ({torch.backends.cpu.get_cpu_capability()})"


def to_host(t: torch.Tensor) -> Array:
    """A tensor as a float64 numpy array (every format here converts exactly)."""
    return t.detach().to(device="cpu", dtype=torch.float64).numpy()


def synchronize(device: str | torch.device) -> None:
    """Wait for the device's queued kernels (timing)."""
    if torch.device(device).type == "cuda":
        torch.cuda.synchronize(device)
