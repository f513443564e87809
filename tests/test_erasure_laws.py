"""The erasure laws against exact scans: cast level, windows, position level, native reduction, rotated level."""

from __future__ import annotations

import numpy as np
import pytest

from rope_sym import RopeSpec
from rope_sym.bounds.walls import derived_levels
from rope_sym.erasure import default_query, erasure_scan, laws
from rope_sym.formats import get_format, round_to
from rope_sym.pipelines import inv_freq
from rope_sym.pipelines.emulated import buffer_from_frequencies
from rope_sym.spectrum.theta import frequencies


def test_the_wall_constant_to_six_digits_at_arbitrary_precision():
    c30 = laws.wall_constant(30)
    assert abs(c30 - laws.WALL_CONSTANT) < 5e-7
    assert abs(laws.wall_constant(20) - c30) < 1e-12
    # the numerical phase average crosses one half there, and is monotone around it
    assert laws.phase_averaged_fraction(c30 * 0.98) > 0.5 > laws.phase_averaged_fraction(c30 * 1.02)
    # independent of the format: theta* scales as 2^-p
    assert laws.wall_theta("bf16") / laws.wall_theta("fp16") == 2.0 ** 3


@pytest.mark.parametrize(("dtype", "head_dim", "base", "context"), [
    ("bf16", 64, 1e4, 4096), ("bf16", 128, 5e5, 16384), ("bf16", 256, 1e9, 8192),
    ("fp16", 64, 1e6, 8192), ("fp16", 128, 1e8, 16384), ("fp16", 256, 1e4, 4096),
])
def test_the_cast_law_counts_the_scans_erased_pairs_within_one(dtype, head_dim, base, context):
    spec = RopeSpec(head_dim, base)
    scan = erasure_scan(spec, context, dtype, "hf", attention=False, probes=[])
    law = laws.cast_fraction(inv_freq(spec, dtype, "hf"), dtype, 0, context)
    assert abs(int(laws.erased_by_law(law).sum()) - scan.erased_pairs) <= 1
    assert np.abs(law - np.array(scan.adjacent_erasure)).max() < 0.03


def test_the_law_follows_a_window_where_the_slow_pairs_change():
    # near m = 0 a slow pair's sine changes at every step; far out it rarely does
    spec, L = RopeSpec(16, 1e8), 40_000
    theta = inv_freq(spec, "bf16", "hf")
    for window in ((0, 600), (600, 4000), (20_000, 40_000)):
        scan = erasure_scan(spec, L, "bf16", "hf", attention=False, probes=[], window=window)
        law = laws.cast_fraction(theta, "bf16", *window)
        assert np.abs(law - np.array(scan.adjacent_erasure)).max() < 0.03, window
    near = laws.cast_fraction(theta[-1:], "bf16", 0, 100)[0]
    far = laws.cast_fraction(theta[-1:], "bf16", 20_000, 40_000)[0]
    assert near < 0.05 and far > 0.95


def test_slow_pairs_do_not_depend_on_theta_and_no_pair_erases_below_the_smallest_context():
    a = laws.cast_fraction([1e-12], "bf16", 0, 50_000)[0]
    b = laws.cast_fraction([1e-15], "bf16", 0, 50_000)[0]
    assert abs(a - b) < 2e-3
    smallest = laws.smallest_erasing_context("bf16")
    assert 2 ** 9 < smallest < 2 ** 11  # about 2^(p+2)
    assert laws.slow_pair_fraction("bf16", 0, smallest - 10) <= 0.5 < laws.slow_pair_fraction("bf16", 0,
                                                                                              smallest + 10)


@pytest.mark.parametrize("fmt", ["bf16", "fp16"])
@pytest.mark.parametrize("end", [2, 100, 256, 257, 258, 2048, 2049, 65_519, 65_520, 70_000])
def test_stored_position_counts_are_exact(fmt, end):
    brute = np.unique(np.asarray(round_to(np.arange(end, dtype=np.float64), fmt))).size
    assert laws.stored_position_count(fmt, end) == brute


@pytest.mark.parametrize("fmt", ["bf16", "fp16"])
def test_a_window_l_to_2l_merges_one_minus_2_to_the_p_minus_1_over_l(fmt):
    p = get_format(fmt).precision
    for k in range(p, p + 5):
        L = 2 ** k
        merges = laws.position_merges(fmt, L, 2 * L)
        # 2^(p-1) stored values in [L, 2L), and 2L - 1 rounds up to 2L: 2^(p-1) changes over L - 1 steps
        assert merges.distinct == 2 ** (p - 1) + 1
        assert merges.merged_fraction == pytest.approx(1 - 2 ** (p - 1) / (L - 1), rel=1e-15)
        assert abs(merges.merged_fraction - (1 - 2 ** (p - 1) / L)) < 1 / L


@pytest.mark.parametrize(("dtype", "base", "context"), [("bf16", 1e4, 4096), ("fp16", 5e5, 70_000),
                                                        ("bf16", 1e8, 300)])
def test_the_native_law_is_exact_on_the_stored_positions(dtype, base, context):
    spec = RopeSpec(32, base)
    levels = {lv.level: lv for lv in derived_levels(frequencies(spec), context, dtype, "native")}
    scan = erasure_scan(spec, context, dtype, "native", probes=[])
    assert levels["code"].fractions == pytest.approx(scan.adjacent_erasure, abs=1e-15)
    assert levels["rotated"].fractions == pytest.approx(scan.rotated_adjacent_erasure, abs=1e-15)
    assert levels["position"].holds == (scan.first_collision is None)


@pytest.mark.parametrize(("dtype", "base"), [("bf16", 1e4), ("bf16", 1e8), ("fp16", 1e6), ("fp32", 1e8)])
def test_the_rotated_law_counts_within_one_pair(dtype, base):
    spec, L = RopeSpec(64, base), 8192
    scan = erasure_scan(spec, L, dtype, "hf", probes=[])
    x = np.asarray(round_to(default_query(spec), dtype))
    theta = buffer_from_frequencies(inv_freq(spec, dtype, "hf"), dtype, "hf")
    law = laws.rotated_fraction(theta, x, dtype, 0, L)
    assert abs(int(laws.erased_by_law(law).sum()) - scan.rotated_erased_pairs) <= 1
    assert np.abs(law - np.array(scan.rotated_adjacent_erasure)).max() < 0.08


def test_the_paper_wall_overcounts_where_the_law_does_not():
    # fp32, base 1e9: more than twice as many pairs sit under eps_mach as the rotated query loses; the law
    # counts the loss itself
    spec, L = RopeSpec(64, 1e9), 8192
    under_eps = int((frequencies(spec) < get_format("fp32").eps).sum())
    scan = erasure_scan(spec, L, "fp32", "hf", probes=[])
    x = np.asarray(round_to(default_query(spec), "fp32"))
    law = laws.rotated_fraction(inv_freq(spec, "fp32", "hf"), x, "fp32", 0, L)
    assert under_eps > 2 * scan.rotated_erased_pairs
    assert abs(int(laws.erased_by_law(law).sum()) - scan.rotated_erased_pairs) <= 1
    assert scan.erased_pairs == 0  # the stored codes themselves: nothing erased (relative-precise sines)


def test_a_window_wholly_past_fp16s_range_stores_one_position():
    from rope_sym.erasure.laws import stored_position_count

    assert stored_position_count("fp16", 70_064, 70_000) == 1  # every position rounds to inf
    assert stored_position_count("fp16", 65_600, 65_500) == 2  # 65504 and inf


def test_a_frequency_that_underflows_to_zero_is_a_frozen_erased_pair():
    """An fp16 inv_freq buffer flushes frequencies below 2^-25 to 0 (a base of 1e9 at head dim 128): such a pair
    never rotates, so every step leaves its stored cos/sin unchanged (fraction 1). The laws divided by the window's
    phase span (0) and crashed with ZeroDivisionError (`verify zone --base 1e9 --dtype fp16 --pipeline
    invfreq-cast`)."""
    spectrum = frequencies(RopeSpec(128, 1e9))
    stored = buffer_from_frequencies(spectrum, "fp16", "invfreq-cast")
    assert (stored == 0).any() and (spectrum > 0).all()
    assert laws.cast_fraction(np.array([0.0, 1e-3]), "fp16", 0, 4096)[0] == 1.0
    query = np.asarray(round_to(default_query(RopeSpec(4, 10.0)), get_format("fp16")), dtype=np.float64)
    assert laws.rotated_fraction(np.array([0.0, 1e-3]), query, "fp16", 0, 4096)[0] == 1.0
    levels = {level.level: level for level in derived_levels(spectrum, 4096, "fp16", "invfreq-cast")}
    code = levels["code"]
    assert code.erased_pairs is not None and code.erased_pairs >= int((stored == 0).sum())
    assert code.fractions is not None and all(f == 1.0 for f, th in zip(code.fractions, stored) if th == 0)
