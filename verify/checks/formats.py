"""Checks of ``rope_sym.formats``: the fast rounding against the gmpy2 oracle, and the double-rounding trap."""

from __future__ import annotations

import numpy as np

from rope_sym.formats import BF16, FORMATS, FP64, hard_cases, oracle_round_many, random_values, round_to, same_bits
from verify.checks import CheckOptions, Outcome, check

_FORMATS = [f for f in FORMATS.values() if f is not FP64]  # rounding to fp64 is the identity


@check("formats-rounding", "round_to matches the gmpy2 oracle bit for bit (ties, near ties, boundaries, random)")
def formats_rounding(options: CheckOptions) -> Outcome:
    n_ties, n_random = (20000, 200000) if options.full else (2000, 20000)
    mismatches: dict[str, int] = {}
    total = 0
    for fmt in _FORMATS:
        sets = hard_cases(fmt, n=n_ties)
        sets["random"] = random_values(n_random, seed=1, fmt=fmt)
        for name, x in sets.items():
            bad = int(np.count_nonzero(~same_bits(round_to(x, fmt), np.array(oracle_round_many(x, fmt)))))
            mismatches[f"{fmt.name}/{name}"] = bad
            total += x.size
    worst = sum(mismatches.values())
    return Outcome.judge(worst == 0, f"{worst} mismatches in {total:,} values over {len(_FORMATS)} formats",
                         values=total, mismatches=mismatches)


@check("formats-bf16-trap", "float64 -> bf16 through float32 rounds twice; round_to does not")
def bf16_double_rounding_trap(options: CheckOptions) -> Outcome:
    x = hard_cases(BF16, n=2000)["ties_pm_small"]
    truth = np.array(oracle_round_many(x, BF16))
    via_fp32 = round_to(x.astype(np.float32).astype(np.float64), BF16)
    wrong_via_fp32 = int(np.count_nonzero(~same_bits(via_fp32, truth)))
    wrong_direct = int(np.count_nonzero(~same_bits(round_to(x, BF16), truth)))
    ok = wrong_direct == 0 and wrong_via_fp32 > 0
    return Outcome.judge(ok, f"via fp32 wrong on {wrong_via_fp32:,}/{x.size:,} near ties; direct wrong on "
                         f"{wrong_direct}", near_ties=int(x.size), wrong_via_fp32=wrong_via_fp32,
                         wrong_direct=wrong_direct)
