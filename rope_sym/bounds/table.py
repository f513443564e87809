"""The bounds on the RoPE base, one row each: the single list that the zone, the model verdicts, the checks and
the export iterate over."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from rope_sym.bounds import closed_forms as cf


@dataclass(frozen=True)
class Setting:
    """What a bound may depend on: context ``L``, rotary dim ``d``, coherence ``eps``, depth ``N`` and the phase
    format's ``eps_mach``."""

    context: float
    head_dim: int
    eps: float
    depth: int
    eps_mach: float


@dataclass(frozen=True)
class Bound:
    """One bound: ``name`` (the one name it has everywhere), ``side`` (``lower``: the base must reach it;
    ``upper``: stay below it), ``strict`` (``>``/``<`` rather than ``>=``), a short ``label`` for narrow tables,
    the ``condition`` it encodes, and its closed form ``base_of(setting, form)``."""

    name: str
    side: str
    strict: bool
    label: str
    condition: str
    base_of: Callable[[Setting, cf.Form], float]

    def holds(self, base: float, bound: float) -> bool:
        """Whether ``base`` satisfies this bound at value ``bound``."""
        if self.side == "lower":
            return base > bound if self.strict else base >= bound
        return base < bound if self.strict else base <= bound


BOUNDS: tuple[Bound, ...] = (
    Bound("aliasing", "lower", True, "alias", "L * theta_min < 2 pi",
          lambda s, f: cf.aliasing_base(s.context, s.head_dim, form=f)),
    Bound("dc_stability", "lower", False, "dc", "cos(L * theta_min) >= eps",
          lambda s, f: cf.dc_stability_base(s.context, s.head_dim, s.eps, form=f)),
    Bound("depth", "lower", False, "depth", "cos(L * theta_min)^N >= eps",
          lambda s, f: cf.depth_base(s.context, s.head_dim, s.eps, s.depth, form=f)),
    Bound("precision", "upper", True, "prec", "theta_min > eps_mach",
          lambda s, f: cf.precision_wall_base(s.eps_mach, s.head_dim, form=f)),
)
"""Every bound, lower bounds first (the order of the reports)."""

BOUND_NAMES: tuple[str, ...] = tuple(b.name for b in BOUNDS)
LOWER_BOUNDS: tuple[str, ...] = tuple(b.name for b in BOUNDS if b.side == "lower")


def get_bound(name: str) -> Bound:
    """The bound called ``name``."""
    for bound in BOUNDS:
        if bound.name == name:
            return bound
    raise cf.InvalidRopeSpec(f"unknown bound {name!r} (known: {', '.join(BOUND_NAMES)})")
