"""Vectorised arithmetic in a format: compute in float64, round once.

For operands that are values of a format with precision ``p``, the float64 result of ``+ - * /`` and ``sqrt``
rounded once more to ``p`` bits equals the single correct rounding whenever ``53 >= 2p + 2`` (Figueroa 1995;
Roux 2014, underflow included). That covers fp16, bf16, fp32 and the fp8 formats (``p <= 24``). It does *not*
cover fused multiply-add (use ``oracle_fma``), nor chains of operations without a rounding after each step.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from rope_sym.formats.format import FloatFormat, get_format
from rope_sym.formats.rounding import round_to

Array = NDArray[np.float64]


def _checked(fmt: FloatFormat | str) -> FloatFormat:
    fmt = get_format(fmt)
    if 2 * fmt.precision + 2 > 53 and fmt.precision != 53:
        raise ValueError(f"float64-then-round arithmetic is not exact for {fmt.name} (needs 2p+2 <= 53)")
    return fmt


def add(a: ArrayLike, b: ArrayLike, fmt: FloatFormat | str) -> Array | np.float64:
    """``round(a + b)`` in ``fmt``, elementwise (operands must already be values of ``fmt``)."""
    fmt = _checked(fmt)
    return round_to(np.add(a, b, dtype=np.float64), fmt)


def sub(a: ArrayLike, b: ArrayLike, fmt: FloatFormat | str) -> Array | np.float64:
    """``round(a - b)`` in ``fmt``, elementwise."""
    fmt = _checked(fmt)
    return round_to(np.subtract(a, b, dtype=np.float64), fmt)


def mul(a: ArrayLike, b: ArrayLike, fmt: FloatFormat | str) -> Array | np.float64:
    """``round(a * b)`` in ``fmt``, elementwise."""
    fmt = _checked(fmt)
    return round_to(np.multiply(a, b, dtype=np.float64), fmt)


def div(a: ArrayLike, b: ArrayLike, fmt: FloatFormat | str) -> Array | np.float64:
    """``round(a / b)`` in ``fmt``, elementwise."""
    fmt = _checked(fmt)
    with np.errstate(divide="ignore", invalid="ignore"):
        return round_to(np.divide(a, b, dtype=np.float64), fmt)


def sqrt(a: ArrayLike, fmt: FloatFormat | str) -> Array | np.float64:
    """``round(sqrt(a))`` in ``fmt``, elementwise."""
    fmt = _checked(fmt)
    with np.errstate(invalid="ignore"):
        return round_to(np.sqrt(np.asarray(a, dtype=np.float64)), fmt)
