"""Pasteable retrofit blocks: a context-extension retrofit of a model written for Hugging Face, vLLM and llama.cpp,
each read back through the toolkit's own reader (round trip) and judged by its own judge (headroom).

A retrofit divides the model's slowest effective frequency by ``s`` (``rope_sym.bounds.recommend.model_reach``).
Relative to the model's *unscaled* spectrum that is a total factor ``S = D s``, ``D = theta_min / theta_min_eff``
the divisor the model's own scaling already applies at its context (1 for an unscaled model, 8 for Llama 3.1). With
``B`` the base, ``d`` the rotary dim and ``L0`` the pre-training length (``original_max_position_embeddings``, else
``max_position_embeddings``), the kinds are:

========= ============================================================== ======================================
kind      Hugging Face (``rope_parameters`` v5 / ``rope_scaling`` v4)    llama.cpp
========= ============================================================== ======================================
linear    ``{"rope_type": "linear", "factor": S}``                       ``--rope-scaling linear --rope-scale S``
ntk       base ``B' = B S^(d/(d-2))``, no scaling (static NTK-aware)     ``--rope-freq-base B'``
dynamic   ``{"rope_type": "dynamic", "factor": S}`` (keeps ``L0``)       none (llama.cpp has no dynamic NTK)
yarn      ``{"rope_type": "yarn", "factor": S, "original_...": L0}``     ``--rope-scaling yarn --rope-scale S
                                                                         --yarn-orig-ctx L0``
llama3    ``{"rope_type": "llama3", "factor": S, low 1, high 4, L0}``    none (the converter bakes a rope_freqs
                                                                         tensor into the GGUF)
========= ============================================================== ======================================

vLLM takes the v5 block as ``--hf-overrides '{"rope_parameters": ...}'`` with ``--max-model-len``; its
``--rope-scaling`` / ``--rope-theta`` flags are gone from current versions (docs.vllm.ai, "Context Extension") and
are given only as the legacy form. For a model with per-layer RoPE (Gemma 3) the blocks replace the full-attention
layers' RoPE, as transformers applies ``rope_scaling`` to those layers only.

>>> from rope_sym.models import get_model
>>> blocks = serving_blocks(get_model("Qwen2.5-7B"), "yarn", 2.0, 262144)
>>> blocks["hf"]["v5"]["rope_parameters"]["factor"], blocks["round_trip"]["ok"], blocks["judge"]["verdict"]
(2.0, True, 'inside')
"""

from __future__ import annotations

import json
import math
import shlex
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from rope_sym.errors import RopeSymError
from rope_sym.models.hf_config import ModelRope, from_hf_config
from rope_sym.scaling import InvalidRopeConfig, RopeConfig, attention_factor, effective_theta_min, inv_freq
from rope_sym.spectrum.spec import check_context, finite_real

RETROFIT_KINDS = ("yarn", "linear", "ntk", "dynamic", "llama3")
"""The retrofits emitted (module docstring); ``yarn`` first: every engine takes it."""

HEADROOM_DECADES = 0.05
"""The margin a suggested retrofit keeps over every lower bound, in decades of base."""

FACTOR_STEP = 0.25
"""Suggested total factors are multiples of this (pasteable, and ``S L0`` an integer for any ``L0`` divisible by 4)."""


class InvalidRetrofit(RopeSymError):
    """A retrofit that cannot be written (unknown kind, factor < 1, a target the model cannot take)."""


class UnwrittenRetrofit(InvalidRetrofit):
    """A model whose rope type no retrofit here can express (a ``proportional`` rope): the bounds still judge it."""


@dataclass(frozen=True)
class Retrofit:
    """One retrofit of a model: ``kind``, the factor ``s`` on its effective spectrum and the total ``factor`` S on
    its unscaled one, the ``base`` written, the pre-training length ``original``, the ``target`` context, the
    ``max_position_embeddings`` written and the resulting ``rope``."""

    kind: str
    s: float
    factor: float
    base: float
    original: int
    target: int
    max_position_embeddings: int
    rope: RopeConfig


def pretraining_length(model: ModelRope) -> int:
    """``L0``: ``original_max_position_embeddings`` when given; else ``max_position_embeddings``, divided by a
    linear or dynamic factor when the config states its extended length (per-layer RoPE, Gemma 3: the rule of
    ``rope_sym.bounds.models.judged_context``)."""
    rope = model.rope
    if rope.original_max_position_embeddings:
        return rope.original_max_position_embeddings
    assert model.context is not None
    if rope.rope_type in ("linear", "dynamic") and rope.factor and model.layers:
        return max(1, round(model.context / rope.factor))
    return model.context


def retrofit(model: ModelRope, kind: str, s: float, target_context: float) -> Retrofit:
    """The retrofit ``kind`` of ``model`` that divides its slowest effective frequency by ``s`` (module
    docstring), for a ``target_context``."""
    if kind not in RETROFIT_KINDS:
        raise InvalidRetrofit(f"unknown retrofit {kind!r} (known: {', '.join(RETROFIT_KINDS)})")
    s = finite_real(s, "factor")
    if not s >= 1.0:
        raise InvalidRetrofit(f"a retrofit factor must be >= 1, got {s:g}")
    target = math.ceil(check_context(target_context))
    rope = model.rope
    if rope.rope_type == "proportional":
        raise UnwrittenRetrofit(f"{model.name}: a proportional rope (Gemma 4's global layers) has no retrofit written "
                              "here yet: transformers' proportional type takes only a factor or a new base, spaced by "
                              "the full head dim, and its NoPE pairs carry no position to stretch")
    if model.context is None:
        raise InvalidRetrofit(f"{model.name}: config has no 'max_position_embeddings', so the pre-training length "
                              "a retrofit extends is unknown")
    own = effective_theta_min(rope, model.context)
    nominal = effective_theta_min(RopeConfig("default", rope.head_dim, rope.base, rope.partial_rotary_factor),
                                  model.context)
    divisor = nominal / own if own > 0 else 1.0
    total = divisor * s
    original = pretraining_length(model)
    d = rope.rotary_dim
    base, p = rope.base, rope.partial_rotary_factor
    extended = max(target, math.ceil(total * original - 1e-9))
    if kind == "ntk":  # the base rounded up to 3 significant digits (pasteable; a little more room, never less)
        exact = rope.base * total ** (d / (d - 2))
        step = 10.0 ** (math.floor(math.log10(exact)) - 2)
        base = math.ceil(exact / step * (1 - 1e-12)) * step
        base = float(f"{base:.3g}") if float(f"{base:.3g}") >= exact * (1 - 1e-12) else base
        total = (base / rope.base) ** ((d - 2) / d)
        new = RopeConfig("default", rope.head_dim, base, p, target)
        length = target
    elif kind == "dynamic":  # transformers grows the base past max_position_embeddings: keep the original there
        new = RopeConfig("dynamic", rope.head_dim, base, p, original, factor=total)
        length = original
    elif kind == "linear":
        new = RopeConfig("linear", rope.head_dim, base, p, extended, factor=total)
        length = extended
    elif kind == "yarn":
        new = RopeConfig("yarn", rope.head_dim, base, p, extended, factor=total,
                         original_max_position_embeddings=original)
        length = extended
    else:
        new = RopeConfig("llama3", rope.head_dim, base, p, extended, factor=total,
                         original_max_position_embeddings=original, low_freq_factor=1.0, high_freq_factor=4.0)
        length = extended
    return Retrofit(kind, total / divisor, total, base, original, target, length, new)


def hf_blocks(r: Retrofit) -> dict[str, Any]:
    """The Hugging Face keys to merge into ``config.json``: ``v5`` (``rope_parameters``, transformers 5) and ``v4``
    (``rope_scaling`` and a top-level ``rope_theta``), each with ``max_position_embeddings``."""
    if r.kind == "ntk":
        v5_params: dict[str, Any] = {"rope_type": "default", "rope_theta": r.base}
        v4: dict[str, Any] = {"rope_theta": r.base, "rope_scaling": None}
    else:
        params: dict[str, Any] = {"rope_type": r.kind, "factor": r.factor}
        if r.kind in ("yarn", "llama3"):
            params["original_max_position_embeddings"] = r.original
        if r.kind == "llama3":
            params.update(low_freq_factor=1.0, high_freq_factor=4.0)
        v5_params = {**params, "rope_theta": r.base}
        v4 = {"rope_theta": r.base, "rope_scaling": params}
    if r.rope.partial_rotary_factor != 1.0:
        v5_params["partial_rotary_factor"] = r.rope.partial_rotary_factor
    length = {"max_position_embeddings": r.max_position_embeddings}
    return {"v5": {"rope_parameters": v5_params, **length}, "v4": {**v4, **length}}


def vllm_forms(r: Retrofit, hf: dict[str, Any], model_id: str = "MODEL") -> dict[str, Any]:
    """vLLM: ``hf_overrides`` (the v5 block as JSON), ``max_model_len`` and a ``command``; ``legacy``: the
    ``--rope-scaling`` / ``--rope-theta`` flags of older vLLM versions (the v4 block); ``note``: where vLLM reads
    the block differently (dynamic NTK), else None."""
    overrides = json.dumps(hf["v5"], indent=2)
    legacy = []
    if hf["v4"]["rope_scaling"] is not None:
        legacy += ["--rope-scaling", json.dumps(hf["v4"]["rope_scaling"])]
    legacy += ["--rope-theta", repr(r.base)]
    command = (f"vllm serve {shlex.quote(model_id)} \\\n  --hf-overrides '{overrides}' \\\n"
               f"  --max-model-len {r.target}")
    note = ("vLLM fixes dynamic NTK's base once, for max_position_embeddings x factor tokens; transformers grows "
            "it with the sequence (the judge's reading)" if r.kind == "dynamic" else None)
    return {"model": model_id, "hf_overrides": json.dumps(hf["v5"]), "max_model_len": r.target, "command": command,
            "legacy": " ".join(shlex.quote(x) for x in legacy) + f" --max-model-len {r.target}", "note": note}


def llama_cpp_flags(r: Retrofit) -> tuple[list[str] | None, str]:
    """llama.cpp's flags for the retrofit, or None and the reason it has none (dynamic NTK, llama3)."""
    if r.kind == "dynamic":
        return None, "llama.cpp has no dynamic NTK; use the ntk retrofit (a static base) instead"
    if r.kind == "llama3":
        return None, ("llama.cpp bakes llama3 factors into the GGUF's rope_freqs tensor at conversion; convert "
                      "with the Hugging Face block instead")
    flags = ["--rope-freq-base", repr(r.base)]
    if r.kind == "linear":
        flags += ["--rope-scaling", "linear", "--rope-scale", f"{r.factor:g}"]
    elif r.kind == "yarn":
        flags += ["--rope-scaling", "yarn", "--rope-scale", f"{r.factor:g}", "--yarn-orig-ctx", str(r.original)]
    flags += ["--ctx-size", str(r.target)]
    return flags, "for a GGUF without a rope_freqs tensor: one converted from an unscaled config"


def parse_llama_cpp_flags(flags: Sequence[str], head_dim: int, base: float, n_ctx_train: int,
                          partial_rotary_factor: float = 1.0) -> tuple[RopeConfig, int | None]:
    """The ``RopeConfig`` llama.cpp builds from its RoPE flags, and the ``--ctx-size`` (None if not given).

    llama.cpp semantics (``common/arg.cpp``, ``src/llama.cpp``, ggml's ``rope_yarn``): ``--rope-freq-base`` replaces
    the base (default: the GGUF's, here ``base``); ``--rope-scale S`` sets ``freq_scale = 1/S`` (as does
    ``--rope-freq-scale``); a freq_scale below 1 interpolates every pair (linear) unless ``--rope-scaling yarn``,
    which ramps between YaRN's correction dims (beta fast 32, slow 1, floor/ceil: transformers' ``truncate``)
    over ``--yarn-orig-ctx`` (default: the training context ``n_ctx_train``)."""
    values: dict[str, str] = {}
    it = iter(flags)
    for flag in it:
        if flag not in ("--rope-freq-base", "--rope-scaling", "--rope-scale", "--rope-freq-scale",
                        "--yarn-orig-ctx", "--ctx-size", "-c", "--yarn-beta-fast", "--yarn-beta-slow"):
            raise InvalidRetrofit(f"llama.cpp flag {flag!r} is not a RoPE flag this parser reads")
        value = next(it, None)
        if value is None:
            raise InvalidRetrofit(f"llama.cpp flag {flag!r} needs a value")
        values["--ctx-size" if flag == "-c" else flag] = value
    b = float(values.get("--rope-freq-base", base))
    scale = 1.0 / float(values["--rope-freq-scale"]) if "--rope-freq-scale" in values else 1.0
    scale = float(values.get("--rope-scale", scale))
    kind = values.get("--rope-scaling", "none" if scale == 1.0 else "linear")
    if kind not in ("none", "linear", "yarn"):
        raise InvalidRetrofit(f"--rope-scaling must be none, linear or yarn, got {kind!r}")
    ctx = int(values["--ctx-size"]) if "--ctx-size" in values else None
    if kind == "yarn":
        original = int(values.get("--yarn-orig-ctx", n_ctx_train)) or n_ctx_train
        rope = RopeConfig("yarn", head_dim, b, partial_rotary_factor, ctx, factor=scale,
                          original_max_position_embeddings=original,
                          beta_fast=float(values.get("--yarn-beta-fast", 32.0)),
                          beta_slow=float(values.get("--yarn-beta-slow", 1.0)))
    elif scale != 1.0:
        rope = RopeConfig("linear", head_dim, b, partial_rotary_factor, ctx, factor=scale)
    else:
        rope = RopeConfig("default", head_dim, b, partial_rotary_factor, ctx)
    return rope, ctx


def _minimal_config(model: ModelRope) -> dict[str, Any]:
    """A config carrying the model's RoPE dimensions, base, context and depth, with no scaling."""
    rope = model.rope
    config: dict[str, Any] = {"head_dim": rope.head_dim, "hidden_size": rope.head_dim, "num_attention_heads": 1,
                              "max_position_embeddings": model.context, "rope_theta": rope.base}
    if model.depth is not None:
        config["num_hidden_layers"] = model.depth
    if rope.partial_rotary_factor != 1.0:
        config["partial_rotary_factor"] = rope.partial_rotary_factor
    return config


def round_trip(model: ModelRope, r: Retrofit, hf: dict[str, Any], vllm: dict[str, Any],
               flags: list[str] | None) -> dict[str, Any]:
    """Each emitted form read back through the toolkit's own readers (the Hugging Face blocks and vLLM's
    ``--hf-overrides`` merged into the model's config and read by ``from_hf_config``; llama.cpp's flags by
    ``parse_llama_cpp_flags``), its effective spectrum at the target and attention factor compared with the
    intended ones: per form True/False (None where the engine has no form), ``max_rel_diff`` and ``ok``."""
    intended = inv_freq(r.rope, r.target)
    base_config = _minimal_config(model)
    forms: dict[str, RopeConfig | None] = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a round trip reads what it wrote; the reader's notes are not news
        v4 = {**base_config, **{k: v for k, v in hf["v4"].items() if v is not None}}
        forms["hf_v4"] = from_hf_config(v4).rope
        v5 = {k: v for k, v in base_config.items() if k != "rope_theta"}
        forms["hf_v5"] = from_hf_config({**v5, **hf["v5"]}).rope
        forms["vllm"] = from_hf_config({**v5, **json.loads(vllm["hf_overrides"])}).rope
        forms["llama_cpp"] = None if flags is None else parse_llama_cpp_flags(
            flags, model.rope.head_dim, model.rope.base, r.original, model.rope.partial_rotary_factor)[0]
    out: dict[str, Any] = {}
    worst = 0.0
    for name, rope in forms.items():
        if rope is None:
            out[name] = None
            continue
        got = inv_freq(rope, r.target)
        diff = float(np.max(np.abs(got - intended) / intended)) if got.shape == intended.shape else math.inf
        worst = max(worst, diff)
        out[name] = bool(diff <= 1e-12 and abs(attention_factor(rope) - attention_factor(r.rope)) <= 1e-12)
    out["max_rel_diff"] = worst
    out["ok"] = all(v for k, v in out.items() if k not in ("max_rel_diff",) and v is not None)
    return out


def retrofitted_model(model: ModelRope, r: Retrofit) -> ModelRope:
    """The model with the retrofit in place of its main RoPE (per-layer models: their full-attention layers)."""
    layers = dict(model.layers)
    if "full_attention" in layers:
        layers["full_attention"] = r.rope
    return replace(model, name=f"{model.name} + {r.kind} x{r.factor:g}", rope=r.rope, layers=layers,
                   context=r.max_position_embeddings)


def judge_retrofit(model: ModelRope, r: Retrofit, depth: int | None = None, eps: float | None = None,
                   dtype: str = "fp32", pipeline: str = "hf") -> dict[str, Any]:
    """The toolkit's own judge (``model_report``) on the retrofitted model at the target context: ``verdict``,
    ``grade``, ``margin_decades`` (the smallest margin over the lower bounds), ``binding`` (that bound),
    ``effective_base`` and ``first_violated``."""
    from rope_sym.bounds.closed_forms import DEFAULT_EPS
    from rope_sym.bounds.models import model_report

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        report = model_report(retrofitted_model(model, r), context=r.target, dtype=dtype, depth=depth,
                              eps=DEFAULT_EPS if eps is None else eps, pipeline=pipeline)
    lower = {name: b["margin_decades"] for name, b in report["bounds"].items() if b["side"] == "lower"}
    binding = min(lower, key=lambda k: lower[k])
    return {"verdict": report["verdict"], "grade": report["grade"], "margin_decades": lower[binding],
            "binding": binding, "effective_base": report["effective_base"], "context": report["context"],
            "first_violated": report["first_violated"], "depth": report["depth"]}


def serving_blocks(model: ModelRope, kind: str, factor: float, target_context: float, *, depth: int | None = None,
                   eps: float | None = None, dtype: str = "fp32", pipeline: str = "hf",
                   model_id: str | None = None) -> dict[str, Any]:
    """Everything a user pastes for one retrofit (``kind``, factor ``s`` on the model's effective spectrum, a
    ``target_context``): ``hf`` (v5 and v4 blocks), ``vllm`` (``--hf-overrides`` command and the legacy flags),
    ``llama_cpp`` (flags or None, and a ``note``), ``round_trip`` (each form read back) and ``judge`` (the
    toolkit's verdict and margin at the target), plus ``kind``, ``s``, ``factor`` (the total on the unscaled
    spectrum), ``original``, ``target`` and ``max_position_embeddings``."""
    r = retrofit(model, kind, factor, target_context)
    hf = hf_blocks(r)
    vllm = vllm_forms(r, hf, model_id or model.hub_id or model.name)
    flags, note = llama_cpp_flags(r)
    return {"kind": r.kind, "s": r.s, "factor": r.factor, "base": r.base, "original": r.original,
            "target": r.target, "max_position_embeddings": r.max_position_embeddings, "hf": hf, "vllm": vllm,
            "llama_cpp": {"flags": flags, "command": None if flags is None else "llama-server -m MODEL.gguf "
                          + " ".join(flags), "note": note},
            "round_trip": round_trip(model, r, hf, vllm, flags),
            "judge": judge_retrofit(model, r, depth, eps, dtype, pipeline)}


def headroom_factor(model: ModelRope, kind: str, s: float, target_context: float, *,
                    margin: float = HEADROOM_DECADES, depth: int | None = None, eps: float | None = None,
                    dtype: str = "fp32", pipeline: str = "hf", max_steps: int = 400) -> float:
    """The factor ``s' >= s`` to suggest: its total factor ``S`` a multiple of ``FACTOR_STEP`` (steps doubling
    from ``S = 8`` on: 0.25 up to 8, 0.5 up to 16, ...; pasteable), large
    enough that ``S L0`` covers the target (a serving engine derives its maximum length from it) for linear,
    yarn and llama3, and the smallest such that the toolkit's judge calls the retrofit inside with at least
    ``margin`` decades to spare over every lower bound (``graded`` counts as inside only where the model itself
    is graded in this dtype: bf16 grades every model). Raises ``InvalidRetrofit`` when no factor within
    ``max_steps`` steps does."""
    from rope_sym.bounds.closed_forms import DEFAULT_EPS
    from rope_sym.bounds.models import model_report

    r = retrofit(model, kind, s, target_context)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        own = model_report(model, dtype=dtype, depth=depth, eps=DEFAULT_EPS if eps is None else eps,
                           pipeline=pipeline)
    accepted = {"inside", "graded"} if own["verdict"] == "graded" else {"inside"}
    divisor = r.factor / r.s
    total = max(r.factor, r.target / r.original if kind in ("linear", "yarn", "llama3") else 1.0)
    total = max(1.0, math.ceil(total / FACTOR_STEP - 1e-9) * FACTOR_STEP)
    for _ in range(max_steps):
        judged = judge_retrofit(model, retrofit(model, kind, total / divisor, target_context), depth, eps, dtype,
                                pipeline)
        if judged["verdict"] in accepted and judged["margin_decades"] >= margin:
            return total / divisor
        if judged["verdict"] == "graded" or judged["first_violated"] == "position":  # more factor cannot help
            why = ("slow pairs lose single-token resolution" if judged["verdict"] == "graded" else "positions merge")
            raise InvalidRetrofit(f"{model.name}: at a {kind} factor of {total:g} {why} before the lower bounds "
                                  f"have {margin:g} decades of room at {r.target:,} tokens ({dtype} {pipeline})")
        total += FACTOR_STEP * 2 ** max(0, math.floor(math.log2(total / 4)))  # steps grow with the factor
    raise InvalidRetrofit(f"{model.name}: no {kind} factor up to {total:g} brings a context of {r.target:,} inside "
                          f"with {margin:g} decades to spare ({dtype} {pipeline})")


__all__ = ["FACTOR_STEP", "HEADROOM_DECADES", "RETROFIT_KINDS", "InvalidRetrofit", "InvalidRopeConfig", "Retrofit",
           "headroom_factor", "hf_blocks", "judge_retrofit", "llama_cpp_flags", "parse_llama_cpp_flags", "retrofit",
           "retrofitted_model", "round_trip", "serving_blocks", "vllm_forms"]
