"""Output paths checked before the work runs: a long scan must not end in "directory not found".

``output_file`` and ``output_dir`` refuse, with one sentence naming the path, what cannot be written: a missing
parent directory, a directory given as a file (or a file as a directory), a read-only place, an image suffix
no writer knows. ``write_text`` turns an ``OSError`` at write time (a full device, say) into the same kind of
one-line refusal.
"""

from __future__ import annotations

import os
from collections.abc import Collection
from pathlib import Path

from verify.commands import UsageError


def _nearest_existing(path: Path) -> Path:
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


def output_file(path: str | Path, option: str, suffixes: Collection[str] | None = None) -> Path:
    """``path`` as a file to (over)write, or a ``UsageError`` naming ``option`` and the reason."""
    target = Path(path)
    if str(path) == "" or target.is_dir():
        raise UsageError(f"{option} {path}: is a directory, not a file")
    if suffixes is not None and target.suffix.lower() not in suffixes:
        known = ", ".join(sorted(suffixes))
        raise UsageError(f"{option} {path}: unknown file type {target.suffix or '(no suffix)'!r} (use {known})")
    parent = target.parent
    if not parent.exists():
        raise UsageError(f"{option} {path}: directory {parent} does not exist")
    if not parent.is_dir():
        raise UsageError(f"{option} {path}: {parent} is not a directory")
    if target.exists():
        if not os.access(target, os.W_OK):
            raise UsageError(f"{option} {path}: not writable")
    elif not os.access(parent, os.W_OK | os.X_OK):
        raise UsageError(f"{option} {path}: cannot create files in {parent}")
    return target


def output_dir(path: str | Path, option: str) -> Path:
    """``path`` as a directory to write into (created later if missing), or a ``UsageError``."""
    target = Path(path)
    if target.exists() and not target.is_dir():
        raise UsageError(f"{option} {path}: is a file, not a directory")
    existing = _nearest_existing(target)
    if not existing.is_dir():
        raise UsageError(f"{option} {path}: {existing} is not a directory")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise UsageError(f"{option} {path}: {existing} is not writable")
    return target


def write_text(path: str | Path, text: str) -> Path:
    """Write ``text`` to ``path``; a failure at write time (a full device) is one line, not a traceback."""
    target = Path(path)
    try:
        with open(target, "w", encoding="utf-8") as handle:
            handle.write(text)
    except OSError as exc:
        raise UsageError(f"cannot write {path}: {exc.strerror or exc}") from None
    return target
