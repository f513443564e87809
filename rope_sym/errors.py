"""Errors raised for bad user input.

Every error is a ``ValueError`` subclass carrying one sentence that names the problem, so the CLI can print
it on one line and exit with status 2.
"""

from __future__ import annotations


class RopeSymError(ValueError):
    """Base class of rope-sym's input errors (a ``ValueError``)."""


class InvalidRopeSpec(RopeSymError):
    """A RoPE description (head dim, base, rotary fraction, position) is not valid."""


class UnknownFormat(RopeSymError):
    """A floating-point format name is not known."""


class NotRepresentable(RopeSymError):
    """An operand given to format arithmetic is not a value of that format."""
