"""The Goldilocks zone of a RoPE setting: every bound (paper and exact), whether it holds, the derived precision
walls level by level (``rope_sym.bounds.walls``), the feasible interval of bases and the maximum context.

``holds`` and the zone use the exact forms (``theta_min = base^(-(d-2)/d)``). The upper side of the zone is the
derived code-level wall (the largest base whose slowest pair keeps single-token resolution), not the paper's
``theta_min > eps_mach``, which exact scans refute; the paper's verdict is kept beside it (``inside_paper``,
``upper_paper``, ``bounds.precision``).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numpy.typing import NDArray

from rope_sym.bounds import closed_forms as b
from rope_sym.bounds.table import BOUNDS, LOWER_BOUNDS, MAX_CONTEXT_BOUND, Setting
from rope_sym.bounds.walls import MEANING, code_wall_base, erasure_block, failing_levels
from rope_sym.pipelines.table import check_dtype, check_pipeline
from rope_sym.spectrum.spec import RopeSpec, check_base
from rope_sym.spectrum.theta import frequencies as frequencies_of
from rope_sym.spectrum.theta import theta_min_of

MEN_MAX_CONTEXT = 1 << 22
"""Longest context at which Men et al.'s criterion is checked in a report (about 0.2 s at 2^22)."""

VERDICT_LEVELS = ("position", "code")
"""The levels ``zone.inside`` follows: the query-independent ones (the rotated level is reported beside them)."""


def zone_report(base: float, context: float, rotary_dim: int, depth: int = 1, eps: float = b.DEFAULT_EPS,
                dtype: str = "fp32", pipeline: str = "hf",
                frequencies: NDArray[np.float64] | None = None) -> dict[str, Any]:
    """The zone calculator's JSON object (plain floats and bools).

    ``dtype`` is the activation dtype and ``pipeline`` how the phases are computed (``rope_sym.pipelines``); the
    ``erasure`` object holds the derived walls level by level (``rope_sym.bounds.walls``) for the frequencies
    ``frequencies`` (default: the unscaled frequencies of ``base``). The paper's wall ``bounds.precision`` uses
    ``eps_mach = 2^(1-p)`` of ``dtype`` (``eps_format``). The aliasing bound is strict (``base > bound``), DC
    stability and depth are ``base >= bound``, the walls are strict (``base < wall``).

    >>> r = zone_report(10000.0, 4096, 128)
    >>> r["zone"]["inside"], round(r["bounds"]["dc_stability"]["exact"])
    (True, 4460)
    >>> r = zone_report(5e5, 131072, 128, dtype="bf16")   # the paper: no zone; the laws: positions stay distinct
    >>> r["zone"]["inside_paper"], [lv["holds"] for lv in r["erasure"]["levels"][:2]]
    (False, [True, False])
    """
    B = check_base(base)
    fmt, pipe = check_dtype(dtype), check_pipeline(pipeline)
    setting = Setting.of(context, rotary_dim, eps, depth, fmt.eps)  # validated where it enters
    L, d, e, n, eps_mach = setting.context, setting.rotary_dim, setting.eps, setting.depth, setting.eps_mach
    bounds_obj: dict[str, dict[str, Any]] = {}
    for bound in BOUNDS:
        paper, exact = bound.base_of(setting, "paper"), bound.base_of(setting, "exact")
        bounds_obj[bound.name] = {"side": bound.side, "paper": float(paper), "exact": float(exact),
                                  "holds": bool(bound.holds(B, exact))}
        if "eps_mach" in bound.reads:  # say which format's eps_mach it read
            bounds_obj[bound.name]["eps_format"] = str(dtype)
    lower = max(bounds_obj[name]["exact"] for name in LOWER_BOUNDS)
    upper_paper = min(v["exact"] for v in bounds_obj.values() if v["side"] == "upper")
    lower_holds = all(bounds_obj[name]["holds"] for name in LOWER_BOUNDS)
    frequencies = (frequencies_of(RopeSpec(d, B)) if frequencies is None
                   else np.asarray(frequencies, dtype=np.float64))
    erasure = erasure_block(frequencies, L, str(dtype), pipe, depth_phase=setting.depth_phase, rotary_dim=d)
    levels = {lv["level"]: lv for lv in erasure["levels"]}
    upper = code_wall_base(L, d, str(dtype), pipe)
    feasible = upper is not None and lower < upper
    for entry in bounds_obj.values():  # decades of room: positive when the bound holds
        ratio = B / entry["exact"] if entry["side"] == "lower" else entry["exact"] / B
        entry["margin_decades"] = math.log10(ratio)
    inside = bool(lower_holds and all(levels[name]["holds"] for name in VERDICT_LEVELS))
    men = men_check(frequencies, L)
    return {
        "input": {"base": B, "context": int(L) if float(L).is_integer() else L, "head_dim": d, "depth": n,
                  "eps": e, "dtype": str(dtype), "pipeline": pipe, "eps_mach": eps_mach},
        "verdict": "inside" if inside else "outside",
        "theta_min": {"paper": 1.0 / B, "exact": theta_min_of(B, d, "exact")},
        "bounds": bounds_obj,
        "erasure": erasure,
        "men": men,
        "zone": {"lower": float(lower), "upper": upper, "feasible": bool(feasible), "inside": inside,
                 "upper_margin_decades": None if upper is None or math.isinf(upper) else math.log10(upper / B),
                 "positions_distinct": bool(levels["position"]["holds"]),
                 "upper_paper": float(upper_paper), "feasible_paper": bool(lower < upper_paper),
                 "inside_paper": bool(all(v["holds"] for v in bounds_obj.values()))},
        "max_context": {"paper": MAX_CONTEXT_BOUND.base_of(setting, "paper"),
                        "exact": MAX_CONTEXT_BOUND.base_of(setting, "exact"),
                        **{f"{name}_level": levels[name]["max_context"] for name in VERDICT_LEVELS}},
    }


def men_check(theta: NDArray[np.float64], context: float) -> dict[str, Any]:
    """Men et al.'s criterion at this spectrum, beside DC stability: does the expected score of similar content,
    ``B(m) = sum_i cos(m theta_i)``, stay non-negative for every integer ``m`` in ``[0, L]``? Its admissible
    bases are not a half-line (a larger base can fail again), so it is checked at the base itself, not as a bound
    (``verify recommend`` scans for the smallest admissible base)."""
    from rope_sym.long_context import men_b_minimum

    L = int(min(context, float(MEN_MAX_CONTEXT) + 1))
    if context > MEN_MAX_CONTEXT:
        return {"holds": None, "min_B": None, "first_negative_m": None,
                "reason": f"not checked beyond {MEN_MAX_CONTEXT:,} positions"}
    minimum, where = men_b_minimum(theta, L)
    return {"holds": bool(minimum >= 0.0), "min_B": minimum, "first_negative_m": None if minimum >= 0 else where,
            "note": "the admissible bases are not a half-line: a larger base can fail again"}


def _fmt(x: float | None) -> str:
    return "none" if x is None else ("inf" if math.isinf(x) else f"{x:.4g}")


def summary_line(report: dict[str, Any]) -> str:
    """The summary line: one line summing up a :func:`zone_report`, naming the level that fails and what it means."""
    zone, inp, levels = report["zone"], report["input"], {lv["level"]: lv for lv in report["erasure"]["levels"]}
    where = f"{inp['dtype']} {inp['pipeline']}"
    position, code = levels["position"], levels["code"]
    if not position["holds"]:
        return (f"OUTSIDE (position level): {MEANING['position']}; {where} stores at most "
                f"{position['positions_kept']:,} distinct positions, fewer than the context {inp['context']:.6g}: "
                f"no base works with this pipeline")
    failed = [name for name in LOWER_BOUNDS if not report["bounds"][name]["holds"]]
    interval = f"[{_fmt(zone['lower'])}, {_fmt(zone['upper'])})"
    if failed:
        return f"OUTSIDE: base {inp['base']:.6g} violates {', '.join(failed)}; the zone is {interval}"
    if not code["holds"]:
        n_pairs = inp["head_dim"] // 2
        room = (f"bases up to {_fmt(zone['upper'])} keep every pair" if zone["feasible"] else
                f"no base meeting the lower bounds keeps every pair beyond {_fmt(code['max_context'])} tokens")
        return (f"OUTSIDE (code level): {code['erased_pairs']} of {n_pairs} pairs erased: {MEANING['code']}; "
                f"{room} ({where})")
    return f"INSIDE: base {inp['base']:.6g} lies in the zone {interval} ({where}); positions stay distinct"


def failing(report: dict[str, Any]) -> list[str]:
    """What makes ``zone.inside`` False: the lower bounds that fail, then the ``VERDICT_LEVELS`` that fail."""
    bounds = [name for name in LOWER_BOUNDS if not report["bounds"][name]["holds"]]
    return bounds + [lv["level"] for lv in failing_levels(report["erasure"]) if lv["level"] in VERDICT_LEVELS]
