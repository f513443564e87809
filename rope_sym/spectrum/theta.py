"""The RoPE spectrum: ``theta_i = base^(-2i/d)`` for ``i = 0 .. d/2 - 1`` (``d`` = rotary dim).

Three forms of the same numbers: exact (SymPy, the base taken as the exact rational value of the given
number), at any mpmath precision, and numpy float64. The fastest oscillator turns at ``theta_max = 1``; the
slowest at ``theta_min = base^(-(d-2)/d)``, with wavelength ``2*pi*base^((d-2)/d)`` tokens per turn. The
paper shortcut ``theta_min ~ 1/base`` overstates that wavelength by the factor ``base^(2/d)``.
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING

import mpmath
import numpy as np
from numpy.typing import NDArray

from rope_sym.spectrum.spec import RopeSpec, check_positive_integer

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
