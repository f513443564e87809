"""The extrapolation limit of a trained model (Liu et al., *Scaling Laws of RoPE-based Extrapolation*, ICLR 2024,
arXiv:2310.05209): both derivations verify, and their boxed results, evaluated at 50 digits, equal the closed forms
of ``rope_sym.bounds.extrapolation`` on a grid of settings; an exact scan that compares every pair's period with
the training length at 50 digits finds the same critical pair.

Grid: rotary dim ``d`` in {64, 128}, base ``b`` in {1e4, 1e5, 5e5, 1e6}, training length ``T`` in {2048, 4096,
8192, 32768} (32 settings); the retrofits at a new base ``8 b`` and by linear interpolation ``x4``.
"""

from __future__ import annotations

import itertools
from typing import Any

import mpmath
import sympy as sp

from derivations.catalog import get
from derivations.extrapolation import T, T_extra, T_new, b_new
from derivations.symbols import b, d
from rope_sym.bounds import extrapolation as ex
from rope_sym.models.registry import get_model
from rope_sym.scaling import RopeConfig, inv_freq
from verify.checks import CheckOptions, Outcome, check

DPS = 50
TOLERANCE = 1e-12
GRID: tuple[tuple[int, float, int], ...] = tuple(itertools.product((64, 128), (1e4, 1e5, 5e5, 1e6),
                                                                   (2048, 4096, 8192, 32768)))
NEW_BASE_FACTOR = 8.0
LINEAR_FACTOR = 4.0
#: SmolLM2-135M (HuggingFaceTB/SmolLM2-135M config.json: head dim 64, rope_theta 1e5, 8192 positions).
SMOLLM2 = (64, 1e5, 8192)


def _boxed_value(rhs: sp.Expr, head_dim: int, base: float, context: int, new_base: float | None = None) -> mpmath.mpf:
    """The boxed right-hand side at a setting, at 50 digits (SymPy evaluates the ceiling exactly)."""
    values = {d: head_dim, b: sp.Rational(base), T: context}
    if new_base is not None:
        values[b_new] = sp.Rational(new_base)
    with mpmath.workdps(DPS):
        return mpmath.mpf(str(sp.N(rhs.subs(values), DPS + 10)))


def _dimension_of(limit: mpmath.mpf, head_dim: int, base: float) -> int:
    """``d_extra = d log_b(T_extra/(2 pi))`` read back from a boxed limit (it must come out an integer)."""
    with mpmath.workdps(DPS):
        value = head_dim * mpmath.log(limit / (2 * mpmath.pi)) / mpmath.log(base)
        nearest = int(mpmath.nint(value))
        if abs(value - nearest) > mpmath.mpf(10) ** -30:
            raise ArithmeticError(f"the boxed limit gives a non-integer d_extra {value}")
        return nearest


def scan_critical_pair(head_dim: int, base: float, context: float) -> int | None:
    """The first pair whose period ``2 pi b^(2i/d)`` is not below ``T``, by comparing every pair at 50 digits (no
    logarithm, no ceiling); None when every period is below ``T``."""
    with mpmath.workdps(DPS):
        seen = [2 * mpmath.pi * mpmath.mpf(base) ** (mpmath.mpf(2 * i) / head_dim) < context
                for i in range(head_dim // 2)]
    if any(later and not earlier for earlier, later in itertools.pairwise(seen)):
        raise ArithmeticError("the seen pairs are not a prefix: periods must grow with the pair index")
    return next((i for i, ok in enumerate(seen) if not ok), None)


def _gap(found: float, want: mpmath.mpf) -> float:
    return float(abs(mpmath.mpf(found) - want) / want)


def _setting(head_dim: int, base: float, context: int, boxed: sp.Expr, boxed_new: sp.Expr) -> dict[str, Any]:
    """One setting: the boxed values, the library's, the exact scan's, and the bracket."""
    pair = ex.critical_pair(head_dim, base, context)
    scanned = scan_critical_pair(head_dim, base, context)
    row: dict[str, Any] = {"setting": [head_dim, base, context], "pair": pair, "scan_agrees": pair == scanned}
    if pair is None:  # every pair saw a full turn: the boxed ceiling must say so too
        with mpmath.workdps(DPS):
            x = head_dim * mpmath.log(context / (2 * mpmath.pi)) / (2 * mpmath.log(base))
        row.update(gap=0.0, gap_new=0.0, gap_linear=0.0, bracket=True,
                   boxed_agrees=int(mpmath.ceil(x)) >= head_dim // 2)
        return row
    limit = _boxed_value(boxed, head_dim, base, context)
    new_limit = _boxed_value(boxed_new, head_dim, base, context, NEW_BASE_FACTOR * base)
    linear = inv_freq(RopeConfig("linear", head_dim=head_dim, base=base, factor=LINEAR_FACTOR))
    with mpmath.workdps(DPS):
        ratio = mpmath.mpf(base) ** (mpmath.mpf(2) / head_dim)
        bracket = bool(context <= limit < context * ratio)
    row.update(boxed_agrees=_dimension_of(limit, head_dim, base) == ex.critical_dimension(head_dim, base, context),
               gap=_gap(ex.extrapolation_limit(head_dim, base, context), limit),
               gap_new=_gap(ex.ntk_extrapolation_limit(head_dim, base, context, NEW_BASE_FACTOR * base), new_limit),
               gap_linear=_gap(ex.extrapolation_limit(head_dim, base, context, linear), LINEAR_FACTOR * limit),
               bracket=bracket)
    return row


@check("derivation-extrapolation", "Liu et al.'s critical dimension: both derivations verify; the boxed "
       "T_extra = 2 pi b^(d_extra/d) (and 2 pi b'^(d_extra/d)) equals the closed forms at 50 digits; an exact scan "
       "finds the same critical pair")
def extrapolation(options: CheckOptions) -> Outcome:
    derivations = [get("extrapolation"), get("extrapolation_retrofits")]
    boxed = derivations[0].result
    boxed_new = derivations[1].result
    if boxed.lhs != T_extra or boxed_new.lhs != T_new:
        return Outcome.judge(False, "the boxed results are not T_extra = ... and T_extra' = ...")
    rows = [_setting(dim, base, context, boxed.rhs, boxed_new.rhs) for dim, base, context in GRID]
    worst = max(max(r["gap"], r["gap_new"], r["gap_linear"]) for r in rows)
    disagree = [r["setting"] for r in rows if not (r["scan_agrees"] and r["boxed_agrees"] and r["bracket"])]
    llama = get_model("Llama-2-7B").rope
    assert llama.max_position_embeddings is not None  # the registry entry states it (4096)
    figures = {}
    for name, (dim, base, context) in (("Llama-2-7B", (llama.rotary_dim, llama.base, llama.max_position_embeddings)),
                                       ("SmolLM2-135M", SMOLLM2)):
        figures[name] = {"head_dim": dim, "base": base, "train_context": context,
                         "d_extra": ex.critical_dimension(dim, base, context),
                         "T_extra": ex.extrapolation_limit(dim, base, context)}
    verified = all(dv.verified for dv in derivations)
    ok = verified and worst < TOLERANCE and not disagree
    key = "; ".join(f"{name} d_extra {f['d_extra']}, T_extra {f['T_extra']:.0f}" for name, f in figures.items())
    return Outcome.judge(ok, f"{key}; {len(rows)} settings: boxed vs closed forms worst relative gap {worst:.1e}, "
                         f"exact scan agrees {sum(r['scan_agrees'] for r in rows)}/{len(rows)}, verified={verified}",
                         worst_gap=worst, disagree=disagree, models=figures,
                         failed_steps={dv.name: dv.failed_steps for dv in derivations if dv.failed_steps},
                         settings=rows)
