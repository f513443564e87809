"""Derivation 2, aliasing (Nyquist-like): the slowest oscillator must not complete a turn within the context,
``L theta_min < 2 pi``, so ``base > (L/(2 pi))^(d/(d-2))`` (exact) or ``base > L/(2 pi)`` (paper)."""

from __future__ import annotations

from functools import lru_cache

import sympy as sp

from derivations.model import Derivation, apply_monotone, equality, limit
from derivations.symbols import POSITIVE, SUBS, L, b, d, k, theta_min, u

i = sp.Symbol("i", nonnegative=True, integer=True)


@lru_cache(maxsize=1)
def derivation() -> Derivation:
    """The aliasing bound, checked step by step."""
    bound = (L / (2 * sp.pi)) ** k
    paper = L / (2 * sp.pi)
    steps = (
        equality(b ** (-2 * i / d), theta_min, "slowest pair i = d/2 - 1 of theta_i = base^(-2i/d)",
                 subs={i: d / 2 - 1, **SUBS}),
        apply_monotone(sp.StrictLessThan(L * theta_min, 2 * sp.pi), sp.StrictLessThan(theta_min, 2 * sp.pi / L),
                       u / L, u, POSITIVE, True, "no full turn within L tokens: L theta_min < 2 pi; divide by L > 0"),
        apply_monotone(sp.StrictLessThan(theta_min, 2 * sp.pi / L), sp.StrictGreaterThan(b, bound),
                       u ** (-k), u, POSITIVE, False, "u -> u^(-d/(d-2)) is decreasing for u > 0 when d > 2",
                       subs=SUBS),
        limit(k, d, sp.oo, 1, "paper form: the exponent d/(d-2) tends to 1 for large d (theta_min ~ 1/base)"),
        equality(bound / paper, paper ** (2 / (d - 2)), "exact/paper = (L/(2 pi))^(2/(d-2))", subs=SUBS),
    )
    return Derivation(
        "aliasing", "Aliasing (Nyquist-like) lower bound",
        ("L > 0 tokens, base b > 1, rotary dim d even and d > 2",
         "theta_min = b^(-(d-2)/d) is the slowest of theta_i = b^(-2i/d)"),
        steps, sp.StrictGreaterThan(b, bound), sp.StrictGreaterThan(b, paper),
        (("exact/paper", paper ** (2 / (d - 2))),),
        ("the gap grows with L and shrinks with d: at d = 128, L = 4096 it is 1.11; at d = 16, 2.5",))
