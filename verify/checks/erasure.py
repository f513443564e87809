"""Checks of the emulated pipelines and exact positional erasure, one per activation dtype.

Each check establishes, for its dtype: the pipelines' stored cos/sin equal the gmpy2 oracle chain on sampled
positions; the hand-computed position facts (bf16: 0..2047 -> 641 values, first repeat 257; fp16: positions
>= 65520 overflow and are reported; fp32: positions exact up to 2^24); and it measures the precision wall of the
``hf``, ``invfreq-cast`` and ``native`` pipelines against the paper's ``eps_mach`` (figures, not verdicts).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from rope_sym.erasure import erasure_scan
from rope_sym.formats import FP32, oracle_cos, oracle_mul, oracle_round, oracle_sin, round_to
from rope_sym.pipelines import PIPELINES, cos_sin, inv_freq, near_midpoint, pipeline_formats, stored_positions
from rope_sym.spectrum.spec import RopeSpec
from verify.checks import CheckOptions, Outcome, check
from verify.progress import progress

WALL_SPEC = RopeSpec(128, 500000.0)
"""The setting of the wall measurements: Llama 3's head dim and base."""


def oracle_mismatches(spec: RopeSpec, dtype: str, positions: Iterable[int]) -> tuple[int, int]:
    """Stored cos/sin values of every pipeline that differ from the scalar oracle chain, and values compared."""
    positions = list(positions)
    bad = total = 0
    for pipeline in PIPELINES:
        f = pipeline_formats(dtype, pipeline)
        c, s = cos_sin(spec, positions, dtype, pipeline)
        for row, m in enumerate(positions):
            p = oracle_round(float(m), f.position)
            for i, w in enumerate(inv_freq(spec, dtype, pipeline).tolist()):
                if f.phase.precision == 53:
                    a = p * w
                    want = (math.cos(a), math.sin(a))
                else:
                    a = oracle_mul(p, w, f.phase)
                    want = (oracle_round(oracle_cos(a, f.phase), f.store),
                            oracle_round(oracle_sin(a, f.phase), f.store))
                got = (float(c[row, i]), float(s[row, i]))
                bad += sum(not (g == w_ or (math.isnan(g) and math.isnan(w_))) for g, w_ in zip(got, want))
                total += 2
    return bad, total


def _sample_positions(seed: int, n: int) -> list[int]:
    rng = np.random.default_rng(seed)
    fixed = [0, 1, 255, 256, 257, 2047, 2049, 65503, 2**24 - 1]
    return fixed + rng.integers(0, 2**24, n).tolist()


def _walls(dtype: str, context: int, iterate: Callable[[range], Iterable[int]] | None,
           spec: RopeSpec = WALL_SPEC) -> dict[str, dict[str, Any]]:
    figures = {}
    for pipeline in ("hf", "invfreq-cast", "native"):
        r = erasure_scan(spec, context, dtype, pipeline, attention=True, probes=[], iterate=iterate)
        figures[pipeline] = {
            "predicted_erased_pairs": sum(t < r.predicted_wall_theta for t in r.frequencies),
            "distinct_positions": r.distinct_positions, "first_collision": r.first_collision,
            "distinct_rotated": r.distinct_rotated, "erased_pairs": r.erased_pairs, "wall_theta": r.wall_theta,
            "predicted_wall_theta": r.predicted_wall_theta, "wall_ratio": r.wall_ratio,
            "erased_are_slowest": r.erased_are_slowest, "nonfinite_positions": r.nonfinite_positions,
            "consistent": r.distinct_rotated is not None and r.distinct_rotated <= r.distinct_positions,
        }
    return figures


def _iterate(options: CheckOptions, label: str) -> Callable[[range], Iterable[int]]:
    def wrap(starts: range) -> Iterable[int]:
        return progress(starts, total=len(starts), label=label, enabled=options.progress)

    return wrap


def _wall_headline(walls: dict[str, dict]) -> str:
    parts = []
    for pipeline, w in walls.items():
        ratio = "none erased" if w["wall_ratio"] is None else f"wall/eps {w['wall_ratio']:.3g}"
        parts.append(f"{pipeline} {ratio}")
    return "; ".join(parts)


def _run(dtype: str, options: CheckOptions, facts: dict[str, bool], extra: dict, suffix: str = "") -> Outcome:
    n_sample = 60 if options.full else 12
    bad, total = oracle_mismatches(RopeSpec(16, 500000.0), dtype, _sample_positions(5, n_sample))
    context = 1 << 20 if options.full else 1 << 13
    walls = _walls(dtype, context, _iterate(options, f"{dtype} scans"))
    consistent = all(w["consistent"] for w in walls.values())
    ok = bad == 0 and all(facts.values()) and consistent
    failed = [k for k, v in facts.items() if not v]
    headline = (f"oracle: {bad}/{total} mismatches; facts {len(facts) - len(failed)}/{len(facts)}; "
                f"L={context:,}: {_wall_headline(walls)}{suffix}")
    return Outcome.judge(ok, headline, oracle_mismatches=bad, oracle_values=total, facts=facts,
                         failed_facts=failed, context=context, spec="d=128, base=500000", walls=walls, **extra)


@check("erasure-bf16", "bf16 pipelines match the oracle; 0..2047 -> 641 positions, first repeat 257; wall figures")
def erasure_bf16(options: CheckOptions) -> Outcome:
    native = erasure_scan(RopeSpec(8, 10000.0), 2048, "bf16", "native", attention=False, probes=[])
    hf = erasure_scan(RopeSpec(8, 10000.0), 2048, "bf16", "hf", attention=False, probes=[])
    facts = {
        "native: 641 distinct stored positions in 0..2047": native.distinct_stored_positions == 641,
        "native: 641 distinct codes, first repeat at 257": (native.distinct_positions, native.first_collision)
        == (641, 257),
        "hf: positions kept in fp32, all 2048 codes distinct": hf.distinct_positions == 2048,
    }
    return _run("bf16", options, facts, {})


@check("erasure-fp16", "fp16 pipelines match the oracle; positions >= 65520 overflow and are reported; wall figures")
def erasure_fp16(options: CheckOptions) -> Outcome:
    spec = RopeSpec(8, 10000.0)
    native = erasure_scan(spec, 65600, "fp16", "native", attention=False, probes=[], chunk=1 << 14)
    hf = erasure_scan(spec, 65600, "fp16", "hf", attention=False, probes=[], chunk=1 << 14)
    facts = {
        "native: 80 positions from 65520 on reported non-finite": (native.nonfinite_positions,
                                                                   native.first_nonfinite) == (80, 65520),
        "native: first repeat at 2049 (ties to 2048)": native.first_collision == 2049,
        "hf: no overflow (positions in fp32)": hf.nonfinite_positions == 0,
        "65519 -> 65504, 65520 -> inf": stored_positions([65519, 65520], "fp16", "native").tolist()
        == [65504.0, math.inf],
    }
    return _run("fp16", options, facts, {})


@check("erasure-fp32", "fp32 pipelines match the oracle; positions exact to 2^24; cos/sin double rounding measured")
def erasure_fp32(options: CheckOptions) -> Outcome:
    # How often numpy's float64 cos/sin, rounded once to fp32, differ from the correctly rounded fp32 value
    # (the double-rounding risk that the pipelines' midpoint guard removes).
    n = 40_000 if options.full else 4_000
    rng = np.random.default_rng(11)
    angles = np.asarray(round_to(rng.uniform(0.0, 2.0**24, n) * rng.uniform(0, 1, n) ** 4, FP32))
    naive_wrong = guarded = 0
    for fn, oracle in ((np.cos, oracle_cos), (np.sin, oracle_sin)):
        approx = fn(angles)
        naive = np.asarray(round_to(approx, FP32))
        guarded += int(near_midpoint(approx, FP32).sum())
        naive_wrong += sum(float(v) != oracle(float(a), FP32) for v, a in zip(naive, angles))
    exact = stored_positions([2**24 - 1, 2**24, 2**24 + 1], "fp32", "hf").tolist()
    if options.full:
        # 2^24 positions must work: the whole fp32-exact range, d = 8, hf pipeline in bf16.
        big = erasure_scan(RopeSpec(8, 10000.0), 1 << 24, "bf16", "hf", attention=False, probes=[],
                           chunk=1 << 14, iterate=_iterate(options, "2^24 scan"))
        big_figures: dict[str, object] = {
            "distinct_positions": big.distinct_positions, "first_collision": big.first_collision,
            "erased_pairs": big.erased_pairs}
    else:
        big_figures = {"skipped": "run with --full"}
    # Beyond the paper's fp32 wall (base 1e9 > 1/eps = 8.4e6): pairs with theta < eps are predicted erased.
    beyond = _walls("fp32", 1 << 12, None, RopeSpec(128, 1e9))["hf"]
    facts = {
        "2^24 - 1 and 2^24 exact, 2^24 + 1 -> 2^24": exact == [2**24 - 1, 2**24, 2**24],
        "near-midpoint guard flags few values": guarded <= 2 * n // 1000 + 5,
        "base 1e9: rotated queries no more distinct than codes": beyond["consistent"],
    }
    return _run("fp32", options, facts, {
        "cos_sin_sample": 2 * n, "naive_double_rounding_wrong": naive_wrong, "guard_flagged": guarded,
        "scan_2_pow_24": big_figures,
        "beyond_wall_base_1e9": {k: beyond[k] for k in ("predicted_erased_pairs", "erased_pairs",
                                                        "distinct_positions")}},
        suffix=f"; base 1e9: {beyond['predicted_erased_pairs']} pairs under eps, {beyond['erased_pairs']} erased")
