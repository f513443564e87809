"""Derivations 11-12, the extrapolation limit of a trained model: the critical-dimension argument of Liu et al.,
*Scaling Laws of RoPE-based Extrapolation*, ICLR 2024 (arXiv:2310.05209).

Pair ``i`` has period ``P_i = 2 pi b^(2i/d)``; it saw a full turn in training iff ``P_i < T`` iff ``i < x`` with
``x = (d/2) log_b(T/(2 pi))`` (strictly monotone steps). The first pair that did not is ``i_c = ceil(x)`` (Liu et
al.'s critical dimension ``d_extra = 2 i_c``), and the limit is its period, ``T_extra = 2 pi b^(d_extra/d)``, with
``T <= T_extra < T b^(2/d)``. Under a retrofit the critical pair stays the one of pre-training and the limit is its
period in the effective spectrum: ``2 pi b'^(d_extra/d)`` for a new base ``b'`` (``T_extra (b'/b)^(d_extra/d)``),
``s T_extra`` for linear interpolation, ``T_extra/(gamma/s + 1 - gamma)`` for a YaRN or llama3 ramp weight
``gamma``. The closed forms are ``rope_sym.bounds.extrapolation``.
"""

from __future__ import annotations

from functools import lru_cache

import sympy as sp

from derivations.kernel import Derivation, Proof
from derivations.symbols import POSITIVE, SUBS, b, d, s, u
from rope_sym.bounds import extrapolation as ex

T = sp.Symbol("T", positive=True)                    # training length (tokens)
i = sp.Symbol("i", nonnegative=True, integer=True)   # a pair
x = sp.Symbol("x", real=True)                        # (d/2) log_b(T/(2 pi))
i_c = sp.Symbol("i_c", integer=True)                 # the critical pair, ceil(x)
T_extra = sp.Symbol("T_extra", positive=True)        # the extrapolation limit at the training base
T_new = sp.Symbol("T_extra'", positive=True)         # ... after a retrofit
b_new = sp.Symbol("b'", positive=True)               # the retrofit's base (NTK-aware scaling, ABF)
ramp = sp.Symbol("gamma", nonnegative=True)          # YaRN / llama3 weight of the interpolated part (1: all of it)

TWO_PI = 2 * sp.pi
X_OF = d * sp.log(T / TWO_PI) / (2 * sp.log(b))     # x as a function of (d, b, T)
REALS = sp.Interval(-sp.oo, sp.oo)
_c = sp.Symbol("c_b", positive=True)
#: The shared range substitutions, and ``b -> 1 + c`` (``b > 1``), which lets SymPy see that ``ln b > 0`` and so
#: that ``x`` and ``ceil(x)`` are real (the retrofit's positivity obligations need it; the first derivation's power
#: equalities simplify without it and not with it).
RANGES = {**SUBS, b: 1 + _c}


def period(index: sp.Expr, base: sp.Expr = b) -> sp.Expr:
    """``2 pi base^(2 index/d)``: tokens per turn of the pair ``index``."""
    return TWO_PI * base ** (2 * index / d)


def _training_hypotheses(p: Proof) -> str:
    """The setting shared by both derivations: b > 1, d > 2, T > 2 pi, and the definitions of x and i_c; returns
    the label of ``T > 2 pi``."""
    p.hypothesis(sp.StrictGreaterThan(b, 1), "the training base $b$ exceeds 1")
    p.hypothesis(sp.StrictGreaterThan(d, 2), "the rotary dimension $d$ is even and greater than 2")
    long_enough = p.hypothesis(sp.StrictGreaterThan(T, TWO_PI),
                               "the training length $T$ exceeds $2\\pi$, the period of pair 0")
    p.hypothesis(sp.Eq(x, X_OF), "definition of $x = (d/2) \\log_b(T/(2\\pi))$")
    p.hypothesis(sp.Eq(i_c, sp.ceiling(x)), "definition of the critical pair $i_c = \\lceil x \\rceil$ (the critical "
                 "dimension of Liu et al., ICLR 2024, is $d_{\\mathrm{extra}} = 2 i_c$)")
    return long_enough


@lru_cache(maxsize=1)
def critical_dimension() -> Derivation:
    """Which pairs saw a full turn, the critical pair, and the extrapolation limit at the training base."""
    p = Proof("extrapolation", "Extrapolation limit: the critical dimension", SUBS)
    long_enough = _training_hypotheses(p)
    above = p.hypothesis(sp.GreaterThan(i_c, x), "the ceiling is not below its argument, $\\lceil x \\rceil \\geq x$")
    below = p.hypothesis(sp.StrictLessThan(i_c, x + 1), "and less than one above it, $\\lceil x \\rceil < x + 1$ "
                         "(the two defining bounds of the ceiling, which SymPy's assumptions do not supply)")
    limit = p.hypothesis(sp.Eq(T_extra, TWO_PI / b ** (-2 * i_c / d)),
                         "definition of the extrapolation limit: the period $2\\pi/\\theta_{i_c}$ of the critical "
                         "pair, $\\theta_i = b^{-2i/d}$")
    seen = p.hypothesis(sp.StrictLessThan(period(i), T), "pair $i$ saw a full turn in training: its period "
                        "$2\\pi b^{2i/d}$ is below $T$ (a period equal to $T$ counts as not seen)")
    step = p.given(seen)
    step = p.monotone(step, sp.StrictLessThan(b ** (2 * i / d), T / TWO_PI), u / TWO_PI, u, POSITIVE, True,
                      "dividing by $2\\pi$")
    step = p.monotone(step, sp.StrictLessThan(2 * i * sp.log(b) / d, sp.log(T / TWO_PI)), sp.log(u), u, POSITIVE,
                      True, "the logarithm is strictly increasing on $(0, \\infty)$, which holds both sides")
    p.monotone(step, sp.StrictLessThan(i, x), u * d / (2 * sp.log(b)), u, REALS, True,
               "multiplying by $d/(2\\ln b) > 0$ ($b > 1$): each map is a strictly increasing bijection, so pair "
               "$i$ saw a full turn iff $i < x$, and the first pair that did not is the least integer "
               "$i \\geq x$, the critical pair $i_c = \\lceil x \\rceil$")
    step = p.given(long_enough)
    p.monotone(step, sp.StrictGreaterThan(x, 0), d * sp.log(u / TWO_PI) / (2 * sp.log(b)), u, POSITIVE, True,
               "the map $u \\mapsto (d/2)\\log_b(u/(2\\pi))$ is strictly increasing: $x > 0$, so pair 0 "
               "saw a full turn and $i_c \\geq 1$")
    step = p.given(above)
    step = p.monotone(step, sp.GreaterThan(period(i_c), period(x)), period(u), u, REALS, True,
                      "the period $2\\pi b^{2u/d}$ is strictly increasing in $u$ ($b > 1$)")
    at_least = p.rewrite(step, sp.GreaterThan(T_extra, T), "since $2\\pi b^{2x/d} = T$: the critical pair did not "
                         "see a full turn, and the limit is at least the training length")
    step = p.given(below)
    step = p.monotone(step, sp.StrictLessThan(period(i_c), period(x + 1)), period(u), u, REALS, True,
                      "the period is strictly increasing in the pair index")
    below_ratio = p.rewrite(step, sp.StrictLessThan(T_extra, T * b ** (2 / d)),
                            "since $2\\pi b^{2(x+1)/d} = T b^{2/d}$: the limit is less than one pair's ratio "
                            "$b^{2/d}$ above $T$ (and pair $i_c - 1$ saw a full turn)")
    step = p.given(limit)
    closed = TWO_PI * b ** (2 * sp.ceiling(X_OF) / d)
    p.rewrite(step, sp.Eq(T_extra, closed),
              "substituting $\\theta_{i_c} = b^{-2 i_c/d}$ and $i_c = \\lceil x \\rceil$: Liu et al.'s "
              "$T_{\\mathrm{extra}} = 2\\pi b^{d_{\\mathrm{extra}}/d}$",
              shown=("T_extra = 2π b^(d_extra/d), d_extra = 2 ceil((d/2) log_b(T/(2π)))",
                     r"T_{\mathrm{extra}} = 2\pi\, b^{d_{\mathrm{extra}}/d}, \quad d_{\mathrm{extra}} = "
                     r"2\left\lceil \tfrac{d}{2}\log_b \tfrac{T}{2\pi} \right\rceil"))
    return p.done(notes=(
        f"the bracket $T \\leq T_{{\\mathrm{{extra}}}} < T b^{{2/d}}$ is steps {at_least} and {below_ratio}; where "
        "every pair saw a full turn ($\\lceil x \\rceil \\geq d/2$) there is no critical pair and no limit from "
        "this argument",
        "a period equal to $T$ counts as not seen: over the positions $0$ to $T-1$ that pair's phase stops at "
        "$2\\pi (T-1)/T$, one step short of a turn; counting it as seen would make the critical pair "
        "$\\lfloor x \\rfloor + 1$, which differs from $\\lceil x \\rceil$ only when $x$ is an integer, i.e. "
        "$T = 2\\pi b^{2k/d}$, which no rational $T$ and $b$ attain ($\\pi$ is transcendental)",
        f"Llama-2-7B ($d = 128$, $b = 10^4$, $T = 4096$): $d_{{\\mathrm{{extra}}}} = "
        f"{ex.critical_dimension(128, 1e4, 4096)}$, $T_{{\\mathrm{{extra}}}} = "
        f"{ex.extrapolation_limit(128, 1e4, 4096):.0f}$ tokens"))


@lru_cache(maxsize=1)
def retrofit_limits() -> Derivation:
    """The limit after a retrofit: the critical pair of pre-training, its period in the effective spectrum."""
    p = Proof("extrapolation_retrofits", "Extrapolation limit after a retrofit", RANGES)
    _training_hypotheses(p)
    p.hypothesis(sp.StrictGreaterThan(b_new, 1), "the retrofit's base $b'$ (NTK-aware scaling, adjusted base "
                 "frequency) exceeds 1, and the factor $s > 0$")
    p.hypothesis(sp.Eq(T_extra, period(i_c)), "the limit at the training base (the extrapolation section)")
    fixed = p.hypothesis(sp.Eq(T_new, TWO_PI / b_new ** (-2 * i_c / d)),
                         "the critical pair stays the one fixed by pre-training $(b, T)$, and the limit is its period "
                         "$2\\pi/\\theta'_{i_c}$ in the effective spectrum $\\theta'_i = b'^{-2i/d}$ (Liu et al.)",
                         side_condition=True)
    lower = p.hypothesis(sp.GreaterThan(T_extra, T), "the bracket at the training base (the extrapolation section)")
    upper = p.hypothesis(sp.StrictLessThan(T_extra, T * b ** (2 / d)), "and its upper side")
    ratio = (b_new / b) ** (2 * i_c / d)
    p.identity(TWO_PI / (b ** (-2 * i_c / d) / s), s * T_extra,
               "linear interpolation, $\\theta'_i = \\theta_i/s$: the limit becomes $s T_{\\mathrm{extra}}$",
               shown=("2π/(θ_i_c/s) = s T_extra", r"\frac{2\pi}{\theta_{i_c}/s} = s\, T_{\mathrm{extra}}"))
    p.identity(TWO_PI / (b ** (-2 * i_c / d) * (ramp / s + 1 - ramp)), T_extra / (ramp / s + 1 - ramp),
               "YaRN and llama3 give the critical pair $\\theta' = \\theta(\\gamma/s + 1 - \\gamma)$, with "
               "$\\gamma$ its ramp weight: the limit is $s T_{\\mathrm{extra}}$ when it lies in the interpolated band "
               "($\\gamma = 1$)",
               shown=("2π/(θ_i_c (γ/s + 1 - γ)) = T_extra/(γ/s + 1 - γ)",
                      r"\frac{2\pi}{\theta_{i_c}(\gamma/s + 1 - \gamma)} = "
                      r"\frac{T_{\mathrm{extra}}}{\gamma/s + 1 - \gamma}"))
    p.identity(period(i_c, b_new), T_extra * ratio,
               "a new base: the critical pair's period grows by $(b'/b)^{d_{\\mathrm{extra}}/d}$")
    step = p.given(lower)
    p.monotone(step, sp.GreaterThan(T_new, T * ratio), u * ratio, u, POSITIVE, True,
               "multiplying by $(b'/b)^{2 i_c/d} > 0$: $T (b'/b)^{d_{\\mathrm{extra}}/d}$ is a lower bound")
    step = p.given(upper)
    p.monotone(step, sp.StrictLessThan(T_new, T * b ** (2 / d) * ratio), u * ratio, u, POSITIVE, True,
               "and $b^{2/d}\\, T (b'/b)^{d_{\\mathrm{extra}}/d}$ an upper bound: the two forms differ by the factor "
               "$T_{\\mathrm{extra}}/T \\in [1, b^{2/d})$")
    step = p.given(fixed)
    p.rewrite(step, sp.Eq(T_new, TWO_PI * b_new ** (2 * sp.ceiling(X_OF) / d)),
              "with $i_c = \\lceil x \\rceil$ of pre-training: Liu et al.'s "
              "$T_{\\mathrm{extra}} = 2\\pi \\beta^{d_{\\mathrm{extra}}/d}$ for the new base $\\beta = b'$",
              shown=("T_extra' = 2π b'^(d_extra/d), d_extra = 2 ceil((d/2) log_b(T/(2π)))",
                     r"T'_{\mathrm{extra}} = 2\pi\, b'^{\,d_{\mathrm{extra}}/d}, \quad d_{\mathrm{extra}} = "
                     r"2\left\lceil \tfrac{d}{2}\log_b \tfrac{T}{2\pi} \right\rceil"))
    return p.done(notes=("the critical pair is fixed by the training base $b$ and length $T$, not by $b'$: a larger "
                         "base stretches the period of the same pair",))
