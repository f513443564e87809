"""Exact positional erasure: which positions a RoPE pipeline can still tell apart, counted exactly.

The *code* of position ``m`` is the vector of its stored ``(cos, sin)`` values over all pairs, as a pipeline of
``rope_sym.pipelines`` stores them. Over positions ``0 .. L-1`` this module computes

- ``distinct_positions``: the number of distinct codes, and ``first_collision``: the smallest ``m`` whose code
  equals an earlier position's (``None`` when all ``L`` codes differ);
- ``adjacent_erasure[i]``: the fraction of ``m`` in ``[0, L-1)`` with ``code_i(m+1) == code_i(m)`` (cos and sin
  both equal): pair ``i`` cannot see a one-token step there;
- ``erased_pairs``: pairs with ``adjacent_erasure > 0.5``, and ``wall_theta``: the largest frequency
  ``theta_i = base^(-2i/d)`` among them, set against the precision wall ``theta > eps_mach`` of the paper;
- ``resolution``: at a few probe positions, the smallest step ``k >= 1`` with ``code_i(m+k) != code_i(m)``;
- at the level attention sees: a fixed query vector rotated in the dtype, ``distinct_rotated`` and
  ``first_rotated_collision``.

Values are compared as values (``-0.0 == 0.0``), with every non-finite code (fp16 positions ``>= 65520`` round to
``inf`` and give NaN) counted as one shared code and reported in ``nonfinite_positions`` / ``first_nonfinite``.

Exactness: positions are streamed in blocks (memory ``O(block)`` plus about 50 bytes per position for the hashes
and their sort and grouping; 2^24 positions peak near 0.9 GB). Equal codes
are found through 64-bit hashes, and every group of equal hashes is then *verified* by recomputing and comparing
the codes themselves; a group that holds different codes (a hash collision) is split exactly. So the counts
are exact, not probabilistic.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from typing import Any

import numpy as np
from numpy.typing import NDArray

from rope_sym.errors import InvalidRopeSpec
from rope_sym.formats import FloatFormat
from rope_sym.formats.rounding import round_to
from rope_sym.pipelines import (
    DEFAULT_CHUNK,
    PipelineFormats,
    cos_sin,
    cos_sin_with_stats,
    pipeline_formats,
    rotate,
    rotate_with,
    stored_positions,
)
from rope_sym.spec import RopeSpec, check_context
from rope_sym.spectrum import frequencies

Array = NDArray[np.float64]
Bits = NDArray[np.uint64]

MAX_CONTEXT = 1 << 26
"""Longest context scanned: about 50 bytes per position are kept (hashes, sort and grouping arrays), ~3.5 GB here."""

ERASED_FRACTION = 0.5
"""A pair is erased when more than this fraction of its one-token steps leave its code unchanged."""

_CANONICAL_NAN = np.uint64(0x7FF8000000000000)


def check_scan_context(context: object) -> int:
    """A whole number of positions in ``[2, MAX_CONTEXT]``."""
    c = check_context(context)
    if not float(c).is_integer():
        raise InvalidRopeSpec(f"context must be a whole number of positions, got {context!r}")
    n = int(c)
    if n < 2:
        raise InvalidRopeSpec(f"context must be at least 2 positions, got {n}")
    if n > MAX_CONTEXT:
        raise InvalidRopeSpec(f"context {n} exceeds the largest scanned context 2^26 = {MAX_CONTEXT}")
    return n


# ----------------------------------------------------------------------------------------------- code bits


def canonical_bits(values: Array) -> Bits:
    """float64 values as uint64 bit patterns in which equal values have equal bits (``-0.0 -> +0.0``, one NaN)."""
    v = np.asarray(values, dtype=np.float64) + 0.0  # -0.0 + 0.0 = +0.0
    bits = v.view(np.uint64).copy()
    bits[np.isnan(v)] = _CANONICAL_NAN
    return bits


def code_bits(cos: Array, sin: Array) -> Bits:
    """Position codes as rows ``[cos_0 .. cos_{k-1}, sin_0 .. sin_{k-1}]`` of canonical bits."""
    return np.concatenate([canonical_bits(cos), canonical_bits(sin)], axis=-1)


@lru_cache(maxsize=64)
def _multipliers(width: int) -> Bits:
    rng = np.random.default_rng(0x5EED)
    return rng.integers(0, 2**63, size=width, dtype=np.uint64) * np.uint64(2) + np.uint64(1)


def hash_rows(bits: Bits, mask: int | None = None) -> Bits:
    """A 64-bit hash of each row: ``sum_j mix(bits_j * a_j) mod 2^64`` (odd multipliers ``a_j``, xor-shift mix).

    ``mask`` keeps only some bits of the hash (tests use it to force collisions and exercise their repair).
    """
    with np.errstate(over="ignore"):
        m = bits * _multipliers(bits.shape[-1])
        m ^= m >> np.uint64(32)
        m *= np.uint64(0xD6E8FEB86659FD93)
        m ^= m >> np.uint64(29)
        h = m.sum(axis=-1, dtype=np.uint64)
    if mask is not None:
        h &= np.uint64(mask)
    return h


# ------------------------------------------------------------------------------------------ exact distinct


@dataclass(frozen=True)
class Distinct:
    """Distinct rows among positions ``0 .. L-1``: their number, the first repeat, and hash collisions repaired."""

    count: int
    first_collision: int | None
    hash_collisions: int


def exact_distinct(hashes: Bits, rows_of: Callable[[NDArray[np.int64]], Bits], chunk: int = DEFAULT_CHUNK,
                   key_of: Callable[[NDArray[np.int64]], Array] | None = None) -> Distinct:
    """Count distinct rows exactly, given a hash per position and a function recomputing rows for positions.

    Positions with equal hashes form groups; each member of a group is compared, row against row, with the
    group's first position. A group whose rows are not all equal is split exactly (``numpy.unique`` on its
    rows). ``first_collision`` is the smallest position whose row equals an earlier position's row.
    """
    order = np.argsort(hashes, kind="stable")  # within a group, positions stay increasing
    sorted_hashes = hashes[order]
    starts = np.empty(order.size, dtype=bool)
    starts[0] = True
    np.not_equal(sorted_hashes[1:], sorted_hashes[:-1], out=starts[1:])
    group = np.cumsum(starts) - 1
    n_groups = int(group[-1]) + 1
    rep = order[np.flatnonzero(starts)][group]
    members, member_rep, member_group = order[~starts], rep[~starts], group[~starts]
    del sorted_hashes, starts, rep
    bad = np.zeros(members.size, dtype=bool)
    for lo in range(0, members.size, chunk):
        hi = min(lo + chunk, members.size)
        m, r = members[lo:hi], member_rep[lo:hi]
        if key_of is not None:
            todo = np.flatnonzero(key_of(m) != key_of(r))
            m, r = m[todo], r[todo]
        else:
            todo = np.arange(hi - lo)
        if m.size:
            reps, which = np.unique(r, return_inverse=True)  # few distinct reps when codes repeat
            bad[lo + todo] = np.any(rows_of(m) != rows_of(reps)[which.reshape(-1)], axis=-1)
    if not bad.any():
        first = int(members.min()) if members.size else None
        return Distinct(n_groups, first, 0)
    bad_groups = np.unique(member_group[bad])
    good = ~np.isin(member_group, bad_groups)
    firsts = [int(members[good].min())] if good.any() else []
    count = n_groups - bad_groups.size
    for g in bad_groups:
        positions = np.sort(order[group == g])
        _, inverse = np.unique(rows_of(positions), axis=0, return_inverse=True)
        inverse = inverse.reshape(-1)
        count += int(inverse.max()) + 1
        seen = np.zeros(int(inverse.max()) + 1, dtype=bool)
        for p, k in zip(positions.tolist(), inverse.tolist()):
            if seen[k]:
                firsts.append(p)
                break
            seen[k] = True
    return Distinct(count, min(firsts) if firsts else None, int(bad_groups.size))


# ---------------------------------------------------------------------------------------------- the report


@dataclass
class ErasureReport:
    """Erasure figures of one pipeline over positions ``0 .. context-1`` (see the module docstring)."""

    base: float
    head_dim: int
    rotary_dim: int
    context: int
    pipeline: str
    dtype: str
    phase_format: str
    distinct_positions: int
    first_collision: int | None
    distinct_stored_positions: int
    nonfinite_positions: int
    first_nonfinite: int | None
    adjacent_erasure: list[float]
    erased_pairs: int
    wall_theta: float | None
    predicted_wall_theta: float
    wall_ratio: float | None
    phase_eps: float
    phase_wall_ratio: float | None
    erased_are_slowest: bool
    frequencies: list[float]
    resolution: dict[int, list[int | None]]
    resolution_limit: int
    distinct_rotated: int | None = None
    first_rotated_collision: int | None = None
    oracle_decided: int = 0
    hash_collisions: int = 0
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """Plain data (JSON-ready except for non-finite floats, which ``verify.report.to_json`` handles)."""
        d = asdict(self)
        d["resolution"] = {str(k): v for k, v in self.resolution.items()}
        return d


def _erasure_notes(fmts_phase: FloatFormat, fmts_store: FloatFormat, report: ErasureReport) -> list[str]:
    notes = []
    if report.nonfinite_positions:
        notes.append(f"{report.nonfinite_positions} positions from {report.first_nonfinite} on are not finite in "
                     f"the pipeline (fp16 positions >= 65520 round to inf): their codes are NaN, counted as one")
    if fmts_phase is not fmts_store:
        notes.append(f"phases and cos/sin are computed in {fmts_phase.name}, then stored in {fmts_store.name}")
    return notes


CodeFunction = Callable[[Array], tuple[Array, Array]]
"""Stored ``(cos, sin)`` as float64 arrays ``(P, n)`` for float64 positions ``(P,)``."""


def resolution_at(spec: RopeSpec, position: int, dtype: str, pipeline: str, limit: int,
                  chunk: int = DEFAULT_CHUNK, codes: CodeFunction | None = None) -> list[int | None]:
    """Per pair, the smallest ``k`` in ``1 .. limit`` with ``code_i(position + k) != code_i(position)``, else None.

    ``codes`` computes the stored cos/sin (default: the emulated pipeline's ``cos_sin``).
    """
    if codes is None:
        def codes(pos: Array) -> tuple[Array, Array]:
            return cos_sin(spec, pos, dtype, pipeline)

    c0, s0 = codes(np.array([position], dtype=np.float64))
    ref_c, ref_s = canonical_bits(c0)[0], canonical_bits(s0)[0]
    result: list[int | None] = [None] * spec.n_pairs
    open_pairs = np.arange(spec.n_pairs)
    for lo in range(position + 1, position + limit + 1, chunk):
        hi = min(lo + chunk, position + limit + 1)
        c, s = codes(np.arange(lo, hi, dtype=np.float64))
        changed = (canonical_bits(c[:, open_pairs]) != ref_c[open_pairs]) | (
            canonical_bits(s[:, open_pairs]) != ref_s[open_pairs])
        hit = changed.any(axis=0)
        for j in np.flatnonzero(hit):
            result[int(open_pairs[j])] = lo + int(np.argmax(changed[:, j])) - position
        open_pairs = open_pairs[~hit]
        if open_pairs.size == 0:
            break
    return result


def default_query(spec: RopeSpec, seed: int = 0) -> Array:
    """The fixed query of the attention-level count: standard normal entries (seeded), one per head dim."""
    return np.random.default_rng(seed).standard_normal(spec.head_dim)


def erasure_scan(spec: RopeSpec, context: object, dtype: str = "bf16", pipeline: str = "hf", *,
                 attention: bool = True, probes: Iterable[int] | None = None, resolution_limit: int = 1 << 12,
                 chunk: int = DEFAULT_CHUNK, query_seed: int = 0,
                 iterate: Callable[[range], Iterable[int]] | None = None,
                 hash_mask: int | None = None) -> ErasureReport:
    """Scan positions ``0 .. context-1`` of ``pipeline`` in activation ``dtype`` and return the exact figures.

    ``probes``: positions for the resolution (default: ``context // 2`` and ``context - 1``), searched up to
    ``resolution_limit`` steps. ``attention``: also count distinct rotated query vectors (the query
    ``default_query(spec, query_seed)`` rotated in the dtype, half layout). ``iterate`` wraps the range of block
    starts (a progress bar). ``hash_mask`` weakens the hash (tests only).

    >>> r = erasure_scan(RopeSpec(8, 10000.0), 2048, "bf16", "native", attention=False)
    >>> r.distinct_stored_positions, r.distinct_positions, r.first_collision
    (641, 641, 257)
    """
    L = check_scan_context(context)
    fmts = pipeline_formats(dtype, pipeline)
    n = spec.n_pairs
    hashes = np.empty(L, dtype=np.uint64)
    rotated_hashes = np.empty(L, dtype=np.uint64) if attention else None
    query = default_query(spec, query_seed)
    same_steps = np.zeros(n, dtype=np.int64)
    prev_c = prev_s = None
    prev_position = None
    distinct_stored = nonfinite = 0
    first_nonfinite: int | None = None
    decided = 0
    starts = range(0, L, chunk)
    for lo in (iterate(starts) if iterate is not None else starts):
        hi = min(lo + chunk, L)
        positions = np.arange(lo, hi, dtype=np.float64)
        c, s, k = cos_sin_with_stats(spec, positions, fmts.dtype, fmts.pipeline)
        decided += k
        bc, bs = canonical_bits(c), canonical_bits(s)
        # distinct stored positions: rounding is monotone, so count the changes
        sp = stored_positions(positions, fmts.dtype, fmts.pipeline)
        changes = np.count_nonzero(sp[1:] != sp[:-1])
        distinct_stored += changes + (1 if prev_position is None or sp[0] != prev_position else 0)
        prev_position = sp[-1]
        bad_rows = ~(np.isfinite(c).all(axis=1) & np.isfinite(s).all(axis=1))
        if bad_rows.any():
            nonfinite += int(bad_rows.sum())
            if first_nonfinite is None:
                first_nonfinite = lo + int(np.argmax(bad_rows))
        if prev_c is not None:
            bc_all, bs_all = np.concatenate([prev_c, bc]), np.concatenate([prev_s, bs])
        else:
            bc_all, bs_all = bc, bs
        same_steps += np.sum((bc_all[1:] == bc_all[:-1]) & (bs_all[1:] == bs_all[:-1]), axis=0)
        prev_c, prev_s = bc[-1:], bs[-1:]
        hashes[lo:hi] = hash_rows(np.concatenate([bc, bs], axis=1), hash_mask)
        if rotated_hashes is not None:
            rotated = rotate_with(query, c, s, fmts.store, "half")
            rotated_hashes[lo:hi] = hash_rows(canonical_bits(rotated), hash_mask)

    def code_rows(pos: NDArray[np.int64]) -> Bits:
        cc, ss = cos_sin(spec, pos.astype(np.float64), fmts.dtype, fmts.pipeline)
        return code_bits(cc, ss)

    def rotated_rows(pos: NDArray[np.int64]) -> Bits:
        return canonical_bits(rotate(query, pos.astype(np.float64), spec, fmts.dtype, fmts.pipeline, "half"))

    def stored(pos: NDArray[np.int64]) -> Array:
        return stored_positions(pos.astype(np.float64), fmts.dtype, fmts.pipeline)

    key = None if hash_mask is not None else stored  # tests force the full row comparison
    codes = exact_distinct(hashes, code_rows, chunk, key)
    del hashes
    rotated_distinct = (exact_distinct(rotated_hashes, rotated_rows, chunk, key)
                        if rotated_hashes is not None else None)

    probe_list = sorted({L // 2, L - 1} if probes is None else {int(p) for p in probes})
    resolution = {p: resolution_at(spec, p, fmts.dtype.name, fmts.pipeline, resolution_limit, chunk)
                  for p in probe_list}
    return assemble_report(
        spec, L, fmts, same_steps, codes, rotated_distinct, distinct_stored=int(distinct_stored),
        nonfinite=nonfinite, first_nonfinite=first_nonfinite, resolution=resolution,
        resolution_limit=resolution_limit, oracle_decided=decided)


def assemble_report(spec: RopeSpec, context: int, fmts: PipelineFormats, same_steps: NDArray[np.int64],
                    codes: Distinct, rotated: Distinct | None, *, distinct_stored: int, nonfinite: int,
                    first_nonfinite: int | None, resolution: dict[int, list[int | None]], resolution_limit: int,
                    oracle_decided: int = 0, report_type: type[ErasureReport] | None = None,
                    **extra: Any) -> ErasureReport:
    """The report from a scan's raw counts (shared by the emulated and the torch backends).

    ``same_steps[i]``: one-token steps ``m -> m+1`` over ``0 .. context-1`` that leave pair ``i``'s code
    unchanged; ``adjacent_erasure[i] = same_steps[i] / (context - 1)``; a pair is erased above
    ``ERASED_FRACTION``, and the wall is the largest erased ``theta_i``, set against ``eps_mach`` of the stored
    format (and of the phase format).
    """
    L, n = context, spec.n_pairs
    erasure = (np.asarray(same_steps) / (L - 1)).tolist()
    thetas = frequencies(spec)
    erased = np.array(erasure) > ERASED_FRACTION
    wall = float(thetas[erased].max()) if erased.any() else None
    predicted = fmts.store.eps
    n_erased = int(erased.sum())
    erased_are_slowest = bool(np.all(erased[n - n_erased:])) if n_erased else True
    report = (report_type or ErasureReport)(
        base=spec.base, head_dim=spec.head_dim, rotary_dim=spec.rotary_dim, context=L, pipeline=fmts.pipeline,
        dtype=fmts.store.name, phase_format=fmts.phase.name,
        distinct_positions=codes.count, first_collision=codes.first_collision,
        distinct_stored_positions=distinct_stored, nonfinite_positions=nonfinite,
        first_nonfinite=first_nonfinite, adjacent_erasure=erasure, erased_pairs=n_erased, wall_theta=wall,
        predicted_wall_theta=predicted, wall_ratio=None if wall is None else wall / predicted,
        phase_eps=fmts.phase.eps, phase_wall_ratio=None if wall is None else wall / fmts.phase.eps,
        erased_are_slowest=erased_are_slowest, frequencies=thetas.tolist(), resolution=resolution,
        resolution_limit=resolution_limit,
        distinct_rotated=None if rotated is None else rotated.count,
        first_rotated_collision=None if rotated is None else rotated.first_collision,
        oracle_decided=oracle_decided,
        hash_collisions=codes.hash_collisions + (rotated.hash_collisions if rotated else 0),
        **extra,
    )
    report.notes = _erasure_notes(fmts.phase, fmts.store, report)
    return report


def distinct_stored_positions(context: int, dtype: str, pipeline: str = "native") -> int:
    """The number of distinct values among positions ``0 .. context-1`` as the pipeline stores them.

    >>> distinct_stored_positions(2048, "bf16")
    641
    """
    pos = np.asarray(round_to(np.arange(context, dtype=np.float64), pipeline_formats(dtype, pipeline).position))
    return int(np.unique(pos).size)
