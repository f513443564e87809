"""The RoPE pipelines of ``rope_sym.pipelines`` in torch, written the way model code writes them.

This module imports torch; nothing else in ``rope_sym`` imports it, so the core works without it (install the
``torch`` extra). The same code runs on any device: ``resolve_device(None)`` is ``cuda`` when available, else
``cpu``.

Inverse frequencies, as the model builds its buffer (fp32, on the device)::

    inv_freq = 1.0 / (base ** (torch.arange(0, d, 2, dtype=torch.int64).float() / d))

then, per pipeline (``F_pos``/``F_phase``/``F_store`` as in ``rope_sym.pipelines``):

- ``hf`` (``LlamaRotaryEmbedding.forward``, transformers >= 4.38): ``position_ids = torch.arange(L)`` (int64),
  ``freqs = inv_freq[None, :, None].float() @ position_ids[None, None, :].float()`` under
  ``torch.autocast(device_type, enabled=False)``, ``cos = freqs.cos()`` in fp32, then ``cos.to(dtype)``;
- ``native`` (the pre-2024 ``_set_cos_sin_cache`` after ``model.to(dtype)``): the buffer cast to ``dtype``,
  ``t = torch.arange(L, dtype=inv_freq.dtype)``, ``freqs = torch.einsum("i,j->ij", t, inv_freq)``, ``.cos()``
  in ``dtype``;
- ``invfreq-cast``: the buffer cast to ``dtype`` by ``model.to(dtype)``, then the ``hf`` forward (whose
  ``.float()`` cannot restore the lost bits);
- ``fp64``: the same chain in float64 throughout.

Model code concatenates ``emb = torch.cat((freqs, freqs), -1)`` before ``cos``; the two halves are computed
elementwise from equal inputs and are equal, so cos/sin are computed on ``freqs`` and duplicated only where the
rotation needs them. ``attention_scaling`` (1.0 for the default RoPE) is an exact multiply and is left out.

``native`` positions come from ``torch.arange(L, dtype=dtype)`` over the whole context, as the model builds
them: torch's CPU ``arange`` in bf16/fp16 does **not** round each position to nearest (its vectorised kernel
rounds a per-vector base and adds lane offsets, so the result depends on the CPU's vector width and on
``start``). Positions are therefore built once for the whole context and indexed, never re-generated per block.

The rotation is Hugging Face's eager ``q * cos + rotate_half(q) * sin`` (``half``) or GPT-J's
``q * cos + rotate_every_two(q) * sin`` with ``repeat_interleave``-d cos/sin (``interleaved``), each operation
a torch kernel in the activation dtype. ``autocast=True`` runs everything under
``torch.autocast(device_type, dtype)`` as a mixed-precision model does; the ``hf`` guard
``autocast(enabled=False)`` is reproduced, so the guarded pipelines are unchanged by it.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from rope_sym.errors import InvalidRopeSpec
from rope_sym.pipelines import inv_freq as emulated_inv_freq
from rope_sym.pipelines import pipeline_formats
from rope_sym.spectrum.rotation import DEFAULT_LAYOUT, Layout, check_layout
from rope_sym.spectrum.spec import RopeSpec
from rope_sym.torch_backend.runtime import TORCH_DTYPES, resolve_device, to_host, torch

Array = NDArray[np.float64]

_AUTOCAST_DTYPES = ("fp16", "bf16")


def rotate_half(x: torch.Tensor) -> torch.Tensor:
    """Hugging Face's ``rotate_half``: ``(x1, x2) -> (-x2, x1)`` on the two halves of the last dim."""
    x1, x2 = x[..., : x.shape[-1] // 2], x[..., x.shape[-1] // 2:]
    return torch.cat((-x2, x1), dim=-1)


def rotate_every_two(x: torch.Tensor) -> torch.Tensor:
    """GPT-J's ``rotate_every_two``: ``(x_{2i}, x_{2i+1}) -> (-x_{2i+1}, x_{2i})``."""
    x1, x2 = x[..., ::2], x[..., 1::2]
    return torch.stack((-x2, x1), dim=-1).flatten(-2)


@dataclass(frozen=True)
class Stages:
    """Every intermediate of one block, on the host as float64 (values of each stage's format).

    ``positions`` ``(P,)`` in ``F_pos``; ``angles``, ``cos_phase``, ``sin_phase`` ``(P, n)`` in ``F_phase``;
    ``cos``, ``sin`` ``(P, n)`` in ``F_store``.
    """

    positions: Array
    angles: Array
    cos_phase: Array
    sin_phase: Array
    cos: Array
    sin: Array


class TorchRope:
    """One pipeline in torch on one device, for positions ``0 .. context-1`` (plus ``margin`` beyond).

    >>> rope = TorchRope(RopeSpec(4, 10000.0), "bf16", "hf", context=1001, device="cpu")
    >>> c, s = rope.cos_sin(torch.tensor([0, 1, 1000]))
    >>> c[:, 0].tolist(), s[:, 0].tolist()
    ([1.0, 0.5390625, 0.5625], [0.0, 0.83984375, 0.828125])
    """

    def __init__(self, spec: RopeSpec, dtype: str, pipeline: str, context: int, *,
                 device: str | torch.device | None = None, autocast: bool = False, margin: int = 0) -> None:
        self.formats = pipeline_formats(dtype, pipeline)
        emulated_inv_freq(spec, self.formats.dtype, self.formats.pipeline)  # refuses a base beyond F_inv's range
        self.spec = spec
        self.pipeline = self.formats.pipeline
        self.device = resolve_device(device)
        self.autocast = bool(autocast)
        self.context = int(context)
        self.margin = int(margin)
        self.store_dtype = TORCH_DTYPES[self.formats.store.name]

    # ---------------------------------------------------------------------------------------- model code

    @cached_property
    def inv_freq(self) -> torch.Tensor:
        """The ``inv_freq`` buffer as the pipeline holds it (fp32; ``dtype`` after ``model.to``; float64)."""
        d = self.spec.rotary_dim
        held = TORCH_DTYPES[self.formats.inv_freq.name]  # F_inv of the pipeline table
        exponent_dtype = torch.float64 if held == torch.float64 else torch.float32
        exponents = torch.arange(0, d, 2, dtype=torch.int64, device=self.device).to(exponent_dtype) / d
        buffer = 1.0 / (self.spec.base ** exponents)
        return buffer.to(held)  # model.to(dtype) casts the fp32 buffer where F_inv is the dtype

    @cached_property
    def _native_positions(self) -> torch.Tensor:
        # torch.arange in the dtype over the whole context, as _set_cos_sin_cache builds it (see module doc).
        return torch.arange(self.context + self.margin, dtype=self.inv_freq.dtype, device=self.device)

    def _autocast(self) -> contextlib.AbstractContextManager[Any]:
        if self.autocast and self.formats.dtype.name in _AUTOCAST_DTYPES:
            return torch.autocast(self.device.type, dtype=TORCH_DTYPES[self.formats.dtype.name])
        return contextlib.nullcontext()

    def stored_positions(self, positions: torch.Tensor) -> torch.Tensor:
        """Positions (int64 indices) as the pipeline holds them, in ``F_pos``."""
        positions = positions.to(self.device)
        held = TORCH_DTYPES[self.formats.position.name]  # F_pos of the pipeline table
        if held in (torch.float32, torch.float64):
            return positions.to(held)  # exact: positions are below 2^24 in fp32 (``.float()`` in model code)
        return self._native_positions[positions]

    def angles(self, positions: torch.Tensor) -> torch.Tensor:
        """The phase table ``(P, n)`` in ``F_phase``, computed as the model code does."""
        t = self.stored_positions(positions)
        with self._autocast():
            if self.pipeline == "native":
                return torch.einsum("i,j->ij", t, self.inv_freq)
            if self.pipeline == "fp64":
                return torch.outer(t, self.inv_freq)
            with torch.autocast(self.device.type, enabled=False):  # HF's guard against autocast's matmul
                freqs = self.inv_freq[None, :, None].float() @ t[None, None, :].float()
            return freqs.transpose(1, 2)[0]

    def cos_sin_phase(self, positions: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``cos``/``sin`` of the phase table in ``F_phase``, before the cast to the activation dtype."""
        return self._cos_sin_of(self.angles(positions))

    def _cos_sin_of(self, a: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        with self._autocast():
            return a.cos(), a.sin()

    def cos_sin(self, positions: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """The stored ``cos``/``sin`` ``(P, n)`` in the activation dtype (``cos.to(dtype=x.dtype)``)."""
        c, s = self.cos_sin_phase(positions)
        return c.to(self.store_dtype), s.to(self.store_dtype)

    def rotate(self, x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor,
               layout: Layout = DEFAULT_LAYOUT) -> torch.Tensor:
        """``x`` ``(..., P, head_dim)`` or ``(head_dim,)`` rotated by stored ``cos``/``sin`` ``(P, n)``, eagerly.

        ``half``: ``x * cat(c, c) + rotate_half(x) * cat(s, s)``; ``interleaved``: ``x * c.repeat_interleave(2)
        + rotate_every_two(x) * s.repeat_interleave(2)``. Dims past the rotary dims pass through.
        """
        layout = check_layout(layout)
        x = x.to(device=self.device, dtype=self.store_dtype)
        r = self.spec.rotary_dim
        x_rot, x_pass = x[..., :r], x[..., r:]
        with self._autocast():
            if layout == "half":
                cc, ss = torch.cat((cos, cos), dim=-1), torch.cat((sin, sin), dim=-1)
                out = x_rot * cc + rotate_half(x_rot) * ss
            else:
                cc, ss = cos.repeat_interleave(2, dim=-1), sin.repeat_interleave(2, dim=-1)
                out = x_rot * cc + rotate_every_two(x_rot) * ss
        if x_pass.shape[-1]:
            out = torch.cat((out, x_pass.expand(*out.shape[:-1], x_pass.shape[-1])), dim=-1)
        return out

    # ------------------------------------------------------------------------------------------- helpers

    def index(self, positions: ArrayLike) -> torch.Tensor:
        """Positions as an int64 tensor on the device (non-negative whole numbers below context + margin)."""
        pos = torch.as_tensor(np.asarray(positions, dtype=np.int64), device=self.device)
        if pos.numel() and (int(pos.min()) < 0 or int(pos.max()) >= self.context + self.margin):
            raise InvalidRopeSpec(f"positions must lie in 0 .. {self.context + self.margin - 1}")
        return pos

    def stages(self, positions: ArrayLike) -> Stages:
        """All intermediates at ``positions``, copied to the host as float64 (for comparison with emulation)."""
        pos = self.index(positions)
        a = self.angles(pos)
        c_phase, s_phase = self._cos_sin_of(a)
        c, s = c_phase.to(self.store_dtype), s_phase.to(self.store_dtype)
        return Stages(to_host(self.stored_positions(pos)), to_host(a), to_host(c_phase), to_host(s_phase),
                      to_host(c), to_host(s))
