"""The derived precision walls of a setting, level by level: what the erasure laws predict without a scan.

The paper's wall (``theta_min > eps_mach``, ``rope_sym.bounds.BOUNDS``' ``precision``) is refuted by exact scans:
the hf pipeline keeps every position distinct far beyond it, and the pairs it does erase sit below about
``0.094 eps_mach``. The laws of ``rope_sym.erasure.laws`` replace it, at four levels:

========== ================================================================= ================================
level      what is erased                                                    law
========== ================================================================= ================================
position   positions themselves: steps where the stored position is equal    exact count of stored positions
code       a pair's stored cos/sin over one token (single-token resolution)   cast law; exact on stored
                                                                             positions when phases are in the
                                                                             dtype (``native``)
rotated    a pair of the rotated query/key vector over one token             rotated law (per component)
score      keys with bitwise-equal scores                                     no law: measure (``verify
                                                                             attention``)
========== ================================================================= ================================

``holds`` is True when nothing is erased at that level over ``[0, L)``; ``positions_kept`` is the number of
positions the level keeps distinct where a law gives it (``position``: every integer up to ``2^p`` is stored
exactly, so ``2^p + 1`` positions), else None; ``max_context`` is the largest context at which some base meeting
every lower bound keeps the level intact (the level's ``L_max``).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from rope_sym.erasure.engine import default_query
from rope_sym.erasure.laws import (
    cast_fraction,
    erased_by_law,
    position_merges,
    rotated_fraction,
    wall_theta,
)
from rope_sym.formats import FloatFormat, round_to
from rope_sym.pipelines.emulated import buffer_from_frequencies, phase_cos_sin, phase_table, rotate_with
from rope_sym.pipelines.table import PipelineFormats, pipeline_formats
from rope_sym.spectrum.spec import RopeSpec, check_rotary_dim
from rope_sym.spectrum.theta import theta_min_of

LEVELS: tuple[str, ...] = ("position", "code", "rotated", "score")

MEANING = {
    "position": "positions merge: distinct tokens get the same stored position and the same rotation",
    "code": "slow pairs lose single-token resolution: their stored cos/sin stay equal over most one-token steps "
            "(positions stay distinct through the faster pairs)",
    "rotated": "pairs of the rotated query/key stay equal over most one-token steps",
    "score": "keys at distinct positions score equally against a query",
}


@dataclass(frozen=True)
class Level:
    """One level's prediction (module docstring); ``fractions``: the law's per-pair fraction of unchanged steps."""

    level: str
    wall_theta: float | None
    erased_pairs: int | None
    holds: bool | None
    positions_kept: int | None
    max_context: float | None
    law: str
    fractions: list[float] | None = None

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d.pop("fractions")
        return d


def _stored_position_values(fmt: FloatFormat, end: int) -> NDArray[np.float64]:
    """The distinct stored positions ``round(m, fmt)`` of ``m`` in ``[0, end)``, ascending (``inf`` last): every
    integer up to ``2^p``, then every value of the format up to ``round(end - 1)``."""
    exact = 2 ** fmt.precision
    top = float(round_to(float(end - 1), fmt))
    finite_top = min(top, fmt.max)
    values = [np.arange(0, min(end - 1, exact) + 1, dtype=np.float64)]
    k = fmt.precision
    while 2.0 ** k <= finite_top:
        segment = np.arange(2.0 ** k, 2.0 ** (k + 1), 2.0 ** (k - fmt.precision + 1))
        values.append(segment[(segment > exact) & (segment <= finite_top)])
        k += 1
    if not math.isfinite(top):
        values.append(np.array([math.inf]))
    return np.concatenate(values)


def _native_fractions(inv_freq: NDArray[np.float64], formats: PipelineFormats, context: int,
                      query: NDArray[np.float64]) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Exact per-pair fractions of unchanged steps (codes, rotated query) over ``[0, context)`` when positions
    are stored in the dtype: every value is a function of the stored position, so the codes are computed at
    the distinct stored positions only and each merged step counts as unchanged for every pair."""
    stored = _stored_position_values(formats.position, context)
    c, s, _ = phase_cos_sin(phase_table(stored, inv_freq, formats.phase), formats.phase)
    c, s = np.asarray(round_to(c, formats.store)), np.asarray(round_to(s, formats.store))
    rotated = rotate_with(query, c, s, formats.store)
    n = inv_freq.size

    def unchanged(a: NDArray[np.float64], b: NDArray[np.float64]) -> NDArray[np.bool_]:
        return (a == b) | (np.isnan(a) & np.isnan(b))  # every NaN code is one code, as in the scan

    codes = unchanged(c[1:], c[:-1]) & unchanged(s[1:], s[:-1])
    rot = unchanged(rotated[1:, :n], rotated[:-1, :n]) & unchanged(rotated[1:, n:2 * n], rotated[:-1, n:2 * n])
    steps = context - 1
    merged = steps - (stored.size - 1)
    return (merged + codes.sum(0)) / steps, (merged + rot.sum(0)) / steps


def last_unerased(erased: Callable[[float], bool], lo: float, hi: float, ratio: float) -> float | None:
    """The largest ``x`` in ``[lo, hi]`` with ``erased(x)`` false, erasure growing with ``x``, by bisection on
    ``log x`` down to ``ratio``: None when nothing in the range is erased, 0 when everything is."""
    if not erased(hi):
        return None
    if erased(lo):
        return 0.0
    while hi / lo > ratio:
        mid = math.sqrt(lo * hi)
        lo, hi = (lo, mid) if erased(mid) else (mid, hi)
    return lo


def _slowest_max_context(fmt: FloatFormat, a: float, law: str, x: tuple[float, float]) -> float | None:
    """The largest ``L`` at which the slowest pair at the depth-bound base (``L theta_min = a``) keeps its
    resolution at this level, by bisection on ``log L``; None when it keeps it up to ``2^26``."""

    def erased(L: float) -> bool:
        theta, end = a / L, max(int(L), 2)
        if law == "rotated":
            frac = rotated_fraction([theta], [x[0], x[1]], fmt, 0, end)
        else:
            frac = cast_fraction([theta], fmt, 0, end)
        return bool(erased_by_law(frac)[0])

    found = last_unerased(erased, 2.0, float(1 << 26), 1.0 + 1e-3)
    return None if found is None else float(math.floor(found))


def derived_levels(frequencies: NDArray[np.float64], context: int, dtype: str, pipeline: str, *,
                   depth_phase: float | None = None, query: NDArray[np.float64] | None = None,
                   rotary_dim: int | None = None) -> list[Level]:
    """The four levels of one setting: ``frequencies`` in float64 (per pair; a scaled model's effective
    ones), ``context`` positions ``0 .. L-1``, the activation ``dtype`` and the ``pipeline``. ``depth_phase``:
    ``arccos(eps^(1/N))``, the slowest pair's phase at the depth-bound base, for each level's ``max_context``
    (omitted: None). ``query``: the rotated vector (half layout; default ``default_query`` of ``rotary_dim``,
    itself ``2 * len(frequencies)`` by default)."""
    formats = pipeline_formats(dtype, pipeline)
    store, n = formats.store, frequencies.size
    L = int(context)
    stored_inv = buffer_from_frequencies(frequencies, dtype, pipeline)
    d = rotary_dim if rotary_dim is not None else 2 * n
    vector = default_query(RopeSpec(d, 10.0)) if query is None else np.asarray(query, dtype=np.float64)
    vector = np.asarray(round_to(vector, store), dtype=np.float64)
    exact_up_to = 2 ** formats.position.precision
    position_max = exact_up_to + 1
    merges = position_merges(formats.position, 0, L)
    levels = [Level("position", None, n if merges.merged_fraction > 0.5 else 0, position_max >= L, position_max,
                    float(position_max), f"integers exact up to 2^{formats.position.precision}; "
                    f"{merges.distinct} distinct stored positions in [0, {L})")]
    phases_in_dtype = formats.position.precision < 24
    if phases_in_dtype:
        code_frac, rot_frac = _native_fractions(stored_inv, formats, L, vector)
        code_law = rot_law = "exact on the distinct stored positions"
        code_wall = float(stored_inv[erased_by_law(code_frac)].max()) if erased_by_law(code_frac).any() else None
    else:
        code_frac = cast_fraction(stored_inv, store, 0, L)
        rot_frac = rotated_fraction(stored_inv, vector, store, 0, L)
        code_law, rot_law = "cast law (phase average)", "rotated law (per component)"
        code_wall = wall_theta(store)
    code_erased = int(erased_by_law(code_frac).sum())
    rot_erased = int(erased_by_law(rot_frac).sum())
    slowest = int(np.argmin(stored_inv))
    code_max = rot_max = None
    if depth_phase is not None:
        if phases_in_dtype:
            code_max = rot_max = float(position_max)
        else:
            code_max = _slowest_max_context(store, depth_phase, "code", (0.0, 0.0))
            rot_max = _slowest_max_context(store, depth_phase, "rotated",
                                           (float(vector[slowest]), float(vector[slowest + n])))
    levels.append(Level("code", code_wall, code_erased, code_erased == 0, None, code_max, code_law,
                        [float(v) for v in code_frac]))
    levels.append(Level("rotated", None, rot_erased, rot_erased == 0, None, rot_max, rot_law,
                        [float(v) for v in rot_frac]))
    levels.append(Level("score", None, None, None, None, None, "none: measure with `verify attention`"))
    return levels


def code_wall_base(context: float, rotary_dim: int, dtype: str, pipeline: str) -> float | None:
    """The largest base whose slowest pair keeps single-token resolution over ``[0, L)`` at the code level (the
    derived upper bound on the base; ``inf`` when no base erases it, None when positions already merge).

    Erasure grows as ``theta_min = base^(-(d-2)/d)`` falls, so the base is found by bisection on ``log base``
    with the law (exact where phases are in the dtype), on the slowest pair alone (the erased pairs are always
    the slowest ones)."""
    formats = pipeline_formats(dtype, pipeline)
    L = max(2, math.ceil(context))
    if 2 ** formats.position.precision + 1 < L:
        return None
    d = check_rotary_dim(rotary_dim, "exact")

    def erased(base: float) -> bool:
        theta = np.array([theta_min_of(base, d)])
        if formats.position.precision < 24:
            frac, _ = _native_fractions(buffer_from_frequencies(theta, dtype, pipeline), formats, L, np.zeros(2))
        else:
            frac = cast_fraction(buffer_from_frequencies(theta, dtype, pipeline), formats.store, 0, L)
        return bool(erased_by_law(frac)[0])

    found = last_unerased(erased, 10.0 ** 1e-6, 1e30, 10.0 ** 1e-5)
    return math.inf if found is None else (found or 1.0)


def erasure_block(frequencies: NDArray[np.float64], context: float, dtype: str, pipeline: str, *,
                  depth_phase: float, rotary_dim: int) -> dict[str, Any]:
    """The ``erasure`` object of the zone and model reports: ``pipeline``, ``dtype`` and ``levels``;
    ``depth_phase``: ``arccos(eps^(1/N))`` (``Setting.depth_phase``), for each level's ``max_context``."""
    L = max(2, math.ceil(context))
    levels = derived_levels(frequencies, L, dtype, pipeline, depth_phase=depth_phase,
                            rotary_dim=rotary_dim)
    return {"pipeline": pipeline, "dtype": str(dtype), "levels": [lv.to_dict() for lv in levels]}


def failing_levels(block: dict[str, Any]) -> list[dict[str, Any]]:
    """The levels of an ``erasure`` object whose law says they fail (``holds`` False), in ``LEVELS`` order."""
    return [lv for lv in block["levels"] if lv["holds"] is False]


def resolution_kept_up_to(frequencies: NDArray[np.float64], context: float, dtype: str, pipeline: str) -> int | None:
    """The largest context ``L' <= L`` over which no pair loses single-token resolution at the code level (the
    law of ``derived_levels``, on the slowest stored pair: the erased pairs are always the slowest ones), by
    bisection on ``log L'``; None when no pair loses it over ``[0, L)``."""
    formats = pipeline_formats(dtype, pipeline)
    stored = buffer_from_frequencies(np.asarray(frequencies, dtype=np.float64), dtype, pipeline)
    slowest = np.array([float(stored[stored > 0].min())]) if (stored > 0).any() else stored[:1]
    phases_in_dtype = formats.position.precision < 24

    def erased(L: float) -> bool:
        end = max(int(L), 2)
        if phases_in_dtype:
            frac, _ = _native_fractions(slowest, formats, end, np.zeros(2))
        else:
            frac = cast_fraction(slowest, formats.store, 0, end)
        return bool(erased_by_law(frac)[0])

    found = last_unerased(erased, 2.0, float(max(2, math.ceil(context))), 1.0 + 1e-3)
    return None if found is None else int(found)


def grade_of(levels: list[dict[str, Any]], frequencies: NDArray[np.float64], context: float, dtype: str,
             pipeline: str) -> dict[str, Any] | None:
    """The graded note of a setting whose lower bounds hold and whose positions stay distinct but whose slowest
    pairs lose single-token resolution at the code level: ``level``, ``pairs`` (erased) of ``of``, ``from_context``
    (``resolution_kept_up_to``: the context from which it is lost), ``meaning`` and a one-line ``note``; None when
    the code level holds."""
    code = next(lv for lv in levels if lv["level"] == "code")
    if code["holds"] is not False:
        return None
    n = int(np.asarray(frequencies).size)
    start = resolution_kept_up_to(frequencies, context, dtype, pipeline)
    where = f"from a context of ~{start:,} tokens" if start else "from the first tokens"
    return {"level": "code", "pairs": code["erased_pairs"], "of": n, "from_context": start,
            "meaning": MEANING["code"],
            "note": f"slow pairs lose single-token resolution ({code['erased_pairs']} of {n} pairs, {where}; "
                    f"{dtype} {pipeline}); positions stay distinct"}
