"""Trace one run of ``python -m verify ...`` and count how it walks through the repository's files.

Usage: ``python tools/walk.py erasure --base 5e5 --head-dim 128 --context 4096`` (any ``verify`` arguments).

How it counts (``sys.setprofile``: Python call and return events): at every event the *current file* is the file
of the innermost frame that belongs to the repository (``rope_sym/``, ``derivations/``, ``verify/``); frames of
other code (numpy, the standard library) leave it unchanged. Module bodies (``<module>``: the import-time
execution) and everything they call are skipped, so the walk is the run itself, not the imports. The sequence of
current files, with consecutive repeats collapsed, is the walk:

- **files**: the distinct files it enters;
- **returns**: the steps that enter a file the walk had already left (``a -> b -> a`` is one return), counted
  once per distinct step ``(from, to)``: a loop that goes back and forth between two files over every block or
  value is one return, not one per iteration (the raw count, loops included, is printed beside it);
- per file, how many times it is entered (the first entry and every return).

The counts depend on the run's arguments (a loop over blocks returns to the engine's helpers once per block): the
notes in RENAMES.md name the runs used.
"""

from __future__ import annotations

import contextlib
import io
import sys
from collections import Counter
from pathlib import Path
from types import FrameType
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = tuple(str(ROOT / p) + "/" for p in ("rope_sym", "derivations", "verify"))


def _repo_file(frame: FrameType | None) -> str | None:
    while frame is not None:
        name = frame.f_code.co_filename
        if name.startswith(PACKAGES):
            return str(Path(name).relative_to(ROOT))
        frame = frame.f_back
    return None


def _in_module_body(frame: FrameType | None, stop: FrameType) -> bool:
    """Whether ``frame`` runs inside a module body (an import) started below ``stop`` (the tracer's frame)."""
    while frame is not None and frame is not stop:
        if frame.f_code.co_name == "<module>":
            return True
        frame = frame.f_back
    return False


def trace(argv: list[str]) -> tuple[list[str], int]:
    """The walk (files, consecutive repeats collapsed) of ``verify`` run with ``argv``, and its exit status."""
    sys.path.insert(0, str(ROOT))
    from verify.cli import main

    walk: list[str] = []
    here = sys._getframe()

    def profile(frame: FrameType, event: str, arg: Any) -> None:
        if event not in ("call", "return"):
            return
        current = _repo_file(frame if event == "call" else frame.f_back)
        if current is None or (walk and walk[-1] == current) or _in_module_body(frame, here):
            return
        walk.append(current)

    out = io.StringIO()
    sys.setprofile(profile)
    try:
        with contextlib.redirect_stdout(out):
            status = main(argv)
    finally:
        sys.setprofile(None)
    return walk, status


def summary(walk: list[str]) -> tuple[int, int, int, Counter[str]]:
    """``(files, returns as distinct steps, raw returns, entries per file)`` of a walk."""
    seen: set[str] = set()
    back: set[tuple[str, str]] = set()
    raw = 0
    entries: Counter[str] = Counter()
    for i, f in enumerate(walk):
        entries[f] += 1
        if f in seen:
            raw += 1
            back.add((walk[i - 1], f))
        seen.add(f)
    return len(seen), len(back), raw, entries


def main() -> int:
    argv = sys.argv[1:]
    walk, status = trace(argv)
    files, returns, raw, entries = summary(walk)
    print(f"verify {' '.join(argv)}: exit {status}; {files} files entered, {returns} returns to a file left before "
          f"(distinct steps; {raw} counting every loop iteration)")
    for name, count in entries.most_common():
        print(f"  {count:4d}  {name}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
