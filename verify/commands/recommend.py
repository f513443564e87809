"""``python -m verify recommend --context L --head-dim D [--depth N] [--dtype D] [--pipeline P] [--json]``, or
``--model MODEL [--context L]``: the base interval a setting allows, or how far a model's base reaches and the
retrofit factor a target context needs."""

from __future__ import annotations

import argparse
import math
from typing import Any

from rope_sym.bounds.closed_forms import DEFAULT_EPS
from rope_sym.bounds.recommend import model_reach, recommend
from rope_sym.models.serving import RETROFIT_KINDS
from verify.commands import Command, UsageError, command
from verify.commands.zone import add_precision_arguments
from verify.reach_text import evidence_lines, expected_lines
from verify.report import Document, add_format_argument, emit_json, format_number, output_format, show, terminal_width
from verify.serving_text import render_serving, wrap


def _configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--context", type=float, help="context L in tokens (with --model: a target context)")
    parser.add_argument("--head-dim", type=int, help="rotary dim d (even, >= 4)")
    parser.add_argument("--depth", type=int, default=None, help="layers N (default 1; with --model: its own)")
    parser.add_argument("--eps", type=float, default=DEFAULT_EPS, help=f"coherence threshold (default {DEFAULT_EPS})")
    parser.add_argument("--model", metavar="MODEL", help="a registry model, config.json, model directory or hub id")
    parser.add_argument("--retrofit", choices=RETROFIT_KINDS, default="yarn",
                        help="with --model and --context: the retrofit whose config blocks are printed (default yarn)")
    parser.add_argument("--revision", default="main", help="with a hub id: the branch, tag or commit in the local "
                        "Hugging Face cache (default main)")
    add_precision_arguments(parser)
    parser.add_argument("--json", action="store_true", help="print the answer as JSON")
    add_format_argument(parser)


def _base(x: float | None) -> str:
    return "none" if x is None else ("no upper limit" if x == float("inf") else f"{x:.4g}")


def _serving(model: Any, args: argparse.Namespace, reach: dict[str, Any]) -> dict[str, Any]:
    """The pasteable blocks of the ``--retrofit`` kind for the target (``rope_sym.models.serving``), at the factor
    ``model_reach`` chose raised to the headroom rule; None blocks and the reason when none works or none is
    needed (the target within the model's own context and already inside)."""
    from rope_sym.models.registry import HUB_IDS, find_entry
    from rope_sym.models.serving import HEADROOM_DECADES, InvalidRetrofit, headroom_factor, serving_blocks

    target = reach["target"]
    if target["already_inside"] and model.context is not None and target["context"] <= model.context:
        return {"blocks": None, "headroom": None, "error": None}
    try:
        model_id = HUB_IDS.get(find_entry(args.model).name, ("MODEL",))[0]
    except ValueError:
        model_id = args.model if "/" in args.model and not args.model.endswith(".json") else "MODEL"
    try:
        s = headroom_factor(model, args.retrofit, target["factor"], target["context"], depth=args.depth,
                            eps=args.eps, dtype=args.dtype, pipeline=args.pipeline)
        blocks = serving_blocks(model, args.retrofit, s, target["context"], depth=args.depth, eps=args.eps,
                                dtype=args.dtype, pipeline=args.pipeline, model_id=model_id)
    except InvalidRetrofit as exc:
        return {"blocks": None, "headroom": None, "error": str(exc)}
    rule = (f"suggested: the smallest factor (a multiple of 0.25, coarser past 8) covering the target with "
            f">= {HEADROOM_DECADES} decades over every lower bound")
    return {"blocks": blocks, "headroom": {"minimal_s": target["factor"], "suggested_s": s,
                                           "margin_required": HEADROOM_DECADES, "rule": rule}, "error": None}


def _run(args: argparse.Namespace) -> int:
    if output_format(args) == "csv":  # the answer is prose and pasteable blocks, no table: refused before the work
        raise UsageError("--format csv: recommend prints no table; use --format json")
    doc = Document()  # prose (wrapped to the width in the table format, whole in markdown)
    if args.model:
        from rope_sym.bounds.models import resolve_model
        from rope_sym.models.serving import UnwrittenRetrofit
        from rope_sym.real.evidence import expected_reach, interpolation_factor_for, retrofit_evidence

        model = resolve_model(args.model, args.revision)
        reach = model_reach(model, args.context, args.depth, args.eps, args.dtype, args.pipeline)
        expected = expected_reach(model)
        reach["expected"] = expected
        if "target" in reach:
            t = reach["target"]
            length = expected["calibrated_length"]
            try:
                evidence_s = interpolation_factor_for(model, args.retrofit, t["context"],
                                                      None if length is None else (length[0], length[1]))
            except UnwrittenRetrofit as exc:  # no retrofit of this model's rope type is written: say why, once
                evidence_s = math.inf
                t["retrofit_error"] = str(exc)
            t["bounds_factor"] = t["factor"]
            t["expected_factor"] = None if math.isinf(evidence_s) else evidence_s
            if not math.isinf(evidence_s):  # both: the bounds' necessary factor and the reach's
                t["factor"] = max(t["factor"], evidence_s)
            t["already_inside"] = t["factor"] == 1.0
            t["evidence"] = retrofit_evidence(model, args.retrofit)
            reach["serving"] = _serving(model, args, reach)
            blocks = reach["serving"].get("blocks")
            if blocks is not None:
                from rope_sym.models.serving import pretraining_length, retrofit
                from rope_sym.real.evidence import contradicting_evidence, phase_range_reach

                suggested = retrofit(model, args.retrofit, blocks["s"], t["context"]).rope
                predicted = (None if length is None else
                             phase_range_reach(model.rope, suggested, (length[0], length[1]),
                                               pretraining_length(model)))
                t["predicted_reach"] = None if predicted is None else list(predicted)
                t["contradicted_by"] = [e["label"] for e in contradicting_evidence(t["evidence"], suggested,
                                                                                   t["context"])]
        if emit_json(args, reach):
            return 0
        width = terminal_width()
        lines = wrap(f"{reach['model']}: effective base {format_number(reach['effective_base'])} at its context "
                     f"{format_number(reach['context'])} ({reach['context_rule']}), depth {reach['depth']}, "
                     f"{args.dtype} {args.pipeline}", width, "")
        lines += wrap(f"the bounds allow contexts up to {format_number(reach['bounds_allow_up_to'])} tokens "
                      f"(bound by {reach['binding']}; limits: " + ", ".join(
                          f"{k} {format_number(v)}" for k, v in reach["limits"].items())
                      + "): a necessary condition in the paper's model of RoPE, not a capability", width)
        lines += expected_lines(expected, width)
        if "target" in reach:
            t = reach["target"]
            if t["already_inside"]:
                lines += wrap(f"a context of {format_number(t['context'])} needs no scaling (s = 1)"
                              + ("; serving it still needs the longer length written:" if reach["serving"]["blocks"]
                                 else ""), width)
            elif t.get("retrofit_error"):
                lines += wrap(f"a context of {format_number(t['context'])} needs the slowest frequency divided by "
                              f"{t['bounds_factor']:.4g} to pass the bounds, and no retrofit is written for it: "
                              f"{t['retrofit_error']}", width)
            else:
                reach_part = (f"{t['expected_factor']:.4g} for the expected reach ({expected['basis']}) to cover it"
                              if t["expected_factor"] is not None else
                              f"no {args.retrofit} factor makes the expected reach ({expected['basis']}) cover it: "
                              "the critical pair is not fully interpolated by this retrofit (try --retrofit ntk)")
                lines += wrap(f"a context of {format_number(t['context'])} needs the {args.retrofit} retrofit with "
                              f"factor s = {t['factor']:.4g}: {t['bounds_factor']:.4g} to pass the bounds, "
                              + reach_part, width)
            predicted = t.get("predicted_reach")
            if predicted is not None:
                lines += wrap(f"with the suggested factor the refined law predicts a reach of "
                              f"({format_number(round(predicted[0]))}, {format_number(round(predicted[1]))}] "
                              f"tokens: headroom x{predicted[0] / t['context']:.2f} over the target at its low end",
                              width)
            lines += evidence_lines(t["evidence"], args.retrofit, width)
            if t.get("contradicted_by"):
                lines += wrap(f"the measurement contradicts this suggestion: {', '.join(t['contradicted_by'])} "
                              f"stretch the critical pair at least as far and fail by {format_number(t['context'])} "
                              "tokens or before; the law overstates this reach, so treat the target as out of reach "
                              "without fine-tuning", width)
            serving = reach["serving"]
            if serving.get("blocks"):  # already fitted to the width, each line pasteable
                blocks = render_serving(serving["blocks"], width, serving["headroom"]).split("\n")
                markdown = output_format(args) == "markdown"  # a fence keeps the JSON and commands verbatim
                lines += ["", "```text", *blocks, "```"] if markdown else blocks
            elif serving.get("error") and not t.get("retrofit_error"):
                lines += wrap(f"no {args.retrofit} retrofit to paste: {serving['error']}", width)
        doc.line("\n".join(lines))
        show(args, doc)
        return 0
    if args.context is None or args.head_dim is None:
        raise UsageError("recommend needs --context and --head-dim (or --model)")
    r = recommend(args.context, args.head_dim, args.depth or 1, args.eps, args.dtype, args.pipeline)
    if emit_json(args, r):
        return 0
    low, high = r["base_min"], r["base_max"]
    inp = r["input"]
    doc.line(f"context {format_number(inp['context'])}, head dim {inp['head_dim']}, depth {inp['depth']}, "
             f"eps {inp['eps']}, {inp['dtype']} {inp['pipeline']}")
    doc.line(f"  base_min: {_base(low['exact'])} (exact; paper form {_base(low['paper'])}), bound by {low['binding']}")
    doc.line(f"  base_max: {_base(high['derived'])} ({high['binding']}); the paper's wall: {_base(high['paper'])} "
             f"(exact form {_base(high['paper_exact'])})")
    men = r["men"]
    if men["base"] is not None:
        doc.line(f"  Men et al.'s bound (B(m) >= 0 on [0, L]): {_base(men['base'])}"
                 + ("; not a half-line: larger bases fail again" if men["not_a_half_line"] else ""))
    if r["feasible"] and high["derived"] == float("inf"):
        doc.line(f"  choose a base of at least {_base(low['exact'])}")
    elif r["feasible"]:
        doc.line(f"  choose a base in [{_base(low['exact'])}, {_base(high['derived'])})")
    else:
        doc.line("  no base meets every lower bound and keeps every pair resolved here")
    show(args, doc)
    return 0


command("recommend", "the base interval for a context, or how far a model's base reaches and the factor a target "
        "context needs")(Command(_configure, _run))
