"""Derivation 4, depth: over ``N`` layers the alignment compounds, ``cos(L theta_min)^N >= eps``, so
``base >= (L/arccos(eps^(1/N)))^(d/(d-2))`` (exact) or ``L/arccos(eps^(1/N))`` (paper).

Large-``N`` law: with ``x = ln(1/eps)/N``, ``arccos(e^(-x)) = sqrt(2x) (1 - x/6 + O(x^2))``, so the paper bound is
``L sqrt(N / (2 ln(1/eps))) (1 + ln(1/eps)/(6N) + O(N^-2))``: the required base grows like ``sqrt(N)``.
"""

from __future__ import annotations

from functools import lru_cache

import sympy as sp

from derivations.kernel import Derivation, Proof
from derivations.symbols import POSITIVE, SUBS, L, N, b, d, eps, k, theta_min, u, x


@lru_cache(maxsize=1)
def derivation() -> Derivation:
    """The depth bound, as a chain from its hypotheses, and its large-N law."""
    root = eps ** (1 / N)
    a = sp.acos(root)
    bound = (L / a) ** k
    paper = L / a
    phase = L * theta_min
    p = Proof("depth", "Depth lower bound and its large-N law", SUBS)
    p.hypothesis(sp.StrictGreaterThan(b, 1), "the base $b$ exceeds 1 and the context $L$ is positive")
    p.hypothesis(sp.StrictGreaterThan(d, 2), "the rotary dimension $d$ is even and greater than 2")
    small = p.hypothesis(sp.StrictLessThan(eps, 1), "the coherence threshold satisfies $0 < \\varepsilon < 1$")
    p.hypothesis(sp.GreaterThan(N, 1, evaluate=False), "the depth is $N \\geq 1$ layers")
    p.hypothesis(sp.Contains(phase, sp.Interval.open(0, sp.pi / 2)),
                 "the largest phase of the slowest pair lies in $(0, \\pi/2)$, so that "
                 "$\\cos(L\\theta_{\\min}) > 0$", side_condition=True)
    compounded = p.hypothesis(sp.GreaterThan(sp.cos(phase) ** N, eps),
                              "the misalignment compounded over $N$ layers stays above the threshold")
    r = p.given(small)
    p.monotone(r, sp.StrictLessThan(root, 1), u ** (1 / N), u, POSITIVE, True,
               "the $N$-th root is strictly increasing on $(0, \\infty)$: $\\varepsilon^{1/N} < 1$")
    s = p.given(compounded)
    s = p.monotone(s, sp.GreaterThan(sp.cos(phase), root), u ** (1 / N), u, POSITIVE, True,
                   "taking $N$-th roots, strictly increasing on $(0, \\infty)$, which holds "
                   "$\\cos^N(L\\theta_{\\min})$ since the cosine is positive there")
    s = p.invert(s, sp.LessThan(phase, a), sp.cos(u), u, sp.Interval.open(0, sp.pi), False, phase, a,
                 "the cosine is strictly decreasing on $(0, \\pi)$, which holds the phase and "
                 "$\\arccos \\varepsilon^{1/N}$ (as $0 < \\varepsilon^{1/N} < 1$)")
    s = p.monotone(s, sp.LessThan(theta_min, a / L), u / L, u, POSITIVE, True,
                   "dividing by $L > 0$ preserves the inequality")
    p.monotone(s, sp.GreaterThan(b, bound), u ** (-k), u, POSITIVE, False,
               "the map $u \\mapsto u^{-d/(d-2)}$ is strictly decreasing on $(0, \\infty)$")
    p.identity(sp.log(root) - sp.log(eps), sp.log(1 / eps) * (1 - 1 / N),
               "$\\ln \\varepsilon^{1/N} - \\ln \\varepsilon = \\ln(1/\\varepsilon)(1 - 1/N) \\geq 0$: so "
               "$\\varepsilon^{1/N} \\geq \\varepsilon$ and the depth bound dominates DC stability", remark=True)
    p.series(sp.acos(sp.exp(-x)) / sp.sqrt(2 * x), 1 - x / 6, x, 2,
             "with $x = \\ln(1/\\varepsilon)/N$, $\\varepsilon^{1/N} = e^{-x}$ and this expansion at $x = 0$",
             remark=True)
    p.limit(sp.sqrt(N) * sp.acos(sp.exp(-x / N)), N, sp.oo, sp.sqrt(2 * x),
            "$\\sqrt{N} \\arccos \\varepsilon^{1/N} \\to \\sqrt{2\\ln(1/\\varepsilon)}$: the required base grows "
            "like $\\sqrt{N}$", remark=True)
    law = L * sp.sqrt(N / (2 * sp.log(1 / eps))) * (1 + sp.log(1 / eps) / (6 * N))
    return p.done(paper=sp.GreaterThan(b, paper),
                  gaps=(("exact/paper", paper ** (2 / (d - 2))),
                        ("large-$N$ paper bound, relative error $O(N^{-2})$", law)))
