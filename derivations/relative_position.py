"""Derivation 1, relative position: ``R(m)^T R(n) = R(n - m)`` for a 2x2 block and for the block-diagonal matrix,
hence ``<R(m) q, R(n) k> = q^T R(n - m) k`` depends on ``n - m`` only; the interleaved (Meta) and half-split (HF)
layouts are conjugate by a fixed permutation ``P``, ``R_half = P R_interleaved P^T``, so scores agree after
permuting q and k."""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import sympy as sp

from derivations.kernel import Derivation, Proof
from derivations.symbols import m, n
from rope_sym.spectrum.rotation import interleaved_to_half_permutation, rotation_matrix_sym
from rope_sym.spectrum.spec import RopeSpec

theta = sp.Symbol("theta", positive=True)


def block(angle: sp.Expr) -> sp.Matrix:
    """The 2x2 rotation by ``angle``."""
    return sp.Matrix([[sp.cos(angle), -sp.sin(angle)], [sp.sin(angle), sp.cos(angle)]])


@lru_cache(maxsize=1)
def derivation() -> Derivation:
    """Relative position and layout equivalence, checked (block-diagonal and layouts at d = 6, generic frequencies)."""
    dim = 6
    spec = RopeSpec(dim, 10000)
    frequencies = list(sp.symbols(f"theta_0:{dim // 2}", positive=True))
    r_m, r_n = (rotation_matrix_sym(spec, p, "interleaved", frequencies) for p in (m, n))
    r_diff = rotation_matrix_sym(spec, n - m, "interleaved", frequencies)
    q = sp.Matrix(sp.symbols(f"q_0:{dim}", real=True))
    kv = sp.Matrix(sp.symbols(f"k_0:{dim}", real=True))
    perm = interleaved_to_half_permutation(dim)
    p = sp.zeros(dim, dim)
    for row, col in enumerate(np.asarray(perm).tolist()):
        p[row, col] = 1
    half = rotation_matrix_sym(spec, m, "half", frequencies)
    score_m_n = ((r_m * q).T * (r_n * kv))[0, 0]
    proof = Proof("relative_position", "Relative position and layout equivalence")
    proof.identity(block(m * theta).T * block(n * theta), block((n - m) * theta),
                   "for one $2 \\times 2$ block, by the angle-addition formulas "
                   "$\\cos a \\cos b + \\sin a \\sin b = \\cos(b - a)$",
                   shown=("R(m theta)^T R(n theta) = R((n - m) theta)",
                          r"R_2(m\theta)^{T} R_2(n\theta) = R_2((n - m)\theta)"))
    proof.identity(r_m.T * r_n, r_diff, "blockwise, for the block-diagonal $R(m)$ ($d = 6$, generic frequencies)",
                   shown=("R(m)^T R(n) = R(n - m)", r"R(m)^{T} R(n) = R(n - m)"))
    proof.identity(p * r_m * p.T, half, "the half-split layout is the interleaved one conjugated by the "
                   "permutation $P$", shown=("R_half(m) = P R_interleaved(m) P^T",
                                             r"R_{\mathrm{half}}(m) = P\, R_{\mathrm{interleaved}}(m)\, P^{T}"))
    proof.identity(((p * r_m * p.T * p * q).T * (p * r_n * p.T * p * kv))[0, 0], score_m_n,
                   "so scores agree for $q_{\\mathrm{half}} = P q$, $k_{\\mathrm{half}} = P k$, since $P^{T} P = I$",
                   shown=("<R_half(m) P q, R_half(n) P k> = <R(m) q, R(n) k>",
                          r"\langle R_{\mathrm{half}}(m) P q, R_{\mathrm{half}}(n) P k \rangle"
                          r" = \langle R(m) q, R(n) k \rangle"))
    step = proof.identity(score_m_n, (q.T * r_m.T * r_n * kv)[0, 0],
                          "the score is $s(m, n) = \\langle R(m) q, R(n) k \\rangle = q^{T} R(m)^{T} R(n)\\, k$",
                          shown=("s(m, n) = q^T R(m)^T R(n) k", r"s(m, n) = q^{T} R(m)^{T} R(n)\, k"))
    proof.rewrite(step, sp.Eq(score_m_n, (q.T * r_diff * kv)[0, 0]),
                  "by the block-diagonal identity: $s(m, n) = q^{T} R(n - m)\\, k = s(0, n - m)$, a function of "
                  "$n - m$ only", shown=("s(m, n) = q^T R(n - m) k = s(0, n - m)",
                                         r"s(m, n) = q^{T} R(n - m)\, k = s(0, n - m)"))
    return proof.done()
