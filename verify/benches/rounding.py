"""Throughput of ``round_to`` against the gmpy2 oracle, in the same run."""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import partial

from rope_sym.formats import BF16, E4M3, FP16, FP32, oracle_round_many, random_values, round_to
from verify.benches import BenchOptions, BenchResult, benchmark


def _best_rate(fn: Callable[[], object], n: int, repeats: int) -> float:
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return n / best


@benchmark("rounding", "round_to values/s per format beside the gmpy2 oracle (target: >= 200x for bf16)")
def rounding(options: BenchOptions) -> BenchResult:
    n, n_oracle, repeats = (20_000, 2_000, 1) if options.quick else (2_000_000, 50_000, 5)
    rows = []
    for fmt in (FP16, BF16, FP32, E4M3):
        x = random_values(n, seed=0, fmt=fmt)
        fast = _best_rate(partial(round_to, x, fmt), n, repeats)
        sample = x[:n_oracle].tolist()
        oracle = _best_rate(partial(oracle_round_many, sample, fmt), n_oracle, 1)
        rows.append({"format": fmt.name, "values": n, "round_to values/s": fast,
                     "oracle values/s": oracle, "speed-up": fast / oracle})
    return BenchResult("round_to vs gmpy2 oracle", rows, [
        "one core: numpy ufuncs are single-threaded; best of 5 runs for round_to, one run of "
        f"{n_oracle:,} values for the oracle (scalar MPFR loop)"])
