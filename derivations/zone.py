"""Derivation 6, the Goldilocks zone and the maximum context (with the paper's wall as the upper side).

The feasible bases form ``[max of the lower bounds, precision wall)``. The depth bound is the largest lower bound
(``arccos(eps^(1/N)) <= arccos(eps) < pi/2 < 2 pi``), so with ``A = arccos(eps^(1/N))`` the zone is non-empty iff
``(L/A)^k < eps_mach^(-k)``, i.e. ``L < L_max = A / eps_mach``. The exponent ``k = d/(d-2)`` cancels: paper and exact
forms give the SAME ``L_max``.
"""

from __future__ import annotations

from functools import lru_cache

import sympy as sp

from derivations.kernel import Derivation, Proof
from derivations.symbols import POSITIVE, SUBS, A, L, d, eps_mach, k, u


@lru_cache(maxsize=1)
def derivation() -> Derivation:
    """L_max, as a chain from the zone's non-emptiness."""
    lower, upper = (L / A) ** k, eps_mach ** (-k)
    p = Proof("zone", "Goldilocks zone and maximum context", SUBS)
    p.hypothesis(sp.StrictGreaterThan(d, 2), "the rotary dimension $d$ is even and greater than 2")
    p.hypothesis(sp.StrictGreaterThan(A, 0, evaluate=False),
                 "$A = \\arccos \\varepsilon^{1/N} > 0$ for $0 < \\varepsilon < 1$")
    nonempty = p.hypothesis(sp.StrictLessThan(lower, upper),
                            "the zone is non-empty: the depth bound $(L/A)^{d/(d-2)}$ lies below the wall "
                            "$\\varepsilon_{\\mathrm{mach}}^{-d/(d-2)}$")
    s = p.given(nonempty)
    s = p.monotone(s, sp.StrictLessThan(L / A, 1 / eps_mach), u ** (1 / k), u, POSITIVE, True,
                   "the map $u \\mapsto u^{(d-2)/d}$ is strictly increasing on $(0, \\infty)$: the exponent "
                   "cancels")
    p.monotone(s, sp.StrictLessThan(L, A / eps_mach), A * u, u, POSITIVE, True, "multiplying by $A > 0$")
    p.positive(sp.pi / 2 - sp.acos(sp.Rational(1, 2)),
               "for $\\varepsilon = 1/2$, $N = 1$ the phase budget $\\arccos(1/2) = \\pi/3$ is below $\\pi/2$ (and "
               "$2\\pi$): the aliasing bound never binds", remark=True)
    return p.done(paper=sp.StrictLessThan(L, A / eps_mach), gaps=(("exact/paper for $L_{\\max}$", sp.Integer(1)),),
                  notes=("fp32, $\\varepsilon = 0.5$, $N = 32$: $L_{\\max} = 1.74 \\times 10^{6}$ tokens under the "
                         "paper's wall",))
