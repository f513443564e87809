"""Derivation 4, depth: over ``N`` layers the alignment compounds, ``cos(L theta_min)^N >= eps``, so
``base >= (L/arccos(eps^(1/N)))^(d/(d-2))`` (exact) or ``L/arccos(eps^(1/N))`` (paper).

Large-``N`` law: with ``x = ln(1/eps)/N``, ``arccos(e^(-x)) = sqrt(2x) (1 - x/6 + O(x^2))``, so the paper bound is
``L sqrt(N / (2 ln(1/eps))) (1 + ln(1/eps)/(6N) + O(N^-2))``: the required base grows like ``sqrt(N)``.
"""

from __future__ import annotations

from functools import lru_cache

import sympy as sp

from derivations.model import Derivation, apply_monotone, asymptotic, equality, invert_monotone, limit, sign
from derivations.symbols import POSITIVE, SUBS, L, N, b, d, eps, k, theta_min, u, x


@lru_cache(maxsize=1)
def derivation() -> Derivation:
    """The depth bound and its large-N law, checked step by step."""
    root = eps ** (1 / N)
    a = sp.acos(root)
    bound = (L / a) ** k
    paper = L / a
    phase = L * theta_min
    steps = (
        apply_monotone(sp.GreaterThan(sp.cos(phase) ** N, eps), sp.GreaterThan(sp.cos(phase), root), u ** (1 / N),
                       u, POSITIVE, True, "u -> u^(1/N) is increasing for u > 0 (cos(L theta_min) > 0 assumed)"),
        invert_monotone(sp.GreaterThan(sp.cos(phase), root), sp.LessThan(phase, a), sp.cos(u), u,
                        sp.Interval.open(0, sp.pi), False, phase, a, "cos is decreasing on (0, pi)", subs=SUBS),
        apply_monotone(sp.LessThan(phase, a), sp.LessThan(theta_min, a / L), u / L, u, POSITIVE, True,
                       "divide by L > 0"),
        apply_monotone(sp.LessThan(theta_min, a / L), sp.GreaterThan(b, bound), u ** (-k), u, POSITIVE, False,
                       "u -> u^(-d/(d-2)) is decreasing for u > 0 when d > 2", subs=SUBS),
        equality(sp.log(root) - sp.log(eps), sp.log(1 / eps) * (1 - 1 / N),
                 "ln(eps^(1/N)) - ln(eps) = ln(1/eps)(1 - 1/N)", subs=SUBS),
        sign(sp.log(1 / eps) * (1 - 1 / N), "non-negative for 0 < eps < 1, N >= 1: eps^(1/N) >= eps, so "
             "arccos(eps^(1/N)) <= arccos(eps) and the depth bound dominates DC stability (equal at N = 1)",
             strict=False, subs=SUBS),
        equality(root, sp.exp(-sp.log(1 / eps) / N), "eps^(1/N) = exp(-x) with x = ln(1/eps)/N", subs=SUBS),
        asymptotic(sp.acos(sp.exp(-x)) / sp.sqrt(2 * x), 1 - x / 6, x, 2,
                   "series of arccos(exp(-x)) / sqrt(2x) at x = 0"),
        limit(sp.sqrt(N) * sp.acos(sp.exp(-x / N)), N, sp.oo, sp.sqrt(2 * x),
              "sqrt(N) arccos(eps^(1/N)) -> sqrt(2 ln(1/eps)): the base grows like sqrt(N)"),
    )
    law = L * sp.sqrt(N / (2 * sp.log(1 / eps))) * (1 + sp.log(1 / eps) / (6 * N))
    return Derivation(
        "depth", "Depth lower bound and its large-N law",
        ("0 < eps < 1, N >= 1 layers, L > 0, base b > 1, d even and d > 2",
         "the largest phase L theta_min lies in (0, pi/2), so cos(L theta_min) > 0"),
        steps, sp.GreaterThan(b, bound), sp.GreaterThan(b, paper),
        (("exact/paper", paper ** (2 / (d - 2))), ("large-N paper bound, relative error O(N^-2)", law)))
