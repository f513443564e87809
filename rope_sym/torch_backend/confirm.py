"""Confirmation: torch's tensors against the exact emulation, value by value and stage by stage.

For every position scanned, each stage of the pipeline is compared two ways:

- **end to end**: torch's value against the emulated pipeline's (``rope_sym.pipelines``, every step one correct
  rounding);
- **local**: torch's value against the emulation of *this stage alone* applied to torch's own inputs to it.
  A local mismatch is the stage's own doing; an end-to-end mismatch without one was inherited upstream.

The stages and what a local mismatch there means (``MISMATCH_CAUSES``): ``inv_freq`` (torch's ``pow`` is not
correctly rounded), ``positions`` (torch's ``arange`` in bf16/fp16 does not round to nearest), ``angles`` (a
product not correctly rounded, e.g. a TF32 matmul), ``cos/sin (phase)`` (torch's cos/sin are not correctly
rounded: CPU SLEEF and CUDA libdevice are accurate to about 1-2 ulp), ``cos/sin (stored)`` (a cast that is not
round-to-nearest-even) and ``rotated`` (eager arithmetic not correctly rounded).

Then both backends scan the same positions for erasure (``erasure_scan`` with each backend) and their
figures are compared against a **mismatch budget** derived from the mismatched codes: with ``D`` the positions
whose stored code differs and ``D_i`` those differing in pair ``i``, changing one position's code changes the
number of distinct codes by at most one, so ``|distinct_torch - distinct_emulated| <= |D|``; each differing value
touches at most two one-token steps, so ``|same_steps_i,torch - same_steps_i,emulated| <= 2 |D_i|``, and a pair's
erased status may differ only where its erasure lies within that budget of the threshold; the wall frequency is
then that of the erased set. The rotated-query count has the budget of the rotated rows that differ.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from rope_sym.erasure import ERASED_FRACTION, ErasureReport, check_scan_context, default_query, erasure_scan
from rope_sym.formats import FloatFormat, get_format
from rope_sym.formats.rounding import round_to
from rope_sym.pipelines import (
    PipelineFormats,
    inv_freq,
    model_inv_freq,
    phase_cos_sin,
    phase_table,
    rotate_with,
    stored_positions,
)
from rope_sym.spectrum.spec import RopeSpec
from rope_sym.torch_backend.erasure import torch_erasure_scan
from rope_sym.torch_backend.pipelines import TorchRope
from rope_sym.torch_backend.runtime import device_name, to_host, torch

Array = np.ndarray

CONFIRM_BLOCK = 1 << 12
"""Positions compared per block (every stage of a block is copied to the host)."""

STAGES: tuple[str, ...] = ("inv_freq", "positions", "angles", "cos/sin (phase)", "cos/sin (stored)",
                           "rotated (half)", "rotated (interleaved)")

MISMATCH_CAUSES: dict[str, str] = {
    "inv_freq": "torch's pow is not correctly rounded (one ulp off on some exponents); in fp64 the emulated "
                "reference is the correctly rounded theta_i, which the model's three-rounding chain misses "
                "end to end",
    "positions": "torch's arange in a 16-bit dtype does not round each position to nearest (CPU: a per-vector "
                 "base is rounded, then lane offsets are added)",
    "angles": "the product inv_freq * position is not correctly rounded (a TF32 or reduced-precision matmul)",
    "cos/sin (phase)": "torch's cos/sin are not correctly rounded (accurate to about 1-2 ulp); the emulation "
                       "rounds the exact value once (fp64: numpy's libm, not proven correctly rounded either)",
    "cos/sin (stored)": "the cast to the activation dtype is not round-to-nearest-even",
    "rotated (half)": "the eager multiply/add is not correctly rounded in the activation dtype",
    "rotated (interleaved)": "the eager multiply/add is not correctly rounded in the activation dtype",
}

FIGURES: tuple[str, ...] = ("distinct_positions", "distinct_stored_positions", "erased_pairs", "wall_theta",
                            "distinct_rotated", "first_collision", "nonfinite_positions")


@dataclass
class StageComparison:
    """One stage's mismatches: ``end_to_end`` against the emulated pipeline, ``local`` against this stage's
    emulation on torch's own inputs, the largest local distance in ulps of ``format``, and the cause."""

    stage: str
    format: str
    compared: int = 0
    end_to_end: int = 0
    local: int = 0
    max_local_ulps: float = 0.0
    cause: str = ""


@dataclass
class FigureComparison:
    """One erasure figure from both backends, the budget its difference must stay within, and whether it does."""

    figure: str
    emulated: Any
    torch: Any
    budget: int | str
    agree: bool


@dataclass
class Confirmation:
    """Torch against the emulation for one setting: stage mismatches and erasure figures (module docstring)."""

    base: float
    head_dim: int
    context: int
    dtype: str
    pipeline: str
    device: str
    backend: str
    torch_version: str
    autocast: bool
    stages: list[StageComparison]
    mismatched_positions: int
    mismatched_per_pair: list[int]
    mismatched_rotated_rows: int
    figures: list[FigureComparison]
    agree: bool
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """Plain data for JSON."""
        return asdict(self)


def ulp_distance(a: Array, b: Array, fmt: FloatFormat) -> Array:
    """``|a - b|`` in ulps of ``fmt`` at the larger magnitude (``inf`` where exactly one is not finite)."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    big = np.maximum(np.abs(a), np.abs(b))
    with np.errstate(divide="ignore", invalid="ignore"):
        _, e = np.frexp(big)
        quantum = np.ldexp(1.0, np.maximum(e - 1, fmt.emin) - fmt.precision + 1)
        d = np.abs(a - b) / quantum
    both_nan = np.isnan(a) & np.isnan(b)
    return np.where(both_nan | (a == b), 0.0, np.where(np.isnan(d), np.inf, d))


def _differs(a: Array, b: Array) -> Array:
    """Values that differ (``-0.0 == 0.0``; NaN equals NaN)."""
    return ~((a == b) | (np.isnan(a) & np.isnan(b)))


class _Tally:
    """Accumulates one stage's counts over blocks."""

    def __init__(self, stage: str, fmt: FloatFormat) -> None:
        self.result = StageComparison(stage, fmt.name, cause=MISMATCH_CAUSES[stage])
        self.fmt = fmt

    def add(self, got: Array, emulated: Array, local: Array) -> None:
        r = self.result
        r.compared += got.size
        r.end_to_end += int(np.count_nonzero(_differs(got, emulated)))
        bad = _differs(got, local)
        r.local += int(np.count_nonzero(bad))
        if bad.any():
            r.max_local_ulps = max(r.max_local_ulps, float(ulp_distance(got[bad], local[bad], self.fmt).max()))


def _stored(values: Array, fmts: PipelineFormats) -> Array:
    return np.asarray(round_to(values, fmts.store), dtype=np.float64)


def compare_stages(rope: TorchRope, x: Array, chunk: int = CONFIRM_BLOCK,
                   iterate: Callable[[range], Iterable[int]] | None = None,
                   ) -> tuple[list[StageComparison], Array, Array, int]:
    """Stage mismatches over positions ``0 .. context-1`` (``x`` rotated in both layouts); also the positions
    whose stored code differs end to end (a boolean per position), the per-pair counts of differing codes, and
    the number of rows whose half-layout rotated ``x`` differs."""
    spec, fmts, L = rope.spec, rope.formats, rope.context
    inv_fmt = get_format("fp64") if fmts.pipeline == "fp64" else fmts.inv_freq
    tallies = {stage: _Tally(stage, fmt) for stage, fmt in zip(STAGES, (
        inv_fmt, fmts.position, fmts.phase, fmts.phase, fmts.store, fmts.store, fmts.store))}
    torch_inv = to_host(rope.inv_freq)
    chain = model_inv_freq(spec, "fp64" if fmts.pipeline == "fp64" else "fp32")
    emulated_inv = inv_freq(spec, fmts.dtype, fmts.pipeline)
    tallies["inv_freq"].add(torch_inv, emulated_inv, np.asarray(round_to(chain, inv_fmt), dtype=np.float64))
    x_tensor = torch.as_tensor(np.asarray(x, dtype=np.float64))
    differing = np.zeros(L, dtype=bool)
    per_pair = np.zeros(spec.n_pairs, dtype=np.int64)
    rotated_rows = 0
    starts = range(0, L, chunk)
    for lo in (iterate(starts) if iterate is not None else starts):
        positions = np.arange(lo, min(lo + chunk, L), dtype=np.float64)
        got = rope.stages(positions)
        # the emulated pipeline end to end, and each step on torch's own inputs (local)
        want_pos = stored_positions(positions, fmts.dtype, fmts.pipeline)
        want_angles = phase_table(want_pos, emulated_inv, fmts.phase)
        want_c_phase, want_s_phase, _ = phase_cos_sin(want_angles, fmts.phase)
        want_c, want_s = _stored(want_c_phase, fmts), _stored(want_s_phase, fmts)
        local_c_phase, local_s_phase, _ = phase_cos_sin(got.angles, fmts.phase)
        tallies["positions"].add(got.positions, want_pos, want_pos)
        tallies["angles"].add(got.angles, want_angles, phase_table(got.positions, torch_inv, fmts.phase))
        tallies["cos/sin (phase)"].add(np.stack([got.cos_phase, got.sin_phase]),
                                       np.stack([want_c_phase, want_s_phase]),
                                       np.stack([local_c_phase, local_s_phase]))
        tallies["cos/sin (stored)"].add(np.stack([got.cos, got.sin]), np.stack([want_c, want_s]),
                                        _stored(np.stack([got.cos_phase, got.sin_phase]), fmts))
        c_t, s_t = (torch.as_tensor(v).to(device=rope.device, dtype=rope.store_dtype) for v in (got.cos, got.sin))
        for layout in ("half", "interleaved"):
            rotated = to_host(rope.rotate(x_tensor, c_t, s_t, layout))
            emulated = rotate_with(x, want_c, want_s, fmts.store, layout)
            tallies[f"rotated ({layout})"].add(rotated, emulated, rotate_with(x, got.cos, got.sin, fmts.store,
                                                                               layout))
            if layout == "half":
                rotated_rows += int(np.count_nonzero(_differs(rotated, emulated).any(axis=1)))
        code_differs = _differs(got.cos, want_c) | _differs(got.sin, want_s)
        differing[lo:lo + positions.size] = code_differs.any(axis=1)
        per_pair += code_differs.sum(axis=0)
    return [tallies[s].result for s in STAGES], differing, per_pair, rotated_rows


def compare_figures(emulated: ErasureReport, measured: ErasureReport, differing: Array, per_pair: Array,
                    rotated_rows: int, position_rows: int | None = None) -> list[FigureComparison]:
    """The erasure figures of both backends against the mismatch budget (module docstring)."""
    L = emulated.context
    n_diff = int(np.count_nonzero(differing))
    e_t, e_e = np.array(measured.adjacent_erasure), np.array(emulated.adjacent_erasure)
    step_budget = 2 * np.asarray(per_pair) / (L - 1)
    # a pair may change sides of the threshold only within its step budget
    uncertain = np.abs(e_e - ERASED_FRACTION) <= step_budget
    erased_t, erased_e = e_t > ERASED_FRACTION, e_e > ERASED_FRACTION
    steps_ok = bool(np.all(np.abs(e_t - e_e) <= step_budget + 1e-12))
    sets_ok = bool(np.all((erased_t == erased_e) | uncertain))
    rows: list[FigureComparison] = []

    def add(figure: str, budget: int | str, ok: bool) -> None:
        rows.append(FigureComparison(figure, getattr(emulated, figure), getattr(measured, figure), budget, ok))

    def within(figure: str, budget: int) -> None:
        a, b = getattr(emulated, figure), getattr(measured, figure)
        add(figure, budget, a == b or (a is not None and b is not None and abs(a - b) <= budget))

    within("distinct_positions", n_diff)
    # each position stored differently moves the count of distinct stored values by at most one
    within("distinct_stored_positions", n_diff if position_rows is None else position_rows)
    add("first_collision", "exact" if n_diff == 0 else "any (codes differ)",
        n_diff > 0 or emulated.first_collision == measured.first_collision)
    within("nonfinite_positions", n_diff)
    rows.append(FigureComparison("adjacent_erasure (max |difference|)", 0.0, float(np.max(np.abs(e_t - e_e))),
                                 f"2 |D_i| / (L-1), max {float(step_budget.max()):.3g}", steps_ok))
    within("erased_pairs", int(np.count_nonzero(uncertain)))
    add("wall_theta", "exact" if not uncertain.any() else "that of the erased set",
        sets_ok and (emulated.wall_theta == measured.wall_theta or bool(uncertain.any())))
    if emulated.distinct_rotated is not None and measured.distinct_rotated is not None:
        within("distinct_rotated", rotated_rows)
    return rows


def confirm(spec: RopeSpec, context: object, dtype: str = "bf16", pipeline: str = "hf", *,
            device: str | torch.device | None = None, autocast: bool = False, chunk: int = CONFIRM_BLOCK, seed: int = 0,
            iterate: Callable[[range], Iterable[int]] | None = None) -> Confirmation:
    """Compare torch with the emulation on positions ``0 .. context-1`` (stages, then erasure figures).

    The rotated vectors are the erasure scan's fixed query (``default_query(spec, seed)``) in both layouts.

    >>> c = confirm(RopeSpec(8, 10000.0), 512, "bf16", "hf", device="cpu")
    >>> c.agree, [s.local for s in c.stages][:3]
    (True, [0, 0, 0])
    """
    L = check_scan_context(context)
    rope = TorchRope(spec, dtype, pipeline, L, device=device, autocast=autocast)
    x = default_query(spec, seed)
    stages, differing, per_pair, rotated_rows = compare_stages(rope, x, chunk, iterate)
    emulated = erasure_scan(spec, L, dtype, pipeline, probes=[], query_seed=seed)
    measured = torch_erasure_scan(spec, L, dtype, pipeline, device=rope.device, autocast=autocast, probes=[],
                                  query_seed=seed)
    figures = compare_figures(emulated, measured, differing, per_pair, rotated_rows,
                              position_rows=next(s.end_to_end for s in stages if s.stage == "positions"))
    notes = [f"{s.stage}: {s.local} local mismatches (max {s.max_local_ulps:g} ulp of {s.format}): {s.cause}"
             for s in stages if s.local]
    return Confirmation(
        base=spec.base, head_dim=spec.head_dim, context=L, dtype=rope.formats.store.name,
        pipeline=rope.pipeline, device=device_name(rope.device), backend="torch",
        torch_version=torch.__version__, autocast=rope.autocast, stages=stages,
        mismatched_positions=int(np.count_nonzero(differing)), mismatched_per_pair=per_pair.tolist(),
        mismatched_rotated_rows=rotated_rows, figures=figures, agree=all(f.agree for f in figures), notes=notes)
