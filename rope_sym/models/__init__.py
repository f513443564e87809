"""Real models: reading a Hugging Face ``config.json`` (``from_hf_config``) and the registry of published
models' RoPE settings with their sources (``REGISTRY``, ``get_model``)."""

from rope_sym.models.hf_config import ModelRope, from_hf_config, read_config
from rope_sym.models.registry import MODELS, REGISTRY, ModelEntry, UnknownModel, find_entry, get_model

__all__ = ["MODELS", "REGISTRY", "ModelEntry", "ModelRope", "UnknownModel", "find_entry", "from_hf_config",
           "get_model", "read_config"]
