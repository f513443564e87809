"""RoPE as real code computes it: the pipeline table (which format each step uses) and the bit-exact emulation
of each pipeline (every step one correct rounding)."""

from rope_sym.pipelines.emulated import (
    MIDPOINT_GUARD_ULPS,
    angles,
    correctly_rounded,
    cos_sin,
    cos_sin_with_stats,
    inv_freq,
    model_inv_freq,
    near_midpoint,
    phase_cos_sin,
    phase_table,
    rotate,
    rotate_with,
    stored_positions,
)
from rope_sym.pipelines.table import (
    DTYPES,
    PIPELINE_TABLE,
    PIPELINES,
    PipelineFormats,
    check_dtype,
    check_pipeline,
    pipeline_formats,
)

__all__ = [
    "DTYPES", "MIDPOINT_GUARD_ULPS", "PIPELINES", "PIPELINE_TABLE", "PipelineFormats", "angles", "check_dtype",
    "check_pipeline", "correctly_rounded", "cos_sin", "cos_sin_with_stats", "inv_freq", "model_inv_freq",
    "near_midpoint", "phase_cos_sin", "phase_table", "pipeline_formats", "rotate", "rotate_with",
    "stored_positions",
]
