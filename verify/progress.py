"""A minimal progress bar on stderr, shown only on a terminal (or when forced), so reports stay clean."""

from __future__ import annotations

import sys
import time
from collections.abc import Iterable, Iterator
from typing import TypeVar

T = TypeVar("T")


def _clock(seconds: float) -> str:
    seconds = max(0, int(seconds))
    return f"{seconds // 60}:{seconds % 60:02d}" if seconds < 3600 else f"{seconds // 3600}h{seconds % 3600 // 60:02d}"


def progress(items: Iterable[T], total: int | None = None, label: str = "", enabled: bool | None = None,
             unit: str | None = None) -> Iterator[T]:
    """Yield ``items`` while drawing ``label [#####     ] k/total unit  elapsed  ETA`` on stderr (the ETA from the
    rate so far; ``unit`` defaults to the label)."""
    if enabled is None:
        enabled = sys.stderr.isatty()
    if total is None:
        try:
            total = len(items)  # type: ignore[arg-type]
        except TypeError:
            total = None
    if not enabled:
        yield from items
        return
    start = time.perf_counter()
    width = 30

    def draw(k: int) -> None:
        elapsed = time.perf_counter() - start
        units = unit or label
        if total:
            filled = int(width * k / total)
            bar = "#" * filled + " " * (width - filled)
            eta = f"  ETA {_clock(elapsed / k * (total - k))}" if 0 < k < total else ""
            sys.stderr.write(f"\r{label} [{bar}] {k}/{total} {units}  {_clock(elapsed)}{eta}   ")
        else:
            sys.stderr.write(f"\r{label} {k} {units}  {_clock(elapsed)}   ")
        sys.stderr.flush()

    draw(0)
    for k, item in enumerate(items, start=1):
        yield item
        draw(k)
    sys.stderr.write("\n")


class Ticker:
    """A progress bar for work counted in steps (``ticker(k)`` after ``k`` more), drawn like ``progress``; a no-op
    unless ``enabled`` (default: stderr is a terminal)."""

    def __init__(self, total: int, label: str, unit: str, enabled: bool | None = None) -> None:
        self.total, self.label, self.unit = total, label, unit
        self.enabled = sys.stderr.isatty() if enabled is None else enabled
        self.done = 0
        self.start = time.perf_counter()

    def __call__(self, k: int = 1) -> None:
        self.done += k
        if not self.enabled:
            return
        elapsed = time.perf_counter() - self.start
        filled = int(30 * self.done / max(self.total, 1))
        eta = (f"  ETA {_clock(elapsed / self.done * (self.total - self.done))}"
               if 0 < self.done < self.total else "")
        sys.stderr.write(f"\r{self.label} [{'#' * filled}{' ' * (30 - filled)}] {self.done}/{self.total} "
                         f"{self.unit}  {_clock(elapsed)}{eta}   ")
        sys.stderr.flush()
        if self.done >= self.total:
            sys.stderr.write("\n")
