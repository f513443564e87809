"""Derivation 3, DC stability: ``cos(L theta_min) >= eps`` (0 < eps < 1), so
``base >= (L/arccos(eps))^(d/(d-2))`` (exact) or ``base >= L/arccos(eps)`` (paper)."""

from __future__ import annotations

from functools import lru_cache

import sympy as sp

from derivations.model import Derivation, apply_monotone, equality, invert_monotone
from derivations.symbols import POSITIVE, SUBS, L, b, d, eps, k, theta_min, u


@lru_cache(maxsize=1)
def derivation() -> Derivation:
    """The DC-stability bound, checked step by step."""
    a = sp.acos(eps)
    bound = (L / a) ** k
    paper = L / a
    phase = L * theta_min
    steps = (
        invert_monotone(sp.GreaterThan(sp.cos(phase), eps), sp.LessThan(phase, a), sp.cos(u), u,
                        sp.Interval.open(0, sp.pi), False, phase, a,
                        "cos is decreasing on (0, pi) and cos(arccos(eps)) = eps", subs=SUBS),
        apply_monotone(sp.LessThan(phase, a), sp.LessThan(theta_min, a / L), u / L, u, POSITIVE, True,
                       "divide by L > 0"),
        apply_monotone(sp.LessThan(theta_min, a / L), sp.GreaterThan(b, bound), u ** (-k), u, POSITIVE, False,
                       "u -> u^(-d/(d-2)) is decreasing for u > 0 when d > 2", subs=SUBS),
        equality(bound / paper, paper ** (2 / (d - 2)), "exact/paper = (L/arccos(eps))^(2/(d-2))", subs=SUBS),
    )
    return Derivation(
        "dc_stability", "DC-stability lower bound",
        ("0 < eps < 1, L > 0, base b > 1, d even and d > 2",
         "the largest phase L theta_min lies in (0, pi): cos(m theta_min) is then smallest at m = L"),
        steps, sp.GreaterThan(b, bound), sp.GreaterThan(b, paper), (("exact/paper", paper ** (2 / (d - 2))),))
