"""Reading a Hugging Face ``config.json`` (a path or a dict) into per-layer ``RopeConfig`` values.

Rules (Hugging Face transformers 5.x semantics):

- head dim: ``qk_rope_head_dim`` (MLA: only that part rotates) if present, else ``head_dim`` if present and not
  null, else ``hidden_size // num_attention_heads``.
- base: ``rope_theta`` inside ``rope_parameters`` or at top level (GPT-NeoX: ``rotary_emb_base``); when absent
  the transformers default 10000 is used with a visible warning.
- fraction: ``partial_rotary_factor`` (GPT-NeoX: ``rotary_pct``), default 1.
- scaling: ``rope_scaling`` (v4) when set, else ``rope_parameters`` (v5), as transformers 5.x reads them (a
  warning when both are set and disagree), with ``type`` accepted for ``rope_type`` and the old spelling ``su``
  for ``longrope``; a top-level ``original_max_position_embeddings`` (Phi-3) takes priority.
- per layer: ``rope_parameters`` keyed by layer type (``full_attention`` / ``sliding_attention``), Gemma-3's
  ``rope_local_base_freq`` (sliding layers unscaled at that base, full layers scaled) or ModernBERT's
  ``global_rope_theta`` / ``local_rope_theta``.
- what the config leaves out, its architecture's transformers defaults fill in (Gemma 3's bases and layer
  pattern, Qwen2's ``use_sliding_window``, Llama 4's ``no_rope_layers``): ``rope_sym.models.architectures``.

Errors name the key (``InvalidRopeConfig``, a ``ValueError``); where transformers only warns, a ``UserWarning``.

>>> model = from_hf_config({"hidden_size": 4096, "num_attention_heads": 32, "max_position_embeddings": 131072,
...     "num_hidden_layers": 32, "rope_theta": 500000.0, "rope_scaling": {"rope_type": "llama3", "factor": 8.0,
...     "low_freq_factor": 1.0, "high_freq_factor": 4.0, "original_max_position_embeddings": 8192}})
>>> model.rope.rope_type, model.rope.head_dim, model.context, model.depth
('llama3', 128, 131072, 32)
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rope_sym.errors import RopeSymError
from rope_sym.models.architectures import TEXT_MODEL_TYPES, layer_layout, with_architecture_defaults
from rope_sym.scaling import REQUIRED_KEYS, InvalidRopeConfig, RopeConfig
from rope_sym.spectrum.spec import check_positive_integer, finite_real

MAX_CONFIG_BYTES = 16 << 20
"""Largest config file read (real ``config.json`` files are a few kB)."""

TYPE_ALIASES = {"su": "longrope", "mrope": "default"}
"""Old or model-specific spellings: ``su`` is LongRoPE; ``mrope`` (Qwen2-VL, Qwen2.5-VL) splits the default
frequencies into sections for time, height and width, so its frequencies are the default ones."""

ABSOLUTE_POSITION_TYPES = frozenset({"bert", "roberta", "xlm-roberta", "distilbert", "albert", "electra", "deberta",
                                     "deberta-v2", "mpnet", "gpt2", "opt", "bart", "t5", "mt5", "bloom", "mpt",
                                     "whisper", "vit"})
"""Model types whose positions are absolute (or ALiBi, T5's relative buckets): no RoPE to judge."""
DEFAULT_THETA = 10000.0
_FLOAT_KEYS = ("factor", "low_freq_factor", "high_freq_factor", "beta_fast", "beta_slow", "mscale",
               "mscale_all_dim", "attention_factor")
_KNOWN_KEYS = {"rope_type", "type", "rope_theta", "partial_rotary_factor", "original_max_position_embeddings",
               "truncate", "short_factor", "long_factor", "mrope_section", "mrope_interleaved", *_FLOAT_KEYS}


@dataclass(frozen=True)
class ModelRope:
    """A model's RoPE: the main (global-attention) layer's ``rope``, every layer type's, context and depth; the
    ``sliding_window`` of sliding-attention layers, the per-layer ``layer_types`` when the config lists them, and
    the number of layers without RoPE (``nope_layers``, Llama 4's ``no_rope_layers`` zeros, listed as ``no_rope``
    in ``layer_types``), and ``hub_id``: the config's ``_name_or_path`` when it names one."""

    name: str
    rope: RopeConfig
    layers: dict[str, RopeConfig] = field(default_factory=dict)
    context: int | None = None
    depth: int | None = None
    sliding_window: int | None = None
    layer_types: tuple[str, ...] = ()
    nope_layers: int = 0
    attention_chunk: int | None = None
    hub_id: str | None = None

    def rope_of(self, layer_type: str) -> RopeConfig | None:
        """The RoPE of a layer type: its own (Gemma 3's local base), else the main one; None for ``no_rope``."""
        if layer_type == "no_rope":
            return None
        return self.layers.get(layer_type, self.rope)


def _number(key: str, value: object) -> float:
    try:
        return finite_real(value, f"config key {key!r}")
    except RopeSymError as exc:
        raise InvalidRopeConfig(str(exc)) from None


def _integer(key: str, value: object) -> int:
    try:
        return check_positive_integer(value, f"config key {key!r}")
    except RopeSymError as exc:
        raise InvalidRopeConfig(str(exc)) from None


def _optional(params: Mapping[str, Any], key: str) -> float | None:
    value = params.get(key)
    return None if value is None else _number(key, value)


def _factor_list(key: str, value: object) -> tuple[float, ...]:
    if not isinstance(value, (list, tuple)):
        raise InvalidRopeConfig(f"config key {key!r} must be a list of numbers, got {type(value).__name__}")
    return tuple(_number(f"{key}[{i}]", v) for i, v in enumerate(value))


def _head_dim(config: Mapping[str, Any]) -> int:
    if config.get("qk_rope_head_dim") is not None:
        return _integer("qk_rope_head_dim", config["qk_rope_head_dim"])
    if config.get("head_dim") is not None:
        return _integer("head_dim", config["head_dim"])
    for key in ("hidden_size", "num_attention_heads"):
        if key not in config:
            raise InvalidRopeConfig(f"config lacks {key!r} (and 'head_dim'), so the head dim is unknown")
    return _integer("hidden_size", config["hidden_size"]) // _integer("num_attention_heads",
                                                                     config["num_attention_heads"])


def _rope_from_params(params: Mapping[str, Any], config: Mapping[str, Any], head_dim: int,
                      context: int | None, where: str) -> RopeConfig:
    """One ``RopeConfig`` from a rope-parameters dict (already merged with top-level theta and fraction)."""
    unknown = sorted(set(params) - _KNOWN_KEYS)
    if unknown:
        warnings.warn(f"{where}: unrecognised rope keys {unknown} are ignored", UserWarning, stacklevel=3)
    raw_type = params.get("rope_type", params.get("type", "default"))
    if not isinstance(raw_type, str):
        raise InvalidRopeConfig(f"{where}: 'rope_type' must be a string, got {raw_type!r}")
    rope_type = TYPE_ALIASES.get(raw_type, raw_type)
    if params.get("rope_theta") is None:
        warnings.warn(f"{where}: 'rope_theta' missing; using the transformers default {DEFAULT_THETA:g}",
                      UserWarning, stacklevel=3)
        base = DEFAULT_THETA
    else:
        base = _number("rope_theta", params["rope_theta"])
    fraction = _number("partial_rotary_factor", params.get("partial_rotary_factor", 1.0))
    original: int | None = None
    if "original_max_position_embeddings" in REQUIRED_KEYS.get(rope_type, ()):
        if config.get("original_max_position_embeddings") is not None:  # top level wins (Phi-3 style)
            original = _integer("original_max_position_embeddings", config["original_max_position_embeddings"])
        elif params.get("original_max_position_embeddings") is not None:
            original = _integer("original_max_position_embeddings", params["original_max_position_embeddings"])
        elif context is not None:
            warnings.warn(f"{where}: 'original_max_position_embeddings' missing; using max_position_embeddings "
                          f"{context} as transformers does", UserWarning, stacklevel=3)
            original = context
    values = {key: _optional(params, key) for key in _FLOAT_KEYS}
    _warn_unusual(rope_type, values, context, original, where)
    short = None if params.get("short_factor") is None else _factor_list("short_factor", params["short_factor"])
    long = None if params.get("long_factor") is None else _factor_list("long_factor", params["long_factor"])
    truncate = params.get("truncate", True)
    if not isinstance(truncate, bool):
        raise InvalidRopeConfig(f"{where}: 'truncate' must be true or false, got {truncate!r}")
    try:  # every rule of a rope type lives in RopeConfig; here it gains the config's name
        return RopeConfig(rope_type, head_dim, base, fraction, context, values["factor"], original,
                          values["low_freq_factor"], values["high_freq_factor"], values["beta_fast"],
                          values["beta_slow"], values["mscale"], values["mscale_all_dim"],
                          values["attention_factor"], truncate, short, long)
    except RopeSymError as exc:
        raise InvalidRopeConfig(f"{where}: {exc}") from None


def _warn_unusual(rope_type: str, values: Mapping[str, float | None], context: int | None, original: int | None,
                  where: str) -> None:
    """Where transformers only warns, so do we (one line each)."""
    low, high, factor = values["low_freq_factor"], values["high_freq_factor"], values["factor"]
    if rope_type == "llama3" and low is not None and high is not None:
        if high <= low:
            warnings.warn(f"{where}: 'high_freq_factor' {high:g} <= 'low_freq_factor' {low:g}: no smoothing band",
                          UserWarning, stacklevel=4)
        if context is not None and original is not None and original >= context:
            warnings.warn(f"{where}: 'original_max_position_embeddings' {original} >= max_position_embeddings "
                          f"{context}", UserWarning, stacklevel=4)
    if rope_type == "yarn" and factor is not None:
        if context is not None and original and factor != context / original and context != original:
            warnings.warn(f"{where}: yarn 'factor' {factor:g} != max_position_embeddings / "
                          f"original_max_position_embeddings = {context / original:g}; the factor is used",
                          UserWarning, stacklevel=4)
        fast, slow = values["beta_fast"] or 32.0, values["beta_slow"] or 1.0
        if fast < slow:
            warnings.warn(f"{where}: 'beta_fast' {fast:g} < 'beta_slow' {slow:g}", UserWarning, stacklevel=4)


def _top_level_defaults(config: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    theta = config.get("rope_theta", config.get("rotary_emb_base"))
    if theta is not None:
        out["rope_theta"] = theta
    fraction = config.get("partial_rotary_factor", config.get("rotary_pct"))
    if fraction is not None:
        out["partial_rotary_factor"] = fraction
    return out


def _layer_structure(config: Mapping[str, Any], depth: int | None) -> tuple[int | None, tuple[str, ...], int,
                                                                         int | None]:
    """``(sliding_window, layer_types, nope_layers, attention_chunk)`` of a config (absent: None, (), 0, None), as
    its architecture's transformers configuration class resolves them (``rope_sym.models.architectures``)."""
    types, window, nope = layer_layout(config, depth)
    sliding = None if window is None else _integer("sliding_window", window)
    chunk = config.get("attention_chunk_size")
    chunked = None if chunk is None or isinstance(chunk, bool) else _integer("attention_chunk_size", chunk)
    return sliding, types, nope, chunked


def _rope_keys(config: Mapping[str, Any], name: str) -> Any:
    """The rope-parameters dict of a config: ``rope_scaling`` when it is set, else ``rope_parameters``, as
    transformers 5.x reads them (``rope_scaling or rope_parameters``); a warning when both are set and disagree."""
    v5, v4 = config.get("rope_parameters"), config.get("rope_scaling")
    if isinstance(v5, Mapping) and isinstance(v4, Mapping) and v5 and v4:
        def norm(d: Mapping[str, Any]) -> dict[str, Any]:
            out = {("rope_type" if k == "type" else k): v for k, v in d.items()}
            return {k: TYPE_ALIASES.get(v, v) if k == "rope_type" else v for k, v in out.items()}

        a, b = norm(v5), norm(v4)
        differ = sorted(k for k in set(a) | set(b) if (k in b and a.get(k) != b[k])
                        or (k not in b and k not in ("rope_theta", "partial_rotary_factor")))
        if differ:
            shown = ", ".join(f"{k} ({a.get(k)!r} vs {b.get(k)!r})" for k in differ)
            warnings.warn(f"{name}: 'rope_parameters' and 'rope_scaling' disagree on {shown}; transformers reads "
                          "'rope_scaling', and so does rope-sym", UserWarning, stacklevel=3)
    return v4 if v4 else v5


def read_config(path: Path) -> Any:
    """The JSON value in the file ``path``; any problem reading or parsing it is one ``InvalidRopeConfig``."""
    try:
        if path.is_dir():
            raise InvalidRopeConfig(f"config {str(path)!r} is a directory (give its config.json)")
        with path.open("rb") as handle:
            raw = handle.read(MAX_CONFIG_BYTES + 1)
    except OSError as exc:
        raise InvalidRopeConfig(f"cannot read config {str(path)!r}: {exc.strerror or exc}") from None
    if len(raw) > MAX_CONFIG_BYTES:
        raise InvalidRopeConfig(f"config {str(path)!r} is larger than {MAX_CONFIG_BYTES >> 20} MiB")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InvalidRopeConfig(f"config {str(path)!r} is not UTF-8 text (byte {exc.start})") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidRopeConfig(f"config {str(path)!r} is not valid JSON: {exc.msg} (line {exc.lineno})") from None
    except RecursionError:
        raise InvalidRopeConfig(f"config {str(path)!r} is nested too deeply to be a model config") from None


def from_hf_config(config: Mapping[str, Any] | str | Path, name: str | None = None) -> ModelRope:
    """A model's RoPE from a Hugging Face config (a dict, or a path to ``config.json``).

    Multimodal configs with a ``text_config`` use it. ``name`` defaults to ``_name_or_path`` or the file name.
    """
    if isinstance(config, (str, Path)):
        path = Path(config)
        name = name or str(path)
        config = read_config(path)
    if not isinstance(config, Mapping):
        raise InvalidRopeConfig(f"a config must be a JSON object, got {type(config).__name__}")
    if isinstance(config.get("text_config"), Mapping):
        outer = str(config.get("model_type", "")).lower()
        text = dict(config["text_config"])
        if "model_type" not in text and outer in TEXT_MODEL_TYPES:
            text["model_type"] = TEXT_MODEL_TYPES[outer]
        config = {**text, **{k: v for k, v in config.items() if k == "_name_or_path"}}
    name = name or str(config.get("_name_or_path", "config"))
    config = with_architecture_defaults(config)
    hub_id = config.get("_name_or_path") if isinstance(config.get("_name_or_path"), str) else None
    head_dim = _head_dim(config)
    context = (None if config.get("max_position_embeddings") is None
               else _integer("max_position_embeddings", config["max_position_embeddings"]))
    depth = None if config.get("num_hidden_layers") is None else _integer("num_hidden_layers",
                                                                         config["num_hidden_layers"])
    top = _top_level_defaults(config)
    params = _rope_keys(config, name)
    model_type = str(config.get("model_type", "")).lower()
    if params is None and config.get("global_rope_theta") is not None:  # ModernBERT: a base per layer type
        params = {"full_attention": {"rope_type": "default", "rope_theta": config["global_rope_theta"]},
                  "sliding_attention": {"rope_type": "default",
                                        "rope_theta": config.get("local_rope_theta", DEFAULT_THETA)}}
    no_rope_keys = params is None and "rope_theta" not in top
    if no_rope_keys and (model_type in ABSOLUTE_POSITION_TYPES or config.get("position_embedding_type")
                         in ("absolute", "relative_key", "relative_key_query") or config.get("alibi")):
        kind = config.get("position_embedding_type") or ("ALiBi" if config.get("alibi") else "absolute")
        raise InvalidRopeConfig(f"{name}: no RoPE to judge (model_type {model_type or '?'!r}, {kind} positions: no "
                                "rope_theta and no rope_scaling/rope_parameters)")
    if params is not None and not isinstance(params, Mapping):
        raise InvalidRopeConfig(f"config key 'rope_parameters'/'rope_scaling' must be an object, got {params!r}")
    params = dict(params or {})
    layers: dict[str, RopeConfig] = {}
    if params and all(isinstance(v, Mapping) for v in params.values()):  # keyed by layer type
        for layer_type, layer_params in sorted(params.items()):
            merged = {**top, **layer_params}
            layers[layer_type] = _rope_from_params(merged, config, head_dim, context, f"{name} [{layer_type}]")
        main = layers.get("full_attention") or next(iter(layers.values()))
        return ModelRope(name, main, layers, context, depth, *_layer_structure(config, depth), hub_id=hub_id)
    main = _rope_from_params({**top, **params}, config, head_dim, context, name)
    if config.get("rope_local_base_freq") is not None:  # Gemma-3 (transformers 4.x): sliding layers unscaled
        local = {"rope_type": "default", "rope_theta": config["rope_local_base_freq"]}
        if "partial_rotary_factor" in top:
            local["partial_rotary_factor"] = top["partial_rotary_factor"]
        layers = {"full_attention": main,
                  "sliding_attention": _rope_from_params(local, config, head_dim, context, f"{name} [sliding]")}
    return ModelRope(name, main, layers, context, depth, *_layer_structure(config, depth), hub_id=hub_id)
