"""The questions users ask: which bases serve a context, how far a model's base reaches, what scaling a target
context needs.

``recommend``: the base interval ``[base_min, base_max)`` for a context, rotary dim, depth, dtype and pipeline, where
every lower bound (exact and paper forms) holds and no pair is erased at the code level (the derived wall,
``rope_sym.bounds.walls.code_wall_base``; the paper's wall beside it), and which bound binds on each side.

``model_reach``: for a model, the largest context its effective base passes the bounds at (a *necessary*
condition in the paper's model of RoPE: a context beyond it is ruled out, a context within it is not thereby
served; what a model can be expected to reach is ``rope_sym.real.evidence.expected_reach``), and for a target
context the factor ``s`` of a retrofit that brings it inside the bounds. Linear, NTK/dynamic, YaRN and llama3 all
divide the slowest frequency by ``s`` (the ``retrofits`` derivation), so one ``s`` answers for all of them:
``s = theta_min L / A`` with
``A = arccos(eps^(1/N))``, the depth bound ``L theta_min <= A`` solved for ``s``.

>>> r = recommend(131072, 128, depth=32)
>>> r["base_min"]["binding"], round(r["base_min"]["exact"]), r["base_max"]["derived"]
('depth', 781270, inf)
"""

from __future__ import annotations

import math
from typing import Any

from rope_sym.bounds import closed_forms as cf
from rope_sym.bounds.table import BOUNDS, LOWER_BOUNDS, Setting
from rope_sym.bounds.walls import code_wall_base, last_unerased
from rope_sym.erasure.laws import cast_fraction, erased_by_law
from rope_sym.models.hf_config import ModelRope
from rope_sym.pipelines.table import check_dtype, check_pipeline, pipeline_formats
from rope_sym.spectrum.spec import check_context, check_depth, check_eps


def recommend(context: float, rotary_dim: int, depth: int = 1, eps: float = cf.DEFAULT_EPS, dtype: str = "fp32",
              pipeline: str = "hf") -> dict[str, Any]:
    """The base interval for a setting (module docstring), as plain data."""
    fmt, pipe = check_dtype(dtype), check_pipeline(pipeline)
    setting = Setting.of(context, rotary_dim, eps, depth, fmt.eps)
    L, d, e, n = setting.context, setting.rotary_dim, setting.eps, setting.depth
    lower = {b.name: {"exact": b.base_of(setting, "exact"), "paper": b.base_of(setting, "paper")}
             for b in BOUNDS if b.name in LOWER_BOUNDS}
    binding_low = max(lower, key=lambda name: lower[name]["exact"])
    paper_wall = next(b for b in BOUNDS if b.side == "upper")
    derived = code_wall_base(L, d, str(dtype), pipe)
    base_min = lower[binding_low]["exact"]
    feasible = derived is not None and base_min < derived
    return {
        "men": men_bound(L, d),
        "input": {"context": int(L) if float(L).is_integer() else L, "head_dim": d, "depth": n, "eps": e,
                  "dtype": str(dtype), "pipeline": pipe},
        "base_min": {"exact": base_min, "paper": max(v["paper"] for v in lower.values()), "binding": binding_low,
                     "lower_bounds": lower},
        "base_max": {"derived": derived, "binding": "code level (no pair erased)" if derived is not None else
                     "position level: positions merge, no base works",
                     "paper": paper_wall.base_of(setting, "paper"),
                     "paper_exact": paper_wall.base_of(setting, "exact")},
        "feasible": feasible,
        "feasible_paper": base_min < paper_wall.base_of(setting, "exact"),
    }


MEN_SCAN_MAX_CONTEXT = 1 << 16
"""Longest context at which ``recommend`` scans for Men et al.'s bound (about 1 s at 2^16)."""


def men_bound(context: float, rotary_dim: int) -> dict[str, Any]:
    """Men et al.'s lower bound, beside DC stability: the smallest base (500 grid steps per decade from 2L) with
    ``B(m) >= 0`` on ``[0, L]``, and whether larger grid bases fail again (the admissible set not a half-line)."""
    from rope_sym.long_context import men_base_lower_bound

    if context > MEN_SCAN_MAX_CONTEXT:
        return {"base": None, "reason": f"scanned up to {MEN_SCAN_MAX_CONTEXT:,} positions only"}
    L = int(context)
    scan = men_base_lower_bound(L, rotary_dim, low=2.0 * L, steps_per_decade=500, tail=20)
    return {"base": scan.bound, "not_a_half_line": scan.inadmissible_above_bound > 0,
            "failing_bases_among_the_next_20": scan.inadmissible_above_bound}


def _code_level_reach(theta_min: float, dtype: str, pipeline: str, limit: int = 1 << 26) -> int | None:
    """The largest context over which a pair of frequency ``theta_min`` is not erased (None: not within
    ``limit``), by bisection on ``log L`` with the cast law."""
    store = pipeline_formats(dtype, pipeline).store

    def erased(L: float) -> bool:
        return bool(erased_by_law(cast_fraction([theta_min], store, 0, max(int(L), 2)))[0])

    found = last_unerased(erased, 2.0, float(limit), 1.001)
    return None if found is None else int(found)


def model_reach(model: ModelRope, target_context: float | None = None, depth: int | None = None,
                eps: float = cf.DEFAULT_EPS, dtype: str = "fp32", pipeline: str = "hf") -> dict[str, Any]:
    """How far a model's effective base passes the bounds (``bounds_allow_up_to``: a necessary condition, not a
    capability), and the retrofit factor a target context needs to pass them."""
    from rope_sym.bounds.models import judged_context, slowest_pair

    own, rule = judged_context(model)
    n = check_depth(depth if depth is not None else (model.depth or 1))
    a = cf.acos_root(check_eps(eps), n)
    _, theta, base_eff = slowest_pair(model, own)
    positions = 2 ** pipeline_formats(dtype, pipeline).position.precision + 1
    lower_reach = a / theta  # the depth bound L theta_min <= A, solved for L
    code_reach = _code_level_reach(theta, dtype, pipeline)
    limits = {"lower bounds (depth)": lower_reach, "positions kept": float(positions)}
    if code_reach is not None:
        limits["code level"] = float(code_reach)
    binding = min(limits, key=lambda k: limits[k])
    out: dict[str, Any] = {"model": model.name, "context": own, "context_rule": rule, "depth": n,
                           "effective_base": base_eff, "effective_theta_min": theta,
                           "bounds_allow_up_to": math.floor(limits[binding]), "binding": binding, "limits": limits}
    if target_context is not None:
        L = check_context(target_context)
        factor = max(1.0, theta * L / a)
        out["target"] = {"context": int(L) if float(L).is_integer() else L, "factor": factor,
                         "note": "linear, NTK/dynamic, YaRN and llama3 all divide the slowest frequency by the "
                                 "factor: one s for each of them (NTK: base x s^(d/(d-2)))",
                         "ntk_base": model.rope.base * factor ** (model.rope.rotary_dim / (model.rope.rotary_dim - 2)),
                         "already_inside": factor == 1.0}
    return out
