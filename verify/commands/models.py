"""``python -m verify models [--dtype D] [--pipeline P] [--depth N] [--eps E] [--json]``: the case-study table over
the registry, judged by the derived precision walls (the paper's verdict beside them)."""

from __future__ import annotations

import argparse
import sys
import warnings

from rope_sym.bounds import BOUNDS, case_study
from rope_sym.bounds.closed_forms import DEFAULT_EPS
from verify.commands import Command, command
from verify.commands.zone import add_precision_arguments, add_strict_argument, strict_status
from verify.report import TABLE_FORMATS, emit_json, format_number, render_table


def _configure(parser: argparse.ArgumentParser) -> None:
    add_precision_arguments(parser)
    add_strict_argument(parser)
    parser.add_argument("--depth", type=int, help="layers N for every model (default: each model's own)")
    parser.add_argument("--eps", type=float, default=DEFAULT_EPS, help=f"coherence threshold (default {DEFAULT_EPS})")
    parser.add_argument("--json", action="store_true", help="print the reports as JSON")
    parser.add_argument("--format", choices=TABLE_FORMATS, default="table", help="table (default), markdown, csv, json")


def case_study_rows(reports: list[dict]) -> tuple[list[str], list[list[object]]]:
    """The table: base, effective theta_min, context, depth, each bound's margin (decades), verdict."""
    headers = ["model", "rope", "base", "eff. base", "eff. theta_min", "context", "N",
               *[f"{b.label} margin" for b in BOUNDS if b.side == "lower"], "code erased", "verdict", "fails",
               "paper"]
    rows = []
    for r in reports:
        margins = [f"{r['bounds'][b.name]['margin_decades']:+.2f}" for b in BOUNDS if b.side == "lower"]
        code = next(lv for lv in r["erasure"]["levels"] if lv["level"] == "code")
        rows.append([r["model"], r["rope_type"], format_number(r["nominal_base"]), format_number(r["effective_base"]),
                     format_number(r["effective_theta_min"]), int(r["context"]), r["depth"], *margins,
                     f"{code['erased_pairs']}/{r['rotary_dim'] // 2}", r["verdict"], r["first_violated"] or "-",
                     r["verdict_paper"]])
    return headers, rows


def case_study_table(reports: list[dict], fmt: str = "table") -> str:
    """The table: base, effective theta_min, context, depth, each lower bound's margin (decades), verdicts."""
    headers, rows = case_study_rows(reports)
    return render_table(headers, rows, fmt)


def _run(args: argparse.Namespace) -> int:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        reports = case_study(dtype=args.dtype, eps=args.eps, depth=args.depth, pipeline=args.pipeline)
    if not emit_json(args, reports):
        if args.format != "table":  # markdown, csv or json: the table alone, for other tools
            print(case_study_table(reports, args.format))
        else:
            print(f"Case study: registry models at their own context, dtype {args.dtype}, pipeline "
                  f"{args.pipeline}, eps {args.eps}, depth {'each model' if args.depth is None else args.depth}; "
                  "margins in decades of base (positive = bound holds)")
            print(case_study_table(reports, args.format))
            inside = sum(r["verdict"] == "inside" for r in reports)
            graded = sum(r["verdict"] == "graded" for r in reports)
            paper = sum(r["verdict_paper"] == "inside" for r in reports)
            print(f"{inside} of {len(reports)} models inside the zone by the derived walls ({paper} by the "
                  "paper's wall)" + (f"; {graded} graded: inside the bounds, slow pairs lose single-token "
                                     "resolution" if graded else ""))
    for message in dict.fromkeys(str(w.message) for w in caught):  # stderr: stdout stays pure JSON or the table
        sys.stderr.write(f"warning: {message}\n")
    return strict_status(args, reports)


command("models", "case-study table: every registry model's zone verdict on its effective spectrum")(
    Command(_configure, _run))
