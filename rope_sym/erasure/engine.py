"""The erasure scan: one block loop over a small backend protocol, the same for exact emulation and for torch.

A backend (``ScanBackend``) computes a pipeline's stored ``cos``/``sin`` for a block of positions, on its own
device, and the few array operations the loop needs (``ArrayOps``); everything else is here, written once:

- codes: ``canonical_codes`` of ``[cos_0 .. cos_{n-1}, sin_0 .. sin_{n-1}]`` per position (``rope_sym.erasure
  .codes``), compared with the previous row (same-code steps per pair), hashed, and checked for NaN;
- the rotated query (the attention level): ``default_query`` rotated by the block's cos/sin, coded and hashed;
- the stored positions, kept for the distinct count and as the key that settles most hash groups at once;
- after the loop: exact classes of the hashes (``exact_classes``), the resolution at probe positions, and the
  report (``assemble_report``).

Memory: the block (``block_size`` positions) plus, per position, the hashes (8 bytes each, two with the
attention level), the stored position (4 bytes), a NaN flag (1 byte), and the sort and grouping arrays of
``exact_classes`` (about 40 bytes): 2^24 positions peak near 1 GB.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import Any, Protocol

import numpy as np
from numpy.typing import NDArray

from rope_sym.erasure.codes import (
    CODE_BYTES,
    ArrayOps,
    Classes,
    canonical_codes,
    exact_classes,
    has_nan,
    hash_rows,
    multipliers,
)
from rope_sym.erasure.report import ErasureReport, assemble_report
from rope_sym.errors import InvalidRopeSpec
from rope_sym.pipelines.table import PipelineFormats
from rope_sym.spectrum.spec import RopeSpec, check_context, check_positive_integer

MAX_SCAN_CONTEXT = 1 << 26
"""Longest context scanned: about 60 bytes per position are kept (module docstring), ~4 GB here."""

BLOCK_VALUES = {"cpu": 1 << 18, "cuda": 1 << 23}
"""Values (positions x pairs) per block by device kind: a CPU block stays in cache (4096 positions of 64 pairs),
a GPU block fills the device (131072 positions of 64 pairs) with temporaries near 128 MB."""

MAX_BLOCK = 1 << 22
"""Largest block a caller may ask for (positions)."""

RESOLUTION_LIMIT = 1 << 12
"""Default search length of the resolution probes (steps)."""

Iterate = Callable[[range], Iterable[int]]


class ScanBackend(Protocol):
    """What the scan needs from a backend; arrays are the backend's own (numpy arrays, torch tensors).

    ``cos_sin(lo, hi)``: the stored cos/sin ``(hi - lo, n)`` of positions ``lo .. hi-1``; ``cos_sin_at(positions)``:
    the same at any positions (a host int64 array); ``stored_positions(lo, hi)``: positions as the pipeline
    holds them, as float32 (exact: every stored position below ``MAX_SCAN_CONTEXT`` is an integer or inf);
    ``rotate(x, cos, sin)``: ``x`` (from ``as_array``) rotated as the pipeline's eager code does; ``zeros(n, kind)``
    with kind ``"int64"``, ``"bool"`` or ``"float32"``; ``to_numpy``; ``unique_count``; ``synchronize``.
    ``measured()``: the report fields describing the backend.
    """

    spec: RopeSpec
    formats: PipelineFormats
    ops: ArrayOps
    device_kind: str

    def cos_sin(self, lo: int, hi: int) -> tuple[Any, Any]: ...
    def cos_sin_at(self, positions: NDArray[np.int64]) -> tuple[Any, Any]: ...
    def stored_positions(self, lo: int, hi: int) -> Any: ...
    def rotate(self, x: Any, cos: Any, sin: Any) -> Any: ...
    def as_array(self, x: NDArray[np.float64]) -> Any: ...
    def zeros(self, n: int, kind: str) -> Any: ...
    def to_numpy(self, a: Any) -> NDArray[Any]: ...
    def unique_count(self, a: Any) -> int: ...
    def synchronize(self) -> None: ...
    def measured(self) -> dict[str, Any]: ...


def check_scan_context(context: object) -> int:
    """A whole number of positions in ``[2, MAX_SCAN_CONTEXT]``."""
    c = check_context(context)
    if not float(c).is_integer():
        raise InvalidRopeSpec(f"context must be a whole number of positions, got {context!r}")
    n = int(c)
    if n < 2:
        raise InvalidRopeSpec(f"context must be at least 2 positions, got {n}")
    if n > MAX_SCAN_CONTEXT:
        raise InvalidRopeSpec(f"context {n} exceeds the largest scanned context 2^26 = {MAX_SCAN_CONTEXT}")
    return n


def block_size(spec: RopeSpec, device_kind: str, chunk: object = None) -> int:
    """Positions per block: ``chunk`` when given (a positive integer up to ``MAX_BLOCK``), else
    ``BLOCK_VALUES[device_kind] / n_pairs`` (at least 256)."""
    if chunk is not None:
        return check_positive_integer(chunk, "chunk", MAX_BLOCK)
    return max(256, BLOCK_VALUES.get(device_kind, BLOCK_VALUES["cpu"]) // spec.n_pairs)


def default_query(spec: RopeSpec, seed: int = 0) -> NDArray[np.float64]:
    """The fixed query of the attention-level count: standard normal entries (seeded), one per head dim."""
    return np.random.default_rng(seed).standard_normal(spec.head_dim)


def codes_of(backend: ScanBackend, cos: Any, sin: Any) -> Any:
    """Position codes ``[cos codes | sin codes]`` ``(P, 2n)``."""
    return backend.ops.concat([canonical_codes(cos, backend.ops), canonical_codes(sin, backend.ops)], 1)


def code_rows(backend: ScanBackend, positions: NDArray[np.int64]) -> NDArray[Any]:
    """Host codes of the positions (recomputed; for verification and probes)."""
    return backend.to_numpy(codes_of(backend, *backend.cos_sin_at(positions)))


def resolution_at(backend: ScanBackend, position: int, limit: int, block: int) -> list[int | None]:
    """Per pair, the smallest ``k`` in ``1 .. limit`` with ``code_i(position + k) != code_i(position)``, else None
    (a pair's code is its cos and its sin)."""
    n = backend.spec.n_pairs
    ref = code_rows(backend, np.array([position], dtype=np.int64))[0]
    result: list[int | None] = [None] * n
    open_pairs = np.arange(n)
    for lo in range(position + 1, position + limit + 1, block):
        hi = min(lo + block, position + limit + 1)
        rows = code_rows(backend, np.arange(lo, hi, dtype=np.int64))
        changed = (rows[:, open_pairs] != ref[open_pairs]) | (rows[:, n + open_pairs] != ref[n + open_pairs])
        hit = changed.any(axis=0)
        for j in np.flatnonzero(hit):
            result[int(open_pairs[j])] = lo + int(np.argmax(changed[:, j])) - position
        open_pairs = open_pairs[~hit]
        if open_pairs.size == 0:
            break
    return result


def check_window(window: object, context: int) -> tuple[int, int]:
    """A window ``(start, end)`` of positions with ``0 <= start``, ``start + 2 <= end <= context`` (at least one
    step); ``None`` is the whole context."""
    if window is None:
        return 0, context
    if not isinstance(window, (tuple, list)) or len(window) != 2:
        raise InvalidRopeSpec(f"window must be a pair (start, end), got {window!r}")
    start = check_positive_integer(window[0], "window start", MAX_SCAN_CONTEXT, minimum=0)
    end = check_positive_integer(window[1], "window end", MAX_SCAN_CONTEXT)
    if not start + 2 <= end <= context:
        raise InvalidRopeSpec(f"window {start}:{end} must hold at least two positions inside 0 .. {context}")
    return start, end


def check_query(query: object, head_dim: int) -> NDArray[np.float64]:
    """A query vector: ``head_dim`` finite real numbers."""
    try:
        q = np.asarray(query, dtype=np.float64)
    except (TypeError, ValueError):
        raise InvalidRopeSpec("query must be a list of real numbers") from None
    if q.shape != (head_dim,):
        raise InvalidRopeSpec(f"query must hold {head_dim} numbers (the head dim), got shape {q.shape}")
    if not np.all(np.isfinite(q)):
        raise InvalidRopeSpec("query must hold finite numbers only")
    return q


def _steps_in_window(equal: Any, first_step: int, window: tuple[int, int], count: Callable[[Any], Any]) -> Any:
    """Sum over the rows of ``equal`` (row ``k``: the step into position ``first_step + k``) whose step lies
    inside the window, i.e. into a position in ``start + 1 .. end - 1``; None when no row does."""
    a = max(window[0] + 1 - first_step, 0)
    b = min(window[1] - first_step, equal.shape[0])
    return count(equal[a:b]) if b > a else None


def _plain_codes(values: Any, ops: ArrayOps) -> Any:
    """``canonical_codes`` of values known to hold no NaN: ``bits(v + 0)`` (``-0 + 0 = +0``), contiguous."""
    return ops.contiguous(ops.bits_of(values + 0))


def _pair_equal(new: Any, old: Any, n: int) -> Any:
    """Rows of ``[first members | second members]`` codes (half layout): both members of each pair equal."""
    return (new[..., :n] == old[..., :n]) & (new[..., n:2 * n] == old[..., n:2 * n])


def scan(backend: ScanBackend, context: object, *, attention: bool = True, probes: Iterable[int] | None = None,
         resolution_limit: int = RESOLUTION_LIMIT, chunk: object = None, query_seed: int = 0,
         query: object = None, window: object = None, iterate: Iterate | None = None,
         hash_mask: int | None = None, frequencies: NDArray[np.float64] | None = None) -> ErasureReport:
    """Scan positions ``0 .. context-1`` with ``backend`` and return the exact figures (``rope_sym.erasure``).

    ``probes``: positions for the resolution (default ``context // 2`` and ``context - 1``), searched up to
    ``resolution_limit`` steps. ``attention``: also count distinct rotated query vectors and each pair's
    same-code steps of the rotated vector; ``query`` (``head_dim`` numbers, half layout) is the vector, default
    ``default_query(spec, query_seed)``. ``window``: ``(start, end)``, the per-pair erasure counts only the steps
    between positions in ``start .. end-1`` (default: all of ``0 .. context-1``; the distinct counts always cover
    the whole context). ``chunk``: positions per block (``block_size``). ``iterate`` wraps the range of block starts (a
    progress bar). ``hash_mask`` keeps only some bits of every hash (tests force collisions to exercise their
    exact repair).
    """
    L, spec, ops = check_scan_context(context), backend.spec, backend.ops
    n = spec.n_pairs
    block = block_size(spec, backend.device_kind, chunk)
    probe_list = sorted({L // 2, L - 1} if probes is None else {int(p) for p in probes})
    if any(not 0 <= p < L for p in probe_list):
        raise InvalidRopeSpec(f"probe positions must lie in 0 .. {L - 1}, got {probe_list}")
    span = check_window(window, L)
    query_host = default_query(spec, query_seed) if query is None else check_query(query, spec.head_dim)
    query_array = backend.as_array(query_host)
    # a row's hash is the linear hash of [cos codes | sin codes]: the two halves hashed apart and added
    half_words = _words(n, backend.formats)
    weights = multipliers(2 * half_words)
    cos_weights, sin_weights = ops.from_numpy(weights[:half_words]), ops.from_numpy(weights[half_words:])
    rotated_weights = ops.from_numpy(multipliers(_words(spec.head_dim, backend.formats)))
    hashes = backend.zeros(L, "int64")
    rotated_hashes = backend.zeros(L, "int64") if attention else None
    stored = backend.zeros(L, "float32")
    nan_rows = backend.zeros(L, "bool")
    same_steps = backend.zeros(n, "int64")
    rotated_same = backend.zeros(n, "int64") if attention else None
    last: tuple[Any, Any] | None = None
    last_rotated: Any = None

    host = backend.device_kind == "cpu"  # reading a block's sum back costs nothing there
    backend.synchronize()
    start = time.perf_counter()
    starts = range(0, L, block)
    for lo in (iterate(starts) if iterate is not None else starts):
        hi = min(lo + block, L)
        c, s = backend.cos_sin(lo, hi)
        # a host block without NaN (one sum says so) needs no NaN canonicalisation and no NaN flags
        careful = not host or has_nan(c) or has_nan(s)
        cos_codes = canonical_codes(c, ops) if careful else _plain_codes(c, ops)
        sin_codes = canonical_codes(s, ops) if careful else _plain_codes(s, ops)
        # same-code steps per pair inside the window: within the block, then across its boundary
        inside = _steps_in_window((cos_codes[1:] == cos_codes[:-1]) & (sin_codes[1:] == sin_codes[:-1]), lo + 1, span,
                                  ops.count_true)
        if inside is not None:
            same_steps += inside
        if last is not None and span[0] < lo < span[1]:
            same_steps += ((cos_codes[:1] == last[0]) & (sin_codes[:1] == last[1])).sum(0)
        last = cos_codes[-1:], sin_codes[-1:]
        hashes[lo:hi] = hash_rows(cos_codes, ops, cos_weights) + hash_rows(sin_codes, ops, sin_weights)
        if careful:
            nan_rows[lo:hi] = (cos_codes == -1).any(1) | (sin_codes == -1).any(1)  # -1: the NaN code only
        stored[lo:hi] = backend.stored_positions(lo, hi)
        if rotated_hashes is not None and rotated_same is not None:
            turned = backend.rotate(query_array, c, s)
            rotated = canonical_codes(turned, ops) if not host or has_nan(turned) else _plain_codes(turned, ops)
            rotated_hashes[lo:hi] = hash_rows(rotated, ops, rotated_weights)
            inside = _steps_in_window(_pair_equal(rotated[1:], rotated[:-1], n), lo + 1, span, ops.count_true)
            if inside is not None:
                rotated_same += inside
            if last_rotated is not None and span[0] < lo < span[1]:
                rotated_same += _pair_equal(rotated[:1], last_rotated, n).sum(0)
            last_rotated = rotated[-1:]
    backend.synchronize()
    scan_seconds = time.perf_counter() - start

    stored_host = backend.to_numpy(stored)
    nan_host = backend.to_numpy(nan_rows)
    n_nan = int(np.count_nonzero(nan_host))

    def key(pos: NDArray[np.int64]) -> NDArray[Any]:
        return stored_host[pos]

    def host_hashes(h: Any) -> NDArray[np.int64]:
        out = backend.to_numpy(h)
        return out if hash_mask is None else out & np.int64(hash_mask)

    key_of = None if hash_mask is not None else key  # a weakened hash is verified row by row
    codes_classes = exact_classes(host_hashes(hashes), lambda p: code_rows(backend, p), key_of)
    del hashes
    rotated_classes: Classes | None = None
    if rotated_hashes is not None:
        def rotated_rows(pos: NDArray[np.int64]) -> NDArray[Any]:
            c_, s_ = backend.cos_sin_at(pos)
            return backend.to_numpy(canonical_codes(backend.rotate(query_array, c_, s_), ops))

        rotated_classes = exact_classes(host_hashes(rotated_hashes), rotated_rows, key_of)
    resolution = {p: resolution_at(backend, p, resolution_limit, block) for p in probe_list}
    return assemble_report(
        spec, L, backend.formats, backend.to_numpy(same_steps), codes_classes, rotated_classes, window=span,
        rotated_same_steps=None if rotated_same is None else backend.to_numpy(rotated_same), frequencies=frequencies,
        distinct_stored=backend.unique_count(stored), nonfinite=n_nan,
        first_nonfinite=int(np.argmax(nan_host)) if n_nan else None, resolution=resolution,
        resolution_limit=resolution_limit, scan_seconds=scan_seconds, **backend.measured())


def _words(width: int, fmts: PipelineFormats) -> int:
    """64-bit words in a packed row of ``width`` codes of the stored format."""
    return -(-width // (8 // CODE_BYTES[fmts.store.name]))
