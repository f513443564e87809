"""Trace one run of ``python -m verify ...`` and count how it walks through the repository's files.

Usage: ``python tools/walk.py erasure --base 5e5 --head-dim 128 --context 4096`` (any ``verify`` arguments);
``--steps`` also lists every step that returns; ``--into FILE`` counts the steps into one file (``--into
rope_sym/bounds/closed_forms.py``: how often the run enters the closed forms, and from where).

How it counts (``sys.setprofile``, Python ``call`` events only): a *step* is a call from code in one repository
file (``rope_sym/``, ``derivations/``, ``verify/``) into a function of another; frames of other code (numpy, the
standard library) are looked through, so a callback the engine receives counts as the engine calling its file.
Import-time module bodies, and everything they call, are skipped: the walk is the run, not the imports.

- **files**: the distinct files the run enters;
- **returns**: steps into a file the walk had already entered before, counted once per distinct ``(from file, to
  file)``: a loop that calls the same file once per block or per value is one return, not one per iteration;
- **returns to read**: the returns that reach a function not entered before, again once per ``(from, to)``: the
  times a reader following the setting must reopen a file they had left to read new code (a second call of a
  function already read, such as ``get_format`` on a format object, is not one).

A stack return (a callee finishing) is not a step: the walk is the calls, the path a reader follows down.
"""

from __future__ import annotations

import contextlib
import io
import sys
from pathlib import Path
from types import FrameType
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = tuple(str(ROOT / p) + "/" for p in ("rope_sym", "derivations", "verify"))

Step = tuple[str, str, str, str]
"""``(from file, to file, to function, from function)``."""


def _repo_frame(frame: FrameType | None) -> FrameType | None:
    while frame is not None and not frame.f_code.co_filename.startswith(PACKAGES):
        frame = frame.f_back
    return frame


def _in_module_body(frame: FrameType | None, stop: FrameType) -> bool:
    """Whether ``frame`` runs inside a module body (an import) started below ``stop`` (the tracer's frame)."""
    while frame is not None and frame is not stop:
        if frame.f_code.co_name == "<module>":
            return True
        frame = frame.f_back
    return False


def _relative(name: str) -> str:
    return str(Path(name).relative_to(ROOT))


def trace(argv: list[str]) -> tuple[list[Step], int]:
    """The steps of ``verify`` run with ``argv``, in order, and its exit status."""
    sys.path.insert(0, str(ROOT))
    from verify.cli import main

    steps: list[Step] = []
    here = sys._getframe()

    def profile(frame: FrameType, event: str, arg: Any) -> None:
        if event != "call" or not frame.f_code.co_filename.startswith(PACKAGES):
            return
        caller = _repo_frame(frame.f_back)
        if caller is None or caller.f_code.co_filename == frame.f_code.co_filename:
            return
        if _in_module_body(frame, here):
            return
        steps.append((_relative(caller.f_code.co_filename), _relative(frame.f_code.co_filename),
                      frame.f_code.co_name, caller.f_code.co_name))

    out = io.StringIO()
    sys.setprofile(profile)
    try:
        with contextlib.redirect_stdout(out):
            status = main(argv)
    finally:
        sys.setprofile(None)
    return steps, status


def returns(steps: list[Step]) -> tuple[int, list[tuple[str, str]], list[tuple[str, str]]]:
    """``(files, returns, returns to read)`` of a walk; the two lists of ``(from, to)`` in first-seen order."""
    entered: set[str] = set()
    read: set[tuple[str, str]] = set()
    back: dict[tuple[str, str], None] = {}
    to_read: dict[tuple[str, str], None] = {}
    for source, target, function, _ in steps:
        entered.add(source)
        if target in entered:
            back[source, target] = None
            if (target, function) not in read:
                to_read[source, target] = None
        entered.add(target)
        read.add((target, function))
    return len(entered), list(back), list(to_read)


def entries_into(steps: list[Step], target: str) -> tuple[list[str], list[str]]:
    """The places the walk enters ``target`` from: the distinct calling functions (``file:function``, a call site
    the reader must follow into it) and the distinct calling files."""
    sites: dict[str, None] = {}
    files: dict[str, None] = {}
    for source, to, _, caller in steps:
        if to == target and source != target:
            sites[f"{source}:{caller}"] = None
            files[source] = None
    return list(sites), list(files)


def main() -> int:
    args = sys.argv[1:]
    into = None
    if "--into" in args:
        at = args.index("--into")
        if at + 1 >= len(args):
            print("walk: --into needs a file (e.g. rope_sym/bounds/closed_forms.py)", file=sys.stderr)
            return 2
        into, args = args[at + 1], args[:at] + args[at + 2:]
    steps_wanted = "--steps" in args
    argv = [a for a in args if a != "--steps"]
    steps, status = trace(argv)
    files, back, to_read = returns(steps)
    print(f"verify {' '.join(argv)}: exit {status}; {files} files entered; {len(back)} returns to a file left "
          f"before, {len(to_read)} of them to read new code")
    if into is not None:
        sites, callers = entries_into(steps, into)
        print(f"  {into}: entered from {len(sites)} call sites in {len(callers)} files: {', '.join(sites) or 'none'}")
    if steps_wanted:
        for source, target in back:
            print(f"  {'read' if (source, target) in to_read else '    '}  {source} -> {target}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
