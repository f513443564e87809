"""Derivation 7, context-extension retrofits and the effective base they imply.

Linear interpolation divides every frequency by the factor ``s``; NTK-aware scaling raises the base to
``b s^(d/(d-2))``; YaRN divides the low-frequency band (pairs turning fewer than ``beta_slow`` times over the
original context) by ``s``; llama3 divides the band of wavelengths above ``L_0/low_freq_factor`` by ``s``. For the
slowest pair, which is in the interpolated band in every standard config, all four give ``theta_min' = theta_min/s``:
the effective base for the bounds is ``b s^(d/(d-2))`` (paper form: ``b s``), and a bound at context ``s L`` on the
scaled model is the original bound at context ``L``.
"""

from __future__ import annotations

from functools import lru_cache

import sympy as sp

from derivations.model import Derivation, apply_monotone, equality
from derivations.symbols import POSITIVE, SUBS, A, L, b, d, k, s, theta_min, u

ramp = sp.Symbol("gamma", nonnegative=True)  # YaRN's ramp value of a pair (1: fully interpolated)
smooth = sp.Symbol("sigma")  # llama3's smooth factor
L0 = sp.Symbol("L_0", positive=True)  # original context
lo, hi = sp.symbols("f_low f_high", positive=True)  # llama3 low_freq_factor < high_freq_factor


@lru_cache(maxsize=1)
def derivation() -> Derivation:
    """Effective bases of the retrofits, checked step by step."""
    eff = b * s ** k
    steps = (
        equality((theta_min / s) ** (-k), eff, "linear interpolation: theta_min/s is the exact theta_min of "
                 "base b s^(d/(d-2))", subs=SUBS),
        equality(eff ** (-1 / k), theta_min / s, "NTK-aware: base b s^(d/(d-2)) has theta_min' = theta_min/s",
                 subs=SUBS),
        equality((theta_min / s * ramp + theta_min * (1 - ramp)).subs(ramp, 1), theta_min / s,
                 "YaRN: the slowest pair lies past the ramp (gamma = 1): theta_min' = theta_min/s",
                 shown=("gamma theta_min/s + (1 - gamma) theta_min = theta_min/s at gamma = 1",
                        r"\gamma \frac{\theta_{\min}}{s} + (1 - \gamma)\theta_{\min} = \frac{\theta_{\min}}{s}"
                        r" \quad (\gamma = 1)")),
        equality(((1 - smooth) * u / s + smooth * u).subs(smooth, (L0 * u / (2 * sp.pi) - lo) / (hi - lo))
                 .subs(u, 2 * sp.pi * lo / L0), (2 * sp.pi * lo / L0) / s,
                 "llama3: the smooth band meets the low band (wavelength L_0/low_freq_factor) at theta/s, and every "
                 "longer wavelength, the slowest pair's included, is divided by s",
                 shown=("(1 - sigma) theta/s + sigma theta = theta/s at theta = 2 pi f_low/L_0, "
                        "sigma = (L_0 theta/(2 pi) - f_low)/(f_high - f_low)",
                        r"(1 - \sigma)\frac{\theta}{s} + \sigma\theta = \frac{\theta}{s}"
                        r" \quad \left(\theta = \tfrac{2\pi f_{\mathrm{low}}}{L_0},\ "
                        r"\sigma = \tfrac{L_0\theta/(2\pi) - f_{\mathrm{low}}}{f_{\mathrm{high}} - f_{\mathrm{low}}}"
                        r"\right)")),
        apply_monotone(sp.LessThan((L / A) ** k, eff), sp.LessThan((L / A) ** k / s ** k, b), u / s ** k, u,
                       POSITIVE, True, "a lower bound on the effective base; divide by s^(d/(d-2)) > 0", subs=SUBS),
        equality((L / A) ** k / s ** k, (L / (s * A)) ** k, "= the original bound at context L/s", subs=SUBS),
        equality(eff / (b * s), s ** (2 / (d - 2)), "exact/paper effective base = s^(2/(d-2))", subs=SUBS),
    )
    return Derivation(
        "retrofits", "Context-extension retrofits: effective base",
        ("extension factor s > 1; the slowest pair is in the fully interpolated band (YaRN ramp 1, llama3 low band)",
         "d even and d > 2"),
        steps, sp.Eq(sp.Symbol("b_eff"), eff), sp.Eq(sp.Symbol("b_eff"), b * s),
        (("exact/paper", s ** (2 / (d - 2))),),
        ("dynamic NTK uses factor s L/L_0 - (s - 1) in place of s at sequence length L > L_0",))
