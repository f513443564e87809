"""Throughput of the erasure scan, every backend side by side with the floors it is held to, in one run.

Rows, all at d = 128, base 5e5, bf16, positions x pairs per second of the scan pass (the block loop that
``verify erasure`` runs: cos/sin, codes, adjacent steps, hashes; timed by the engine itself, after a warm-up;
best of ``REPEATS``; grouping the hashes and the resolution probes are outside it, the same for every backend):

- ``floor: numpy float64 cos+sin``: numpy's float64 ``cos`` and ``sin`` over the scan's own angle table, block by
  block: what the emulated backend cannot avoid (it rounds those values once to the phase format);
- ``emulated``: the exact emulation (``backend="emulated"``), numpy on one core; with and without the attention
  level (the rotated-query hashes);
- ``floor: torch fp32 cos+sin+cast``: torch's own kernels on the same angles (fp32 ``cos``, ``sin``, cast to bf16);
- ``floor: torch fp32 cos+sin+cast`` with the scan's thread count;
- ``torch``: the torch backend on the CPU with its own thread count (``SCAN_CPU_THREADS``, 1: each kernel is a
  pass over a half-megabyte block ending in a barrier, and under load OpenMP threads that wait for a descheduled
  one slow a scan several-fold), and with torch's default intra-op threads for comparison; on a GPU when one is
  present, at 2^24 positions.

What bounds the torch CPU scan: its rate over the torch floor's (the same thread count) is printed; the remainder
is the codes (``v + 0`` viewed as integers; a block whose sum is not NaN skips the NaN canonicalisation), the
step compares and the hashes, each one pass over the block. The load average is printed with the figures: the
machine may be shared.

Targets (the issue's): torch CPU >= 3e7 and >= 2x the emulated backend; emulated >= 1/2 of its floor; on a GPU,
the scan's memory traffic >= 50% of the device's copy bandwidth. Traffic is *bytes touched*: every kernel of one
block intercepted (``TorchDispatchMode``) and the bytes of its inputs and outputs summed, per position (an upper
bound on DRAM traffic); copy bandwidth is a device-to-device copy of 1 GiB, bytes read plus written over its time.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from rope_sym.erasure import block_size, erasure_scan
from rope_sym.pipelines import angles
from rope_sym.spectrum.spec import RopeSpec
from verify.benches import BenchOptions, BenchResult, benchmark

SPEC = RopeSpec(128, 500000.0)
DTYPE, PIPELINE = "bf16", "hf"
REPEATS = 3
TARGET_TORCH_CPU = 3e7


def _best(run: Callable[[], float]) -> float:
    """The smallest of ``REPEATS`` timings (seconds) returned by ``run``."""
    return min(run() for _ in range(REPEATS))


def _row(what: str, device: str, positions: int, seconds: float, **extra: Any) -> dict[str, Any]:
    return {"what": what, "device": device, "positions": positions, "seconds": seconds,
            "positions*pairs/s": positions * SPEC.n_pairs / seconds, **extra}


def _scan_seconds(context: int, backend: str = "emulated", **kwargs: Any) -> float:
    if backend == "torch":
        from rope_sym.torch_backend import torch_erasure_scan

        return torch_erasure_scan(SPEC, context, DTYPE, PIPELINE, probes=[], **kwargs).scan_seconds
    return erasure_scan(SPEC, context, DTYPE, PIPELINE, probes=[], **kwargs).scan_seconds


def numpy_floor(context: int) -> float:
    """Seconds of numpy float64 ``cos`` + ``sin`` over the scan's angle table, in the scan's blocks."""
    block = block_size(SPEC, "cpu")
    tables = [angles(SPEC, np.arange(lo, min(lo + block, context), dtype=np.float64), DTYPE, PIPELINE)
              for lo in range(0, min(context, 64 * block), block)]
    start = time.perf_counter()
    done = 0
    while done < context:
        for table in tables:
            np.cos(table)
            np.sin(table)
            done += table.shape[0]
            if done >= context:
                break
    return time.perf_counter() - start


def _torch_rows(context: int, gpu_context: int, notes: list[str]) -> list[dict[str, Any]]:
    import torch

    from rope_sym.torch_backend import TorchRope, device_name, synchronize
    from rope_sym.torch_backend.runtime import cpu_threads

    rows: list[dict[str, Any]] = []
    cpu_rope = TorchRope(SPEC, DTYPE, PIPELINE, context, device="cpu")
    block = block_size(SPEC, "cpu")

    def kernel_floor(rope: Any, n: int, blk: int) -> float:
        tables = [rope.angles(torch.arange(lo, min(lo + blk, n), device=rope.device)) for lo in range(0, n, blk)]
        synchronize(rope.device)
        start = time.perf_counter()
        for table in tables:
            table.cos().to(rope.store_dtype)
            table.sin().to(rope.store_dtype)
        synchronize(rope.device)
        return time.perf_counter() - start

    default_threads = torch.get_num_threads()
    with cpu_threads(torch.device("cpu"), None) as threads:  # the scan's own setting (SCAN_CPU_THREADS)
        floor = _best(lambda: kernel_floor(cpu_rope, context, block))
    rows.append(_row("floor: torch fp32 cos+sin+cast", f"cpu, {threads} thread", context, floor))
    _scan_seconds(min(context, 1 << 14), backend="torch", device="cpu", attention=False)  # warm-up
    scan = _best(lambda: _scan_seconds(context, backend="torch", device="cpu", attention=False))
    rows.append(_row("torch", f"cpu, {threads} thread (default)", context, scan))
    notes.append(f"torch cpu scan: {floor / scan:.2f} of its floor's rate (fp32 cos+sin+cast, {threads} thread): "
                 f"the rest is codes, step compares and hashes, one pass each over the block")
    if default_threads > threads:
        rows.append(_row("torch", f"cpu, {default_threads} threads (torch's default)", context,
                         _best(lambda: _scan_seconds(context, backend="torch", device="cpu", attention=False,
                                                     threads=default_threads))))
    if torch.cuda.is_available():
        _scan_seconds(1 << 16, backend="torch", device="cuda", attention=False)  # warm-up
        seconds = _best(lambda: _scan_seconds(gpu_context, backend="torch", device="cuda", attention=False))
        per_position = bytes_per_position("cuda", block_size(SPEC, "cuda"))
        peak = copy_bandwidth("cuda")
        achieved = per_position * gpu_context / seconds
        rows.append(_row("torch", device_name(torch.device("cuda")), gpu_context, seconds,
                         **{"bytes/position": per_position, "achieved GB/s": achieved / 1e9,
                            "copy GB/s": peak / 1e9, "fraction of copy bandwidth": achieved / peak}))
    else:
        notes.append("GPU rows SKIPPED: torch.cuda.is_available() is False on this machine")
    notes.append(f"torch {torch.__version__}; torch's default {default_threads} threads, the scan's {threads}")
    return rows


def bytes_per_position(device: str, block: int) -> float:
    """Bytes read and written by the scan's kernels for one block, per position (every kernel intercepted)."""
    import torch
    from torch.utils._python_dispatch import TorchDispatchMode

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
        _scan_seconds(2 * block, backend="torch", device=device, attention=False, chunk=block)
    return counter.bytes / (2 * block)


def copy_bandwidth(device: str, size: int = 1 << 30) -> float:
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


@benchmark("erasure", "erasure scan: floors, emulated, torch CPU (and GPU), side by side, positions*pairs/s")
def erasure(options: BenchOptions) -> BenchResult:
    context = 1 << 13 if options.quick else 1 << 19
    gpu_context = 1 << 14 if options.quick else 1 << 24
    notes = [f"d=128, base 5e5, {DTYPE} {PIPELINE}; scan pass only, best of {REPEATS}; load average "
             f"{os.getloadavg()[0]:.2f} on {os.cpu_count()} cores"]
    floor = _best(lambda: numpy_floor(context))
    rows = [_row("floor: numpy float64 cos+sin", "cpu (numpy)", context, floor)]
    _scan_seconds(min(context, 1 << 14))  # warm-up (caches the inv_freq chain)
    emulated = _best(lambda: _scan_seconds(context, attention=False))
    rows.append(_row("emulated", "cpu (numpy)", context, emulated))
    rows.append(_row("emulated, attention level", "cpu (numpy)", context, _best(lambda: _scan_seconds(context))))
    notes.append(f"emulated / its floor: {floor / emulated:.2f} of the floor's rate (target >= 0.5)")
    try:
        import torch  # noqa: F401
    except ImportError:
        notes.append("torch rows SKIPPED: torch is not installed")
    else:
        torch_rows = _torch_rows(context, gpu_context, notes)
        rows += torch_rows
        cpu = next(r for r in torch_rows if r["what"] == "torch" and "(default)" in r["device"])
        rate = cpu["positions*pairs/s"]
        notes.append(f"torch cpu: {rate:.3g} positions*pairs/s (target >= {TARGET_TORCH_CPU:.0e}), "
                     f"{emulated / cpu['seconds']:.2f}x the emulated backend (target >= 2); load average at the "
                     f"end {os.getloadavg()[0]:.2f}")
    for row in rows:  # one column set for the table
        for key in ("bytes/position", "achieved GB/s", "copy GB/s", "fraction of copy bandwidth"):
            row.setdefault(key, None)
    return BenchResult(f"erasure scan throughput, L={context:,}", rows, notes)
