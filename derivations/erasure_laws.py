"""Derivations 8-10, the erasure laws that replace the paper's precision wall (``rope_sym.erasure.laws``).

- ``cast_wall``: a pair's stored cos/sin, rounded to ``p`` significant bits, keep their value over a one-token
  step with probability ``P = q(theta |sin phi| / ulp(cos phi)) q(theta |cos phi| / ulp(sin phi))``; the phase
  average depends on ``t = theta 2^p`` only, and crosses one half at ``t = c``: the wall is
  ``theta* = c 2^-p = (c/2) eps_mach``, ``c = 0.188899...``.
- ``slow_pairs``: while the phase stays small, the sine has relative precision and changes at every step up to
  ``m = 2^(p-1)``, so a slow pair's erasure depends on the window, not on ``theta``.
- ``position_merges``: positions stored with ``p`` bits are exact up to ``2^p``; a binade holds ``2^(p-1)``
  values, so a window ``[L, 2L)`` (``L = 2^k >= 2^p``) merges ``1 - 2^(p-1)/(L-1)`` of its steps.

Numerical facts (the constant ``c``, the first merged position) are steps too, checked by mpmath and the gmpy2
oracle rather than by SymPy.
"""

from __future__ import annotations

from functools import lru_cache

import sympy as sp

from derivations.model import Derivation, Step, asymptotic, equality, limit, sign
from derivations.symbols import L

theta = sp.Symbol("theta", positive=True)       # a pair's frequency (rad/token)
phi = sp.Symbol("phi", positive=True)           # its phase m theta
p = sp.Symbol("p", positive=True, integer=True)  # significant bits of the format
e = sp.Symbol("e", integer=True)                # floor(log2 |x|) of a coordinate
h = sp.Symbol("h", positive=True)               # a rounding cell
delta = sp.Symbol("delta", nonnegative=True)    # a move, 0 <= delta <= h
U = sp.Symbol("U", nonnegative=True)            # the value's offset in its cell
m = sp.Symbol("m", positive=True)               # a position
c = sp.Symbol("c", positive=True)               # the wall constant
k = sp.Symbol("k", positive=True, integer=True)  # a binade exponent


def _wall_constant_check() -> bool:
    from rope_sym.erasure.laws import WALL_CONSTANT, phase_averaged_fraction, wall_constant

    c30 = wall_constant(30)
    return abs(c30 - WALL_CONSTANT) < 5e-7 and phase_averaged_fraction(c30 * 0.99) > 0.5 > phase_averaged_fraction(
        c30 * 1.01)


@lru_cache(maxsize=1)
def cast_wall() -> Derivation:
    """The cast-level law and its wall constant, checked step by step."""
    ulp = 2 ** (e - p + 1)
    t = theta * 2**p
    steps = (
        asymptotic(sp.cos(phi + theta) - sp.cos(phi), -theta * sp.sin(phi), theta, 2,
                   "one step moves the cosine by -theta sin(phi) to first order"),
        asymptotic(sp.sin(phi + theta) - sp.sin(phi), theta * sp.cos(phi), theta, 2,
                   "and the sine by theta cos(phi)"),
        equality(sp.integrate(1, (U, 0, h - delta)) / h, 1 - delta / h,
                 "a value placed uniformly in its cell of width h stays in it over a move delta <= h with "
                 "probability q(delta/h) = 1 - delta/h (and 0 for delta > h)"),
        equality(theta * sp.sin(phi) / ulp, t * sp.sin(phi) / (2 * 2**e),
                 "with ulp(x) = 2^(e-p+1), e = floor(log2 |x|), the moves in cells depend on theta only through "
                 "t = theta 2^p: the law is the same for every format, scaled by 2^-p"),
        equality(sp.cos(sp.pi / 2 - phi, evaluate=False), sp.sin(phi),
                 "P(pi/2 - phi) = P(phi): cosine and sine swap, so P has period pi/2 and is symmetric on it"),
        Step(sp.Eq(sp.Symbol("c"), sp.Float("0.1888994", 7), evaluate=False),
             "F(t) = (2/pi) int_0^{pi/2} P dphi crosses 1/2 at t = c: mpmath at 30 digits, piecewise between the "
             "exact breakpoints (binade edges and the zeros of q), solved by the secant method",
             _wall_constant_check),
        equality(c * 2 ** (-p) / 2 ** (1 - p), c / 2,
                 "so theta* = c 2^-p is c/2 = 0.0944 of eps_mach = 2^(1-p), not eps_mach itself"),
    )
    return Derivation(
        "cast_wall", "Cast-level wall: the law of erased pairs",
        ("cos and sin rounded to p significant bits (normal range), phases exact or fp32",
         "offsets within the rounding cells uniform and independent; the pair's phase spread over whole periods",
         "a pair is erased when more than half its one-token steps keep its code"),
        steps, sp.StrictLessThan(theta, c * 2 ** (-p)), sp.StrictLessThan(theta, 2 ** (1 - p)),
        (("law wall / paper wall", c / 2),),
        ("bf16 theta* = 7.38e-4, fp16 9.22e-5, fp32 1.13e-8; measured walls of the hf pipeline sit at 0.08-0.09 "
         "eps_mach (checks erasure-law-cast, erasure-bf16)",))


@lru_cache(maxsize=1)
def slow_pairs() -> Derivation:
    """The slow regime: sines with relative precision, erasure by position."""
    cell = 2 ** (e - p + 1)
    steps = (
        asymptotic(sp.sin(m * theta), m * theta, theta, 2, "while m theta << 1 the sine is m theta to first order"),
        equality(theta / (2 ** (-p + 1) * m * theta), 2 ** (p - 1) / m,
                 "its cell is about 2^(1-p) m theta (relative precision): the move theta spans 2^(p-1)/m cells",
                 shown=("theta / (2^(1-p) m theta) = 2^(p-1)/m",
                        r"\frac{\theta}{2^{1-p}\, m\, \theta} = \frac{2^{p-1}}{m}")),
        sign(2 ** (p - 1) / m - 1, "for m < 2^(p-1) the move spans more than one cell: the sine changes at every "
             "step, whatever theta", subs={m: 2 ** (p - 1) / (1 + sp.Symbol("w", positive=True))}),
        limit(2 ** (p - 1) / m, m, sp.oo, sp.Integer(0), "far out the move spans ever fewer cells: the sine "
              "rarely changes, so erasure grows with the position, not with 1/theta"),
        equality(theta / cell, theta * 2 ** (p - 1) / 2**e,
                 "exactly, with e = floor(log2 sin(m theta)): q(theta 2^(p-1) / 2^e) per step"),
    )
    return Derivation(
        "slow_pairs", "Slow pairs: erasure depends on the window",
        ("a pair whose phase m theta stays far below 1 over the window", "sines in the format's normal range"),
        steps, sp.Eq(sp.Symbol("E_slow"), sp.Function("S_p")(sp.Symbol("start"), sp.Symbol("end")),
                     evaluate=False),
        None, (),
        ("the smallest context over which any pair can be erased is about 2^(p+2): bf16 1025 (scans: ~1000), "
         "fp16 8193, fp32 6.7e7 (rope_sym.erasure.laws.smallest_erasing_context)",))


def _first_merge_check() -> bool:
    from rope_sym.formats import oracle_round

    return all(oracle_round(float(2**bits + 1), fmt) == 2.0**bits and oracle_round(float(2**bits), fmt) == 2.0**bits
               for fmt, bits in (("bf16", 8), ("fp16", 11), ("fp32", 24)))


@lru_cache(maxsize=1)
def position_merges() -> Derivation:
    """Positions stored in the dtype: where they merge."""
    spacing = 2 ** (k - p + 1)
    merged = (L - 1 - 2 ** (p - 1)) / (L - 1)
    steps = (
        equality((2 ** (k + 1) - 2**k) / spacing, 2 ** (p - 1),
                 "the binade [2^k, 2^(k+1)) holds 2^(p-1) values of spacing 2^(k-p+1)"),
        Step(sp.Eq(sp.Symbol("round_p(2^p + 1)"), sp.Symbol("2^p"), evaluate=False),
             "integers are exact up to 2^p; 2^p + 1 is a tie and rounds to the even 2^p (gmpy2 oracle, bf16 p = 8, "
             "fp16 p = 11, fp32 p = 24): the first merged position", _first_merge_check),
        equality(merged, 1 - 2 ** (p - 1) / (L - 1),
                 "a window [L, 2L), L = 2^k >= 2^p: L - 1 steps, 2^(p-1) changes of the stored position"),
        limit(L**2 * ((1 - 2 ** (p - 1) / (L - 1)) - (1 - 2 ** (p - 1) / L)), L, sp.oo, -(2 ** (p - 1)),
              "which is 1 - 2^(p-1)/L up to O(2^(p-1)/L^2)"),
    )
    return Derivation(
        "position_merges", "Position level: stored positions merge",
        ("positions stored with p significant bits (the native pipeline: bf16 p = 8, fp16 p = 11)",),
        steps, sp.Eq(sp.Symbol("L_max,position"), 2**p + 1, evaluate=False), None, (),
        ("bf16 keeps 257 positions distinct, fp16 2049 (and fp16 positions >= 65520 are inf); over [0, 2048) bf16 "
         "stores 641 distinct positions",))
