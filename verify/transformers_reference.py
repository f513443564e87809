"""Hugging Face transformers' own RoPE initialisation, as the reference for ``rope_sym.scaling``.

transformers is a test-only dependency: importing this module raises ``ImportError`` when it is missing.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import torch
from transformers import LlamaConfig
from transformers.modeling_rope_utils import ROPE_INIT_FUNCTIONS

from rope_sym.scaling import RopeConfig

_PARAM_KEYS = ("factor", "original_max_position_embeddings", "low_freq_factor", "high_freq_factor", "beta_fast",
               "beta_slow", "mscale", "mscale_all_dim", "attention_factor")


def hf_rope(rope: RopeConfig, context: int, seq_len: int | None) -> tuple[np.ndarray, float]:
    """transformers' ``(inv_freq, attention_factor)`` for the same settings, as float64 (LlamaConfig carries any
    rope type). ``default`` is computed as every rotary class does, ``1 / base ** (arange(0, d, 2).float() / d)``
    in float32, since v5 keeps it out of ``ROPE_INIT_FUNCTIONS``."""
    if rope.rope_type == "default":
        d = rope.rotary_dim
        freqs = 1.0 / (rope.base ** (torch.arange(0, d, 2, dtype=torch.int64).float() / d))
        return freqs.double().numpy(), 1.0
    params: dict[str, object] = {"rope_type": rope.rope_type, "rope_theta": rope.base,
                                 "partial_rotary_factor": rope.partial_rotary_factor}
    params.update({k: getattr(rope, k) for k in _PARAM_KEYS if getattr(rope, k) is not None})
    if rope.rope_type == "yarn":
        params["truncate"] = rope.truncate
    if rope.rope_type == "longrope":
        params["short_factor"], params["long_factor"] = list(rope.short_factor or ()), list(rope.long_factor or ())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # transformers' validation warnings are checked in tests/test_configs.py
        config = LlamaConfig(hidden_size=rope.head_dim * 4, num_attention_heads=4, head_dim=rope.head_dim,
                             max_position_embeddings=context, rope_parameters=params)
        freqs, factor = ROPE_INIT_FUNCTIONS[rope.rope_type](config, "cpu", seq_len)
    return freqs.double().numpy(), float(factor)


_ROTARY_CLASSES = {
    "llama": ("llama", "LlamaRotaryEmbedding"), "mistral": ("mistral", "MistralRotaryEmbedding"),
    "qwen2": ("qwen2", "Qwen2RotaryEmbedding"), "qwen2_vl_text": ("qwen2_vl", "Qwen2VLRotaryEmbedding"),
    "gemma2": ("gemma2", "Gemma2RotaryEmbedding"), "gemma3_text": ("gemma3", "Gemma3RotaryEmbedding"),
    "modernbert": ("modernbert", "ModernBertRotaryEmbedding"), "llama4_text": ("llama4", "Llama4TextRotaryEmbedding"),
}
"""model_type -> (module under ``transformers.models``, rotary embedding class) of the architectures pinned."""


def hf_text_config(data: dict[str, object]) -> Any:
    """transformers' own config object for a ``config.json`` dict (its text part for multimodal models), built by
    ``AutoConfig.for_model`` exactly as ``from_pretrained`` would from the file."""
    from transformers import AutoConfig

    kwargs = {k: v for k, v in data.items() if not k.startswith("_fixture") and k != "model_type"}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        config = AutoConfig.for_model(str(data["model_type"]), **kwargs)
    return config.get_text_config() if hasattr(config, "get_text_config") else config


def hf_layer_spectra(data: dict[str, object]) -> tuple[list[str], dict[str, np.ndarray]]:
    """``(layer_types, inv_freq by layer type)`` of transformers' own rotary embedding class for the architecture,
    built from the config dict: one entry per layer type that carries RoPE (Llama 4's NoPE layers are
    ``no_rope`` in the list and have no entry). Raises ``KeyError`` for an architecture not pinned here."""
    import importlib

    config = hf_text_config(data)
    module_name, class_name = _ROTARY_CLASSES[str(config.model_type)]
    module = importlib.import_module(f"transformers.models.{module_name}.modeling_{module_name}")
    rotary = getattr(module, class_name)(config)
    types = list(getattr(config, "layer_types", None) or ["full_attention"] * int(config.num_hidden_layers))
    no_rope = getattr(config, "no_rope_layers", None)
    if no_rope:  # Llama 4: 0 marks a layer without RoPE
        types = [kind if flag else "no_rope" for kind, flag in zip(types, no_rope, strict=True)]
    spectra: dict[str, np.ndarray] = {}
    for kind in sorted(set(types) - {"no_rope"}):
        buffer = getattr(rotary, f"{kind}_inv_freq", None)
        spectra[kind] = (rotary.inv_freq if buffer is None else buffer).double().numpy()
    return types, spectra
