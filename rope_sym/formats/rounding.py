"""Vectorised correct rounding of float64 values to a ``FloatFormat``.

For ``|x|`` with ``e = floor(log2|x|)``, the format's quantum at ``x`` is ``Q = 2^(max(e, emin) - p + 1)``
(the subnormal quantum below ``2^emin``). Rounding to nearest-even means ``round(x) = Q * rne(x / Q)``.

We let the float64 adder do that rounding, once and exactly: with ``C = 2^(max(e, emin) - p + 1 + 52)``, the
float64 spacing at ``C`` is ``Q``, and ``|x| < 2^(e+1) < C`` keeps ``|x| + C`` inside ``C``'s binade
(``p <= 51``). So ``fl64(|x| + C)`` is ``C + Q * rne(|x| / Q)``, a single IEEE rounding (ties to even, since
``C / Q = 2^52`` is even), and subtracting ``C`` is exact. ``C`` is built from the exponent bits of ``|x|``
clamped to ``[2^emin, 2^(emax+1)]``: below ``emin`` the quantum is the subnormal one (gradual underflow), and
above ``emax + 1`` every value overflows anyway. After rounding with an unbounded exponent, a magnitude above
``max`` overflows (IEEE: to infinity, so the exact tie ``(2 - 2^-p) * 2^emax`` goes to inf; E4M3FN: to NaN), and
with subnormals off a magnitude below ``2^emin`` flushes to zero. The sign bit is copied back last, which keeps
signed zeros; NaN stays NaN.

No value passes through float32 or any other intermediate format, so there is no double rounding.
"""

from __future__ import annotations

import math
from typing import overload

import numpy as np
from numpy.typing import ArrayLike, NDArray

from rope_sym.formats.format import FloatFormat, get_format

_CHUNK = 1 << 15  # elements per block: keeps the ~10 passes in cache


def _is_float64_itself(fmt: FloatFormat) -> bool:
    return (fmt.precision, fmt.emin, fmt.emax, fmt.subnormals, fmt.has_inf, fmt.max_significand) == (
        53, -1022, 1023, True, True, None)


def _is_float32_itself(fmt: FloatFormat) -> bool:
    return (fmt.precision, fmt.emin, fmt.emax, fmt.subnormals, fmt.has_inf, fmt.max_significand) == (
        24, -126, 127, True, True, None)


_SIGN = np.uint64(1 << 63)
_MAGNITUDE = np.uint64((1 << 63) - 1)
_EXPONENT = np.uint64(0x7FF << 52)


def _round_block(src: NDArray[np.float64], dst: NDArray[np.float64], magic: NDArray[np.float64],
                 mask: NDArray[np.bool_], fmt: FloatFormat) -> None:
    """Round ``src`` into ``dst`` (1-D, same length); ``magic`` and ``mask`` are scratch buffers."""
    src_bits, dst_bits, magic_bits = src.view(np.uint64), dst.view(np.uint64), magic.view(np.uint64)
    np.bitwise_and(src_bits, _MAGNITUDE, out=dst_bits)  # |x|
    # C = 2^(e' - p + 1 + 52) with e' = floor(log2 |x|) clamped to [emin, emax + 1]: clamp |x| (NaN stays
    # NaN and gives a NaN sum, as it should), keep its exponent bits, then add (52 - p + 1) to the exponent.
    np.clip(dst, fmt.smallest_normal, 2.0 ** (fmt.emax + 1), out=magic)
    np.bitwise_and(magic_bits, _EXPONENT, out=magic_bits)
    magic_bits += np.uint64((52 - fmt.precision + 1) << 52)
    dst += magic  # the one rounding, done by the float64 adder
    dst -= magic  # exact
    np.greater(dst, fmt.max, out=mask)
    np.copyto(dst, np.inf if fmt.has_inf else np.nan, where=mask)
    if not fmt.subnormals:
        np.less(dst, fmt.smallest_normal, out=mask)
        np.copyto(dst, 0.0, where=mask)
    np.bitwise_and(src_bits, _SIGN, out=magic_bits)
    np.bitwise_or(dst_bits, magic_bits, out=dst_bits)  # the sign of x, signed zeros included


@overload
def round_to(x: float, fmt: FloatFormat | str) -> np.float64: ...
@overload
def round_to(x: ArrayLike, fmt: FloatFormat | str) -> NDArray[np.float64] | np.float64: ...


def round_to(x: ArrayLike, fmt: FloatFormat | str) -> NDArray[np.float64] | np.float64:
    """Round each value of ``x`` (converted to float64) to the nearest value of ``fmt``, ties to even.

    One correct rounding per element: gradual underflow (or flush to zero when the format has no
    subnormals), overflow to infinity at the IEEE boundary (NaN for formats without infinities), signed
    zeros and NaN kept. Returns float64 values (every value of the format is a float64); a scalar in gives
    a ``numpy.float64`` out.

    >>> float(round_to(1 + 2**-8 + 2**-40, "bf16"))   # just above a tie: rounds up, no double rounding
    1.0078125
    >>> float(round_to(65520.0, "fp16"))               # the overflow tie goes to infinity
    inf
    """
    fmt = get_format(fmt)
    a = np.asarray(x, dtype=np.float64)
    if _is_float64_itself(fmt):
        return a.copy() if a.ndim else np.float64(a)
    if _is_float32_itself(fmt):
        # IEEE 754 binary64 -> binary32 conversion is itself one correct rounding (nearest-even, gradual
        # underflow, overflow to inf, signs kept): the hardware's cast is the fast path, judged by the oracle
        with np.errstate(over="ignore"):
            out32 = a.astype(np.float32).astype(np.float64)
        return out32 if a.ndim else np.float64(out32)
    src = np.ascontiguousarray(a).reshape(-1)
    out = np.empty_like(src)
    magic = np.empty(min(src.size, _CHUNK), dtype=np.float64)
    mask = np.empty(magic.size, dtype=np.bool_)
    for start in range(0, src.size, _CHUNK):
        stop = min(start + _CHUNK, src.size)
        k = stop - start
        _round_block(src[start:stop], out[start:stop], magic[:k], mask[:k], fmt)
    if a.ndim == 0:
        return np.float64(out[0])
    return out.reshape(a.shape)


def is_representable(x: ArrayLike, fmt: FloatFormat | str) -> NDArray[np.bool_] | np.bool_:
    """Whether each value is exactly a value of ``fmt`` (NaN counts as representable; inf only with infinities)."""
    fmt = get_format(fmt)
    a = np.asarray(x, dtype=np.float64)
    r = round_to(a, fmt)
    same = (r == a) | (np.isnan(a) & np.isnan(r))
    result = same & ~(np.isinf(a) & (not fmt.has_inf))
    return result


def ulp(x: float, fmt: FloatFormat | str) -> float:
    """Spacing of ``fmt`` at ``x``: ``2^(max(e, emin) - p + 1)`` with ``e = floor(log2 |round(x)|)``.

    ``x`` is rounded to the format first (8191 is 8192 in bf16, so its ulp is that of 8192).
    Zero gives the smallest subnormal; infinities and NaN give NaN.
    """
    f = get_format(fmt)
    r = float(round_to(x, f))
    if not math.isfinite(r):
        return math.nan
    if r == 0.0:
        return f.smallest_subnormal
    e = math.frexp(abs(r))[1] - 1
    return math.ldexp(1.0, max(e, f.emin) - f.precision + 1)
