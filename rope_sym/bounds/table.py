"""The bounds on the RoPE base, one record each: the single list that the zone, the model verdicts, the
recommendations, the checks, the LaTeX export and the claims iterate over. Adding a bound is one record here and
its derivation (``derivations/<record.derivation>.py``).

A record holds the bound's ``name`` (the one name it has everywhere: JSON key, table row, check), its ``side``,
the condition in words, the closed form in paper and exact form (text, and ``base_of``), the condition in mpmath
(``holds_at``) with a continuous ``margin`` (positive where it holds), the derivation that proves it, and which
fields of the :class:`Setting` it reads.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import mpmath

from rope_sym.bounds import closed_forms as cf
from rope_sym.bounds.conditions import depth_ok, for_all_positions, theta_of
from rope_sym.spectrum.spec import check_context, check_depth, check_eps, check_rotary_dim


@dataclass(frozen=True)
class Setting:
    """What a bound may depend on: context ``L``, rotary dim ``d``, coherence ``eps``, depth ``N`` and the phase
    format's ``eps_mach``; ``depth_phase = arccos(eps^(1/N))`` is derived from them (the slowest pair's phase at
    the depth bound). Build one from user input with :meth:`Setting.of`, which validates each number where it enters
    (one-line errors); the records evaluate on it (their closed forms keep their own checks, for direct callers)."""

    context: float
    rotary_dim: int
    eps: float
    depth: int
    eps_mach: float

    @cached_property
    def depth_phase(self) -> float:
        """``arccos(eps^(1/N))``, computed when first read (a setting built for a bound that reads no eps needs
        none)."""
        return cf.acos_root(self.eps, self.depth)

    @classmethod
    def of(cls, context: object, rotary_dim: object, eps: object, depth: object, eps_mach: object) -> Setting:
        """The setting of user-given numbers, each validated (one-line ``InvalidRopeSpec`` naming the bad one)."""
        return cls(check_context(context), check_rotary_dim(rotary_dim, "exact"), check_eps(eps),
                   check_depth(depth), check_eps(eps_mach, "eps_mach"))


Condition = Callable[[Any, Setting, str, bool], tuple[bool, str]]
Margin = Callable[[Any, Setting, str], Any]


@dataclass(frozen=True)
class Bound:
    """One bound: ``name``, ``side`` (``lower``: the value must reach it; ``upper``: stay below it), ``strict``
    (``>``/``<`` rather than ``>=``), a short ``label`` for narrow tables, the ``condition`` in words, the closed
    form as text (``paper``, ``exact``) and as a function ``base_of(setting, form)``; ``holds_at(x, setting,
    form, brute)``: the condition at value ``x`` in mpmath, with how its position quantifier was evaluated;
    ``margin(x, setting, form)``: continuous, positive where it holds; ``derivation``: the catalog name of its
    derivation; ``reads``: the :class:`Setting` fields it depends on; ``variable``: what it bounds (the base,
    or the context for ``max_context``)."""

    name: str
    side: str
    strict: bool
    label: str
    condition: str
    paper: str
    exact: str
    base_of: Callable[[Setting, cf.Form], float]
    holds_at: Condition
    margin: Margin
    derivation: str
    reads: tuple[str, ...]
    variable: str = "base"

    def holds(self, value: float, bound: float) -> bool:
        """Whether ``value`` satisfies this bound at ``bound``."""
        if self.side == "lower":
            return value > bound if self.strict else value >= bound
        return value < bound if self.strict else value <= bound

    def key(self, setting: Setting) -> tuple[Any, ...]:
        """The setting's fields this bound reads (settings with equal keys give equal bounds)."""
        return tuple(getattr(setting, field) for field in self.reads)


def _phase(x: Any, s: Setting, form: str) -> Any:
    return mpmath.mpf(s.context) * theta_of(x, s.rotary_dim, form)


def _cos_margin(power: Callable[[Setting], int]) -> Margin:
    return lambda x, s, form: mpmath.cos(_phase(x, s, form)) ** power(s) - mpmath.mpf(s.eps)


BOUNDS: tuple[Bound, ...] = (
    Bound("aliasing", "lower", True, "alias", "L * theta_min < 2 pi", "L/(2 pi)", "(L/(2 pi))^(d/(d-2))",
          lambda s, f: cf.aliasing_base(s.context, s.rotary_dim, form=f),
          lambda x, s, form, brute: (bool(_phase(x, s, form) < 2 * mpmath.pi), "monotonicity"),
          lambda x, s, form: 2 * mpmath.pi - _phase(x, s, form),
          "aliasing", ("context", "rotary_dim")),
    Bound("dc_stability", "lower", False, "dc", "cos(L * theta_min) >= eps", "L/arccos(eps)",
          "(L/arccos(eps))^(d/(d-2))",
          lambda s, f: cf.dc_stability_base(s.context, s.rotary_dim, s.eps, form=f),
          lambda x, s, form, brute: for_all_positions(mpmath.mpf(s.context), theta_of(x, s.rotary_dim, form),
                                                      lambda phase: mpmath.cos(phase) >= mpmath.mpf(s.eps), brute),
          _cos_margin(lambda s: 1),
          "dc_stability", ("context", "rotary_dim", "eps")),
    Bound("depth", "lower", False, "depth", "cos(L * theta_min)^N >= eps", "L/arccos(eps^(1/N))",
          "(L/arccos(eps^(1/N)))^(d/(d-2))",
          lambda s, f: cf.depth_base(s.context, s.rotary_dim, s.eps, s.depth, form=f),
          lambda x, s, form, brute: depth_ok(mpmath.mpf(s.context), theta_of(x, s.rotary_dim, form),
                                             mpmath.mpf(s.eps), s.depth, brute),
          _cos_margin(lambda s: s.depth),
          "depth", ("context", "rotary_dim", "eps", "depth")),
    Bound("precision", "upper", True, "precision", "theta_min > eps_mach", "1/eps_mach", "eps_mach^(-d/(d-2))",
          lambda s, f: cf.precision_base(s.eps_mach, s.rotary_dim, form=f),
          lambda x, s, form, brute: (bool(theta_of(x, s.rotary_dim, form) > mpmath.mpf(s.eps_mach)), "direct"),
          lambda x, s, form: theta_of(x, s.rotary_dim, form) - mpmath.mpf(s.eps_mach),
          "precision", ("rotary_dim", "eps_mach")),
)
"""Every bound on the base, lower bounds first (the order of the reports)."""

MAX_CONTEXT_BOUND = Bound(
    "max_context", "upper", True, "L_max", "cos(L * eps_mach)^N >= eps",
    "arccos(eps^(1/N))/eps_mach", "arccos(eps^(1/N))/eps_mach",
    lambda s, f: cf.max_context(s.eps_mach, s.eps, s.depth, s.rotary_dim, form=f),
    lambda x, s, form, brute: depth_ok(x, mpmath.mpf(s.eps_mach), mpmath.mpf(s.eps), s.depth, False),
    lambda x, s, form: mpmath.cos(x * mpmath.mpf(s.eps_mach)) ** s.depth - mpmath.mpf(s.eps),
    "zone", ("rotary_dim", "eps", "depth", "eps_mach"), variable="context")
"""The zone's maximum context: a bound on the context (where the depth bound meets the precision wall)."""

CLOSED_FORMS: tuple[Bound, ...] = (*BOUNDS, MAX_CONTEXT_BOUND)
"""Every closed form the checks hold to its condition."""

BOUND_NAMES: tuple[str, ...] = tuple(b.name for b in BOUNDS)
LOWER_BOUNDS: tuple[str, ...] = tuple(b.name for b in BOUNDS if b.side == "lower")


def get_bound(name: str) -> Bound:
    """The bound called ``name`` (``max_context`` included)."""
    for bound in CLOSED_FORMS:
        if bound.name == name:
            return bound
    raise cf.InvalidRopeSpec(f"unknown bound {name!r} (known: {', '.join(b.name for b in CLOSED_FORMS)})")
