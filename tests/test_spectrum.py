"""The RoPE description, spectrum and rotation (both layouts)."""

from __future__ import annotations

import math

import mpmath
import numpy as np
import pytest
import sympy

from rope_sym import (
    InvalidRopeSpec,
    RopeSpec,
    apply_rope,
    apply_rotation,
    attention_score,
    check_context,
    frequencies,
    frequencies_exact,
    frequencies_mp,
    frequencies_numpy,
    half_to_interleaved,
    interleaved_to_half,
    rotation_block,
    rotation_matrix_sym,
    slowest_wavelength,
    theta_min,
    theta_min_exact,
    theta_min_paper,
    wavelengths,
    wavelengths_exact,
)


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"head_dim": 127, "base": 1e4}, "head dim must be even and at least 2, got 127"),
    ({"head_dim": 0, "base": 1e4}, "head dim must be even and at least 2, got 0"),
    ({"head_dim": 64.5, "base": 1e4}, "head dim must be an integer"),
    ({"head_dim": 64, "base": 1.0}, "base must be greater than 1, got 1.0"),
    ({"head_dim": 64, "base": -5}, "base must be greater than 1"),
    ({"head_dim": 64, "base": math.nan}, "base must be finite"),
    ({"head_dim": 64, "base": math.inf}, "base must be finite"),
    ({"head_dim": 64, "base": True}, "base must be a real number"),
    ({"head_dim": 64, "base": 1e4, "rotary_fraction": 0.0}, "rotary fraction must be in"),
    ({"head_dim": 64, "base": 1e4, "rotary_fraction": 0.11}, "rotary dim int(64 * 0.11) = 7 must be even"),
])
def test_invalid_specs_raise_one_line_value_errors(kwargs, message):
    with pytest.raises(InvalidRopeSpec) as info:
        RopeSpec(**kwargs)
    assert isinstance(info.value, ValueError)
    assert message in str(info.value) and "\n" not in str(info.value)


@pytest.mark.parametrize("bad", [0, -1, math.nan, math.inf, "4096"])
def test_invalid_context(bad):
    with pytest.raises(InvalidRopeSpec):
        check_context(bad)


def test_partial_rotary_dims():
    spec = RopeSpec(96, 10000, rotary_fraction=0.25)  # GPT-NeoX-20B
    assert (spec.rotary_dim, spec.n_pairs) == (24, 12)
    assert frequencies(spec)[1] == pytest.approx(10000 ** (-2 / 24), rel=1e-15)


def test_exact_spectrum_by_hand():
    spec = RopeSpec(4, 10000)
    assert frequencies_exact(spec) == [1, sympy.Rational(1, 100)]
    assert theta_min_exact(spec) == sympy.Rational(1, 100)
    assert wavelengths_exact(spec) == [2 * sympy.pi, 200 * sympy.pi]
    assert theta_min_exact(RopeSpec(128, 500000)) == sympy.Integer(500000) ** sympy.Rational(-63, 64)


@pytest.mark.parametrize(("d", "base"), [(128, 10000.0), (128, 500000.0), (64, 1e6), (256, 1e7), (6, 3.5)])
def test_float64_spectrum_is_correctly_rounded(d, base):
    spec = RopeSpec(d, base)
    with mpmath.workdps(50):
        for value, t in zip(frequencies(spec), frequencies_exact(spec)):
            exact = mpmath.mpf(str(t.evalf(60)))
            assert abs(mpmath.mpf(value) - exact) <= mpmath.mpf(math.ulp(value)) / 2
    assert np.max(np.abs(frequencies_numpy(spec) / frequencies(spec) - 1)) < 2e-14


def test_mpmath_spectrum_at_high_precision():
    spec = RopeSpec(64, 500000)
    with mpmath.workdps(80):
        exact = [mpmath.mpf(str(t.evalf(90))) for t in frequencies_exact(spec)]
        mp = frequencies_mp(spec, dps=60)
        assert max(abs(a / b - 1) for a, b in zip(mp, exact)) < mpmath.mpf(10) ** -58


def test_theta_min_and_slowest_wavelength():
    spec = RopeSpec(128, 500000)
    assert theta_min(spec) == frequencies(spec)[-1]
    assert theta_min_paper(spec) == 2e-6
    assert slowest_wavelength(spec) == pytest.approx(2 * math.pi * 500000 ** (63 / 64), rel=1e-14)
    assert wavelengths(spec)[0] == pytest.approx(2 * math.pi)
    # the paper's shortcut overstates the slowest wavelength by base^(2/d)
    assert (1 / theta_min_paper(spec)) / (1 / theta_min(spec)) == pytest.approx(500000 ** (2 / 128))


def test_symbolic_block_composes_and_is_relative():
    m, n = sympy.symbols("m n", real=True)
    t = sympy.Symbol("theta", positive=True)
    lhs = rotation_block(m * t).T * rotation_block(n * t)
    assert sympy.simplify(lhs - rotation_block((n - m) * t)) == sympy.zeros(2, 2)


def test_symbolic_matrix_layouts_are_permutations_of_each_other():
    spec = RopeSpec(6, 100)
    m = sympy.Symbol("m")
    ri, rh = rotation_matrix_sym(spec, m, layout="interleaved"), rotation_matrix_sym(spec, m, layout="half")
    x = sympy.Matrix(sympy.symbols("x0:6"))
    xi = ri * x
    xh = rh * sympy.Matrix(interleaved_to_half(np.array(list(x), dtype=object)))
    assert sympy.simplify(sympy.Matrix(interleaved_to_half(np.array(list(xi), dtype=object))) - xh) == sympy.zeros(6, 1)


@pytest.mark.parametrize("spec", [RopeSpec(8, 10000), RopeSpec(12, 500, rotary_fraction=2 / 3)])
def test_numeric_rotation_matches_the_symbolic_matrix(spec):
    x = np.random.default_rng(0).standard_normal(spec.head_dim)
    for layout in ("interleaved", "half"):
        matrix = np.array(rotation_matrix_sym(spec, 37, layout=layout).evalf(30), dtype=np.float64)
        got = apply_rope(x[None, :], [37.0], frequencies(spec), layout)[0]
        np.testing.assert_allclose(got, matrix @ x, rtol=0, atol=1e-14)


def test_layouts_agree_up_to_the_permutation_and_partial_dims_pass_through():
    spec = RopeSpec(16, 10000, rotary_fraction=0.5)
    rng = np.random.default_rng(1)
    x = rng.standard_normal((3, 5, 16))
    pos = np.arange(5.0) * 1000
    inter = apply_rope(x, pos, frequencies(spec), "interleaved")
    half = apply_rope(interleaved_to_half(x, spec.rotary_dim), pos, frequencies(spec), "half")
    np.testing.assert_array_equal(interleaved_to_half(inter, spec.rotary_dim), half)
    np.testing.assert_array_equal(half_to_interleaved(interleaved_to_half(x, 8), 8), x)
    np.testing.assert_array_equal(inter[..., 8:], x[..., 8:])


def test_rotation_preserves_norm_and_scores_are_relative():
    spec = RopeSpec(64, 10000)
    rng = np.random.default_rng(2)
    q, k = rng.standard_normal(64), rng.standard_normal(64)
    rotated = apply_rope(q[None, :], [123456.0], frequencies(spec))[0]
    assert np.linalg.norm(rotated) == pytest.approx(np.linalg.norm(q), rel=1e-14)
    s1 = attention_score(q, k, 10, 30, frequencies(spec))
    s2 = attention_score(q, k, 1010, 1030, frequencies(spec))
    assert s1 == pytest.approx(s2, abs=1e-11)
    assert s1 != pytest.approx(attention_score(q, k, 10, 31, frequencies(spec)), abs=1e-3)


def test_apply_rotation_on_mpmath_objects():
    spec = RopeSpec(4, 100)
    with mpmath.workdps(40):
        frequencies = frequencies_mp(spec, 40)
        m = mpmath.mpf(7)
        cos = np.array([[mpmath.cos(m * t) for t in frequencies]], dtype=object)
        sin = np.array([[mpmath.sin(m * t) for t in frequencies]], dtype=object)
        x = np.array([[mpmath.mpf(1), mpmath.mpf(2), mpmath.mpf(3), mpmath.mpf(4)]], dtype=object)
        out = apply_rotation(x, cos, sin)
        norm2 = sum(v * v for v in out[0])
        assert abs(norm2 - 30) < mpmath.mpf(10) ** -35


def test_unknown_layout():
    with pytest.raises(InvalidRopeSpec, match="unknown layout 'complex'"):
        apply_rope(np.ones((1, 4)), [0.0], [1.0, 0.1], layout="complex")  # type: ignore[arg-type]
