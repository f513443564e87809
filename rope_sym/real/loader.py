"""Loading a trained model to run it: a packaged model, a ``.gguf`` file, a Hugging Face model directory
(safetensors), or a hub id in the offline Hugging Face cache. Nothing is downloaded.

``load_real_model(source)`` returns a ``RealModel``: the transformers model and tokenizer, the model's RoPE as
the rest of the toolkit reads it (``ModelRope``, from the GGUF metadata or ``config.json``), and
``set_rope``/``logits`` to run it with explicit ``position_ids`` under any base, scaling and pipeline. torch and
transformers (the ``model`` extra: ``pip install 'rope-sym[model]'``) are imported here only.
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from rope_sym.errors import RopeSymError
from rope_sym.models.gguf_config import MODEL_EXTRA_INSTALL, is_gguf, model_from_gguf
from rope_sym.models.hf_config import ModelRope, from_hf_config
from rope_sym.models.packages import PACKAGED_MODELS, packaged_file, packaged_model
from rope_sym.models.sources import cached_config, looks_like_hub_id
from rope_sym.pipelines.table import check_dtype, check_pipeline
from rope_sym.scaling import RopeConfig, attention_factor, inv_freq
from rope_sym.torch_backend.runtime import TORCH_DTYPES, resolve_device, torch

DTYPES = ("fp32", "bf16", "fp16")
"""Activation dtypes a real model runs in."""
FP32_BUFFERS = "_rope_sym_fp32_buffers"
"""Attribute of a model's own rotary module holding its buffers as loaded, in fp32 (``RealModel.to``)."""


@dataclass(frozen=True)
class ModelFiles:
    """Where a model's weights are: ``folder`` and, for a GGUF model, ``gguf_file`` inside it."""

    name: str
    folder: Path
    gguf_file: str | None = None
    hub_id: str | None = None


def find_model_files(source: str | Path) -> ModelFiles:
    """The files of ``source``: a packaged model's short name (``smollm2-135m``, ``gemma3-270m``), a ``.gguf``
    file, a model directory (``config.json`` with safetensors) or a hub id (``org/name``) in the offline cache."""
    text = str(source)
    packaged = packaged_model(text)
    if packaged is not None:
        path = packaged_file(packaged)
        return ModelFiles(packaged.name, path.parent, path.name)
    path = Path(text).expanduser()
    if path.is_file():
        if not is_gguf(path):
            raise RopeSymError(f"{text!r} is not a GGUF file; give a .gguf, a model directory or a packaged model "
                               f"({', '.join(PACKAGED_MODELS)})")
        return ModelFiles(path.name, path.parent, path.name)
    if path.is_dir():
        if not (path / "config.json").is_file():
            raise RopeSymError(f"model directory {text!r} has no config.json")
        if not any(path.glob("*.safetensors")) and not any(path.glob("*.bin")):
            raise RopeSymError(f"model directory {text!r} has no weights (*.safetensors)")
        return ModelFiles(path.name, path)
    if looks_like_hub_id(text) and not text.endswith(".gguf"):
        config = cached_config(text)
        if config is None:
            raise RopeSymError(f"{text!r} is not in the local Hugging Face cache; nothing is downloaded here: give a "
                               f".gguf, a model directory or a packaged model ({', '.join(PACKAGED_MODELS)})")
        return ModelFiles(text, config.parent, hub_id=text)
    raise RopeSymError(f"unknown model {text!r}: give a packaged model ({', '.join(PACKAGED_MODELS)}), a .gguf "
                       "file, a model directory or a hub id in the local Hugging Face cache")


def _transformers() -> Any:
    try:
        import transformers
    except ImportError:
        raise RopeSymError(f"running a model needs transformers: {MODEL_EXTRA_INSTALL}") from None
    return transformers


@contextlib.contextmanager
def _quiet_loading() -> Any:
    """transformers' progress bars and its GGUF notices, kept off the user's terminal."""
    logger = logging.getLogger("transformers")
    level = logger.level
    logger.setLevel(logging.ERROR)
    previous = os.environ.get("TQDM_DISABLE")
    os.environ["TQDM_DISABLE"] = "1"
    try:
        with warnings.catch_warnings(), contextlib.redirect_stderr(io.StringIO()):
            warnings.simplefilter("ignore")
            yield
    finally:
        logger.setLevel(level)
        if previous is None:
            os.environ.pop("TQDM_DISABLE", None)
        else:
            os.environ["TQDM_DISABLE"] = previous


@dataclass
class RealModel:
    """A loaded trained model: transformers ``model`` and ``tokenizer``, its ``rope`` as configured, and the RoPE
    it runs with now (``active``: layer type -> ``RopeConfig``, set by ``set_rope``) through ``pipeline``."""

    name: str
    files: ModelFiles
    rope: ModelRope
    model: Any
    tokenizer: Any
    dtype: str
    device: Any
    load_seconds: float
    pipeline: str = "hf"
    active: dict[str, RopeConfig] = field(default_factory=dict)
    original_rotary: Any = None

    def __post_init__(self) -> None:
        if self.original_rotary is None:
            self.original_rotary = self.model.model.rotary_emb
        if not hasattr(self.original_rotary, FP32_BUFFERS):  # the buffers as loaded (fp32), kept through casts
            setattr(self.original_rotary, FP32_BUFFERS, {name: buffer.detach().clone() for name, buffer in
                                                         self.original_rotary.named_buffers(recurse=False)})
        if not self.active:
            self.active = {str(kind): self.rope_of(kind) for kind in self.layer_kinds}

    def own_frequencies(self) -> tuple[dict[str | None, Any], dict[str | None, float]]:
        """The model's own ``inv_freq`` buffers and attention factors, per layer type, as transformers built them."""
        rotary = self.original_rotary
        frequencies: dict[str | None, Any] = {}
        scaling: dict[str | None, float] = {}
        for kind in self.layer_kinds:
            prefix = f"{kind}_" if kind is not None and hasattr(rotary, f"{kind}_inv_freq") else ""
            frequencies[kind] = getattr(rotary, f"{prefix}inv_freq").detach().float().cpu()
            scaling[kind] = float(getattr(rotary, f"{prefix}attention_scaling", 1.0))
        return frequencies, scaling

    @property
    def layer_kinds(self) -> tuple[str | None, ...]:
        """The layer types whose RoPE differs (Gemma 3: full and sliding), or ``(None,)``."""
        return tuple(self.rope.layers) if self.rope.layers else (None,)

    def rope_of(self, kind: str | None) -> RopeConfig:
        """The configured RoPE of layer type ``kind``."""
        return self.rope.layers.get(kind, self.rope.rope) if kind is not None else self.rope.rope

    def set_rope(self, rope: RopeConfig | dict[str, RopeConfig] | None = None, pipeline: str = "hf",
                 context: float | None = None) -> None:
        """Run with ``rope`` (one ``RopeConfig`` for the main/global layers, or one per layer type; None: the
        model's own) through ``pipeline``, without reloading weights: the rotary module is replaced by a
        ``PipelineRotary`` holding ``inv_freq`` at ``context`` (dynamic NTK's grown base; default the config's).

        A single ``RopeConfig`` replaces the global layers' RoPE only; sliding-window layers keep theirs (their
        window never sees far positions)."""
        from rope_sym.real.rotary import PipelineRotary

        check_pipeline(pipeline)
        chosen: dict[str | None, RopeConfig] = {kind: self.rope_of(kind) for kind in self.layer_kinds}
        own_frequencies, own_scaling = self.own_frequencies()
        if isinstance(rope, RopeConfig):
            main = "full_attention" if "full_attention" in chosen else next(iter(chosen))
            chosen[main] = rope
        elif isinstance(rope, dict):
            chosen.update(rope)
        frequencies: dict[str | None, Any] = {}
        scaling: dict[str | None, float] = {}
        for kind, config in chosen.items():
            if config is self.rope_of(kind):  # the model's own RoPE: its own buffers, bit for bit
                frequencies[kind], scaling[kind] = own_frequencies[kind], own_scaling[kind]
                continue
            at = context if context is not None else (config.original_max_position_embeddings or self.rope.context
                                                       or 4096)
            frequencies[kind] = torch.tensor(np.asarray(inv_freq(config, at), dtype=np.float64),
                                             dtype=torch.float32)
            scaling[kind] = float(attention_factor(config))
        own = all(config is self.rope_of(kind) for kind, config in chosen.items())
        self.model.model.rotary_emb = (self.original_rotary if own and pipeline == "hf"
                                       else PipelineRotary(frequencies, scaling, pipeline))
        self.pipeline = pipeline
        self.active = {str(k): v for k, v in chosen.items()}

    def to(self, dtype: str) -> None:
        """Cast the weights to activation ``dtype`` (fp32, bf16, fp16); the rotary frequencies stay in fp32."""
        fmt = check_dtype(dtype).name
        if fmt not in DTYPES:
            raise RopeSymError(f"a model runs in {', '.join(DTYPES)}, not {dtype!r}")
        self.model.to(TORCH_DTYPES[fmt])
        # Module.to casts every floating buffer, the rotary inv_freq too: that is the invfreq-cast pipeline, and
        # casting back to fp32 would keep the rounded values. The hf pipeline holds inv_freq in fp32 (transformers
        # computes it in fp32 and from_pretrained(dtype=...) leaves it there), so the loaded buffers are put back.
        for name, buffer in getattr(self.original_rotary, FP32_BUFFERS).items():
            self.original_rotary._buffers[name] = buffer.to(self.device)
        self.dtype = fmt

    def encode(self, text: str, special: bool = False) -> list[int]:
        """Token ids of ``text`` (``special``: with the tokenizer's BOS)."""
        return list(self.tokenizer(text, add_special_tokens=special)["input_ids"])

    def _masks(self, ids: Any, positions: Any) -> Any:
        """The attention mask of a run at explicit ``positions``: all ones (``(B, T)``), and for a model with
        sliding-window layers (``layer_types`` naming ``sliding_attention``: Gemma 2/3, Qwen2, ...) one mask per
        layer type in which a sliding layer's window is measured in **positions**, ``pos_q - pos_k < window``.

        transformers measures the window in token indices (``masking_utils.sliding_window_overlay``:
        ``kv_idx > q_idx - window``), so across a jump of ``D`` positions a sliding layer would still attend to the
        tokens before the jump, at a relative rotation ``D`` it never saw in training (its window is ``W``); in the
        long context the jump stands for, those tokens are out of its window."""
        mask = torch.ones_like(ids)
        config = self.model.config
        window = getattr(config, "sliding_window", None)
        if not window or "sliding_attention" not in (getattr(config, "layer_types", None) or ()):
            return mask
        from transformers.masking_utils import create_causal_mask, create_sliding_window_causal_mask

        shape = torch.empty(ids.shape[0], ids.shape[1], 1, dtype=self.model.dtype, device=ids.device)
        args = {"config": config, "inputs_embeds": shape, "attention_mask": mask, "cache": None,
                "position_ids": positions}

        def within_window(batch_idx: Any, head_idx: Any, q_idx: Any, kv_idx: Any) -> Any:
            return positions[batch_idx, q_idx] - positions[batch_idx, kv_idx] < window

        return {"full_attention": create_causal_mask(**args),
                "sliding_attention": create_sliding_window_causal_mask(**args, and_mask_function=within_window)}

    @torch.no_grad()
    def logits(self, ids: Any, positions: Any, keep: int = 0, attentions: bool = False) -> Any:
        """Next-token logits (float32, on the host) of sequences ``ids`` at ``positions`` (explicit
        ``position_ids``: jumps allowed), one sequence ``(T,)`` or a batch ``(B, T)`` of equal lengths; ``keep`` > 0
        computes only the last ``keep`` rows. With ``attentions``: ``(logits, per-layer attention tensors)``."""
        ids_t = torch.as_tensor(np.asarray(ids, dtype=np.int64), device=self.device)
        pos_t = torch.as_tensor(np.asarray(positions, dtype=np.int64), device=self.device)
        single = ids_t.dim() == 1
        if single:
            ids_t, pos_t = ids_t[None], pos_t[None]
        # An explicit mask: without one (and without a cache) transformers >= 5 reads a jump in position_ids as the
        # start of another packed sequence and masks everything before it (masking_utils.find_packed_sequence_indices);
        # sliding-window layers get their window in positions (_masks)
        mask = self._masks(ids_t, pos_t)
        out = self.model(input_ids=ids_t, position_ids=pos_t, attention_mask=mask, logits_to_keep=keep,
                         use_cache=False, output_attentions=attentions)
        logits = out.logits.float().cpu()
        logits = logits[0] if single else logits
        return (logits, out.attentions) if attentions else logits


_LOADED: dict[tuple[ModelFiles, str], RealModel] = {}
"""Models loaded in this process (weights are read once; a new ``RealModel`` is reset to fp32 and its own RoPE)."""


def load_real_model(source: str | Path, dtype: str = "fp32", device: str | None = "cpu",
                    attention: str = "sdpa") -> RealModel:
    """Load ``source`` (``find_model_files``) to run in ``dtype`` on ``device`` (``attention``: ``sdpa``, or
    ``eager`` when attention weights are wanted). Weights loaded before in this process are reused."""
    files = find_model_files(source)
    key = (files, str(resolve_device(device)))
    if key in _LOADED:
        held = _LOADED[key]
        held.model.model.rotary_emb = held.original_rotary
        held.model.set_attn_implementation(attention)
        fresh = RealModel(held.name, files, held.rope, held.model, held.tokenizer, "fp32", held.device,
                          held.load_seconds, original_rotary=held.original_rotary)
        fresh.to("fp32")
        if check_dtype(dtype).name != "fp32":
            fresh.to(dtype)
        return fresh
    transformers = _transformers()
    fmt = check_dtype(dtype).name
    dev = resolve_device(device)
    if files.gguf_file is not None:
        try:
            import gguf  # noqa: F401  (transformers needs it to read GGUF weights)
        except ImportError:
            raise RopeSymError(f"loading a GGUF model needs the gguf package: {MODEL_EXTRA_INSTALL}") from None
        rope = model_from_gguf(files.folder / files.gguf_file, name=files.name)
        kwargs: dict[str, Any] = {"gguf_file": files.gguf_file}
        where: str = str(files.folder)
    else:
        rope = from_hf_config(files.folder / "config.json", name=files.name)
        kwargs = {"local_files_only": True}
        where = files.hub_id or str(files.folder)
    start = time.perf_counter()
    with _quiet_loading():
        try:
            tokenizer = transformers.AutoTokenizer.from_pretrained(where, **kwargs)
            model = transformers.AutoModelForCausalLM.from_pretrained(
                where, dtype=TORCH_DTYPES["fp32"], attn_implementation=attention, **kwargs)
        except (OSError, ValueError, KeyError) as exc:
            raise RopeSymError(f"cannot load {files.name}: {str(exc).splitlines()[0]}") from None
    model.eval().to(dev)
    loaded = RealModel(files.name, files, rope, model, tokenizer, "fp32", dev, time.perf_counter() - start)
    _LOADED[(files, str(dev))] = loaded
    if fmt != "fp32":
        loaded.to(fmt)
    return loaded
