"""Codes, hashes and exact equivalence classes: the one way rows of values are compared in this toolkit.

A *code* is a value's bit pattern in its own format's width (int16 for fp16/bf16, int32 for fp32, int64 for
fp64), made canonical so that equal values have equal codes: ``-0.0 -> +0.0`` and every NaN -> all ones (itself a
NaN pattern, so no number shares it). The functions here work on numpy arrays and on torch tensors alike (they use
only operators, slicing and ``.view``); a backend supplies the array-library specifics through ``ArrayOps``, and
``numpy_ops`` is numpy's: the bit patterns of float64 arrays of a format's values by exact conversions (a bf16
value is an fp32 value whose low 16 bits are zero, so its code is the high half of the fp32 pattern).

A row of codes (a position's ``cos`` and ``sin`` over all pairs, a rotated vector) is packed into 64-bit words
``w_j`` and hashed as ``h = sum_j a_j w_j mod 2^64`` with fixed odd multipliers ``a_j``: one multiply-add per
8 bytes of codes. Equal rows have equal hashes; ``exact_classes`` then verifies every group of equal hashes against
the rows themselves and splits a group whose rows differ, so what it counts is exact, not probabilistic.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np
from numpy.typing import NDArray

from rope_sym.formats import FloatFormat

Positions = NDArray[np.int64]
RowsOf = Callable[[Positions], NDArray[Any]]
"""Host codes ``(len(positions), width)`` of the rows at ``positions`` (recomputed on demand)."""

CODE_BYTES: dict[str, int] = {"fp16": 2, "bf16": 2, "fp32": 4, "fp64": 8}
"""Bytes of one code of each activation format."""

VERIFY_BLOCK = 1 << 14
"""Rows recomputed at a time when verifying groups of equal hashes."""


@dataclass(frozen=True)
class ArrayOps:
    """What numpy and torch spell differently, for the code and hash functions.

    ``int_of_width[k]``: the signed integer dtype of ``k`` bytes; ``bits_of(values)``: the values' bit patterns in
    their own format's width (a plain ``.view`` where the array holds the format itself); ``where(condition,
    a, b)``; ``concat(arrays, axis)``; ``pad_columns(codes, k)``: ``k`` zero columns appended;
    ``contiguous(array)``; ``from_numpy(array)``: a host array onto the backend's device; ``count_true(mask)``:
    the True entries of a boolean ``(rows, columns)`` mask per column (torch's ``bool.sum`` converts to int64
    first, several times slower than summing the bytes).
    """

    int_of_width: dict[int, Any]
    bits_of: Callable[[Any], Any]
    where: Callable[[Any, Any, Any], Any]
    concat: Callable[[list[Any], int], Any]
    pad_columns: Callable[[Any, int], Any]
    contiguous: Callable[[Any], Any]
    from_numpy: Callable[[NDArray[Any]], Any]
    count_true: Callable[[Any], Any] = lambda mask: mask.sum(0)


def has_nan(values: Any) -> bool:
    """Whether any value is NaN, by one sum over the block (a host check: it reads the sum back). NaN
    propagates through a sum and finite values never make one; ``inf - inf`` can, which only sends a block
    without NaN down the careful path."""
    with np.errstate(over="ignore", invalid="ignore"):  # an fp16 sum may overflow to inf: no NaN, no warning
        total = values.sum()
    return bool(total != total)


def canonical_codes(values: Any, ops: ArrayOps) -> Any:
    """Codes in which equal values have equal codes: ``bits(v + 0)`` (``-0 + 0 = +0`` in round-to-nearest), and
    all ones for every NaN."""
    return ops.where(values == values, ops.bits_of(values + 0), -1)  # NaN is the only value unequal to itself


@lru_cache(maxsize=64)
def multipliers(width: int) -> NDArray[np.int64]:
    """Fixed odd 64-bit multipliers ``a_j`` (as int64, whose arithmetic wraps mod 2^64) for ``width`` words."""
    rng = np.random.default_rng(0x7045)
    a = rng.integers(0, 2**63, size=width, dtype=np.uint64) * np.uint64(2) + np.uint64(1)
    return a.view(np.int64)


def pack_words(codes: Any, ops: ArrayOps) -> Any:
    """Rows of codes reinterpreted as 64-bit words (four 16-bit codes a word), zero-padded to a whole word."""
    pad = -codes.shape[-1] % (8 // codes.itemsize)
    return ops.contiguous(ops.pad_columns(codes, pad) if pad else codes).view(ops.int_of_width[8])


def hash_rows(codes: Any, ops: ArrayOps, weights: Any | None = None) -> Any:
    """``sum_j a_j w_j mod 2^64`` over each row's packed words ``w_j``: one int64 per row. ``weights`` are the
    multipliers already on the backend's device (``multipliers(width)``, moved once by the caller)."""
    words = pack_words(codes, ops)
    if weights is None:
        weights = ops.from_numpy(multipliers(words.shape[-1]))
    return (words * weights).sum(-1)


# ------------------------------------------------------------------------------------ exact classes


@dataclass(frozen=True)
class Classes:
    """Exact classes of equal rows among positions ``0 .. L-1``.

    ``count``: the number of distinct rows; ``first_collision``: the smallest position whose row equals an earlier
    position's (None when all differ); ``sizes``: each class's size; ``hash_collisions``: groups of equal hashes
    that held different rows (split exactly).
    """

    count: int
    first_collision: int | None
    sizes: NDArray[np.int64]
    hash_collisions: int

    @property
    def equal_pairs(self) -> int:
        """Pairs of positions with equal rows: ``sum g (g - 1) / 2`` over the class sizes ``g``."""
        return int(np.sum(self.sizes * (self.sizes - 1) // 2))


def exact_classes(hashes: NDArray[np.int64], rows_of: RowsOf,
                  key_of: Callable[[Positions], NDArray[Any]] | None = None) -> Classes:
    """The exact classes of equal rows, from one hash per position and a function recomputing rows.

    Positions with equal hashes form groups; each member is compared, row against row, with the group's first
    position, except where ``key_of`` (a cheaper function of the position that determines the row, such as the
    stored position) already shows them equal. A group whose rows are not all equal is split exactly
    (``numpy.unique`` on its rows).
    """
    hashes = np.asarray(hashes)
    order = np.argsort(hashes, kind="stable")  # within a group, positions stay increasing
    sorted_hashes = hashes[order]
    starts = np.empty(order.size, dtype=bool)
    starts[0] = True
    np.not_equal(sorted_hashes[1:], sorted_hashes[:-1], out=starts[1:])
    del sorted_hashes
    group = np.cumsum(starts) - 1
    n_groups = int(group[-1]) + 1
    rep = order[np.flatnonzero(starts)][group]
    members, member_rep, member_group = order[~starts], rep[~starts], group[~starts]
    del starts, rep
    bad = np.zeros(members.size, dtype=bool)
    for lo in range(0, members.size, VERIFY_BLOCK):
        m, r = members[lo:lo + VERIFY_BLOCK], member_rep[lo:lo + VERIFY_BLOCK]
        todo = np.arange(m.size) if key_of is None else np.flatnonzero(key_of(m) != key_of(r))
        if todo.size:
            reps, which = np.unique(r[todo], return_inverse=True)  # few distinct reps when rows repeat
            bad[lo + todo] = np.any(rows_of(m[todo]) != rows_of(reps)[which.reshape(-1)], axis=-1)
    sizes = np.bincount(group, minlength=n_groups)
    if not bad.any():
        first = int(members.min()) if members.size else None
        return Classes(n_groups, first, sizes, 0)
    bad_groups = np.unique(member_group[bad])
    good = ~np.isin(member_group, bad_groups)
    firsts = [int(members[good].min())] if good.any() else []
    split_sizes = []
    for g in bad_groups:
        positions = np.sort(order[group == g])
        _, inverse, counts = np.unique(rows_of(positions), axis=0, return_inverse=True, return_counts=True)
        inverse = inverse.reshape(-1)
        split_sizes.append(counts)
        seen = np.zeros(counts.size, dtype=bool)
        for p, k in zip(positions.tolist(), inverse.tolist()):
            if seen[k]:
                firsts.append(p)
                break
            seen[k] = True
    kept = np.delete(sizes, bad_groups)
    all_sizes = np.concatenate([kept, *split_sizes])
    return Classes(int(all_sizes.size), min(firsts) if firsts else None, all_sizes, int(bad_groups.size))


_INTS = {1: np.int8, 2: np.int16, 4: np.int32, 8: np.int64}
_HIGH_HALF = 1 if sys.byteorder == "little" else 0


def _bf16_bits(v: NDArray[np.floating]) -> NDArray[np.int16]:
    """bf16 codes of bf16 values held as float32 (or float64): the high 16 bits of the fp32 pattern, as a view."""
    v32 = np.ascontiguousarray(v, dtype=np.float32)
    return v32.view(np.int16).reshape(*v32.shape, 2)[..., _HIGH_HALF]


def _bits_of(fmt: FloatFormat) -> Any:
    """Bit patterns of float64 arrays of ``fmt`` values, in ``fmt``'s width (exact conversions only)."""
    if fmt.name == "fp64":
        return lambda v: v.view(np.int64)
    if fmt.name == "fp32":
        return lambda v: np.asarray(v, dtype=np.float32).view(np.int32)
    if fmt.name == "fp16":
        return lambda v: np.asarray(v, dtype=np.float16).view(np.int16)
    if fmt.name == "bf16":
        return _bf16_bits
    raise ValueError(f"no code width for {fmt.name}")  # pragma: no cover - store formats are DTYPES


def numpy_ops(fmt: FloatFormat) -> ArrayOps:
    """``ArrayOps`` for float64 numpy arrays of ``fmt`` values."""
    return ArrayOps(
        int_of_width=_INTS, bits_of=_bits_of(fmt), where=np.where,
        concat=lambda arrays, axis: np.concatenate(arrays, axis=axis),
        pad_columns=lambda a, k: np.pad(a, [(0, 0)] * (a.ndim - 1) + [(0, k)]),
        contiguous=np.ascontiguousarray, from_numpy=lambda a: a)
