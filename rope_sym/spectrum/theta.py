"""The RoPE spectrum: ``theta_i = base^(-2i/d)`` for ``i = 0 .. d/2 - 1`` (``d`` = rotary dim).

Three forms of the same numbers: exact (SymPy, the base taken as the exact rational value of the given
number), at any mpmath precision, and numpy float64. The fastest oscillator turns at ``theta_max = 1``; the
slowest at ``theta_min = base^(-(d-2)/d)``, with wavelength ``2*pi*base^((d-2)/d)`` tokens per turn. The
paper shortcut ``theta_min ~ 1/base`` overstates that wavelength by the factor ``base^(2/d)``.
"""

from __future__ import annotations

import math
from functools import lru_cache
from typing import TYPE_CHECKING

import mpmath
import numpy as np
from numpy.typing import NDArray

from rope_sym.errors import InvalidRopeSpec
from rope_sym.spectrum.spec import (
    Form,
    RopeSpec,
    check_base,
    check_form,
    check_positive_integer,
    check_rotary_dim,
    finite_real,
)

if TYPE_CHECKING:  # SymPy loads only when an exact form is asked for
    import sympy


def exact_base(spec: RopeSpec) -> sympy.Rational:
    """The base as an exact rational (``10000.0 -> 10000``; a non-integer float gives its exact binary value)."""
    import sympy

    return sympy.Rational(spec.base)


def frequencies_exact(spec: RopeSpec) -> list[sympy.Expr]:
    """``[base^(-2i/d) for i in 0 .. d/2-1]`` as exact SymPy numbers."""
    import sympy

    b, d = exact_base(spec), spec.rotary_dim
    return [b ** sympy.Rational(-2 * i, d) for i in range(spec.n_pairs)]


def frequencies_mp(spec: RopeSpec, dps: int = 50) -> list[mpmath.mpf]:
    """``theta_i`` as mpmath numbers computed with ``dps`` significant decimal digits (an integer >= 1)."""
    return _frequencies_mp(spec, check_positive_integer(dps, "dps"))


def _frequencies_mp(spec: RopeSpec, dps: int) -> list[mpmath.mpf]:
    """``frequencies_mp`` for a ``dps`` already checked (the library's own calls)."""
    with mpmath.workdps(dps):
        b, d = mpmath.mpf(spec.base), spec.rotary_dim
        return [+(b ** (mpmath.mpf(-2 * i) / d)) for i in range(spec.n_pairs)]


@lru_cache(maxsize=256)
def _correctly_rounded(spec: RopeSpec) -> tuple[float, ...]:
    return tuple(float(t) for t in _frequencies_mp(spec, 40))


def frequencies(spec: RopeSpec) -> NDArray[np.float64]:
    """``theta_i`` in float64, each the nearest float64 to the exact value (from 40-digit mpmath).

    Correct rounding matters here: numpy's ``base ** (-2i/d)`` rounds the exponent first, and the error is
    amplified by ``ln(base)``, several ulp for large bases (``frequencies_numpy``; see the
    ``spectrum-exact-vs-float`` check).
    """
    return np.array(_correctly_rounded(spec), dtype=np.float64)


def frequencies_numpy(spec: RopeSpec) -> NDArray[np.float64]:
    """``theta_i`` as numpy computes ``base ** (-2i/d)`` in float64 (within a few ulp of exact)."""
    i = np.arange(spec.n_pairs, dtype=np.float64)
    return np.power(spec.base, -2.0 * i / spec.rotary_dim)


def wavelengths(spec: RopeSpec) -> NDArray[np.float64]:
    """Tokens per full turn of each pair, ``2*pi / theta_i = 2*pi * base^(2i/d)``, float64."""
    return 2.0 * np.pi / frequencies(spec)


def wavelengths_exact(spec: RopeSpec) -> list[sympy.Expr]:
    """``2*pi*base^(2i/d)`` exactly."""
    import sympy

    return [2 * sympy.pi / t for t in frequencies_exact(spec)]


def theta_max(spec: RopeSpec) -> float:
    """The fastest frequency, ``theta_0 = 1`` radian per token."""
    return 1.0


def theta_min_exact(spec: RopeSpec) -> sympy.Expr:
    """The slowest frequency ``base^(-(d-2)/d)`` exactly."""
    import sympy

    return exact_base(spec) ** sympy.Rational(-(spec.rotary_dim - 2), spec.rotary_dim)


def theta_min(spec: RopeSpec) -> float:
    """The slowest frequency ``base^(-(d-2)/d)``, correctly rounded to float64."""
    return _correctly_rounded(spec)[-1]


def theta_min_paper(spec: RopeSpec) -> float:
    """The paper's approximation of the slowest frequency, ``1/base``."""
    return 1.0 / spec.base


def slowest_wavelength(spec: RopeSpec) -> float:
    """Tokens per turn of the slowest pair, ``2*pi*base^((d-2)/d)``."""
    return 2.0 * np.pi / theta_min(spec)


# ------------------------------------------------------------------ the slowest frequency in closed form (floats)

def exponent(rotary_dim: int, form: str) -> float:
    """``k = d/(d-2)`` for the exact form, ``1`` for the paper form: ``theta_min = t  <=>  base = t^(-k)``."""
    return 1.0 if form == "paper" else rotary_dim / (rotary_dim - 2)


def checked_power(x: float, k: float) -> float:
    """``x^k`` with one rounding-friendly power (``x ** k`` is more accurate than ``exp(k ln x)``); a result
    beyond float64's range is a user error, not a crash."""
    try:
        result = x if k == 1.0 else x**k
    except OverflowError:
        result = math.inf
    if not math.isfinite(result) or (result == 0.0 and x != 0.0):
        raise InvalidRopeSpec(f"the bound {x:.6g}^{k:.6g} is outside the float64 range; the inputs are too extreme")
    return float(result)


def theta_min_of(base: float, rotary_dim: int, form: Form = "exact") -> float:
    """The slowest frequency on floats: ``base^(-(d-2)/d)`` (exact) or ``1/base`` (paper), for a base ``> 1``
    (``theta_min(spec)`` is the exact form correctly rounded)."""
    form = check_form(form)  # type: ignore[assignment]
    d = check_rotary_dim(rotary_dim, form)
    return checked_power(check_base(base), -1.0 / exponent(d, form))


def effective_base(theta_min: float, rotary_dim: int) -> float:
    """The inverse of ``theta_min_of``: the base whose exact slowest frequency ``base^(-(d-2)/d)`` equals
    ``theta_min``, ``theta_min^(-d/(d-2))``. Use it to evaluate the bounds for a rescaled spectrum
    (interpolation, NTK, YaRN, llama3)."""
    t = finite_real(theta_min, "theta_min")
    if not 0.0 < t < 1.0:
        raise InvalidRopeSpec(f"theta_min must be in the open interval (0, 1), got {theta_min!r}")
    d = check_rotary_dim(rotary_dim, "exact")
    return checked_power(1.0 / t, d / (d - 2))
