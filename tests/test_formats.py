"""Exact rounding to fp16/bf16/fp32/fp8: the fast path against the gmpy2 oracle and independent references."""

from __future__ import annotations

import math

import gmpy2
import numpy as np
import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from strategies import ROUNDED_FORMAT_NAMES, float64_arrays, formats_and_boundary_values, rounded_formats

from rope_sym.errors import NotRepresentable, UnknownFormat
from rope_sym.formats import (
    BF16,
    E4M3,
    E5M2,
    FORMATS,
    FP16,
    FP32,
    FP64,
    FloatFormat,
    arithmetic,
    get_format,
    hard_cases,
    is_representable,
    oracle_add,
    oracle_div,
    oracle_fma,
    oracle_mul,
    oracle_round,
    oracle_round_many,
    oracle_sqrt,
    oracle_sub,
    random_values,
    round_to,
    same_bits,
    ulp,
)

ROUNDED = [FP16, BF16, FP32, E5M2, E4M3]
CASE_SETS = ["exact_ties", "ties_pm_ulp", "ties_pm_small", "subnormal_boundary", "overflow_boundary", "specials"]


# ---------------------------------------------------------------------------- constants (from the IEEE/OCP specs)

@pytest.mark.parametrize(("fmt", "eps", "u", "tiny", "sub", "big"), [
    (FP16, 2**-10, 2**-11, 2**-14, 2**-24, 65504.0),
    (BF16, 2**-7, 2**-8, 2**-126, 2**-133, (2 - 2**-7) * 2**127),
    (FP32, 2**-23, 2**-24, 2**-126, 2**-149, (2 - 2**-23) * 2**127),
    (FP64, 2**-52, 2**-53, 2**-1022, 5e-324, 1.7976931348623157e308),
    (E5M2, 2**-2, 2**-3, 2**-14, 2**-16, 57344.0),
    (E4M3, 2**-3, 2**-4, 2**-6, 2**-9, 448.0),
])
def test_format_constants(fmt, eps, u, tiny, sub, big):
    assert (fmt.eps, fmt.unit_roundoff, fmt.smallest_normal, fmt.smallest_subnormal, fmt.max) == (
        eps, u, tiny, sub, big)


@pytest.mark.parametrize(("fmt", "np_dtype"), [(FP16, np.float16), (FP32, np.float32), (FP64, np.float64)])
def test_constants_match_numpy_finfo(fmt, np_dtype):
    info = np.finfo(np_dtype)
    assert fmt.eps == float(info.eps)
    assert fmt.max == float(info.max)
    assert fmt.smallest_normal == float(info.smallest_normal)
    assert fmt.smallest_subnormal == float(info.smallest_subnormal)


@pytest.mark.parametrize(("x", "fp16", "bf16", "fp32"), [
    (1.0, 9.765625e-4, 7.8125e-3, 2**-23), (3.0, 2**-9, 2**-6, 2**-22), (100.0, 0.0625, 0.5, 2**-17),
    (1000.0, 0.5, 4.0, 2**-14), (2048.0, 2.0, 16.0, 2**-12), (32768.0, 32.0, 256.0, 2**-8), (8191.0, 8.0, 64.0, 2**-11),
])
def test_ulp_table(x, fp16, bf16, fp32):
    # 8191 rounds to 8192 in fp16 and bf16, so its ulp is that of 8192 (reference section 4.2)
    assert (ulp(x, FP16), ulp(x, BF16), ulp(x, FP32)) == (fp16, bf16, fp32)


def test_get_format_by_name_and_alias():
    assert get_format("bfloat16") is BF16 and get_format("FP32") is FP32 and get_format(FP16) is FP16
    with pytest.raises(UnknownFormat, match="unknown floating-point format 'fp12'"):
        get_format("fp12")
    assert isinstance(UnknownFormat("x"), ValueError)


# ------------------------------------------------------------------------------------------------ pinned traps
# (x, format, the correctly rounded value): each expectation is derived by hand from the format's definition and
# checked against the gmpy2 oracle in test_pinned_traps; the @given tests below also run every one as an @example.

TRAPS = [
    # double rounding through float32: float32(x) is the exact tie 1 + 2^-8, which bf16 rounds to even (1.0)
    (1 + 2**-8 + 2**-30, BF16, 1 + 2**-7),
    (1 + 2**-8 + 2**-40, BF16, 1 + 2**-7),
    (-(1 + 2**-8 + 2**-30), BF16, -(1 + 2**-7)),
    # exact ties: to the even significand, down (1 = 1.0000000b) and up (1 + 2^-6 = 1.0000010b)
    (1 + 2**-8, BF16, 1.0),
    (1 + 3 * 2**-8, BF16, 1 + 2**-6),
    (-(1 + 2**-8), BF16, -1.0),
    (1 + 2**-11, FP16, 1.0),
    (1 + 3 * 2**-11, FP16, 1 + 2**-9),
    (1 + 2**-24, FP32, 1.0),
    (1 + 2**-24 + 2**-52, FP32, 1 + 2**-23),
    # overflow: the tie max + ulp/2 goes to inf (the even neighbour 2^(emax+1) is out of range)
    (65520.0, FP16, math.inf),
    (-65520.0, FP16, -math.inf),
    (65519.99, FP16, 65504.0),
    (math.nextafter(65520.0, 0.0), FP16, 65504.0),
    ((2 - 2**-8) * 2.0**127, BF16, math.inf),
    (math.nextafter((2 - 2**-8) * 2.0**127, 0.0), BF16, (2 - 2**-7) * 2.0**127),
    ((2 - 2**-24) * 2.0**127, FP32, math.inf),
    (math.nextafter((2 - 2**-24) * 2.0**127, 0.0), FP32, (2 - 2**-23) * 2.0**127),
    (61440.0, E5M2, math.inf),
    (math.nextafter(61440.0, 0.0), E5M2, 57344.0),
    # E4M3FN: 448 = 1.110b * 2^8 is even, so the tie 464 rounds down to it; anything above overflows to NaN
    (464.0, E4M3, 448.0),
    (math.nextafter(464.0, math.inf), E4M3, math.nan),
    (-464.0, E4M3, -448.0),
    # the smallest subnormal's half is a tie with zero (even): down; a float64 ulp above it rounds up
    (2**-25, FP16, 0.0),
    (-(2**-25), FP16, -0.0),
    (2**-25 * (1 + 2**-52), FP16, 2**-24),
    (3 * 2**-25, FP16, 2**-23),  # tie between 1 and 2 subnormal quanta: to the even 2
    (2**-134, BF16, 0.0),
    (2**-134 * (1 + 2**-52), BF16, 2**-133),
    (2**-150, FP32, 0.0),
    (-(2**-150) * (1 + 2**-52), FP32, -(2**-149)),
    (2**-10, E4M3, 0.0),
    (2**-17 * (1 + 2**-52), E5M2, 2**-16),
    (5e-324, FP16, 0.0),
    (-5e-324, BF16, -0.0),
    # specials, in every format: signed zeros, NaN, infinities (NaN in E4M3FN, which has none)
    *[(v, f, v) for f in ROUNDED for v in (0.0, -0.0, math.nan)],
    *[(v, f, v if f.has_inf else math.nan) for f in ROUNDED for v in (math.inf, -math.inf)],
]


def _trap_id(case):
    x, fmt, _ = case
    return f"{fmt.name}:{x!r}"


def with_traps(test):
    """Run ``test(x, fmt)`` on every trap as an explicit example (always, before any generated case)."""
    for x, fmt, _ in TRAPS:
        test = example(x, fmt)(test)
    return test


@pytest.mark.parametrize("case", TRAPS, ids=[_trap_id(c) for c in TRAPS])
def test_pinned_traps(case):
    x, fmt, expected = case
    assert same_bits(oracle_round(x, fmt), expected), "the hand-derived expectation disagrees with the oracle"
    assert same_bits(round_to(x, fmt), expected)
    assert same_bits(round_to(np.array([x, x]), fmt), np.array([expected, expected])).all()


# ------------------------------------------------------------------------------------------ fast path vs oracle

@pytest.mark.parametrize("fmt", ROUNDED, ids=lambda f: f.name)
@pytest.mark.parametrize("case_set", CASE_SETS)
def test_round_to_matches_oracle_on_crafted_sets(fmt, case_set):
    x = hard_cases(fmt, n=3000, seed=7)[case_set]
    expected = np.array(oracle_round_many(x, fmt))
    got = round_to(x, fmt)
    bad = ~same_bits(got, expected)
    assert not bad.any(), f"{bad.sum()} mismatches, e.g. {x[bad][:3]} -> {got[bad][:3]} != {expected[bad][:3]}"


@pytest.mark.parametrize("fmt", ROUNDED, ids=lambda f: f.name)
def test_round_to_matches_oracle_on_random_values(fmt):
    x = random_values(30000, seed=3, fmt=fmt)
    assert same_bits(round_to(x, fmt), np.array(oracle_round_many(x, fmt))).all()


def test_crafted_sets_really_are_hard():
    """The near-tie set must contain values a float32 intermediate turns into ties (else it tests nothing)."""
    x = hard_cases(BF16, n=1000)["ties_pm_small"]
    via_fp32 = round_to(x.astype(np.float32).astype(np.float64), BF16)
    assert (~same_bits(via_fp32, np.array(oracle_round_many(x, BF16)))).mean() > 0.2


def test_rounded_format_strategy_covers_the_rounded_formats():
    assert sorted(ROUNDED_FORMAT_NAMES) == sorted(f.name for f in ROUNDED)


@with_traps
@given(st.floats(allow_nan=True, allow_infinity=True), rounded_formats())
def test_round_to_matches_oracle_on_any_float(x, fmt):
    assert same_bits(round_to(x, fmt), oracle_round(x, fmt))


@given(formats_and_boundary_values())
def test_round_to_matches_oracle_near_format_boundaries(fmt_and_x):
    fmt, x = fmt_and_x
    assert same_bits(round_to(x, fmt), oracle_round(x, fmt))


@example(np.array([1.0, 1 + 2**-8, 1 + 2**-8 + 2**-30, 1 + 3 * 2**-8, 1 + 2**-7]), BF16)
@example(np.array([65504.0, 65519.99, math.nextafter(65520.0, 0.0), 65520.0, 65536.0]), FP16)
@example(np.array([-(2**-24), -(2**-25), -0.0, 0.0, 2**-25, 2**-25 * (1 + 2**-52)]), FP16)
@example(np.array([440.0, 448.0, 464.0, math.nextafter(464.0, math.inf)]), E4M3)
@given(float64_arrays(2, 50, min_value=-1e6, max_value=1e6), rounded_formats())
def test_round_to_is_monotone_and_idempotent(xs, fmt):
    x = np.sort(xs)
    r = round_to(x, fmt)
    finite = np.isfinite(r)
    assert np.all(np.diff(r[finite]) >= 0)
    assert same_bits(round_to(r, fmt), r).all()


@example(2049.0)  # a tie between 2048 and 2050: the error is exactly half an ulp
@example(1 + 2**-11)
@example(2**-14)  # the smallest normal
@example(2**-14 + 2**-25)  # half a quantum above the smallest normal: a tie
@example(60000.0)
@given(st.floats(min_value=2**-14, max_value=60000.0))
def test_fp16_error_is_at_most_half_an_ulp(x):
    r = float(round_to(x, FP16))
    assert abs(r - x) <= ulp(x, FP16) / 2


def test_round_to_agrees_with_numpys_float16_cast():
    """numpy's float64 -> float16 cast is a correct single rounding: an independent judge for fp16."""
    x = np.concatenate([*hard_cases(FP16, n=5000, seed=11).values(), random_values(50000, 5, FP16)])
    with np.errstate(over="ignore"):
        assert same_bits(round_to(x, FP16), x.astype(np.float16).astype(np.float64)).all()


def test_round_to_agrees_with_float32_cast():
    x = np.concatenate([*hard_cases(FP32, n=5000, seed=12).values(), random_values(50000, 6, FP32)])
    with np.errstate(over="ignore"):
        assert same_bits(round_to(x, FP32), x.astype(np.float32).astype(np.float64)).all()


def test_torch_bf16_cast_from_float32_agrees():
    """torch's float32 -> bf16 cast is a single rounding; from float64 it is not (the trap below)."""
    torch = pytest.importorskip("torch")
    x32 = np.clip(random_values(50000, seed=8, fmt=BF16), -3e38, 3e38).astype(np.float32)
    x32 = x32[np.isfinite(x32)]
    theirs = torch.from_numpy(x32).to(torch.bfloat16).to(torch.float64).numpy()
    assert same_bits(round_to(x32.astype(np.float64), BF16), theirs).all()


# ---------------------------------------------------------------------------------------------- pinned traps

def test_float64_to_bf16_through_float32_is_wrong():
    x = 1 + 2**-8 + 2**-40  # just above the bf16 midpoint between 1 and 1 + 2^-7
    assert float(round_to(x, BF16)) == 1 + 2**-7 == oracle_round(x, BF16)
    assert float(round_to(float(np.float32(x)), BF16)) == 1.0  # float32 made it an exact tie: rounded to even


def test_gmpy2_subnormalize_with_python_float_operand_double_rounds():
    """The pitfall the oracle avoids: a Python float operand inside a subnormalizing context."""
    with gmpy2.context(gmpy2.ieee(16)):
        assert float(gmpy2.mpfr(1.0) + (2**-11 + 2**-40)) == 1.0  # wrong: correct is 1 + 2^-10
        assert float(gmpy2.mpfr(3.0) * 1e-8) == 0.0  # wrong: correct is the smallest subnormal
    assert oracle_round(1.0 + (2**-11 + 2**-40), FP16) == 1 + 2**-10
    assert oracle_round(3.0 * 1e-8, FP16) == 2**-24


# ----------------------------------------------------------------------------------------- specific roundings

@pytest.mark.parametrize(("x", "fmt", "expected"), [
    (65504.0, FP16, 65504.0), (65519.99, FP16, 65504.0), (65520.0, FP16, math.inf), (-65520.0, FP16, -math.inf),
    (2049.0, FP16, 2048.0), (2051.0, FP16, 2052.0), (257.0, BF16, 256.0), (259.0, BF16, 260.0),
    (100000.0, BF16, 99840.0), (65519.0, BF16, 65536.0), (2**-25, FP16, 0.0), (2**-25 * (1 + 2**-52), FP16, 2**-24),
    (3 * 2**-26, FP16, 2**-24), (464.0, E4M3, 448.0), (470.0, E4M3, math.nan), (1e6, E4M3, math.nan),
    (2**-10, E4M3, 0.0), (61440.0, E5M2, math.inf), (57344.0, E5M2, 57344.0), (16777217.0, FP32, 16777216.0),
])
def test_specific_roundings(x, fmt, expected):
    assert same_bits(round_to(x, fmt), expected)
    assert same_bits(oracle_round(x, fmt), expected)


def test_signed_zero_nan_and_shape_are_kept():
    x = np.array([[-0.0, 0.0], [np.nan, -1e-50]])
    r = round_to(x, BF16)
    assert r.shape == (2, 2) and np.signbit(r[0, 0]) and not np.signbit(r[0, 1]) and np.isnan(r[1, 0])
    assert r[1, 1] == 0.0 and np.signbit(r[1, 1])
    assert isinstance(round_to(1.3, FP16), np.floating)


def test_flush_to_zero_format():
    ftz = FloatFormat("bf16-ftz", precision=8, emin=-126, emax=127, subnormals=False)
    x = np.array([2**-127, -(2**-130), 2**-126, 2**-126 * (1 - 2**-9)])
    assert same_bits(round_to(x, ftz), np.array([0.0, -0.0, 2**-126, 2**-126])).all()
    assert same_bits(round_to(x, ftz), np.array(oracle_round_many(x, ftz))).all()


def test_is_representable():
    assert list(is_representable([1.0, 1 + 2**-8, np.inf, np.nan], BF16)) == [True, False, True, True]
    assert not bool(is_representable(np.inf, E4M3))


def test_format_rejects_unsupported_parameters():
    with pytest.raises(ValueError):
        FloatFormat("p52", precision=52, emin=-100, emax=100)
    with pytest.raises(ValueError):
        FloatFormat("wide", precision=24, emin=-2000, emax=100)


def test_positions_collapse_in_bf16():
    """bf16 keeps 641 distinct values of the positions 0..2047 (reference 4.3, measured with torch)."""
    assert np.unique(round_to(np.arange(2048.0), BF16)).size == 641
    assert np.unique(round_to(np.arange(131072.0), BF16)).size == 1409
    fp16 = round_to(np.arange(131072.0), FP16)
    assert np.isinf(fp16).sum() == 131072 - 65520 and np.unique(fp16[np.isfinite(fp16)]).size == 7168


# ----------------------------------------------------------------------------------------- arithmetic

def _format_values(fmt, n, seed):
    x = round_to(random_values(n, seed, fmt) / 4, fmt)
    return x[np.isfinite(x)]


@pytest.mark.parametrize("fmt", [FP16, BF16, FP32, E5M2, E4M3], ids=lambda f: f.name)
@pytest.mark.parametrize(("fast", "oracle"), [
    (arithmetic.add, oracle_add), (arithmetic.sub, oracle_sub), (arithmetic.mul, oracle_mul),
    (arithmetic.div, oracle_div)])
def test_vectorised_arithmetic_matches_oracle(fmt, fast, oracle):
    a, b = _format_values(fmt, 3000, 1), _format_values(fmt, 3000, 2)
    n = min(a.size, b.size)
    a, b = a[:n], b[:n]
    b = np.where(b == 0, 1.0, b)
    expected = np.array([oracle(x, y, fmt) for x, y in zip(a, b)])
    assert same_bits(fast(a, b, fmt), expected).all()


@pytest.mark.parametrize("fmt", [FP16, BF16, FP32], ids=lambda f: f.name)
def test_vectorised_sqrt_matches_oracle(fmt):
    a = np.abs(_format_values(fmt, 3000, 4))
    assert same_bits(arithmetic.sqrt(a, fmt), np.array([oracle_sqrt(x, fmt) for x in a])).all()


def test_fma_is_one_rounding_where_float64_then_round_is_two():
    a, b, c = -(2**-12) * (1 + 2**-23), 2**-12 * (1 - 2**-23), 1 + 2**-23  # a*b + c = 1 + 2^-24 + 2^-70
    assert oracle_fma(a, b, c, FP32) == 1 + 2**-23  # above the midpoint: rounds up
    assert float(round_to(a * b + c, FP32)) == 1.0  # float64 lost 2^-70, made a tie, rounded to even


def test_oracle_refuses_operands_outside_the_format():
    with pytest.raises(NotRepresentable, match="not a bf16 value"):
        oracle_add(1 + 2**-20, 1.0, BF16)


def test_formats_registry_names():
    assert set(FORMATS) == {"fp16", "bf16", "fp32", "fp64", "e5m2", "e4m3"}
