"""``python -m verify model NAME|PATH [--context L] [--dtype D] [--pipeline P] [--depth N] [--eps E] [--json]``:
one model's zone, with the derived precision walls on its own effective spectrum."""

from __future__ import annotations

import argparse

from rope_sym.bounds import BOUND_NAMES, model_report, resolve_model
from rope_sym.bounds.closed_forms import DEFAULT_EPS
from rope_sym.bounds.walls import MEANING
from rope_sym.real.evidence import expected_reach
from verify.commands import Command, command
from verify.commands.zone import add_levels, add_precision_arguments, add_strict_argument, strict_status
from verify.reach_text import expected_lines
from verify.report import Document, Shown, add_format_argument, emit_json, format_number, show, terminal_width


def _configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("model", metavar="MODEL", help="a registry model (see `verify models`), a config.json, a model "
                        "directory, or a hub id (org/name) in the local Hugging Face cache")
    parser.add_argument("--revision", default="main", help="with a hub id: the branch, tag or commit in the local "
                        "Hugging Face cache (default main)")
    parser.add_argument("--context", type=float, help="context in tokens (default: max_position_embeddings)")
    add_precision_arguments(parser)
    add_strict_argument(parser)
    parser.add_argument("--depth", type=int, help="layers N (default: num_hidden_layers)")
    parser.add_argument("--eps", type=float, default=DEFAULT_EPS, help=f"coherence threshold (default {DEFAULT_EPS})")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    add_format_argument(parser)


def _run(args: argparse.Namespace) -> int:
    model = resolve_model(args.model, args.revision)
    report = model_report(model, context=args.context, dtype=args.dtype, depth=args.depth, eps=args.eps,
                          pipeline=args.pipeline)
    report["expected_reach"] = expected_reach(model)  # beside the verdict: what the model can be expected to reach
    if emit_json(args, report):
        return strict_status(args, [report])
    doc = Document()
    doc.line(f"{report['model']}: rope_type {report['rope_type']}, rotary dim {report['rotary_dim']}, "
             f"context {format_number(report['context'])} ({report['context_rule']}), depth {report['depth']}, "
             f"dtype {args.dtype}, pipeline {args.pipeline}, eps {args.eps}")
    doc.line(f"  base {format_number(report['nominal_base'])} -> effective base "
             f"{format_number(report['effective_base'])} (theta_min {format_number(report['nominal_theta_min'])} -> "
             f"{format_number(report['effective_theta_min'])}), attention factor "
             f"{format_number(report['attention_factor'])}")
    rows = []
    for name in BOUND_NAMES:
        bound = report["bounds"].get(name)
        if bound is not None:
            rows.append([name, bound["side"], bound["paper"], bound["exact"],
                         Shown(bound["margin_decades"], f"{bound['margin_decades']:+.2f}"),
                         Shown(bound["holds"], "yes" if bound["holds"] else "NO")])
    doc.table(["bound", "side", "paper", "exact", "margin (decades)", "holds"], rows)
    doc.line(f"(precision: the paper's wall, eps_mach of {args.dtype}; verdict by it: {report['verdict_paper']})\n")
    add_levels(doc, report, "derived walls on the effective spectrum (erasure laws, no scan):")
    first = report["first_violated"]
    grade = report["grade"]
    text = f"verdict: {report['verdict']}" + (f" (fails first: {first}: {report['meaning']})"
                                               if first in MEANING else f" (first bound violated: {first})"
                                               if first else f" ({grade['note']})" if grade else "")
    if report["judged_per_layer"]:  # the bound table above is at the full context; the verdict is the layers'
        text += ("; judged per layer type at the context each sees (table below), the bounds above are at the full "
                 "context")
    doc.line("\n" + text)
    doc.line("  (the verdict is the bounds': necessary conditions in the paper's model of RoPE, not a capability)")
    doc.line("\n".join(expected_lines(report["expected_reach"], terminal_width())))
    for kind, layer in report["layers"].items():
        doc.line(f"  layer type {kind}: {layer['rope_type']}, base {format_number(layer['base'])}, effective theta_min "
                 f"{format_number(layer['effective_theta_min'])}")
    if report["per_layer"]:
        doc.table(["layer type", "layers", "context seen", "rope", "effective base", "verdict", "fails"],
                  [[k, v["layers"] if v["layers"] is not None else "all", v["context_seen"], v["rope_type"],
                    v["effective_base"], v["verdict"], v["first_violated"] or "-"]
                   for k, v in report["per_layer"].items()], title="judged per layer type, at the context each sees:")
    show(args, doc)
    return strict_status(args, [report])


command("model", "zone report of one real model on its effective (scaled) spectrum")(Command(_configure, _run))
