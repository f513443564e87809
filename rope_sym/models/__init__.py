"""Real models: reading a Hugging Face ``config.json`` (``from_hf_config``), the registry of published models'
RoPE settings with their sources (``REGISTRY``, ``get_model``) and pasteable retrofit blocks (``serving_blocks``)."""

from rope_sym.models.hf_config import ModelRope, from_hf_config, read_config
from rope_sym.models.registry import (
    MODELS,
    REGISTRY,
    ModelEntry,
    UnknownModel,
    find_entry,
    get_model,
    registry_disagreements,
)
from rope_sym.models.serving import RETROFIT_KINDS, headroom_factor, parse_llama_cpp_flags, serving_blocks

__all__ = ["MODELS", "REGISTRY", "RETROFIT_KINDS", "ModelEntry", "ModelRope", "UnknownModel", "find_entry",
           "from_hf_config", "get_model", "headroom_factor", "parse_llama_cpp_flags", "read_config",
           "registry_disagreements", "serving_blocks"]
