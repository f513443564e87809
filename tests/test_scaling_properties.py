"""Context-extension methods as properties over generated configs (``rope_sym.scaling``).

- linear (position interpolation): every frequency divided by the factor ``s``;
- NTK-aware (the ``dynamic`` base ``b' = b * g^(d/(d-2))`` at the length where ``g = s``): the fastest frequency
  is unchanged and the slowest is divided by ``s``; every pair is divided by a factor in ``[1, s]``;
- YaRN: pairs below the low correction bound (wavelength short enough to turn ``beta_fast`` times in ``L0``) are
  unchanged, pairs beyond the high bound are divided by ``s``, and the ramp between stays in between;
- llama3: wavelengths below ``L0 / high_freq_factor`` unchanged, above ``L0 / low_freq_factor`` divided by ``s``,
  in between a frequency between the two.
"""

from __future__ import annotations

import math

import numpy as np
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from strategies import bases as base_values
from strategies import contexts as context_lengths
from strategies import head_dims as even_head_dims

from rope_sym.scaling import RopeConfig, default_inv_freq, inv_freq, yarn_correction_range

head_dims = even_head_dims(4, 256)
bases = base_values(1.0, 1e12)
factors = st.floats(1.0, 64.0)
contexts = context_lengths(1, 1 << 20)
REL = 4 * 2.0**-52  # a few float64 roundings


@settings(max_examples=100)
@given(d=head_dims, base=bases, s=factors)
def test_linear_divides_every_frequency_by_the_factor(d: int, base: float, s: float) -> None:
    scaled = inv_freq(RopeConfig("linear", head_dim=d, base=base, factor=s))
    default = default_inv_freq(RopeConfig("default", head_dim=d, base=base))
    np.testing.assert_allclose(scaled * s, default, rtol=REL, atol=0)


@settings(max_examples=100)
@given(d=head_dims, base=bases, s=factors, length=contexts)
def test_ntk_keeps_the_fastest_and_divides_the_slowest_by_the_factor(d: int, base: float, s: float,
                                                                      length: int) -> None:
    rope = RopeConfig("dynamic", head_dim=d, base=base, factor=s, max_position_embeddings=length)
    seq_len = length * (2 * s - 1) / s  # where s * n / L - (s - 1) = s: the static NTK-aware base b s^(d/(d-2))
    scaled, default = inv_freq(rope, seq_len), default_inv_freq(rope)
    assert scaled[0] == default[0] == 1.0
    assert math.isclose(default[-1] / scaled[-1], s, rel_tol=1e-9)
    ratio = default / scaled
    assert np.all(ratio >= 1 - 1e-12) and np.all(ratio <= s * (1 + 1e-9))
    assert np.all(np.diff(ratio) >= -1e-9)  # slower pairs are compressed more


@settings(max_examples=100)
@given(d=head_dims, base=bases, s=factors, original=contexts, truncate=st.booleans())
def test_yarn_keeps_fast_pairs_and_interpolates_slow_ones(d: int, base: float, s: float, original: int,
                                                          truncate: bool) -> None:
    rope = RopeConfig("yarn", head_dim=d, base=base, factor=s, original_max_position_embeddings=original,
                      truncate=truncate)
    lo, hi = yarn_correction_range(rope)
    # The bands below hold for a well-formed ramp. When the clamping to [0, d - 1] crosses the ends (L0 < 2 pi,
    # or a base so small that pair d - 1 still turns beta_fast times in L0), lo >= hi and the ramp
    # (j - lo) / (hi - lo) is inverted: transformers does the same and rope_sym reproduces it (tests/test_scaling.py).
    assume(lo < hi)
    scaled, default = inv_freq(rope), default_inv_freq(rope)
    j = np.arange(default.size)
    fast, slow = j <= lo, j >= hi
    assert np.array_equal(scaled[fast & ~slow], default[fast & ~slow])
    np.testing.assert_allclose(scaled[slow & ~fast] * s, default[slow & ~fast], rtol=REL, atol=0)
    assert np.all(scaled <= default * (1 + REL)) and np.all(scaled * s >= default * (1 - REL))
    # the low bound is where a pair turns beta_fast = 32 times within L0 (before truncation)
    wavelength = 2 * math.pi / default
    if not truncate and lo > 0:
        assert np.all(original / wavelength[j < lo] > 32 * (1 - 1e-9))


@settings(max_examples=100)
@given(d=head_dims, base=bases, s=factors, original=contexts, low=st.floats(0.5, 2.0), gap=st.floats(0.5, 8.0))
def test_llama3_follows_its_wavelength_bands(d: int, base: float, s: float, original: int, low: float,
                                            gap: float) -> None:
    high = low + gap
    rope = RopeConfig("llama3", head_dim=d, base=base, factor=s, original_max_position_embeddings=original,
                      low_freq_factor=low, high_freq_factor=high)
    scaled, default = inv_freq(rope), default_inv_freq(rope)
    wavelength = 2 * math.pi / default
    short, long = wavelength < original / high, wavelength > original / low
    assert np.array_equal(scaled[short], default[short])
    np.testing.assert_allclose(scaled[long] * s, default[long], rtol=REL, atol=0)
    middle = ~short & ~long
    assert np.all(scaled[middle] <= default[middle] * (1 + REL))
    assert np.all(scaled[middle] * s >= default[middle] * (1 - REL))
