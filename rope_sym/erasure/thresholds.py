"""The two numbers every erasure finding rests on, in one place both the scan's report and the laws read.

- ``ERASED_FRACTION``: a pair is erased when *more than* this fraction of its one-token steps leave its code
  unchanged (``>``, so a pair sitting exactly on one half is not erased);
- ``WALL_CONSTANT``: ``c`` of the cast-level wall ``theta* = c 2^-p`` (``p`` significant bits), the ``t`` where
  the phase-averaged fraction ``F(t)`` crosses ``ERASED_FRACTION`` (``rope_sym.erasure.laws.wall_constant``
  computes it; the proof kernel brackets it, ``derivations.erasure_laws.cast_wall``).
"""

from __future__ import annotations

from rope_sym.formats import FloatFormat, get_format

ERASED_FRACTION = 0.5
"""A pair is erased above this fraction of unchanged one-token steps."""

WALL_CONSTANT = 0.1888994
"""``c`` to 7 digits, as ``wall_constant()`` computes it (a test and the ``erasure-laws`` check recompute it at
30 digits): kept here so that verdicts need no mpmath."""


def wall_theta(fmt: FloatFormat | str) -> float:
    """The cast-level wall ``theta* = c 2^-p`` of a format (bf16: 7.38e-4, fp16: 9.22e-5, fp32: 1.13e-8)."""
    return WALL_CONSTANT * 2.0 ** -get_format(fmt).precision
