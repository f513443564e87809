"""Aliasing of the slowest oscillator and the "clock hands" argument, as properties over generated specs.

Claims, with ``theta_min`` the slowest frequency and ``W = 2 pi / theta_min`` its wavelength (tokens per turn):

1. Below the aliasing bound (``L <= W``) the slowest phase ``m theta_min mod 2 pi`` is injective on the integers
   of ``[0, L)``: two distinct positions are at least ``min(theta_min, 2 pi - (L - 1) theta_min) > 0`` apart on
   the circle. Above it (``L > W + 1``) the positions ``0`` and ``P = round(W)`` have phases within
   ``theta_min / 2`` of each other, and their stored cos agree exactly in a format ``F`` once
   ``theta_min^2 / 8 < u_F / 2`` (below 1 the spacing of ``F`` is ``u_F = 2^-p``, so ``1 - x < u_F / 2`` rounds to 1).
2. One oscillator ``theta`` is periodic: ``m`` and ``m + round(2 pi / theta)`` are within ``theta / 2`` on its
   circle; and at phase resolution ``delta`` any ``N > 2 pi / delta`` positions contain two within ``delta``
   (pigeonhole), so one hand tells apart at most ``ceil(2 pi / delta)`` positions.
3. The bank of hands together reads back every position of ``[0, L)`` from phases known to ``+-delta/2``,
   for ``L`` up to ``(2 pi - delta) / theta_min`` (``decode_position``): far more than any single hand.
"""

from __future__ import annotations

import math

import numpy as np
from hypothesis import example, given, settings
from hypothesis import strategies as st

from rope_sym import RopeSpec, frequencies, theta_min
from rope_sym.formats import BF16, FP16, FP32, round_to
from rope_sym.long_context import circular_distance, decode_position

TWO_PI = 2.0 * math.pi
head_dims = st.sampled_from([4, 8, 16, 32, 64, 128])


@settings(max_examples=50)
@given(d=head_dims, base=st.floats(2.0, 2e4), fraction=st.floats(0.01, 1.0))
def test_slowest_phase_is_injective_below_the_aliasing_bound(d: int, base: float, fraction: float) -> None:
    spec = RopeSpec(d, base)
    t = theta_min(spec)
    length = max(2, int(fraction * math.floor(TWO_PI / t)))  # L <= W
    gaps = np.arange(1, length, dtype=np.float64)
    separation = float(circular_distance(gaps * t, 0.0).min())
    predicted = min(t, TWO_PI - (length - 1) * t)
    assert separation > 0.0
    assert math.isclose(separation, predicted, rel_tol=1e-6, abs_tol=1e-9)


@settings(max_examples=50)
@given(d=head_dims, base=st.floats(2.0, 1e6), extra=st.floats(1.01, 50.0))
@example(d=4, base=33.5, extra=2.0)  # 1 - cos = 0.0020 < u_bf16 = 0.0039, yet above u/2: rounds to 1 - 2^-8
def test_slowest_phase_aliases_above_the_aliasing_bound(d: int, base: float, extra: float) -> None:
    spec = RopeSpec(d, base)
    t = theta_min(spec)
    wavelength = TWO_PI / t
    length = int(extra * wavelength) + 2  # L > W + 1
    period = round(wavelength)
    assert 0 < period < length
    assert float(circular_distance(period * t, 0.0)) <= t / 2 * (1 + 1e-9)
    for fmt in (BF16, FP16, FP32):
        if t * t / 8 < fmt.unit_roundoff / 2:
            assert float(round_to(math.cos(period * t), fmt)) == 1.0


@settings(max_examples=100)
@given(theta=st.floats(1e-3, 1.0), m=st.integers(0, 10**6))
def test_single_oscillator_repeats_after_one_rounded_period(theta: float, m: int) -> None:
    period = round(TWO_PI / theta)
    gap = float(circular_distance((m + period) * theta, m * theta))
    assert gap <= theta / 2 * (1 + 1e-9) + 1e-9
    # so the pair rotated at m and at m + period is closer than at m and m + 1: |R(a) x - R(b) x| = 2 |x| sin(gap/2)
    step = float(circular_distance(theta, 0.0))
    assert 2 * math.sin(gap / 2) <= 2 * math.sin(step / 2) + 1e-12


@settings(max_examples=100)
@given(theta=st.floats(1e-2, 1.0), delta=st.floats(1e-3, 0.5), seed=st.integers(0, 2**32 - 1))
def test_single_hand_tells_apart_few_positions(theta: float, delta: float, seed: int) -> None:
    """Pigeonhole: among any N > 2 pi/delta positions two phases lie within delta on one hand's circle."""
    n = math.floor(TWO_PI / delta) + 1
    positions = np.random.default_rng(seed).choice(10**7, size=n, replace=False).astype(np.float64)
    phases = np.sort(np.mod(positions * theta, TWO_PI))
    gaps = np.diff(np.append(phases, phases[0] + TWO_PI))
    assert float(gaps.min()) <= delta


@settings(max_examples=40)
@given(d=st.sampled_from([16, 32, 64, 128]), base=st.floats(100.0, 1e5), seed=st.integers(0, 2**32 - 1))
def test_clock_hands_read_positions_far_beyond_any_single_period(d: int, base: float, seed: int) -> None:
    spec = RopeSpec(d, base)
    theta = frequencies(spec)
    rho = base ** (2.0 / spec.rotary_dim)  # ratio of consecutive frequencies
    delta = 0.9 * min(1.0, TWO_PI / (rho + 1.0))
    length = math.ceil((TWO_PI - delta) / theta[-1])  # every m < length has m theta_min < 2 pi - delta
    rng = np.random.default_rng(seed)
    positions = np.unique(np.concatenate([[0, length - 1], rng.integers(0, length, size=2000)])).astype(np.float64)
    noise = rng.uniform(-delta / 2, delta / 2, size=(positions.size, theta.size))
    phases = np.multiply.outer(positions, theta) + noise
    assert np.array_equal(decode_position(phases, theta, delta), positions.astype(np.int64))
    # one hand at the same resolution separates at most ceil(2 pi / delta) positions; the bank far more
    assert length > 10 * math.ceil(TWO_PI / delta)


def test_clock_hands_fail_past_the_slowest_wavelength() -> None:
    """Past one turn of the slowest hand the read-back wraps: ``m + round(W)`` reads back near ``m``."""
    spec = RopeSpec(32, 1000.0)
    theta = frequencies(spec)
    period = round(TWO_PI / theta[-1])
    decoded = decode_position(np.multiply.outer(np.array([10.0 + period]), theta), theta)
    assert int(decoded[0]) != 10 + period
