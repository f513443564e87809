"""Checks of ``rope_sym.spectrum``: exact, mpmath and float64 spectra agree."""

from __future__ import annotations

import math

import mpmath

from rope_sym import RopeSpec, frequencies, frequencies_exact, frequencies_mp, theta_min, theta_min_exact
from rope_sym.spectrum.theta import frequencies_numpy
from verify.checks import CheckOptions, Outcome, check

_SETTINGS = [(128, 10000.0), (128, 500000.0), (64, 10000.0), (64, 1e6), (256, 1e7), (96, 10000.0), (8, 2.5)]


def _ulps(value: float, exact: mpmath.mpf) -> float:
    return float(abs(mpmath.mpf(value) - exact) / mpmath.mpf(math.ulp(float(exact))))


@check("spectrum-exact-vs-float", "float64 and mpmath spectra agree with the exact SymPy spectrum")
def spectrum_exact_vs_float(options: CheckOptions) -> Outcome:
    worst_rounded = worst_numpy = worst_mp = 0.0
    for d, base in _SETTINGS:
        spec = RopeSpec(d, base)
        with mpmath.workdps(60):
            exact = [mpmath.mpf(str(t.evalf(70))) for t in frequencies_exact(spec)]
            mp50 = frequencies_mp(spec, dps=50)
            worst_mp = max(worst_mp, max(float(abs(a - b) / b) for a, b in zip(mp50, exact)))
            worst_rounded = max(worst_rounded, max(_ulps(v, e) for v, e in zip(frequencies(spec), exact)))
            worst_numpy = max(worst_numpy, max(_ulps(v, e) for v, e in zip(frequencies_numpy(spec), exact)))
            tmin = mpmath.mpf(str(theta_min_exact(spec).evalf(70)))
            worst_rounded = max(worst_rounded, _ulps(theta_min(spec), tmin))
    ok = worst_rounded <= 0.5 and worst_mp < 1e-45
    return Outcome.judge(
        ok, f"float64 within {worst_rounded:.3f} ulp; numpy pow within {worst_numpy:.1f} ulp",
        settings=len(_SETTINGS), max_ulp_correctly_rounded=worst_rounded, max_ulp_numpy_pow=worst_numpy,
        max_rel_err_mpmath50=worst_mp)
