"""Erasure laws: what a scan will measure, predicted without one.

**The cast level** (a pair's stored ``cos``/``sin`` rounded to a format of ``p`` significant bits, phases exact
or fp32). One step ``m -> m+1`` moves pair ``i``'s point ``(cos phi, sin phi)``, ``phi = m theta``, by
``theta |sin phi|`` along the cosine and ``theta |cos phi|`` along the sine. A coordinate ``x`` whose rounding
grid has spacing ``ulp(x) = 2^(max(floor(log2 |x|), emin) - p + 1)`` keeps its rounded value over a move
``delta`` with probability ``q(delta / ulp(x))``, ``q(r) = max(0, 1 - r)``, when its offset in the grid is
uniformly distributed. Both coordinates unchanged (independent offsets):

    P(phi) = q(theta |sin phi| / ulp(cos phi)) * q(theta |cos phi| / ulp(sin phi)),

and the expected fraction of unchanged steps over a window of positions ``[start, end)`` is the phase average

    E = 1 / (phi_1 - phi_0) * integral_{phi_0}^{phi_1} P(phi) dphi,   phi_0 = start theta, phi_1 = (end - 1) theta.

``P`` has period ``pi / 2`` and ``P(pi/2 - phi) = P(phi)`` (cosine and sine swap). Two regimes follow:

- *phase-averaged* (the pair wraps many times in the window): ``E = F(t)``, a function of ``t = theta 2^p``
  alone (the ``2^(1-p)`` of the ulp factors out away from the subnormals), decreasing from 1; a pair is erased
  (``E > 1/2``) when ``theta < theta* = c 2^-p`` with ``c = F^{-1}(1/2) = 0.18889...`` (``wall_constant``:
  computed with mpmath on the exact breakpoints), i.e. about ``0.094 eps_mach``, not ``eps_mach``;
- *slow* (``phi`` stays small over the window): ``sin phi ~ phi`` has relative precision, so the sine changes at
  every step while ``m <~ 2^(p-1)`` and ever more rarely after: ``E`` depends on the window, not on ``theta``
  (``slow_pair_fraction``), and no pair is erased over a context shorter than ``smallest_erasing_context``.

**The position level** (positions stored in the dtype, the ``native`` pipeline): every value of the pipeline is
a function of the stored position ``round(m, F_pos)``, so a step whose stored position does not move leaves every
pair unchanged. Integers are exact up to ``2^p`` (bf16: 256, fp16: 2048); above, ``[2^k, 2^(k+1))`` holds
``2^(p-1)`` stored values, and a window ``[L, 2L)`` (``L = 2^k >= 2^p``) merges a fraction ``1 - 2^(p-1)/L`` of
its steps (``position_merges``).

**The rotated level** (a query ``x`` rotated with the stored cos/sin, every product and sum rounded): pair ``i``
of ``x`` is a point of radius ``rho = |(x_i, x_{i+n})|`` at angle ``alpha``, and the rotated pair is that point
turned by ``phi``; the same law applies with ``(cos phi, sin phi)`` replaced by ``rho (cos(phi + alpha),
sin(phi + alpha))`` (``rotated_fraction``).

References: Liu 2026, "Rotary Positional Embeddings as Phase Modulation" (the precision wall
``theta_min > eps_mach`` these laws replace); Higham, "Accuracy and Stability of Numerical Algorithms", ch. 2
(the floating-point model).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from itertools import pairwise

import numpy as np
from numpy.typing import ArrayLike, NDArray

from rope_sym.erasure.report import ERASED_FRACTION
from rope_sym.formats import FloatFormat, get_format

Array = NDArray[np.float64]

QUARTER = math.pi / 2
"""The period of ``P``."""

GRID_POINTS = 4096
"""Quadrature points per quarter period on each of the uniform and the geometric grids."""


def _ulp(x: Array, fmt: FloatFormat) -> Array:
    """Spacing of ``fmt``'s values at ``|x|`` (its subnormal quantum below ``2^emin``); ``x = 0`` gives the
    subnormal quantum."""
    with np.errstate(divide="ignore"):
        e = np.floor(np.log2(np.abs(x)))
    e = np.maximum(e, fmt.emin)
    return np.exp2(e - fmt.precision + 1)


def _keep(r: Array) -> Array:
    """``q(r) = max(0, 1 - r)``: the probability that a uniformly placed value stays in its rounding cell over a
    move of ``r`` cells."""
    return np.maximum(0.0, 1.0 - r)


def unchanged_probability(phi: ArrayLike, theta: float, fmt: FloatFormat | str, radius: float = 1.0) -> Array:
    """``P(phi)``: the probability that a step of ``theta`` from phase ``phi`` leaves both rounded coordinates of
    ``radius (cos phi, sin phi)`` unchanged in ``fmt``."""
    f = get_format(fmt)
    p = np.asarray(phi, dtype=np.float64)
    c, s = radius * np.abs(np.cos(p)), radius * np.abs(np.sin(p))
    move = radius * theta
    return _keep(move * s / _ulp(c, f)) * _keep(move * c / _ulp(s, f))


def _grid(theta: float, fmt: FloatFormat, radius: float) -> Array:
    """Quadrature nodes on ``[0, pi/4]``: uniform, plus geometric down to where ``P`` vanishes (near ``phi = 0``
    the sine's cells shrink with ``phi``: ``P = 0`` below ``phi ~ theta 2^(p-2)``)."""
    lowest = max(theta * 2.0 ** (fmt.precision - 3), 2.0 ** (fmt.emin - fmt.precision) / radius, 1e-300)
    uniform = np.linspace(0.0, QUARTER / 2, GRID_POINTS)
    nodes = [uniform]
    if lowest < QUARTER / 2:
        nodes.append(np.geomspace(lowest, QUARTER / 2, GRID_POINTS))
    return np.unique(np.concatenate(nodes))


@dataclass(frozen=True)
class _Cumulative:
    """``G(x) = integral_0^x P`` on ``[0, pi/2]`` by the trapezoid rule on ``_grid``, mirrored."""

    nodes: Array
    values: Array

    @property
    def quarter(self) -> float:
        return 2.0 * float(self.values[-1])

    def at(self, x: Array) -> Array:
        """``G`` at ``x`` in ``[0, pi/2]`` (``G(pi/2 - y) = G(pi/2) - G(y)`` by the mirror symmetry)."""
        lower = x <= QUARTER / 2
        y = np.where(lower, x, QUARTER - x)
        g = np.interp(y, self.nodes, self.values)
        return np.where(lower, g, self.quarter - g)

    def integral(self, a: Array, b: Array) -> Array:
        """``integral_a^b P`` for ``0 <= a <= b`` (any number of periods)."""
        ka, kb = np.floor(a / QUARTER), np.floor(b / QUARTER)
        return (kb - ka) * self.quarter + self.at(b - kb * QUARTER) - self.at(a - ka * QUARTER)


def _cumulative(theta: float, fmt: FloatFormat, radius: float) -> _Cumulative:
    nodes = _grid(theta, fmt, radius)
    p = unchanged_probability(nodes, theta, fmt, radius)
    steps = np.diff(nodes) * (p[1:] + p[:-1]) / 2
    return _Cumulative(nodes, np.concatenate([[0.0], np.cumsum(steps)]))


def cast_fraction(theta: ArrayLike, fmt: FloatFormat | str, start: int, end: int, *, radius: ArrayLike = 1.0,
                  offset: ArrayLike = 0.0) -> Array:
    """``E``: the expected fraction of unchanged steps between positions ``start .. end-1`` for each frequency
    ``theta`` (a point of ``radius`` at angle ``offset + m theta``, default the stored cos/sin themselves)."""
    f = get_format(fmt)
    thetas = np.atleast_1d(np.asarray(theta, dtype=np.float64))
    radii = np.broadcast_to(np.asarray(radius, dtype=np.float64), thetas.shape)
    offsets = np.broadcast_to(np.asarray(offset, dtype=np.float64), thetas.shape)
    out = np.empty(thetas.shape)
    for k, (th, rho, off) in enumerate(zip(thetas, radii, offsets)):
        g = _cumulative(float(th), f, float(rho))
        # the phase of position m is off + m th; P depends on the angle modulo pi/2 only
        a = (off % QUARTER) + start * th
        b = (off % QUARTER) + (end - 1) * th
        out[k] = float(g.integral(np.array(a), np.array(b))) / (b - a)
    return out


def phase_averaged_fraction(t: float, fmt: FloatFormat | str = "bf16") -> float:
    """``F(t)``: ``E`` of a pair with ``theta = t 2^-p`` over whole periods (numerical; see ``wall_constant``)."""
    f = get_format(fmt)
    g = _cumulative(t * 2.0 ** -f.precision, f, 1.0)
    return g.quarter / QUARTER


@lru_cache(maxsize=4)
def wall_constant(dps: int = 20) -> float:
    """``c`` with ``F(c) = 1/2``: the cast-level wall is ``theta* = c 2^-p`` (``p`` significant bits).

    ``F(t) = (2/pi) integral_0^{pi/2} q(t sin phi / (2 u(cos phi))) q(t cos phi / (2 u(sin phi))) dphi`` with
    ``u(x) = 2^floor(log2 x)``, integrated by mpmath at ``dps`` digits piece by piece between the exact
    breakpoints (the binade edges ``cos phi = 2^-k``, ``sin phi = 2^-k`` and the zeros of each ``q``), then
    solved for ``F(c) = 1/2`` by bisection. Normal range only (``p`` large enough that subnormals play no
    part: every format here). ``c = 0.188899...``.
    """
    import mpmath

    with mpmath.workdps(dps):
        half_pi = mpmath.pi / 2

        def integrand(phi: mpmath.mpf, t: mpmath.mpf) -> mpmath.mpf:
            c, s = mpmath.cos(phi), mpmath.sin(phi)
            if c <= 0 or s <= 0:
                return mpmath.mpf(0)
            uc = mpmath.mpf(2) ** mpmath.floor(mpmath.log(c, 2))
            us = mpmath.mpf(2) ** mpmath.floor(mpmath.log(s, 2))
            return max(0, 1 - t * s / (2 * uc)) * max(0, 1 - t * c / (2 * us))

        def breakpoints(t: mpmath.mpf) -> list[mpmath.mpf]:
            # below 2^-k < t/4 a binade contributes nothing: there q(t sin / 2u) or q(t cos / 2u) is 0
            points = {mpmath.mpf(0), half_pi}
            k = 1
            while mpmath.mpf(2) ** -k >= t / 8:
                edge = mpmath.mpf(2) ** -k
                points.update({mpmath.acos(edge), mpmath.asin(edge)})
                # zeros of q: sin phi = 2 u / t on a cos binade, cos phi = 2 u / t on a sin binade
                ratio = 2 * edge / t
                if ratio < 1:
                    points.update({mpmath.asin(ratio), mpmath.acos(ratio)})
                k += 1
            return sorted(points)

        def excess(t: mpmath.mpf) -> mpmath.mpf:
            nodes = breakpoints(t)
            total = mpmath.fsum(mpmath.quad(lambda x: integrand(x, t), [a, b]) for a, b in pairwise(nodes) if b > a)
            return total / half_pi - mpmath.mpf(ERASED_FRACTION)

        # F is smooth and decreasing near its crossing: the secant method from a bracket converges in a few steps
        root = mpmath.findroot(excess, (mpmath.mpf("0.18"), mpmath.mpf("0.2")), solver="secant",
                               tol=mpmath.mpf(10) ** (-dps + 5))
        return float(root)


def wall_theta(fmt: FloatFormat | str) -> float:
    """The cast-level wall ``theta* = c 2^-p`` of a format (bf16: 7.38e-4, fp16: 9.22e-5, fp32: 1.13e-8)."""
    return wall_constant() * 2.0 ** -get_format(fmt).precision


def erased_by_law(fractions: ArrayLike) -> NDArray[np.bool_]:
    """Pairs a law's fractions call erased (``> ERASED_FRACTION``, as the scan does)."""
    return np.asarray(fractions, dtype=np.float64) > ERASED_FRACTION


def slow_pair_fraction(fmt: FloatFormat | str, start: int, end: int) -> float:
    """``E`` of a pair so slow that its phase stays far below 1 over the window (the ``theta -> 0`` limit): the
    sine alone decides, ``E = mean over m of q(2^(p-1) r(m) / m)`` with ``r(m) in [1, 2)`` the sine's position in
    its binade; independent of ``theta``."""
    f = get_format(fmt)
    # slow, yet with every sine in the normal range (fp16's subnormal sines have a fixed, coarser cell)
    theta = 2.0 ** (f.emin - f.precision + 4)
    return float(cast_fraction(theta, f, start, end)[0])


def smallest_erasing_context(fmt: FloatFormat | str) -> int:
    """The smallest context ``L`` over which the slowest possible pair is erased (``E > 1/2`` on ``[0, L)``):
    below it no pair of any base is erased at the cast level."""
    lo, hi = 2, 2
    while slow_pair_fraction(fmt, 0, hi) <= ERASED_FRACTION:
        lo, hi = hi, hi * 2
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if slow_pair_fraction(fmt, 0, mid) > ERASED_FRACTION:
            hi = mid
        else:
            lo = mid
    return hi


# ------------------------------------------------------------------------------------------- position level


def _ordinal(v: float, fmt: FloatFormat) -> int:
    """The rank of a positive normal value among ``fmt``'s values (up to a constant): ``k 2^(p-1) + j`` for
    ``v = (2^(p-1) + j) 2^(k-p+1)``."""
    k = math.floor(math.log2(v))
    return k * 2 ** (fmt.precision - 1) + int(v / 2.0 ** (k - fmt.precision + 1)) - 2 ** (fmt.precision - 1)


def stored_position_count(fmt: FloatFormat | str, end: int, start: int = 0) -> int:
    """Distinct stored positions ``round(m, fmt)`` over the integers ``m`` in ``[start, end)``, exactly.

    Rounding is monotone, so these are the values between ``round(start)`` and ``round(end - 1)`` that some
    integer rounds to: every integer up to ``2^p`` (all exact), and above ``2^p`` every value of the format (each
    is an integer, the round of itself); ``inf`` (fp16 from 65520 on) counts once.
    """
    f = get_format(fmt)
    from rope_sym.formats import round_to

    lo, hi = float(round_to(float(start), f)), float(round_to(float(end - 1), f))
    infinite = not math.isfinite(hi)
    top = f.max if infinite else hi
    exact = 2.0 ** f.precision
    count = int(min(top, exact) - lo) + 1 if lo <= exact else 0
    if top > exact:
        bottom = max(lo, exact)
        count += _ordinal(top, f) - _ordinal(bottom, f) + (0 if lo <= exact else 1)
    return count + int(infinite)


@dataclass(frozen=True)
class PositionMerges:
    """The position level over a window: ``distinct`` stored positions, ``merged_steps`` of the window's
    ``steps`` that leave the stored position (so every pair) unchanged, and ``exact_up_to`` (``2^p``: every
    integer position up to it is stored exactly)."""

    distinct: int
    steps: int
    merged_steps: int
    exact_up_to: int

    @property
    def merged_fraction(self) -> float:
        return self.merged_steps / self.steps


def position_merges(fmt: FloatFormat | str, start: int, end: int) -> PositionMerges:
    """Which steps of the window ``[start, end)`` merge positions when positions are stored in ``fmt``."""
    f = get_format(fmt)
    distinct = stored_position_count(f, end, start)
    steps = end - start - 1
    return PositionMerges(distinct, steps, steps - (distinct - 1), 2 ** f.precision)
