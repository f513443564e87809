"""Throughput of the exact erasure scan (``rope_sym.erasure.erasure_scan``) in positions x pairs per second."""

from __future__ import annotations

import time

from rope_sym.erasure import erasure_scan
from rope_sym.spectrum.spec import RopeSpec
from verify.benches import BenchOptions, BenchResult, benchmark

_CASES = [
    ("hf", "bf16", True),
    ("hf", "bf16", False),
    ("native", "bf16", False),
    ("hf", "fp32", False),
    ("fp64", "fp32", False),
]


@benchmark("erasure", "exact erasure scan of 2^20 positions x 64 pairs (hf pipeline, emulated bf16), pairs/s")
def erasure(options: BenchOptions) -> BenchResult:
    context = 1 << 14 if options.quick else 1 << 20
    spec = RopeSpec(128, 500000.0)
    rows = []
    for pipeline, dtype, attention in _CASES:
        start = time.perf_counter()
        report = erasure_scan(spec, context, dtype, pipeline, attention=attention, probes=[])
        seconds = time.perf_counter() - start
        rows.append({"pipeline": pipeline, "dtype": dtype, "attention level": attention, "positions": context,
                     "pairs": spec.n_pairs, "seconds": seconds,
                     "positions*pairs/s": context * spec.n_pairs / seconds,
                     "distinct": report.distinct_positions})
    return BenchResult(f"erasure scan, d=128, base 5e5, L={context:,}", rows, [
        "one run each on one core; cos/sin in float64 dominate (two numpy passes per value), then the exact "
        "roundings, the 64-bit row hashes, and the verification of equal-hash groups",
        "resolution probes off (probes=[]); the attention level adds the rotated-query hashes"])
