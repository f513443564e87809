"""``python -m verify erasure --base B --head-dim D --context L [--dtype bf16] [--pipeline hf] [--backend B]``.

Scans positions ``0 .. L-1`` of a RoPE pipeline and prints the exact erasure figures of ``rope_sym.erasure``:
distinct position codes, the first collision, per-pair adjacent erasure, erased pairs and the measured precision
wall against the predicted ``eps_mach``. ``--backend emulated`` (default) computes the codes by exact emulation;
``--backend torch`` computes them with torch on ``--device`` (``rope_sym.torch_backend.erasure``) and adds ``backend``
and ``device`` to the JSON.
"""

from __future__ import annotations

import argparse
from typing import Any

import numpy as np
from numpy.typing import NDArray

from rope_sym.erasure import ErasureReport, erasure_scan
from rope_sym.spectrum.rotation import DEFAULT_LAYOUT, LAYOUTS
from rope_sym.spectrum.spec import RopeSpec
from verify.commands import Command, UsageError, command
from verify.report import Document, add_format_argument, emit_json, format_number, show
from verify.setting_args import (
    add_device_argument,
    add_setting_arguments,
    parse_window,
    progress_for,
    read_query,
    spec_from_args,
)

BACKENDS = ("emulated", "torch")


def _configure(parser: argparse.ArgumentParser) -> None:
    add_setting_arguments(parser, model_option=True)
    parser.add_argument("--model", metavar="MODEL", help="scan a model's own effective (scaled) spectrum at its head "
                        "dim and judged context (registry name, config.json, directory or cached hub id; emulated "
                        "backend); --context overrides the context")
    parser.add_argument("--backend", choices=BACKENDS, default="emulated",
                        help="emulated: exact emulation (default); torch: torch tensors on --device")
    add_device_argument(parser)
    parser.add_argument("--chunk", type=int, default=None, help="positions per block (default: 2^18 values "
                        "per block on a CPU, 2^23 on a GPU, i.e. 4096 and 131072 positions at 64 pairs)")
    parser.add_argument("--no-attention", action="store_true", help="skip the rotated-query count (faster)")
    parser.add_argument("--window", metavar="START:END", type=parse_window, default=None,
                        help="count the per-pair erasure over the steps between positions START .. END-1 only")
    parser.add_argument("--query", metavar="FILE", default=None,
                        help="the vector rotated for the attention level: a JSON list of head-dim numbers "
                             "(default: a fixed standard normal vector)")
    parser.add_argument("--layout", choices=LAYOUTS, default=DEFAULT_LAYOUT,
                        help=f"pair layout of --query (default {DEFAULT_LAYOUT}: pairs (i, i + d/2))")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument("--verbose", action="store_true", help="also print the per-pair lists")
    add_format_argument(parser)


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


def render(report: ErasureReport, verbose: bool = False, fmt: str = "table") -> str:
    """The text report; the per-pair lists only with ``verbose`` (they are always in ``--json``)."""
    return report_document(report, verbose).render(fmt)


def report_document(report: ErasureReport, verbose: bool = False, doc: Document | None = None) -> Document:
    """The text report as a ``Document`` (``render``)."""
    r = report
    rows = [
        ["distinct positions", f"{_fmt(r.distinct_positions)} of {_fmt(r.context)}"],
        ["first collision", _fmt(r.first_collision)],
        ["distinct stored positions", _fmt(r.distinct_stored_positions)],
        ["non-finite positions", f"{_fmt(r.nonfinite_positions)} (first: {_fmt(r.first_nonfinite)})"],
        ["erased pairs (erasure > 0.5)", f"{r.erased_pairs} of {len(r.adjacent_erasure)}"
                                         + ("" if r.erased_are_slowest else " (not only the slowest)")],
        ["measured wall theta", _fmt(r.wall_theta)],
        [f"paper's wall (eps_mach of {r.dtype})", _fmt(r.predicted_wall_theta)],
        ["ratio measured / paper's", _fmt(r.wall_ratio)],
        [f"cast law's wall (c 2^-p, {r.dtype})", _fmt(r.law_wall_theta)],
        ["ratio measured / law's", _fmt(r.law_wall_ratio)],
        [f"ratio to eps of the phase format {r.phase_format}", _fmt(r.phase_wall_ratio)],
    ]
    if r.window != [0, r.context]:
        rows.insert(4, ["erasure window (positions)", f"{_fmt(r.window[0])} .. {_fmt(r.window[1] - 1)}"])
    if r.distinct_rotated is not None:
        rows += [["distinct rotated queries", _fmt(r.distinct_rotated)],
                 ["first rotated collision", _fmt(r.first_rotated_collision)],
                 ["rotated erased pairs (erasure > 0.5)", f"{r.rotated_erased_pairs} of {len(r.adjacent_erasure)}"]]
    backend = r.backend
    if backend == "emulated":
        rows += [["cos/sin decided by the oracle", _fmt(r.oracle_decided)]]
    else:
        rows += [["device", r.device],
                 ["scan time (s)", f"{r.scan_seconds:.2f}"]]
    head = (f"erasure scan ({backend}): base {format_number(r.base)}, head dim {r.head_dim} (rotary {r.rotary_dim}), "
            f"context {format_number(r.context)}, pipeline {r.pipeline}, dtype {r.dtype}")
    doc = Document() if doc is None else doc
    doc.line(head)
    doc.line()
    doc.table(["figure", "value"], rows)
    doc.line()
    lines: list[str] = []
    if verbose:
        lines.append(f"adjacent erasure per pair: {_erasure_runs(r.adjacent_erasure)}")
        if r.rotated_adjacent_erasure is not None:
            lines.append(f"rotated adjacent erasure per pair: {_erasure_runs(r.rotated_adjacent_erasure)}")
        for position, steps in r.resolution.items():
            shown = ", ".join(f">{r.resolution_limit}" if k is None else str(k) for k in steps)
            lines.append(f"resolution at position {format_number(position)} (steps per pair): {shown}")
    else:
        lines.append(f"per-pair erasure from {min(r.adjacent_erasure):.3f} to {max(r.adjacent_erasure):.3f} "
                     "(every pair, and the resolution at the probes: --verbose or --json)")
    lines += [f"note: {note}" for note in r.notes]
    for line in lines:
        doc.line(line)
    return doc


def _model_setting(args: argparse.Namespace) -> tuple[RopeSpec, float, NDArray[np.float64] | None]:
    """The spec, context and frequencies: from ``--model``, or from ``--base/--head-dim/--context``."""
    if args.model is None:
        if args.base is None or args.head_dim is None or args.context is None:
            raise UsageError("erasure needs --base, --head-dim and --context (or --model)")
        return spec_from_args(args), args.context, None
    from rope_sym.bounds.models import judged_context, resolve_model
    from rope_sym.scaling import rotating_frequencies

    model = resolve_model(args.model)
    context, _ = judged_context(model, args.context)
    rope = model.rope
    # the rotating pairs: a proportional rope's NoPE pairs (frequency 0) carry no position to erase; its fraction
    # is taken half a dim up, so that int(head_dim * fraction) gives back the rotary dim, not one below it
    fraction = (min(1.0, (rope.rotary_dim + 0.5) / rope.head_dim) if rope.rope_type == "proportional"
                else rope.partial_rotary_factor)
    spec = RopeSpec(rope.head_dim, rope.base, fraction)
    return spec, context, rotating_frequencies(rope, context)


def _run(args: argparse.Namespace) -> int:
    spec, context, frequencies = _model_setting(args)
    query = None if args.query is None else read_query(args.query, spec, args.layout)
    iterate = progress_for(args)
    # one engine; the torch backend is built here (the engine never imports torch code), and the library
    # refuses --device/--autocast for the emulated backend (they would not apply)
    options: dict[str, Any] = {"device": args.device, "autocast": args.autocast, "attention": not args.no_attention,
                               "chunk": args.chunk, "iterate": iterate, "query": query, "window": args.window,
                               "frequencies": frequencies}
    report: ErasureReport
    if args.backend == "torch":
        from rope_sym.torch_backend import torch_erasure_scan

        report = torch_erasure_scan(spec, context, args.dtype, args.pipeline, **options)
    else:
        report = erasure_scan(spec, context, args.dtype, args.pipeline, backend=args.backend, **options)
    if not emit_json(args, report.to_dict()):
        doc = Document()
        if args.model:
            doc.line(f"model {args.model}: its effective (scaled) spectrum, head dim {spec.head_dim}, context "
                     f"{format_number(context)}")
        show(args, report_document(report, args.verbose, doc))
    return 0


command("erasure", "exact positional erasure of a RoPE pipeline (emulated, or --backend torch)")(
    Command(_configure, _run))
