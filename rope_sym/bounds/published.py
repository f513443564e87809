"""Published figures the toolkit's own numbers are checked against: one source for tests and ``verify`` checks.

Both tables give the smallest RoPE base for a context ``L`` at head dim ``d = 128``, printed to two digits:

- ``MEN_TABLE_D128``: Men et al. 2024, "Base of RoPE Bounds Context Length" (arXiv:2405.14591), Table 1, the
  base at which ``B(m) = sum_i cos(m theta_i) >= 0`` for every ``m`` up to ``L``.
- ``SU_TABLE_D128``: Su Jianlin's recomputation of the same bound (kexue.fm, 2024, "Base of RoPE Bounds
  Context Length" notes), scanning ``0 <= m <= L - 1``; it differs from Men et al. at 2K, 16K and from 128K on.

Printed to two digits, a table value is not always admissible itself: compare a computed bound with a tolerance.
"""

from __future__ import annotations

_CONTEXTS = [2**k for k in range(10, 21)]  # 1K .. 1M
MEN_TABLE_D128: dict[int, float] = dict(zip(_CONTEXTS, [4.3e3, 1.6e4, 2.7e4, 8.4e4, 3.1e5, 6.4e5, 2.1e6, 7.8e6,
                                                        3.6e7, 6.4e7, 5.1e8]))
SU_TABLE_D128: dict[int, float] = dict(zip(_CONTEXTS, [4.3e3, 1.2e4, 2.7e4, 8.4e4, 2.3e5, 6.3e5, 2.1e6, 4.9e6,
                                                       2.4e7, 5.8e7, 6.5e7]))
PUBLISHED_DIGITS = 2
"""Significant digits the tables were printed with."""
