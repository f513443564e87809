"""Positional erasure measured on torch tensors, on the GPU when there is one: the figures of ``rope_sym.erasure``.

The scan streams positions ``0 .. L-1`` through ``TorchRope`` in blocks. Each block stays on the device: the
stored cos/sin are turned into canonical integer bits of their own width (``-0 -> +0``, one NaN), compared with
the previous row (adjacent erasure per pair), packed into 64-bit words ``w_j`` (four bf16 codes a word) and
hashed into one value per position, ``h(m) = sum_j a_j * w_j(m) mod 2^64`` with fixed odd ``a_j`` (the same for
the rotated query at the attention level). Only the hashes (8 bytes
per position), the stored positions and a few counters persist, so memory is bounded by the block.

Equal hashes are then grouped on the host and every group is verified against the codes themselves, recomputed
by torch (``rope_sym.erasure.exact_distinct``): a hash collision is split, so the counts are exact, as in the
emulated backend. The report is an ``ErasureReport`` plus ``backend``, ``device``, ``torch_version`` and
``autocast``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from rope_sym.erasure import (
    Array,
    Bits,
    ErasureReport,
    assemble_report,
    canonical_bits,
    check_scan_context,
    code_bits,
    default_query,
    exact_distinct,
    resolution_at,
)
from rope_sym.pipelines import DEFAULT_CHUNK
from rope_sym.spec import RopeSpec
from rope_sym.torch_pipelines import (
    TorchRope,
    device_name,
    synchronize,
    to_host,
    torch,  # one place turns a missing torch into a RopeSymError
)

CUDA_CHUNK = 1 << 17
"""Positions per block on a GPU: large enough to fill it, small enough to keep each temporary near 128 MB."""

_INTEGER_VIEW = {2: torch.int16, 4: torch.int32, 8: torch.int64}


@dataclass
class TorchErasureReport(ErasureReport):
    """``ErasureReport`` measured by torch: where and how."""

    backend: str = "torch"
    device: str = "cpu"
    torch_version: str = ""
    autocast: bool = False
    scan_seconds: float = 0.0


def canonical_code(t: torch.Tensor) -> torch.Tensor:
    """Values as integer bit patterns of their own width (int16 for bf16/fp16) in which equal values have equal
    codes: ``-0.0 -> +0.0`` and every NaN -> the all-ones pattern (itself a NaN, so no number shares it)."""
    bits = (t + 0).view(_INTEGER_VIEW[t.element_size()])  # -0 + 0 = +0 in round-to-nearest
    return torch.where(torch.isnan(t), torch.full_like(bits, -1), bits)


def pack_words(codes: torch.Tensor) -> torch.Tensor:
    """Rows of codes reinterpreted as 64-bit words (four 16-bit codes a word), zero-padded to a whole word."""
    width = codes.shape[-1] * codes.element_size()
    if width % 8:
        pad = (8 - width % 8) // codes.element_size()
        codes = torch.cat((codes, codes.new_zeros(*codes.shape[:-1], pad)), dim=-1)
    return codes.contiguous().view(torch.int64)


def hash_multipliers(width: int, device: torch.device) -> torch.Tensor:
    """Fixed odd 64-bit multipliers ``a_j`` (as int64, wrapping) for rows of ``width`` words."""
    rng = np.random.default_rng(0x7045)
    a = rng.integers(0, 2**63, size=width, dtype=np.uint64) * np.uint64(2) + np.uint64(1)
    return torch.from_numpy(a.view(np.int64)).to(device)


def hash_codes(codes: torch.Tensor, multipliers: torch.Tensor | None = None) -> torch.Tensor:
    """``sum_j a_j * w_j mod 2^64`` over the row's 64-bit words ``w_j`` (``pack_words``; int64 arithmetic
    wraps), an int64 per row. Packing keeps the traffic at the codes' own width."""
    words = pack_words(codes)
    if multipliers is None or multipliers.numel() != words.shape[-1]:
        multipliers = hash_multipliers(words.shape[-1], words.device)
    return (words * multipliers).sum(dim=-1)


def torch_erasure_scan(spec: RopeSpec, context: object, dtype: str = "bf16", pipeline: str = "hf", *,
                       device: str | torch.device | None = None, autocast: bool = False, attention: bool = True,
                       probes: Iterable[int] | None = None, resolution_limit: int = 1 << 12,
                       chunk: int | None = None, query_seed: int = 0,
                       iterate: Callable[[range], Iterable[int]] | None = None) -> TorchErasureReport:
    """``rope_sym.erasure.erasure_scan`` with the codes computed by torch (``TorchRope``) on ``device``.

    Same arguments and figures as the emulated scan (``oracle_decided`` is 0: torch's own cos/sin are used);
    ``chunk`` defaults to 2^12 positions on a CPU and ``CUDA_CHUNK`` on a GPU.

    >>> r = torch_erasure_scan(RopeSpec(8, 10000.0), 2048, "bf16", "native", device="cpu", attention=False)
    >>> r.distinct_stored_positions, r.distinct_positions, r.backend
    (641, 641, 'torch')
    """
    L = check_scan_context(context)
    rope = TorchRope(spec, dtype, pipeline, L, device=device, autocast=autocast, margin=resolution_limit + 1)
    dev, fmts, n = rope.device, rope.formats, spec.n_pairs
    block = chunk or (CUDA_CHUNK if dev.type == "cuda" else DEFAULT_CHUNK)
    query_host = default_query(spec, query_seed)
    query = torch.as_tensor(query_host, device=dev)
    code_mult = hash_multipliers(pack_words(torch.zeros(1, 2 * n, dtype=rope.store_dtype)).shape[-1], dev)
    rotated_mult = hash_multipliers(pack_words(torch.zeros(1, spec.head_dim, dtype=rope.store_dtype)).shape[-1],
                                    dev)

    hashes = torch.empty(L, dtype=torch.int64, device=dev)
    rotated_hashes = torch.empty(L, dtype=torch.int64, device=dev) if attention else None
    stored = torch.empty(L, dtype=rope.stored_positions(torch.zeros(1, dtype=torch.int64)).dtype, device=dev)
    same_steps = torch.zeros(n, dtype=torch.int64, device=dev)
    nonfinite = torch.zeros((), dtype=torch.int64, device=dev)
    first_nonfinite = torch.full((), L, dtype=torch.int64, device=dev)
    previous: torch.Tensor | None = None

    synchronize(dev)
    start = time.perf_counter()
    starts = range(0, L, block)
    for lo in (iterate(starts) if iterate is not None else starts):
        hi = min(lo + block, L)
        index = torch.arange(lo, hi, dtype=torch.int64, device=dev)
        stored[lo:hi] = rope.stored_positions(index)
        c, s = rope.cos_sin(index)
        codes = torch.cat((canonical_code(c), canonical_code(s)), dim=1)
        rows = codes if previous is None else torch.cat((previous, codes))
        same = rows[1:] == rows[:-1]
        same_steps += (same[:, :n] & same[:, n:]).sum(dim=0)
        previous = codes[-1:]
        hashes[lo:hi] = hash_codes(codes, code_mult)
        bad = ~(torch.isfinite(c).all(dim=1) & torch.isfinite(s).all(dim=1))
        nonfinite += bad.sum()
        first_nonfinite = torch.minimum(first_nonfinite, torch.where(bad, index, L).min())
        if rotated_hashes is not None:
            rotated_hashes[lo:hi] = hash_codes(canonical_code(rope.rotate(query, c, s)), rotated_mult)
    synchronize(dev)
    scan_seconds = time.perf_counter() - start

    stored_host = to_host(stored)
    distinct_stored = int(torch.unique(stored).numel())

    def codes_at(pos: Array) -> tuple[Array, Array]:
        c, s = rope.cos_sin(rope.index(pos))
        return to_host(c), to_host(s)

    def code_rows(pos: NDArray[np.int64]) -> Bits:
        return code_bits(*codes_at(pos.astype(np.float64)))

    def rotated_rows(pos: NDArray[np.int64]) -> Bits:
        c, s = rope.cos_sin(rope.index(pos))
        return canonical_bits(to_host(rope.rotate(query, c, s)))

    def key(pos: NDArray[np.int64]) -> Array:
        return stored_host[pos]

    codes_distinct = exact_distinct(_unsigned(hashes), code_rows, DEFAULT_CHUNK, key)
    rotated_distinct = (exact_distinct(_unsigned(rotated_hashes), rotated_rows, DEFAULT_CHUNK, key)
                        if rotated_hashes is not None else None)
    probe_list = sorted({L // 2, L - 1} if probes is None else {int(p) for p in probes})
    resolution = {p: resolution_at(spec, p, fmts.dtype.name, fmts.pipeline, resolution_limit,
                                   min(block, DEFAULT_CHUNK * 16), codes=codes_at) for p in probe_list}
    n_nonfinite = int(nonfinite)
    report = assemble_report(
        spec, L, fmts, same_steps.cpu().numpy(), codes_distinct, rotated_distinct,
        distinct_stored=distinct_stored, nonfinite=n_nonfinite,
        first_nonfinite=int(first_nonfinite) if n_nonfinite else None, resolution=resolution,
        resolution_limit=resolution_limit, report_type=TorchErasureReport,
        device=device_name(dev), torch_version=torch.__version__, autocast=rope.autocast,
        scan_seconds=scan_seconds)
    assert isinstance(report, TorchErasureReport)
    return report


def _unsigned(hashes: torch.Tensor) -> NDArray[np.uint64]:
    return hashes.cpu().numpy().view(np.uint64)
