"""The extrapolation limit (Liu et al.'s critical dimension): the closed forms against a brute-force count over the
pairs, the edge cases, the retrofits, and the two derivations (verified, and a false variant rejected)."""

from __future__ import annotations

import math

import mpmath
import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from derivations.catalog import get
from derivations.extrapolation import X_OF, T, T_extra, i_c, period, x
from derivations.kernel import Proof
from derivations.symbols import SUBS, b, d
from rope_sym.bounds import (
    critical_dimension,
    critical_pair,
    extrapolation_limit,
    ntk_extrapolation_limit,
)
from rope_sym.errors import InvalidRopeSpec
from rope_sym.scaling import RopeConfig, inv_freq, yarn_correction_range
from rope_sym.spectrum import RopeSpec, frequencies

DPS = 50


def brute_force_pair(head_dim: int, base: float, context: float) -> int | None:
    """The first pair whose period 2 pi b^(2i/d) is not below T, comparing every pair at 60 digits."""
    with mpmath.workdps(60):
        for i in range(head_dim // 2):
            if not 2 * mpmath.pi * mpmath.mpf(base) ** (mpmath.mpf(2 * i) / head_dim) < context:
                return i
    return None


def liu_dimension(head_dim: int, base: float, context: float) -> int:
    """Liu et al.'s formula as printed, 2 ceil((d/2) log_b(T/(2 pi))), at 50 digits."""
    with mpmath.workdps(DPS):
        return 2 * int(mpmath.ceil(head_dim * mpmath.log(context / (2 * mpmath.pi)) / (2 * mpmath.log(base))))


def period_mp(index: int, head_dim: int, base: float) -> mpmath.mpf:
    with mpmath.workdps(DPS):
        return 2 * mpmath.pi * mpmath.mpf(base) ** (mpmath.mpf(2 * index) / head_dim)


# ------------------------------------------------------------------------------------------- closed forms


@settings(max_examples=80, deadline=None)
@given(st.integers(2, 256).map(lambda n: 2 * n), st.floats(1.001, 1e9), st.floats(1.0, 1e8))
def test_critical_pair_is_the_brute_force_count_of_pairs_that_saw_a_full_turn(head_dim, base, context):
    pair = critical_pair(head_dim, base, context)
    assert pair == brute_force_pair(head_dim, base, context)
    dimension = critical_dimension(head_dim, base, context)
    assert dimension == (None if pair is None else 2 * pair)
    if pair is None:
        assert extrapolation_limit(head_dim, base, context) == math.inf
    elif context > 2 * math.pi:  # Liu et al.'s formula, wherever it names a pair
        assert dimension == liu_dimension(head_dim, base, context)


@settings(max_examples=60, deadline=None)
@given(st.integers(2, 256).map(lambda n: 2 * n), st.floats(1.001, 1e9), st.floats(6.3, 1e8))
def test_the_limit_is_the_critical_period_and_lies_in_its_bracket(head_dim, base, context):
    pair = critical_pair(head_dim, base, context)
    limit = extrapolation_limit(head_dim, base, context)
    if pair is None:
        assert limit == math.inf
        return
    want = period_mp(pair, head_dim, base)
    assert abs(limit - want) <= 1e-15 * want
    with mpmath.workdps(DPS):  # T <= T_extra < T b^(2/d), checked on the 50-digit period
        assert context <= want < context * mpmath.mpf(base) ** (mpmath.mpf(2) / head_dim)


def test_reference_figures():
    # Llama-2-7B: d_extra = 92 (Liu et al.), T_extra = 2 pi 1e4^(92/128)
    assert critical_dimension(128, 1e4, 4096) == 92
    assert extrapolation_limit(128, 1e4, 4096) == pytest.approx(2 * math.pi * 10 ** (4 * 92 / 128), rel=1e-14)
    # SmolLM2-135M (d 64, b 1e5, T 8192): x = 19.4..., so pair 20
    assert critical_pair(64, 1e5, 8192) == 20
    assert extrapolation_limit(64, 1e5, 8192) == pytest.approx(2 * math.pi * 10 ** (5 * 40 / 64), rel=1e-14)


# --------------------------------------------------------------------------------------------- edge cases


@pytest.mark.parametrize(("head_dim", "base", "k"), [(64, 1e4, 20), (128, 5e5, 33), (128, 1e4, 46), (8, 2.0, 1)])
def test_a_period_next_to_the_training_length_is_decided_exactly(head_dim, base, k):
    # x close to the integer k: the floats either side of P_k = 2 pi b^(2k/d); float64 logarithms cannot tell
    # them apart reliably, the exact comparison must
    p_k = float(period_mp(k, head_dim, base))
    below, above = math.nextafter(p_k, 0.0), math.nextafter(p_k, math.inf)
    for t in (below, p_k, above):
        assert critical_pair(head_dim, base, t) == brute_force_pair(head_dim, base, t)
    assert critical_pair(head_dim, base, below) == k          # P_k > T: pair k never saw a full turn
    assert critical_pair(head_dim, base, above) == k + 1      # P_k < T: pair k did


def test_an_integer_x_is_the_convention_period_equal_to_t_not_seen():
    # exactly T = 2 pi b^(2k/d): x = k, and the boxed result gives pair k (its period equals T), which the
    # floor(x) + 1 convention would not
    boxed = get("extrapolation").result.rhs
    values = {d: 64, b: sp.Integer(10000), T: period(5).subs({d: 64, b: 10000})}
    assert sp.simplify(X_OF.subs(values)) == 5
    assert sp.simplify(boxed.subs(values) - values[T]) == 0                       # T_extra = T = P_5
    assert sp.simplify(period(sp.floor(X_OF) + 1).subs(values) - values[T]) != 0  # floor(x) + 1 gives P_6


@pytest.mark.parametrize("context", [0.5, 3.0, 6.0, 2 * math.pi])
def test_a_training_length_up_to_2_pi_leaves_pair_0_critical(context):
    # float(2 pi) is below the true 2 pi, so even there pair 0 has not turned once
    assert critical_pair(64, 1e4, context) == 0 == critical_dimension(64, 1e4, context)
    assert extrapolation_limit(64, 1e4, context) == 2 * math.pi
    assert critical_pair(64, 1e4, math.nextafter(2 * math.pi, 7.0)) == 1


def test_when_every_pair_saw_a_full_turn_there_is_no_limit():
    # the slowest pair of d 64, b 1e4 has period 2 pi 1e4^(62/64) = 47,104 tokens
    slowest = float(period_mp(31, 64, 1e4))
    assert critical_pair(64, 1e4, math.nextafter(slowest, 0.0)) == 31
    for t in (math.nextafter(slowest, math.inf), 1e9):
        assert critical_pair(64, 1e4, t) is None and critical_dimension(64, 1e4, t) is None
        assert extrapolation_limit(64, 1e4, t) == math.inf == ntk_extrapolation_limit(64, 1e4, t, 1e6)
        assert extrapolation_limit(64, 1e4, t, frequencies(RopeSpec(64, 1e4))) == math.inf


# ------------------------------------------------------------------------------------------------- retrofits


@settings(max_examples=40, deadline=None)
@given(st.sampled_from([64, 128]), st.floats(1e3, 1e7), st.floats(100.0, 1e5), st.floats(1.0, 1e3))
def test_a_new_base_stretches_the_same_pair_within_its_bracket(head_dim, base, context, stretch):
    pair = critical_pair(head_dim, base, context)
    new_base = base * stretch
    limit = ntk_extrapolation_limit(head_dim, base, context, new_base)
    if pair is None:
        assert limit == math.inf
        return
    # the same as the effective spectrum of base b' at the pre-training critical pair
    assert limit == pytest.approx(extrapolation_limit(head_dim, base, context, frequencies(RopeSpec(head_dim,
                                                                                                    new_base))),
                                  rel=1e-14)
    with mpmath.workdps(DPS):
        want = 2 * mpmath.pi * mpmath.mpf(new_base) ** (mpmath.mpf(2 * pair) / head_dim)
        low = context * (mpmath.mpf(new_base) / base) ** (mpmath.mpf(2 * pair) / head_dim)
        assert abs(limit - want) <= 1e-15 * want
        assert low * (1 - 1e-15) <= limit < low * mpmath.mpf(base) ** (mpmath.mpf(2) / head_dim)


def test_the_training_base_as_new_base_gives_the_limit_itself():
    assert ntk_extrapolation_limit(64, 1e5, 8192, 1e5) == extrapolation_limit(64, 1e5, 8192)


def test_linear_interpolation_multiplies_the_limit_by_s():
    scaled = inv_freq(RopeConfig("linear", head_dim=128, base=1e4, factor=4.0))
    assert extrapolation_limit(128, 1e4, 4096, scaled) == pytest.approx(4 * extrapolation_limit(128, 1e4, 4096),
                                                                        rel=1e-15)


def test_yarn_at_the_training_length_interpolates_the_critical_pair_fully():
    # beta_slow = 1 puts the ramp's end at corr(1) = x itself, so the critical pair ceil(x) is past the ramp
    rope = RopeConfig("yarn", head_dim=128, base=1e4, factor=4.0, original_max_position_embeddings=4096)
    assert yarn_correction_range(rope)[1] <= critical_pair(128, 1e4, 4096)
    assert extrapolation_limit(128, 1e4, 4096, inv_freq(rope)) == pytest.approx(
        4 * extrapolation_limit(128, 1e4, 4096), rel=1e-15)


def test_llama3_gives_the_critical_pair_the_factor_of_its_band():
    # Llama-3.1-8B: pre-trained on 8192 tokens at 5e5; low_freq_factor 1 scales every wavelength above 8192 by 8
    llama31 = RopeConfig("llama3", head_dim=128, base=5e5, factor=8.0, low_freq_factor=1.0, high_freq_factor=4.0,
                         original_max_position_embeddings=8192)
    base_limit = extrapolation_limit(128, 5e5, 8192)
    assert extrapolation_limit(128, 5e5, 8192, inv_freq(llama31)) == pytest.approx(8 * base_limit, rel=1e-15)
    # low_freq_factor 0.5 leaves wavelengths in (2048, 16384] to the smooth band: the critical pair (period in
    # [8192, 8192 b^(2/d))) gets the blend (1 - g) theta/s + g theta, g = (L0/w - low)/(high - low)
    blended = RopeConfig("llama3", head_dim=128, base=5e5, factor=8.0, low_freq_factor=0.5, high_freq_factor=4.0,
                         original_max_position_embeddings=8192)
    g = (8192 / base_limit - 0.5) / (4.0 - 0.5)
    theta = 2 * math.pi / base_limit
    want = 2 * math.pi / ((1 - g) * theta / 8 + g * theta)
    assert 0 < g < 1
    assert extrapolation_limit(128, 5e5, 8192, inv_freq(blended)) == pytest.approx(want, rel=1e-13)


def test_a_critical_pair_that_does_not_rotate_has_no_limit():
    theta = frequencies(RopeSpec(64, 1e4)).copy()
    theta[critical_pair(64, 1e4, 2048):] = 0.0  # NoPE pairs (Gemma's proportional rope pads with zeros)
    assert extrapolation_limit(64, 1e4, 2048, theta) == math.inf


# ------------------------------------------------------------------------------------------------ bad input


@pytest.mark.parametrize(("call", "message"), [
    (lambda: critical_pair(63, 1e4, 4096), "head dim must be even and at least 2, got 63"),
    (lambda: critical_pair(64, 1.0, 4096), "base must be greater than 1, got 1.0"),
    (lambda: critical_dimension(64, 1e4, 0), "context must be positive, got 0"),
    (lambda: extrapolation_limit(64, 1e4, math.nan), "context must be finite, got nan"),
    (lambda: ntk_extrapolation_limit(64, 1e4, 4096, 0.5), "new base must be greater than 1, got 0.5"),
    (lambda: ntk_extrapolation_limit(64, 1e4, 4096, "1e6"), "new base must be a real number, got '1e6'"),
    (lambda: extrapolation_limit(64, 1e4, 4096, np.ones(16)), "frequencies must hold d/2 = 32 values"),
    (lambda: extrapolation_limit(64, 1e4, 4096, -np.ones(32)), "frequencies must be finite and non-negative"),
    (lambda: extrapolation_limit(64, 1e4, 4096, ["a"] * 32), "frequencies must be a list of real numbers"),
])
def test_bad_input_is_one_line_naming_the_problem(call, message):
    with pytest.raises(InvalidRopeSpec, match="^" + message) as info:
        call()
    assert "\n" not in str(info.value)


# --------------------------------------------------------------------------------------------- derivations


@pytest.mark.parametrize("name", ["extrapolation", "extrapolation_retrofits"])
def test_the_derivations_verify_and_box_the_closed_forms(name):
    dv = get(name)
    assert dv.verified, dv.failures
    assert isinstance(dv.result.rhs.atoms(sp.ceiling).pop(), sp.ceiling)


def test_the_boxed_result_is_the_library_limit_at_50_digits():
    boxed = get("extrapolation").result.rhs
    for head_dim, base, context in ((128, 10000, 4096), (64, 100000, 8192), (128, 500000, 32768)):
        value = sp.N(boxed.subs({d: head_dim, b: base, T: context}), DPS)
        assert abs(extrapolation_limit(head_dim, base, context) - float(value)) <= 1e-15 * float(value)


def _ending(claim: sp.Expr) -> Proof:
    """The last two steps of the extrapolation derivation, ending with ``T_extra = claim``."""
    p = Proof("variant", "variant", SUBS)
    p.hypothesis(sp.StrictGreaterThan(b, 1), "b > 1")
    p.hypothesis(sp.StrictGreaterThan(d, 2), "d > 2")
    p.hypothesis(sp.Eq(x, X_OF), "x")
    p.hypothesis(sp.Eq(i_c, sp.ceiling(x)), "i_c = ceil(x)")
    limit = p.hypothesis(sp.Eq(T_extra, period(i_c)), "T_extra")
    p.rewrite(p.given(limit), sp.Eq(T_extra, claim), "the closed form")
    return p


def test_a_floor_in_place_of_the_ceiling_is_rejected_by_the_kernel_and_disagrees_with_the_scan():
    assert _ending(2 * sp.pi * b ** (2 * sp.ceiling(X_OF) / d)).done().verified        # the control
    floor = _ending(2 * sp.pi * b ** (2 * sp.floor(X_OF) / d)).done()
    assert not floor.verified and floor.failed_steps == [2]
    # numerically: 2 floor(x) misses the critical dimension at every setting of the grid
    for head_dim in (64, 128):
        for base in (1e4, 1e5, 5e5, 1e6):
            for context in (2048, 4096, 8192, 32768):
                with mpmath.workdps(DPS):
                    floor_dim = 2 * int(mpmath.floor(head_dim * mpmath.log(context / (2 * mpmath.pi))
                                                     / (2 * mpmath.log(base))))
                assert floor_dim == critical_dimension(head_dim, base, context) - 2


def test_without_b_above_1_the_logarithm_step_fails():
    dv = get("extrapolation")
    from derivations.kernel import Derivation

    kept = tuple(h for h in dv.hypotheses if h.label != "H1")
    stripped = Derivation(dv.name, dv.title, kept, dv.steps, dv.result, dv.subs)
    assert not stripped.verified
    assert any(f.startswith("step 4:") for f in stripped.failures)
