"""The one place that imports torch, and what every torch module here shares: dtypes, devices, host copies.

torch is optional: importing this module without it raises a ``RopeSymError`` naming the ``torch`` extra.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

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


SCAN_CPU_THREADS = 1
"""Intra-op threads of a CPU scan. The scan's kernels are elementwise passes over blocks of about half a
megabyte, each a parallel region that ends in a barrier: a second thread saves little on a quiet machine, and on a
shared one every region waits for a thread the OS has descheduled (``verify bench erasure``: 2 threads at load 6
on 2 cores ran 5x slower than 1). One thread per scan keeps the figure steady; give ``threads`` to override."""


@contextlib.contextmanager
def cpu_threads(device: torch.device, threads: int | None) -> Iterator[int]:
    """Run the body with ``threads`` intra-op threads on a CPU device (``SCAN_CPU_THREADS`` when None), then
    restore torch's setting; other devices are left alone. Yields the thread count in force."""
    before = torch.get_num_threads()
    if device.type != "cpu":
        yield before
        return
    wanted = SCAN_CPU_THREADS if threads is None else int(threads)
    if wanted < 1:
        raise InvalidRopeSpec(f"threads must be at least 1, got {threads!r}")
    torch.set_num_threads(wanted)
    try:
        yield wanted
    finally:
        torch.set_num_threads(before)
