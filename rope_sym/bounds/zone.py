"""The Goldilocks zone of a RoPE setting: every bound (paper and exact), whether it holds, the feasible interval of
bases ``[max lower bound, precision wall)`` and the maximum context ``L_max`` at which that interval is non-empty.

``holds``, ``zone`` and ``max_context`` verdicts use the exact forms (``theta_min = base^(-(d-2)/d)``).
"""

from __future__ import annotations

from typing import Any

from rope_sym.bounds import closed_forms as b
from rope_sym.bounds.table import BOUNDS, LOWER_BOUNDS, Setting
from rope_sym.spectrum.spec import check_base, check_context


def zone_report(base: float, context: float, head_dim: int, depth: int = 1, eps: float = b.DEFAULT_EPS,
                dtype: str = "fp32") -> dict[str, Any]:
    """The zone calculator's JSON object (plain floats and bools).

    ``eps_mach`` is the machine epsilon ``2^(1-p)`` of ``dtype`` (the precision of the phase computation).
    The aliasing bound is strict (``base > bound``), DC stability and depth are ``base >= bound``, the precision
    wall is strict (``base < wall``): see ``rope_sym.bounds.BOUNDS``.

    >>> r = zone_report(10000.0, 4096, 128)
    >>> r["zone"]["inside"], round(r["bounds"]["dc_stability"]["exact"])
    (True, 4460)
    """
    B, L = check_base(base), check_context(context)
    d = b.check_rotary_dim(head_dim, "exact")
    n, e = b.check_depth(depth), b.check_eps(eps)
    eps_mach = b.eps_mach_of(dtype)
    setting = Setting(L, d, e, n, eps_mach)
    bounds_obj: dict[str, dict[str, Any]] = {}
    for bound in BOUNDS:
        paper, exact = bound.base_of(setting, "paper"), bound.base_of(setting, "exact")
        bounds_obj[bound.name] = {"side": bound.side, "paper": float(paper), "exact": float(exact),
                                  "holds": bool(bound.holds(B, exact))}
    lower = max(bounds_obj[name]["exact"] for name in LOWER_BOUNDS)
    upper = min(v["exact"] for v in bounds_obj.values() if v["side"] == "upper")
    return {
        "input": {"base": B, "context": L, "head_dim": d, "depth": n, "eps": e, "dtype": str(dtype),
                  "eps_mach": eps_mach},
        "theta_min": {"paper": 1.0 / B, "exact": b.theta_min_of(B, d, "exact")},
        "bounds": bounds_obj,
        "zone": {"lower": float(lower), "upper": float(upper), "feasible": bool(lower < upper),
                 "inside": bool(all(v["holds"] for v in bounds_obj.values()))},
        "max_context": {"paper": b.max_context(eps_mach, e, n, d, form="paper"),
                        "exact": b.max_context(eps_mach, e, n, d, form="exact")},
    }


def verdict(report: dict[str, Any]) -> str:
    """One line summing up a :func:`zone_report`."""
    zone, inp = report["zone"], report["input"]
    failed = [name for name, v in report["bounds"].items() if not v["holds"]]
    if not zone["feasible"]:
        return (f"NO ZONE: context {inp['context']:.6g} exceeds L_max {report['max_context']['exact']:.4g} for "
                f"{inp['dtype']}; no base works")
    if zone["inside"]:
        return f"INSIDE: base {inp['base']:.6g} lies in the zone [{zone['lower']:.4g}, {zone['upper']:.4g})"
    return (f"OUTSIDE: base {inp['base']:.6g} violates {', '.join(failed)}; the zone is "
            f"[{zone['lower']:.4g}, {zone['upper']:.4g})")
