"""rope-sym: the RoPE spectrum and rotation, and exact floating-point formats.

``rope_sym`` knows nothing of ``derivations`` or ``verify``; they build on it. The torch backend
(``TorchRope``, ``torch_erasure_scan``, ``confirm``, ``attention_collisions``) is loaded on first use, so the
core imports without torch; using it without torch raises a ``RopeSymError`` naming the ``torch`` extra.
"""

from typing import Any

from rope_sym import configs, erasure, formats, long_context, models, pipelines, scaling
from rope_sym.configs import ModelRope, from_hf_config
from rope_sym.erasure import ErasureReport, erasure_scan
from rope_sym.errors import InvalidRopeSpec, NotRepresentable, RopeSymError, UnknownFormat
from rope_sym.formats import BF16, E4M3, E5M2, FP16, FP32, FP64, FloatFormat, get_format, oracle_round, round_to
from rope_sym.models import REGISTRY, get_model
from rope_sym.pipelines import PIPELINES, cos_sin, rotate
from rope_sym.rotation import (
    LAYOUTS,
    apply_rope,
    apply_rotation,
    attention_score,
    half_to_interleaved,
    interleaved_to_half,
    interleaved_to_half_permutation,
    permutation_matrix_sym,
    rope_angles,
    rotation_block,
    rotation_matrix_sym,
)
from rope_sym.scaling import RopeConfig, attention_factor, effective_theta_min, inv_freq
from rope_sym.spec import RopeSpec, check_base, check_context, check_head_dim
from rope_sym.spectrum import (
    exact_base,
    frequencies,
    frequencies_exact,
    frequencies_mp,
    frequencies_numpy,
    slowest_wavelength,
    theta_max,
    theta_min,
    theta_min_exact,
    theta_min_paper,
    wavelengths,
    wavelengths_exact,
)

__version__ = "0.1.0"

_TORCH_API = {
    "TorchRope": "rope_sym.torch_pipelines", "resolve_device": "rope_sym.torch_pipelines",
    "torch_erasure_scan": "rope_sym.torch_erasure", "TorchErasureReport": "rope_sym.torch_erasure",
    "confirm": "rope_sym.torch_confirm", "Confirmation": "rope_sym.torch_confirm",
    "attention_collisions": "rope_sym.torch_attention", "AttentionCollisions": "rope_sym.torch_attention",
}


def __getattr__(name: str) -> Any:
    """The torch backend's public names, imported on first access (torch stays optional)."""
    if name in _TORCH_API:
        import importlib

        return getattr(importlib.import_module(_TORCH_API[name]), name)
    raise AttributeError(f"module 'rope_sym' has no attribute {name!r}")


__all__ = [  # the torch names (_TORCH_API) stay out: a star import must work without torch
    "PIPELINES", "REGISTRY", "ErasureReport", "ModelRope", "RopeConfig", "attention_factor", "configs", "cos_sin",
    "effective_theta_min", "erasure", "erasure_scan", "from_hf_config", "get_model", "inv_freq", "long_context",
    "models", "pipelines", "rotate", "scaling",
    "BF16", "E4M3", "E5M2", "FP16", "FP32", "FP64", "LAYOUTS", "FloatFormat", "InvalidRopeSpec",
    "NotRepresentable", "RopeSpec", "RopeSymError", "UnknownFormat", "apply_rope", "apply_rotation",
    "attention_score", "check_base", "check_context", "check_head_dim", "exact_base", "formats", "frequencies",
    "frequencies_exact", "frequencies_mp", "frequencies_numpy", "get_format", "half_to_interleaved",
    "interleaved_to_half", "interleaved_to_half_permutation", "oracle_round", "permutation_matrix_sym",
    "rope_angles", "round_to", "rotation_block", "rotation_matrix_sym", "slowest_wavelength", "theta_max",
    "theta_min", "theta_min_exact", "theta_min_paper", "wavelengths", "wavelengths_exact",
]
