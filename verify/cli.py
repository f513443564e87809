"""``python -m verify``: run checks, or a subcommand.

    python -m verify list                 # the registered checks, one line each
    python -m verify all [--full]         # every check
    python -m verify NAME [NAME ...]      # some checks
    python -m verify SUBCOMMAND ...       # zone, latex, bench, ... (see --help)

Exit status: 0 when nothing failed, 1 when a check failed, 2 for a usage error.
"""

from __future__ import annotations

import contextlib
import sys
import time
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from rope_sym.errors import RopeSymError
from verify.checks import CHECKS, CheckOptions, CheckResult, Status, run_check
from verify.commands import COMMANDS, Command, OneLineParser, UsageError
from verify.exit_codes import FAILED, INTERRUPTED, OK, USAGE
from verify.output_paths import output_file
from verify.progress import progress
from verify.registry import Entry
from verify.report import (
    Document,
    add_format_argument,
    collected_warnings,
    emit_json,
    fit_text,
    fitted_stdout,
    show,
    warning_messages,
)


def _prog() -> str:
    """How the user called us: ``rope-verify`` (the console script) or ``python -m verify``."""
    name = Path(sys.argv[0]).name if sys.argv and sys.argv[0] else ""
    return name if name and name not in ("__main__.py", "-c", "-m") and not name.endswith(".py") else (
        "python -m verify")


PROG = _prog()


def version() -> str:
    """The installed version of rope-sym."""
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as installed

    try:
        return installed("rope-sym")
    except PackageNotFoundError:  # running from a source tree that is not installed
        return "0+unknown"


def _usage() -> str:
    subcommands = "\n".join(f"  {e.name:<10} {e.description}" for e in COMMANDS)
    return (f"usage: {PROG} [--version] list [--format F] | all [--full] [--format F] [--json-out FILE] | "
            f"CHECK [CHECK ...] | SUBCOMMAND ...\n\n"
            f"subcommands:\n  {'list':<10} list the registered checks\n  {'all':<10} run every check\n"
            f"{subcommands}\n\nRun '{PROG} SUBCOMMAND --help' for a subcommand's options.")


def _list_checks(argv: Sequence[str]) -> int:
    parser = OneLineParser(prog=f"{PROG} list", description="List the registered checks.")
    parser.add_argument("--json", action="store_true", help="print the checks as JSON (as --format json)")
    parser.add_argument("--json-out", metavar="FILE", help="also write the JSON to FILE")
    add_format_argument(parser)
    with fitted_stdout(None):
        args = parser.parse_args(argv)
    if args.json_out:
        output_file(args.json_out, "--json-out")
    entries = [{"check": e.name, "what it establishes": e.description} for e in CHECKS]
    if not emit_json(args, entries, key="checks"):
        doc = Document()
        doc.table(["check", "what it establishes"], [list(e.values()) for e in entries])
        show(args, doc)
    return 0


def _run_checks(argv: Sequence[str]) -> int:
    parser = OneLineParser(prog=PROG, description="Run verification checks.")
    parser.add_argument("checks", nargs="+", metavar="CHECK", help="'all' or check names")
    parser.add_argument("--full", action="store_true", help="run the large grids (slower)")
    parser.add_argument("--json", nargs="?", const=True, default=False, metavar="FILE",
                        help="print the results as JSON (pure JSON on stdout); '--json FILE' is deprecated: use "
                             "--json-out FILE")
    parser.add_argument("--json-out", metavar="FILE", help="also write the results as JSON to FILE")
    add_format_argument(parser)
    with fitted_stdout(None):
        args = parser.parse_args(argv)
    if isinstance(args.json, str):  # the old form, kept working
        warnings.warn("'--json FILE' is deprecated: use '--json-out FILE' (and '--json' for JSON on stdout)",
                      DeprecationWarning, stacklevel=1)
        args.json_out, args.json = args.json, False
    names = CHECKS.names() if args.checks == ["all"] else list(dict.fromkeys(args.checks))
    unknown = [n for n in names if n not in CHECKS]
    if unknown:
        raise UsageError(f"unknown check {unknown[0]!r} (see '{PROG} list')")
    if args.json_out:
        output_file(args.json_out, "--json-out")
    options = CheckOptions(full=args.full, progress=sys.stderr.isatty() and args.format == "table")
    start = time.perf_counter()
    results: list[CheckResult] = []
    for name in progress(names, label="checks", enabled=options.progress and len(names) > 1):
        results.append(run_check(name, options))
    total = time.perf_counter() - start
    rows = [[r.status.value, r.name, r.headline, f"{r.seconds:.2f}s"] for r in results]
    counts = {s: sum(r.status is s for r in results) for s in Status}
    summary = {"results": [r.as_dict() for r in results], "seconds": round(total, 3),
               "passed": counts[Status.PASS], "failed": counts[Status.FAIL], "skipped": counts[Status.SKIPPED]}
    if not emit_json(args, summary):
        doc = Document()
        doc.table(["status", "check", "key figure", "time"], rows, elide=2)
        doc.line(f"\n{counts[Status.PASS]} passed, {counts[Status.FAIL]} failed, "
                 f"{counts[Status.SKIPPED]} skipped in {total:.1f}s")
        show(args, doc)
    for r in results:
        if r.status is Status.FAIL and "traceback" in r.figures:
            sys.stderr.write(f"\n{r.name} crashed:\n{r.figures['traceback']}")
    return FAILED if counts[Status.FAIL] else OK


def _run_command(entry: Entry[Command], argv: Sequence[str]) -> int:
    parser = OneLineParser(prog=f"{PROG} {entry.name}", description=entry.description)
    entry.item.configure(parser)
    if any(action.dest == "json" for action in parser._actions) and not any(
            action.dest == "json_out" for action in parser._actions):
        parser.add_argument("--json-out", metavar="FILE", help="also write the JSON to FILE")
    with fitted_stdout(None):  # --help: argparse leaves a long option whole, past the width
        args = parser.parse_args(argv)
    if getattr(args, "json", None) is True and hasattr(args, "format"):  # --json is --format json
        args.format = "json"
    if getattr(args, "format", None) == "json" and hasattr(args, "json"):
        args.json = True  # the commands (and their progress bars) test args.json
    if getattr(args, "json_out", None):
        output_file(args.json_out, "--json-out")  # before the work runs
    with fitted_stdout(args):  # prose printed directly wraps to the width too
        return entry.item.run(args)


def _one_line_warning(message: Warning | str, category: type[Warning], filename: str, lineno: int,
                      file: TextIO | None = None, line: str | None = None) -> None:
    """Warnings as one line on stderr, ``warning: ...``, never Python's ``file:line: Category`` form."""
    sys.stderr.write(f"warning: {message}\n")


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the exit status. User errors print one line on stderr and give 2."""
    warnings.showwarning = _one_line_warning
    args = list(sys.argv[1:] if argv is None else argv)
    with collected_warnings() as caught:  # into the JSON (emit_json), and one line each on stderr
        try:
            return _dispatch(args)
        finally:
            with contextlib.suppress(OSError, ValueError):  # stderr closed after a broken pipe: nothing to say
                for message in warning_messages(caught):
                    sys.stderr.write(f"warning: {message}\n")


def _dispatch(args: list[str]) -> int:
    """Run the list, a command or checks; user errors print one line on stderr and give 2."""
    try:
        if not args or args[0] in ("-h", "--help", "help"):
            print(fit_text(_usage()))
            return OK if args else USAGE
        if args[0] in ("--version", "-V"):
            print(f"{PROG} (rope-sym) {version()}")
            return 0
        if args[0] == "list":
            return _list_checks(args[1:])
        command = COMMANDS.get(args[0])
        if command is not None:
            return _run_command(command, args[1:])
        return _run_checks(args)
    except (UsageError, RopeSymError) as exc:
        where = f"{PROG} {args[0]}" if args and args[0] in COMMANDS else PROG
        sys.stderr.write(f"{where}: error: {exc}\n")
        return USAGE
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
