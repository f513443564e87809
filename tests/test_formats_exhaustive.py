"""Every bit pattern of the 8- and 16-bit formats, against the gmpy2 oracle (ml_dtypes-style exhaustive tests).

Each pattern ``s | E | M`` is decoded here into its float64 value from the format's parameters alone
(``precision``, ``emin``, ``emax``, ``has_inf``, ``max_significand``), and the decoder is cross-checked against
independent references (numpy's float16, bfloat16 as the top half of a float32, E5M2 as the top byte of a
float16, ml_dtypes or torch where installed, and a pinned table of E4M3FN patterns). Then, for every pattern:

- (a) ``round_to`` returns every value of the format unchanged, bit for bit (NaN stays NaN), and so does the oracle;
- (b) the exact midpoint of every two adjacent finite values (exact in float64: these formats have at most 11
  significand bits) rounds to the neighbour with the even significand, and the float64 values just below and
  just above it round down and up, in ``round_to`` and in the oracle alike;
- (c) the overflow threshold ``max + ulp(max) / 2`` and its float64 neighbours;
- (d) both signs throughout, signed zeros, and the subnormal midpoints (half the smallest subnormal included).

The oracle (``oracle_round_many``, scalar MPFR) is the judge; the expectations built from the decoded table are
checked against it as well, so a wrong expectation cannot hide a wrong ``round_to``. fp32 is too large to
enumerate; a sample of its patterns (random and at every seam) goes through the same checks.
"""

from __future__ import annotations

import importlib.util
import math
from dataclasses import dataclass
from functools import cache

import numpy as np
import pytest

from rope_sym.formats import BF16, E4M3, E5M2, FP16, FP32, FloatFormat, oracle_round_many, round_to, same_bits

EXHAUSTIVE = [FP16, BF16, E4M3, E5M2]


# ------------------------------------------------------------------------------------------------ decoding

def exponent_bits(fmt: FloatFormat) -> int:
    """Width ``w`` of the exponent field: the bias ``1 - emin`` is ``2^(w-1) - 1``."""
    bias = 1 - fmt.emin
    w = (bias + 1).bit_length()
    assert bias == (1 << (w - 1)) - 1, f"{fmt.name}: bias {bias} is not 2^(w-1) - 1"
    return w


def width(fmt: FloatFormat) -> int:
    """Bits of a pattern: sign, exponent, and ``p - 1`` stored significand bits."""
    return 1 + exponent_bits(fmt) + fmt.precision - 1


def decode(bits: np.ndarray, fmt: FloatFormat) -> np.ndarray:
    """The float64 value of each bit pattern of ``fmt`` (an unsigned integer array).

    ``E = 0``: subnormal ``M 2^(emin - p + 1)`` (zero when ``M = 0``). Otherwise normal
    ``(2^(p-1) + M) 2^(E - bias - p + 1)``. The all-ones exponent is infinity (``M = 0``) or NaN in an IEEE
    format; in a format without infinities (E4M3FN) it is a normal exponent whose significands above
    ``max_significand`` are NaN.
    """
    b = np.asarray(bits, dtype=np.uint64)
    p, w = fmt.precision, exponent_bits(fmt)
    bias = 1 - fmt.emin
    sign = (b >> np.uint64(w + p - 1)) & np.uint64(1)
    e_field = ((b >> np.uint64(p - 1)) & np.uint64((1 << w) - 1)).astype(np.int64)
    m_field = (b & np.uint64((1 << (p - 1)) - 1)).astype(np.int64)
    significand = np.where(e_field == 0, m_field, m_field + (1 << (p - 1)))
    exponent = np.where(e_field == 0, fmt.emin, e_field - bias) - (p - 1)
    magnitude = np.ldexp(significand.astype(np.float64), exponent)
    top = e_field == (1 << w) - 1
    if fmt.has_inf:
        magnitude = np.where(top, np.where(m_field == 0, np.inf, np.nan), magnitude)
    else:
        largest = (1 << p) - 1 if fmt.max_significand is None else fmt.max_significand
        magnitude = np.where(top & (significand > largest), np.nan, magnitude)
    return np.where(sign == 1, -magnitude, magnitude)


@dataclass(frozen=True)
class Table:
    """Every pattern of a format and its value; ``positive`` holds the finite values of patterns
    ``0 .. n - 1`` (+0 first, then increasing), ``n`` the number of non-negative finite patterns."""

    fmt: FloatFormat
    bits: np.ndarray
    values: np.ndarray
    positive: np.ndarray


@cache
def table(fmt: FloatFormat) -> Table:
    n_bits = width(fmt)
    bits = np.arange(1 << n_bits, dtype=np.uint64)
    values = decode(bits, fmt)
    half = values[: 1 << (n_bits - 1)]
    n = int(np.argmax(~np.isfinite(half))) if not np.isfinite(half).all() else half.size
    assert np.isfinite(half[:n]).all() and not np.isfinite(half[n:]).any(), "finite patterns are not a prefix"
    return Table(fmt, bits, values, half[:n])


def _mismatches(x: np.ndarray, got: np.ndarray, expected: np.ndarray, limit: int = 4) -> str:
    bad = ~same_bits(got, expected)
    return f"{int(bad.sum())} mismatches, e.g. " + ", ".join(
        f"{float(a)!r} -> {float(g)!r} (expected {float(e)!r})" for a, g, e in
        zip(x[bad][:limit], got[bad][:limit], expected[bad][:limit]))


def assert_rounds_to(x: np.ndarray, fmt: FloatFormat, expected: np.ndarray) -> None:
    """``round_to`` and the oracle both give ``expected`` for every ``x``, bit for bit (NaN matches NaN)."""
    x, expected = np.asarray(x, dtype=np.float64), np.asarray(expected, dtype=np.float64)
    oracle = np.array(oracle_round_many(x, fmt), dtype=np.float64)
    assert same_bits(oracle, expected).all(), "expectation vs oracle: " + _mismatches(x, oracle, expected)
    got = np.asarray(round_to(x, fmt))
    assert got.shape == x.shape and got.dtype == np.float64
    assert same_bits(got, expected).all(), "round_to vs oracle: " + _mismatches(x, got, expected)


def _both_signs(x: np.ndarray) -> np.ndarray:
    return np.concatenate([x, -x])  # -(+0.0) is -0.0, so zeros keep their meaning


# ------------------------------------------------------------------------------------ independent references

# (widening a signalling-NaN pattern sets numpy's "invalid" flag: expected, so silenced)

def _reference_fp16(bits: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore"):
        return bits.astype(np.uint16).view(np.float16).astype(np.float64)


def _reference_bf16(bits: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore"):
        return (bits.astype(np.uint32) << np.uint32(16)).view(np.float32).astype(np.float64)


def _reference_e5m2(bits: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore"):
        return (bits.astype(np.uint16) << np.uint16(8)).view(np.float16).astype(np.float64)


# OCP 8-bit floating point specification, E4M3: bias 7, no infinities, S.1111.111 is NaN
_E4M3_PINNED = {
    0x00: 0.0, 0x80: -0.0, 0x01: 2.0**-9, 0x07: 7 * 2.0**-9, 0x08: 2.0**-6, 0x09: 1.125 * 2.0**-6,
    0x38: 1.0, 0x39: 1.125, 0x40: 2.0, 0x77: 240.0, 0x78: 256.0, 0x7C: 384.0, 0x7D: 416.0, 0x7E: 448.0,
    0x7F: math.nan, 0xB8: -1.0, 0xFE: -448.0, 0xFF: math.nan,
}

_REFERENCES = {"fp16": _reference_fp16, "bf16": _reference_bf16, "e5m2": _reference_e5m2}

HAS_ML_DTYPES = importlib.util.find_spec("ml_dtypes") is not None
HAS_TORCH = importlib.util.find_spec("torch") is not None


def _library_reference(fmt: FloatFormat, bits: np.ndarray) -> np.ndarray:
    """The values of the patterns as ml_dtypes (preferred) or torch decodes them."""
    if HAS_ML_DTYPES:
        import ml_dtypes

        dtype = {"fp16": np.float16, "bf16": ml_dtypes.bfloat16, "e4m3": ml_dtypes.float8_e4m3fn,
                 "e5m2": ml_dtypes.float8_e5m2}[fmt.name]
        raw = bits.astype(np.uint16 if width(fmt) == 16 else np.uint8)
        return raw.view(dtype).astype(np.float64)
    import torch

    dtype = {"fp16": torch.float16, "bf16": torch.bfloat16, "e4m3": torch.float8_e4m3fn,
             "e5m2": torch.float8_e5m2}[fmt.name]
    if width(fmt) == 16:
        raw = torch.from_numpy(bits.astype(np.uint16).view(np.int16))
    else:
        raw = torch.from_numpy(bits.astype(np.uint8))
    return raw.view(dtype).to(torch.float64).numpy()


# ------------------------------------------------------------------------------------------------ the tests

@pytest.mark.parametrize("fmt", EXHAUSTIVE, ids=lambda f: f.name)
class TestEveryBitPattern:
    def test_decoded_table_matches_the_format_constants(self, fmt):
        t = table(fmt)
        assert width(fmt) == (16 if fmt in (FP16, BF16) else 8)
        assert fmt.subnormals
        pos = t.positive
        assert same_bits(pos[0], 0.0) and np.all(np.diff(pos) > 0), "non-negative patterns must increase"
        assert pos[1] == fmt.smallest_subnormal and pos[-1] == fmt.max
        assert pos[1 << (fmt.precision - 1)] == fmt.smallest_normal
        assert same_bits(t.values[t.bits.size // 2:][: pos.size], -pos).all()  # the sign bit negates
        p, w = fmt.precision, exponent_bits(fmt)
        bias = 1 - fmt.emin
        assert fmt.emax == ((1 << w) - 2 - bias if fmt.has_inf else (1 << w) - 1 - bias)  # all-ones E reserved?
        nan_patterns = 2 * ((1 << (p - 1)) - 1) if fmt.has_inf else 2
        assert int(np.isnan(t.values).sum()) == nan_patterns
        assert int(np.isinf(t.values).sum()) == (2 if fmt.has_inf else 0)
        assert pos.size == (((1 << w) - 1) << (p - 1) if fmt.has_inf else (1 << (w + p - 1)) - 1)

    def test_decoder_matches_an_independent_reference(self, fmt):
        t = table(fmt)
        if fmt.name in _REFERENCES:
            assert same_bits(t.values, _REFERENCES[fmt.name](t.bits)).all()
        else:  # E4M3FN has no numpy counterpart: the spec's pinned patterns
            for pattern, value in _E4M3_PINNED.items():
                assert same_bits(t.values[pattern], value), hex(pattern)

    @pytest.mark.skipif(not (HAS_ML_DTYPES or HAS_TORCH), reason="needs ml_dtypes or torch")
    def test_decoder_matches_ml_dtypes_or_torch(self, fmt):
        t = table(fmt)
        assert same_bits(t.values, _library_reference(fmt, t.bits)).all()

    def test_every_value_rounds_to_itself(self, fmt):
        """(a), signed zeros, infinities and NaN patterns included."""
        values = table(fmt).values
        assert_rounds_to(values, fmt, values)

    def test_midpoints_round_half_to_even(self, fmt):
        """(b, d): the midpoint of patterns i and i + 1 goes to the one with the even significand (even i), both
        signs; the first pair is (0, smallest subnormal), so half the smallest subnormal goes to (signed) zero."""
        pos = table(fmt).positive
        lower, upper = pos[:-1], pos[1:]
        mid = (lower + upper) / 2
        assert np.array_equal(mid - lower, upper - mid) and np.all((lower < mid) & (mid < upper))  # exact
        even = np.arange(lower.size) % 2 == 0
        assert_rounds_to(_both_signs(mid), fmt, _both_signs(np.where(even, lower, upper)))

    def test_just_off_the_midpoints_round_to_the_nearer_neighbour(self, fmt):
        """(b): one float64 ulp below a midpoint rounds down, one above rounds up (both signs)."""
        pos = table(fmt).positive
        lower, upper = pos[:-1], pos[1:]
        mid = (lower + upper) / 2
        below, above = np.nextafter(mid, lower), np.nextafter(mid, upper)
        assert np.all((lower < below) & (below < mid) & (mid < above) & (above < upper))
        assert_rounds_to(_both_signs(np.concatenate([below, above])), fmt,
                         _both_signs(np.concatenate([lower, upper])))

    def test_overflow_threshold(self, fmt):
        """(c): the midpoint between ``max`` and the next value an unbounded exponent would give,
        ``max + ulp(max) / 2``, rounds to whichever has the even significand; anything above overflows (to inf,
        or to NaN without infinities)."""
        ulp_max = math.ldexp(1.0, fmt.emax - fmt.precision + 1)
        m_max = fmt.max / ulp_max
        assert m_max.is_integer() and (m_max % 2 == 1) == fmt.has_inf  # IEEE: all ones; E4M3FN: 1.110b
        threshold = fmt.max + ulp_max / 2
        over = math.inf if fmt.has_inf else math.nan
        at_threshold = over if m_max % 2 == 1 else fmt.max
        x = np.array([threshold, math.nextafter(threshold, 0.0), math.nextafter(threshold, math.inf),
                      fmt.max + ulp_max, math.ldexp(1.0, fmt.emax + 1), math.ldexp(1.0, fmt.emax + 2),
                      1e300, np.finfo(np.float64).max, math.inf])
        expected = np.array([at_threshold, fmt.max, over, over, over, over, over, over, over])
        assert_rounds_to(_both_signs(x), fmt, _both_signs(expected))

    def test_signed_zeros_and_subnormal_halves(self, fmt):
        """(d): what the smallest subnormal ``q`` and the subnormal/normal seam do, both signs."""
        q, tiny = fmt.smallest_subnormal, fmt.smallest_normal
        seam = tiny - q / 2  # midpoint between the largest subnormal (odd multiple of q) and 2^emin (even)
        x = np.array([0.0, 5e-324, q / 4, q / 2, math.nextafter(q / 2, 0.0), math.nextafter(q / 2, 1.0), q,
                      1.5 * q, 2.5 * q, seam, math.nextafter(seam, 0.0), tiny])
        expected = np.array([0.0, 0.0, 0.0, 0.0, 0.0, q, q, 2 * q, 2 * q, tiny, tiny - q, tiny])
        assert_rounds_to(_both_signs(x), fmt, _both_signs(expected))
        signs = np.signbit(round_to(_both_signs(x[:5]), fmt))
        assert signs.tolist() == [False] * 5 + [True] * 5  # zeros keep the sign of what was rounded


# ---------------------------------------------------------------------------------------- fp32: a sample

def _fp32_sample_patterns() -> np.ndarray:
    """Random non-negative finite fp32 patterns and every seam: zero and the subnormals, the subnormal/normal
    seam, 1.0, each binade boundary, and the top of the range."""
    rng = np.random.default_rng(20240611)
    top = 0x7F7FFFFF  # the largest finite pattern
    seams = [np.arange(0, 2048), np.arange(0x00800000 - 1024, 0x00800000 + 1024),
             np.arange(0x3F800000 - 1024, 0x3F800000 + 1024), np.arange(top - 2048, top)]
    boundaries = (np.arange(1, 255, dtype=np.int64) << 23)[:, None] + np.arange(-2, 2)[None, :]
    sample = np.concatenate([rng.integers(0, top, 60000), *seams, boundaries.ravel()])
    return np.unique(sample).astype(np.uint64)


def test_fp32_decoder_matches_numpy():
    bits = np.concatenate([_fp32_sample_patterns(), np.array([0x7F800000, 0x7FC00000, 0x80000000, 0xFF7FFFFF],
                                                             dtype=np.uint64)])
    with np.errstate(invalid="ignore"):
        reference = bits.astype(np.uint32).view(np.float32).astype(np.float64)
    assert same_bits(decode(bits, FP32), reference).all()


def test_fp32_sampled_values_midpoints_and_neighbours():
    """(a) and (b) for a sample of fp32 patterns ``i`` and their successors ``i + 1``, both signs."""
    i = _fp32_sample_patterns()
    lower, upper = decode(i, FP32), decode(i + np.uint64(1), FP32)
    assert np.all(np.isfinite(upper)) and np.all(lower < upper)
    mid = (lower + upper) / 2
    assert np.array_equal(mid - lower, upper - mid)  # exact: 24 + 1 bits
    even = i % np.uint64(2) == 0
    below, above = np.nextafter(mid, lower), np.nextafter(mid, upper)
    x = np.concatenate([lower, mid, below, above])
    expected = np.concatenate([lower, np.where(even, lower, upper), lower, upper])
    assert_rounds_to(_both_signs(x), FP32, _both_signs(expected))
