"""Derivation 2, aliasing (Nyquist-like): the slowest oscillator must not complete a turn within the context,
``L theta_min < 2 pi``, so ``base > (L/(2 pi))^(d/(d-2))`` (exact) or ``base > L/(2 pi)`` (paper)."""

from __future__ import annotations

from functools import lru_cache

import sympy as sp

from derivations.kernel import Derivation, Proof
from derivations.symbols import POSITIVE, SUBS, L, b, d, k, theta_min, u


@lru_cache(maxsize=1)
def derivation() -> Derivation:
    """The aliasing bound, as a chain from its hypotheses."""
    bound = (L / (2 * sp.pi)) ** k
    paper = L / (2 * sp.pi)
    p = Proof("aliasing", "Aliasing (Nyquist-like) lower bound", SUBS)
    p.hypothesis(sp.StrictGreaterThan(b, 1), "the base $b$ exceeds 1 and the context $L$ is positive")
    p.hypothesis(sp.StrictGreaterThan(d, 2), "the rotary dimension $d$ is even and greater than 2")
    nyquist = p.hypothesis(sp.StrictLessThan(L * theta_min, 2 * sp.pi),
                           "the slowest pair does not complete a turn within the context")
    p.identity(b ** (-2 * (d / 2 - 1) / d), theta_min,
               "the slowest of $\\theta_i = b^{-2i/d}$ is the last pair, $i = d/2 - 1$",
               shown=("theta_{d/2-1} = b^(-(d-2)/d) = theta_min",
                      r"\theta_{d/2-1} = b^{-(d-2)/d} = \theta_{\min}"))
    s = p.given(nyquist)
    s = p.monotone(s, sp.StrictLessThan(theta_min, 2 * sp.pi / L), u / L, u, POSITIVE, True,
                   "dividing by $L > 0$ preserves the inequality")
    p.monotone(s, sp.StrictGreaterThan(b, bound), u ** (-k), u, POSITIVE, False,
               "the map $u \\mapsto u^{-d/(d-2)}$ is strictly decreasing on $(0, \\infty)$, and "
               "$\\theta_{\\min}^{-d/(d-2)} = b$")
    return p.done(paper=sp.StrictGreaterThan(b, paper), gaps=(("exact/paper", paper ** (2 / (d - 2))),),
                  notes=("the paper's form takes $\\theta_{\\min} \\approx 1/b$: the exponent $d/(d-2)$ tends to 1 as "
                         "$d$ grows; the gap grows with $L$ and shrinks with $d$ (1.11 at $d = 128$, $L = 4096$)",))
