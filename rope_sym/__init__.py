"""rope-sym: the limits of rotary position embeddings (RoPE), derived, checked and confirmed.

The library, one subpackage per link of the chain:

- ``rope_sym.spectrum``: ``RopeSpec`` and input validation, the frequencies ``theta_i = base^(-2i/d)`` (exact,
  mpmath, float64), the rotation in both layouts;
- ``rope_sym.formats``: floating-point formats with exact rounding and the gmpy2 oracle that judges it;
- ``rope_sym.scaling``: context-extension variants (linear, dynamic NTK, YaRN, llama3, LongRoPE, ...);
- ``rope_sym.models``: Hugging Face configs and the registry of real models;
- ``rope_sym.pipelines``: the pipeline table and the bit-exact emulation of each pipeline;
- ``rope_sym.erasure``: the exact erasure scan, one engine over an emulated or a torch backend;
- ``rope_sym.torch_backend``: the pipelines in torch, confirmation, attention collisions (torch optional);
- ``rope_sym.bounds``: closed forms of the bounds, the ``BOUNDS`` table, the zone and model verdicts;
- ``rope_sym.long_context``: score statistics of Du et al. and the base bound of Men et al.

``rope_sym`` knows nothing of ``derivations`` or ``verify``; they build on it. Importing it loads neither SymPy
(loaded when an exact form is asked for) nor torch (the torch names below load on first use; without torch they
raise a ``RopeSymError`` naming the ``torch`` extra).
"""

from typing import Any

from rope_sym import bounds, erasure, formats, long_context, models, pipelines, scaling, spectrum
from rope_sym.bounds import BOUNDS, model_report, zone_report
from rope_sym.bounds.notebook import Report, model, zone
from rope_sym.erasure import ErasureReport, erasure_scan
from rope_sym.errors import InvalidRopeSpec, NotRepresentable, RopeSymError, UnknownFormat
from rope_sym.formats import BF16, E4M3, E5M2, FP16, FP32, FP64, FloatFormat, get_format, oracle_round, round_to
from rope_sym.models import REGISTRY, ModelRope, from_hf_config, get_model
from rope_sym.pipelines import PIPELINES, cos_sin, rotate
from rope_sym.scaling import RopeConfig, attention_factor, effective_theta_min, inv_freq
from rope_sym.spectrum import (
    LAYOUTS,
    RopeSpec,
    apply_rope,
    apply_rotation,
    attention_score,
    check_base,
    check_context,
    check_head_dim,
    exact_base,
    frequencies,
    frequencies_exact,
    frequencies_mp,
    frequencies_numpy,
    half_to_interleaved,
    interleaved_to_half,
    interleaved_to_half_permutation,
    permutation_matrix_sym,
    rope_angles,
    rotation_block,
    rotation_matrix_sym,
    slowest_wavelength,
    theta_max,
    theta_min,
    theta_min_exact,
    theta_min_paper,
    wavelengths,
    wavelengths_exact,
)

__version__ = "0.1.0"

TORCH_NAMES: tuple[str, ...] = (
    "AttentionCollisions", "Confirmation", "TorchBackend", "TorchRope", "attention_collisions", "confirm",
    "resolve_device", "torch_erasure_scan",
)
"""Names of ``rope_sym.torch_backend`` also reachable as ``rope_sym.NAME`` (imported on first access)."""


def __getattr__(name: str) -> Any:
    """The torch backend's public names, imported on first access (torch stays optional)."""
    if name in TORCH_NAMES or name == "torch_backend":
        import importlib

        backend = importlib.import_module("rope_sym.torch_backend")
        return backend if name == "torch_backend" else getattr(backend, name)
    raise AttributeError(f"module 'rope_sym' has no attribute {name!r}")


__all__ = [  # the torch names stay out: a star import must work without torch
    "BF16", "BOUNDS", "Report", "model", "zone",
    "E4M3", "E5M2", "FP16", "FP32", "FP64", "LAYOUTS", "PIPELINES", "REGISTRY", "ErasureReport",
    "FloatFormat", "InvalidRopeSpec", "ModelRope", "NotRepresentable", "RopeConfig", "RopeSpec", "RopeSymError",
    "UnknownFormat", "apply_rope", "apply_rotation", "attention_factor", "attention_score", "bounds", "check_base",
    "check_context", "check_head_dim", "cos_sin", "effective_theta_min", "erasure", "erasure_scan", "exact_base",
    "formats", "frequencies", "frequencies_exact", "frequencies_mp", "frequencies_numpy", "from_hf_config",
    "get_format", "get_model", "half_to_interleaved", "interleaved_to_half", "interleaved_to_half_permutation",
    "inv_freq", "long_context", "model_report", "models", "oracle_round", "permutation_matrix_sym", "pipelines",
    "rope_angles", "rotate", "rotation_block", "rotation_matrix_sym", "round_to", "scaling", "slowest_wavelength",
    "spectrum", "theta_max", "theta_min", "theta_min_exact", "theta_min_paper", "wavelengths",
    "wavelengths_exact", "zone_report",
]
