"""``python -m verify plot --out zone.png [--dtype D ...] [--depth N] [--eps E]``: the zone figure."""

from __future__ import annotations

import argparse

from rope_sym.bounds.closed_forms import DEFAULT_EPS
from rope_sym.pipelines import PIPELINES
from rope_sym.pipelines.table import check_dtype
from verify.commands import Command, UsageError, command
from verify.output_paths import output_file

IMAGE_SUFFIXES = (".png", ".svg", ".pdf")


def _configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", required=True, help="output image (PNG, SVG or PDF by suffix)")
    parser.add_argument("--dtype", action="append", help="activation dtype to shade (repeatable; default fp32 and "
                        "bf16)")
    parser.add_argument("--pipeline", default="hf", choices=[p for p in PIPELINES if p != "fp64"],
                        help="how phases are computed (default hf)")
    parser.add_argument("--depth", type=int, default=32, help="layers N for the depth bound (default 32)")
    parser.add_argument("--eps", type=float, default=DEFAULT_EPS, help=f"coherence threshold (default {DEFAULT_EPS})")


def _run(args: argparse.Namespace) -> int:
    from verify.zone_plot import render_zone_plot

    output_file(args.out, "--out", IMAGE_SUFFIXES)
    dtypes = tuple(args.dtype or ("fp32", "bf16"))
    for dtype in dtypes:
        check_dtype(dtype)  # unknown names: one-line error, exit 2
    if args.depth < 1:
        raise UsageError(f"depth must be a positive integer, got {args.depth}")
    path = render_zone_plot(args.out, dtypes=dtypes, depth=args.depth, eps=args.eps, pipeline=args.pipeline)
    print(f"wrote {path}")
    return 0


command("plot", "draw the zone figure: bounds, feasible region per dtype, registry models")(Command(_configure, _run))
