"""``python -m verify bench [NAME ...] [--quick] [--json] [--json-out FILE]``: run benchmarks and print their
figures."""

from __future__ import annotations

import argparse
import sys
import warnings

from verify.benches import BENCHES, BenchOptions
from verify.commands import Command, UsageError, command
from verify.output_paths import output_file
from verify.progress import progress
from verify.report import Document, add_format_argument, emit_json, output_format, show


def _configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("names", nargs="*", metavar="NAME", help=f"benchmarks to run (default: all: "
                        f"{', '.join(BENCHES.names())})")
    parser.add_argument("--quick", action="store_true", help="small sizes (a smoke run; figures mean little)")
    parser.add_argument("--json", nargs="?", const=True, default=False, metavar="FILE",
                        help="print the figures as JSON (pure JSON on stdout); '--json FILE' is deprecated: use "
                             "--json-out FILE")
    parser.add_argument("--json-out", metavar="FILE", help="also write the figures as JSON to FILE")
    add_format_argument(parser)


def _run(args: argparse.Namespace) -> int:
    names = args.names or BENCHES.names()
    for name in names:
        if name not in BENCHES:
            raise UsageError(f"unknown benchmark {name!r} (known: {', '.join(BENCHES.names())})")
    if isinstance(args.json, str):  # the old form, kept working
        warnings.warn("'--json FILE' is deprecated: use '--json-out FILE' (and '--json' for JSON on stdout)",
                      DeprecationWarning, stacklevel=1)
        args.json_out, args.json = args.json, False
    if args.json_out:
        output_file(args.json_out, "--json-out")
    results = {}
    fmt = output_format(args)
    doc = Document()
    for name in progress(names, label="benchmarks", enabled=sys.stderr.isatty() and len(names) > 1):
        result = BENCHES[name].item(BenchOptions(quick=args.quick))
        headers = list(result.rows[0]) if result.rows else []
        part = Document() if fmt == "table" else doc  # a table streams, bench by bench
        rows = [list(r.values()) for r in result.rows]
        empty = [i for i, h in enumerate(headers) if all(row[i] is None for row in rows)] if rows else []
        if empty and fmt == "table":  # columns with no value here (GPU-only figures on a CPU machine)
            part.table([h for i, h in enumerate(headers) if i not in empty],
                       [[c for i, c in enumerate(row) if i not in empty] for row in rows], title=result.title)
            part.line(f"  (no value on this machine: {', '.join(headers[i] for i in empty)})")
        else:
            part.table(headers, [["-" if c is None and fmt == "table" else c for c in row] for row in rows],
                       title=result.title)
        for note in result.notes:
            part.line(f"  note: {note}")
        part.line()
        if fmt == "table":
            show(args, part)
            print()
        results[name] = {"title": result.title, "rows": result.rows, "notes": result.notes}
    if not emit_json(args, results) and fmt != "table":
        show(args, doc)
    return 0


command("bench", "run benchmarks and print their figures")(Command(_configure, _run))
