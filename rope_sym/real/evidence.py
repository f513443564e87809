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
from rope_sym.models.hf_config import ModelRope
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


def _kind_of(rope: dict[str, Any], trained_base: float) -> str:
    """The retrofit kind of a probed RoPE record: ``trained``, ``ntk`` (a base change), or its rope type."""
    kind = str(rope.get("rope_type", "default"))
    if kind == "default":
        return "trained" if float(rope.get("base", trained_base)) == trained_base else "ntk"
    return kind


def matching_evidence(model: ModelRope) -> dict[str, Any] | None:
    """The shipped evidence measured on this model: a packaged model's record whose RoPE (base, rotary dim,
    context) is the model's own, found by the model's name or file name."""
    from rope_sym.models.packages import PACKAGED_MODELS, packaged_model

    packaged = packaged_model(model.name)
    candidates = [packaged.name] if packaged else [p.name for p in PACKAGED_MODELS.values()
                                                   if p.filename == model.name]
    for name in candidates:
        record = shipped_evidence(name)
        if record is None:
            continue
        rope = record.get("rope", {})
        if (rope.get("base") == model.rope.base and rope.get("rotary_dim") == model.rope.rotary_dim
                and rope.get("context") == model.context):
            return record
    return None


def expected_reach(model: ModelRope) -> dict[str, Any]:
    """How far the model can be expected to reach, and on what basis: the measured interval when shipped evidence
    exists (``basis`` "measured"), else Liu et al.'s law at the pre-training length (``basis`` "law"); with the
    law's own figure, the critical pair and the calibrated pairs (module docstring)."""
    from rope_sym.models.serving import pretraining_length

    rope = model.rope
    train = pretraining_length(model)
    law = law_reach(rope.rotary_dim, rope.base, train, rope if rope.rope_type != "default" else None, train)
    out: dict[str, Any] = {"train_context": train, "critical_pair": critical_pair(rope.rotary_dim, rope.base, train),
                           "law": law, "basis": "law", "up_to": law, "measured": None, "calibrated_pairs": None,
                           "evidence": None}
    record = matching_evidence(model)
    if record is None:
        return out
    trained = next((c for c in record["curves"] if c["label"] == "trained"), None)
    if trained is None:
        return out
    measured = MeasuredReach("trained", trained["rope"], trained["reach"]["last_pass"],
                             trained["reach"]["first_fail"])
    pairs = calibrated_pairs(rope, measured, train)
    out.update({"basis": "measured", "up_to": measured.last_pass,
                "measured": {"last_pass": measured.last_pass, "first_fail": measured.first_fail,
                             "trials": record.get("trials"), "law_agrees": agrees((law, law), measured)},
                "calibrated_pairs": None if pairs is None else list(pairs),
                "evidence": {"model": record.get("model"), "command": record.get("command"),
                             "measured_on": record.get("measured_on")}})
    return out


def retrofit_evidence(model: ModelRope, kind: str) -> list[dict[str, Any]]:
    """The measured curves of retrofits of ``kind`` on this model (shipped evidence), each with its measured reach
    and whether it held the trained RoPE's short-distance accuracy (a retrofit that fails where the trained RoPE
    retrieves needs fine-tuning)."""
    record = matching_evidence(model)
    if record is None:
        return []
    curves = record["curves"]
    trained = next((c for c in curves if c["label"] == "trained"), None)
    out = []
    for c in curves:
        rope: dict[str, Any] = next(iter(c["rope"].values()), {}) if c["rope"] else {}
        if c["label"] == "trained" or _kind_of(rope, model.rope.base) != kind:
            continue
        shortest = c["results"][0]
        trained_short = trained["results"][0] if trained else None
        broken = trained_short is not None and shortest["high"] < trained_short["low"]
        out.append({"label": c["label"], "reach": c["reach"], "shortest": shortest, "needs_fine_tuning": broken})
    return out


def interpolation_factor_for(model: ModelRope, kind: str, target: float, pairs: tuple[int, int] | None) -> float:
    """The factor ``s`` a retrofit of ``kind`` needs for the expected reach to cover ``target``: the critical pair
    (calibrated, else Liu et al.'s) must not complete a turn before ``target`` in the retrofit's spectrum. For
    linear, YaRN and llama3 (the pair interpolated by ``s``) ``s = target / P_c``; for NTK (a new base ``b'``,
    ``s = (b'/b)^((d-2)/d)``) ``b' = (target / 2 pi)^(d / (2 i_c))``."""
    from rope_sym.models.serving import pretraining_length

    rope = model.rope
    d = rope.rotary_dim
    if pairs is None:
        i_c = critical_pair(d, rope.base, pretraining_length(model))
        if i_c is None:
            return 1.0
        pairs = (i_c, i_c)
    low = pairs[0]
    period = float(periods(inv_freq(rope, pretraining_length(model)))[low])
    if kind == "ntk":
        if low == 0:
            return math.inf
        new_base = (target / (2 * math.pi)) ** (d / (2 * low))
        return max(1.0, (new_base / rope.base) ** ((d - 2) / d))
    return max(1.0, target / period)


def law_record() -> list[dict[str, Any]]:
    """Liu et al.'s law against every shipped measurement of a trained RoPE: ``model``, ``law`` (the reach at the
    configured pre-training length), ``last_pass`` and ``first_fail`` (the measured interval)."""
    from rope_sym.models.packages import PACKAGED_MODELS

    out = []
    for name in PACKAGED_MODELS:
        record = shipped_evidence(name)
        if record is None:
            continue
        trained = next((c for c in record["curves"] if c["label"] == "trained"), None)
        assessment = next((r for r in record.get("assessment", {}).get("rows", []) if r["label"] == "trained"), None)
        if trained is None or assessment is None:
            continue
        out.append({"model": name, "law": assessment["law"], "last_pass": trained["reach"]["last_pass"],
                    "first_fail": trained["reach"]["first_fail"]})
    return out
