"""``python -m verify``: run checks, or a subcommand.

    python -m verify list                 # the registered checks, one line each
    python -m verify all [--full]         # every check
    python -m verify NAME [NAME ...]      # some checks
    python -m verify SUBCOMMAND ...       # zone, latex, bench, ... (see --help)

Exit status: 0 when nothing failed, 1 when a check failed, 2 for a usage error.
"""

from __future__ import annotations

import sys
import time
import warnings
from collections.abc import Sequence
from typing import TextIO

from rope_sym.errors import RopeSymError
from verify.checks import CHECKS, CheckOptions, CheckResult, Status, run_check
from verify.commands import COMMANDS, OneLineParser, UsageError
from verify.launcher import INTERRUPTED
from verify.output_paths import output_file
from verify.progress import progress
from verify.report import format_table, write_json

PROG = "python -m verify"


def _usage() -> str:
    subcommands = "\n".join(f"  {e.name:<10} {e.description}" for e in COMMANDS)
    return (f"usage: {PROG} list | all [--full] [--json FILE] | CHECK [CHECK ...] | SUBCOMMAND ...\n\n"
            f"subcommands:\n  {'list':<10} list the registered checks\n  {'all':<10} run every check\n"
            f"{subcommands}\n\nRun '{PROG} SUBCOMMAND --help' for a subcommand's options.")


def _list_checks() -> int:
    print(format_table(["check", "what it establishes"], [[e.name, e.description] for e in CHECKS]))
    return 0


def _run_checks(argv: Sequence[str]) -> int:
    parser = OneLineParser(prog=PROG, description="Run verification checks.")
    parser.add_argument("checks", nargs="+", metavar="CHECK", help="'all' or check names")
    parser.add_argument("--full", action="store_true", help="run the large grids (slower)")
    parser.add_argument("--json", metavar="FILE", help="also write the results as JSON to FILE")
    args = parser.parse_args(argv)
    names = CHECKS.names() if args.checks == ["all"] else list(dict.fromkeys(args.checks))
    unknown = [n for n in names if n not in CHECKS]
    if unknown:
        raise UsageError(f"unknown check {unknown[0]!r} (see '{PROG} list')")
    if args.json:
        output_file(args.json, "--json")
    options = CheckOptions(full=args.full, progress=sys.stderr.isatty())
    start = time.perf_counter()
    results: list[CheckResult] = []
    for name in progress(names, label="checks", enabled=options.progress and len(names) > 1):
        results.append(run_check(name, options))
    total = time.perf_counter() - start
    rows = [[r.status.value, r.name, r.headline, f"{r.seconds:.2f}s"] for r in results]
    print(format_table(["status", "check", "key figure", "time"], rows))
    counts = {s: sum(r.status is s for r in results) for s in Status}
    print(f"\n{counts[Status.PASS]} passed, {counts[Status.FAIL]} failed, "
          f"{counts[Status.SKIPPED]} skipped in {total:.1f}s")
    for r in results:
        if r.status is Status.FAIL and "traceback" in r.figures:
            sys.stderr.write(f"\n{r.name} crashed:\n{r.figures['traceback']}")
    if args.json:
        write_json(args.json, {"results": [r.as_dict() for r in results], "seconds": round(total, 3),
                               "passed": counts[Status.PASS], "failed": counts[Status.FAIL],
                               "skipped": counts[Status.SKIPPED]})
    return 1 if counts[Status.FAIL] else 0


def _run_command(name: str, argv: Sequence[str]) -> int:
    entry = COMMANDS[name]
    parser = OneLineParser(prog=f"{PROG} {name}", description=entry.description)
    entry.item.configure(parser)
    return entry.item.run(parser.parse_args(argv))


def _one_line_warning(message: Warning | str, category: type[Warning], filename: str, lineno: int,
                      file: TextIO | None = None, line: str | None = None) -> None:
    """Warnings as one line on stderr, ``warning: ...``, never Python's ``file:line: Category`` form."""
    sys.stderr.write(f"warning: {message}\n")


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the exit status. User errors print one line on stderr and give 2."""
    warnings.showwarning = _one_line_warning
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        if not args or args[0] in ("-h", "--help", "help"):
            print(_usage())
            return 0 if args else 2
        if args[0] == "list":
            return _list_checks()
        if args[0] in COMMANDS:
            return _run_command(args[0], args[1:])
        return _run_checks(args)
    except (UsageError, RopeSymError) as exc:
        where = f"{PROG} {args[0]}" if args and args[0] in COMMANDS else PROG
        sys.stderr.write(f"{where}: error: {exc}\n")
        return 2
    except BrokenPipeError:  # output piped into `head`: not an error of ours
        sys.stderr.close()
        return 0
    except KeyboardInterrupt:
        sys.stderr.write("interrupted\n")
        return INTERRUPTED
    except SystemExit as exc:  # argparse: --help (0) or a one-line usage error (2)
        return int(exc.code or 0)


if __name__ == "__main__":
    raise SystemExit(main())
