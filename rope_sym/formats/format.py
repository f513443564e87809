"""Binary floating-point formats described by their parameters.

A format with precision ``p`` (significand bits, the implicit bit included), exponent range
``[emin, emax]`` (IEEE convention: normal numbers are ``1.f * 2^e`` with ``emin <= e <= emax``) holds

- normal numbers ``m * 2^(e - p + 1)`` with ``2^(p-1) <= m < 2^p``, ``emin <= e <= emax``;
- subnormal numbers ``m * 2^(emin - p + 1)`` with ``0 < m < 2^(p-1)`` (when subnormals are on);
- signed zeros, and either infinities and NaN (IEEE) or NaN alone (the fp8 "fn" formats).

All constants are exact powers of two or short sums of them, so they are exact float64 values.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from rope_sym.errors import UnknownFormat


@dataclass(frozen=True)
class FloatFormat:
    """A binary floating-point format.

    Attributes:
        name: short name (``"bf16"``).
        precision: ``p``, significand bits counting the implicit bit (bf16: 8).
        emin: smallest normal exponent, IEEE convention (bf16: -126).
        emax: largest exponent, IEEE convention (bf16: 127).
        subnormals: gradual underflow; when off, results below ``smallest_normal`` flush to signed zero.
        has_inf: whether the format has infinities. Without them (fp8 E4M3FN) overflow gives NaN.
        max_significand: the largest significand at ``emax`` as an integer ``m < 2^p``; ``None`` means
            ``2^p - 1`` (IEEE). E4M3FN reserves its top pattern for NaN, so its largest is ``0b1110``.

    Derived constants, stored when the format is made (every rounding reads them):

        eps: machine epsilon ``2^(1-p)``, the gap from 1 to the next larger number (numpy's ``finfo.eps``).
        unit_roundoff: ``u = 2^(-p)``, the relative error bound of round-to-nearest (Higham's ``u``).
        max: the largest finite value ``m_max * 2^(emax - p + 1)``; IEEE: ``(2 - 2^(1-p)) * 2^emax``.
        smallest_normal: ``2^emin``.
        smallest_subnormal: ``2^(emin - p + 1)``, the subnormal quantum (``smallest_normal`` when subnormals
            are off).
        exact_integer_limit: all integers ``|n| <= 2^p`` are exact; ``2^p + 1`` is the first that is not.
    """

    name: str
    precision: int
    emin: int
    emax: int
    subnormals: bool = True
    has_inf: bool = True
    max_significand: int | None = None
    eps: float = field(init=False, repr=False, compare=False)
    unit_roundoff: float = field(init=False, repr=False, compare=False)
    max: float = field(init=False, repr=False, compare=False)
    smallest_normal: float = field(init=False, repr=False, compare=False)
    smallest_subnormal: float = field(init=False, repr=False, compare=False)
    exact_integer_limit: int = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        float64_itself = (self.precision, self.emin, self.emax) == (53, -1022, 1023)
        if not (2 <= self.precision <= 51 or float64_itself):
            # The vectorised rounding needs 2 spare float64 bits; p = 52..53 is only float64 itself.
            raise ValueError(f"precision must be in [2, 51] (or float64 itself), got {self.precision}")
        if not (-1022 <= self.emin < 0 < self.emax <= 1023):
            raise ValueError(f"exponent range [{self.emin}, {self.emax}] must lie within float64's [-1022, 1023]")
        p = self.precision
        m_max = (1 << p) - 1 if self.max_significand is None else self.max_significand
        smallest_normal = math.ldexp(1.0, self.emin)
        derived = {
            "eps": math.ldexp(1.0, 1 - p),
            "unit_roundoff": math.ldexp(1.0, -p),
            "max": math.ldexp(float(m_max), self.emax - p + 1),
            "smallest_normal": smallest_normal,
            "smallest_subnormal": math.ldexp(1.0, self.emin - p + 1) if self.subnormals else smallest_normal,
            "exact_integer_limit": 1 << p,
        }
        for name, value in derived.items():
            object.__setattr__(self, name, value)

    def __str__(self) -> str:
        return self.name


FP16 = FloatFormat("fp16", precision=11, emin=-14, emax=15)
"""IEEE 754 binary16."""

BF16 = FloatFormat("bf16", precision=8, emin=-126, emax=127)
"""bfloat16: fp32's exponent range with 8 significand bits; subnormals kept (as ml_dtypes and torch CPU do)."""

FP32 = FloatFormat("fp32", precision=24, emin=-126, emax=127)
"""IEEE 754 binary32."""

FP64 = FloatFormat("fp64", precision=53, emin=-1022, emax=1023)
"""IEEE 754 binary64 (rounding a float64 to it is the identity)."""

E5M2 = FloatFormat("e5m2", precision=3, emin=-14, emax=15)
"""OCP fp8 E5M2: IEEE rules exactly (subnormals, infinities, NaN), like a short fp16."""

E4M3 = FloatFormat("e4m3", precision=4, emin=-6, emax=8, has_inf=False, max_significand=0b1110)
"""OCP fp8 E4M3 ("E4M3FN"). Differs from IEEE: no infinities, and the all-ones pattern ``S.1111.111`` is NaN, so
the largest finite value is ``1.75 * 2^8 = 448`` and exponent 8 is a normal exponent. Overflow (a value that
rounds above 448) gives NaN, the OCP non-saturating conversion; saturating conversions are not modelled."""

FORMATS: dict[str, FloatFormat] = {f.name: f for f in (FP16, BF16, FP32, FP64, E5M2, E4M3)}

_ALIASES = {
    "float16": "fp16", "half": "fp16", "binary16": "fp16",
    "bfloat16": "bf16",
    "float32": "fp32", "single": "fp32", "float": "fp32", "binary32": "fp32",
    "float64": "fp64", "double": "fp64", "binary64": "fp64",
    "float8_e5m2": "e5m2", "fp8_e5m2": "e5m2",
    "float8_e4m3fn": "e4m3", "fp8_e4m3": "e4m3", "e4m3fn": "e4m3",
}


def get_format(name: str | FloatFormat) -> FloatFormat:
    """Look a format up by name (``"bf16"``, ``"bfloat16"``, ``"fp32"``, ...); a ``FloatFormat`` passes through."""
    if isinstance(name, FloatFormat):
        return name
    key = str(name).strip().lower()
    key = _ALIASES.get(key, key)
    try:
        return FORMATS[key]
    except KeyError:
        known = ", ".join(FORMATS)
        raise UnknownFormat(f"unknown floating-point format {name!r} (known: {known})") from None
