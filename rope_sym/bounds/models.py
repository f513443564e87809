"""Zone reports for real models, on the effective (scaled) spectrum: shared by ``verify model``, ``models``, ``plot``.

Convention: a scaled model is judged as the unscaled RoPE whose exact slowest frequency equals the model's
effective one, ``base_eff = theta_min_eff^(-d/(d-2))`` (``rope_sym.bounds.effective_base``, ``d`` the rotary
dim), at the model's own context (``max_position_embeddings``) and depth (``num_hidden_layers``) unless given.
``theta_min_eff`` is the slowest non-zero effective frequency at that context (longrope's long factors, dynamic
NTK's grown base). Every bound depends on the spectrum only through ``theta_min``, so this is exact for them.
"""

from __future__ import annotations

import copy
import warnings
from functools import lru_cache
from typing import Any

import numpy as np

from rope_sym.bounds.closed_forms import DEFAULT_EPS
from rope_sym.bounds.walls import MEANING, grade_of
from rope_sym.bounds.zone import failing, zone_report
from rope_sym.errors import RopeSymError
from rope_sym.models.hf_config import ModelRope
from rope_sym.models.registry import MODELS, get_model
from rope_sym.scaling import attention_factor, effective_theta_min, rotating_frequencies
from rope_sym.spectrum.spec import RopeSpec, check_context
from rope_sym.spectrum.theta import effective_base
from rope_sym.spectrum.theta import frequencies as frequencies_of


def resolve_model(source: Any, revision: str = "main") -> ModelRope:
    """A model from a registry name, a ``config.json``, a model directory, a hub id in the local Hugging Face
    cache (at ``revision``), a ``PretrainedConfig`` or a dict (``rope_sym.models.sources.load_model``)."""
    from rope_sym.models.sources import load_model

    return load_model(source, revision=revision)


EXTENDING_TYPES = ("linear", "dynamic", "yarn")
"""Rope types whose ``factor`` extends the config's own ``max_position_embeddings`` when that is the original
length (vicuna-16k: linear x4 on 4096; Qwen2.5 with YaRN x4 on 32768); llama3 and longrope configs give the
extended length themselves."""


def judged_context(model: ModelRope, context: float | None = None) -> tuple[float, str]:
    """The context a model is judged at, and the rule that chose it: ``context`` when given; ``factor x
    max_position_embeddings`` for a linear, dynamic or YaRN factor over the original length (the config's own
    length equal to ``original_max_position_embeddings``, or no original given and one RoPE for every layer);
    else ``max_position_embeddings``.

    >>> from rope_sym.models import from_hf_config
    >>> vicuna = from_hf_config({"hidden_size": 4096, "num_attention_heads": 32, "max_position_embeddings": 4096,
    ...                          "rope_theta": 1e4, "rope_scaling": {"type": "linear", "factor": 4.0}})
    >>> judged_context(vicuna)
    (16384, 'factor 4 x max_position_embeddings 4096 (the original length)')
    """
    if context is not None:
        return check_context(context), "given (--context)"
    if model.context is None:
        raise RopeSymError(f"{model.name}: config has no 'max_position_embeddings'; give the context (--context)")
    rope = model.rope
    factor, original = rope.factor, rope.original_max_position_embeddings
    # with no original length given, a model with per-layer RoPE (Gemma 3: sliding layers unscaled) states its
    # extended length itself; a single-RoPE config (vicuna-16k) states the original one
    over_original = original == model.context or (original is None and not model.layers)
    if rope.rope_type in EXTENDING_TYPES and factor is not None and factor > 1 and over_original:
        extended = factor * model.context
        return (int(extended) if float(extended).is_integer() else extended,
                f"factor {factor:g} x max_position_embeddings {model.context} (the original length)")
    return model.context, "max_position_embeddings"


def slowest_pair(model: ModelRope, context: float) -> tuple[float, float, float]:
    """The slowest pair of the model's frequencies, unscaled and effective, and the base it fixes: ``(nominal
    theta_min, effective theta_min, effective base)`` at ``context`` tokens (the bounds depend on the frequencies
    only through ``theta_min``)."""
    rope = model.rope
    nominal = float(frequencies_of(RopeSpec(rope.spectrum_dim, rope.base))[rope.rotary_dim // 2 - 1])
    effective = effective_theta_min(rope, context)
    return nominal, effective, effective_base(effective, rope.rotary_dim)


def model_report(model: ModelRope, context: float | None = None, dtype: str = "fp32", depth: int | None = None,
                 eps: float = DEFAULT_EPS, pipeline: str = "hf") -> dict[str, Any]:
    """The zone report (``zone_report``) for the effective spectrum, plus ``model``, ``rope_type``, ``inv_freq``,
    ``attention_factor``, ``nominal_base``, ``effective_base``, per-bound ``margin_decades``, ``verdict``
    (``VERDICTS``: inside, graded or outside by the derived walls), ``grade`` (the graded note: how many slow
    pairs lose single-token resolution, from which context; None unless graded), ``first_violated`` (a lower
    bound or the position level; None unless outside), ``meaning`` (what the failing level does to the model)
    and ``verdict_paper`` (the paper's wall). A model whose layers do not
    all see the full context (sliding windows, chunked attention, per-layer RoPE) is judged per layer type
    (``per_layer``, ``judged_per_layer``): its verdict is inside when every layer type with RoPE is inside at the
    context it sees.

    The derived walls use the model's own effective frequencies (``inv_freq`` at ``context``) in the activation
    ``dtype`` through ``pipeline``."""
    context, rule = judged_context(model, context)
    if depth is None:
        if model.depth is None:
            warnings.warn(f"{model.name}: config has no 'num_hidden_layers'; using depth 1 (give --depth)",
                          UserWarning, stacklevel=2)
        depth = model.depth or 1
    rope = model.rope
    nominal, effective, base_eff = slowest_pair(model, context)
    frequencies = rotating_frequencies(rope, context)  # float64, exact: not the stored buffer
    report = zone_report(base_eff, context, rope.rotary_dim, depth=depth, eps=eps, dtype=dtype, pipeline=pipeline,
                         frequencies=frequencies)
    verdict, violated, grade = judge(report, frequencies, context, str(dtype), pipeline)
    report.update({
        "model": model.name,
        "rope_type": rope.rope_type,
        "nominal_base": rope.base,
        "nominal_theta_min": nominal,
        "effective_theta_min": effective,
        "effective_base": base_eff,
        "rotary_dim": rope.rotary_dim,
        "context": int(context) if float(context).is_integer() else context,
        "context_rule": rule,
        "depth": depth,
        "inv_freq": [float(x) for x in frequencies],
        "attention_factor": attention_factor(rope),
        "verdict": verdict,
        "grade": grade,
        "first_violated": violated,
        "meaning": MEANING.get(violated or "", None),
        "verdict_paper": "inside" if report["zone"]["inside_paper"] else "outside",
        "layers": {kind: {"rope_type": r.rope_type, "base": r.base,
                          "effective_theta_min": effective_theta_min(r, context)}
                   for kind, r in model.layers.items()},
        "per_layer": per_layer_verdicts(model, context, depth, eps, dtype, pipeline),
    })
    judged = {kind: layer for kind, layer in report["per_layer"].items() if layer["rope_type"] is not None}
    report["judged_per_layer"] = bool(judged)
    if judged:  # layers that do not all see the full context: the verdict is theirs
        broken = [layer for layer in judged.values() if layer["verdict"] == "outside"]
        graded = {kind: layer for kind, layer in judged.items() if layer["verdict"] == "graded"}
        report["verdict"] = "outside" if broken else "graded" if graded else "inside"
        report["first_violated"] = broken[0]["first_violated"] if broken else None
        report["meaning"] = MEANING.get(report["first_violated"] or "", None)
        worst = max(graded, key=lambda kind: graded[kind]["grade"]["pairs"], default=None)
        report["grade"] = None if worst is None else {**graded[worst]["grade"], "layer_type": worst}
    return report


VERDICTS = ("inside", "graded", "outside")
"""A model's verdict: ``inside`` (every lower bound holds, positions stay distinct, every pair keeps
single-token resolution), ``graded`` (inside the bounds and positions distinct, but the slowest pairs lose
single-token resolution at the code level: the dtype's grading, with ``grade`` saying how many pairs and from
which context), ``outside`` (a lower bound fails or positions merge: ``first_violated`` names it)."""


def judge(report: dict[str, Any], frequencies: Any, context: float, dtype: str,
          pipeline: str) -> tuple[str, str | None, dict[str, Any] | None]:
    """``(verdict, first_violated, grade)`` of a zone report on a model's spectrum (``VERDICTS``)."""
    reasons = failing(report)
    broken = [reason for reason in reasons if reason != "code"]
    if broken:
        return "outside", broken[0], None
    grade = grade_of(report["erasure"]["levels"], np.asarray(frequencies, dtype=np.float64), context, dtype,
                     pipeline)
    return ("graded" if grade is not None else "inside"), None, grade


def per_layer_verdicts(model: ModelRope, context: float, depth: int, eps: float, dtype: str,
                       pipeline: str) -> dict[str, dict[str, Any]]:
    """Each layer type judged at the context it sees: sliding-attention layers at ``min(context,
    sliding_window)`` with their own RoPE (Gemma's local base) or the main one, chunked-attention layers (Llama 4)
    at ``min(context, attention_chunk_size)``, full-attention layers at the context; layers without RoPE are
    listed, not judged. Empty for a model whose layers are all alike."""
    kinds = (set(model.layer_types) | set(model.layers)) - {"no_rope"}
    if kinds == {"full_attention"} and not model.nope_layers:
        kinds = set()  # every layer alike (a v5 config lists layer_types even then)
    if model.sliding_window is not None and not kinds:
        kinds = {"sliding_attention"}  # Mistral v0.1: every layer slides
    if model.attention_chunk is not None and not kinds:
        kinds = {"chunked_attention"}  # Llama 4: RoPE layers attend within chunks
    out: dict[str, dict[str, Any]] = {}
    for kind in sorted(kinds):
        rope = model.rope_of(kind) or model.rope
        window = (model.sliding_window if kind.startswith("sliding") else
                  model.attention_chunk if kind.startswith("chunked") else None)
        seen = min(context, float(window)) if window else context
        count = sum(t == kind for t in model.layer_types) if model.layer_types else None
        if count is None and model.nope_layers and model.depth is not None:
            count = model.depth - model.nope_layers  # the layers with RoPE
        theta = effective_theta_min(rope, seen)
        base_eff = effective_base(theta, rope.rotary_dim)
        layer_frequencies = rotating_frequencies(rope, seen)
        layer = zone_report(base_eff, seen, rope.rotary_dim, depth=depth, eps=eps, dtype=dtype, pipeline=pipeline,
                            frequencies=layer_frequencies)
        verdict, violated, grade = judge(layer, layer_frequencies, seen, dtype, pipeline)
        out[kind] = {"context_seen": int(seen) if float(seen).is_integer() else seen, "layers": count,
                     "rope_type": rope.rope_type, "effective_base": base_eff, "verdict": verdict,
                     "first_violated": violated, "grade": grade}
    if model.nope_layers:
        out["no_rope"] = {"context_seen": int(context), "layers": model.nope_layers, "rope_type": None,
                          "effective_base": None, "verdict": "no RoPE", "first_violated": None, "grade": None}
    return out


def case_study(dtype: str = "fp32", eps: float = DEFAULT_EPS, depth: int | None = None,
               pipeline: str = "hf") -> list[dict[str, Any]]:
    """One zone report per registry model at its own context (and depth unless ``depth`` is given); computed once
    per setting and process (the reports are copied out, so callers may change them)."""
    reports, caught = _case_study(dtype, eps, depth, pipeline)
    for category, message in caught:  # the warnings of the first computation, raised again on every call
        warnings.warn(message, category, stacklevel=2)
    return copy.deepcopy(reports)


@lru_cache(maxsize=16)
def _case_study(dtype: str, eps: float, depth: int | None,
                pipeline: str) -> tuple[list[dict[str, Any]], tuple[tuple[type[Warning], str], ...]]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        reports = [model_report(get_model(name), dtype=dtype, depth=depth, eps=eps, pipeline=pipeline)
                   for name in MODELS]
    return reports, tuple(dict.fromkeys((w.category, str(w.message)) for w in caught))
