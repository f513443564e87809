"""What a ``config.json`` leaves out and transformers fills in: per-architecture defaults and layer layouts.

Published configs are often sparse (Gemma 3's ``text_config`` has no ``rope_theta``, no
``max_position_embeddings``, no layer pattern) or carry keys whose meaning depends on the architecture (Qwen2's
``sliding_window`` is off unless ``use_sliding_window``; Llama 4's empty ``no_rope_layers`` means "the default
pattern"). transformers resolves both in each architecture's configuration class; the rules below are those of
transformers 5.x ``models/*/configuration_*.py`` (class defaults and ``__post_init__``), so that a ``config.json``
and the ``PretrainedConfig`` built from it read the same:

- ``gemma2``: layers alternate sliding / full, ``(i + 1) % 2`` sliding.
- ``gemma3_text``: base 1e6 (``default_theta['global']``) on full layers, ``rope_local_base_freq`` 1e4 on
  sliding ones; layer ``i`` slides iff ``(i + 1) % sliding_window_pattern`` (default 6); a bidirectional model's
  window is ``sliding_window // 2 + 1``.
- ``modernbert``: ``global_rope_theta`` 160000 on full layers, ``local_rope_theta`` 1e4 on sliding ones; layer ``i``
  is full iff ``i % global_attn_every_n_layers == 0`` (default 3); ``local_attention`` (default 128) is the whole
  window, so each token sees ``local_attention // 2`` on either side (transformers' ``sliding_window``).
- ``llama4_text``: ``no_rope_layers`` None or ``[]`` means ``[(i + 1) % no_rope_layer_interval != 0]`` (interval
  4: every 4th layer has no RoPE); RoPE layers attend within ``attention_chunk_size`` (default 8192) chunks.
- Qwen2 family (``qwen2``, ``qwen2_vl``, ``qwen2_5_vl``, ``qwen3``): ``sliding_window`` is None unless
  ``use_sliding_window`` (default False); when on, layers ``i >= max_window_layers`` slide.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

TEXT_MODEL_TYPES = {"gemma3": "gemma3_text", "llama4": "llama4_text", "qwen2_vl": "qwen2_vl_text",
                    "qwen2_5_vl": "qwen2_5_vl_text"}
"""A multimodal config's ``model_type`` -> its ``text_config``'s, when the text part does not say."""

QWEN2_FAMILY = frozenset({"qwen2", "qwen2_vl", "qwen2_vl_text", "qwen2_5_vl", "qwen2_5_vl_text", "qwen3"})

ARCHITECTURE_DEFAULTS: dict[str, dict[str, Any]] = {
    "gemma2": {"hidden_size": 2304, "num_attention_heads": 8, "head_dim": 256, "num_hidden_layers": 26,
               "max_position_embeddings": 8192, "rope_theta": 10000.0, "sliding_window": 4096},
    "gemma3_text": {"hidden_size": 2304, "num_attention_heads": 8, "head_dim": 256, "num_hidden_layers": 26,
                    "max_position_embeddings": 131072, "rope_theta": 1_000_000.0, "rope_local_base_freq": 10_000.0,
                    "sliding_window": 4096, "sliding_window_pattern": 6},
    "modernbert": {"hidden_size": 768, "num_attention_heads": 12, "num_hidden_layers": 22,
                   "max_position_embeddings": 8192, "global_rope_theta": 160_000.0, "local_rope_theta": 10_000.0,
                   "local_attention": 128, "global_attn_every_n_layers": 3},
    "llama4_text": {"hidden_size": 5120, "num_attention_heads": 40, "head_dim": 128, "num_hidden_layers": 48,
                    "max_position_embeddings": 131072, "rope_theta": 500_000.0, "attention_chunk_size": 8192,
                    "no_rope_layer_interval": 4},
    **{family: {"use_sliding_window": False} for family in QWEN2_FAMILY},
}
"""transformers 5.x class defaults of the keys that decide the RoPE and the attention layout, per ``model_type``
(a key the config gives, even as null, is the config's)."""


def with_architecture_defaults(config: Mapping[str, Any]) -> dict[str, Any]:
    """The config with its architecture's defaults filled in where a key is absent (``ARCHITECTURE_DEFAULTS``)."""
    defaults = ARCHITECTURE_DEFAULTS.get(str(config.get("model_type", "")).lower(), {})
    return {**defaults, **config}


def layer_layout(config: Mapping[str, Any], depth: int | None) -> tuple[tuple[str, ...], int | None, int]:
    """``(layer_types, sliding_window, nope_layers)`` of a config with its defaults filled in: the layer types the
    config lists or its architecture implies (``no_rope`` for a layer without RoPE), the window sliding layers see
    (None when off) and the number of layers without RoPE (module docstring)."""
    model_type = str(config.get("model_type", "")).lower()
    window = config.get("sliding_window")
    window = None if window is None or isinstance(window, bool) or not isinstance(window, int) else window
    if model_type == "modernbert" and isinstance(config.get("local_attention"), int):
        window = config["local_attention"] // 2
    if config.get("use_sliding_window") is False:  # Qwen2: the window is off, whatever its size says
        window = None
    if model_type == "gemma3_text" and config.get("use_bidirectional_attention") and window is not None:
        window = window // 2 + 1
    raw = config.get("layer_types")
    types = tuple(str(t) for t in raw) if isinstance(raw, list) and raw else ()
    n = depth or 0
    if not types and n:
        types = _implied_types(config, model_type, n, window)
    no_rope = config.get("no_rope_layers")
    if model_type == "llama4_text" and not no_rope and n:
        interval = int(config.get("no_rope_layer_interval") or 4)
        no_rope = [int((i + 1) % interval != 0) for i in range(n)]
    if isinstance(no_rope, list) and no_rope:
        chunked = config.get("attention_chunk_size") is not None
        if len(types) != len(no_rope):
            types = tuple("chunked_attention" if chunked else "full_attention" for _ in no_rope)
        types = tuple(kind if flag else "no_rope" for kind, flag in zip(types, no_rope, strict=True))
    return types, window, sum(t == "no_rope" for t in types)


def _implied_types(config: Mapping[str, Any], model_type: str, n: int, window: int | None) -> tuple[str, ...]:
    slide, full = "sliding_attention", "full_attention"
    if model_type == "gemma2":
        return tuple(slide if (i + 1) % 2 else full for i in range(n))
    if model_type == "gemma3_text":
        pattern = int(config.get("sliding_window_pattern") or 6)
        return tuple(slide if (i + 1) % pattern else full for i in range(n))
    if model_type == "modernbert":
        every = int(config.get("global_attn_every_n_layers") or 3)
        return tuple(slide if i % every else full for i in range(n))
    if model_type in QWEN2_FAMILY and window is not None:
        first = int(config.get("max_window_layers") or 0)
        return tuple(slide if i >= first else full for i in range(n))
    return ()
