"""Benchmarks run by ``python -m verify bench``: they print figures and assert nothing about time."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from verify.registry import Registry


@dataclass(frozen=True)
class BenchOptions:
    """``quick`` shrinks sizes for a smoke run (tests use it); the figures then mean little."""

    quick: bool = False


@dataclass
class BenchResult:
    """A titled table of measured rows plus notes (environment, method) printed under it."""

    title: str
    rows: list[dict[str, Any]]
    notes: list[str] = field(default_factory=list)


BenchFunction = Callable[[BenchOptions], BenchResult]
BENCHES: Registry[BenchFunction] = Registry("benchmark", __name__)


def benchmark(name: str, description: str) -> Callable[[BenchFunction], BenchFunction]:
    """Register a benchmark."""
    return BENCHES.register(name, description)
