"""Derivation 3, DC stability: ``cos(L theta_min) >= eps`` (0 < eps < 1), so
``base >= (L/arccos(eps))^(d/(d-2))`` (exact) or ``base >= L/arccos(eps)`` (paper)."""

from __future__ import annotations

from functools import lru_cache

import sympy as sp

from derivations.kernel import Derivation, Proof
from derivations.symbols import POSITIVE, SUBS, L, b, d, eps, k, theta_min, u


@lru_cache(maxsize=1)
def derivation() -> Derivation:
    """The DC-stability bound, as a chain from its hypotheses."""
    a = sp.acos(eps)
    bound = (L / a) ** k
    paper = L / a
    phase = L * theta_min
    p = Proof("dc_stability", "DC-stability lower bound", SUBS)
    p.hypothesis(sp.StrictGreaterThan(b, 1), "the base $b$ exceeds 1 and the context $L$ is positive")
    p.hypothesis(sp.StrictGreaterThan(d, 2), "the rotary dimension $d$ is even and greater than 2")
    p.hypothesis(sp.Contains(eps, sp.Interval.open(0, 1)), "the coherence threshold lies in $(0, 1)$")
    p.hypothesis(sp.Contains(phase, sp.Interval.open(0, sp.pi)),
                 "the largest phase of the slowest pair lies in $(0, \\pi)$, where $\\cos(m\\theta_{\\min})$ is "
                 "smallest at $m = L$", side_condition=True)
    coherent = p.hypothesis(sp.GreaterThan(sp.cos(phase), eps),
                            "the slowest pair stays coherent over the context")
    s = p.given(coherent)
    s = p.invert(s, sp.LessThan(phase, a), sp.cos(u), u, sp.Interval.open(0, sp.pi), False, phase, a,
                 "the cosine is strictly decreasing on $(0, \\pi)$, which holds both the phase and "
                 "$\\arccos\\varepsilon$, and $\\cos(\\arccos \\varepsilon) = \\varepsilon$")
    s = p.monotone(s, sp.LessThan(theta_min, a / L), u / L, u, POSITIVE, True,
                   "dividing by $L > 0$ preserves the inequality")
    p.monotone(s, sp.GreaterThan(b, bound), u ** (-k), u, POSITIVE, False,
               "the map $u \\mapsto u^{-d/(d-2)}$ is strictly decreasing on $(0, \\infty)$")
    return p.done(paper=sp.GreaterThan(b, paper), gaps=(("exact/paper", paper ** (2 / (d - 2))),))
