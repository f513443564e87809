"""``python -m verify claims [ID ...] [--json] [--full]``: the claims ledger, each verdict computed by its checks."""

from __future__ import annotations

import argparse
import sys

from verify.checks import CheckOptions
from verify.claims import CLAIM_IDS, evaluate, get_claims
from verify.commands import Command, UsageError, command
from verify.report import format_table, to_json


def _configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("ids", nargs="*", metavar="ID", help=f"claims to judge (default: all {len(CLAIM_IDS)})")
    parser.add_argument("--full", action="store_true", help="run the checks' large grids (slower)")
    parser.add_argument("--json", action="store_true", help="print the ledger as JSON")


def _run(args: argparse.Namespace) -> int:
    try:
        claims = get_claims(args.ids)
    except KeyError as exc:
        raise UsageError(str(exc.args[0])) from None
    results = evaluate(claims, CheckOptions(full=args.full, progress=sys.stderr.isatty() and not args.json))
    if args.json:
        print(to_json([r.as_dict() for r in results]))
    else:
        rows = [[r.claim.id, r.judgement.verdict, r.judgement.reason] for r in results]
        print(format_table(["claim", "verdict", "why (figures: --json)"], rows))
        counts = {v: sum(r.judgement.verdict == v for r in results) for v in ("confirmed", "refined", "refuted",
                                                                             "open")}
        print("\n" + ", ".join(f"{n} {v}" for v, n in counts.items()))
    return 0


command("claims", "the claims ledger: every published claim with a verdict computed from its checks")(
    Command(_configure, _run))
