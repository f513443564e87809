"""The RoPE description and its spectrum: ``RopeSpec`` and input validation, the frequencies
``theta_i = base^(-2i/d)`` (exact, mpmath, float64) and the rotation in both memory layouts."""

from rope_sym.spectrum.rotation import (
    COMPLEX_LAYOUT,
    DEFAULT_LAYOUT,
    LAYOUTS,
    Layout,
    apply_rope,
    apply_rotation,
    attention_score,
    check_layout,
    half_to_interleaved,
    interleaved_to_half,
    interleaved_to_half_permutation,
    pair_dims,
    permutation_matrix_sym,
    rope_angles,
    rotation_block,
    rotation_matrix_sym,
)
from rope_sym.spectrum.spec import (
    FORMS,
    MAX_DEPTH,
    Form,
    RopeSpec,
    check_base,
    check_context,
    check_depth,
    check_eps,
    check_form,
    check_head_dim,
    check_rotary_dim,
)
from rope_sym.spectrum.theta import (
    effective_base,
    exact_base,
    frequencies,
    frequencies_exact,
    frequencies_mp,
    frequencies_numpy,
    slowest_wavelength,
    theta_max,
    theta_min,
    theta_min_exact,
    theta_min_of,
    theta_min_paper,
    wavelengths,
    wavelengths_exact,
)

__all__ = [
    "COMPLEX_LAYOUT", "DEFAULT_LAYOUT", "FORMS", "LAYOUTS", "MAX_DEPTH", "Form", "Layout", "RopeSpec", "apply_rope",
    "apply_rotation", "attention_score", "check_base", "check_depth", "check_eps", "check_form", "check_rotary_dim",
    "check_context", "check_head_dim", "check_layout", "effective_base", "exact_base", "frequencies",
    "frequencies_exact",
    "frequencies_mp", "frequencies_numpy", "half_to_interleaved", "interleaved_to_half",
    "interleaved_to_half_permutation", "pair_dims", "permutation_matrix_sym", "rope_angles", "rotation_block",
    "rotation_matrix_sym", "slowest_wavelength", "theta_max", "theta_min", "theta_min_exact", "theta_min_of",
    "theta_min_paper",
    "wavelengths", "wavelengths_exact",
]
