"""Closed forms of the RoPE base bounds (floats in, float out), as derived step by step in this package.

Notation: ``L`` the context (tokens), ``d`` the rotary dim (``rotary_dim``), ``eps`` the coherence threshold in
``(0, 1)``, ``N`` the depth (layers), ``eps_mach`` the resolution of the format in which phases are computed.
The slowest oscillator turns ``theta_min`` radians per token:

* exact form: ``theta_min = base^(-(d-2)/d)`` (pair ``i = d/2 - 1`` of ``theta_i = base^(-2i/d)``);
* paper form: ``theta_min ~ 1/base`` (the large-``d`` simplification of Liu 2026).

Every exact bound is the paper bound raised to ``k = d/(d-2)``, because ``theta_min = t`` solves to
``base = t^(-k)``. So for a lower bound ``exact/paper = paper^(k-1) = paper^(2/(d-2))``, and for the precision wall
``exact/paper = eps_mach^(-2/(d-2))``. In the maximum context ``L_max`` the exponent ``k`` cancels: paper and exact
forms give the same ``L_max = arccos(eps^(1/N)) / eps_mach``.

>>> round(aliasing_base(4096, 128, form="paper"), 3)
651.899
>>> round(max_context(2.0**-23, 0.5, 32, 128, form="paper") / 1e6, 2)
1.74
"""

from __future__ import annotations

import math
from typing import Literal

from rope_sym.errors import InvalidRopeSpec
from rope_sym.formats import get_format
from rope_sym.spectrum.spec import (
    Form,
    check_context,
    check_depth,
    check_eps,
    check_form,
    check_rotary_dim,
)
from rope_sym.spectrum.theta import checked_power, exponent

#: Default coherence threshold: ``cos(L * theta_min) >= 1/2``, i.e. the slowest oscillator drifts by at most
#: ``pi/3`` over the context (the value of the reference's worked check, eps = 0.5).
DEFAULT_EPS: float = 0.5

EpsConvention = Literal["eps", "unit_roundoff"]


# -------------------------------------------------------------------------------------------------- helpers


def acos_root(eps: float, depth: int) -> float:
    """``arccos(eps^(1/N))``, evaluated without cancellation: ``2 asin(sqrt((1 - x)/2))`` with
    ``1 - x = -expm1(ln(eps)/N)`` (``x = eps^(1/N)`` is close to 1 for large ``N``)."""
    one_minus = -math.expm1(math.log(eps) / depth)
    return 2.0 * math.asin(math.sqrt(one_minus / 2.0))


def eps_mach_of(dtype: str, convention: EpsConvention = "eps") -> float:
    """The resolution of format ``dtype``: machine epsilon ``2^(1-p)`` (default, numpy's ``finfo.eps``; fp32 gives
    ``2^-23``) or the unit roundoff ``2^-p`` (``convention="unit_roundoff"``)."""
    fmt = get_format(dtype)
    if convention == "eps":
        return float(fmt.eps)
    if convention == "unit_roundoff":
        return float(fmt.unit_roundoff)
    raise InvalidRopeSpec(f"eps convention must be 'eps' or 'unit_roundoff', got {convention!r}")


# ---------------------------------------------------------------------------------------------- the bounds


def aliasing_base(context: float, rotary_dim: int, form: Form = "exact") -> float:
    """Aliasing (Nyquist-like) lower bound: ``L * theta_min < 2 pi``, so the base must EXCEED
    ``(L / (2 pi))^(d/(d-2))`` (exact) or ``L / (2 pi)`` (paper)."""
    f = check_form(form)
    L, d = check_context(context), check_rotary_dim(rotary_dim, f)
    return checked_power(L / (2.0 * math.pi), exponent(d, f))


def dc_stability_base(context: float, rotary_dim: int, eps: float, form: Form = "exact") -> float:
    """DC-stability lower bound: ``cos(L * theta_min) >= eps`` (with ``L theta_min <= pi/2``), so
    ``base >= (L / arccos(eps))^(d/(d-2))`` (exact) or ``L / arccos(eps)`` (paper)."""
    return depth_base(context, rotary_dim, eps, 1, form)


def depth_base(context: float, rotary_dim: int, eps: float, depth: int, form: Form = "exact") -> float:
    """Depth lower bound: ``cos(L * theta_min)^N >= eps``, so ``base >= (L / arccos(eps^(1/N)))^(d/(d-2))``
    (exact) or ``L / arccos(eps^(1/N))`` (paper). Grows like ``sqrt(N)``:
    ``arccos(eps^(1/N)) ~ sqrt(2 ln(1/eps)/N)``."""
    f = check_form(form)
    L, d = check_context(context), check_rotary_dim(rotary_dim, f)
    e, n = check_eps(eps), check_depth(depth)
    return checked_power(L / acos_root(e, n), exponent(d, f))


def precision_base(eps_mach: float, rotary_dim: int, form: Form = "exact") -> float:
    """Precision wall (upper bound): ``theta_min > eps_mach``, so the base must be BELOW
    ``eps_mach^(-d/(d-2))`` (exact) or ``1/eps_mach`` (paper)."""
    f = check_form(form)
    em, d = check_eps(eps_mach, "eps_mach"), check_rotary_dim(rotary_dim, f)
    return checked_power(1.0 / em, exponent(d, f))


def max_context(eps_mach: float, eps: float, depth: int, rotary_dim: int, form: Form = "exact") -> float:
    """``L_max``: the zone ``[depth bound, precision wall)`` is non-empty iff ``L < arccos(eps^(1/N)) / eps_mach``.

    The depth bound is the largest lower bound (``arccos(eps^(1/N)) <= arccos(eps) < pi/2 < 2 pi``), and
    ``(L/a)^k < eps_mach^(-k)  <=>  L < a/eps_mach`` for any ``k > 0``: the exponent ``d/(d-2)`` cancels, so paper
    and exact forms agree (``rotary_dim`` and ``form`` are validated, not used)."""
    f = check_form(form)
    check_rotary_dim(rotary_dim, f)
    em, e, n = check_eps(eps_mach, "eps_mach"), check_eps(eps), check_depth(depth)
    return acos_root(e, n) / em


def relative_gap_lower(paper_bound: float, rotary_dim: int) -> float:
    """``exact/paper`` for a lower bound: ``paper^(2/(d-2))`` (e.g. ``(L/(2 pi))^(2/(d-2))`` for aliasing)."""
    d = check_rotary_dim(rotary_dim, "exact")
    return checked_power(paper_bound, 2.0 / (d - 2))


def relative_gap_precision(eps_mach: float, rotary_dim: int) -> float:
    """``exact/paper`` for the precision wall: ``eps_mach^(-2/(d-2))``."""
    em, d = check_eps(eps_mach, "eps_mach"), check_rotary_dim(rotary_dim, "exact")
    return checked_power(1.0 / em, 2.0 / (d - 2))
