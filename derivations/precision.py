"""Derivation 5, the paper's precision wall (upper bound): the slowest oscillator's per-token phase update must
exceed the format's resolution, ``theta_min > eps_mach``, so ``base < eps_mach^(-d/(d-2))`` (exact) or
``1/eps_mach`` (paper).

This is the paper's premise, derived as stated; exact scans refute it as a description of erasure (the
``cast_wall`` derivation gives the measured wall ``theta* = c 2^-p``). Convention: ``eps_mach = 2^(1-p)``.
"""

from __future__ import annotations

from functools import lru_cache

import sympy as sp

from derivations.kernel import Derivation, Proof
from derivations.symbols import POSITIVE, SUBS, b, d, eps_mach, k, theta_min, u


@lru_cache(maxsize=1)
def derivation() -> Derivation:
    """The paper's precision wall, as a chain from its premise."""
    wall = eps_mach ** (-k)
    paper = 1 / eps_mach
    p = Proof("precision", "The paper's precision wall (upper bound)", SUBS)
    p.hypothesis(sp.StrictGreaterThan(b, 1), "the base $b$ exceeds 1")
    p.hypothesis(sp.StrictGreaterThan(d, 2), "the rotary dimension $d$ is even and greater than 2")
    premise = p.hypothesis(sp.StrictGreaterThan(theta_min, eps_mach),
                           "the paper's premise: the slowest pair's update per token exceeds "
                           "$\\varepsilon_{\\mathrm{mach}} = 2^{1-p}$ of the format computing the phases")
    s = p.given(premise)
    p.monotone(s, sp.StrictLessThan(b, wall), u ** (-k), u, POSITIVE, False,
               "the map $u \\mapsto u^{-d/(d-2)}$ is strictly decreasing on $(0, \\infty)$")
    p.identity(wall / paper, eps_mach ** (-2 / (d - 2)),
               "the exact wall exceeds the paper's by the factor "
               "$\\varepsilon_{\\mathrm{mach}}^{-2/(d-2)}$", remark=True)
    return p.done(paper=sp.StrictLessThan(b, paper), gaps=(("exact/paper", eps_mach ** (-2 / (d - 2))),),
                  notes=("fp32 at $d = 128$: paper wall $8.39 \\times 10^{6}$, exact $1.08 \\times 10^{7}$",
                         "the scans do not bear the premise out: see the cast-level wall below"))
