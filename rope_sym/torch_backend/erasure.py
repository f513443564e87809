"""The torch scan backend: the erasure engine's codes computed by ``TorchRope`` on any torch device.

Blocks stay on the device: the engine (``rope_sym.erasure.engine.scan``) turns the stored cos/sin tensors into
canonical integer codes of their own width (a ``.view``), compares, hashes and flags them with torch kernels, and
copies only the per-position hashes, stored positions and flags to the host after the loop. The report is the
emulated one with ``backend="torch"``, the ``device``, ``torch_version`` and ``autocast``; ``oracle_decided`` is 0
(torch's own cos/sin are used).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
from numpy.typing import NDArray

from rope_sym.erasure import erasure_scan
from rope_sym.erasure.codes import ArrayOps
from rope_sym.erasure.engine import RESOLUTION_LIMIT, Iterate, check_scan_context
from rope_sym.erasure.report import ErasureReport
from rope_sym.errors import InvalidRopeSpec
from rope_sym.spectrum.spec import RopeSpec
from rope_sym.torch_backend.pipelines import TorchRope
from rope_sym.torch_backend.runtime import cpu_threads, device_name, synchronize, torch

_INTS = {1: torch.int8, 2: torch.int16, 4: torch.int32, 8: torch.int64}
_KINDS = {"int64": torch.int64, "bool": torch.bool, "float32": torch.float32}


def torch_ops(device: torch.device) -> ArrayOps:
    """``ArrayOps`` for tensors on ``device`` (which hold their format natively: codes are plain views)."""
    return ArrayOps(
        int_of_width=_INTS, bits_of=lambda t: t.view(_INTS[t.element_size()]), where=torch.where,
        concat=lambda tensors, axis: torch.cat(tensors, dim=axis),
        pad_columns=lambda t, k: torch.nn.functional.pad(t, (0, k)),
        contiguous=lambda t: t.contiguous(), from_numpy=lambda a: torch.from_numpy(a).to(device),
        count_true=lambda mask: mask.view(torch.uint8).sum(0, dtype=torch.int32))


class TorchBackend:
    """``ScanBackend`` over ``TorchRope`` (the pipeline as model code writes it) on one device."""

    def __init__(self, spec: RopeSpec, dtype: str, pipeline: str, context: int, *, device: Any = None,
                 autocast: bool = False, margin: int = 0) -> None:
        self.rope = TorchRope(spec, dtype, pipeline, context, device=device, autocast=autocast, margin=margin)
        self.spec, self.formats = spec, self.rope.formats
        self.device = self.rope.device
        self.device_kind = self.device.type
        self.ops = torch_ops(self.device)

    def cos_sin(self, lo: int, hi: int) -> tuple[torch.Tensor, torch.Tensor]:
        return self.rope.cos_sin(torch.arange(lo, hi, dtype=torch.int64, device=self.device))

    def cos_sin_at(self, positions: NDArray[np.int64]) -> tuple[torch.Tensor, torch.Tensor]:
        return self.rope.cos_sin(self.rope.index(positions))

    def stored_positions(self, lo: int, hi: int) -> torch.Tensor:
        index = torch.arange(lo, hi, dtype=torch.int64, device=self.device)
        return self.rope.stored_positions(index).to(torch.float32)

    def rotate(self, x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor) -> torch.Tensor:
        return self.rope.rotate(x, cos, sin)

    def as_array(self, x: NDArray[np.float64]) -> torch.Tensor:
        return torch.as_tensor(x, device=self.device)

    def zeros(self, n: int, kind: str) -> torch.Tensor:
        return torch.zeros(n, dtype=_KINDS[kind], device=self.device)

    def to_numpy(self, a: torch.Tensor) -> NDArray[Any]:
        return a.cpu().numpy()

    def unique_count(self, a: torch.Tensor) -> int:
        return int(torch.unique(a).numel())

    def synchronize(self) -> None:
        synchronize(self.device)

    def measured(self) -> dict[str, Any]:
        return {"backend": "torch", "device": device_name(self.device), "torch_version": torch.__version__,
                "autocast": self.rope.autocast}


def torch_erasure_scan(spec: RopeSpec, context: object, dtype: str = "bf16", pipeline: str = "hf", *,
                       device: Any = None, autocast: bool = False, attention: bool = True,
                       probes: Iterable[int] | None = None, resolution_limit: int = RESOLUTION_LIMIT,
                       chunk: object = None, query_seed: int = 0, query: object = None, window: object = None,
                       iterate: Iterate | None = None, hash_mask: int | None = None,
                       frequencies: Any = None, threads: int | None = None) -> ErasureReport:
    """``rope_sym.erasure.erasure_scan`` with a ``TorchBackend`` on ``device`` (default ``cuda`` when available,
    else ``cpu``; ``autocast`` runs it under ``torch.autocast``): the same engine and figures, codes by torch.
    On the CPU the scan runs with ``threads`` intra-op threads (``SCAN_CPU_THREADS``, 1, when None), torch's
    setting restored after.

    >>> r = torch_erasure_scan(RopeSpec(8, 10000.0), 2048, "bf16", "native", device="cpu", attention=False)
    >>> r.distinct_stored_positions, r.distinct_positions, r.backend
    (641, 641, 'torch')
    """
    if frequencies is not None:
        raise InvalidRopeSpec("a model's own (scaled) frequencies are scanned by the emulated backend only")
    L = check_scan_context(context)
    limit = int(resolution_limit)
    if limit < 1:
        raise InvalidRopeSpec(f"resolution limit must be at least 1, got {resolution_limit!r}")
    runner = TorchBackend(spec, dtype, pipeline, L, device=device, autocast=autocast, margin=limit + 1)
    with cpu_threads(runner.device, threads):
        return erasure_scan(spec, L, dtype, pipeline, backend=runner, attention=attention, probes=probes,
                            resolution_limit=limit, chunk=chunk, query_seed=query_seed, query=query,
                            window=window, iterate=iterate, hash_mask=hash_mask)
