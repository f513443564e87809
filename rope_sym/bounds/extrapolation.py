"""How far a trained RoPE model extrapolates: the critical-dimension argument of Liu et al. (2023).

Liu et al., *Scaling Laws of RoPE-based Extrapolation*, ICLR 2024 (arXiv:2310.05209). Pair ``i`` of a rotary dim
``d`` turns at ``theta_i = b^(-2i/d)``, with period ``P_i = 2 pi b^(2i/d)`` tokens. A pair whose period is below
the training length ``T`` went through at least one full turn in training and saw every phase; one whose period
is not below ``T`` saw only part of the circle. With ``x = (d/2) log_b(T / (2 pi))``:

* pair ``i`` saw a full turn iff ``P_i < T`` iff ``i < x`` (``P_i`` is increasing in ``i``);
* the **critical pair** is the first that did not: ``i_c = ceil(x)``, and Liu et al.'s critical dimension is
  ``d_extra = 2 i_c = 2 ceil((d/2) log_b(T / (2 pi)))``. When ``i_c >= d/2`` every pair saw a full turn and the
  argument gives no limit (None here, ``inf`` for the limit);
* the **extrapolation limit** is the critical pair's period, ``T_extra = P_{i_c} = 2 pi b^(d_extra/d)``, with
  ``T <= T_extra < T b^(2/d)`` for ``T > 2 pi`` (from ``x <= ceil(x) < x + 1``): the model extrapolates to within
  one pair's ratio ``b^(2/d)`` of its training length.

Convention: a period exactly equal to ``T`` counts as not seen (so ``i_c = ceil(x)``, Liu et al.'s formula): over
the positions ``0 .. T-1`` such a pair's phase stops at ``2 pi (T-1)/T``, one step short of a turn.
Counting it as seen would give ``floor(x) + 1``; the two differ only when ``x`` is an integer, i.e.
``T = 2 pi b^(2k/d)``, which no rational ``T`` and ``b`` (no float) attain, since ``pi`` is transcendental. The
count is decided exactly here (each period compared with ``T`` at 50 digits and more), not by rounding ``x`` in
float64. ``T <= 2 pi`` leaves even pair 0 (period ``2 pi``) short of a turn: ``i_c = 0``, ``T_extra = 2 pi``.

``head_dim`` is the ``d`` of the spectrum ``b^(-2i/d)`` (``RopeConfig.spectrum_dim``): the rotary dim, or the
full head dim for a ``proportional`` rope, whose frequencies use it; its NoPE pairs have frequency 0, so a critical
pair among them gives no limit (``inf``).

Under a retrofit the critical pair stays the one fixed by pre-training ``(b, T)``; the limit is its period in the
effective spectrum, ``T_extra' = 2 pi / theta'_{i_c}``: ``2 pi b'^(d_extra/d)`` for a new base ``b'`` (NTK-aware
scaling, adjusted base frequency; ``T (b'/b)^(d_extra/d) <= T_extra' < b^(2/d) T (b'/b)^(d_extra/d)``),
``s T_extra`` for linear interpolation by ``s``, and ``T_extra / (gamma/s + 1 - gamma)`` for YaRN and llama3, whose
ramp gives the critical pair a weight ``gamma`` (``s T_extra`` when it lies in the interpolated band). Pass the
effective frequencies (``rope_sym.scaling.inv_freq``) to :func:`extrapolation_limit`.

Llama-2-7B (``d = 128``, ``b = 1e4``, ``T = 4096``):

>>> critical_pair(128, 1e4, 4096), critical_dimension(128, 1e4, 4096)
(46, 92)
>>> round(extrapolation_limit(128, 1e4, 4096), 1)
4711.7
>>> round(ntk_extrapolation_limit(128, 1e4, 4096, 1e6))   # the same pair at base 1e6
129027
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import mpmath
import numpy as np

from rope_sym.errors import InvalidRopeSpec
from rope_sym.spectrum.spec import check_base, check_context, check_head_dim, finite_real

#: Working precisions (decimal digits) for deciding ``P_i < T``; a comparison closer than the last one can resolve
#: counts as ``P_i = T`` (not seen), which no float input reaches (see the module's docstring).
_PRECISIONS = (50, 200, 1000)


def _period_below(index: int, d: int, base: float, context: float) -> bool:
    """``2 pi b^(2 i/d) < T``, decided at increasing precision until the sign of the difference is certain."""
    for dps in _PRECISIONS:
        with mpmath.workdps(dps + 10):
            period = 2 * mpmath.pi * mpmath.mpf(base) ** (mpmath.mpf(2 * index) / d)
            diff = period - mpmath.mpf(context)
            if abs(diff) > mpmath.mpf(10) ** (-dps) * mpmath.mpf(context):
                return bool(diff < 0)
    return False


def _validated(head_dim: object, base: object, train_context: object) -> tuple[int, float, float]:
    return check_head_dim(head_dim), check_base(base), check_context(train_context)


def critical_pair(head_dim: int, base: float, train_context: float) -> int | None:
    """The first pair that never saw a full turn in training: ``i_c = ceil((d/2) log_b(T / (2 pi)))`` (at least
    0), the least ``i`` with period ``2 pi b^(2i/d) >= T``; None when every pair of the ``d/2`` saw a full turn.

    >>> critical_pair(64, 1e5, 8192)           # SmolLM2-135M
    20
    >>> critical_pair(64, 1e4, 1e9) is None    # every period is below a billion tokens
    True
    """
    d, b, t = _validated(head_dim, base, train_context)
    x = (d / 2) * math.log(t / (2 * math.pi)) / math.log(b)
    index = min(max(math.ceil(x), 0), d // 2)  # the float estimate, then corrected by exact comparisons
    while index > 0 and not _period_below(index - 1, d, b, t):
        index -= 1
    while index < d // 2 and _period_below(index, d, b, t):
        index += 1
    return None if index >= d // 2 else index


def critical_dimension(head_dim: int, base: float, train_context: float) -> int | None:
    """Liu et al.'s critical dimension ``d_extra = 2 i_c = 2 ceil((d/2) log_b(T / (2 pi)))``: the dimensions
    ``0 .. d_extra - 1`` saw full turns in training. None when every pair did.

    >>> critical_dimension(128, 5e5, 8192)     # Llama-3 pre-training (8K at base 5e5)
    70
    """
    pair = critical_pair(head_dim, base, train_context)
    return None if pair is None else 2 * pair


def _check_frequencies(frequencies: object, pairs: int) -> np.ndarray:
    try:
        values = np.asarray(frequencies, dtype=np.float64)
    except (TypeError, ValueError):
        raise InvalidRopeSpec("frequencies must be a list of real numbers") from None
    if values.ndim != 1 or values.size != pairs:
        raise InvalidRopeSpec(f"frequencies must hold d/2 = {pairs} values, one per pair, got shape "
                              f"{values.shape}")
    if not np.all(np.isfinite(values)) or np.any(values < 0):
        raise InvalidRopeSpec("frequencies must be finite and non-negative (radians per token)")
    return values


def extrapolation_limit(head_dim: int, base: float, train_context: float,
                        frequencies: Sequence[float] | np.ndarray | None = None) -> float:
    """The extrapolation limit (tokens): the period of the critical pair, ``2 pi / theta'_{i_c}``.

    ``i_c`` is fixed by pre-training (``head_dim``, ``base``, ``train_context``); ``frequencies`` are the
    effective ``theta'_i`` of each of the ``d/2`` pairs after a retrofit (e.g. ``rope_sym.scaling.inv_freq``),
    by default the trained spectrum, where the limit is ``T_extra = 2 pi b^(d_extra/d)``, in
    ``[T, T b^(2/d))`` for ``T > 2 pi``. ``inf`` when every pair saw a full turn (no limit from this argument) or
    when the critical pair does not rotate (a zero frequency).

    >>> round(extrapolation_limit(64, 1e5, 8192))                 # SmolLM2-135M
    8379
    >>> from rope_sym.scaling import RopeConfig, inv_freq
    >>> linear = inv_freq(RopeConfig("linear", head_dim=128, base=1e4, factor=4.0))
    >>> round(extrapolation_limit(128, 1e4, 4096, linear), 1)    # 4 T_extra
    18846.9
    """
    d, b, t = _validated(head_dim, base, train_context)
    pair = critical_pair(d, b, t)
    theta = None if frequencies is None else _check_frequencies(frequencies, d // 2)
    if pair is None:
        return math.inf
    if theta is None:
        with mpmath.workdps(30):
            return float(2 * mpmath.pi * mpmath.mpf(b) ** (mpmath.mpf(2 * pair) / d))
    return math.inf if theta[pair] == 0.0 else float(2 * math.pi / theta[pair])


def ntk_extrapolation_limit(head_dim: int, base: float, train_context: float, new_base: float) -> float:
    """The limit after a change of base to ``b'`` (NTK-aware scaling, adjusted base frequency), the critical pair
    still the one of pre-training: ``T_extra' = 2 pi b'^(d_extra/d)`` (Liu et al.'s ``2 pi beta^(d_extra/d)``),
    equal to ``T_extra (b'/b)^(d_extra/d)``, so ``T (b'/b)^(d_extra/d) <= T_extra' < b^(2/d) T (b'/b)^(d_extra/d)``.
    ``inf`` when every pair saw a full turn.

    >>> round(ntk_extrapolation_limit(64, 1e5, 8192, 1e5))      # the training base: T_extra itself
    8379
    """
    d, b, t = _validated(head_dim, base, train_context)
    nb = finite_real(new_base, "new base")
    if nb <= 1.0:
        raise InvalidRopeSpec(f"new base must be greater than 1, got {new_base!r}")
    pair = critical_pair(d, b, t)
    if pair is None:
        return math.inf
    with mpmath.workdps(30):
        return float(2 * mpmath.pi * mpmath.mpf(nb) ** (mpmath.mpf(2 * pair) / d))
