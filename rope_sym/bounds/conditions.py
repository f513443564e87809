"""The defining conditions of the bounds, evaluated in mpmath at the working precision, for the checks that hold
each closed form to its condition (``verify``'s ``numeric-bounds`` and ``derivation-*`` checks).

For the slowest frequency ``theta(b)`` (exact: ``b^(-(d-2)/d)``; paper: ``1/b``), context ``L``, coherence
threshold ``eps``, depth ``N`` and machine epsilon ``eps_mach``, quantified over the positions ``m = 0 .. L``:

- aliasing: ``m * theta < 2 pi`` for every ``m`` (no full turn of the slowest pair within the context);
- DC stability: ``cos(m * theta) >= eps`` for every ``m``;
- depth: ``cos(m * theta) >= 0`` and ``cos(m * theta)^N >= eps`` for every ``m``;
- precision wall: ``theta > eps_mach`` (no position quantifier);
- max context (in the context ``x``): some base satisfies both the depth condition and the precision wall; the
  depth condition improves as ``theta`` falls and the wall needs ``theta > eps_mach``, so the best case is
  ``theta -> eps_mach`` from above.

The quantifier over positions is evaluated by **brute force** over every integer ``m`` when asked and ``L <=
BRUTE_FORCE_MAX``, otherwise by the **monotonicity argument**: the phases ``m theta`` increase in steps ``theta <
1``; while ``L theta <= pi/2`` the worst position is ``m = L``, and past it a phase lands in ``[pi/2, pi/2 + 1)``
where ``cos <= 0 < eps``. Each ``margin`` is continuous and positive exactly where its condition holds near the
threshold (on the branch ``L theta < pi/2`` for the cosine conditions): the root a threshold search refines.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import mpmath

BRUTE_FORCE_MAX = 4096
"""Contexts up to this are checked over every integer position (when asked); longer ones by monotonicity."""


def theta_of(base: Any, rotary_dim: int, form: str) -> Any:
    """The slowest frequency: ``base^(-(d-2)/d)`` (exact) or ``1/base`` (paper), in mpmath."""
    if form == "paper":
        return 1 / base
    return base ** (-mpmath.mpf(rotary_dim - 2) / rotary_dim)


def for_all_positions(L: Any, theta: Any, ok: Callable[[Any], bool], brute: bool) -> tuple[bool, str]:
    """Whether ``ok(m * theta)`` holds for every integer ``0 <= m <= L`` (``ok`` false at phases in
    ``[pi/2, pi/2 + 1)``), and the method used."""
    if brute and L <= BRUTE_FORCE_MAX:
        return all(ok(m * theta) for m in range(int(mpmath.floor(L)) + 1)), "brute force"
    if L * theta > mpmath.pi / 2:  # a phase lands in [pi/2, pi/2 + 1), where cos <= 0 (module docstring)
        return False, "monotonicity"
    return ok(L * theta), "monotonicity"


def depth_ok(L: Any, theta: Any, eps: Any, n: int, brute: bool) -> tuple[bool, str]:
    """``cos(m theta) >= 0`` and ``cos(m theta)^N >= eps`` for every ``m`` in ``0 .. L``."""
    return for_all_positions(L, theta, lambda phase: mpmath.cos(phase) >= 0 and mpmath.cos(phase) ** n >= eps,
                             brute)
