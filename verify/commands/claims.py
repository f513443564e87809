"""``python -m verify claims [ID ...] [--json] [--full]``: the claims ledger, each verdict computed by its checks."""

from __future__ import annotations

import argparse
import sys

from verify.checks import CheckOptions
from verify.claims import CLAIM_IDS, evaluate, get_claims
from verify.commands import Command, UsageError, command
from verify.report import TABLE_FORMATS, emit_json, render_table


def _configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("ids", nargs="*", metavar="ID", help=f"claims to judge (default: all {len(CLAIM_IDS)})")
    parser.add_argument("--full", action="store_true", help="run the checks' large grids (slower)")
    parser.add_argument("--json", action="store_true", help="print the ledger as JSON")
    parser.add_argument("--format", choices=TABLE_FORMATS, default="table", help="table (default: fits the terminal), "
                        "markdown, csv, json")


def _run(args: argparse.Namespace) -> int:
    try:
        claims = get_claims(args.ids)
    except KeyError as exc:
        raise UsageError(str(exc.args[0])) from None
    results = evaluate(claims, CheckOptions(full=args.full, progress=sys.stderr.isatty() and not args.json))
    if not emit_json(args, [r.as_dict() for r in results]):
        rows = [[r.claim.id, r.judgement.verdict, r.judgement.reason] for r in results]
        print(render_table(["claim", "verdict", "why (figures: --json)"], rows, args.format, elide=2))
        counts = {v: sum(r.judgement.verdict == v for r in results) for v in ("confirmed", "refined", "refuted",
                                                                             "open")}
        print("\n" + ", ".join(f"{n} {v}" for v, n in counts.items()))
    return 0


command("claims", "the claims ledger: every published claim with a verdict computed from its checks")(
    Command(_configure, _run))
