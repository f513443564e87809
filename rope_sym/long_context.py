"""Statistics of RoPE scores over long contexts: the claims of Du et al. (2026) and Men et al. (2024).

Two settings, kept apart.

**Du et al. (fixed content, random position).** For a fixed query ``q`` and key ``k`` write pair ``i`` as the
complex numbers ``z_q = q_a + i q_b`` and ``z_k = k_a + i k_b`` (``(a, b)`` the pair's two dims in the layout).
Rotating by ``m theta`` multiplies by ``e^{i m theta}`` and the real dot product of two pairs is ``Re(z conj w)``,
so the score of a query at ``m`` and a key at ``n`` depends only on ``r = m - n``::

    s(r) = <R(m) q, R(n) k> = sum_i C_i cos(r theta_i + phi_i) + c,
    C_i = |z_q| |z_k|,   phi_i = arg(z_q conj(z_k)),   c = the pass-through dims' dot product.

With ``r`` uniform on the integers of ``[0, M)`` the pairs that turn many times within ``M`` act like noise
(variance ``~ sum C_i^2 / 2`` over the fast pairs) and the slow pairs set the mean. ``position_inversion``
estimates ``P(s(r1) < s(r2) | r1 < r2)`` and ``token_inversion`` ``P(s1(r) < s2(r))`` for two keys with
``s1(0) > s2(0)``, by vectorised Monte Carlo with a fixed seed; both tend to 1/2 as ``M`` grows.
``aliasing_pairs`` counts equal scores once they are rounded to a format.

**Men et al. (random content).** With i.i.d. components the expected advantage of a similar key over a random
one at distance ``m`` is proportional to ``B(m) = sum_i cos(m theta_i)``. Their lower bound on the base for a
context ``L`` is the smallest base with ``B(m) >= 0`` for every integer ``m`` in ``[0, L]``. The set of such
bases is not a half-line, so ``men_base_lower_bound`` scans a geometric grid (it never bisects) and reports
the grid step with the result.

Positions from phases (the "clock hands"): ``decode_position`` reads a position back from the bank's phases
known to within ``+-delta/2`` each, slowest hand first; see its docstring for when that is exact.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from rope_sym.errors import InvalidRopeSpec
from rope_sym.formats import FloatFormat, round_to
from rope_sym.spectrum.rotation import COMPLEX_LAYOUT, Layout, check_layout, pair_dims
from rope_sym.spectrum.spec import RopeSpec, check_context, check_head_dim
from rope_sym.spectrum.theta import frequencies

Array = NDArray[np.float64]

TWO_PI = 2.0 * math.pi

DEFAULT_Z = 5.0
"""Half-width of the confidence intervals in standard errors: a 5-sigma interval is wrong with probability
about 6e-7, so a claim asserted on it does not pass by chance."""

_CHUNK = 1 << 14


# ------------------------------------------------------------------------------------------- the score s(r)


@dataclass(frozen=True)
class ScoreSpectrum:
    """``s(r) = sum_i amplitude_i cos(r theta_i + phase_i) + constant`` for fixed ``q`` and ``k``."""

    theta: Array
    amplitude: Array
    phase: Array
    constant: float = 0.0

    def score(self, r: ArrayLike) -> Array:
        """``s(r)`` for every ``r`` (any shape), float64, computed in blocks to bound memory."""
        flat = np.asarray(r, dtype=np.float64).reshape(-1)
        out = np.empty_like(flat)
        for lo in range(0, flat.size, _CHUNK):
            block = flat[lo:lo + _CHUNK]
            out[lo:lo + _CHUNK] = np.cos(np.multiply.outer(block, self.theta) + self.phase) @ self.amplitude
        return (out + self.constant).reshape(np.shape(r))

    def low_high_split(self, context: float) -> tuple[float, float]:
        """Du et al.'s normal model on ``[0, M)``: ``(mean, variance)`` with the mean from the pairs that turn
        less than once within ``M`` (``C_i cos(phi_i)``) and the variance from those that turn at least once
        (``C_i^2 / 2``)."""
        slow = self.theta * check_context(context) < TWO_PI
        mean = float(np.sum(self.amplitude[slow] * np.cos(self.phase[slow]))) + self.constant
        variance = float(np.sum(self.amplitude[~slow] ** 2) / 2.0)
        return mean, variance


def score_spectrum(q: ArrayLike, k: ArrayLike, theta: ArrayLike, layout: Layout = COMPLEX_LAYOUT) -> ScoreSpectrum:
    """The ``(C_i, phi_i, c)`` of ``s(r) = <R(m) q, R(n) k>``, ``r = m - n`` (see the module docstring).

    >>> sp = score_spectrum([1.0, 0.0], [0.0, 1.0], [1.0])
    >>> float(sp.amplitude[0]), float(sp.phase[0])
    (1.0, -1.5707963267948966)
    """
    layout = check_layout(layout)
    qa, ka, th = np.asarray(q, dtype=np.float64), np.asarray(k, dtype=np.float64), np.asarray(theta, np.float64)
    n = th.size
    if qa.shape != ka.shape or qa.ndim != 1 or qa.size < 2 * n:
        raise InvalidRopeSpec(f"q and k must be vectors of the same length >= {2 * n}, got {qa.shape}, {ka.shape}")
    first, second = pair_dims(layout, n)
    q1, q2, k1, k2 = qa[first], qa[second], ka[first], ka[second]
    product = (q1 + 1j * q2) * np.conj(k1 + 1j * k2)
    constant = float(qa[2 * n:] @ ka[2 * n:])
    return ScoreSpectrum(th.copy(), np.abs(product), np.angle(product), constant)


# --------------------------------------------------------------------------------------------- estimates


@dataclass(frozen=True)
class Estimate:
    """A Monte Carlo proportion ``p = successes / samples`` with a Wilson interval of ``z`` standard errors."""

    successes: int
    samples: int
    z: float = DEFAULT_Z

    @property
    def p(self) -> float:
        return self.successes / self.samples

    @property
    def interval(self) -> tuple[float, float]:
        """Wilson score interval ``(centre +- half)``, ``centre = (p + z^2/2n) / (1 + z^2/n)``."""
        n, p, z = self.samples, self.p, self.z
        denom = 1.0 + z * z / n
        centre = (p + z * z / (2 * n)) / denom
        half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
        return max(0.0, centre - half), min(1.0, centre + half)

    def within(self, target: float, tolerance: float) -> bool:
        """The whole interval lies within ``tolerance`` of ``target``."""
        low, high = self.interval
        return target - tolerance <= low and high <= target + tolerance

    def outside(self, target: float, tolerance: float) -> bool:
        """The whole interval lies farther than ``tolerance`` from ``target``."""
        low, high = self.interval
        return high < target - tolerance or low > target + tolerance

    def __str__(self) -> str:
        low, high = self.interval
        return f"{self.p:.4f} [{low:.4f}, {high:.4f}] (n={self.samples}, {self.z:g} sigma)"


def _integer_positions(rng: np.random.Generator, context: float, size: int) -> Array:
    m = int(check_context(context))
    if m < 2:
        raise InvalidRopeSpec(f"context must hold at least 2 positions, got {context!r}")
    return rng.integers(0, m, size=size).astype(np.float64)


def position_inversion(spectrum: ScoreSpectrum, context: float, samples: int = 100_000, seed: int = 0,
                       z: float = DEFAULT_Z) -> Estimate:
    """``P(s(r1) < s(r2))`` for ``r1 < r2`` drawn uniformly from the integers of ``[0, M)`` (ties of ``r`` are
    drawn again as a smaller sample: they are dropped)."""
    rng = np.random.default_rng(seed)
    a, b = _integer_positions(rng, context, samples), _integer_positions(rng, context, samples)
    keep = a != b
    near, far = np.minimum(a, b)[keep], np.maximum(a, b)[keep]
    inverted = spectrum.score(near) < spectrum.score(far)
    return Estimate(int(np.count_nonzero(inverted)), int(keep.sum()), z)


def token_inversion(first: ScoreSpectrum, second: ScoreSpectrum, context: float, samples: int = 100_000,
                    seed: int = 0, z: float = DEFAULT_Z) -> Estimate:
    """``P(s1(r) < s2(r))`` for ``r`` uniform on the integers of ``[0, M)``, given ``s1(0) > s2(0)``."""
    if not float(first.score(0.0)) > float(second.score(0.0)):
        raise InvalidRopeSpec("token inversion needs s1(0) > s2(0): swap the keys")
    rng = np.random.default_rng(seed)
    r = _integer_positions(rng, context, samples)
    inverted = first.score(r) < second.score(r)
    return Estimate(int(np.count_nonzero(inverted)), samples, z)


def inversion_horizon(estimates: Sequence[tuple[float, Estimate]], tolerance: float = 0.05,
                      target: float = 0.5) -> float | None:
    """The smallest context ``M`` of the given ``(M, estimate)`` grid (sorted by ``M``) from which on every
    estimate's interval lies within ``tolerance`` of ``target``; None if the last one does not."""
    horizon = None
    for context, estimate in sorted(estimates, key=lambda item: item[0]):
        inside = estimate.within(target, tolerance)
        horizon = (context if horizon is None else horizon) if inside else None
    return horizon


# ----------------------------------------------------------------------------------------------- aliasing


def aliasing_pairs(values: ArrayLike) -> int:
    """Unordered pairs ``(j, l)``, ``j < l``, with ``values[j] == values[l]``: ``sum_v c_v (c_v - 1) / 2``."""
    _, counts = np.unique(np.asarray(values, dtype=np.float64).reshape(-1), return_counts=True)
    return int(np.sum(counts * (counts - 1) // 2))


def position_aliasing(spectrum: ScoreSpectrum, context: int, fmt: FloatFormat | None = None) -> int:
    """Pairs of distinct positions ``r1 != r2`` in ``[0, M)`` whose scores are equal once rounded to ``fmt``
    (``None``: compared in float64)."""
    s = spectrum.score(np.arange(int(check_context(context)), dtype=np.float64))
    return aliasing_pairs(s if fmt is None else round_to(s, fmt))


def token_aliasing(q: ArrayLike, keys: ArrayLike, position: float, theta: ArrayLike, fmt: FloatFormat | None = None,
                   layout: Layout = COMPLEX_LAYOUT) -> int:
    """Pairs of distinct keys (rows of ``keys``) with equal scores at relative distance ``position`` once rounded
    to ``fmt`` (``None``: float64). Duplicate keys are removed first so every pair counted is of distinct keys."""
    distinct = np.unique(np.asarray(keys, dtype=np.float64), axis=0)
    s = np.array([float(score_spectrum(q, k, theta, layout).score(position)) for k in distinct])
    return aliasing_pairs(s if fmt is None else round_to(s, fmt))


def mirror_phases(theta: ArrayLike, centre: float) -> Array:
    """Phases ``phi_i = -centre * theta_i``: then ``s(centre + t) = s(centre - t)`` exactly for every ``t`` (each
    term is ``C_i cos(t theta_i)``), an exact position-aliasing construction."""
    return -float(centre) * np.asarray(theta, dtype=np.float64)


# -------------------------------------------------------------------------------------- Men et al.'s B(m)


def men_b(m: ArrayLike, theta: ArrayLike) -> Array:
    """``B(m) = sum_i cos(m theta_i)`` for every ``m`` (float64)."""
    return ScoreSpectrum(np.asarray(theta, np.float64), np.ones(np.size(theta)), np.zeros(np.size(theta))).score(m)


def men_b_minimum(theta: ArrayLike, context: int) -> tuple[float, int]:
    """``(min B(m), argmin)`` over the integers ``m = 0 .. context``.

    Blocks of ``w ~ sqrt(context)`` consecutive ``m = m0 + j`` use ``cos((m0 + j) t) = cos(m0 t) cos(j t) -
    sin(m0 t) sin(j t)``, so the table is one matrix product from ``~2 sqrt(context)`` cosines per pair (error
    ``~ n_pairs * 1e-16``, far below the minima that decide).
    """
    minima, where = men_b_minima(np.asarray(theta, dtype=np.float64)[None, :], context)
    return float(minima[0]), int(where[0])


def men_b_minima(frequencies: ArrayLike, context: int) -> tuple[Array, NDArray[np.int64]]:
    """``men_b_minimum`` for each row of ``frequencies`` (one spectrum per row), vectorised over the rows."""
    th = np.asarray(frequencies, dtype=np.float64)
    last = int(context)
    width = max(1, math.isqrt(last + 1))
    starts = np.arange(0, last + 1, width, dtype=np.float64)
    offsets = np.arange(width, dtype=np.float64)
    a = np.multiply.outer(th, starts)            # (rows, pairs, blocks)
    b = np.multiply.outer(th, offsets)           # (rows, pairs, width)
    table = np.einsum("rpb,rpw->rbw", np.cos(a), np.cos(b)) - np.einsum("rpb,rpw->rbw", np.sin(a), np.sin(b))
    table = table.reshape(th.shape[0], -1)[:, : last + 1]
    where = np.argmin(table, axis=1)
    return table[np.arange(th.shape[0]), where], where


def men_b_minima_sampled(frequencies: ArrayLike, context: int, stride: int) -> Array:
    """The minimum of ``B(m)`` over the lattice ``m = 0, stride, 2 stride, .. <= context`` for each row: a cheap
    necessary test (a negative value there rejects a base; only survivors need the full ``men_b_minima``)."""
    th = np.asarray(frequencies, dtype=np.float64) * float(stride)
    return men_b_minima(th, int(context) // int(stride))[0]


def spectrum_power(bases: ArrayLike, head_dim: int) -> Array:
    """``theta[b, i] = bases[b]^(-2i/d)`` with numpy's float64 ``pow`` (a few ulp; ample for ``B(m)``)."""
    i = np.arange(head_dim // 2, dtype=np.float64)
    return np.power(np.asarray(bases, dtype=np.float64)[:, None], -2.0 * i / head_dim)


def men_admissible(spec: RopeSpec, context: int) -> bool:
    """``B(m) >= 0`` for every integer ``m`` in ``[0, context]`` (``theta`` correctly rounded float64)."""
    return men_b_minimum(frequencies(spec), context)[0] >= 0.0


@dataclass(frozen=True)
class BaseScan:
    """Result of ``men_base_lower_bound``: the smallest admissible grid base, the grid and the step."""

    context: int
    head_dim: int
    bound: float | None
    low: float
    high: float
    steps_per_decade: int
    inadmissible_above_bound: int

    @property
    def step_ratio(self) -> float:
        """Ratio between consecutive grid bases, ``10^(1/steps_per_decade)``."""
        return 10.0 ** (1.0 / self.steps_per_decade)


def base_grid(low: float, high: float, steps_per_decade: int) -> Array:
    """Geometric grid ``low * 10^(j / steps_per_decade)`` up to ``high`` (inclusive of the last step past it)."""
    if not 1.0 < low < high:
        raise InvalidRopeSpec(f"base grid needs 1 < low < high, got {low!r}, {high!r}")
    if steps_per_decade < 1:
        raise InvalidRopeSpec(f"steps per decade must be at least 1, got {steps_per_decade!r}")
    count = math.ceil(steps_per_decade * math.log10(high / low)) + 1
    return low * 10.0 ** (np.arange(count) / steps_per_decade)


def men_base_lower_bound(context: int, head_dim: int = 128, low: float | None = None, high: float | None = None,
                         steps_per_decade: int = 2000, tail: int = 0, batch: int = 64) -> BaseScan:
    """Men et al.'s bound: the smallest base of the grid with ``B(m) >= 0`` for all integers ``m`` in
    ``[0, context]``, scanning upward (never bisecting: admissible bases do not form a half-line).

    The default grid runs from ``2 * context`` to ``1000 * context`` (below about ``1.6 * context`` every base
    fails: ``B`` turns negative near ``m ~ 0.62 * base``, Su's first zero) with ``steps_per_decade`` points per
    decade (2000: a step of 0.115%; the admissible windows near the bound are narrow, a coarse grid skips them).
    ``tail`` further grid points past the bound are scanned too and those that fail counted
    (``inadmissible_above_bound``): a non-zero count shows the admissible set is not a half-line.

    Speed: each base is first tested on a sampled lattice of ~4096 positions (``men_b_minima_sampled``; a
    negative value there rejects it, soundly); only the survivors get the full test over every ``m``, so the scan
    stays fast at contexts up to 2^20 and beyond.
    """
    context = int(check_context(context))
    d = check_head_dim(head_dim)
    lo = 2.0 * context if low is None else float(low)
    hi = 1000.0 * context if high is None else float(high)
    grid = base_grid(lo, hi, steps_per_decade)
    bound: float | None = None
    failures_after = checked = 0
    stride = max(1, context >> 12)  # the sampled test has ~4096 points per base whatever the context
    for first in range(0, grid.size, batch):
        bases = grid[first:first + batch]
        spectra = spectrum_power(bases, d)
        ok = men_b_minima_sampled(spectra, context, stride) >= 0.0 if stride > 1 else np.ones(bases.size, bool)
        survivors = np.flatnonzero(ok)
        if survivors.size:  # the full test only where the sampled one found no negative value
            ok[survivors] = men_b_minima(spectra[survivors], context)[0] >= 0.0
        if bound is None:
            hits = np.flatnonzero(ok)
            if hits.size == 0:
                continue
            bound = float(bases[hits[0]])
            after = ok[hits[0] + 1: hits[0] + 1 + tail]
        else:
            after = ok[: tail - checked]
        failures_after += int(np.count_nonzero(~after))
        checked += int(after.size)
        if checked >= tail:
            break
    return BaseScan(context, d, bound, lo, hi, steps_per_decade, failures_after)


# -------------------------------------------------------------------------------- clock hands (decoding)


def decode_position(phases: ArrayLike, theta: ArrayLike, delta: float = 0.0) -> NDArray[np.int64]:
    """The position whose bank of phases ``phases[..., i] ~ m theta_i (mod 2 pi)`` were read, slowest hand first.

    The slowest hand's phase is taken in ``[-delta/2, 2 pi - delta/2)`` and gives ``m ~ phi_slow / theta_slow``;
    each faster hand ``i`` then picks, among the positions ``(phi_i + 2 pi j) / theta_i`` consistent with it, the
    one nearest the running estimate. If every phase is known to within ``+-delta/2`` and consecutive frequencies
    are in ratio ``rho = theta_i / theta_(i+1)``, the running error after hand ``i`` is at most
    ``delta / (2 theta_i)``, and the choice is right when ``delta (rho + 1) / 2 < pi``; the last hand
    (``theta_0 = 1``) leaves an error ``<= delta / 2 < 1/2`` when ``delta < 1``. So with
    ``delta < min(1, 2 pi / (rho + 1))`` every integer position ``m`` with ``m theta_slow < 2 pi - delta`` (the
    slowest hand does not wrap around) is read back exactly: about ``2 pi / theta_slow`` positions, far beyond
    the ``2 pi / delta`` positions any single hand can tell apart at that resolution.
    """
    th = np.asarray(theta, dtype=np.float64)
    ph = np.asarray(phases, dtype=np.float64)
    order = np.argsort(th)  # slowest first
    slow = np.mod(ph[..., order[0]] + delta / 2.0, TWO_PI) - delta / 2.0
    estimate = slow / th[order[0]]
    for i in order[1:]:
        period = TWO_PI / th[i]
        candidate = np.mod(ph[..., i], TWO_PI) / th[i]
        estimate = candidate + period * np.round((estimate - candidate) / period)
    return np.rint(estimate).astype(np.int64)


def circular_distance(a: ArrayLike, b: ArrayLike) -> Array:
    """Distance on the circle of circumference ``2 pi``: ``min(|a - b| mod 2 pi, 2 pi - |a - b| mod 2 pi)``."""
    d = np.mod(np.asarray(a, dtype=np.float64) - np.asarray(b, dtype=np.float64), TWO_PI)
    return np.minimum(d, TWO_PI - d)
