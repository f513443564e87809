"""Floating-point formats with exact rounding: the fast vectorised path and the gmpy2 oracle that judges it."""

from rope_sym.formats import arithmetic
from rope_sym.formats.format import BF16, E4M3, E5M2, FORMATS, FP16, FP32, FP64, FloatFormat, get_format
from rope_sym.formats.hard_cases import hard_cases, random_values, same_bits
from rope_sym.formats.oracle import (
    gmpy2_context,
    oracle_add,
    oracle_cos,
    oracle_div,
    oracle_fma,
    oracle_mul,
    oracle_pow,
    oracle_round,
    oracle_round_many,
    oracle_sin,
    oracle_sqrt,
    oracle_sub,
)
from rope_sym.formats.rounding import is_representable, round_to, ulp

__all__ = [
    "BF16", "E4M3", "E5M2", "FORMATS", "FP16", "FP32", "FP64", "FloatFormat", "arithmetic", "get_format",
    "gmpy2_context", "hard_cases", "is_representable", "oracle_add", "oracle_cos", "oracle_div", "oracle_fma",
    "oracle_mul", "oracle_pow", "oracle_round", "oracle_round_many", "oracle_sin", "oracle_sqrt", "oracle_sub",
    "random_values", "round_to", "same_bits", "ulp",
]
