"""Output conventions of every command: tables that fit the terminal, reports in four formats, strict JSON.

* Width: ``COLUMNS`` when set, else the terminal's width, else 100 (output piped or redirected). A table never
  exceeds it: a designated column is elided with "…", else long cells wrap, else the lowest-priority columns are
  dropped with a one-line note saying which; prose lines wrap at word boundaries (``fit_text``).
* ``--format table|markdown|csv|json`` on every command that prints a table (``add_format_argument``); ``--json``
  is the same as ``--format json``. A command builds a ``Document`` (prose lines and tables) and ``show`` prints it
  in the chosen format; ``csv`` prints the tables alone (several are separated by a blank line and headed
  ``# title``).
* JSON (``emit_json``): numbers stay numbers (ints as ints); NaN becomes ``null`` and infinities the strings
  ``"inf"`` / ``"-inf"`` (JSON has no infinity); every document is an object with a top-level ``"warnings"`` list,
  the warnings raised while the command ran (``collected_warnings``), so that stdout stays pure JSON.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import sys
import textwrap
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

TABLE_FORMATS: tuple[str, ...] = ("table", "markdown", "csv", "json")
DEFAULT_WIDTH = 100  # output that goes to no terminal (a pipe, a file, a test)
MIN_ELIDED = 12  # an elided column keeps at least this many characters
MAX_UNBROKEN = 16  # a wrapped column keeps words whole up to this long, or half the width if more


def format_number(value: Any) -> str:
    """Numbers as a reader wants them: integers with separators, floats to 4 significant digits."""
    if isinstance(value, Shown):
        return value.text
    if isinstance(value, bool) or value is None:
        return str(value)
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            return str(value)
        return f"{value:.4g}"
    return str(value)


@dataclass(frozen=True)
class Shown:
    """A table cell whose text differs from its value: ``Shown(0.72, "+0.72")`` reads ``+0.72`` in a table and
    markdown, and is the number 0.72 in CSV and JSON."""

    value: Any
    text: str


def _raw(cell: Any) -> Any:
    return cell.value if isinstance(cell, Shown) else cell


def terminal_width() -> int:
    """The width output must fit: ``COLUMNS`` when set (a positive integer), else the terminal's own width when
    stdout is a terminal, else ``DEFAULT_WIDTH`` (100)."""
    columns = os.environ.get("COLUMNS", "").strip()
    if columns.isdigit() and int(columns) > 0:
        return int(columns)
    try:
        if sys.stdout.isatty():
            return os.get_terminal_size(sys.stdout.fileno()).columns
    except (AttributeError, ValueError, OSError):  # a replaced stdout (capture, StringIO) has no terminal
        pass
    return DEFAULT_WIDTH


def wrap_line(line: str, width: int) -> list[str]:
    """One line wrapped to ``width`` at word boundaries; continuation lines keep the line's indent plus two
    spaces; words longer than the width are broken."""
    if len(line) <= width:
        return [line]
    indent = line[:len(line) - len(line.lstrip(" "))]
    if len(indent) + 2 >= width // 2:  # a deep indent would leave no room: wrap flush left
        indent = ""
    return textwrap.wrap(line, width, initial_indent="", subsequent_indent=indent + "  ", break_long_words=True,
                         break_on_hyphens=False, drop_whitespace=True) or [""]


def fit_text(text: str, width: int | None = None) -> str:
    """Every line of ``text`` wrapped to ``width`` (default ``terminal_width()``)."""
    width = terminal_width() if width is None else width
    return "\n".join(part for line in text.split("\n") for part in wrap_line(line.rstrip(), width))


def _elide(text: str, width: int) -> str:
    return text if len(text) <= width else text[:max(width - 1, 0)] + "…"


def _cell_lines(text: str, width: int, elided: bool) -> list[str]:
    if len(text) <= width:
        return [text]
    if elided:
        return [_elide(text, width)]
    return textwrap.wrap(text, width, break_long_words=True, break_on_hyphens=False) or [""]


def _natural(column: Sequence[str]) -> int:
    return max(len(c) for c in column)


def _least(column: Sequence[str], elided: bool, width: int) -> int:
    """The narrowest a column goes before columns are dropped: an elided one ``MIN_ELIDED``; a wrapped one its
    longest word (at most ``MAX_UNBROKEN`` or half the width), so that numbers and names stay whole."""
    natural = _natural(column)
    if elided:
        return min(natural, MIN_ELIDED)
    longest = max((len(word) for c in column for word in c.split()), default=1)
    return min(natural, max(4, min(longest, max(MAX_UNBROKEN, width // 2))))


def _fit(columns: list[list[str]], keep: list[int], width: int, elide: int | None) -> list[int] | None:
    """Widths for the kept columns within ``width`` (elide first, then narrow the widest), or None."""
    widths = [_natural(columns[i]) for i in keep]
    least = [_least(columns[i], i == elide, width) for i in keep]
    excess = sum(widths) + 2 * (len(keep) - 1) - width
    if excess > 0 and elide in keep:
        k = keep.index(elide)
        cut = min(excess, widths[k] - least[k])
        widths[k] -= cut
        excess -= cut
    while excess > 0:
        k = max(range(len(keep)), key=lambda j: (widths[j] - least[j] > 0, widths[j]))
        if widths[k] <= least[k]:
            return None
        widths[k] -= 1
        excess -= 1
    return widths


def format_table(headers: Sequence[str], rows: Sequence[Sequence[Any]], elide: int | None = None,
                 width: int | None = None, drop_order: Sequence[int] | None = None) -> str:
    """A left-aligned table with a rule under the header, never wider than ``width`` (default:
    ``terminal_width()``). When the natural table is too wide: column ``elide`` is cut with "…" (down to
    ``MIN_ELIDED``), then the widest columns wrap (down to their longest word); if that is not enough, columns are
    dropped in ``drop_order`` (default: from the right, never the first) and a note under the table names them."""
    width = max(1, terminal_width() if width is None else width)
    n = len(headers)
    columns = [[str(headers[i])] + [format_number(r[i]) for r in rows] for i in range(n)]
    keep = list(range(n))
    order = [i for i in (drop_order if drop_order is not None else range(n - 1, 0, -1)) if 0 <= i < n]
    dropped: list[int] = []
    widths = _fit(columns, keep, width, elide)
    while widths is None and len(keep) > 1:
        victim = next((i for i in order if i in keep and i not in dropped), keep[-1])
        keep.remove(victim)
        dropped.append(victim)
        widths = _fit(columns, keep, width, elide)
    if widths is None:  # one column left, wider than the width even when wrapped: break it at the width
        widths = [width]

    def block(cells: list[str], header: bool = False) -> list[str]:
        parts = [_cell_lines(cells[i], w, i == elide and not header) for i, w in zip(keep, widths)]
        height = max(len(p) for p in parts)
        return ["  ".join((p[k] if k < len(p) else "").ljust(w) for p, w in zip(parts, widths)).rstrip()
                for k in range(height)]

    lines = [*block([c[0] for c in columns], header=True), "  ".join("-" * w for w in widths)]
    for r in range(len(rows)):
        lines += block([c[r + 1] for c in columns])
    if dropped:
        names = ", ".join(str(headers[i]) for i in sorted(dropped))
        lines += wrap_line(f"(not shown, to fit {width} columns: {names}; --format csv or json has every column)",
                           width)
    return "\n".join(lines)


def _markdown(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    def cell(c: Any) -> str:
        return format_number(c).replace("|", "\\|").replace("\n", " ")

    lines = ["| " + " | ".join(cell(h) for h in headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    lines += ["| " + " | ".join(cell(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def _csv(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    import csv
    import io

    def raw(c: Any) -> Any:  # machine-readable numbers: no separators, every digit
        value = _raw(c)
        return repr(value) if isinstance(value, float) else ("" if value is None else value)

    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(headers)
    writer.writerows([[raw(c) for c in row] for row in rows])
    return buffer.getvalue().rstrip("\n")


def render_table(headers: Sequence[str], rows: Sequence[Sequence[Any]], fmt: str = "table",
                 elide: int | None = None, width: int | None = None) -> str:
    """A table as ``table`` (fits the width, eliding column ``elide``), ``markdown``, ``csv`` or ``json`` (a list
    of objects, numbers as numbers)."""
    if fmt == "markdown":
        return _markdown(headers, rows)
    if fmt == "csv":
        return _csv(headers, rows)
    if fmt == "json":
        return to_json([{str(h): _raw(c) for h, c in zip(headers, row)} for row in rows])
    return format_table(headers, rows, elide=elide, width=width)


@dataclass(frozen=True)
class Table:
    """A table of a ``Document``: ``elide`` and ``drop_order`` as in ``format_table``."""

    headers: Sequence[str]
    rows: Sequence[Sequence[Any]]
    title: str | None = None
    elide: int | None = None
    drop_order: Sequence[int] | None = None
    name: str | None = None  # the csv heading (default: the title)


class Document:
    """A command's text report: prose lines and tables, rendered in one of ``TABLE_FORMATS`` but json (which is
    the command's own data, ``emit_json``)."""

    def __init__(self) -> None:
        self.blocks: list[str | Table] = []

    def line(self, text: str = "") -> None:
        """Prose (may hold several lines); wrapped to the width in the table format."""
        self.blocks.append(text)

    def table(self, headers: Sequence[str], rows: Sequence[Sequence[Any]], title: str | None = None,
              elide: int | None = None, drop_order: Sequence[int] | None = None, name: str | None = None) -> None:
        """A table; ``title`` is printed above it; in csv, when the document has several tables, each is headed
        ``# name`` (default: the title)."""
        self.blocks.append(Table(list(headers), [list(r) for r in rows], title, elide, drop_order, name))

    def tables(self) -> list[Table]:
        return [b for b in self.blocks if isinstance(b, Table)]

    def render(self, fmt: str = "table", width: int | None = None) -> str:
        """The report as ``table`` (fits the width), ``markdown`` or ``csv`` (the tables alone)."""
        if fmt == "csv":
            tables = self.tables()
            if not tables:
                from verify.commands import UsageError

                raise UsageError("--format csv: this report has no table; use --format json")
            if len(tables) == 1:
                return _csv(tables[0].headers, tables[0].rows)
            return "\n\n".join(f"# {t.name or t.title or f'table {k}'}\n{_csv(t.headers, t.rows)}"
                               for k, t in enumerate(tables, 1))
        width = terminal_width() if width is None else width
        out: list[str] = []
        for b in self.blocks:
            if isinstance(b, str):
                out.append(fit_text(b, width) if fmt == "table" else b.lstrip("\n") if out and out[-1] == "" else b)
            elif fmt == "markdown":
                if out and out[-1] != "":
                    out.append("")
                out += ([b.title, ""] if b.title else []) + [_markdown(b.headers, b.rows), ""]
            else:
                out += ([fit_text(b.title, width)] if b.title else []) + [
                    format_table(b.headers, b.rows, b.elide, width, b.drop_order)]
        while out and out[-1] == "":
            out.pop()
        return "\n".join(out)


def add_format_argument(parser: Any) -> None:
    """``--format table|markdown|csv|json`` (``--json`` stays the same as ``--format json``)."""
    parser.add_argument("--format", choices=TABLE_FORMATS, default="table",
                        help="table (default: fits the terminal, COLUMNS or 100 columns), markdown, csv (the "
                             "tables alone), json (as --json)")


def output_format(args: Any) -> str:
    """The format chosen by ``--format`` / ``--json``."""
    return "json" if getattr(args, "json", False) is True else str(getattr(args, "format", "table") or "table")


class FittedWriter:
    """A text stream that wraps every complete line written through it to ``width`` (``fit_text``) before it
    reaches ``stream``: the net under prose a command prints directly, in the table format."""

    def __init__(self, stream: Any, width: int) -> None:
        self.stream = stream
        self.width = width
        self._pending = ""

    def write(self, text: str) -> int:
        self._pending += text
        if "\n" in self._pending:
            done, self._pending = self._pending.rsplit("\n", 1)
            self.stream.write(fit_text(done, self.width) + "\n")
        return len(text)

    def flush(self) -> None:
        self.stream.flush()

    def close_line(self) -> None:
        """Write what is left of an unfinished line."""
        if self._pending:
            self.stream.write(fit_text(self._pending, self.width))
            self._pending = ""
        self.stream.flush()

    def __getattr__(self, name: str) -> Any:  # isatty, fileno, encoding, ...: the stream's own
        return getattr(self.stream, name)


@contextlib.contextmanager
def fitted_stdout(args: Any) -> Iterator[None]:
    """Within: lines printed on stdout wrap to ``terminal_width()``, unless the format is a machine one (json,
    csv, markdown), whose lines must stay whole."""
    if output_format(args) in ("json", "csv", "markdown"):
        yield
        return
    original = sys.stdout
    writer = FittedWriter(original, terminal_width())
    sys.stdout = writer
    try:
        yield
    finally:
        sys.stdout = original
        with contextlib.suppress(OSError, ValueError):  # a closed pipe: nothing more to write
            writer.close_line()


def show(args: Any, document: Document) -> None:
    """Print ``document`` in the format ``--format`` chose (json is printed by ``emit_json``)."""
    print(document.render(output_format(args)))


# ---- warnings, collected for JSON ----

_COLLECTIONS: list[list[warnings.WarningMessage]] = []
_OURS = tuple(str(Path(__file__).resolve().parents[1] / name) for name in ("verify", "rope_sym", "derivations"))


@contextlib.contextmanager
def collected_warnings() -> Iterator[list[warnings.WarningMessage]]:
    """Record the warnings raised inside (every one, not only the first of a kind), for ``warning_messages``."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        _COLLECTIONS.append(caught)
        try:
            yield caught
        finally:
            _COLLECTIONS.pop()


def warning_messages(caught: Sequence[warnings.WarningMessage] | None = None) -> list[str]:
    """The distinct messages of the warnings collected so far (the innermost ``collected_warnings``), in order;
    deprecation warnings only when our own code raised them (not a library's internals)."""
    if caught is None:
        caught = _COLLECTIONS[-1] if _COLLECTIONS else []
    messages = [str(w.message) for w in caught
                if not issubclass(w.category, (DeprecationWarning, PendingDeprecationWarning))
                or str(Path(w.filename).resolve()).startswith(_OURS)]
    return list(dict.fromkeys(messages))


# ---- JSON ----

def _jsonable(value: Any) -> Any:
    if isinstance(value, Shown):
        return _jsonable(value.value)
    if isinstance(value, float) and not math.isfinite(value):
        return None if math.isnan(value) else ("inf" if value > 0 else "-inf")
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if hasattr(value, "item") and callable(value.item):  # numpy scalars: ints stay ints, floats floats
        return _jsonable(value.item())
    return value


def to_json(data: Any) -> str:
    """Strict JSON (NaN becomes null, infinities "inf" / "-inf"), keys in insertion order."""
    return json.dumps(_jsonable(data), indent=2, allow_nan=False)


def write_json(path: str | Path, data: Any) -> None:
    """Write ``data`` as strict JSON; a write failure is a one-line ``UsageError``."""
    from verify.output_paths import write_text

    write_text(path, to_json(data) + "\n")


def with_warnings(data: Any, key: str = "items") -> dict[str, Any]:
    """``data`` as a JSON object with the collected warnings in a top-level ``"warnings"`` list: a dict gains the
    key; a list becomes ``{key: data, "warnings": [...]}``."""
    messages = warning_messages()
    if isinstance(data, dict):
        return {**data, "warnings": messages}
    return {key: data, "warnings": messages}


def emit_json(args: Any, data: Any, key: str = "items") -> bool:
    """The JSON convention of every command: ``--json-out FILE`` writes ``data`` (with ``"warnings"``,
    ``with_warnings``) to FILE; ``--json`` or ``--format json`` prints it (pure JSON on stdout). True when it was
    printed (the caller then prints no text)."""
    printed = output_format(args) == "json"
    if getattr(args, "json_out", None) or printed:
        document = with_warnings(data, key)
        if getattr(args, "json_out", None):
            write_json(args.json_out, document)
        if printed:
            print(to_json(document))
    return printed
