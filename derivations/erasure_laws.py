"""Derivations 8-10, the erasure laws that replace the paper's precision wall (``rope_sym.erasure.laws``).

- ``cast_wall``: a pair's stored cos/sin, rounded to ``p`` significant bits, keep their value over a one-token
  step with probability ``P = q(theta |sin phi| / ulp(cos phi)) q(theta |cos phi| / ulp(sin phi))``; the phase
  average depends on ``t = theta 2^p`` only, and crosses one half at ``t = c``: the wall is
  ``theta* = c 2^-p = (c/2) eps_mach``, ``c = 0.188899...``.
- ``slow_pairs``: while the phase stays small, the sine has relative precision and changes at every step up to
  ``m = 2^(p-1)``, so a slow pair's erasure depends on the window, not on ``theta``.
- ``position_merges``: positions stored with ``p`` bits are exact up to ``2^p``; a binade holds ``2^(p-1)``
  values, so a window ``[L, 2L)`` (``L = 2^k >= 2^p``) merges ``1 - 2^(p-1)/(L-1)`` of its steps.

Numerical facts (the constant ``c``, the first merged position) are steps too: closed statements the kernel
evaluates itself (an integral with an error bound at 20 digits; exact rounding), named as such.
"""

from __future__ import annotations

from functools import lru_cache

import sympy as sp

from derivations.kernel import Derivation, Proof
from derivations.numeric import rounded
from derivations.symbols import POSITIVE, L

theta = sp.Symbol("theta", positive=True)       # a pair's frequency (rad/token)
phi = sp.Symbol("phi", positive=True)           # its phase m theta
p_bits = sp.Symbol("p", positive=True, integer=True)  # significant bits of the format
e = sp.Symbol("e", integer=True)                # floor(log2 |x|) of a coordinate
h = sp.Symbol("h", positive=True)               # a rounding cell
delta = sp.Symbol("delta", nonnegative=True)    # a move, 0 <= delta <= h
U = sp.Symbol("U", nonnegative=True)            # the value's offset in its cell
m = sp.Symbol("m", positive=True)               # a position
c = sp.Symbol("c", positive=True)               # the wall constant
k = sp.Symbol("k", positive=True, integer=True)  # a binade exponent
u = sp.Symbol("u", positive=True)
wall = sp.Symbol("theta^*", positive=True)
eps_mach = sp.Symbol("epsilon_mach", positive=True)
merged = sp.Symbol("f", positive=True)          # merged fraction of a window


def _phase_average(t: sp.Expr) -> sp.Expr:
    """``F(t) = (2/pi) int_0^{pi/2} q(t sin phi / (2 u(cos phi))) q(t cos phi / (2 u(sin phi))) dphi`` with
    ``q(r) = max(0, 1 - r)`` and ``u(x) = 2^floor(log2 x)`` (``rope_sym.erasure.laws.wall_constant``)."""
    def cell(x: sp.Expr) -> sp.Expr:
        return 2 ** sp.floor(sp.log(x, 2))

    keep_cos = sp.Max(0, 1 - t * sp.sin(phi) / (2 * cell(sp.cos(phi))))
    keep_sin = sp.Max(0, 1 - t * sp.cos(phi) / (2 * cell(sp.sin(phi))))
    return 2 / sp.pi * sp.Integral(keep_cos * keep_sin, (phi, 0, sp.pi / 2))


def _wall_bracket() -> tuple[sp.Rational, sp.Rational]:
    """``c``'s 7-digit value (``WALL_CONSTANT``) plus or minus half a unit in its last digit."""
    from rope_sym.erasure.laws import WALL_CONSTANT

    centre, half = sp.Rational(str(WALL_CONSTANT)), sp.Rational(1, 2 * 10**7)
    return centre - half, centre + half


@lru_cache(maxsize=1)
def cast_wall() -> Derivation:
    """The cast-level law and its wall, as a chain."""
    ulp = 2 ** (e - p_bits + 1)
    t = theta * 2**p_bits
    pr = Proof("cast_wall", "Cast-level wall: the law of erased pairs")
    pr.hypothesis(sp.Contains(U, sp.Interval(0, h)), "a coordinate's offset $U$ in its rounding cell of width "
                  "$h = \\mathrm{ulp}$ is uniform on $[0, h)$, independently for the cosine and the sine",
                  side_condition=True)
    pr.hypothesis(sp.GreaterThan(p_bits, 2), "cos and sin are rounded to $p$ significant bits, in the normal range")
    defined = pr.hypothesis(sp.Eq(wall, c * 2 ** (-p_bits)),
                            "a pair is erased when more than half its one-token steps keep its code; "
                            "$\\theta^{*} = c\\, 2^{-p}$ is the frequency where the phase average crosses 1/2")
    pr.hypothesis(sp.Eq(eps_mach, 2 ** (1 - p_bits)), "machine epsilon $\\varepsilon_{\\mathrm{mach}} = 2^{1-p}$")
    pr.series(sp.cos(phi + theta) - sp.cos(phi), -theta * sp.sin(phi), theta, 2,
              "one step moves the cosine by $-\\theta \\sin\\varphi$ to first order")
    pr.series(sp.sin(phi + theta) - sp.sin(phi), theta * sp.cos(phi), theta, 2,
              "and the sine by $\\theta \\cos\\varphi$")
    pr.identity(sp.integrate(1, (U, 0, h - delta)) / h, 1 - delta / h,
                "a value placed uniformly in its cell stays in it over a move $\\delta \\leq h$ with probability "
                "$q(\\delta/h) = 1 - \\delta/h$ (and $0$ beyond): so a step keeps the code with probability "
                "$P(\\varphi) = q(\\theta|\\sin\\varphi|/\\mathrm{ulp}(\\cos\\varphi))\\, "
                "q(\\theta|\\cos\\varphi|/\\mathrm{ulp}(\\sin\\varphi))$",
                shown=("(1/h) int_0^(h - delta) dU = 1 - delta/h", r"\frac{1}{h}\int_0^{h-\delta} dU = 1 - "
                                                                    r"\frac{\delta}{h}"))
    pr.identity(theta * sp.sin(phi) / ulp, t * sp.sin(phi) / (2 * 2**e),
                "with $\\mathrm{ulp}(x) = 2^{e-p+1}$, $e = \\lfloor \\log_2 |x| \\rfloor$, the moves measured in "
                "cells depend on $\\theta$ only through $t = \\theta\\, 2^{p}$: one law for every format, scaled "
                "by $2^{-p}$")
    pr.identity(sp.cos(sp.pi / 2 - phi, evaluate=False), sp.sin(phi),
                "$P(\\pi/2 - \\varphi) = P(\\varphi)$: the cosine and the sine swap, so $P$ has period $\\pi/2$")
    low, high = _wall_bracket()
    pr.numeric(sp.And(sp.StrictGreaterThan(_phase_average(low), sp.Rational(1, 2), evaluate=False),
                      sp.StrictLessThan(_phase_average(high), sp.Rational(1, 2), evaluate=False)),
               "numerical fact, evaluated by the kernel (mpmath, 20 digits, with an error bound): the phase average "
               "$F(t) = \\frac{2}{\\pi}\\int_0^{\\pi/2} P\\, d\\varphi$ (with $t = \\theta\\, 2^{p}$) is "
               "continuous and decreasing in $t$, above $1/2$ at the lower end of the bracket and below it at "
               "the upper end: it crosses $1/2$ at $t = c = 0.1888994$ to 7 digits",
               dps=20, shown=(f"F({low}) > 1/2 > F({high})",
                              rf"F\left({sp.latex(low)}\right) > \tfrac{{1}}{{2}} > F\left({sp.latex(high)}\right)"))
    s = pr.given(defined)
    pr.rewrite(s, sp.Eq(wall, c / 2 * eps_mach),
               "with $\\varepsilon_{\\mathrm{mach}} = 2^{1-p}$: the wall is $c/2 = 0.0944$ of "
               "$\\varepsilon_{\\mathrm{mach}}$, not $\\varepsilon_{\\mathrm{mach}}$ itself",
               shown=("theta* = (c/2) eps_mach", r"\theta^{*} = \frac{c}{2}\, \varepsilon_{\mathrm{mach}}"))
    return pr.done(notes=("bf16 $\\theta^{*} = 7.38 \\times 10^{-4}$, fp16 $9.22 \\times 10^{-5}$, fp32 "
                          "$1.13 \\times 10^{-8}$; the erasure-law-cast check compares the law with exact scans on "
                          "144 settings: the erased-pair counts agree in every one",))


@lru_cache(maxsize=1)
def slow_pairs() -> Derivation:
    """The slow regime: sines with relative precision, erasure by position."""
    cell = 2 ** (e - p_bits + 1)
    pr = Proof("slow_pairs", "Slow pairs: erasure depends on the window")
    pr.hypothesis(sp.StrictLessThan(m * theta, 1), "the pair's phase $m\\theta$ stays far below 1 over the window "
                  "(and its sines in the normal range)", side_condition=True)
    early = pr.hypothesis(sp.StrictLessThan(m, 2 ** (p_bits - 1)), "a position below $2^{p-1}$")
    pr.series(sp.sin(m * theta), m * theta, theta, 2, "while $m\\theta \\ll 1$ the sine is $m\\theta$ to first "
              "order: it has relative precision")
    pr.identity(theta / cell, theta * 2 ** (p_bits - 1) / 2**e,
                "its cell is $2^{e-p+1}$ with $e = \\lfloor \\log_2 \\sin(m\\theta) \\rfloor$, so $2^{e} \\leq "
                "m\\theta$ and the move $\\theta$ spans at least $2^{p-1}/m$ cells")
    s = pr.given(early)
    pr.monotone(s, sp.StrictGreaterThan(2 ** (p_bits - 1) / m, 1), 2 ** (p_bits - 1) / u, u, POSITIVE, False,
                "the map $u \\mapsto 2^{p-1}/u$ is strictly decreasing on $(0, \\infty)$: below $m = 2^{p-1}$ "
                "the move spans more than one cell, and the sine changes at every step, whatever $\\theta$")
    pr.limit(2 ** (p_bits - 1) / m, m, sp.oo, sp.Integer(0),
             "far out the move spans ever fewer cells: erasure grows with the position, not with $1/\\theta$",
             remark=True)
    return pr.done(notes=("the smallest context over which any pair can be erased is about $2^{p+2}$: bf16 1024 "
                          "(scans: about 1000), fp16 8184, fp32 $6.7 \\times 10^{7}$",))


def _first_merges() -> sp.Basic:
    """``round_p(2^p + 1) = 2^p`` and ``round_p(2^p) = 2^p`` for bf16, fp16 and fp32 (``p`` = 8, 11, 24)."""
    facts = []
    for bits in (8, 11, 24):
        power = sp.Integer(2) ** bits
        facts += [sp.Eq(rounded(power + 1, bits), power, evaluate=False),
                  sp.Eq(rounded(power, bits), power, evaluate=False)]
    return sp.And(*facts)


@lru_cache(maxsize=1)
def position_merges() -> Derivation:
    """Positions stored in the dtype: where they merge."""
    spacing = 2 ** (k - p_bits + 1)
    pr = Proof("position_merges", "Position level: stored positions merge")
    pr.hypothesis(sp.GreaterThan(k, p_bits), "positions are stored with $p$ significant bits (the native "
                  "pipeline: bf16 $p = 8$, fp16 $p = 11$); the window is $[L, 2L)$ with $L = 2^{k} \\geq 2^{p}$")
    counted = pr.hypothesis(sp.Eq(merged, (L - 1 - 2 ** (p_bits - 1)) / (L - 1)),
                            "the merged fraction counts the $L - 1$ steps of the window less the $2^{p-1}$ that "
                            "change the stored position")
    pr.identity((2 ** (k + 1) - 2**k) / spacing, 2 ** (p_bits - 1),
                "the binade $[2^{k}, 2^{k+1})$ holds $2^{p-1}$ values, spaced $2^{k-p+1}$ apart")
    pr.numeric(_first_merges(),
               "numerical fact, evaluated exactly by the kernel (bf16, fp16, fp32): integers are exact up to "
               "$2^{p}$, and $2^{p} + 1$ is a tie that rounds to the even $2^{p}$: the first merged position",
               shown=("round_p(2^p + 1) = 2^p for p = 8, 11, 24",
                      r"\mathrm{round}_p(2^{p} + 1) = 2^{p} \quad (p = 8, 11, 24)"))
    s = pr.given(counted)
    pr.rewrite(s, sp.Eq(merged, 1 - 2 ** (p_bits - 1) / (L - 1)), "so the window merges a fraction "
               "$1 - 2^{p-1}/(L-1)$ of its steps", shown=("f = 1 - 2^(p-1)/(L-1)", r"f = 1 - \frac{2^{p-1}}{L-1}"))
    pr.limit(L**2 * ((1 - 2 ** (p_bits - 1) / (L - 1)) - (1 - 2 ** (p_bits - 1) / L)), L, sp.oo,
             -(2 ** (p_bits - 1)), "which is $1 - 2^{p-1}/L$ up to $O(2^{p-1}/L^{2})$", remark=True)
    return pr.done(notes=("bf16 keeps $2^{8} + 1 = 257$ positions distinct, fp16 2049 (and fp16 positions from "
                          "65520 on are infinite); over $[0, 2048)$ bf16 stores 641 distinct positions",))
