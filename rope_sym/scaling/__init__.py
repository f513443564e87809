"""Context-extension scaling: ``RopeConfig`` (validated in one place) and one function per rope type
(``VARIANTS``, a dispatch table), giving the effective spectrum and attention factor."""

from rope_sym.scaling.config import REQUIRED_KEYS, ROPE_TYPES, InvalidRopeConfig, RopeConfig
from rope_sym.scaling.variants import (
    VARIANTS,
    Variant,
    attention_factor,
    default_inv_freq,
    effective_theta_min,
    inv_freq,
    longrope_factor,
    rotating_frequencies,
    yarn_correction_range,
)

__all__ = [
    "REQUIRED_KEYS", "ROPE_TYPES", "VARIANTS", "InvalidRopeConfig", "RopeConfig", "Variant", "attention_factor",
    "default_inv_freq", "effective_theta_min", "inv_freq", "longrope_factor", "rotating_frequencies",
    "yarn_correction_range",
]
