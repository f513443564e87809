"""The gmpy2 (GNU MPFR) oracle: scalar, slow, and the judge of every fast path.

An MPFR context with precision ``p``, ``emin_mpfr = emin - p + 2``, ``emax_mpfr = emax + 1`` (MPFR writes
numbers as ``0.1f * 2^E``, one more than IEEE's exponent) and ``subnormalize=True`` reproduces the format's
round-to-nearest-even exactly, subnormals and overflow included.

The trap this module exists to avoid: ``subnormalize`` assumes every operand already has the context's
precision. A 53-bit ``mpfr`` or a Python float used as an *operand* inside the context is pre-rounded to
about ``p`` bits near the subnormal range and then rounded again (``mpfr(3.0) * 1e-8`` gives 0 in fp16). So
operands are always checked to be values of the format and converted with ``mpfr(x)`` under the context
(which rounds the float64 once, with MPFR's ternary value, and is exact for a value of the format).

Formats without infinities (E4M3FN) and with subnormals off are judged by the same core rounding followed
by the documented rule of ``rounding.round_to``: overflow to NaN, flush to zero below ``2^emin``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from functools import cache

import gmpy2

from rope_sym.errors import NotRepresentable
from rope_sym.formats.format import FloatFormat, get_format


@cache
def gmpy2_context(fmt: FloatFormat | str) -> gmpy2.context:
    """The MPFR context that rounds exactly like ``fmt`` (before its no-inf / flush-to-zero rules)."""
    fmt = get_format(fmt)
    return gmpy2.context(
        precision=fmt.precision,
        emin=fmt.emin - fmt.precision + 2,
        emax=fmt.emax + 1,
        subnormalize=True,
        round=gmpy2.RoundToNearest,
    )


def _finish(value: gmpy2.mpfr, fmt: FloatFormat) -> float:
    """Apply the format's range rules to a value rounded under its context."""
    r = float(value)  # exact: the value has at most p <= 53 bits and lies in float64's range
    if math.isinf(r) and not fmt.has_inf:
        return math.nan
    if math.isfinite(r) and abs(r) > fmt.max:
        return math.copysign(math.inf, r) if fmt.has_inf else math.nan
    if not fmt.subnormals and r != 0.0 and abs(r) < fmt.smallest_normal:
        return math.copysign(0.0, r)
    return r


def oracle_round(x: float, fmt: FloatFormat | str) -> float:
    """Round one float64 value to ``fmt`` with MPFR (one correct rounding, ties to even)."""
    fmt = get_format(fmt)
    with gmpy2.context(gmpy2_context(fmt)):
        return _finish(gmpy2.mpfr(float(x)), fmt)


def oracle_round_many(values: Iterable[float], fmt: FloatFormat | str) -> list[float]:
    """``oracle_round`` over an iterable (a scalar loop: for tests and benchmarks, not bulk work)."""
    fmt = get_format(fmt)
    with gmpy2.context(gmpy2_context(fmt)):
        return [_finish(gmpy2.mpfr(float(v)), fmt) for v in values]


def _operand(x: float, fmt: FloatFormat) -> gmpy2.mpfr:
    """``x`` as an mpfr of the context's precision; refuses values that are not in the format."""
    x = float(x)
    if not math.isnan(x) and oracle_round(x, fmt) != x:
        raise NotRepresentable(f"operand {x!r} is not a {fmt.name} value; round it to {fmt.name} first")
    return gmpy2.mpfr(x)  # exact (called under the context)


def _apply(fn: Callable[..., gmpy2.mpfr], fmt: FloatFormat | str, *operands: float) -> float:
    fmt = get_format(fmt)
    with gmpy2.context(gmpy2_context(fmt)):
        args = [_operand(a, fmt) for a in operands]
        return _finish(fn(*args), fmt)


def oracle_add(a: float, b: float, fmt: FloatFormat | str) -> float:
    """``round(a + b)`` in ``fmt``; ``a`` and ``b`` must be values of ``fmt``."""
    return _apply(lambda x, y: x + y, fmt, a, b)


def oracle_sub(a: float, b: float, fmt: FloatFormat | str) -> float:
    """``round(a - b)`` in ``fmt``."""
    return _apply(lambda x, y: x - y, fmt, a, b)


def oracle_mul(a: float, b: float, fmt: FloatFormat | str) -> float:
    """``round(a * b)`` in ``fmt``."""
    return _apply(lambda x, y: x * y, fmt, a, b)


def oracle_div(a: float, b: float, fmt: FloatFormat | str) -> float:
    """``round(a / b)`` in ``fmt``."""
    return _apply(lambda x, y: x / y, fmt, a, b)


def oracle_sqrt(a: float, fmt: FloatFormat | str) -> float:
    """``round(sqrt(a))`` in ``fmt``."""
    return _apply(gmpy2.sqrt, fmt, a)


def oracle_fma(a: float, b: float, c: float, fmt: FloatFormat | str) -> float:
    """``round(a * b + c)`` in ``fmt``, one rounding of the exact result (a float64 fma then a rounding is
    not this for bf16 and fp32)."""
    return _apply(gmpy2.fma, fmt, a, b, c)


def oracle_cos(a: float, fmt: FloatFormat | str) -> float:
    """Correctly rounded ``cos(a)`` in ``fmt``."""
    return _apply(gmpy2.cos, fmt, a)


def oracle_sin(a: float, fmt: FloatFormat | str) -> float:
    """Correctly rounded ``sin(a)`` in ``fmt``."""
    return _apply(gmpy2.sin, fmt, a)


def oracle_pow(a: float, b: float, fmt: FloatFormat | str) -> float:
    """Correctly rounded ``a ** b`` in ``fmt``."""
    return _apply(lambda x, y: x**y, fmt, a, b)
