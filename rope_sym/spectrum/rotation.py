"""The RoPE rotation: symbolic matrices and numeric application in both layouts used in practice.

At position ``m`` pair ``i`` is rotated by the angle ``m * theta_i``::

    R_i(m) = [[cos(m theta_i), -sin(m theta_i)],
              [sin(m theta_i),  cos(m theta_i)]]

and the head's rotation is block diagonal. Two memory layouts place pair ``i`` differently:

- **interleaved** (Meta's reference code, complex ``torch.polar``): pair ``i`` is dims ``(2i, 2i+1)``;
- **half-split** (Hugging Face ``rotate_half``): pair ``i`` is dims ``(i, i + d/2)``.

They are the same rotation up to the fixed permutation ``interleaved_to_half``: ``P R_interleaved P^T =
R_half``. Dimensions past the rotary dim (partial rotary) pass through unchanged.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from rope_sym.errors import InvalidRopeSpec
from rope_sym.spectrum.spec import RopeSpec, check_head_dim
from rope_sym.spectrum.theta import frequencies_exact

if TYPE_CHECKING:  # SymPy loads only when a symbolic function is called
    import sympy

Layout = Literal["interleaved", "half"]
LAYOUTS: tuple[Layout, ...] = ("interleaved", "half")
DEFAULT_LAYOUT: Layout = "half"
"""Hugging Face's ``rotate_half`` layout: the default of everything that emulates or runs model code."""
COMPLEX_LAYOUT: Layout = "interleaved"
"""Meta's layout, pair ``i`` = dims ``(2i, 2i+1)`` = the complex number ``x_{2i} + i x_{2i+1}`` of the papers: the
default of the mathematical functions (rotation matrices, numeric rotation, score spectra)."""


def check_layout(layout: object) -> Layout:
    """``layout`` if it is one of ``LAYOUTS``, else ``InvalidRopeSpec``."""
    if layout not in LAYOUTS:
        raise InvalidRopeSpec(f"unknown layout {layout!r} (known: {', '.join(LAYOUTS)})")
    return layout


def pair_dims(layout: Layout, n_pairs: int) -> tuple[slice, slice]:
    """Where the two members of each pair sit on the last axis: pair ``i`` is dims ``(2i, 2i+1)`` interleaved,
    ``(i, i + n)`` half-split. The one place that spells the layouts out.

    >>> pair_dims("interleaved", 2), pair_dims("half", 2)
    ((slice(0, 4, 2), slice(1, 4, 2)), (slice(0, 2, None), slice(2, 4, None)))
    """
    if check_layout(layout) == "interleaved":
        return slice(0, 2 * n_pairs, 2), slice(1, 2 * n_pairs, 2)
    return slice(0, n_pairs), slice(n_pairs, 2 * n_pairs)


# ----------------------------------------------------------------------------------------------- symbolic


def rotation_block(angle: sympy.Expr) -> sympy.Matrix:
    """The 2x2 rotation ``[[cos a, -sin a], [sin a, cos a]]``."""
    import sympy

    return sympy.Matrix([[sympy.cos(angle), -sympy.sin(angle)], [sympy.sin(angle), sympy.cos(angle)]])


def rotation_matrix_sym(
    spec: RopeSpec, position: sympy.Expr | int, layout: Layout = COMPLEX_LAYOUT,
    frequencies: list[sympy.Expr] | None = None,
) -> sympy.Matrix:
    """The ``head_dim x head_dim`` RoPE matrix at ``position`` (a number or a SymPy symbol).

    ``frequencies`` defaults to the exact spectrum; pass symbols (``theta_0, theta_1, ...``) for a generic one.
    """
    import sympy

    layout = check_layout(layout)
    frequencies = frequencies_exact(spec) if frequencies is None else frequencies
    blocks = [rotation_block(sympy.sympify(position) * t) for t in frequencies]
    passthrough = spec.head_dim - spec.rotary_dim
    m = sympy.diag(*blocks, sympy.eye(passthrough)) if passthrough else sympy.diag(*blocks)
    if layout == "half":
        p = permutation_matrix_sym(spec.head_dim, spec.rotary_dim)
        m = p * m * p.T
    return m


def permutation_matrix_sym(head_dim: int, rotary_dim: int | None = None) -> sympy.Matrix:
    """``P`` with ``(P x)_half = x_interleaved`` reordered: ``x_half = P @ x_interleaved``."""
    import sympy

    perm = interleaved_to_half_permutation(head_dim, rotary_dim)
    p = sympy.zeros(head_dim, head_dim)
    for new, old in enumerate(perm):
        p[new, int(old)] = 1
    return p


# ------------------------------------------------------------------------------------------------ layouts


def interleaved_to_half_permutation(head_dim: int, rotary_dim: int | None = None) -> NDArray[np.intp]:
    """Indices ``perm`` with ``x_half = x_interleaved[..., perm]``: ``[0, 2, .., r-2, 1, 3, .., r-1, r, .., d-1]``."""
    d = check_head_dim(head_dim)
    r = d if rotary_dim is None else check_head_dim(rotary_dim, "rotary dim")
    if r > d:
        raise InvalidRopeSpec(f"rotary dim {r} exceeds head dim {d}")
    return np.concatenate([np.arange(0, r, 2), np.arange(1, r, 2), np.arange(r, d)])


def interleaved_to_half(x: ArrayLike, rotary_dim: int | None = None) -> NDArray[np.generic]:
    """Reorder the last axis from interleaved pairs ``(2i, 2i+1)`` to half-split pairs ``(i, i + r/2)``."""
    a = np.asarray(x)
    return a[..., interleaved_to_half_permutation(a.shape[-1], rotary_dim)]


def half_to_interleaved(x: ArrayLike, rotary_dim: int | None = None) -> NDArray[np.generic]:
    """Inverse of ``interleaved_to_half``."""
    a = np.asarray(x)
    inverse = np.argsort(interleaved_to_half_permutation(a.shape[-1], rotary_dim))
    return a[..., inverse]


# ------------------------------------------------------------------------------------------------ numeric


def rope_angles(positions: ArrayLike, inv_freq: ArrayLike) -> NDArray[np.float64]:
    """The angle table ``angles[m, i] = positions[m] * inv_freq[i]`` in float64."""
    return np.multiply.outer(np.asarray(positions, dtype=np.float64), np.asarray(inv_freq, dtype=np.float64))


def apply_rotation(x: ArrayLike, cos: ArrayLike, sin: ArrayLike, layout: Layout = COMPLEX_LAYOUT) -> NDArray:
    """Rotate ``x[..., m, :]`` by the per-pair ``cos[m, i]`` and ``sin[m, i]`` (pairs placed by ``layout``).

    Works for any element type numpy can multiply (float64, or object arrays of mpmath/SymPy numbers), so
    the same code serves the float64, emulated and arbitrary-precision paths. ``x`` has shape
    ``(..., n_positions, head_dim)``; ``cos``/``sin`` ``(n_positions, n_pairs)``; the first ``2 * n_pairs``
    dims rotate, the rest pass through.
    """
    a = np.asarray(x)
    c, s = np.asarray(cos), np.asarray(sin)
    n = c.shape[-1]
    if 2 * n > a.shape[-1]:
        raise InvalidRopeSpec(f"{n} pairs need at least {2 * n} dims, got {a.shape[-1]}")
    out = a.copy() if a.dtype == object else a.astype(np.result_type(a, c, s), copy=True)
    i1, i2 = pair_dims(layout, n)
    first, second = a[..., i1], a[..., i2]
    out[..., i1] = first * c - second * s
    out[..., i2] = second * c + first * s
    return out


def apply_rope(x: ArrayLike, positions: ArrayLike, inv_freq: ArrayLike, layout: Layout = COMPLEX_LAYOUT) -> NDArray:
    """Rotate ``x[..., m, :]`` by ``positions[m] * inv_freq`` in float64 (see ``apply_rotation``)."""
    angles = rope_angles(positions, inv_freq)
    return apply_rotation(np.asarray(x, dtype=np.float64), np.cos(angles), np.sin(angles), layout)


def attention_score(q: ArrayLike, k: ArrayLike, m: float, n: float, inv_freq: ArrayLike,
                    layout: Layout = COMPLEX_LAYOUT) -> float:
    """``<R(m) q, R(n) k>`` in float64: the RoPE attention logit of a query at ``m`` and a key at ``n``."""
    qr = apply_rope(np.asarray(q, dtype=np.float64)[None, :], [m], inv_freq, layout)[0]
    kr = apply_rope(np.asarray(k, dtype=np.float64)[None, :], [n], inv_freq, layout)[0]
    return float(qr @ kr)
