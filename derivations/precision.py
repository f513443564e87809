"""Derivation 5, the precision wall (upper bound): the slowest oscillator's per-token phase update must exceed the
format's resolution, ``theta_min > eps_mach``, so ``base < eps_mach^(-d/(d-2))`` (exact) or ``1/eps_mach`` (paper).

Convention: ``eps_mach = 2^(1-p)`` (machine epsilon, numpy's ``finfo.eps``; fp32 ``2^-23``), the precision in which
phases are computed. The unit roundoff ``2^-p`` is the other common choice (``bounds.eps_mach_of(dtype,
"unit_roundoff")``); it halves eps_mach, so it doubles the paper wall and multiplies the exact one by ``2^(d/(d-2))``.
"""

from __future__ import annotations

from functools import lru_cache

import sympy as sp

from derivations.model import Derivation, apply_monotone, equality
from derivations.symbols import POSITIVE, SUBS, b, d, eps_mach, k, theta_min, u


@lru_cache(maxsize=1)
def derivation() -> Derivation:
    """The precision wall, checked step by step."""
    wall = eps_mach ** (-k)
    paper = 1 / eps_mach
    steps = (
        apply_monotone(sp.StrictGreaterThan(theta_min, eps_mach), sp.StrictLessThan(b, wall), u ** (-k), u, POSITIVE,
                       False, "u -> u^(-d/(d-2)) is decreasing for u > 0 when d > 2", subs=SUBS),
        equality(wall / paper, eps_mach ** (-2 / (d - 2)), "exact/paper = eps_mach^(-2/(d-2))", subs=SUBS),
    )
    return Derivation(
        "precision", "Precision wall (upper bound)",
        ("eps_mach = 2^(1-p) of the format computing the phases (unit roundoff 2^-p is the alternative)",
         "the phase update theta_min per token must exceed eps_mach, d even and d > 2"),
        steps, sp.StrictLessThan(b, wall), sp.StrictLessThan(b, paper),
        (("exact/paper", eps_mach ** (-2 / (d - 2))),),
        ("fp32 at d = 128: paper wall 8.39e6, exact 1.08e7 (factor 2^(46/126) = 1.288)",))
