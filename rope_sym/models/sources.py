"""Where a model's config comes from: a registry name, a packaged model (``rope_sym.models.packages``), a
``.gguf`` file (its metadata), a ``config.json``, a model directory, a hub id resolved offline in the local Hugging
Face cache, a transformers ``PretrainedConfig``, or a dict.

The cache is the one ``huggingface_hub`` writes: ``$HF_HUB_CACHE``, else ``$HF_HOME/hub``, else
``~/.cache/huggingface/hub``, holding ``models--{org}--{name}/refs/main`` (a revision) and
``models--{org}--{name}/snapshots/{revision}/config.json``; ``revision`` (``--revision``) picks another branch, tag
or commit. Nothing is ever downloaded.

>>> load_model({"hidden_size": 64, "num_attention_heads": 1, "rope_theta": 1e4}).rope.head_dim
64
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from rope_sym.models.gguf_config import is_gguf, model_from_gguf
from rope_sym.models.hf_config import InvalidRopeConfig, ModelRope, from_hf_config
from rope_sym.models.packages import PACKAGED_MODELS, packaged_file, packaged_model
from rope_sym.models.registry import MODELS, UnknownModel, get_model, registry_disagreements


def hub_cache() -> Path:
    """The local Hugging Face hub cache directory (it need not exist)."""
    if os.environ.get("HF_HUB_CACHE"):
        return Path(os.environ["HF_HUB_CACHE"])
    if os.environ.get("HF_HOME"):
        return Path(os.environ["HF_HOME"]) / "hub"
    return Path.home() / ".cache" / "huggingface" / "hub"


def cached_config(hub_id: str, revision: str = "main") -> Path | None:
    """The cached ``config.json`` of ``org/name`` at ``revision`` (a branch or tag under ``refs``, a commit, or a
    commit's prefix of at least 7 hex digits), or None when the cache does not hold it. With no ``refs/main``,
    ``main`` falls back to the only snapshot there is."""
    if not revision or ".." in revision.split("/"):
        raise InvalidRopeConfig(f"revision {revision!r} is not a branch, tag or commit")
    folder = hub_cache() / f"models--{hub_id.replace('/', '--')}"
    if not folder.is_dir():
        return None
    ref = folder / "refs" / revision
    commit = ref.read_text().strip() if ref.is_file() else revision
    candidate = folder / "snapshots" / commit / "config.json"
    if candidate.is_file():
        return candidate
    snapshots = sorted((folder / "snapshots").glob("*/config.json")) if (folder / "snapshots").is_dir() else []
    if ref.is_file():
        return None
    if revision == "main":
        return snapshots[0] if len(snapshots) == 1 else None
    prefixed = [s for s in snapshots if len(revision) >= 7 and s.parent.name.startswith(revision.lower())]
    return prefixed[0] if len(prefixed) == 1 else None


def looks_like_hub_id(text: str) -> bool:
    """Whether ``text`` has the shape ``org/name`` (not a path, not a JSON file)."""
    parts = text.split("/")
    return len(parts) == 2 and all(parts) and not text.endswith(".json") and not text.startswith((".", "~"))


def load_model(source: Any, name: str | None = None, revision: str = "main") -> ModelRope:
    """A model's RoPE from any of the sources in the module docstring; one ``ValueError`` subclass naming the
    source when it is none of them. ``revision``: a hub id's branch, tag or commit in the cache (default main).

    A config read from anywhere but the registry is compared with the registry entry of the same model
    (``registry_disagreements``): a context or base that disagrees is a ``UserWarning``; the config's value is
    used."""
    if isinstance(source, ModelRope):
        return source
    if isinstance(source, str) and source.lower() in {m.lower() for m in MODELS}:
        return get_model(source)
    model, hint = _load(source, name, revision)
    for message in registry_disagreements(model, hint):
        warnings.warn(message, UserWarning, stacklevel=2)
    return model


def _load(source: Any, name: str | None, revision: str) -> tuple[ModelRope, str | None]:
    """The model and a hint naming its repository (for the registry comparison)."""
    if isinstance(source, Mapping):
        return from_hf_config(source, name=name), None
    if hasattr(source, "to_dict") and callable(source.to_dict):  # a transformers PretrainedConfig
        data = source.to_dict()
        return from_hf_config(data, name=name or str(data.get("_name_or_path") or type(source).__name__)), None
    if not isinstance(source, (str, Path)):
        raise InvalidRopeConfig(f"a model must be a name, a path, a hub id, a config or a dict, got "
                                f"{type(source).__name__}")
    text = str(source)
    packaged = packaged_model(text)
    if packaged is not None:  # a model shipped as a PyPI package: its GGUF file's metadata
        return model_from_gguf(packaged_file(packaged), name=name or packaged.name), packaged.name
    path = Path(text).expanduser()
    if text.lower().endswith(".gguf") or (path.is_file() and is_gguf(path)):
        return model_from_gguf(path, name=name), path.name
    if path.is_dir():
        config = path / "config.json"
        if not config.is_file():
            raise InvalidRopeConfig(f"model directory {text!r} has no config.json")
        return from_hf_config(config, name=name or path.name), path.name
    if path.exists() or text.endswith(".json"):
        return from_hf_config(path, name=name), None
    if looks_like_hub_id(text):
        found = cached_config(text, revision)
        if found is None:
            at = "" if revision == "main" else f" at revision {revision!r}"
            raise UnknownModel(f"{text!r}{at} is not in the local Hugging Face cache ({hub_cache()}); download it "
                               "with huggingface_hub, or give a config.json or a model directory")
        return from_hf_config(found, name=name or text), text
    raise UnknownModel(f"unknown model {text!r}: not a registry model (known: {', '.join(MODELS)}), a packaged "
                       f"model ({', '.join(PACKAGED_MODELS)}), a file, a directory or a hub id (org/name)")
