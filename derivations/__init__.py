"""derivations: SymPy derivations of the RoPE base bounds, each step machine-checked (built on ``rope_sym``).

Closed forms (floats): :mod:`derivations.bounds`; the zone calculator: :func:`zone_report`; the derivations
themselves (built lazily): :func:`get_derivation`, :func:`all_derivations`; export: :func:`to_latex`, :func:`to_text`.
"""

from derivations.bounds import (
    DEFAULT_EPS,
    Form,
    aliasing_base,
    dc_stability_base,
    depth_base,
    effective_base,
    eps_mach_of,
    max_context,
    precision_wall_base,
    relative_gap_lower,
    relative_gap_wall,
)
from derivations.catalog import UnknownDerivation, all_derivations
from derivations.catalog import get as get_derivation
from derivations.export import to_latex, to_text
from derivations.model import Derivation, Step
from derivations.zone import zone_report

__all__ = [
    "DEFAULT_EPS", "Derivation", "Form", "Step", "UnknownDerivation", "aliasing_base", "all_derivations",
    "dc_stability_base", "depth_base", "effective_base", "eps_mach_of", "get_derivation", "max_context",
    "precision_wall_base", "relative_gap_lower", "relative_gap_wall", "to_latex", "to_text", "zone_report",
]
