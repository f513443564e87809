"""Throughput of the erasure scan, emulated and in torch (CPU, and the GPU when there is one), side by side.

Figures are positions x pairs per second of the scan pass (cos/sin, codes, adjacent steps, hashes), timed after a
warm-up; grouping the hashes and the resolution probes are left out (``attention=False``, ``probes=[]``), the
same for every backend. The torch scan's memory traffic is reported against the device's bandwidth (the figure
the issue asks for on a GPU; on a CPU it shows how far the scan is from memory-bound):

- *bytes touched*: every eager kernel of one block is intercepted (``TorchDispatchMode``) and the bytes of its
  input and output tensors summed, per position; times the positions over the scan time, this is the
  achieved traffic (an upper bound on DRAM traffic: a kernel whose inputs are still in cache is counted too);
- *copy bandwidth*: a device-to-device copy of 1 GiB, bytes read plus written over its time, the practical
  peak; the fraction is achieved traffic over copy bandwidth.
"""

from __future__ import annotations

import time
from typing import Any

from rope_sym.erasure import erasure_scan
from rope_sym.spectrum.spec import RopeSpec
from verify.benches import BenchOptions, BenchResult, benchmark

SPEC = RopeSpec(128, 500000.0)


def _torch_ready() -> str | None:
    try:
        import torch  # noqa: F401
    except ImportError:
        return "torch is not installed"
    return None


def bytes_per_position(spec: RopeSpec, dtype: str, pipeline: str, device: Any, block: int) -> float:
    """Bytes of the tensors read and written by the scan's kernels for one block, per position."""
    import torch
    from torch.utils._python_dispatch import TorchDispatchMode

    from rope_sym.torch_backend.erasure import torch_erasure_scan

    class CountBytes(TorchDispatchMode):
        def __init__(self) -> None:
            super().__init__()
            self.bytes = 0

        def __torch_dispatch__(self, func: Any, types: Any, args: Any = (), kwargs: Any = None) -> Any:
            out = func(*args, **(kwargs or {}))
            tensors = [a for a in (*args, *(kwargs or {}).values()) if isinstance(a, torch.Tensor)]
            outs = out if isinstance(out, (tuple, list)) else [out]
            tensors += [o for o in outs if isinstance(o, torch.Tensor)]
            if "view" not in str(func) and "empty" not in str(func):
                self.bytes += sum(t.numel() * t.element_size() for t in tensors)
            return out

    counter = CountBytes()
    with counter:  # two blocks: the second pays the adjacent-step carry like every later block
        torch_erasure_scan(spec, 2 * block, dtype, pipeline, device=device, attention=False, probes=[],
                           chunk=block)
    return counter.bytes / (2 * block)


def copy_bandwidth(device: Any, size: int = 1 << 30) -> float:
    """Bytes read plus written per second by a device-to-device copy of ``size`` bytes (best of 5)."""
    import torch

    from rope_sym.torch_backend import synchronize

    src = torch.empty(size, dtype=torch.uint8, device=device)
    dst = torch.empty_like(src)
    best = float("inf")
    for _ in range(5):
        synchronize(device)
        start = time.perf_counter()
        dst.copy_(src)
        synchronize(device)
        best = min(best, time.perf_counter() - start)
    return 2 * size / best


def _torch_row(device: Any, context: int, dtype: str, pipeline: str, gpu: bool) -> dict[str, Any]:
    from rope_sym.pipelines.emulated import DEFAULT_CHUNK
    from rope_sym.torch_backend.erasure import CUDA_CHUNK, torch_erasure_scan

    torch_erasure_scan(SPEC, min(context, 1 << 16), dtype, pipeline, device=device, attention=False, probes=[])
    report = torch_erasure_scan(SPEC, context, dtype, pipeline, device=device, attention=False, probes=[])
    rate = context * SPEC.n_pairs / report.scan_seconds
    per_position = bytes_per_position(SPEC, dtype, pipeline, device, CUDA_CHUNK if gpu else DEFAULT_CHUNK)
    achieved = per_position * context / report.scan_seconds
    peak = copy_bandwidth(device, 1 << 30 if gpu else 1 << 28)
    return {"backend": "torch", "device": report.device, "pipeline": pipeline, "dtype": dtype,
            "positions": context, "scan s": report.scan_seconds, "positions*pairs/s": rate,
            "bytes/position": per_position, "achieved GB/s": achieved / 1e9, "copy GB/s": peak / 1e9,
            "fraction of copy bandwidth": achieved / peak}


@benchmark("erasure-torch", "erasure scan: emulated vs torch CPU vs torch GPU, positions*pairs/s")
def erasure_torch(options: BenchOptions) -> BenchResult:
    cpu_context = 1 << 13 if options.quick else 1 << 20
    gpu_context = 1 << 14 if options.quick else 1 << 24
    rows: list[dict[str, Any]] = []
    notes = ["d=128, base 5e5, scan pass only (attention level and resolution probes off), after a warm-up"]
    for pipeline in ("hf", "native"):
        start = time.perf_counter()
        erasure_scan(SPEC, cpu_context, "bf16", pipeline, attention=False, probes=[])
        seconds = time.perf_counter() - start
        rows.append({"backend": "emulated", "device": "cpu (numpy)", "pipeline": pipeline, "dtype": "bf16",
                     "positions": cpu_context, "scan s": seconds,
                     "positions*pairs/s": cpu_context * SPEC.n_pairs / seconds})
    reason = _torch_ready()
    if reason is not None:
        notes.append(f"torch rows SKIPPED: {reason}")
        return BenchResult("erasure scan throughput", rows, notes)
    import torch

    for pipeline in ("hf", "native"):
        rows.append(_torch_row("cpu", cpu_context, "bf16", pipeline, gpu=False))
    if torch.cuda.is_available():
        for pipeline in ("hf", "native"):
            rows.append(_torch_row("cuda", gpu_context, "bf16", pipeline, gpu=True))
    else:
        notes.append("GPU rows SKIPPED: torch.cuda.is_available() is False on this machine")
    notes.append("bytes/position counts every eager kernel's inputs and outputs (module docstring)")
    notes.append(f"torch {torch.__version__}, {torch.get_num_threads()} CPU threads; the emulated backend is "
                 "numpy on one core")
    for row in rows:  # one column set for the table
        for key in ("bytes/position", "achieved GB/s", "copy GB/s", "fraction of copy bandwidth"):
            row.setdefault(key, None)
    return BenchResult("erasure scan throughput (bf16)", rows, notes)
