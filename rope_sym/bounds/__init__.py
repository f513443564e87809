"""Bounds on the RoPE base and the verdicts built on them: closed forms (as derived step by step in
``derivations``), the table of bounds (``BOUNDS``, one name each), the zone calculator, and model verdicts on the
effective (scaled) spectrum, and the extrapolation limit of a trained model (Liu et al.'s critical dimension)."""

from rope_sym.bounds.closed_forms import (
    DEFAULT_EPS,
    acos_root,
    aliasing_base,
    dc_stability_base,
    depth_base,
    eps_mach_of,
    max_context,
    precision_base,
    relative_gap_lower,
    relative_gap_precision,
)
from rope_sym.bounds.extrapolation import (
    critical_dimension,
    critical_pair,
    extrapolation_limit,
    ntk_extrapolation_limit,
)
from rope_sym.bounds.models import VERDICTS, case_study, model_report, resolve_model, slowest_pair
from rope_sym.bounds.table import (
    BOUND_NAMES,
    BOUNDS,
    CLOSED_FORMS,
    LOWER_BOUNDS,
    MAX_CONTEXT_BOUND,
    Bound,
    Setting,
    get_bound,
)
from rope_sym.bounds.zone import summary_line, zone_report

# the validators, and the slowest frequency and its inverse, are the spectrum's: exported here too, for the bounds
from rope_sym.spectrum.spec import FORMS, Form, check_depth, check_eps, check_form, check_rotary_dim
from rope_sym.spectrum.theta import effective_base, theta_min_of

__all__ = [
    "BOUNDS", "BOUND_NAMES", "CLOSED_FORMS", "DEFAULT_EPS", "FORMS", "LOWER_BOUNDS", "MAX_CONTEXT_BOUND", "VERDICTS",
    "Bound", "Form", "Setting", "acos_root", "aliasing_base", "case_study", "check_depth", "check_eps", "check_form",
    "check_rotary_dim", "critical_dimension", "critical_pair", "dc_stability_base", "depth_base", "effective_base",
    "slowest_pair", "eps_mach_of", "extrapolation_limit", "get_bound", "max_context", "model_report",
    "ntk_extrapolation_limit", "precision_base", "relative_gap_lower", "relative_gap_precision",
    "resolve_model", "summary_line", "theta_min_of", "zone_report",
]
