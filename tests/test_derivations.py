"""The derivations: every step verifies, a wrong step is caught, and the closed forms match their conditions."""

from __future__ import annotations

import dataclasses
import math

import mpmath
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from derivations.battery import CASES
from derivations.catalog import MODULES, UnknownDerivation, all_derivations, get
from derivations.export import as_text
from derivations.kernel import Derivation, Proof, Step
from derivations.symbols import b
from rope_sym.bounds import closed_forms as bd
from rope_sym.errors import InvalidRopeSpec, RopeSymError
from rope_sym.spectrum import effective_base


@pytest.mark.parametrize("name", list(MODULES))
def test_every_shipped_derivation_verifies_under_the_kernel(name):
    dv = get(name)
    assert dv.failures == () and dv.verified and len(dv.steps) >= 2
    # a chain: every non-lemma step has an earlier premise, and the result is the last conclusion
    for i, step in enumerate(dv.steps, 1):
        assert step.premise is None or isinstance(step.premise, str) or step.premise < i
    text = as_text(dv)
    assert "FAILED" not in text and text.count("[verified]") == len(dv.steps)
    assert "Eq(" not in text  # readable math, not SymPy's repr


def test_unknown_derivation_is_a_user_error():
    with pytest.raises(UnknownDerivation, match="unknown derivation 'nope'"):
        get("nope")
    assert issubclass(UnknownDerivation, RopeSymError)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_the_battery_false_steps_are_rejected_and_controls_verify(case):
    dv = case.build()
    assert dv.verified == case.sound, (case.claim, dv.failures)
    if not case.sound:
        assert dv.failures and all("\n" not in f for f in dv.failures)


def test_a_check_that_raises_counts_as_a_failure():
    p = Proof("raising", "a check that raises")
    h = p.hypothesis(sp.StrictGreaterThan(b, 1), "b > 1")
    p.given(h)
    dv = p.done()
    boom = Step(sp.StrictGreaterThan(b, 0), "boom", "monotone", 1, ("not", "a", "map"))  # unpacking raises
    broken = Derivation("raising", "raising", dv.hypotheses, (*dv.steps, boom), boom.conclusion, dv.subs)
    assert not broken.verified and "raised ValueError" in broken.failures[0]


def test_a_step_carries_no_check_of_its_own():
    # the kernel derives every check from the rule and the statement: there is nothing a caller could forge
    assert "check" not in {f.name for f in dataclasses.fields(Step)}
    p = Proof("pi", "pi < 3")
    p.numeric(sp.StrictLessThan(sp.pi, 3, evaluate=False), "claimed")
    assert p.done().failures == ("step 1: false: pi < 3",)


def test_numeric_facts_are_evaluated_at_the_stated_precision():
    close = sp.Rational("3.14159265358979323846264338327950288419716939937511")  # pi < close by 5e-51
    for dps, decided in ((30, False), (60, True)):
        p = Proof("close", "pi < close")
        p.numeric(sp.StrictLessThan(sp.pi, close, evaluate=False), "fifty digits", dps=dps)
        assert p.done().verified is decided


def test_the_wall_constant_is_bracketed_by_the_kernel_itself():
    from derivations.erasure_laws import _phase_average
    from derivations.numeric import integrate
    from rope_sym.erasure.laws import wall_constant

    cast = get("cast_wall")
    numeric_steps = [s for s in cast.steps if s.rule == "numeric"]
    assert len(numeric_steps) == 1 and not numeric_steps[0].conclusion.free_symbols
    # the kernel's integral agrees with the library's independent piecewise solve at the crossing
    integral = _phase_average(sp.Rational(str(wall_constant(30)))).atoms(sp.Integral).pop()
    value, bound = integrate(integral, 20)
    assert bound < 1e-15 and abs(2 * value / mpmath.pi - 0.5) < 1e-12


@given(st.integers(1, 2**40), st.integers(2, 30))
@settings(max_examples=200, deadline=None)
def test_the_kernels_exact_rounding_agrees_with_the_oracle_at_known_formats(n, bits):
    from fractions import Fraction

    from derivations.numeric import round_to_bits

    got = Fraction(str(round_to_bits(sp.Integer(n), bits)))
    # round half to even on the p-bit grid, by integer arithmetic
    spacing = 2 ** max(n.bit_length() - bits, 0)
    q, r = divmod(n, spacing)
    q += 1 if 2 * r > spacing or (2 * r == spacing and q % 2) else 0
    assert got == q * spacing


def test_side_conditions_are_stated_as_hypotheses_never_silent():
    # the depth chain needs cos(L theta_min) > 0: it is a stated hypothesis, shown as a side condition
    depth = get("depth")
    assert [h.label for h in depth.side_conditions] == ["H5"]
    assert "side condition" in as_text(depth)
    # without that hypothesis the same chain no longer verifies
    import derivations.depth as module
    from derivations.kernel import Derivation as D

    kept = tuple(h for h in depth.hypotheses if not h.side_condition)
    stripped = D(depth.name, depth.title, kept, depth.steps, depth.result, depth.subs)
    assert not stripped.verified
    assert module.derivation() is depth


def test_a_hypothesis_must_be_a_relation():
    p = Proof("x", "x")
    with pytest.raises(ValueError, match="must be a relation"):
        p.hypothesis(sp.StrictGreaterThan(sp.Integer(2), 1), "2 > 1 evaluates to True")


def test_derivations_are_built_once():
    assert get("aliasing") is get("aliasing")
    assert [dv.name for dv in all_derivations()] == list(MODULES)


# ------------------------------------------------------------------------------------------- closed forms


def test_paper_forms_are_the_papers_formulas():
    assert bd.aliasing_base(4096, 128, form="paper") == pytest.approx(4096 / (2 * math.pi), rel=1e-15)
    assert bd.dc_stability_base(4096, 128, 0.5, form="paper") == pytest.approx(4096 / (math.pi / 3), rel=1e-15)
    assert bd.depth_base(4096, 128, 0.3, 8, form="paper") == pytest.approx(4096 / math.acos(0.3 ** (1 / 8)),
                                                                          rel=1e-12)
    assert bd.precision_base(2.0**-23, 128, form="paper") == 2.0**23


@pytest.mark.parametrize("dim", [4, 8, 64, 128])
def test_exact_is_paper_to_the_power_d_over_d_minus_2(dim):
    kk = dim / (dim - 2)
    assert bd.aliasing_base(1e5, dim) == pytest.approx(bd.aliasing_base(1e5, dim, form="paper") ** kk, rel=1e-13)
    assert bd.depth_base(1e5, dim, 0.5, 4) == pytest.approx(bd.depth_base(1e5, dim, 0.5, 4, "paper") ** kk,
                                                            rel=1e-13)
    wall, wall_paper = bd.precision_base(2.0**-10, dim), bd.precision_base(2.0**-10, dim, "paper")
    assert wall / wall_paper == pytest.approx(bd.relative_gap_precision(2.0**-10, dim), rel=1e-13)
    lower = bd.dc_stability_base(1e5, dim, 0.5)
    assert lower / bd.dc_stability_base(1e5, dim, 0.5, "paper") == pytest.approx(
        bd.relative_gap_lower(bd.dc_stability_base(1e5, dim, 0.5, "paper"), dim), rel=1e-13)


def test_worked_check_of_the_reference_lmax_fp32_eps_half_depth_32():
    lmax = bd.max_context(2.0**-23, 0.5, 32, 128, form="paper")
    assert 1.65e6 < lmax < 1.8e6   # "about 1.7e6 tokens"
    assert lmax == pytest.approx(math.acos(0.5 ** (1 / 32)) * 2**23, rel=1e-12)
    assert bd.max_context(2.0**-23, 0.5, 32, 128, form="exact") == lmax  # the exponent d/(d-2) cancels
    assert bd.max_context(2.0**-23, 0.5, 32, 8, form="exact") == lmax


def test_depth_bound_dominates_dc_and_aliasing():
    for n in (1, 2, 32, 1000):
        assert bd.depth_base(1e4, 64, 0.5, n) >= bd.dc_stability_base(1e4, 64, 0.5) > bd.aliasing_base(1e4, 64)
    assert bd.depth_base(1e4, 64, 0.5, 1) == bd.dc_stability_base(1e4, 64, 0.5)


def test_large_depth_law_with_its_error_term():
    L, e = 8192.0, 0.5
    ln = math.log(1 / e)
    for n in (100, 1000, 10000):
        law = L * math.sqrt(n / (2 * ln))
        ratio = bd.depth_base(L, 128, e, n, form="paper") / law
        # ratio = 1 + ln/(6N) + O(N^-2): the remainder shrinks like N^-2
        assert abs(ratio - 1 - ln / (6 * n)) < 0.1 * (ln / n) ** 2


def test_effective_base_inverts_theta_min():
    for base, dim in ((1e4, 128), (5e5, 128), (1e4, 8)):
        theta = base ** (-(dim - 2) / dim)
        assert effective_base(theta, dim) == pytest.approx(base, rel=1e-12)
        # NTK-aware: base * s^(d/(d-2)) has theta_min / s
        assert effective_base(theta / 4, dim) == pytest.approx(base * 4 ** (dim / (dim - 2)), rel=1e-12)


def test_eps_mach_conventions():
    assert bd.eps_mach_of("fp32") == 2.0**-23 and bd.eps_mach_of("fp32", "unit_roundoff") == 2.0**-24
    assert bd.eps_mach_of("bf16") == 2.0**-7 and bd.eps_mach_of("fp16") == 2.0**-10
    with pytest.raises(InvalidRopeSpec, match="convention"):
        bd.eps_mach_of("fp32", "half")  # type: ignore[arg-type]


@pytest.mark.parametrize("call, message", [
    (lambda: bd.dc_stability_base(4096, 128, 0.0), "eps must be in the open interval"),
    (lambda: bd.dc_stability_base(4096, 128, 1.0), "eps must be in the open interval"),
    (lambda: bd.dc_stability_base(4096, 128, float("nan")), "eps must be finite"),
    (lambda: bd.depth_base(4096, 128, 0.5, 0), "depth must be at least 1"),
    (lambda: bd.depth_base(4096, 128, 0.5, 1.5), "depth must be an integer"),
    (lambda: bd.aliasing_base(4096, 2), "at least 4"),
    (lambda: bd.aliasing_base(4096, 127), "even"),
    (lambda: bd.aliasing_base(-1, 128), "context must be positive"),
    (lambda: bd.aliasing_base(float("inf"), 128), "context must be finite"),
    (lambda: bd.aliasing_base(4096, 128, form="approx"), "form must be"),  # type: ignore[arg-type]
    (lambda: bd.precision_base(2.0, 128), "eps_mach must be in the open interval"),
    (lambda: effective_base(0.0, 128), "theta_min must be in"),
])
def test_bad_input_raises_one_sentence(call, message):
    with pytest.raises(InvalidRopeSpec, match=message) as info:
        call()
    assert "\n" not in str(info.value)


@settings(max_examples=60)
@given(L=st.floats(1.0, 1e7), dim=st.sampled_from([4, 6, 16, 64, 128, 256]), e=st.floats(0.01, 0.99),
       n=st.integers(1, 200))
def test_depth_bound_is_sound_and_tight_at_50_digits(L, dim, e, n):
    bound = bd.depth_base(L, dim, e, n)
    with mpmath.workdps(50):
        def holds(base: float) -> bool:
            phase = mpmath.mpf(L) * mpmath.mpf(base) ** (-mpmath.mpf(dim - 2) / dim)
            return bool(phase < mpmath.pi / 2 and mpmath.cos(phase) ** n >= e)
        assert holds(bound * (1 + 1e-12))
        assert not holds(bound * (1 - 1e-9))


@pytest.mark.parametrize("config", [
    {"rope_type": "linear", "factor": 8.0},
    {"rope_type": "llama3", "factor": 8.0, "original_max_position_embeddings": 8192, "low_freq_factor": 1.0,
     "high_freq_factor": 4.0},
    {"rope_type": "yarn", "factor": 4.0, "original_max_position_embeddings": 32768},
], ids=lambda c: c["rope_type"])
def test_retrofits_effective_base_matches_the_scaled_spectrum(config):
    """The derivation's claim b_eff = b s^(d/(d-2)) against rope_sym.scaling's own spectra (Llama-3.1-like)."""
    from rope_sym.scaling import RopeConfig, effective_theta_min

    rope = RopeConfig(head_dim=128, base=5e5, **config)
    s = config["factor"]
    b_eff = effective_base(effective_theta_min(rope), 128)
    assert b_eff == pytest.approx(5e5 * s ** (128 / 126), rel=1e-5)   # inv_freq is computed in fp32, like HF
    ntk = effective_base((5e5 * s ** (128 / 126)) ** (-126 / 128), 128)
    assert ntk == pytest.approx(b_eff, rel=1e-5)
