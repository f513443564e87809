"""All derivations by name, built lazily (SymPy work happens on first use, then is cached)."""

from __future__ import annotations

import importlib

from derivations.kernel import Derivation
from rope_sym.errors import RopeSymError

#: Derivation name -> module (its ``derivation()``), or ``module:function`` (in the issue's order).
MODULES: dict[str, str] = {
    "relative_position": "derivations.relative_position",
    "aliasing": "derivations.aliasing",
    "dc_stability": "derivations.dc_stability",
    "depth": "derivations.depth",
    "precision": "derivations.precision",
    "zone": "derivations.zone",
    "retrofits": "derivations.retrofits",
    "cast_wall": "derivations.erasure_laws:cast_wall",
    "slow_pairs": "derivations.erasure_laws:slow_pairs",
    "position_merges": "derivations.erasure_laws:position_merges",
    "extrapolation": "derivations.extrapolation:critical_dimension",
    "extrapolation_retrofits": "derivations.extrapolation:retrofit_limits",
}


class UnknownDerivation(RopeSymError):
    """A derivation name is not known."""


def get(name: str) -> Derivation:
    """The derivation called ``name`` (built on first call)."""
    if name not in MODULES:
        raise UnknownDerivation(f"unknown derivation {name!r} (known: {', '.join(MODULES)})")
    module, _, function = MODULES[name].partition(":")
    derivation: Derivation = getattr(importlib.import_module(module), function or "derivation")()
    return derivation


def all_derivations() -> list[Derivation]:
    """Every derivation, in order."""
    return [get(name) for name in MODULES]
