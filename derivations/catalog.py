"""All derivations by name, built lazily (SymPy work happens on first use, then is cached)."""

from __future__ import annotations

import importlib

from derivations.model import Derivation
from rope_sym.errors import RopeSymError

#: Derivation name -> module (in the issue's order).
MODULES: dict[str, str] = {
    "relative_position": "derivations.relative_position",
    "aliasing": "derivations.aliasing",
    "dc_stability": "derivations.dc_stability",
    "depth": "derivations.depth",
    "precision": "derivations.precision",
    "zone": "derivations.zone",
    "retrofits": "derivations.retrofits",
}


class UnknownDerivation(RopeSymError):
    """A derivation name is not known."""


def get(name: str) -> Derivation:
    """The derivation called ``name`` (built on first call)."""
    if name not in MODULES:
        raise UnknownDerivation(f"unknown derivation {name!r} (known: {', '.join(MODULES)})")
    derivation: Derivation = importlib.import_module(MODULES[name]).derivation()
    return derivation


def all_derivations() -> list[Derivation]:
    """Every derivation, in order."""
    return [get(name) for name in MODULES]
