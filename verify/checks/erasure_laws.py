"""The erasure laws (``rope_sym.erasure.laws``) against exact scans: the derived precision walls, level by level.

- ``erasure-law-constant``: the cast-level wall constant ``c`` recomputed with mpmath at 30 digits agrees with the
  library's ``WALL_CONSTANT`` to 6 digits and with the numerical quadrature's crossing; the walls per format.
- ``erasure-law-cast``: on a grid of head dims, bases, contexts and dtypes (hf pipeline), the law's erased-pair
  count is within one pair of the exact scan's, with the largest per-pair fraction error as a figure.
- ``erasure-law-levels``: the position level (exact stored-position counts, the native pipeline's exact
  reduction), the rotated level (per-pair law vs the scan's rotated erasure), and the smallest erasing context.

Default scale: contexts 4K and 16K, bases 1e4 and 1e9 (seconds); ``--full``: contexts 4K .. 1M, six bases (torch
when installed).
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from rope_sym.bounds.walls import derived_levels
from rope_sym.erasure import ErasureReport, default_query, erasure_scan, laws
from rope_sym.formats import get_format, round_to
from rope_sym.pipelines import inv_freq
from rope_sym.pipelines.emulated import buffer_from_frequencies
from rope_sym.spectrum.spec import RopeSpec
from rope_sym.spectrum.theta import frequencies
from verify.checks import CheckOptions, Outcome, check
from verify.progress import progress

LAW_DTYPES = ("bf16", "fp16")


def _scanner() -> Callable[..., ErasureReport]:
    """The torch scan where torch is installed (the exact-scan comparison then also covers torch), else the
    emulated one."""
    try:
        from rope_sym.torch_backend import torch_erasure_scan
    except ImportError:
        return erasure_scan
    return torch_erasure_scan


@check("erasure-law-constant", "cast-level wall theta* = c 2^-p: c recomputed at 30 digits (mpmath) vs the "
       "library's constant and the quadrature")
def erasure_law_constant(options: CheckOptions) -> Outcome:
    start = time.perf_counter()
    c30 = laws.wall_constant(30)
    seconds = time.perf_counter() - start
    crossing = laws.phase_averaged_fraction(c30)
    agree = abs(c30 - laws.WALL_CONSTANT) < 5e-7
    walls = {name: laws.wall_theta(name) for name in ("bf16", "fp16", "fp32")}
    ratios = {name: walls[name] / get_format(name).eps for name in walls}
    ok = agree and abs(crossing - 0.5) < 1e-3
    return Outcome.judge(ok, f"c = {c30:.7f} (library {laws.WALL_CONSTANT}); theta* = {ratios['bf16']:.4f} eps_mach "
                         f"(bf16 {walls['bf16']:.4g}, fp16 {walls['fp16']:.4g}, fp32 {walls['fp32']:.4g})",
                         c=c30, library=laws.WALL_CONSTANT, quadrature_at_c=crossing, mpmath_seconds=round(seconds, 2),
                         walls=walls, walls_over_eps_mach=ratios)


@check("derivation-erasure-laws", "the cast-wall, slow-pair and position-merge derivations: every step verifies "
       "(SymPy; c and the first merge are statements the kernel evaluates itself)")
def derivation_erasure_laws(options: CheckOptions) -> Outcome:
    from derivations.catalog import get

    derivations = [get(name) for name in ("cast_wall", "slow_pairs", "position_merges")]
    failed = {dv.name: dv.failed_steps for dv in derivations if not dv.verified}
    steps = sum(len(dv.steps) for dv in derivations)
    return Outcome.judge(not failed, f"{len(derivations)} derivations, {steps} steps, "
                         f"{'all verified' if not failed else f'failed: {failed}'}", failed=failed)


def _grid(options: CheckOptions) -> list[tuple[str, int, float, int]]:
    contexts = [1 << 12, 1 << 16, 1 << 18, 1 << 20] if options.full else [1 << 12, 1 << 14]
    dims = [64, 128, 256] if options.full else [64, 256]
    bases = [1e4, 1e5, 1e6, 1e7, 1e8, 1e9] if options.full else [1e4, 1e9]
    return list(itertools.product(LAW_DTYPES, dims, bases, contexts))


@check("erasure-law-cast", "cast law vs exact scans (hf): erased pairs within one pair on a grid of head dims, "
       "bases, contexts and dtypes")
def erasure_law_cast(options: CheckOptions) -> Outcome:
    scanner = _scanner()
    rows: list[dict[str, Any]] = []
    grid = _grid(options)
    for dtype, d, base, L in progress(grid, label="law vs scan", enabled=options.progress):
        spec = RopeSpec(d, base)
        scan = scanner(spec, L, dtype, "hf", attention=False, probes=[])
        predicted = laws.cast_fraction(inv_freq(spec, dtype, "hf"), dtype, 0, L)
        measured = np.array(scan.adjacent_erasure)
        erased = laws.erased_by_law(predicted)
        rows.append({"dtype": dtype, "head_dim": d, "base": base, "context": L, "scan": scan.erased_pairs,
                     "law": int(erased.sum()), "max_fraction_error": float(np.abs(predicted - measured).max()),
                     "misclassified": int((erased != (measured > 0.5)).sum())})
    off = max(abs(r["law"] - r["scan"]) for r in rows)
    worst = max(r["max_fraction_error"] for r in rows)
    misclassified = sum(r["misclassified"] for r in rows)
    backend = "emulated" if scanner is erasure_scan else "torch"
    return Outcome.judge(off <= 1, f"{len(rows)} settings ({backend}): erased pairs off by at most {off}; "
                         f"{misclassified} pairs misclassified; max fraction error {worst:.4f}",
                         settings=len(rows), worst_count_difference=off, misclassified_pairs=misclassified,
                         max_fraction_error=worst, rows=rows)


def _position_counts() -> dict[str, bool]:
    out = {}
    for name, L in itertools.product(("bf16", "fp16"), (100, 257, 258, 2048, 70_000)):
        brute = np.unique(np.asarray(round_to(np.arange(L, dtype=np.float64), name))).size
        out[f"{name} L={L}"] = laws.stored_position_count(name, L) == brute
    return out


@check("erasure-law-levels", "position level exact, native pipeline exact on stored positions, rotated law within "
       "one pair, smallest erasing context ~ 2^(p+2)")
def erasure_law_levels(options: CheckOptions) -> Outcome:
    counts = _position_counts()
    native: dict[str, float] = {}
    rotated: list[dict[str, Any]] = []
    contexts = [1 << 12, 1 << 16] if options.full else [1 << 12]
    for dtype, base, L in itertools.product(LAW_DTYPES, (1e4, 1e6, 1e8), contexts):
        spec = RopeSpec(64, base)
        levels = {lv.level: lv for lv in derived_levels(frequencies(spec), L, dtype, "native")}
        scan = erasure_scan(spec, L, dtype, "native", probes=[])
        native[f"{dtype} base {base:g} L={L}"] = float(np.abs(np.array(levels["code"].fractions or [])
                                                              - scan.adjacent_erasure).max())
        hf = erasure_scan(spec, L, dtype, "hf", probes=[])
        x = np.asarray(round_to(default_query(spec), dtype))
        theta = buffer_from_frequencies(inv_freq(spec, dtype, "hf"), dtype, "hf")
        law = laws.rotated_fraction(theta, x, dtype, 0, L)
        measured = np.array(hf.rotated_adjacent_erasure)
        rotated.append({"dtype": dtype, "base": base, "context": L, "scan": hf.rotated_erased_pairs,
                        "law": int(laws.erased_by_law(law).sum()),
                        "max_fraction_error": float(np.abs(law - measured).max())})
    smallest = {name: laws.smallest_erasing_context(name) for name in ("bf16", "fp16")}
    # the slowest possible pair (sines in the normal range) scanned around the predicted context
    slow = RopeSpec(8, 1e12)
    around = {}
    for name in ("bf16",):
        below = erasure_scan(slow, int(smallest[name] * 0.9), name, "hf", attention=False, probes=[])
        above = erasure_scan(slow, int(smallest[name] * 1.1), name, "hf", attention=False, probes=[])
        around[name] = (below.erased_pairs, above.erased_pairs)
    rotated_off = max(abs(r["law"] - r["scan"]) for r in rotated)
    rotated_error = max(r["max_fraction_error"] for r in rotated)
    native_error = max(native.values())
    ok = (all(counts.values()) and native_error == 0.0 and rotated_off <= 1
          and all(b == 0 and a >= 1 for b, a in around.values()))
    return Outcome.judge(ok, f"stored positions exact {sum(counts.values())}/{len(counts)}; native law error "
                         f"{native_error:g}; rotated law off by {rotated_off} pair(s), max fraction error "
                         f"{rotated_error:.3f}; smallest erasing context bf16 {smallest['bf16']}, fp16 "
                         f"{smallest['fp16']}",
                         position_counts=counts, native_max_error=native, rotated=rotated,
                         smallest_erasing_context=smallest, slowest_pair_around_it=around)
