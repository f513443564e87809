"""Crafted float64 inputs where rounding to a format goes wrong if it goes wrong anywhere.

Random inputs almost never land on a tie or within a float32 ulp of one (0 of 40,000 random fp32 cases hit a
double rounding in the reference measurements), so exactness is judged on these sets:

- ``exact_ties``: midpoints ``(m + 1/2) * Q`` between neighbouring values, normal and subnormal;
- ``ties_pm_ulp``: those midpoints moved by one float64 ulp either way;
- ``ties_pm_small``: midpoints moved by a relative ``2^-k`` that a float32 (or other wider-than-target)
  intermediate rounding would erase, turning them back into ties;
- ``subnormal_boundary``: half the smallest subnormal (a tie to zero), its neighbours, the largest
  subnormal, the subnormal/normal seam and its tie;
- ``overflow_boundary``: ``max``, the overflow tie ``max + Q/2`` and its float64 neighbours, ``2^(emax+1)``;
- ``specials``: signed zeros, infinities, NaN, float64 extremes.

Every set holds both signs.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike, NDArray

from rope_sym.formats.format import FloatFormat, get_format

Array = NDArray[np.float64]


def _quantum(e: NDArray[np.int64], fmt: FloatFormat) -> Array:
    return np.ldexp(1.0, np.maximum(e, fmt.emin) - fmt.precision + 1)


def _midpoints(fmt: FloatFormat, n: int, rng: np.random.Generator) -> Array:
    """Midpoints between random neighbours, spread over every binade of the format (and the subnormals)."""
    p = fmt.precision
    e = rng.integers(fmt.emin - 1, fmt.emax + 1, size=n)  # emin - 1 stands for the subnormal range
    sub = e < fmt.emin
    m = rng.integers(1 << (p - 1), 1 << p, size=n).astype(np.float64)
    m_sub = rng.integers(0, 1 << (p - 1), size=n).astype(np.float64)
    m = np.where(sub, m_sub, m)
    q = _quantum(e, fmt)
    ties = (m + 0.5) * q
    return ties[ties <= fmt.max]  # the overflow tie is in its own set


def _both_signs(x: Array) -> Array:
    return np.concatenate([x, -x])


def hard_cases(fmt: FloatFormat | str, n: int = 5000, seed: int = 0) -> dict[str, Array]:
    """The crafted sets for ``fmt`` (``n`` random midpoints feed the tie-based sets)."""
    fmt = get_format(fmt)
    rng = np.random.default_rng(seed)
    ties = _midpoints(fmt, n, rng)
    up, down = np.nextafter(ties, np.inf), np.nextafter(ties, -np.inf)
    small = []
    for k in (fmt.precision + 3, 30, 40, 50):
        if k <= 52:
            small += [ties * (1 + 2.0**-k), ties * (1 - 2.0**-k)]
    tiny, qmin = fmt.smallest_normal, fmt.smallest_subnormal
    seam_tie = tiny - qmin / 2  # midpoint between the largest subnormal and the smallest normal
    boundary = [qmin, qmin / 2, qmin * 1.5, qmin * 2.5, tiny - qmin, tiny, seam_tie]
    boundary += [math.nextafter(v, s) for v in (qmin / 2, seam_tie, qmin * 1.5) for s in (0.0, math.inf)]
    boundary += [qmin / 4, qmin * 0.75]
    ulp_max = math.ldexp(1.0, fmt.emax - fmt.precision + 1)
    over_tie = fmt.max + ulp_max / 2
    overflow = [fmt.max, over_tie, math.nextafter(over_tie, 0.0), math.nextafter(over_tie, math.inf),
                fmt.max + ulp_max, math.ldexp(1.0, fmt.emax + 1), math.nextafter(fmt.max, math.inf),
                math.ldexp(1.0, min(fmt.emax + 2, 1023))]
    specials = [0.0, math.inf, math.nan, 5e-324, 2.2250738585072014e-308, 1.7976931348623157e308, 1.0,
                1.0 + 2.0**-52]
    return {
        "exact_ties": _both_signs(ties),
        "ties_pm_ulp": _both_signs(np.concatenate([up, down])),
        "ties_pm_small": _both_signs(np.concatenate(small)),
        "subnormal_boundary": _both_signs(np.array(boundary)),
        "overflow_boundary": _both_signs(np.array(overflow)),
        "specials": _both_signs(np.array(specials)),
    }


def random_values(n: int, seed: int = 0, fmt: FloatFormat | str | None = None) -> Array:
    """``n`` float64 values log-uniform over the format's whole range (or float64's), random sign."""
    rng = np.random.default_rng(seed)
    if fmt is None:
        lo, hi = -1074, 1023
    else:
        f = get_format(fmt)
        lo, hi = f.emin - f.precision - 2, f.emax + 2
    x = np.ldexp(rng.uniform(1.0, 2.0, n), rng.integers(lo, hi, n))
    return np.where(rng.random(n) < 0.5, -x, x)


def same_bits(a: ArrayLike, b: ArrayLike) -> NDArray[np.bool_]:
    """Elementwise: identical float64 values, sign of zero included, NaN equal to NaN."""
    x, y = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return np.asarray(((x == y) & (np.signbit(x) == np.signbit(y))) | (np.isnan(x) & np.isnan(y)))
