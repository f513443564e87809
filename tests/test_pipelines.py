"""The emulated RoPE pipelines: hand-computed cases, and agreement with the gmpy2 oracle step by step."""

from __future__ import annotations

import math

import mpmath
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rope_sym import FP32, InvalidRopeSpec, RopeSpec, get_format
from rope_sym.formats import oracle_cos, oracle_mul, oracle_round, oracle_sin, oracle_sub, round_to, same_bits, ulp
from rope_sym.formats.oracle import oracle_add
from rope_sym.pipelines import (
    PIPELINES,
    correctly_rounded,
    cos_sin,
    inv_freq,
    near_midpoint,
    pipeline_formats,
    rotate,
    stored_positions,
)
from rope_sym.spectrum.rotation import apply_rope, half_to_interleaved, interleaved_to_half
from rope_sym.spectrum.theta import frequencies

DTYPES = ("fp16", "bf16", "fp32")


def _oracle_code(spec: RopeSpec, m: int, dtype: str, pipeline: str) -> tuple[list[float], list[float]]:
    """The pipeline's chain for one position, one scalar MPFR operation at a time."""
    f = pipeline_formats(dtype, pipeline)
    p = oracle_round(float(m), f.position)
    cs, ss = [], []
    for w in inv_freq(spec, dtype, pipeline):
        if f.phase.precision == 53:
            a = p * float(w)
            cs.append(math.cos(a))
            ss.append(math.sin(a))
            continue
        a = oracle_mul(p, float(w), f.phase)
        cs.append(oracle_round(oracle_cos(a, f.phase), f.store))
        ss.append(oracle_round(oracle_sin(a, f.phase), f.store))
    return cs, ss


def test_bf16_positions_0_to_2047_collapse_to_641_values():
    # By hand: 0..256 are exact (257 values); [256, 512) has spacing 2 (128 values, 256 counted already -> 127
    # new), [512, 1024) spacing 4 (128), [1024, 2048) spacing 8 (128); 2044..2047 round up to 2048 (1 more):
    # 257 + 127 + 128 + 128 + 1 = 641.
    stored = stored_positions(np.arange(2048), "bf16", "native")
    assert np.unique(stored).size == 257 + 127 + 128 + 128 + 1 == 641
    assert stored[257] == 256.0 and stored[2047] == 2048.0


def test_fp16_positions_overflow_at_65520_and_give_nan():
    stored = stored_positions([65504, 65519, 65520, 70000], "fp16", "native")
    assert stored.tolist() == [65504.0, 65504.0, math.inf, math.inf]
    c, s = cos_sin(RopeSpec(4, 10000.0), [65519, 65520], "fp16", "native")
    assert np.isfinite(c[0]).all() and np.isnan(c[1]).all() and np.isnan(s[1]).all()
    # the hf pipeline keeps positions in fp32: no overflow there
    c, _ = cos_sin(RopeSpec(4, 10000.0), [65520], "fp16", "hf")
    assert np.isfinite(c).all()


def test_fp32_positions_exact_up_to_2_pow_24():
    m = np.array([2**24 - 1, 2**24, 2**24 + 1], dtype=np.float64)
    assert stored_positions(m, "bf16", "hf").tolist() == [2**24 - 1, 2**24, 2**24]


def _nearest_fp32(exact: mpmath.mpf) -> float:
    x = np.float32(float(exact))
    candidates = [np.nextafter(x, np.float32(-np.inf)), x, np.nextafter(x, np.float32(np.inf))]
    return float(min(candidates, key=lambda c: abs(mpmath.mpf(float(c)) - exact)))


def test_hf_inv_freq_is_the_correctly_rounded_fp32_chain():
    # Independent of the oracle: each step evaluated at 60 digits with mpmath, rounded to the nearest fp32 by
    # comparing the fp32 neighbours of its float64 approximation (ties cannot occur for these transcendentals).
    for d, base in [(128, 500000.0), (64, 10000.0), (96, 1e6), (8, 2.5)]:
        got = inv_freq(RopeSpec(d, base), "bf16", "hf")
        for i, w in enumerate(got):
            e32 = float(np.float32(2 * i) / np.float32(d))  # fp32 division, correctly rounded by IEEE
            with mpmath.workdps(60):
                power = _nearest_fp32(mpmath.power(mpmath.mpf(float(np.float32(base))), mpmath.mpf(e32)))
                assert w == _nearest_fp32(1 / mpmath.mpf(power)), (d, base, i)


def test_inv_freq_casts_and_fp64_reference():
    spec = RopeSpec(64, 10000.0)
    hf = inv_freq(spec, "bf16", "hf")
    assert np.array_equal(inv_freq(spec, "bf16", "native"), round_to(hf, "bf16"))
    assert np.array_equal(inv_freq(spec, "fp16", "invfreq-cast"), round_to(hf, "fp16"))
    assert np.array_equal(inv_freq(spec, "bf16", "fp64"), frequencies(spec))
    assert not np.array_equal(round_to(hf, "bf16"), hf)  # the cast trap loses bits


@pytest.mark.parametrize("pipeline", PIPELINES)
@pytest.mark.parametrize("dtype", DTYPES)
def test_cos_sin_match_the_oracle_chain_on_sampled_positions(dtype, pipeline):
    spec = RopeSpec(16, 500000.0)
    rng = np.random.default_rng(7)
    positions = np.concatenate([[0, 1, 255, 256, 257, 2047, 2049, 65503],
                                rng.integers(0, 2**24, 12)]).astype(np.int64)
    if dtype == "fp16" and pipeline == "native":
        positions = positions[positions < 65520]
    c, s = cos_sin(spec, positions, dtype, pipeline)
    for row, m in enumerate(positions.tolist()):
        oc, os_ = _oracle_code(spec, m, dtype, pipeline)
        assert same_bits(c[row], oc).all() and same_bits(s[row], os_).all(), (m, dtype, pipeline)


@settings(max_examples=30)
@given(m=st.integers(0, 2**24 - 1), dtype=st.sampled_from(DTYPES), pipeline=st.sampled_from(PIPELINES[:3]),
       base=st.sampled_from([10000.0, 500000.0, 1e7]))
def test_cos_sin_oracle_property(m, dtype, pipeline, base):
    spec = RopeSpec(8, base)
    c, s = cos_sin(spec, [m], dtype, pipeline)
    oc, os_ = _oracle_code(spec, m, dtype, pipeline)
    assert same_bits(c[0], oc).all() and same_bits(s[0], os_).all()


def test_fp32_activation_makes_the_three_pipelines_one():
    spec, m = RopeSpec(32, 500000.0), np.arange(0, 5000, 7)
    ref = cos_sin(spec, m, "fp32", "hf")
    for pipeline in ("native", "invfreq-cast"):
        got = cos_sin(spec, m, "fp32", pipeline)
        assert np.array_equal(got[0], ref[0]) and np.array_equal(got[1], ref[1])


def test_near_midpoint_flags_exactly_the_ambiguous_values():
    fmt = FP32
    x = np.float64(np.float32(0.7))
    mid = x + ulp(x, fmt) / 2
    values = np.array([mid, np.nextafter(mid, 2), mid + 8 * np.spacing(mid), mid + 9 * np.spacing(mid), x,
                       1e-40, 0.0, np.inf, np.nan])
    assert near_midpoint(values, fmt).tolist() == [True, True, True, False, False, True, False, False, False]


def test_correctly_rounded_lets_the_oracle_decide_near_midpoints():
    # A fake 'cos' that is one float64 ulp above a midpoint while the true value lies below it: the plain
    # rounding goes up, the guarded one asks the oracle.
    fmt = get_format("bf16")
    x = 0.75
    mid = x + ulp(x, fmt) / 2
    calls = []

    def fake_fn(a):
        return np.full_like(a, np.nextafter(mid, 2.0))

    def fake_oracle(a, f):
        calls.append(a)
        return x

    out, decided = correctly_rounded(fake_fn, fake_oracle, np.array([[0.5, 0.25]]), fmt)
    assert decided == 2 and out.tolist() == [[x, x]] and calls == [0.5, 0.25]
    assert float(round_to(np.nextafter(mid, 2.0), fmt)) != x


@pytest.mark.parametrize("dtype", DTYPES)
def test_rotate_matches_the_oracle_arithmetic(dtype):
    spec = RopeSpec(8, 10000.0, rotary_fraction=0.5)  # 2 rotating pairs, 4 dims pass through
    rng = np.random.default_rng(3)
    x = rng.standard_normal(8)
    positions = [0, 3, 300, 70000]
    out = rotate(x, positions, spec, dtype, "hf")
    xr = round_to(x, dtype)
    c, s = cos_sin(spec, positions, dtype, "hf")
    for row in range(len(positions)):
        for i in range(2):
            x1, x2, ci, si = float(xr[i]), float(xr[i + 2]), float(c[row, i]), float(s[row, i])
            first = oracle_sub(oracle_mul(x1, ci, dtype), oracle_mul(x2, si, dtype), dtype)
            second = oracle_add(oracle_mul(x2, ci, dtype), oracle_mul(x1, si, dtype), dtype)
            assert same_bits(out[row, i], first) and same_bits(out[row, i + 2], second)
        assert np.array_equal(out[row, 4:], xr[4:])  # pass-through dims


def test_rotate_layouts_agree_and_fp64_matches_float64_rope():
    spec = RopeSpec(16, 10000.0)
    x = np.random.default_rng(1).standard_normal((5, 16))
    positions = [0, 1, 2, 1000, 4095]
    half = rotate(interleaved_to_half(x), positions, spec, "bf16", "hf", "half")
    inter = rotate(x, positions, spec, "bf16", "hf", "interleaved")
    assert np.array_equal(half_to_interleaved(half), inter)
    ref = apply_rope(x, positions, frequencies(spec), "interleaved")
    assert np.allclose(rotate(x, positions, spec, "fp32", "fp64", "interleaved"), ref, rtol=0, atol=1e-12)


@pytest.mark.parametrize("call", [
    lambda: inv_freq(RopeSpec(8, 10000.0), "bf16", "jax"),
    lambda: cos_sin(RopeSpec(8, 10000.0), [0], "int8", "hf"),
    lambda: cos_sin(RopeSpec(8, 10000.0), [0], "e4m3", "hf"),
    lambda: rotate([1.0, 2.0], [0], RopeSpec(8, 10000.0), "bf16", "hf"),
    lambda: rotate([1.0] * 8, [0], RopeSpec(8, 10000.0), "bf16", "hf", layout="diagonal"),
])
def test_bad_input_raises_one_sentence(call):
    with pytest.raises(InvalidRopeSpec) as info:
        call()
    assert "\n" not in str(info.value)


@pytest.mark.parametrize("pipeline", PIPELINES)
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(("head_dim", "base"), [(128, 5e5), (64, 1e4), (8, 3e9)])
def test_the_scans_compact_fast_path_is_cos_sin_bit_for_bit(pipeline, dtype, head_dim, base):
    from rope_sym.pipelines.emulated import COMPACT_DTYPES, stored_cos_sin

    spec = RopeSpec(head_dim, base)
    positions = np.concatenate([np.arange(0, 300), np.arange(0, 70_000, 7), [65519, 65520, 2**24 - 1, 2**24 + 1]])
    c, s = cos_sin(spec, positions, dtype, pipeline)
    fast_c, fast_s, _ = stored_cos_sin(spec, positions, dtype, pipeline)
    store = pipeline_formats(dtype, pipeline).store.name
    assert fast_c.dtype == fast_s.dtype == COMPACT_DTYPES[store]
    for fast, slow in ((fast_c, c), (fast_s, s)):
        wide = fast.astype(np.float64)
        assert np.array_equal(wide, slow, equal_nan=True)
        assert np.array_equal(np.signbit(wide), np.signbit(slow))


def test_fp32_to_bf16_is_one_correct_rounding_on_crafted_cases():
    from rope_sym.formats import BF16, FP32, hard_cases, oracle_round_many
    from rope_sym.pipelines.emulated import fp32_to_bf16

    crafted = np.concatenate([*hard_cases(BF16, n=4000, seed=5).values(), *hard_cases(FP32, n=2000, seed=6).values()])
    x32 = np.asarray(round_to(crafted, FP32)).astype(np.float32)  # fp32 inputs, as the pipeline has them
    x32 = np.concatenate([x32, np.array([3.3895314e38, np.finfo(np.float32).max, 2**-133, 2**-134, -0.0,
                                         np.inf, -np.inf, np.nan], dtype=np.float32)])
    got = fp32_to_bf16(x32).astype(np.float64)
    want = np.array(oracle_round_many(x32.astype(np.float64).tolist(), BF16))
    assert np.array_equal(got, want, equal_nan=True)
    numbers = ~np.isnan(want)  # a NaN's sign carries no meaning
    assert np.array_equal(np.signbit(got[numbers]), np.signbit(want[numbers]))
