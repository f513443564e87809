"""Hugging Face transformers' own RoPE initialisation, as the reference for ``rope_sym.scaling``.

transformers is a test-only dependency: importing this module raises ``ImportError`` when it is missing.
"""

from __future__ import annotations

import warnings

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
