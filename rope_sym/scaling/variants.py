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
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from rope_sym.scaling.config import ROPE_TYPES, InvalidRopeConfig, RopeConfig, longrope_factor
from rope_sym.spectrum.spec import RopeSpec, finite_real
from rope_sym.spectrum.theta import frequencies

Array = NDArray[np.float64]


def default_inv_freq(rope: RopeConfig) -> Array:
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


# ------------------------------------------------------------------------------ one function per rope type
# Each takes (rope, seq_len) and returns the effective inverse frequencies; the validated RopeConfig guarantees
# the keys its type requires (``rope_sym.scaling.config.REQUIRED_KEYS``), hence the bare attribute reads.


def _default(rope: RopeConfig, seq_len: float | None) -> Array:
    return default_inv_freq(rope)


def _linear(rope: RopeConfig, seq_len: float | None) -> Array:
    assert rope.factor is not None
    return default_inv_freq(rope) / rope.factor


def _dynamic(rope: RopeConfig, seq_len: float | None) -> Array:
    assert rope.factor is not None and rope.max_position_embeddings is not None
    length = rope.max_position_embeddings
    n = length if seq_len is None else max(seq_len, length)
    d = rope.rotary_dim
    base = rope.base * ((rope.factor * n / length) - (rope.factor - 1)) ** (d / (d - 2))
    return frequencies(RopeSpec(d, base))


def _yarn(rope: RopeConfig, seq_len: float | None) -> Array:
    assert rope.factor is not None
    theta = default_inv_freq(rope)
    lo, hi = yarn_correction_range(rope)
    if lo == hi:
        hi += 0.001  # HF's guard against a zero-width ramp
    ramp = np.clip((np.arange(theta.size, dtype=np.float64) - lo) / (hi - lo), 0.0, 1.0)
    return theta / rope.factor * ramp + theta * (1.0 - ramp)


def _llama3(rope: RopeConfig, seq_len: float | None) -> Array:
    assert rope.factor is not None and rope.low_freq_factor is not None and rope.high_freq_factor is not None
    assert rope.original_max_position_embeddings is not None
    theta = default_inv_freq(rope)
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


def _longrope(rope: RopeConfig, seq_len: float | None) -> Array:
    assert rope.short_factor is not None and rope.long_factor is not None
    assert rope.original_max_position_embeddings is not None
    use_long = seq_len is not None and seq_len > rope.original_max_position_embeddings
    ext = np.array(rope.long_factor if use_long else rope.short_factor, dtype=np.float64)
    return default_inv_freq(rope) / ext


def _proportional(rope: RopeConfig, seq_len: float | None) -> Array:
    pairs = rope.rotary_dim // 2
    rotating = frequencies(RopeSpec(rope.head_dim, rope.base))[:pairs]
    out = np.concatenate([rotating, np.zeros(rope.head_dim // 2 - pairs)])
    return out / (rope.factor if rope.factor is not None else 1.0)


def _unit_factor(rope: RopeConfig) -> float:
    return 1.0


def _yarn_factor(rope: RopeConfig) -> float:
    if rope.attention_factor is not None:
        return rope.attention_factor
    assert rope.factor is not None
    if rope.mscale and rope.mscale_all_dim:
        return _mscale(rope.factor, rope.mscale) / _mscale(rope.factor, rope.mscale_all_dim)
    return _mscale(rope.factor)


def _longrope_factor(rope: RopeConfig) -> float:
    if rope.attention_factor is not None:
        return rope.attention_factor
    s = longrope_factor(rope)
    assert rope.original_max_position_embeddings is not None
    return 1.0 if s <= 1.0 else math.sqrt(1 + math.log(s) / math.log(rope.original_max_position_embeddings))


@dataclass(frozen=True)
class Variant:
    """A rope type: its effective inverse frequencies ``(rope, seq_len) -> inv_freq`` and its attention factor."""

    inv_freq: Callable[[RopeConfig, float | None], Array]
    attention_factor: Callable[[RopeConfig], float] = _unit_factor


VARIANTS: dict[str, Variant] = {
    "default": Variant(_default),
    "linear": Variant(_linear),
    "dynamic": Variant(_dynamic),
    "yarn": Variant(_yarn, _yarn_factor),
    "llama3": Variant(_llama3),
    "longrope": Variant(_longrope, _longrope_factor),
    "proportional": Variant(_proportional),
}
"""The dispatch table, one entry per ``ROPE_TYPES`` member (as Hugging Face's ``ROPE_INIT_FUNCTIONS``)."""
assert tuple(VARIANTS) == ROPE_TYPES


def inv_freq(rope: RopeConfig, seq_len: float | None = None) -> Array:
    """Effective inverse frequencies (radians per token) of each pair after scaling, float64.

    ``seq_len`` matters only for ``dynamic`` (the base grows once ``seq_len > max_position_embeddings``) and
    ``longrope`` (long factors once ``seq_len > original_max_position_embeddings``); ``None`` is Hugging Face's
    initialisation state (no sequence seen). A given ``seq_len`` must be a finite number > 0.
    """
    if seq_len is not None and not finite_real(seq_len, "seq_len") > 0:
        raise InvalidRopeConfig(f"seq_len must be positive, got {seq_len!r}")
    return VARIANTS[rope.rope_type].inv_freq(rope, seq_len)


def rotating_frequencies(rope: RopeConfig, seq_len: float | None = None) -> Array:
    """``inv_freq`` of the pairs that rotate: the first ``rotary_dim / 2`` (a ``proportional`` rope's NoPE pairs,
    at frequency 0, carry no position, so no positional bound or law applies to them)."""
    return inv_freq(rope, seq_len)[: rope.rotary_dim // 2]


def attention_factor(rope: RopeConfig) -> float:
    """The factor on cos and sin (logits scale by its square); 1 except for ``yarn`` and ``longrope``."""
    return VARIANTS[rope.rope_type].attention_factor(rope)


def effective_theta_min(rope: RopeConfig, seq_len: float | None = None) -> float:
    """The slowest non-zero effective frequency (NoPE pairs of ``proportional`` do not rotate and are skipped)."""
    return float(rotating_frequencies(rope, seq_len).min())
