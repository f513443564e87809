"""Checks of the long-context failure claims (Du et al. 2026; Men et al. 2024), kept in their own settings.

Monte Carlo checks use fixed seeds and 5-sigma Wilson intervals; each figure states its sample size.
"""

from __future__ import annotations

import numpy as np

from rope_sym import RopeSpec, frequencies
from rope_sym.bounds.closed_forms import dc_stability_base
from rope_sym.bounds.published import SU_TABLE_D128
from rope_sym.formats import BF16, FP16, FP32
from rope_sym.long_context import (
    Estimate,
    inversion_horizon,
    men_b,
    men_base_lower_bound,
    position_aliasing,
    position_inversion,
    score_spectrum,
    token_inversion,
)
from verify.checks import CheckOptions, Outcome, check

D = 128


def _pair(seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    q = rng.normal(size=D)
    return q, q + 0.5 * rng.normal(size=D)


@check("du-position-inversion", "Du et al.: P(s(r1) < s(r2) | r1 < r2) tends to 1/2 as the context grows (fixed q, k)")
def du_position_inversion(options: CheckOptions) -> Outcome:
    samples = 100_000 if options.full else 20_000
    contexts = [16 * 4**j for j in range(9)]
    q, k = _pair(0)
    horizons: dict[str, float | None] = {}
    ends: dict[str, str] = {}
    for base in (1000.0, 10000.0, 500000.0):
        sp = score_spectrum(q, k, frequencies(RopeSpec(D, base)))
        estimates = [(float(m), position_inversion(sp, m, samples, seed=j)) for j, m in enumerate(contexts)]
        horizons[f"{base:g}"] = inversion_horizon(estimates, 0.05)
        ends[f"{base:g}"] = f"M=16: {estimates[0][1]}; M=2^20: {estimates[-1][1]}"
    h1, h2 = horizons["1000"], horizons["10000"]
    ok = h1 is not None and h2 is not None and h1 < h2
    return Outcome.judge(ok, f"within 0.05 of 1/2 from M = {h1} (base 1e3), {h2} (base 1e4), "
                             f"{horizons['500000']} (base 5e5, None: not by 2^20)",
                         samples_per_point=samples, grid="16 * 4^j, j = 0..8", horizons=horizons, estimates=ends)


@check("du-token-inversion", "Du et al.: token inversion tends to 1/2; a larger base lowers it")
def du_token_inversion(options: CheckOptions) -> Outcome:
    per_triple = 5000 if options.full else 1000
    rng = np.random.default_rng(5)
    triples = [(q, q + rng.normal(size=D), rng.normal(size=D)) for q in rng.normal(size=(32, D))]
    table: dict[str, str] = {}
    pooled: dict[tuple[float, int], tuple[float, float, float]] = {}
    for base in (10000.0, 1e7):
        theta = frequencies(RopeSpec(D, base))
        for context in (16, 65536, 2**20):
            hits = total = 0
            for j, (q, k1, k2) in enumerate(triples):
                a, b = score_spectrum(q, k1, theta), score_spectrum(q, k2, theta)
                hi, lo = (a, b) if float(a.score(0.0)) > float(b.score(0.0)) else (b, a)
                est = token_inversion(hi, lo, context, per_triple, seed=j)
                hits, total = hits + est.successes, total + est.samples
            e = Estimate(hits, total)
            pooled[(base, context)] = (e.p, *e.interval)
            table[f"base {base:g}, M {context}"] = str(e)
    far = pooled[(10000.0, 2**20)]
    inside = abs(far[1] - 0.5) <= 0.05 and abs(far[2] - 0.5) <= 0.05
    ok = inside and pooled[(1e7, 65536)][2] < pooled[(10000.0, 65536)][1]
    return Outcome.judge(ok, f"base 1e4: {far[0]:.3f} at M = 2^20; at M = 65536: {pooled[(10000.0, 65536)][0]:.3f} "
                             f"(base 1e4) vs {pooled[(1e7, 65536)][0]:.3f} (base 1e7)",
                         triples=len(triples), samples_per_triple=per_triple, estimates=table)


@check("du-aliasing", "Du et al.: position aliasing counts grow as precision falls (bf16 > fp16 > fp32 >= fp64)")
def du_aliasing(options: CheckOptions) -> Outcome:
    context = 32768 if options.full else 8192
    q, k = _pair(0)
    counts = {}
    for base in (10000.0, 500000.0):
        sp = score_spectrum(q, k, frequencies(RopeSpec(D, base)))
        counts[f"{base:g}"] = {name: position_aliasing(sp, context, fmt)
                               for name, fmt in (("bf16", BF16), ("fp16", FP16), ("fp32", FP32), ("fp64", None))}
    ok = all(c["bf16"] > c["fp16"] > c["fp32"] >= c["fp64"] == 0 for c in counts.values())
    c = counts["500000"]
    return Outcome.judge(ok, f"{context} positions, base 5e5: {c['bf16']} equal-score pairs in bf16, {c['fp16']} in "
                             f"fp16, {c['fp32']} in fp32, {c['fp64']} in fp64", positions=context, counts=counts)


@check("men-base-bound", "Men et al.: smallest base with B(m) >= 0 on [0, L] (scanned) vs Su's table and DC stability")
def men_base_bound(options: CheckOptions) -> Outcome:
    contexts = [1024, 2048, 4096, 8192, 16384, 32768, 65536] if options.full else [1024, 2048, 4096, 8192]
    steps = 500
    rows, worst = {}, 0.0
    for context in contexts:
        scan = men_base_lower_bound(context, D, low=2.0 * context, steps_per_decade=steps, tail=20)
        if scan.bound is None:
            return Outcome.judge(False, f"no admissible base found for L = {context}")
        m = np.arange(context + 1, dtype=np.float64)
        admissible = float(men_b(m, frequencies(RopeSpec(D, scan.bound))).min()) >= 0.0
        rel = scan.bound / SU_TABLE_D128[context] - 1.0
        worst = max(worst, abs(rel)) if admissible else float("inf")
        rows[str(context)] = {
            "bound": round(scan.bound), "su_table": SU_TABLE_D128[context], "rel_diff": round(rel, 4),
            "failing_grid_bases_in_next_20": scan.inadmissible_above_bound,
            "dc_stability_eps_0.5": round(dc_stability_base(context, 128, 0.5, form="paper"))}
    ok = worst < 0.08
    headline = (f"within {100 * worst:.1f}% of Su's recomputed table for L = {contexts[0]}..{contexts[-1]} "
                f"(grid {steps} steps/decade from 2L)")
    return Outcome.judge(ok, headline, grid_ratio=10 ** (1 / steps), table=rows)
