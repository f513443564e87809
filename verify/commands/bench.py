"""``python -m verify bench [NAME ...] [--quick] [--json FILE]``: run benchmarks and print their figures."""

from __future__ import annotations

import argparse

from verify.benches import BENCHES, BenchOptions
from verify.commands import Command, UsageError, command
from verify.output_paths import output_file
from verify.report import format_table, write_json


def _configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("names", nargs="*", metavar="NAME", help=f"benchmarks to run (default: all: "
                        f"{', '.join(BENCHES.names())})")
    parser.add_argument("--quick", action="store_true", help="small sizes (a smoke run; figures mean little)")
    parser.add_argument("--json", metavar="FILE", help="also write the figures as JSON to FILE")


def _run(args: argparse.Namespace) -> int:
    names = args.names or BENCHES.names()
    for name in names:
        if name not in BENCHES:
            raise UsageError(f"unknown benchmark {name!r} (known: {', '.join(BENCHES.names())})")
    if args.json:
        output_file(args.json, "--json")
    results = {}
    for name in names:
        result = BENCHES[name].item(BenchOptions(quick=args.quick))
        headers = list(result.rows[0]) if result.rows else []
        print(f"{result.title}\n{format_table(headers, [list(r.values()) for r in result.rows])}")
        for note in result.notes:
            print(f"  note: {note}")
        print()
        results[name] = {"title": result.title, "rows": result.rows, "notes": result.notes}
    if args.json:
        write_json(args.json, results)
    return 0


command("bench", "run benchmarks and print their figures")(Command(_configure, _run))
