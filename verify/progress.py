"""A minimal progress bar on stderr, shown only on a terminal (or when forced), so reports stay clean."""

from __future__ import annotations

import sys
import time
from collections.abc import Iterable, Iterator
from typing import TypeVar

T = TypeVar("T")


def progress(items: Iterable[T], total: int | None = None, label: str = "", enabled: bool | None = None) -> Iterator[T]:
    """Yield ``items`` while drawing ``label [#####     ] k/total  elapsed`` on stderr."""
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
        if total:
            filled = int(width * k / total)
            bar = "#" * filled + " " * (width - filled)
            sys.stderr.write(f"\r{label} [{bar}] {k}/{total}  {elapsed:6.1f}s")
        else:
            sys.stderr.write(f"\r{label} {k}  {elapsed:6.1f}s")
        sys.stderr.flush()

    draw(0)
    for k, item in enumerate(items, start=1):
        yield item
        draw(k)
    sys.stderr.write("\n")
