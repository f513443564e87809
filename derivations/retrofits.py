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

from derivations.kernel import Derivation, Proof
from derivations.symbols import POSITIVE, SUBS, A, L, b, d, k, s, theta_min, u

ramp = sp.Symbol("gamma", nonnegative=True)  # YaRN's ramp value of a pair (1: fully interpolated)
smooth = sp.Symbol("sigma")  # llama3's smooth factor
L0 = sp.Symbol("L_0", positive=True)  # original context
lo, hi = sp.symbols("f_low f_high", positive=True)  # llama3 low_freq_factor < high_freq_factor


@lru_cache(maxsize=1)
def derivation() -> Derivation:
    """Effective bases of the retrofits, and the bound they carry, as a chain."""
    eff = b * s ** k
    p = Proof("retrofits", "Context-extension retrofits: effective base", SUBS)
    p.hypothesis(sp.StrictGreaterThan(s, 1), "the extension factor $s$ exceeds 1")
    p.hypothesis(sp.StrictGreaterThan(d, 2), "the rotary dimension $d$ is even and greater than 2")
    p.hypothesis(sp.Eq(ramp, 1), "the slowest pair lies in the fully interpolated band (YaRN ramp 1, llama3's "
                 "low-frequency band)", side_condition=True)
    meets = p.hypothesis(sp.LessThan((L / A) ** k, eff),
                         "the scaled model meets a lower bound $(L/A)^{d/(d-2)}$ on its effective base")
    p.identity((theta_min / s) ** (-k), eff, "linear interpolation: $\\theta_{\\min}/s$ is the exact slowest "
               "frequency of the base $b s^{d/(d-2)}$")
    p.identity(eff ** (-1 / k), theta_min / s, "NTK-aware scaling: the base $b s^{d/(d-2)}$ has slowest frequency "
               "$\\theta_{\\min}/s$")
    p.identity((theta_min / s * ramp + theta_min * (1 - ramp)).subs(ramp, 1), theta_min / s,
               "YaRN: past the ramp ($\\gamma = 1$) the slowest pair is divided by $s$",
               shown=("gamma theta_min/s + (1 - gamma) theta_min = theta_min/s at gamma = 1",
                      r"\gamma \frac{\theta_{\min}}{s} + (1 - \gamma)\theta_{\min} = \frac{\theta_{\min}}{s}"
                      r" \quad (\gamma = 1)"))
    p.identity(((1 - smooth) * u / s + smooth * u).subs(smooth, (L0 * u / (2 * sp.pi) - lo) / (hi - lo))
               .subs(u, 2 * sp.pi * lo / L0), (2 * sp.pi * lo / L0) / s,
               "llama3: the smooth band meets the low band (wavelength $L_0/f_{\\mathrm{low}}$) at $\\theta/s$, and "
               "every longer wavelength, the slowest pair's included, is divided by $s$",
               shown=("(1 - sigma) theta/s + sigma theta = theta/s at theta = 2 pi f_low/L_0",
                      r"(1 - \sigma)\frac{\theta}{s} + \sigma\theta = \frac{\theta}{s}"
                      r" \quad \left(\theta = \tfrac{2\pi f_{\mathrm{low}}}{L_0}\right)"))
    step = p.given(meets)
    step = p.monotone(step, sp.LessThan((L / A) ** k / s ** k, b), u / s ** k, u, POSITIVE, True,
                      "dividing by $s^{d/(d-2)} > 0$ preserves the inequality")
    p.rewrite(step, sp.LessThan((L / (s * A)) ** k, b),
              "which is the original bound at the context $L/s$: a bound at context $s L$ on the scaled model is "
              "the original bound at context $L$")
    p.identity(eff / (b * s), s ** (2 / (d - 2)), "the exact effective base exceeds the paper's $b s$ by "
               "$s^{2/(d-2)}$", remark=True)
    return p.done(paper=sp.LessThan(L / (s * A), b), gaps=(("exact/paper effective base", s ** (2 / (d - 2))),),
                  notes=("the effective base is $b_{\\mathrm{eff}} = b\\, s^{d/(d-2)}$ (paper form: $b s$)",
                         "dynamic NTK uses the factor $s L/L_0 - (s - 1)$ in place of $s$ at sequence length "
                         "$L > L_0$"))
