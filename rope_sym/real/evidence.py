"""What a model's reach is, by the law and by the measurement, and the law refined by the measurement.

Three answers to "how far does this model reach?", kept apart because they are different kinds of claim:

1. **the bounds** (``rope_sym.bounds``: aliasing, DC stability, depth, the walls): a *necessary condition* in the
   paper's model of RoPE. A context they rule out is out; a context they allow is not thereby served.
2. **the extrapolation law** (``rope_sym.bounds.extrapolation``, Liu et al. 2023, "Scaling Laws of RoPE-based
   Extrapolation"): pairs whose period exceeds the training length ``T`` never saw a full turn; the first of them,
   the critical pair ``c``, fixes the reach ``T_extra = 2 pi / theta'_c`` in the effective spectrum.
3. **the measurement** (``rope_sym.real.retrieval``): passkey retrieval against distance; the reach lies in the
   interval ``(last passing distance, first failing distance]``.

Measured on SmolLM2-135M, the law at the configured length (8,192) says 8,379 tokens; the model retrieves up to
2,048 and fails by 2,560. The measurement wins and the law is refined in two steps:

- **calibrated length**: the model behaves as if trained on ``T_eff`` in the measured interval of its own RoPE
  (not on its configured length);
- **phase range**: a pair that never completed a turn in training saw phases up to ``theta_c T_eff`` only, so a
  RoPE with frequencies ``theta'`` stays in range while ``D theta'_c <= T_eff theta_c``: its reach is
  ``T_eff theta_c / theta'_c`` (the lower side of the bracket ``T (b'/b)^(d_extra/d) <= T_extra'`` derived in
  ``derivations/extrapolation.py``, which Liu et al.'s ``2 pi b'^(d_extra/d)`` overstates by up to ``b^(2/d)``).
  The pair before it completed barely one turn; at a large base change (SmolLM2, base x50) the measured reach fell
  to where that pair leaves its range, so the interval's lower end uses it (``phase_range_reach``).

A RoPE's predicted reach is then an interval (from ``T_eff``'s interval), and **agrees** with a measured reach
interval when the two overlap. The refined law assumes what a base change does (the fast pairs, which saw full
turns, barely move); interpolating retrofits (linear, YaRN) change the fast pairs or the attention temperature and
need fine-tuning, which the measurement shows as a failure at short distance.
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


def calibrated_length(measured: MeasuredReach) -> tuple[float, float] | None:
    """The training length the model behaves as if trained on: its own RoPE's measured reach interval, or None
    when the grid shows no failure (or no pass)."""
    if measured.last_pass is None or measured.first_fail is None:
        return None
    return float(measured.last_pass), float(measured.first_fail)


def phase_range_reach(trained: RopeConfig, rope: RopeConfig, length: tuple[float, float],
                      context: float) -> tuple[float, float] | None:
    """The refined law (module docstring): the interval ``(lo theta_a / theta'_a, hi theta_c / theta'_c)`` for the
    calibrated length ``(lo, hi)``, with ``theta`` the trained RoPE's frequencies and ``theta'`` those of ``rope``
    at ``context``. The upper end keeps the critical pair ``c`` of ``hi`` in its phase range; the lower end is set
    by the pair before the critical pair of ``lo`` (``a = c - 1``), the last pair that completed a turn, and barely
    one (its period is at least ``lo b^(-2/d)``): a large base change moved the measured reach of SmolLM2-135M
    below the critical pair's prediction, to where that pair leaves its range. None when every pair saw a turn."""
    theta = np.asarray(inv_freq(trained, context), dtype=np.float64)
    moved = np.asarray(inv_freq(rope, context), dtype=np.float64)
    low_c = critical_pair(trained.spectrum_dim, trained.base, length[0])
    high_c = critical_pair(trained.spectrum_dim, trained.base, length[1])
    if low_c is None or high_c is None:
        return None

    def ratio(c: int) -> float:
        return float(theta[c] / moved[c]) if moved[c] > 0 else math.inf

    low = ratio(max(low_c - 1, 0))
    return length[0] * min(low, ratio(low_c)), length[1] * max(ratio(high_c), low)


def law_reach(head_dim: int, base: float, train_context: float, rope: RopeConfig | None = None,
              context: float | None = None) -> float:
    """Liu et al.'s reach: the period of the critical pair fixed by ``(base, train_context)`` in the effective
    spectrum of ``rope`` (default: the unscaled RoPE)."""
    frequencies = (frequencies_numpy(RopeSpec(head_dim, base)) if rope is None
             else np.asarray(inv_freq(rope, context or train_context)))
    return extrapolation_limit(head_dim, base, train_context, frequencies)


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
    refined law's interval (calibrated length, phase range), with whether each agrees with the measurement."""
    measured = {c["label"]: MeasuredReach(c["label"], c["rope"], c["reach"]["last_pass"], c["reach"]["first_fail"])
                for c in curves}
    base_row = measured.get("trained")
    length = calibrated_length(base_row) if base_row is not None else None
    rows = []
    for c in curves:
        m = measured[c["label"]]
        rope_data: dict[str, Any] = next(iter(c["rope"].values()), {}) if c["rope"] else {}
        rope = trained if c["label"] == "trained" or not rope_data else rope_from_dict(trained, rope_data)
        law = extrapolation_limit(trained.spectrum_dim, trained.base, train_context,
                                  np.asarray(inv_freq(rope, train_context)))
        refined = None if length is None else phase_range_reach(trained, rope, length, train_context)
        rows.append({"label": c["label"], "measured": {"last_pass": m.last_pass, "first_fail": m.first_fail},
                     "law": law, "law_agrees": agrees((law, law), m),
                     "calibrated": None if refined is None else list(refined),
                     "calibrated_agrees": None if refined is None else agrees(refined, m)})
    return {"train_context": train_context, "critical_pair": critical_pair(trained.spectrum_dim, trained.base,
                                                                           train_context),
            "calibrated_length": None if length is None else list(length), "rows": rows}


def assess_record(record: dict[str, Any]) -> dict[str, Any]:
    """``assess`` of a shipped evidence record, recomputed from its curves (the record stores measurements only)."""
    from rope_sym.models.sources import load_model

    model = load_model(record["model"])
    from rope_sym.models.serving import pretraining_length

    return assess(model.rope, pretraining_length(model), record["curves"])


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
    exists (``basis`` "measured"), else Liu et al.'s law at the pre-training length (``basis`` "law", with
    ``law_record``: the law against every shipped measurement); with the law's own figure, the critical pair and
    the calibrated pairs (module docstring)."""
    from rope_sym.models.serving import pretraining_length

    rope = model.rope
    train = pretraining_length(model)
    law = law_reach(rope.spectrum_dim, rope.base, train, rope if rope.rope_type != "default" else None, train)
    out: dict[str, Any] = {"train_context": train, "critical_pair": critical_pair(rope.spectrum_dim, rope.base, train),
                           "law": law, "basis": "law", "up_to": law, "measured": None,
                           "calibrated_length": None, "evidence": None}
    record = matching_evidence(model)
    trained = None if record is None else next((c for c in record["curves"] if c["label"] == "trained"), None)
    if record is None or trained is None:
        out["law_record"] = law_record()  # where the law was measured, to weigh it by
        return out
    measured = MeasuredReach("trained", trained["rope"], trained["reach"]["last_pass"],
                             trained["reach"]["first_fail"])
    length = calibrated_length(measured)
    out.update({"basis": "measured", "up_to": measured.last_pass,
                "measured": {"last_pass": measured.last_pass, "first_fail": measured.first_fail,
                             "trials": record.get("trials"), "law_agrees": agrees((law, law), measured)},
                "calibrated_length": None if length is None else list(length),
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
    assessed = {r["label"]: r for r in assess_record(record)["rows"]}
    out = []
    for c in curves:
        rope: dict[str, Any] = next(iter(c["rope"].values()), {}) if c["rope"] else {}
        if c["label"] == "trained" or _kind_of(rope, model.rope.base) != kind:
            continue
        shortest = c["results"][0]
        trained_short = trained["results"][0] if trained else None
        broken = trained_short is not None and shortest["high"] < trained_short["low"]
        row = assessed.get(c["label"], {})
        out.append({"label": c["label"], "rope": rope, "reach": c["reach"], "shortest": shortest,
                    "needs_fine_tuning": broken, "predicted": row.get("calibrated"),
                    "agrees": row.get("calibrated_agrees")})
    return out


def contradicting_evidence(evidence: Sequence[dict[str, Any]], rope: RopeConfig,
                           target: float) -> list[dict[str, Any]]:
    """The measured retrofits (``retrofit_evidence``) that stretch the critical pair at least as far as ``rope`` does
    (a base at least as large, or a factor at least as large) and still fail at or before ``target``: the
    measurement says ``rope`` will not reach it either."""
    out = []
    for e in evidence:
        first = e["reach"]["first_fail"]
        if first is None or first > target:
            continue
        measured = e.get("rope", {})
        if rope.rope_type == "default":
            stretches = float(measured.get("base", 0)) >= rope.base
        else:
            stretches = float(measured.get("factor") or 0) >= (rope.factor or 1.0)
        if stretches:
            out.append(e)
    return out


def interpolation_factor_for(model: ModelRope, kind: str, target: float,
                             length: tuple[float, float] | None) -> float:
    """The smallest factor ``s`` (to 0.1%) of a retrofit of ``kind`` (``rope_sym.models.serving.retrofit``) whose
    expected reach covers ``target``: with a calibrated ``length`` (measured), the low end of the refined law's
    interval (``phase_range_reach``); without one, Liu et al.'s law at the pre-training length. ``inf`` when no
    factor up to 10^6 does (the critical pair is the fastest, say)."""
    from rope_sym.models.serving import pretraining_length, retrofit

    rope = model.rope
    train = pretraining_length(model)

    def reach(s: float) -> float:
        moved = retrofit(model, kind, s, target).rope
        if length is not None:
            interval = phase_range_reach(rope, moved, (length[0], length[1]), train)
            return math.inf if interval is None else interval[0]
        return extrapolation_limit(rope.spectrum_dim, rope.base, train, np.asarray(inv_freq(moved, train)))

    if reach(1.0) >= target:
        return 1.0
    low, high = 1.0, 2.0
    while reach(high) < target:
        low, high = high, high * 2
        if high > 1e6:
            return math.inf
    while high / low > 1.001:
        mid = math.sqrt(low * high)
        low, high = (low, mid) if reach(mid) >= target else (mid, high)
    return high


def law_record() -> list[dict[str, Any]]:
    """Liu et al.'s law against every shipped measurement of a trained RoPE: ``model``, ``law`` (the reach at the
    configured pre-training length), ``last_pass`` and ``first_fail`` (the measured interval)."""
    from rope_sym.models.packages import PACKAGED_MODELS

    out = []
    for name in PACKAGED_MODELS:
        record = shipped_evidence(name)
        if record is None:
            continue
        row = next((r for r in assess_record(record)["rows"] if r["label"] == "trained"), None)
        if row is None:
            continue
        out.append({"model": name, "law": row["law"], "last_pass": row["measured"]["last_pass"],
                    "first_fail": row["measured"]["first_fail"]})
    return out
