"""``python -m verify zone --base B --context L --head-dim D [--depth N] [--eps E] [--dtype D] [--pipeline P]
[--json]``: the Goldilocks-zone calculator (every bound paper and exact, the derived precision walls level by
level, the zone, L_max, a verdict)."""

from __future__ import annotations

import argparse
from typing import Any

from rope_sym.bounds.closed_forms import DEFAULT_EPS
from rope_sym.bounds.zone import summary_line, zone_report
from rope_sym.pipelines import PIPELINES
from verify.commands import Command, command
from verify.report import Document, Shown, add_format_argument, emit_json, format_number, show


def add_precision_arguments(parser: argparse.ArgumentParser) -> None:
    """``--dtype`` (the activation dtype) and ``--pipeline`` (how phases are computed), shared by the verdicts."""
    parser.add_argument("--dtype", default="fp32", help="activation dtype the cos/sin are stored in: fp32 "
                        "(default), bf16, fp16, fp64")
    parser.add_argument("--pipeline", default="hf", choices=[p for p in PIPELINES if p != "fp64"],
                        help="how phases are computed: hf (default: fp32 phases, cast to the dtype), native "
                             "(positions and phases in the dtype), invfreq-cast (inv_freq cast to the dtype)")


def add_strict_argument(parser: argparse.ArgumentParser) -> None:
    """``--strict``: exit status 1 when a verdict is outside (for scripts); ``--strict-graded``: also when a
    model's verdict is graded (slow pairs lose single-token resolution, positions distinct)."""
    parser.add_argument("--strict", "--fail-outside", action="store_true", dest="strict",
                        help="exit with status 1 when a verdict is outside the zone")
    parser.add_argument("--strict-graded", action="store_true", dest="strict_graded",
                        help="exit with status 1 when a verdict is outside or graded (slow pairs lose "
                             "single-token resolution)")


def strict_status(args: argparse.Namespace, reports: list[dict[str, Any]]) -> int:
    """0, or 1 under ``--strict`` when any report's verdict is outside (a bound fails or positions merge), under
    ``--strict-graded`` when any is outside or graded."""
    failing = {"outside", "graded"} if getattr(args, "strict_graded", False) else (
        {"outside"} if getattr(args, "strict", False) else set())
    return 1 if any(r["verdict"] in failing for r in reports) else 0


def _configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--base", type=float, required=True, help="RoPE base (rope_theta), > 1")
    parser.add_argument("--context", type=float, required=True, help="context length L in tokens, > 0")
    parser.add_argument("--head-dim", type=int, required=True, help="rotary dim d (even, >= 4)")
    parser.add_argument("--depth", type=int, default=1, help="number of layers N (default 1)")
    parser.add_argument("--eps", type=float, default=DEFAULT_EPS,
                        help=f"coherence threshold in (0, 1) (default {DEFAULT_EPS}: cos(L theta_min) >= 1/2)")
    add_precision_arguments(parser)
    add_strict_argument(parser)
    parser.add_argument("--json", action="store_true", help="print the report as one JSON object")
    add_format_argument(parser)


def _value(x: Any) -> str:
    return "n/a" if x is None else ("yes" if x is True else "NO" if x is False else format_number(x))


def add_levels(doc: Document, report: dict[str, Any], title: str) -> None:
    """The derived walls as a table of ``doc`` (the law's text wraps when the terminal is narrow)."""
    rows = [[lv["level"], _shown(lv["wall_theta"]), _shown(lv["erased_pairs"]), _shown(lv["holds"]),
             _shown(lv["positions_kept"]), _shown(lv["max_context"]), lv["law"]] for lv in report["erasure"]["levels"]]
    doc.table(["level", "wall theta", "erased pairs", "holds", "positions kept", "L_max", "law"], rows, title=title)


def _shown(x: Any) -> Shown:
    return Shown(x, _value(x))


def _run(args: argparse.Namespace) -> int:
    report = zone_report(args.base, args.context, args.head_dim, depth=args.depth, eps=args.eps, dtype=args.dtype,
                         pipeline=args.pipeline)
    if emit_json(args, report):
        return strict_status(args, [report])
    inp = report["input"]
    doc = Document()
    doc.line(f"base {inp['base']:.6g}, context {inp['context']:.6g}, head dim {inp['head_dim']}, depth {inp['depth']}, "
             f"eps {inp['eps']}, dtype {inp['dtype']}, pipeline {inp['pipeline']}")
    doc.line(f"theta_min: paper {report['theta_min']['paper']:.6g}, exact {report['theta_min']['exact']:.6g}")
    rows = [[name, v["side"], Shown(v["paper"], f"{v['paper']:.6g}"), Shown(v["exact"], f"{v['exact']:.6g}"),
             Shown(v["holds"], "yes" if v["holds"] else "NO")] for name, v in report["bounds"].items()]
    doc.table(["bound", "side", "paper", "exact", "holds (exact)"], rows)
    doc.line(f"(precision: the paper's wall theta_min > eps_mach of {inp['dtype']} = {inp['eps_mach']:.3g})")
    men = report["men"]
    if men["holds"] is not None:
        doc.line(f"Men et al. (B(m) = sum cos(m theta_i) >= 0 on [0, L]): {'holds' if men['holds'] else 'NO'} (min "
                 f"{men['min_B']:.3g}{'' if men['holds'] else ' at m = ' + format(men['first_negative_m'], ',')}); "
                 "its admissible bases are not a half-line")
    doc.line()
    add_levels(doc, report, "derived walls (erasure laws, no scan):")
    zone = report["zone"]
    upper = "inf" if zone["upper"] is None or zone["upper"] == float("inf") else f"{zone['upper']:.6g}"
    if zone["upper"] is None:
        upper = "none (positions merge)"
    doc.line(f"\nzone (exact, derived walls): [{zone['lower']:.6g}, {upper})  feasible: "
             f"{'yes' if zone['feasible'] else 'no'}  base inside: {'yes' if zone['inside'] else 'no'}")
    doc.line(f"paper's zone: [{zone['lower']:.6g}, {zone['upper_paper']:.6g})  inside: "
             f"{'yes' if zone['inside_paper'] else 'no'}; L_max: paper {report['max_context']['paper']:.6g}, "
             f"exact {report['max_context']['exact']:.6g} tokens")
    doc.line(summary_line(report))
    show(args, doc)
    return strict_status(args, [report])


command("zone", "the Goldilocks zone of a RoPE setting: bounds, derived walls, zone, L_max and a verdict")(
    Command(_configure, _run))
