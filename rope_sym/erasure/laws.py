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

from rope_sym.erasure.thresholds import ERASED_FRACTION
from rope_sym.erasure.thresholds import WALL_CONSTANT as WALL_CONSTANT  # re-exported: the laws' public names
from rope_sym.erasure.thresholds import wall_theta as wall_theta
from rope_sym.errors import InvalidRopeSpec
from rope_sym.formats import FloatFormat, get_format

Array = NDArray[np.float64]

QUARTER = math.pi / 2
"""The period of ``P``."""

GRID_POINTS = 1024
"""Quadrature points of the cast law per pair on each of its uniform and geometric grids (on ``[0, pi/4]``); the
rotated law takes half as many uniform points on ``[0, pi]`` plus geometric ones around its singular angles.
Halving it (from 2048) moves the fractions by about 2e-4, far below the laws' own error."""


def _ulp(x: Array, fmt: FloatFormat) -> Array:
    """Spacing of ``fmt``'s values at ``|x|``: ``2^(max(floor(log2 |x|), emin) - p + 1)`` (the subnormal quantum
    below ``2^emin`` and at 0)."""
    _, exponent = np.frexp(x)  # x = m 2^exponent with |m| in [1/2, 1): floor(log2 |x|) = exponent - 1
    exponent = np.where(x == 0, fmt.emin, np.maximum(exponent - 1, fmt.emin))
    return np.ldexp(1.0, exponent - fmt.precision + 1)


def _keep(r: Array) -> Array:
    """``q(r) = max(0, 1 - r)``: the probability that a uniformly placed value stays in its rounding cell over a
    move of ``r`` cells."""
    return np.maximum(0.0, 1.0 - r)


def unchanged_probability(phi: ArrayLike, theta: ArrayLike, fmt: FloatFormat | str) -> Array:
    """``P(phi)``: the probability that a step of ``theta`` from phase ``phi`` leaves both rounded coordinates
    ``(cos phi, sin phi)`` unchanged in ``fmt`` (broadcasting ``phi`` against ``theta``)."""
    f = get_format(fmt)
    p = np.asarray(phi, dtype=np.float64)
    c, s = np.abs(np.cos(p)), np.abs(np.sin(p))
    move = np.asarray(theta, dtype=np.float64)
    return _keep(move * s / _ulp(c, f)) * _keep(move * c / _ulp(s, f))


def _trapezoid(nodes: Array, values: Array) -> Array:
    """Cumulative trapezoid integrals along the last axis, starting at 0."""
    steps = np.diff(nodes, axis=-1) * (values[..., 1:] + values[..., :-1]) / 2
    return np.concatenate([np.zeros((*nodes.shape[:-1], 1)), np.cumsum(steps, axis=-1)], axis=-1)


def _cast_cumulatives(frequencies: Array, fmt: FloatFormat, reach: Array | None = None) -> tuple[Array, Array]:
    """Per pair (rows), ``G(x) = integral_0^x P`` on ``[0, pi/4]``: nodes uniform plus geometric from where ``P``
    vanishes (near ``phi = 0`` the sine's cells shrink with ``phi``; ``P = 0`` below ``theta 2^(p-1)``) up to
    ``reach`` (the largest phase the window needs, default ``pi/4``), so that slow pairs get their binades
    resolved."""
    eighth = QUARTER / 2
    lowest = np.clip(frequencies * 2.0 ** (fmt.precision - 3), 1e-300, eighth / 2)
    top = np.full_like(frequencies, eighth) if reach is None else np.clip(reach, 2 * lowest, eighth)
    ramp = np.linspace(0.0, 1.0, GRID_POINTS)
    geometric = lowest[:, None] * (top / lowest)[:, None] ** ramp[None, :]
    uniform = np.broadcast_to(ramp * eighth, geometric.shape)
    nodes = np.sort(np.concatenate([uniform, geometric], axis=1), axis=1)
    return nodes, _trapezoid(nodes, unchanged_probability(nodes, frequencies[:, None], fmt))


def _mirrored_integral(nodes: Array, values: Array, a: float, b: float) -> float:
    """``integral_a^b P`` (``0 <= a <= b``) from ``G`` on ``[0, pi/4]``: ``P`` has period ``pi/2`` and
    ``P(pi/2 - phi) = P(phi)``, so ``G(pi/2 - y) = G(pi/2) - G(y)``."""
    quarter = 2.0 * float(values[-1])

    def G(x: float) -> float:
        k = math.floor(x / QUARTER)
        y = x - k * QUARTER
        inner = float(np.interp(min(y, QUARTER - y), nodes, values))
        return k * quarter + (inner if y <= QUARTER / 2 else quarter - inner)

    return G(b) - G(a)


def cast_fraction(theta: ArrayLike, fmt: FloatFormat | str, start: int, end: int) -> Array:
    """``E``: per frequency ``theta``, the expected fraction of unchanged steps between positions
    ``start .. end-1`` (the phase average of ``P`` over ``[start theta, (end - 1) theta]``)."""
    f = get_format(fmt)
    if end - start < 2:
        raise InvalidRopeSpec(f"a window needs at least two positions, got {start}:{end}")
    frequencies = np.atleast_1d(np.asarray(theta, dtype=np.float64))
    nodes, values = _cast_cumulatives(frequencies, f, reach=(end - 1) * frequencies)
    out = np.empty(frequencies.shape)
    for k, th in enumerate(frequencies):
        a, b = start * float(th), (end - 1) * float(th)
        # a frequency of 0 (an fp16 inv_freq buffer underflows below 2^-24) never moves the phase: every step
        # leaves the pair unchanged, E = 1
        out[k] = 1.0 if b == a else _mirrored_integral(nodes[k], values[k], a, b) / (b - a)
    return out


def phase_averaged_fraction(t: float, fmt: FloatFormat | str = "bf16") -> float:
    """``F(t)``: ``E`` of a pair with ``theta = t 2^-p`` over whole periods (numerical; see ``wall_constant``)."""
    f = get_format(fmt)
    _, values = _cast_cumulatives(np.array([t * 2.0 ** -f.precision]), f)
    return 2.0 * float(values[0, -1]) / QUARTER


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


# ------------------------------------------------------------------------------------------- rotated level


def _moved(jump: Array, cell: Array) -> tuple[Array, Array]:
    """A value moved by ``jump`` on a grid of spacing ``cell`` (uniform offset): the probability its rounded
    value changes, ``min(1, |jump| / cell)``, and the change when it does (one cell, or the jump itself when
    longer)."""
    r = np.abs(jump) / cell
    return np.minimum(1.0, r), np.sign(jump) * cell * np.maximum(1.0, r)


def _sum_kept(a1: Array, j1: Array, a2: Array, j2: Array, sign: float, cell: Array) -> Array:
    """The probability that ``round(p1 + sign p2)`` keeps its value when ``p1`` changes by ``j1`` with
    probability ``a1`` and ``p2`` by ``j2`` with probability ``a2`` (independently)."""
    return ((1 - a1) * (1 - a2) + a1 * (1 - a2) * _keep(np.abs(j1) / cell)
            + (1 - a1) * a2 * _keep(np.abs(sign * j2) / cell) + a1 * a2 * _keep(np.abs(j1 + sign * j2) / cell))


def rotated_unchanged_probability(phi: ArrayLike, theta: ArrayLike, x1: ArrayLike, x2: ArrayLike,
                                  fmt: FloatFormat | str) -> Array:
    """The probability that a step of ``theta`` from phase ``phi`` leaves the rotated pair
    ``(round(round(x1 c) - round(x2 s)), round(round(x2 c) + round(x1 s)))`` unchanged, ``c``/``s`` the stored
    cos/sin (eager arithmetic in ``fmt``, as ``rope_sym.pipelines.rotate``); arguments broadcast.

    The rotated values are functions of the stored codes: a step that keeps both codes keeps them. The cosine's
    code changes with probability ``a_c = min(1, theta |sin phi| / ulp(cos phi))``, by one cell (or by the move
    itself when longer), the sine's likewise; each product ``x_j c`` moves by ``x_j`` times that change and is
    rounded on its own grid (``ulp(x_j cos phi)``), and each sum on the output's grid (``ulp(x1 cos phi - x2 sin
    phi)``, ...). The four events (neither code, cosine only, sine only, both) are summed with their
    probabilities, every rounding offset taken as uniform and independent.
    """
    f = get_format(fmt)
    p = np.asarray(phi, dtype=np.float64)
    th, a, b = (np.asarray(v, dtype=np.float64) for v in (theta, x1, x2))
    c, s = np.cos(p), np.sin(p)
    a_c, j_c = _moved(-th * s, _ulp(c, f))
    a_s, j_s = _moved(th * c, _ulp(s, f))
    out1, out2 = _ulp(a * c - b * s, f), _ulp(b * c + a * s, f)
    cells = [_ulp(a * c, f), _ulp(b * s, f), _ulp(b * c, f), _ulp(a * s, f)]
    zero = np.zeros_like(c)

    def kept(dc: Array, ds: Array) -> Array:
        m1, m2, m3, m4 = (_moved(x * d, cell) for x, d, cell in zip((a, b, b, a), (dc, ds, dc, ds), cells))
        return _sum_kept(*m1, *m2, -1.0, out1) * _sum_kept(*m3, *m4, 1.0, out2)

    return ((1 - a_c) * (1 - a_s) + a_c * (1 - a_s) * kept(j_c, zero) + (1 - a_c) * a_s * kept(zero, j_s)
            + a_c * a_s * kept(j_c, j_s))


def _rotated_nodes(x1: Array, x2: Array) -> Array:
    """Per pair (rows), nodes on ``[0, pi]`` (the rotated law has period ``pi``), refined geometrically around the
    angles where a code or an output crosses zero (where its cells shrink)."""
    specials = np.stack([np.zeros_like(x1), np.full_like(x1, QUARTER), np.full_like(x1, math.pi),
                         np.arctan2(x1, x2) % math.pi, np.arctan2(-x2, x1) % math.pi], axis=1)
    offsets = np.geomspace(1e-13, 0.05, GRID_POINTS // 32)
    offsets = np.concatenate([-offsets, offsets])
    refined = (specials[:, :, None] + offsets[None, None, :]).reshape(x1.size, -1)
    uniform = np.broadcast_to(np.linspace(0.0, math.pi, GRID_POINTS // 2), (x1.size, GRID_POINTS // 2))
    return np.sort(np.clip(np.concatenate([uniform, refined], axis=1), 0.0, math.pi), axis=1)


def rotated_fraction(theta: ArrayLike, x: ArrayLike, fmt: FloatFormat | str, start: int, end: int) -> Array:
    """Per pair, the expected fraction of steps between positions ``start .. end-1`` that leave the rotated
    pair ``(x_i, x_{i+n})`` (half layout, ``x`` already in ``fmt``) unchanged: ``rotated_unchanged_probability``
    averaged over the window's phases."""
    f = get_format(fmt)
    frequencies = np.atleast_1d(np.asarray(theta, dtype=np.float64))
    vec = np.asarray(x, dtype=np.float64)
    n = frequencies.size
    x1, x2 = vec[:n], vec[n:2 * n]
    nodes = _rotated_nodes(x1, x2)
    with np.errstate(invalid="ignore", divide="ignore"):
        prob = rotated_unchanged_probability(nodes, frequencies[:, None], x1[:, None], x2[:, None], f)
    values = _trapezoid(nodes, np.nan_to_num(prob, nan=1.0))
    out = np.empty(n)
    for i, th in enumerate(frequencies):
        period = float(values[i, -1])

        def G(y: float, row: int = i, period: float = period) -> float:
            k = math.floor(y / math.pi)
            return k * period + float(np.interp(y - k * math.pi, nodes[row], values[row]))

        a, b = start * float(th), (end - 1) * float(th)
        out[i] = 1.0 if b == a else (G(b) - G(a)) / (b - a)  # a frozen pair (theta 0): every step unchanged
    return out


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
    if not math.isfinite(lo):  # the whole window stores as inf (fp16 from 65520 on)
        return 1
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
