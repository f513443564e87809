"""``python -m verify attention --base B --head-dim D [--context 2^20] [--channel erased] [--device auto]``.

Places one query and one key content at every position and counts keys at distinct positions whose fp32
attention scores are bitwise equal (``rope_sym.torch_backend.attention``): how many, how many because the rotated keys
themselves are identical, how many fp32 score resolution alone would give (control), and how many of the
colliding pairs differ when the pipeline runs in float64.
"""

from __future__ import annotations

import argparse

from verify.commands import Command, command
from verify.report import Document, add_format_argument, emit_json, format_number, show
from verify.setting_args import add_device_argument, add_setting_arguments, progress_for, spec_from_args


def _configure(parser: argparse.ArgumentParser) -> None:
    add_setting_arguments(parser, default_context=float(1 << 20))
    parser.add_argument("--channel", default="erased", help="content pairs: erased (measured, default), wall "
                        "(below the cast law's wall theta < c 2^-p), all")
    parser.add_argument("--query-position", type=int, default=None, help="default: context - 1")
    add_device_argument(parser)
    parser.add_argument("--json", action="store_true", help="print the counts as JSON")
    add_format_argument(parser)


def _run(args: argparse.Namespace) -> int:
    from rope_sym.torch_backend.attention import attention_collisions  # torch is optional: imported only here

    r = attention_collisions(spec_from_args(args), args.context, args.dtype, args.pipeline, channel=args.channel,
                             query_position=args.query_position, device=args.device, iterate=progress_for(args))
    if emit_json(args, r.to_dict()):
        return 0
    rows = [
        ["keys (one per position)", r.keys],
        ["distinct fp32 scores", r.distinct_scores],
        ["pairs of distinct positions with bitwise equal scores", r.colliding_pairs],
        ["keys in such pairs", r.keys_in_collisions],
        ["of the pairs: rotated keys bitwise identical", r.identical_key_pairs],
        ["of the pairs: scores differ in the fp64 pipeline", r.differ_in_fp64],
        ["control: equal pairs among fp64 scores rounded to fp32", r.control_pairs],
    ]
    doc = Document()
    doc.line(f"attention-level erasure: base {format_number(r.base)}, head dim {r.head_dim}, context "
             f"{format_number(r.context)}, pipeline {r.pipeline}, dtype {r.dtype}, device {r.device}\n"
             f"content on {r.content_pairs} pairs ({r.channel}), query at position {format_number(r.query_position)}"
             "\n")
    doc.table(["count", "value"], rows, name="counts")
    doc.line()
    if r.examples:
        doc.table(["key n1", "key n2", "score (both)", "fp64 score n1", "fp64 score n2"],
                  [list(e) for e in r.examples], name="examples")
    show(args, doc)
    return 0


command("attention", "keys at distinct positions with bitwise equal attention scores (torch)")(
    Command(_configure, _run))
