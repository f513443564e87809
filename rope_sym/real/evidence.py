"""What a model's reach is, by the law and by the measurement, and the law calibrated to the measurement.

Three answers to "how far does this model reach?", kept apart because they are different kinds of claim:

1. **the bounds** (``rope_sym.bounds``: aliasing, DC stability, depth, the walls): a *necessary condition* in the
   paper's model of RoPE. A context they rule out is out; a context they allow is not thereby served.
2. **the extrapolation law** (``rope_sym.bounds.extrapolation``, Liu et al. 2023, "Scaling Laws of RoPE-based
   Extrapolation"): pairs whose period exceeds the training length ``T`` never saw a full turn; the first of them,
   the critical pair ``i_c``, fixes the reach ``T_extra = 2 pi / theta'_{i_c}`` in the effective spectrum of the
   RoPE the model runs with (its own: just above ``T``; a larger base or an interpolation: further).
3. **the measurement** (``rope_sym.real.retrieval``): passkey retrieval against distance; the reach lies in the
   interval ``(last passing distance, first failing distance]``.

When the law and the measurement disagree, the measurement wins and the law is refined: the **calibrated critical
pairs** are the pairs whose period, at the trained RoPE, falls inside the measured reach interval (the model
behaves as if trained on a length in that interval). A retrofit's predicted reach is then an interval, from the
smallest to the largest calibrated pair's period in the retrofit's effective spectrum, and **agrees** with a
measured reach interval when the two intervals overlap.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from typing import Any

import numpy as np

from rope_sym.bounds.extrapolation import critical_pair, extrapolation_limit
from rope_sym.errors import RopeSymError
from rope_sym.scaling import RopeConfig, inv_freq
from rope_sym.spectrum.spec import RopeSpec
from rope_sym.spectrum.theta import frequencies_numpy

EVIDENCE_PACKAGE = "rope_sym.real.data"
"""Where measured evidence ships (JSON files written by ``verify probe retrieval --save``)."""


@dataclass(frozen=True)
class MeasuredReach:
    """A measured reach interval ``(last_pass, first_fail]`` of one RoPE on one model (None: off the grid)."""

    label: str
    rope: dict[str, Any]
    last_pass: int | None
    first_fail: int | None

    @property
    def interval(self) -> tuple[float, float]:
        """The interval as numbers: ``(0, inf)`` sides where the grid shows nothing."""
        return (float(self.last_pass or 0), math.inf if self.first_fail is None else float(self.first_fail))


def periods(frequencies: Sequence[float] | np.ndarray) -> np.ndarray:
    """``2 pi / theta_i`` for each pair (``inf`` where ``theta_i = 0``)."""
    theta = np.asarray(frequencies, dtype=np.float64)
    with np.errstate(divide="ignore"):
        return np.where(theta > 0, 2 * math.pi / np.where(theta > 0, theta, 1.0), math.inf)


def calibrated_pairs(trained: RopeConfig, measured: MeasuredReach, context: float) -> tuple[int, int] | None:
    """The pairs whose period at the trained RoPE lies in the measured reach interval (the first pair at or
    above ``last_pass`` through the last one at or below ``first_fail``), or None when no pair's period does."""
    lo, hi = measured.interval
    p = periods(inv_freq(trained, context))
    inside = [i for i, period in enumerate(p) if lo <= period <= hi]
    if not inside:
        above = [i for i, period in enumerate(p) if period >= lo]
        return (above[0], above[0]) if above else None
    return inside[0], inside[-1]


def predicted_reach(rope: RopeConfig, pairs: tuple[int, int], context: float) -> tuple[float, float]:
    """The reach interval a RoPE is predicted to have when the critical pair is one of ``pairs``: the periods of
    those pairs in its effective spectrum at ``context``."""
    p = periods(inv_freq(rope, context))
    return float(p[pairs[0]]), float(p[pairs[1]])


def law_reach(head_dim: int, base: float, train_context: float, rope: RopeConfig | None = None,
              context: float | None = None) -> float:
    """Liu et al.'s reach: the period of the critical pair fixed by ``(base, train_context)`` in the effective
    spectrum of ``rope`` (default: the unscaled RoPE)."""
    freqs = (frequencies_numpy(RopeSpec(head_dim, base)) if rope is None
             else np.asarray(inv_freq(rope, context or train_context)))
    return extrapolation_limit(head_dim, base, train_context, freqs)


def agrees(predicted: tuple[float, float], measured: MeasuredReach) -> bool:
    """Whether a predicted reach interval overlaps the measured one ``[last_pass, first_fail]``."""
    lo, hi = measured.interval
    return predicted[0] <= hi and predicted[1] >= lo


def shipped_evidence(model: str) -> dict[str, Any] | None:
    """The measured evidence shipped for ``model`` (a packaged model's name), or None."""
    try:
        text = resources.files(EVIDENCE_PACKAGE).joinpath(f"{model}.json").read_text()
    except (FileNotFoundError, ModuleNotFoundError):
        return None
    try:
        return dict(json.loads(text))
    except json.JSONDecodeError as exc:  # a broken shipped file is a bug, said in one line
        raise RopeSymError(f"evidence file for {model} is not valid JSON: {exc.msg}") from None


def critical_pair_of(rope: RopeConfig, train_context: float) -> int | None:
    """The critical pair of a trained RoPE (``rope_sym.bounds.extrapolation.critical_pair``)."""
    return critical_pair(rope.rotary_dim, rope.base, train_context)


def rope_from_dict(trained: RopeConfig, data: dict[str, Any]) -> RopeConfig:
    """A probed RoPE rebuilt from its plain-data record (``rope_type``, ``base``, ``factor``, original length)."""
    kind = str(data.get("rope_type", "default"))
    band = 1.0 if kind == "llama3" else None
    return RopeConfig(kind, trained.head_dim, float(data.get("base", trained.base)), trained.partial_rotary_factor,
                      trained.max_position_embeddings, factor=data.get("factor"),
                      original_max_position_embeddings=data.get("original_max_position_embeddings"),
                      low_freq_factor=band, high_freq_factor=None if band is None else 4.0)


def assess(trained: RopeConfig, train_context: int, curves: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Law against measurement for each probed RoPE (``curves``: ``RetrievalCurve.to_dict()`` records, one of them
    labelled ``trained``): Liu et al.'s reach at the configured training length, the measured interval, and the
    reach predicted by the calibrated critical pairs, with whether each agrees with the measurement."""
    measured = {c["label"]: MeasuredReach(c["label"], c["rope"], c["reach"]["last_pass"], c["reach"]["first_fail"])
                for c in curves}
    base_row = measured.get("trained")
    pairs = calibrated_pairs(trained, base_row, train_context) if base_row is not None else None
    rows = []
    for c in curves:
        m = measured[c["label"]]
        rope_data: dict[str, Any] = next(iter(c["rope"].values()), {}) if c["rope"] else {}
        rope = trained if c["label"] == "trained" or not rope_data else rope_from_dict(trained, rope_data)
        law = extrapolation_limit(trained.rotary_dim, trained.base, train_context,
                                  np.asarray(inv_freq(rope, train_context)))
        law_interval = (law, law)
        calibrated = predicted_reach(rope, pairs, train_context) if pairs is not None else None
        rows.append({"label": c["label"], "measured": {"last_pass": m.last_pass, "first_fail": m.first_fail},
                     "law": law, "law_agrees": agrees(law_interval, m),
                     "calibrated": None if calibrated is None else list(calibrated),
                     "calibrated_agrees": None if calibrated is None else agrees(calibrated, m)})
    return {"train_context": train_context, "critical_pair": critical_pair(trained.rotary_dim, trained.base,
                                                                           train_context),
            "calibrated_pairs": None if pairs is None else list(pairs), "rows": rows}
