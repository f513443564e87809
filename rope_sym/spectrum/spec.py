"""The RoPE description (head dim, base, rotary fraction) and the validators of user-given numbers: the RoPE's,
and the bounds' coherence ``eps``, depth and closed-form ``form`` (one module, so every entry point checks a number
the same way, with the same one-line error)."""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass, field
from typing import Literal

from rope_sym.errors import InvalidRopeSpec

MAX_HEAD_DIM = 1 << 14
"""Largest head (or rotary) dim accepted: far above any model's (at most 576 today), and small enough that a
block of the erasure scan (positions x pairs) stays within memory."""

MAX_DEPTH = 10**9
"""Largest depth accepted (layers): far beyond any model, small enough for float64 arithmetic on it."""


def finite_real(value: object, name: str) -> float:
    """``value`` as a finite float; ``name`` is the input's name in the error (``bool``, complex, strings and
    integers beyond float64's range are refused, not converted)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise InvalidRopeSpec(f"{name} must be a real number, got {value!r}")
    try:
        x = float(value)
    except OverflowError:  # an int beyond float64, e.g. 10**400
        raise InvalidRopeSpec(f"{name} must be finite, got an integer of {len(str(abs(value)))} digits") from None
    if not math.isfinite(x):
        raise InvalidRopeSpec(f"{name} must be finite, got {value!r}")
    return x


def check_positive_integer(value: object, name: str, maximum: int | None = None, *, minimum: int = 1,
                           rule: str | None = None) -> int:
    """A whole number ``>= minimum`` (an int, or a float holding one), at most ``maximum`` when given; ``rule``
    replaces "at least {minimum}" in the error."""
    if isinstance(value, bool) or not isinstance(value, (numbers.Integral, float)):
        raise InvalidRopeSpec(f"{name} must be an integer, got {value!r}")
    if isinstance(value, float) and not value.is_integer():  # nan and inf are not integers either
        raise InvalidRopeSpec(f"{name} must be an integer, got {value!r}")
    n = int(value)
    if n < minimum:
        raise InvalidRopeSpec(f"{name} must be {rule or f'at least {minimum}'}, got {n}")
    if maximum is not None and n > maximum:
        shown = str(n) if n < 10**12 else f"an integer of {len(str(n))} digits"
        raise InvalidRopeSpec(f"{name} must be at most {maximum}, got {shown}")
    return n


def check_head_dim(head_dim: object, name: str = "head dim") -> int:
    """An even integer in ``[2, MAX_HEAD_DIM]``."""
    d = check_positive_integer(head_dim, name, MAX_HEAD_DIM, minimum=2, rule="even and at least 2")
    if d % 2:
        raise InvalidRopeSpec(f"{name} must be even and at least 2, got {d}")
    return d


def check_base(base: object) -> float:
    """A finite real ``> 1``."""
    b = finite_real(base, "base")
    if b <= 1.0:
        raise InvalidRopeSpec(f"base must be greater than 1, got {base!r}")
    return b


def check_context(context: object) -> float:
    """A finite real ``> 0`` (a number of tokens)."""
    c = finite_real(context, "context")
    if c <= 0.0:
        raise InvalidRopeSpec(f"context must be positive, got {context!r}")
    return c


Form = Literal["paper", "exact"]
FORMS: tuple[str, ...] = ("paper", "exact")
"""The two forms of every closed form: ``exact`` (``theta_min = base^(-(d-2)/d)``) and ``paper`` (Liu 2026's
large-``d`` simplification ``theta_min ~ 1/base``)."""


def check_form(form: object) -> str:
    """``"paper"`` or ``"exact"``."""
    if form not in FORMS:
        raise InvalidRopeSpec(f"form must be 'paper' or 'exact', got {form!r}")
    return str(form)


def check_rotary_dim(rotary_dim: object, form: str = "exact") -> int:
    """An even integer; at least 4 for the exact form (``d = 2`` has a single pair with ``theta = 1``, whatever
    the base, so no base bound exists)."""
    d = check_head_dim(rotary_dim)
    if form == "exact" and d < 4:
        raise InvalidRopeSpec(f"head dim must be at least 4 for the exact bounds (d = 2 has theta_min = 1 "
                              f"for every base), got {d}")
    return d



def check_eps(eps: object, name: str = "eps") -> float:
    """A finite real in the open interval ``(0, 1)``."""
    e = finite_real(eps, name)
    if not 0.0 < e < 1.0:
        raise InvalidRopeSpec(f"{name} must be in the open interval (0, 1), got {eps!r}")
    return e


def check_depth(depth: object) -> int:
    """An integer in ``[1, MAX_DEPTH]`` (number of layers)."""
    return check_positive_integer(depth, "depth", MAX_DEPTH)


@dataclass(frozen=True)
class RopeSpec:
    """RoPE on a head of ``head_dim`` dimensions, of which the first ``rotary_dim`` rotate.

    ``rotary_dim = int(head_dim * rotary_fraction)`` (Hugging Face's ``partial_rotary_factor``; GPT-NeoX's
    ``rotary_pct``) must be even and at least 2. Pair ``i = 0 .. rotary_dim/2 - 1`` turns at
    ``theta_i = base^(-2i / rotary_dim)`` radians per token.

    >>> RopeSpec(128, 500000.0).n_pairs
    64
    >>> RopeSpec(96, 10000, rotary_fraction=0.25).rotary_dim
    24
    """

    head_dim: int
    base: float
    rotary_fraction: float = 1.0
    rotary_dim: int = field(init=False, repr=False, compare=False)
    """Dimensions that rotate: ``int(head_dim * rotary_fraction)``."""
    n_pairs: int = field(init=False, repr=False, compare=False)
    """Number of rotating pairs (oscillators), ``rotary_dim / 2``."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "head_dim", check_head_dim(self.head_dim))
        object.__setattr__(self, "base", check_base(self.base))
        fraction = finite_real(self.rotary_fraction, "rotary fraction")
        if not 0.0 < fraction <= 1.0:
            raise InvalidRopeSpec(f"rotary fraction must be in (0, 1], got {self.rotary_fraction!r}")
        object.__setattr__(self, "rotary_fraction", fraction)
        rotary = int(self.head_dim * fraction)
        if rotary < 2 or rotary % 2:
            raise InvalidRopeSpec(
                f"rotary dim int({self.head_dim} * {fraction}) = {rotary} must be even and at least 2")
        # stored, not recomputed per read: the scans and closed forms read them in their inner loops
        object.__setattr__(self, "rotary_dim", rotary)
        object.__setattr__(self, "n_pairs", rotary // 2)
