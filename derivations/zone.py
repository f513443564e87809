"""Derivation 6, the Goldilocks zone and the maximum context.

The feasible bases form ``[max of the lower bounds, precision wall)``. The depth bound is the largest lower bound
(``arccos(eps^(1/N)) <= arccos(eps) < pi/2 < 2 pi``), so with ``A = arccos(eps^(1/N))`` the zone is non-empty iff
``(L/A)^k < eps_mach^(-k)``, i.e. ``L < L_max = A / eps_mach``. The exponent ``k = d/(d-2)`` cancels: paper and exact
forms give the SAME ``L_max`` (the paper's large-d shortcut moves both ends of the zone by the same power).
"""

from __future__ import annotations

from functools import lru_cache

import sympy as sp

from derivations.model import Derivation, apply_monotone, sign
from derivations.symbols import POSITIVE, SUBS, A, L, eps_mach, k, u


@lru_cache(maxsize=1)
def derivation() -> Derivation:
    """L_max, checked step by step."""
    lower, upper = (L / A) ** k, eps_mach ** (-k)
    steps = (
        apply_monotone(sp.StrictLessThan(lower, upper), sp.StrictLessThan(L / A, 1 / eps_mach), u ** (1 / k), u,
                       POSITIVE, True, "zone non-empty: lower < upper; u -> u^((d-2)/d) is increasing for u > 0 "
                       "(the exponent k cancels)", subs=SUBS),
        apply_monotone(sp.StrictLessThan(L / A, 1 / eps_mach), sp.StrictLessThan(L, A / eps_mach), A * u, u,
                       POSITIVE, True, "multiply by A = arccos(eps^(1/N)) > 0"),
        apply_monotone(sp.StrictLessThan(L / A, 1 / eps_mach), sp.StrictLessThan(lower, upper), u ** k, u,
                       POSITIVE, True, "conversely u -> u^(d/(d-2)) is increasing: the paper-form zone condition "
                       "L/A < 1/eps_mach (k = 1) is equivalent to the exact one, so both give the same L_max",
                       subs=SUBS),
        sign(sp.pi / 2 - A.subs(A, sp.acos(sp.Rational(1, 2))), "example eps = 1/2, N = 1: the DC/depth phase budget "
             "arccos(1/2) = pi/3 is below pi/2 (and 2 pi), so the aliasing bound never binds"),
    )
    return Derivation(
        "zone", "Goldilocks zone and maximum context L_max",
        ("lower bound = depth bound (L/A)^(d/(d-2)) with A = arccos(eps^(1/N)); upper = eps_mach^(-d/(d-2))",
         "0 < eps < 1, N >= 1, d even and d > 2"),
        steps, sp.StrictLessThan(L, A / eps_mach), sp.StrictLessThan(L, A / eps_mach),
        (("exact/paper for L_max", sp.Integer(1)),),
        ("worked check (paper, fp32 eps_mach = 2^-23, eps = 0.5, N = 32): L_max = 1.74e6 tokens",))
