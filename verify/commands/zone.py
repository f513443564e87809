"""``python -m verify zone --base B --context L --head-dim D [--depth N] [--eps E] [--dtype fp32] [--json]``:
the Goldilocks-zone calculator (every bound paper and exact, whether it holds, the zone, L_max, a verdict)."""

from __future__ import annotations

import argparse

from rope_sym.bounds.closed_forms import DEFAULT_EPS
from rope_sym.bounds.zone import verdict, zone_report
from verify.commands import Command, command
from verify.report import format_table, to_json


def _configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--base", type=float, required=True, help="RoPE base (rope_theta), > 1")
    parser.add_argument("--context", type=float, required=True, help="context length L in tokens, > 0")
    parser.add_argument("--head-dim", type=int, required=True, help="rotary dim d (even, >= 4)")
    parser.add_argument("--depth", type=int, default=1, help="number of layers N (default 1)")
    parser.add_argument("--eps", type=float, default=DEFAULT_EPS,
                        help=f"coherence threshold in (0, 1) (default {DEFAULT_EPS}: cos(L theta_min) >= 1/2)")
    parser.add_argument("--dtype", default="fp32", help="format computing the phases (default fp32)")
    parser.add_argument("--json", action="store_true", help="print the report as one JSON object")


def _run(args: argparse.Namespace) -> int:
    report = zone_report(args.base, args.context, args.head_dim, depth=args.depth, eps=args.eps, dtype=args.dtype)
    if args.json:
        print(to_json(report))
        return 0
    inp = report["input"]
    print(f"base {inp['base']:.6g}, context {inp['context']:.6g}, head dim {inp['head_dim']}, depth {inp['depth']}, "
          f"eps {inp['eps']}, {inp['dtype']} (eps_mach {inp['eps_mach']:.3g})")
    print(f"theta_min: paper {report['theta_min']['paper']:.6g}, exact {report['theta_min']['exact']:.6g}")
    rows = [[name, v["side"], f"{v['paper']:.6g}", f"{v['exact']:.6g}", "yes" if v["holds"] else "NO"]
            for name, v in report["bounds"].items()]
    print(format_table(["bound", "side", "paper", "exact", "holds (exact)"], rows))
    zone = report["zone"]
    print(f"zone (exact): [{zone['lower']:.6g}, {zone['upper']:.6g})  feasible: {'yes' if zone['feasible'] else 'no'}"
          f"  base inside: {'yes' if zone['inside'] else 'no'}")
    print(f"L_max: paper {report['max_context']['paper']:.6g}, exact {report['max_context']['exact']:.6g} tokens")
    print(verdict(report))
    return 0


command("zone", "the Goldilocks zone of a RoPE setting: bounds, zone, L_max and a verdict")(Command(_configure, _run))
