"""``python -m verify models [--dtype D] [--pipeline P] [--depth N] [--eps E] [--json]``: the case-study table over
the registry, judged by the derived precision walls (the paper's verdict beside them)."""

from __future__ import annotations

import argparse

from rope_sym.bounds import BOUNDS, case_study
from rope_sym.bounds.closed_forms import DEFAULT_EPS
from verify.commands import Command, command
from verify.commands.zone import add_precision_arguments, add_strict_argument, strict_status
from verify.report import Document, Shown, add_format_argument, emit_json, render_table, show


def _configure(parser: argparse.ArgumentParser) -> None:
    add_precision_arguments(parser)
    add_strict_argument(parser)
    parser.add_argument("--depth", type=int, help="layers N for every model (default: each model's own)")
    parser.add_argument("--eps", type=float, default=DEFAULT_EPS, help=f"coherence threshold (default {DEFAULT_EPS})")
    parser.add_argument("--json", action="store_true", help="print the reports as JSON")
    add_format_argument(parser)


def case_study_rows(reports: list[dict]) -> tuple[list[str], list[list[object]]]:
    """The table: base, effective theta_min, context, depth, each bound's margin (decades), verdict."""
    headers = ["model", "rope", "base", "eff. base", "eff. theta_min", "context", "N",
               *[f"{b.label} margin" for b in BOUNDS if b.side == "lower"], "code erased", "verdict", "fails",
               "paper"]
    rows = []
    for r in reports:
        margins = [Shown(m, f"{m:+.2f}") for m in (r["bounds"][b.name]["margin_decades"] for b in BOUNDS
                                                    if b.side == "lower")]
        code = next(lv for lv in r["erasure"]["levels"] if lv["level"] == "code")
        rows.append([r["model"], r["rope_type"], r["nominal_base"], r["effective_base"],
                     r["effective_theta_min"], int(r["context"]), r["depth"], *margins,
                     f"{code['erased_pairs']}/{r['rotary_dim'] // 2}", _verdict_cell(r), r["first_violated"] or "-",
                     r["verdict_paper"]])
    return headers, rows


PER_LAYER_MARK = "*"  # a verdict judged per layer type: the row's margins (full context) do not decide it


def _verdict_cell(report: dict) -> Shown:
    """The verdict, marked when judged per layer type (the table's margins are at the full context)."""
    mark = PER_LAYER_MARK if report["judged_per_layer"] else ""
    return Shown(report["verdict"], report["verdict"] + mark)


# the columns a narrow terminal loses first (the verdicts and what decides them stay)
DROP_ORDER = ("eff. theta_min", "rope", "base", "alias margin", "dc margin", "code erased", "N", "paper",
              "depth margin", "context", "eff. base", "fails")


def case_study_table(reports: list[dict], fmt: str = "table") -> str:
    """The table: base, effective theta_min, context, depth, each lower bound's margin (decades), verdicts."""
    headers, rows = case_study_rows(reports)
    return render_table(headers, rows, fmt)


def _drop_order(headers: list[str]) -> list[int]:
    return [headers.index(h) for h in DROP_ORDER if h in headers]


def _run(args: argparse.Namespace) -> int:
    reports = case_study(dtype=args.dtype, eps=args.eps, depth=args.depth, pipeline=args.pipeline)
    if not emit_json(args, reports, key="models"):
        doc = Document()
        doc.line(f"Case study: registry models at their own context, dtype {args.dtype}, pipeline {args.pipeline}, "
                 f"eps {args.eps}, depth {'each model' if args.depth is None else args.depth}; margins in decades "
                 "of base (positive = bound holds)")
        headers, rows = case_study_rows(reports)
        doc.table(headers, rows, drop_order=_drop_order(headers))
        inside = sum(r["verdict"] == "inside" for r in reports)
        graded = sum(r["verdict"] == "graded" for r in reports)
        paper = sum(r["verdict_paper"] == "inside" for r in reports)
        doc.line(f"{inside} of {len(reports)} models inside the zone by the derived walls ({paper} by the "
                 "paper's wall)" + (f"; {graded} graded: inside the bounds, slow pairs lose single-token "
                                    "resolution" if graded else ""))
        if any(r["judged_per_layer"] for r in reports):
            doc.line(f"{PER_LAYER_MARK} judged per layer type, each at the context it sees (sliding-window or "
                     "no-RoPE layers): the margins shown are at the full context, so a negative one need not decide "
                     "the verdict; `verify model NAME` shows each layer type")
        show(args, doc)
    return strict_status(args, reports)


command("models", "case-study table: every registry model's zone verdict on its effective spectrum")(
    Command(_configure, _run))
