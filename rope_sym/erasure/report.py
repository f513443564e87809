"""The erasure report: one dataclass for every backend, assembled from a scan's raw counts in one place."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from rope_sym.erasure.codes import Classes
from rope_sym.erasure.thresholds import ERASED_FRACTION, wall_theta
from rope_sym.pipelines.table import PipelineFormats
from rope_sym.spectrum.spec import RopeSpec
from rope_sym.spectrum.theta import frequencies as frequencies_of


@dataclass
class ErasureReport:
    """Erasure figures of one pipeline over positions ``0 .. context-1`` (see ``rope_sym.erasure``), and where and
    how they were measured (``backend``, ``device``, ``torch_version``, ``autocast``, ``scan_seconds``)."""

    base: float
    head_dim: int
    rotary_dim: int
    context: int
    pipeline: str
    dtype: str
    phase_format: str
    distinct_positions: int
    first_collision: int | None
    distinct_stored_positions: int
    nonfinite_positions: int
    first_nonfinite: int | None
    adjacent_erasure: list[float]
    erased_pairs: int
    wall_theta: float | None
    predicted_wall_theta: float
    wall_ratio: float | None
    law_wall_theta: float
    law_wall_ratio: float | None
    phase_eps: float
    phase_wall_ratio: float | None
    erased_are_slowest: bool
    frequencies: list[float]
    resolution: dict[int, list[int | None]]
    resolution_limit: int
    distinct_rotated: int | None = None
    first_rotated_collision: int | None = None
    window: list[int] = field(default_factory=list)
    rotated_adjacent_erasure: list[float] | None = None
    rotated_erased_pairs: int | None = None
    oracle_decided: int = 0
    hash_collisions: int = 0
    backend: str = "emulated"
    device: str = "cpu (numpy)"
    torch_version: str | None = None
    autocast: bool = False
    scan_seconds: float = 0.0
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """Plain data (JSON-ready except for non-finite floats, which ``verify.report.to_json`` handles)."""
        d = asdict(self)
        d["resolution"] = {str(k): v for k, v in self.resolution.items()}
        return d


def erased_mask(adjacent_erasure: Any) -> NDArray[np.bool_]:
    """Pairs whose adjacent erasure is above ``ERASED_FRACTION`` (strictly)."""
    return np.asarray(adjacent_erasure, dtype=np.float64) > ERASED_FRACTION


def assemble_report(spec: RopeSpec, context: int, fmts: PipelineFormats, same_steps: NDArray[np.int64],
                    codes: Classes, rotated: Classes | None, *, window: tuple[int, int] | None = None,
                    rotated_same_steps: NDArray[np.int64] | None = None,
                    frequencies: NDArray[np.float64] | None = None, distinct_stored: int, nonfinite: int,
                    first_nonfinite: int | None, resolution: dict[int, list[int | None]], resolution_limit: int,
                    **measured: Any) -> ErasureReport:
    """The report from a scan's raw counts.

    ``same_steps[i]``: one-token steps ``m -> m+1`` inside the window (``start <= m``, ``m + 1 < end``; default the
    whole context) that leave pair ``i``'s code unchanged; ``adjacent_erasure[i] = same_steps[i] / (end - start -
    1)``, and the same for the rotated vector from ``rotated_same_steps``; a pair is erased above
    ``ERASED_FRACTION``, and the wall is the largest erased ``theta_i``, set against ``eps_mach`` of the stored
    format (and of the phase format). ``measured``: the backend's fields (``backend``, ``device``, ...).
    """
    L, n = context, spec.n_pairs
    start, end = (0, L) if window is None else window
    erasure = (np.asarray(same_steps) / (end - start - 1)).tolist()
    rotated_erasure = None if rotated_same_steps is None else (
        np.asarray(rotated_same_steps) / (end - start - 1)).tolist()
    frequencies = frequencies_of(spec) if frequencies is None else np.asarray(frequencies, dtype=np.float64)
    erased = erased_mask(erasure)
    wall = float(frequencies[erased].max()) if erased.any() else None
    predicted = fmts.store.eps
    law_wall = wall_theta(fmts.store)
    n_erased = int(erased.sum())
    report = ErasureReport(
        base=spec.base, head_dim=spec.head_dim, rotary_dim=spec.rotary_dim, context=L, pipeline=fmts.pipeline,
        dtype=fmts.store.name, phase_format=fmts.phase.name,
        distinct_positions=codes.count, first_collision=codes.first_collision,
        distinct_stored_positions=distinct_stored, nonfinite_positions=nonfinite,
        first_nonfinite=first_nonfinite, adjacent_erasure=erasure, erased_pairs=n_erased, wall_theta=wall,
        predicted_wall_theta=predicted, wall_ratio=None if wall is None else wall / predicted,
        law_wall_theta=law_wall, law_wall_ratio=None if wall is None else wall / law_wall,
        phase_eps=fmts.phase.eps, phase_wall_ratio=None if wall is None else wall / fmts.phase.eps,
        erased_are_slowest=bool(np.all(erased[n - n_erased:])) if n_erased else True,
        frequencies=frequencies.tolist(), resolution=resolution, resolution_limit=resolution_limit,
        distinct_rotated=None if rotated is None else rotated.count,
        first_rotated_collision=None if rotated is None else rotated.first_collision,
        hash_collisions=codes.hash_collisions + (rotated.hash_collisions if rotated else 0),
        window=[start, end], rotated_adjacent_erasure=rotated_erasure,
        rotated_erased_pairs=None if rotated_erasure is None else int(erased_mask(rotated_erasure).sum()),
        **measured,
    )
    report.notes = _notes(fmts, report)
    return report


def _notes(fmts: PipelineFormats, report: ErasureReport) -> list[str]:
    notes = []
    if report.nonfinite_positions:
        notes.append(f"{report.nonfinite_positions} positions from {report.first_nonfinite} on are not finite in "
                     f"the pipeline (fp16 positions >= 65520 round to inf): their codes are NaN, counted as one")
    if fmts.phase is not fmts.store:
        notes.append(f"phases and cos/sin are computed in {fmts.phase.name}, then stored in {fmts.store.name}")
    return notes
