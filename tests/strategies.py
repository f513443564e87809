"""Shared, shrinkable Hypothesis strategies for the test suite.

Arrays are drawn element by element (``hypothesis.extra.numpy.arrays`` over ``from_dtype``), never made from a
seed drawn as an integer: a failing case then shrinks towards small, simple vectors and is printed as the
array itself, not as an opaque seed.

Values near a format's boundaries are built from the format's own constants (``precision``, ``emin``, ``emax``,
``max``, ``smallest_subnormal``): the significand and binade are drawn, so a failure shrinks to the simplest
tie or seam that still fails.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays, from_dtype

from rope_sym.formats import FORMATS, FloatFormat, get_format

FLOAT64 = np.dtype(np.float64)

ROUNDED_FORMAT_NAMES: tuple[str, ...] = tuple(name for name, f in FORMATS.items() if f.precision < 53)
"""The formats ``round_to`` actually rounds to (every registered one but float64 itself): fp16, bf16, fp32, e5m2,
e4m3."""


# ------------------------------------------------------------------------------------------------ floats

def finite_floats(min_value: float | None = None, max_value: float | None = None, *,
                  allow_subnormal: bool | None = None, exclude_min: bool = False,
                  exclude_max: bool = False) -> st.SearchStrategy[float]:
    """Finite float64 values (no NaN, no infinities), optionally within ``[min_value, max_value]``; subnormals
    wherever the range holds them (unless ``allow_subnormal`` says otherwise)."""
    return st.floats(min_value, max_value, allow_nan=False, allow_infinity=False, allow_subnormal=allow_subnormal,
                     exclude_min=exclude_min, exclude_max=exclude_max)


def float64_elements(*, min_value: float | None = None, max_value: float | None = None, allow_nan: bool = False,
                     allow_infinity: bool | None = None,
                     allow_subnormal: bool | None = None) -> st.SearchStrategy[Any]:
    """Elements for a float64 array (``from_dtype``); infinities only where asked for (or, when
    ``allow_infinity`` is None, where the range is unbounded)."""
    if allow_infinity is None:
        allow_infinity = min_value is None and max_value is None
    return from_dtype(FLOAT64, min_value=min_value, max_value=max_value, allow_nan=allow_nan,
                      allow_infinity=allow_infinity, allow_subnormal=allow_subnormal)


def float64_arrays(min_size: int = 0, max_size: int = 50, *, shape: int | tuple[int, ...] | None = None,
                   allow_nan: bool = False, allow_infinity: bool | None = None, min_value: float | None = None,
                   max_value: float | None = None, allow_subnormal: bool | None = None,
                   elements: st.SearchStrategy[Any] | None = None) -> st.SearchStrategy[np.ndarray]:
    """float64 numpy arrays: 1-D of length ``min_size .. max_size``, or of the fixed ``shape``."""
    if elements is None:
        elements = float64_elements(min_value=min_value, max_value=max_value, allow_nan=allow_nan,
                                    allow_infinity=allow_infinity, allow_subnormal=allow_subnormal)
    if shape is None:
        if not 0 <= min_size <= max_size:
            raise ValueError(f"need 0 <= min_size <= max_size, got {min_size}, {max_size}")
        return arrays(FLOAT64, st.integers(min_size, max_size), elements=elements)
    return arrays(FLOAT64, shape, elements=elements)


def vectors(size: int, *, bound: float = 4.0, allow_subnormal: bool = True) -> st.SearchStrategy[np.ndarray]:
    """A float64 vector of ``size`` finite entries in ``[-bound, bound]`` (the scale of standard-normal activations,
    zeros and tiny entries included)."""
    return float64_arrays(shape=size, min_value=-bound, max_value=bound, allow_subnormal=allow_subnormal)


# ----------------------------------------------------------------------------------------------- formats

def format_names() -> st.SearchStrategy[str]:
    """Names of the rounded formats (``ROUNDED_FORMAT_NAMES``); shrinks towards fp16."""
    return st.sampled_from(ROUNDED_FORMAT_NAMES)


def rounded_formats() -> st.SearchStrategy[FloatFormat]:
    """The rounded formats themselves (``format_names`` looked up)."""
    return format_names().map(get_format)


def _quantum(fmt: FloatFormat, e: int) -> float:
    """The format's spacing in binade ``e`` (``e < emin`` stands for the subnormal range)."""
    return math.ldexp(1.0, max(e, fmt.emin) - fmt.precision + 1)


def _signed(values: st.SearchStrategy[float]) -> st.SearchStrategy[float]:
    return st.tuples(values, st.booleans()).map(lambda t: -t[0] if t[1] else t[0])


def _nudged(x: float, steps: int) -> float:
    """``x`` moved by ``steps`` float64 ulps (towards +inf when positive)."""
    towards = math.inf if steps > 0 else -math.inf
    for _ in range(abs(steps)):
        x = math.nextafter(x, towards)
    return x


def values_near_format_boundaries(fmt: FloatFormat | str) -> st.SearchStrategy[float]:
    """float64 values where rounding to ``fmt`` is hardest, both signs:

    - exact ties ``(m + 1/2) Q`` between neighbouring values of any binade (subnormals included), and those
      ties moved by a few float64 ulps or by a relative ``2^-k`` (what a wider intermediate format would erase);
    - the subnormal range: multiples of half the smallest subnormal, the subnormal/normal seam and its tie;
    - the overflow boundary: ``max``, the overflow tie ``max + Q_max / 2`` and its neighbours, ``2^(emax+1)``;
    - signed zeros, infinities and NaN.
    """
    fmt = get_format(fmt)
    p, qmin = fmt.precision, fmt.smallest_subnormal
    top = fmt.emax

    @st.composite
    def tie(draw: st.DrawFn) -> float:
        e = draw(st.integers(fmt.emin - 1, top))
        lo = 0 if e < fmt.emin else 1 << (p - 1)
        m = draw(st.integers(lo, (1 << p) - 1 if e >= fmt.emin else (1 << (p - 1)) - 1))
        value = (m + 0.5) * _quantum(fmt, e)
        return min(value, fmt.max)  # the tie above max belongs to the overflow set

    @st.composite
    def near_tie(draw: st.DrawFn) -> float:
        t = draw(tie())
        if draw(st.booleans()):
            return _nudged(t, draw(st.integers(-3, 3)))
        k = draw(st.integers(min(p + 1, 52), 52))
        return t * (1 + draw(st.sampled_from([1.0, -1.0])) * 2.0**-k)

    ulp_max = math.ldexp(1.0, fmt.emax - p + 1)
    over_tie = fmt.max + ulp_max / 2
    seam_tie = fmt.smallest_normal - qmin / 2
    subnormal = st.integers(0, 1 << p).map(lambda j: j * qmin / 2)  # ties and values of the subnormal range
    seams = st.sampled_from([fmt.smallest_normal, seam_tie, fmt.smallest_normal - qmin, qmin, qmin / 2,
                             qmin / 4]).flatmap(lambda v: st.integers(-2, 2).map(lambda s: _nudged(v, s)))
    overflow = st.sampled_from([fmt.max, over_tie, fmt.max + ulp_max, math.ldexp(1.0, min(top + 1, 1023)),
                                math.ldexp(1.0, min(top + 2, 1023))]).flatmap(
        lambda v: st.integers(-2, 2).map(lambda s: _nudged(v, s)))
    specials = st.sampled_from([0.0, math.inf, math.nan])
    return _signed(st.one_of(tie(), near_tie(), subnormal, seams, overflow, specials))


def formats_and_boundary_values() -> st.SearchStrategy[tuple[FloatFormat, float]]:
    """A rounded format and a value near one of its boundaries (``values_near_format_boundaries``)."""
    return rounded_formats().flatmap(lambda f: st.tuples(st.just(f), values_near_format_boundaries(f)))


# ------------------------------------------------------------------------------------------ RoPE settings

def bases(min_value: float = 1.0, max_value: float = 1e12) -> st.SearchStrategy[float]:
    """RoPE bases in ``(min_value, max_value]`` (``RopeSpec`` needs a base above 1)."""
    return finite_floats(min_value, max_value, exclude_min=True)


def head_dims(min_dim: int = 2, max_dim: int = 256) -> st.SearchStrategy[int]:
    """Even head dims in ``[min_dim, max_dim]``; shrinks towards ``min_dim``."""
    lo, hi = -(-min_dim // 2), max_dim // 2
    return st.integers(lo, hi).map(lambda h: 2 * h)


def contexts(min_value: int = 1, max_value: int = 1 << 20) -> st.SearchStrategy[int]:
    """Positive context lengths (numbers of tokens)."""
    return st.integers(max(1, min_value), max_value)
