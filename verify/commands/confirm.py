"""``python -m verify confirm --base B --head-dim D --context L [--dtype bf16] [--pipeline hf] [--device auto]``.

Runs the pipeline in torch and in exact emulation over positions ``0 .. L-1`` and prints
``rope_sym.torch_backend.confirm``'s comparison: mismatches per stage (end to end and local, with their cause), then the
erasure figures of both backends against the mismatch budget. Exit status 0 when every figure agrees within
its budget, 1 otherwise.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from verify.commands import Command, command
from verify.report import Document, add_format_argument, emit_json, format_number, show
from verify.setting_args import add_device_argument, add_setting_arguments, progress_for, spec_from_args

if TYPE_CHECKING:  # torch is optional: the module itself is imported only when the command runs
    from rope_sym.torch_backend.confirm import Confirmation


def _configure(parser: argparse.ArgumentParser) -> None:
    add_setting_arguments(parser, default_context=float(1 << 14))
    add_device_argument(parser)
    parser.add_argument("--json", action="store_true", help="print the comparison as JSON")
    add_format_argument(parser)


def render(c: Confirmation, fmt: str = "table") -> str:
    """The text report of a ``Confirmation``."""
    return confirmation_document(c).render(fmt)


def confirmation_document(c: Confirmation) -> Document:
    """The text report of a ``Confirmation`` as a ``Document``."""
    doc = Document()
    doc.line(f"torch vs emulation: base {format_number(c.base)}, head dim {c.head_dim}, context "
             f"{format_number(c.context)}, pipeline {c.pipeline}, dtype {c.dtype}, device {c.device}, torch "
             f"{c.torch_version}{', autocast' if c.autocast else ''}")
    doc.line()
    doc.table(["stage", "format", "compared", "differ end to end", "differ locally", "max local ulps"],
              [[s.stage, s.format, s.compared, s.end_to_end, s.local, s.max_local_ulps] for s in c.stages],
              name="stages")
    doc.line()
    doc.line(f"positions whose stored code differs: {format_number(c.mismatched_positions)} of "
             f"{format_number(c.context)}; rotated query rows that differ: {format_number(c.mismatched_rotated_rows)}")
    doc.line()
    doc.table(["erasure figure", "emulated", "torch", "budget", "agree"],
              [[f.figure, f.emulated, f.torch, f.budget, "yes" if f.agree else "NO"] for f in c.figures],
              name="erasure figures")
    doc.line()
    for line in [f"cause: {note}" for note in c.notes] or ["no local mismatch: torch equals the exact emulation"]:
        doc.line(line)
    doc.line(f"agreement: {'figures agree' if c.agree else 'figures DISAGREE beyond the mismatch budget'}")
    return doc


def _run(args: argparse.Namespace) -> int:
    from rope_sym.torch_backend.confirm import confirm  # torch is optional: imported only here

    result = confirm(spec_from_args(args), args.context, args.dtype, args.pipeline, device=args.device,
                     autocast=args.autocast, iterate=progress_for(args))
    if not emit_json(args, result.to_dict()):
        show(args, confirmation_document(result))
    return 0 if result.agree else 1


command("confirm", "torch against the exact emulation: mismatches per stage and erasure figures")(
    Command(_configure, _run))
