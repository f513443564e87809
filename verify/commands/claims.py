"""``python -m verify claims [ID ...] [--json] [--full]``: the claims ledger, each ruling computed by its checks."""

from __future__ import annotations

import argparse
import sys

from verify.checks import CheckOptions
from verify.claims import CLAIM_IDS, evaluate, get_claims
from verify.commands import Command, UsageError, command
from verify.report import Document, add_format_argument, emit_json, show


def _configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("ids", nargs="*", metavar="ID", help=f"claims to judge (default: all {len(CLAIM_IDS)})")
    parser.add_argument("--full", action="store_true", help="run the checks' large grids (slower)")
    parser.add_argument("--json", action="store_true", help="print the ledger as JSON")
    add_format_argument(parser)


def _short_basis(basis: str) -> str:
    """The basis in a word or two (the full text is in the JSON)."""
    return {"exact computation": "exact", "real model": "real model"}.get(basis, basis.split(" (")[0])


def _run(args: argparse.Namespace) -> int:
    try:
        claims = get_claims(args.ids)
    except KeyError as exc:
        raise UsageError(str(exc.args[0])) from None
    results = evaluate(claims, CheckOptions(full=args.full, progress=sys.stderr.isatty() and args.format == "table"))
    if not emit_json(args, [r.as_dict() for r in results], key="claims"):
        doc = Document()
        rows = [[r.claim.id, r.ruling.ruling, _short_basis(r.ruling.basis), r.ruling.reason] for r in results]
        doc.table(["claim", "ruling", "basis", "why (figures: --json)"], rows, elide=3)
        counts = {v: sum(r.ruling.ruling == v for r in results) for v in ("confirmed", "refined", "refuted", "open")}
        doc.line("\n" + ", ".join(f"{n} {v}" for v, n in counts.items()))
        proxies = [r.claim.id for r in results if r.ruling.basis.startswith("proxy")]
        if proxies:
            doc.line(f"resting on proxies only (random vectors or closed-form statistics, no trained model): "
                     f"{', '.join(proxies)}")
        show(args, doc)
    return 0


command("claims", "the claims ledger: every published claim with a ruling computed from its checks")(
    Command(_configure, _run))
