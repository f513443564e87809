"""Effective RoPE frequencies and attention factor after context-extension scaling, per Hugging Face rope type.

The semantics are pinned to Hugging Face transformers 5.x (``modeling_rope_utils``; cross-checked in
``tests/test_scaling.py`` against the installed package). Notation: ``b`` = base (``rope_theta``), ``d`` = rotary
dim (``int(head_dim * partial_rotary_factor)``), ``j = 0 .. d/2 - 1``, ``theta_j = b^(-2j/d)`` (the default
spectrum, each value correctly rounded to float64), ``s`` = ``factor``, ``L0`` =
``original_max_position_embeddings``, ``L`` = ``max_position_embeddings``.

- ``default``: ``theta_j``; attention factor 1.
- ``linear`` (position interpolation): ``theta_j / s``.
- ``dynamic`` (dynamic NTK) at sequence length ``n`` (``n = max(n, L)``):
  ``b' = b * (s*n/L - (s-1))^(d/(d-2))``, then ``b'^(-2j/d)``; at ``n <= L`` the spectrum is the default one.
- ``yarn``: ``r_j = clamp((j - lo)/(hi - lo), 0, 1)`` with ``lo, hi`` from ``corr(beta) = d ln(L0/(2 pi beta)) /
  (2 ln b)`` at ``beta_fast``, ``beta_slow`` (floor/ceil unless ``truncate`` is false, clamped to ``[0, d-1]``);
  ``theta_j' = theta_j/s * r_j + theta_j * (1 - r_j)``. Attention factor: the given one, else
  ``m(s, mscale)/m(s, mscale_all_dim)`` when both are set, else ``m(s) = 0.1 ln s + 1`` (1 for ``s <= 1``).
- ``llama3``: wavelength ``w_j = 2 pi / theta_j``; ``w_j < L0/high``: unchanged; ``w_j > L0/low``: ``theta_j/s``;
  otherwise ``(1-g) theta_j/s + g theta_j`` with ``g = (L0/w_j - low)/(high - low)``.
- ``longrope`` at sequence length ``n``: ``theta_j / e_j`` with ``e = long_factor`` if ``n > L0`` else
  ``short_factor``; attention factor: the given one, else ``sqrt(1 + ln s / ln L0)`` (1 for ``s <= 1``), where
  ``s`` defaults to ``L / L0``.
- ``proportional`` (Gemma-style partial): ``k = int(fraction * head_dim // 2)`` pairs at ``b^(-2j/head_dim)``
  (denominator the full head dim), then ``head_dim/2 - k`` zero frequencies (NoPE pairs), all divided by ``s``.

The attention factor multiplies cos and sin, so attention logits scale by its square.

>>> rope = RopeConfig("linear", head_dim=128, base=10000.0, factor=4.0)
>>> float(inv_freq(rope)[1] * 4) == float(inv_freq(RopeConfig("default", head_dim=128, base=10000.0))[1])
True
>>> round(attention_factor(RopeConfig("yarn", head_dim=64, base=10000.0, factor=40.0,
...                                   original_max_position_embeddings=4096)), 6)
1.368888
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from rope_sym.errors import InvalidRopeSpec
from rope_sym.spec import RopeSpec
from rope_sym.spectrum import frequencies

ROPE_TYPES = ("default", "linear", "dynamic", "yarn", "llama3", "longrope", "proportional")


class InvalidRopeConfig(InvalidRopeSpec):
    """A RoPE scaling configuration is malformed (the message names the key)."""


@dataclass(frozen=True)
class RopeConfig:
    """One attention layer's RoPE: type, base, dimensions and the scaling parameters of its type.

    ``rotary_dim`` is ``int(head_dim * partial_rotary_factor)``. Parameters that a type does not read are left
    at their defaults. Built by hand or by ``rope_sym.configs.from_hf_config``.
    """

    rope_type: str
    head_dim: int
    base: float
    partial_rotary_factor: float = 1.0
    max_position_embeddings: int | None = None
    factor: float | None = None
    original_max_position_embeddings: int | None = None
    low_freq_factor: float | None = None
    high_freq_factor: float | None = None
    beta_fast: float | None = None
    beta_slow: float | None = None
    mscale: float | None = None
    mscale_all_dim: float | None = None
    attention_factor: float | None = None
    truncate: bool = True
    short_factor: tuple[float, ...] | None = None
    long_factor: tuple[float, ...] | None = None
    extra: dict[str, object] = field(default_factory=dict, compare=False, hash=False)

    def __post_init__(self) -> None:
        if self.rope_type not in ROPE_TYPES:
            raise InvalidRopeConfig(f"rope_type {self.rope_type!r} is not one of {', '.join(ROPE_TYPES)}")
        if self.rope_type != "proportional":
            RopeSpec(self.head_dim, self.base, self.partial_rotary_factor)  # validates dims and base
        else:
            RopeSpec(self.head_dim, self.base)
        if self.rope_type in ("linear", "dynamic", "yarn", "llama3") and self.factor is None:
            raise InvalidRopeConfig(f"rope type {self.rope_type!r} requires the key 'factor'")
        if self.factor is not None and not (math.isfinite(self.factor) and self.factor >= 1.0):
            raise InvalidRopeConfig(f"factor must be a finite number >= 1, got {self.factor!r}")
        if self.rope_type in ("yarn", "llama3", "longrope") and self.original_max_position_embeddings is None:
            raise InvalidRopeConfig(f"rope type {self.rope_type!r} requires 'original_max_position_embeddings'")
        if self.rope_type == "llama3" and (self.low_freq_factor is None or self.high_freq_factor is None):
            raise InvalidRopeConfig("rope type 'llama3' requires 'low_freq_factor' and 'high_freq_factor'")
        if self.rope_type == "longrope":
            for key in ("short_factor", "long_factor"):
                values = getattr(self, key)
                if values is None:
                    raise InvalidRopeConfig(f"rope type 'longrope' requires the key {key!r}")
                if len(values) != self.rotary_dim // 2:
                    raise InvalidRopeConfig(
                        f"{key} must have rotary_dim/2 = {self.rotary_dim // 2} entries, got {len(values)}")
        if self.rope_type == "dynamic" and self.max_position_embeddings is None:
            raise InvalidRopeConfig("rope type 'dynamic' requires 'max_position_embeddings'")

    @property
    def rotary_dim(self) -> int:
        """``int(head_dim * partial_rotary_factor)`` (for ``proportional``: twice the number of rotating pairs)."""
        if self.rope_type == "proportional":
            return 2 * int(self.partial_rotary_factor * self.head_dim // 2)
        return int(self.head_dim * self.partial_rotary_factor)


def default_inv_freq(rope: RopeConfig) -> NDArray[np.float64]:
    """The unscaled spectrum ``b^(-2j/d)``, ``j < d/2``, each value correctly rounded to float64."""
    return frequencies(RopeSpec(rope.rotary_dim, rope.base))


def _mscale(scale: float, m: float = 1.0) -> float:
    """YaRN's magnitude ``0.1 m ln(s) + 1`` (1 for ``s <= 1``)."""
    return 1.0 if scale <= 1.0 else 0.1 * m * math.log(scale) + 1.0


def yarn_correction_range(rope: RopeConfig) -> tuple[float, float]:
    """YaRN's ramp ends ``(lo, hi)`` in pair index: ``corr(beta) = d ln(L0 / (2 pi beta)) / (2 ln b)``."""
    d, b = rope.rotary_dim, rope.base
    original = rope.original_max_position_embeddings
    assert original is not None
    beta_fast = rope.beta_fast or 32.0  # HF uses `or`: 0 falls back too
    beta_slow = rope.beta_slow or 1.0

    def corr(rotations: float) -> float:
        return d * math.log(original / (rotations * 2 * math.pi)) / (2 * math.log(b))

    lo, hi = corr(beta_fast), corr(beta_slow)
    if rope.truncate:
        lo, hi = math.floor(lo), math.ceil(hi)
    return max(lo, 0.0), min(hi, d - 1.0)


def inv_freq(rope: RopeConfig, seq_len: float | None = None) -> NDArray[np.float64]:
    """Effective inverse frequencies (radians per token) of each pair after scaling, float64.

    ``seq_len`` matters only for ``dynamic`` (the base grows once ``seq_len > max_position_embeddings``) and
    ``longrope`` (long factors once ``seq_len > original_max_position_embeddings``); ``None`` is Hugging Face's
    initialisation state (no sequence seen).
    """
    kind = rope.rope_type
    if kind == "proportional":
        pairs = rope.rotary_dim // 2
        rotating = frequencies(RopeSpec(rope.head_dim, rope.base))[:pairs]
        out = np.concatenate([rotating, np.zeros(rope.head_dim // 2 - pairs)])
        return out / (rope.factor if rope.factor is not None else 1.0)
    theta = default_inv_freq(rope)
    if kind == "default":
        return theta
    if kind == "linear":
        assert rope.factor is not None
        return theta / rope.factor
    if kind == "dynamic":
        assert rope.factor is not None and rope.max_position_embeddings is not None
        length = rope.max_position_embeddings
        n = length if seq_len is None else max(seq_len, length)
        d = rope.rotary_dim
        base = rope.base * ((rope.factor * n / length) - (rope.factor - 1)) ** (d / (d - 2))
        return frequencies(RopeSpec(d, base))
    if kind == "yarn":
        assert rope.factor is not None
        lo, hi = yarn_correction_range(rope)
        if lo == hi:
            hi += 0.001  # HF's guard against a zero-width ramp
        ramp = np.clip((np.arange(theta.size, dtype=np.float64) - lo) / (hi - lo), 0.0, 1.0)
        return theta / rope.factor * ramp + theta * (1.0 - ramp)
    if kind == "llama3":
        assert rope.factor is not None and rope.low_freq_factor is not None and rope.high_freq_factor is not None
        assert rope.original_max_position_embeddings is not None
        old = rope.original_max_position_embeddings
        low, high = rope.low_freq_factor, rope.high_freq_factor
        wavelength = 2 * math.pi / theta
        scaled = np.where(wavelength > old / low, theta / rope.factor, theta)
        medium = ~(wavelength < old / high) & ~(wavelength > old / low)
        if medium.any():  # empty when low == high unless a wavelength hits old/low exactly
            with np.errstate(divide="ignore", invalid="ignore"):
                smooth = (old / wavelength - low) / (high - low)
            scaled = np.where(medium, (1 - smooth) * scaled / rope.factor + smooth * scaled, scaled)
        return scaled
    assert kind == "longrope" and rope.short_factor is not None and rope.long_factor is not None
    assert rope.original_max_position_embeddings is not None
    use_long = seq_len is not None and seq_len > rope.original_max_position_embeddings
    ext = np.array(rope.long_factor if use_long else rope.short_factor, dtype=np.float64)
    return theta / ext


def longrope_factor(rope: RopeConfig) -> float:
    """LongRoPE's ``s``: the given ``factor``, else ``max_position_embeddings / original_max_position_embeddings``."""
    if rope.factor is not None:
        return rope.factor
    if rope.max_position_embeddings is None or rope.original_max_position_embeddings is None:
        return 1.0
    return rope.max_position_embeddings / rope.original_max_position_embeddings


def attention_factor(rope: RopeConfig) -> float:
    """The factor on cos and sin (logits scale by its square); 1 except for ``yarn`` and ``longrope``."""
    if rope.rope_type == "yarn":
        if rope.attention_factor is not None:
            return rope.attention_factor
        assert rope.factor is not None
        if rope.mscale and rope.mscale_all_dim:
            return _mscale(rope.factor, rope.mscale) / _mscale(rope.factor, rope.mscale_all_dim)
        return _mscale(rope.factor)
    if rope.rope_type == "longrope":
        if rope.attention_factor is not None:
            return rope.attention_factor
        s = longrope_factor(rope)
        assert rope.original_max_position_embeddings is not None
        return 1.0 if s <= 1.0 else math.sqrt(1 + math.log(s) / math.log(rope.original_max_position_embeddings))
    return 1.0


def effective_theta_min(rope: RopeConfig, seq_len: float | None = None) -> float:
    """The slowest non-zero effective frequency (NoPE pairs of ``proportional`` do not rotate and are skipped)."""
    freqs = inv_freq(rope, seq_len)
    return float(freqs[freqs > 0].min())
