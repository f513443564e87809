"""One attention layer's RoPE settings (``RopeConfig``) and the one place that validates them.

The Hugging Face config reader (``rope_sym.models``) parses keys into a ``RopeConfig`` and leaves every rule to
``RopeConfig.__post_init__``, so a rule is written once. Errors are ``InvalidRopeConfig`` naming the key.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from rope_sym.errors import InvalidRopeSpec
from rope_sym.spectrum.spec import RopeSpec, finite_real

ROPE_TYPES = ("default", "linear", "dynamic", "yarn", "llama3", "longrope", "proportional")
"""The rope types known here (Hugging Face ``rope_type`` values; ``rope_sym.scaling.VARIANTS`` has one function
each)."""

REQUIRED_KEYS: dict[str, tuple[str, ...]] = {
    "default": (), "proportional": (),
    "linear": ("factor",),
    "dynamic": ("factor", "max_position_embeddings"),
    "yarn": ("factor", "original_max_position_embeddings"),
    "llama3": ("factor", "original_max_position_embeddings", "low_freq_factor", "high_freq_factor"),
    "longrope": ("original_max_position_embeddings", "short_factor", "long_factor"),
}
"""The keys each rope type cannot do without."""

_POSITIVE_KEYS = ("low_freq_factor", "high_freq_factor", "beta_fast", "beta_slow", "attention_factor")


class InvalidRopeConfig(InvalidRopeSpec):
    """A RoPE scaling configuration is malformed (the message names the key)."""


def _finite(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


@dataclass(frozen=True)
class RopeConfig:
    """One attention layer's RoPE: type, base, dimensions and the scaling parameters of its type.

    ``rotary_dim`` is ``int(head_dim * partial_rotary_factor)``. Parameters that a type does not read are left
    at their defaults. Built by hand or by ``rope_sym.models.from_hf_config``.
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
    rotary_dim: int = field(init=False, repr=False, compare=False)
    """``int(head_dim * partial_rotary_factor)`` (for ``proportional``: twice the number of rotating pairs)."""
    spectrum_dim: int = field(init=False, repr=False, compare=False)
    """The ``d`` of the frequencies ``base^(-2i/d)``: ``rotary_dim``, or the full ``head_dim`` for a
    ``proportional`` rope (Gemma 4), whose rotating pairs keep the full head's spacing."""

    def __post_init__(self) -> None:
        if self.rope_type not in ROPE_TYPES:
            raise InvalidRopeConfig(f"unknown rope_type {self.rope_type!r} (known: {', '.join(ROPE_TYPES)})")
        if self.rope_type != "proportional":
            spec = RopeSpec(self.head_dim, self.base, self.partial_rotary_factor)  # validates dims and base
            rotary = spec.rotary_dim
        else:
            RopeSpec(self.head_dim, self.base)
            fraction = finite_real(self.partial_rotary_factor, "partial_rotary_factor")
            if not 0.0 < fraction <= 1.0:
                raise InvalidRopeConfig(
                    f"'partial_rotary_factor' must be in (0, 1], got {self.partial_rotary_factor!r}")
            rotary = 2 * int(fraction * self.head_dim // 2)
            if rotary < 2:
                raise InvalidRopeConfig(f"'partial_rotary_factor' {fraction!r} of head dim {self.head_dim} rotates "
                                        "no pair")
        object.__setattr__(self, "rotary_dim", rotary)  # stored: every spectrum and bound reads it
        object.__setattr__(self, "spectrum_dim", self.head_dim if self.rope_type == "proportional" else rotary)
        for key in REQUIRED_KEYS[self.rope_type]:
            if getattr(self, key) is None:
                raise InvalidRopeConfig(f"rope type {self.rope_type!r} requires the key {key!r}")
        if self.factor is not None and not (_finite(self.factor) and self.factor >= 1.0):
            raise InvalidRopeConfig(f"'factor' must be a finite number >= 1, got {self.factor!r}")
        for key in _POSITIVE_KEYS:
            value = getattr(self, key)
            if value is not None and not (_finite(value) and value > 0):
                raise InvalidRopeConfig(f"{key!r} must be a finite number > 0, got {value!r}")
        for key in ("original_max_position_embeddings", "max_position_embeddings"):
            value = getattr(self, key)
            if value is not None and not (isinstance(value, int) and value >= 1):
                raise InvalidRopeConfig(f"{key!r} must be a positive integer, got {value!r}")
        if self.rope_type == "longrope":
            for key in ("short_factor", "long_factor"):
                values = getattr(self, key)
                if len(values) != self.rotary_dim // 2:
                    raise InvalidRopeConfig(
                        f"{key!r} must have rotary_dim/2 = {self.rotary_dim // 2} entries, got {len(values)}")
                if not all(_finite(v) and v > 0 for v in values):
                    raise InvalidRopeConfig(f"{key!r} entries must be finite numbers > 0")
            # the attention factor sqrt(1 + ln s / ln L0) (s > 1, none given) divides by ln L0 = 0 at L0 = 1
            if (self.attention_factor is None and self.original_max_position_embeddings == 1
                    and longrope_factor(self) > 1.0):
                raise InvalidRopeConfig("longrope's attention factor sqrt(1 + ln s / ln L0) needs "
                                        "'original_max_position_embeddings' L0 >= 2, got 1 (or give "
                                        "'attention_factor')")


def longrope_factor(rope: RopeConfig) -> float:
    """LongRoPE's ``s``: the given ``factor``, else ``max_position_embeddings / original_max_position_embeddings``."""
    if rope.factor is not None:
        return rope.factor
    if rope.max_position_embeddings is None or rope.original_max_position_embeddings is None:
        return 1.0
    return rope.max_position_embeddings / rope.original_max_position_embeddings
