"""The symbols shared by the derivations, with the SymPy assumptions that make each step checkable.

``d`` (rotary dim) is shown as ``d`` but checked as ``2 + r`` with ``r > 0`` (the exact bounds need ``d > 2``);
``eps`` in ``(0, 1)`` is checked as ``1/(1 + t)`` with ``t > 0``; the depth ``N >= 1`` as ``1 + n`` with ``n >= 0``.
"""

from __future__ import annotations

import sympy as sp

L = sp.Symbol("L", positive=True)              # context, tokens
b = sp.Symbol("b", positive=True)              # base (> 1)
d = sp.Symbol("d", positive=True, integer=True)  # rotary dim, even, > 2
eps = sp.Symbol("epsilon", positive=True)      # coherence threshold in (0, 1)
N = sp.Symbol("N", positive=True, integer=True)  # depth (layers)
eps_mach = sp.Symbol("epsilon_mach", positive=True)  # format resolution
s = sp.Symbol("s", positive=True)              # context-extension factor (> 1)
m, n = sp.symbols("m n", real=True)            # positions
u = sp.Symbol("u", positive=True)              # a generic positive variable for monotone maps
x = sp.Symbol("x", positive=True)              # a small positive expansion variable
A = sp.Symbol("A", positive=True)              # shorthand for arccos(eps^(1/N))

_r = sp.Symbol("r", positive=True)
_t = sp.Symbol("t", positive=True)
_n = sp.Symbol("n_0", nonnegative=True, integer=True)

#: Substitutions turning the stated ranges into SymPy assumptions (d > 2, 0 < eps < 1, N >= 1).
SUBS: dict[sp.Symbol, sp.Expr] = {d: 2 + _r, eps: 1 / (1 + _t), N: 1 + _n}

#: k = d/(d-2): theta_min = base^(-1/k), base = theta_min^(-k).
k = d / (d - 2)
theta_min = b ** (-(d - 2) / d)
POSITIVE = sp.Interval.open(0, sp.oo)
