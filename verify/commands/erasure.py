"""``python -m verify erasure --base B --head-dim D --context L [--dtype bf16] [--pipeline hf] [--json]``.

Scans positions ``0 .. L-1`` of an emulated RoPE pipeline and prints the exact erasure figures of
``rope_sym.erasure``: distinct position codes, the first collision, per-pair adjacent erasure, erased pairs and
the measured precision wall against the predicted ``eps_mach``.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable

from rope_sym.erasure import ErasureReport, erasure_scan
from rope_sym.pipelines import DTYPES, PIPELINES
from rope_sym.spec import RopeSpec, check_head_dim
from verify.commands import Command, command
from verify.progress import progress
from verify.report import format_number, format_table, to_json


def _configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--base", type=float, required=True, help="RoPE base (> 1)")
    parser.add_argument("--head-dim", type=float, required=True, help="head dimension (even)")
    parser.add_argument("--context", type=float, required=True, help="positions 0 .. L-1 are scanned (2 .. 2^26)")
    parser.add_argument("--dtype", default="bf16", help=f"activation dtype ({', '.join(DTYPES)}; default bf16)")
    parser.add_argument("--pipeline", default="hf", help=f"pipeline ({', '.join(PIPELINES)}; default hf)")
    parser.add_argument("--rotary-fraction", type=float, default=1.0, help="fraction of the head that rotates")
    parser.add_argument("--no-attention", action="store_true", help="skip the rotated-query count (faster)")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")


def _fmt(value: object) -> str:
    return "none" if value is None else format_number(value)


def _erasure_runs(erasure: list[float]) -> str:
    """Per-pair erasure, compressed: pairs with equal rounded values are shown as ranges."""
    parts: list[str] = []
    start = 0
    for i in range(1, len(erasure) + 1):
        if i == len(erasure) or round(erasure[i], 3) != round(erasure[start], 3):
            label = f"{start}" if i - 1 == start else f"{start}-{i - 1}"
            parts.append(f"{label}: {erasure[start]:.3f}")
            start = i
    return ", ".join(parts)


def render(report: ErasureReport) -> str:
    """The text report."""
    r = report
    rows = [
        ["distinct positions", f"{_fmt(r.distinct_positions)} of {_fmt(r.context)}"],
        ["first collision", _fmt(r.first_collision)],
        ["distinct stored positions", _fmt(r.distinct_stored_positions)],
        ["non-finite positions", f"{_fmt(r.nonfinite_positions)} (first: {_fmt(r.first_nonfinite)})"],
        ["erased pairs (erasure > 0.5)", f"{r.erased_pairs} of {len(r.adjacent_erasure)}"
                                         + ("" if r.erased_are_slowest else " (not only the slowest)")],
        ["measured wall theta", _fmt(r.wall_theta)],
        [f"predicted wall (eps_mach of {r.dtype})", _fmt(r.predicted_wall_theta)],
        ["ratio measured / predicted", _fmt(r.wall_ratio)],
        [f"ratio to eps of the phase format {r.phase_format}", _fmt(r.phase_wall_ratio)],
    ]
    if r.distinct_rotated is not None:
        rows += [["distinct rotated queries", _fmt(r.distinct_rotated)],
                 ["first rotated collision", _fmt(r.first_rotated_collision)]]
    rows += [["cos/sin decided by the oracle", _fmt(r.oracle_decided)]]
    head = (f"erasure scan: base {format_number(r.base)}, head dim {r.head_dim} (rotary {r.rotary_dim}), "
            f"context {format_number(r.context)}, pipeline {r.pipeline}, dtype {r.dtype}")
    lines = [head, "", format_table(["figure", "value"], rows), "",
             f"adjacent erasure per pair: {_erasure_runs(r.adjacent_erasure)}"]
    for position, steps in r.resolution.items():
        shown = ", ".join(f">{r.resolution_limit}" if k is None else str(k) for k in steps)
        lines.append(f"resolution at position {format_number(position)} (steps per pair): {shown}")
    lines += [f"note: {note}" for note in r.notes]
    return "\n".join(lines)


def _run(args: argparse.Namespace) -> int:
    spec = RopeSpec(check_head_dim(args.head_dim), args.base, args.rotary_fraction)
    show = sys.stderr.isatty() and not args.json

    def iterate(starts: range) -> Iterable[int]:
        return progress(starts, total=len(starts), label="positions", enabled=show)

    report = erasure_scan(spec, args.context, args.dtype, args.pipeline, attention=not args.no_attention,
                          iterate=iterate)
    print(to_json(report.to_dict()) if args.json else render(report))
    return 0


command("erasure", "exact positional erasure of an emulated RoPE pipeline")(Command(_configure, _run))
