"""Plain-text tables and JSON for reports."""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any


def format_number(value: Any) -> str:
    """Numbers as a reader wants them: integers with separators, floats to 4 significant digits."""
    if isinstance(value, bool) or value is None:
        return str(value)
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            return str(value)
        return f"{value:.4g}"
    return str(value)


TABLE_FORMATS: tuple[str, ...] = ("table", "markdown", "csv", "json")


def terminal_width() -> int:
    """The terminal's width: ``COLUMNS`` when set, else the terminal's own (80 when there is none)."""
    import shutil

    return shutil.get_terminal_size((80, 24)).columns


def _elide(text: str, width: int) -> str:
    return text if len(text) <= width else text[:max(width - 1, 0)] + "…"


def format_table(headers: Sequence[str], rows: Sequence[Sequence[Any]], elide: int | None = None,
                 width: int | None = None) -> str:
    """A left-aligned table with a rule under the header. ``elide``: the column to cut with "…" so that the table
    fits ``width`` (default: the terminal's width, ``terminal_width``); the other columns are kept whole."""
    cells = [[format_number(c) for c in row] for row in rows]
    widths = [max([len(h)] + [len(r[i]) for r in cells]) for i, h in enumerate(headers)]
    if elide is not None:
        room = (terminal_width() if width is None else width) - sum(w + 2 for i, w in enumerate(widths) if i != elide)
        if widths[elide] > room:
            widths[elide] = max(room, len(headers[elide]), 12)
            cells = [[_elide(c, widths[elide]) if i == elide else c for i, c in enumerate(r)] for r in cells]
    lines = ["  ".join(h.ljust(w) for h, w in zip(headers, widths)).rstrip(),
             "  ".join("-" * w for w in widths)]
    lines += ["  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in cells]
    return "\n".join(lines)


def render_table(headers: Sequence[str], rows: Sequence[Sequence[Any]], fmt: str = "table",
                 elide: int | None = None) -> str:
    """A table as ``table`` (fits the terminal, eliding column ``elide``), ``markdown``, ``csv`` or ``json``."""
    if fmt == "markdown":
        def cell(c: Any) -> str:
            return format_number(c).replace("|", "\\|")

        lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
        lines += ["| " + " | ".join(cell(c) for c in row) + " |" for row in rows]
        return "\n".join(lines)
    if fmt == "csv":
        import csv
        import io

        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(headers)
        def raw(c: Any) -> Any:  # machine-readable numbers: no separators
            return f"{c:.6g}" if isinstance(c, float) else c

        writer.writerows([[raw(c) for c in row] for row in rows])
        return buffer.getvalue().rstrip("\n")
    if fmt == "json":
        return to_json([dict(zip(headers, row)) for row in rows])
    return format_table(headers, rows, elide=elide)


def _jsonable(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None if math.isnan(value) else ("inf" if value > 0 else "-inf")
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if hasattr(value, "item") and callable(value.item):  # numpy scalars
        return _jsonable(value.item())
    return value


def to_json(data: Any) -> str:
    """Strict JSON (non-finite floats become null / "inf"), keys in insertion order."""
    return json.dumps(_jsonable(data), indent=2, allow_nan=False)


def write_json(path: str | Path, data: Any) -> None:
    """Write ``data`` as strict JSON; a write failure is a one-line ``UsageError``."""
    from verify.output_paths import write_text

    write_text(path, to_json(data) + "\n")


def emit_json(args: Any, data: Any) -> bool:
    """The JSON convention of every command: ``--json-out FILE`` writes ``data`` as JSON to FILE; ``--json``
    prints it (pure JSON on stdout). True when it was printed (the caller then prints no text)."""
    if getattr(args, "json_out", None):
        write_json(args.json_out, data)
    if getattr(args, "json", False) is True:
        print(to_json(data))
        return True
    return False
