"""Offset invariance: the same real text at positions ``[P, P+n)`` and ``[0, n)``.

RoPE makes every attention score depend on the difference of positions only (``R(m)^T R(n) = R(n-m)``), so in
exact arithmetic a model without absolute positions gives the same next-token distributions wherever the text
starts. In floating point it does not, and this probe measures by how much: for each offset ``P``, the mean
Kullback-Leibler divergence ``KL(p_0 || p_P)`` of the next-token distributions over the ``n`` tokens, and the
fraction whose top-1 token agrees, in one activation dtype through one pipeline (the reference ``[0, n)`` runs in
the same dtype and pipeline, so only the offset differs).

Each row carries the quantities of the laws that predict a break, computed exactly (no model run):

- **position level** (``rope_sym.erasure.laws.stored_position_count``): distinct stored positions in
  ``[P, P+n)`` when positions are held in ``F_pos``; fewer than ``n`` means tokens share a position, and
  relative positions inside the text are lost;
- **phase level**: the largest error of the stored phase ``round(round(m, F_pos) * inv_freq_i, F_phase)`` against
  the exact ``m * theta_i`` over the window and the pairs (``rope_sym.pipelines.emulated.phase_table``): it grows
  like ``P theta_max 2^-p_phase`` and is the mechanism in the code that runs (``freqs = inv_freq @ position_ids``
  in fp32), compared with the half-ulp of the stored ``cos``/``sin`` near 1 (``2^-p_store``): above it, the offset's
  phase error is larger than what storing cos/sin already costs at ``P = 0``;
- **code level** (``rope_sym.erasure.laws.cast_fraction``): pairs whose code stays the same over most steps of the
  window (slow pairs losing single-token resolution).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from rope_sym.erasure.laws import cast_fraction, erased_by_law, stored_position_count
from rope_sym.errors import RopeSymError
from rope_sym.pipelines.emulated import buffer_from_frequencies, phase_table, stored_positions
from rope_sym.pipelines.table import pipeline_formats
from rope_sym.scaling import inv_freq

TEXT = ("The lighthouse keeper climbed the narrow stairs every evening at dusk. He trimmed the wick, polished the "
        "great lens and wrote the weather in a worn leather book: wind from the west, a heavy swell, two fishing "
        "boats returning late. In winter the storms came without warning, and the light had to burn through the "
        "night. His daughter learned the names of the ships from the flags they flew, and she kept a list of every "
        "vessel that passed the point, with the hour and the direction of its course.")
"""The probe's text (written for it): plain narrative English, about 100 tokens."""

DEFAULT_OFFSETS: tuple[int, ...] = (0, 1 << 8, 1 << 10, 1 << 12, 1 << 14, 1 << 16, 1 << 18, 1 << 20, 1 << 22, 1 << 24)
BREAK_TOP1 = 0.9
"""Top-1 agreement below which a row counts as broken (the model says other words)."""


@dataclass(frozen=True)
class OffsetRow:
    """One offset in one dtype and pipeline: the measurement and the laws' quantities (module docstring)."""

    dtype: str
    pipeline: str
    offset: int
    kl: float
    top1: float
    distinct_positions: int
    tokens: int
    phase_error: float
    store_half_ulp: float
    erased_pairs: int
    pairs: int

    @property
    def broken(self) -> bool:
        return self.top1 < BREAK_TOP1

    @property
    def mechanism(self) -> str:
        """The law whose threshold this row crosses first: position, phase, code, or none (``reference`` for the
        offset 0 itself)."""
        if self.offset == 0:
            return "reference"
        if self.distinct_positions < self.tokens:
            return "position"
        if self.phase_error > self.store_half_ulp:
            return "phase"
        if self.erased_pairs:
            return "code"
        return "none"

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "broken": self.broken, "mechanism": self.mechanism}


def law_quantities(frequencies: np.ndarray, dtype: str, pipeline: str, offset: int, tokens: int) -> dict[str, Any]:
    """The position, phase and code-level quantities of a window (exact; see the module docstring)."""
    formats = pipeline_formats(dtype, pipeline)
    positions = np.arange(offset, offset + tokens, dtype=np.float64)
    buffer = buffer_from_frequencies(frequencies, dtype, pipeline)
    held = stored_positions(positions, dtype, pipeline)
    with np.errstate(invalid="ignore", over="ignore"):
        phases = phase_table(held, buffer, formats.phase)
        error = np.abs(phases - np.multiply.outer(positions, np.asarray(frequencies, dtype=np.float64)))
    phase_error = float(np.nanmax(np.where(np.isfinite(error), error, np.inf)))
    fractions = cast_fraction(frequencies, formats.store, offset, offset + max(tokens, 2))
    return {"distinct_positions": stored_position_count(formats.position, offset + tokens, offset),
            "phase_error": phase_error, "store_half_ulp": 2.0 ** -formats.store.precision,
            "erased_pairs": int(np.count_nonzero(erased_by_law(fractions))), "pairs": len(frequencies)}


def _log_softmax(logits: Any) -> np.ndarray:
    x = np.asarray(logits, dtype=np.float64)
    x = x - x.max(axis=-1, keepdims=True)
    return x - np.log(np.exp(x).sum(axis=-1, keepdims=True))


def compare(reference: Any, shifted: Any) -> tuple[float, float]:
    """``(mean KL(p_ref || p_shift), top-1 agreement)`` of two ``(n, vocab)`` logit arrays (float64)."""
    a, b = _log_softmax(reference), _log_softmax(shifted)
    kl = float(np.mean(np.sum(np.exp(a) * (a - b), axis=-1)))
    agree = float(np.mean(a.argmax(-1) == b.argmax(-1)))
    return max(kl, 0.0), agree


def offset_table(model: Any, offsets: Sequence[int] = DEFAULT_OFFSETS, dtypes: Sequence[str] = ("fp32", "bf16"),
                 pipelines: Sequence[str] = ("hf",), tokens: int = 64,
                 progress: Callable[[int], None] | None = None) -> list[OffsetRow]:
    """The offset table of ``model`` (a ``RealModel``) with its own RoPE (module docstring)."""
    if tokens < 2:
        raise RopeSymError(f"tokens must be at least 2, got {tokens}")
    if any(int(p) < 0 for p in offsets):
        raise RopeSymError("offsets must be non-negative")
    ids = model.encode(TEXT, True)
    if len(ids) < tokens:
        ids = (ids * (tokens // len(ids) + 1))
    ids = ids[:tokens]
    own = model.rope_of("full_attention" if "full_attention" in model.rope.layers else None)
    frequencies = np.asarray(inv_freq(own, own.original_max_position_embeddings or model.rope.context or 4096))
    rows = []
    for dtype in dtypes:
        model.to(dtype)
        for pipeline in pipelines:
            model.set_rope(None, pipeline)
            reference = model.logits(ids, np.arange(tokens))
            for offset in sorted({int(p) for p in offsets}):
                shifted = model.logits(ids, np.arange(tokens) + offset) if offset else reference
                kl, top1 = compare(reference, shifted)
                laws = law_quantities(frequencies, dtype, pipeline, offset, tokens)
                rows.append(OffsetRow(dtype, pipeline, offset, kl, top1, tokens=tokens, **laws))
                if progress is not None:
                    progress(1)
    model.to("fp32")
    model.set_rope(None, "hf")
    return rows


def first_breaks(rows: Sequence[OffsetRow]) -> dict[tuple[str, str], OffsetRow | None]:
    """The first broken row (smallest offset) of each (dtype, pipeline), or None."""
    out: dict[tuple[str, str], OffsetRow | None] = {}
    for row in sorted(rows, key=lambda r: r.offset):
        key = (row.dtype, row.pipeline)
        out.setdefault(key, None)
        if out[key] is None and row.broken:
            out[key] = row
    return out
