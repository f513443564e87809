"""The pipeline table: in which format each step of a RoPE pipeline computes, as data both backends read.

A pipeline turns positions ``m`` into stored ``cos(m theta_i)``, ``sin(m theta_i)`` through four formats:
``F_inv`` (the ``inv_freq`` buffer), ``F_pos`` (positions), ``F_phase`` (the product ``m * inv_freq`` and its
cos/sin) and ``F_store`` (the cast to the activation dtype). ``"dtype"`` in the table stands for the activation
dtype. See ``rope_sym.pipelines.emulated`` for the code each row describes.
"""

from __future__ import annotations

from dataclasses import dataclass

from rope_sym.errors import InvalidRopeSpec
from rope_sym.formats import FORMATS, FloatFormat, get_format

PIPELINE_TABLE: dict[str, tuple[str, str, str, str]] = {
    #               F_inv    F_pos    F_phase  F_store
    "hf":           ("fp32", "fp32", "fp32", "dtype"),
    "native":       ("dtype", "dtype", "dtype", "dtype"),
    "invfreq-cast": ("dtype", "fp32", "fp32", "dtype"),
    "fp64":         ("fp64", "fp64", "fp64", "fp64"),
}
"""Step formats per pipeline (``fp64`` ignores the dtype: it is the float64 reference)."""

PIPELINES: tuple[str, ...] = tuple(PIPELINE_TABLE)
"""The emulated pipelines."""

DTYPES: tuple[str, ...] = ("fp16", "bf16", "fp32", "fp64")
"""Activation dtypes a pipeline can store cos/sin in (``fp64`` only makes the final cast exact)."""


@dataclass(frozen=True)
class PipelineFormats:
    """The formats of one pipeline's steps (``F_inv``, ``F_pos``, ``F_phase``, ``F_store`` of the table)."""

    pipeline: str
    dtype: FloatFormat
    inv_freq: FloatFormat
    position: FloatFormat
    phase: FloatFormat
    store: FloatFormat


def check_pipeline(pipeline: object) -> str:
    """``pipeline`` if it is one of ``PIPELINES``, else ``InvalidRopeSpec``."""
    if pipeline not in PIPELINE_TABLE:
        raise InvalidRopeSpec(f"unknown pipeline {pipeline!r} (known: {', '.join(PIPELINES)})")
    return str(pipeline)


def check_dtype(dtype: object) -> FloatFormat:
    """The activation format named ``dtype`` (fp16, bf16, fp32 or fp64, aliases accepted)."""
    if not isinstance(dtype, (str, FloatFormat)):
        raise InvalidRopeSpec(f"dtype must be a format name, got {dtype!r}")
    try:
        fmt = get_format(dtype)
    except ValueError:
        raise InvalidRopeSpec(f"unknown dtype {dtype!r} (known: {', '.join(DTYPES)})") from None
    if fmt.name not in DTYPES:
        raise InvalidRopeSpec(f"dtype {fmt.name!r} is not an activation dtype (known: {', '.join(DTYPES)})")
    return fmt


def pipeline_formats(dtype: object, pipeline: object) -> PipelineFormats:
    """The step formats of ``pipeline`` for activation ``dtype``.

    >>> f = pipeline_formats("bf16", "hf")
    >>> f.position.name, f.phase.name, f.store.name
    ('fp32', 'fp32', 'bf16')
    """
    fmt, name = check_dtype(dtype), check_pipeline(pipeline)
    row = PIPELINE_TABLE[name]
    inv, pos, phase, store = (fmt if step == "dtype" else FORMATS[step] for step in row)  # the table's own names
    return PipelineFormats(name, FORMATS["fp64"] if name == "fp64" else fmt, inv, pos, phase, store)
