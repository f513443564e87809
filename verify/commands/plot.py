"""``python -m verify plot --out zone.png [--kind zone|walls|erasure] [--dtype D ...] [--model MODEL ...]``: the
zone figure (with your own models), the derived walls against the paper's (at your models' own rotary dims,
with the models), or erasure against position (one panel per model, on its own effective spectrum)."""

from __future__ import annotations

import argparse

from rope_sym.bounds.closed_forms import DEFAULT_EPS
from rope_sym.pipelines import PIPELINES
from rope_sym.pipelines.table import check_dtype
from verify.commands import Command, UsageError, command
from verify.output_paths import output_file

IMAGE_SUFFIXES = (".png", ".svg", ".pdf")
MAX_ERASURE_PANELS = 8


def _configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", required=True, help="output image (PNG, SVG or PDF by suffix)")
    parser.add_argument("--dtype", action="append", help="activation dtype to shade (repeatable; default fp32 and "
                        "bf16)")
    parser.add_argument("--pipeline", default="hf", choices=[p for p in PIPELINES if p != "fp64"],
                        help="how phases are computed (default hf)")
    parser.add_argument("--depth", type=int, default=32, help="layers N for the depth bound (default 32)")
    parser.add_argument("--eps", type=float, default=DEFAULT_EPS, help=f"coherence threshold (default {DEFAULT_EPS})")
    parser.add_argument("--kind", choices=("zone", "walls", "erasure"), default="zone",
                        help="zone (default), walls (derived against the paper's), erasure (against position)")
    parser.add_argument("--model", action="append", metavar="MODEL",
                        help="a model (repeatable): registry name, config.json, directory, hub id. zone: added to "
                             "the registry's; walls: drawn at its effective base with the walls of its own rotary "
                             "dim; erasure: one panel per model, on its own effective spectrum and context")
    parser.add_argument("--base", type=float, default=5e5, help="erasure figure without --model: the base "
                        "(default 5e5)")
    parser.add_argument("--head-dim", type=int, default=128, help="erasure figure without --model: the head dim "
                        "(default 128)")


def _run(args: argparse.Namespace) -> int:
    from verify.zone_plot import erasure_figure, render, walls_figure, zone_figure

    output_file(args.out, "--out", IMAGE_SUFFIXES)
    dtypes = tuple(args.dtype or ("fp32", "bf16"))
    for dtype in dtypes:
        check_dtype(dtype)  # unknown names: one-line error, exit 2
    if args.depth < 1:
        raise UsageError(f"depth must be a positive integer, got {args.depth}")
    if args.kind == "erasure" and len(args.model or ()) > MAX_ERASURE_PANELS:
        raise UsageError(f"--kind erasure draws one panel per model: at most {MAX_ERASURE_PANELS} models")
    from rope_sym.bounds.models import resolve_model

    mine = [resolve_model(m) for m in args.model or ()]  # one-line errors for a bad model, before drawing
    if args.kind == "walls":
        fig = walls_figure(tuple(args.dtype or ("fp32", "bf16", "fp16")), pipeline=args.pipeline, models=mine)
    elif args.kind == "erasure":
        from rope_sym.spectrum.spec import RopeSpec

        RopeSpec(args.head_dim, args.base)  # one-line errors for a bad setting, before drawing
        fig = erasure_figure(args.base, args.head_dim, dtypes[0] if args.dtype else "bf16", args.pipeline,
                             models=mine)
    else:
        fig = zone_figure(dtypes, args.depth, args.eps, pipeline=args.pipeline, extra_models=mine)
    path = render(fig, args.out)
    print(f"wrote {path}")
    return 0


command("plot", "draw the zone figure: bounds, feasible region per dtype, registry models")(Command(_configure, _run))
