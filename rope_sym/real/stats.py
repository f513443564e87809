"""Binomial confidence intervals for probe accuracies (Wilson's score interval).

For ``k`` successes in ``n`` trials and ``z`` the normal quantile (1.96 for 95%), the Wilson interval is

    (p + z^2/(2n) -+ z sqrt(p(1-p)/n + z^2/(4n^2))) / (1 + z^2/n),   p = k/n

(E. B. Wilson, "Probable inference, the law of succession, and statistical inference", JASA 22, 1927). Unlike the
normal approximation it stays inside [0, 1] and is not degenerate at k = 0 or k = n.

>>> lo, hi = wilson_interval(12, 12)
>>> round(lo, 3), hi
(0.758, 1.0)
"""

from __future__ import annotations

import math

Z95 = 1.959963984540054
"""The 97.5% quantile of the standard normal: a two-sided 95% interval."""


def wilson_interval(successes: int, trials: int, z: float = Z95) -> tuple[float, float]:
    """Wilson's score interval for ``successes`` of ``trials`` (``(0, 1)`` for no trials)."""
    if trials <= 0:
        return 0.0, 1.0
    if not 0 <= successes <= trials:
        raise ValueError(f"successes must lie in [0, {trials}], got {successes}")
    p = successes / trials
    z2 = z * z
    centre = p + z2 / (2 * trials)
    spread = z * math.sqrt(p * (1 - p) / trials + z2 / (4 * trials * trials))
    scale = 1 + z2 / trials
    # at k = 0 (k = n) the lower (upper) end is exactly 0 (1); the formula's cancellation leaves ~1e-17 there
    low = 0.0 if successes == 0 else max(0.0, (centre - spread) / scale)
    high = 1.0 if successes == trials else min(1.0, (centre + spread) / scale)
    return low, high
