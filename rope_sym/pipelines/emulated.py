"""RoPE as real code computes it: bit-exact emulations of the pipelines frameworks use, per activation dtype.

A pipeline turns positions ``m`` into the stored ``cos(m theta_i)`` and ``sin(m theta_i)`` through a chain of
roundings; each step is emulated as **one correct rounding** (round-to-nearest-even) with ``rope_sym.formats``:

``inv_freq -> stored in F_inv``, ``m -> round(m, F_pos)``, ``angle = round(m * inv_freq, F_phase)``,
``c = round(cos(angle), F_phase)``, ``stored = round(c, F_store)`` (and the same for ``sin``).

======================  ==========  ==========  ===============  ===============
pipeline                F_inv       F_pos       F_phase          F_store
======================  ==========  ==========  ===============  ===============
``hf``                  fp32        fp32        fp32             dtype
``native``              dtype       dtype       dtype            dtype
``invfreq-cast``        dtype       fp32        fp32             dtype
``fp64``                fp64        fp64        fp64             fp64
======================  ==========  ==========  ===============  ===============

- ``hf``: Hugging Face ``LlamaRotaryEmbedding`` (v4.38 onwards): ``inv_freq = 1.0 / (base ** (arange(0, d, 2)
  .float() / d))`` in fp32, positions ``.float()``, the outer product and ``cos``/``sin`` in fp32 under
  ``autocast(enabled=False)``, then ``cos.to(x.dtype)``.
- ``native``: the pre-2024 code path (``t = arange(L, dtype=inv_freq.dtype)``, ``einsum``, ``.cos()``) after
  ``model.to(dtype)``: the fp32 buffer cast to the dtype, positions, product and ``cos``/``sin`` in the dtype.
- ``invfreq-cast``: the ``model.to(bfloat16)`` trap: the ``inv_freq`` buffer is cast to the dtype, and the later
  ``.float()`` cannot restore the lost bits; the rest is ``hf``.
- ``fp64``: the float64 reference: correctly rounded ``theta_i`` (``spectrum.frequencies``), float64 product,
  numpy's float64 ``cos``/``sin`` (libm, measured within 0.52 float64 ulp; not proven correctly rounded), stored
  in float64. The ``dtype`` argument does not apply to it.

The ``inv_freq`` chain is emulated exactly as written: ``2i / d`` divided in fp32, the base rounded to fp32 (the
Python scalar is converted to the tensor's dtype), ``pow`` and ``1.0 / ...`` each correctly rounded to fp32.

Transcendentals: ``pow``, ``cos`` and ``sin`` are taken as **correctly rounded** to the working format. ``cos``
and ``sin`` are computed in float64 by numpy and rounded once; where the float64 value lies within
``MIDPOINT_GUARD_ULPS`` float64 ulps of a midpoint of the working format (so that its 0.52-ulp error could sit on
the wrong side of it), or in the working format's subnormal range, the gmpy2 oracle (``oracle_cos``/
``oracle_sin``) decides. Where a framework may differ, by one ulp of the working format: torch's CPU fp32 ``pow``
is not correctly rounded (measured: 31 of 3,212 ``inv_freq`` values for 11 bases x 6 head dims are one fp32
ulp off, e.g. base 1e6, d 128, pair 37), and torch's CPU fp32 ``cos``/``sin`` differ from the correctly rounded
values on about 5% of the angles of positions 0..32767, d 128. After the cast to bf16, 5 of 4,194,304 cos/sin
values differ from torch at base 1e4 and 1 at base 5e5.

``rotate`` applies the rotation the way Hugging Face's eager ``apply_rotary_pos_emb`` does,
``q * cos + rotate_half(q) * sin``: each product rounded to the activation dtype, then the sum rounded to it.
Fused rotary kernels that accumulate in fp32 and round once per output are a different (more accurate)
arithmetic.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import lru_cache

import numpy as np
from numpy.typing import ArrayLike, NDArray

from rope_sym.errors import InvalidRopeSpec
from rope_sym.formats import FP32, FloatFormat, get_format, oracle_cos, oracle_div, oracle_pow, oracle_round, oracle_sin
from rope_sym.formats.rounding import round_to
from rope_sym.pipelines.table import pipeline_formats
from rope_sym.spectrum.rotation import DEFAULT_LAYOUT, Layout, pair_dims
from rope_sym.spectrum.spec import RopeSpec
from rope_sym.spectrum.theta import frequencies

Array = NDArray[np.float64]

MIDPOINT_GUARD_ULPS = 8
"""float64 ulps around a working-format midpoint inside which the oracle decides the rounding of cos/sin.

numpy's float64 ``cos``/``sin`` were measured within 0.52 ulp (6,000 angles up to 2^24 against 200-bit mpmath),
so 8 ulps leaves a factor of 15 of margin."""

# ------------------------------------------------------------------------------------------ inverse frequencies


@lru_cache(maxsize=256)
def _model_inv_freq(rotary_dim: int, base: float, fmt: FloatFormat) -> tuple[float, ...]:
    """``1.0 / (base ** (arange(0, d, 2) / d))`` in ``fmt`` with every operation correctly rounded."""
    base_f = float(oracle_round(base, fmt))
    if not math.isfinite(base_f):
        raise InvalidRopeSpec(f"base {base!r} overflows {fmt.name}, where the inverse frequencies are computed")
    d = float(rotary_dim)  # exact in fp32 (rotary dims are far below 2^24)
    values = []
    for i in range(0, rotary_dim, 2):
        exponent = oracle_div(float(i), d, fmt)
        values.append(oracle_div(1.0, oracle_pow(base_f, exponent, fmt), fmt))
    return tuple(values)


def model_inv_freq(spec: RopeSpec, fmt: str | FloatFormat = FP32) -> Array:
    """Model code's chain ``1.0 / (base ** (arange(0, d, 2).to(F) / d))`` in format ``F``, each step correctly
    rounded (base rounded to ``F``, ``2i / d``, ``pow``, the reciprocal).

    In fp32 this is the ``hf`` buffer; in fp64 it is what a float64 model computes, which is *not* always the
    correctly rounded ``theta_i`` (three roundings instead of one).

    >>> model_inv_freq(RopeSpec(8, 10000.0))[1] == np.float32(0.1)
    np.True_
    """
    return np.array(_model_inv_freq(spec.rotary_dim, spec.base, get_format(fmt)), dtype=np.float64)


def inv_freq(spec: RopeSpec, dtype: str | FloatFormat, pipeline: str) -> Array:
    """The inverse frequencies the pipeline stores, as float64 values of its ``F_inv`` format.

    ``hf``: the fp32 chain ``1.0 / (base ** (arange(0, d, 2).float() / d))``, each step correctly rounded;
    ``native`` and ``invfreq-cast``: that fp32 buffer cast to ``dtype`` (one rounding from fp32, as
    ``buffer.to(dtype)`` does); ``fp64``: the correctly rounded ``theta_i``.

    >>> inv_freq(RopeSpec(8, 10000.0), "bf16", "hf")[1] == np.float32(0.1)
    np.True_
    >>> inv_freq(RopeSpec(8, 10000.0), "bf16", "native").tolist()
    [1.0, 0.10009765625, 0.010009765625, 0.00099945068359375]
    """
    formats = pipeline_formats(dtype, pipeline)
    if formats.pipeline == "fp64":
        return frequencies(spec)
    return np.asarray(round_to(model_inv_freq(spec, FP32), formats.inv_freq), dtype=np.float64)


# ---------------------------------------------------------------------------------- correctly rounded cos/sin


def near_midpoint(approx: Array, fmt: FloatFormat, guard_ulps: int = MIDPOINT_GUARD_ULPS) -> NDArray[np.bool_]:
    """Where rounding the float64 ``approx`` to ``fmt`` may differ from rounding the exact value it approximates.

    For ``|approx|`` in ``fmt``'s normal range the float64 significand has ``53 - p`` bits below ``fmt``'s last
    bit; the value is within ``guard_ulps`` float64 ulps of a midpoint when those bits are within ``guard_ulps``
    of ``100...0``. Values in ``fmt``'s subnormal range (zero excluded) are flagged too (their quantum is
    coarser; there are few of them). Non-finite values are not flagged.
    """
    a = np.asarray(approx, dtype=np.float64)
    shift = 53 - fmt.precision
    # the low ``shift`` bits lie below the exponent and the sign, so no mask of the magnitude is needed
    low = a.view(np.uint64) & np.uint64((1 << shift) - 1)
    # |low - half| <= guard as one unsigned comparison: low - (half - guard) wraps around when below.
    low -= np.uint64((1 << (shift - 1)) - guard_ulps)
    near = low <= np.uint64(2 * guard_ulps)
    tiny = np.abs(a) < fmt.smallest_normal  # False for NaN
    if tiny.any():  # rare: only exact zeros are common here, and they round exactly
        near |= tiny & (a != 0.0)
    if near.any():  # infinities have zero low bits; a NaN's payload might not
        near &= np.isfinite(a)
    return near


def correctly_rounded(fn: Callable[[Array], Array], oracle: Callable[[float, FloatFormat], float],
                      angles: Array, fmt: FloatFormat) -> tuple[Array, int]:
    """``fn`` (numpy float64 cos or sin) correctly rounded to ``fmt``, and how many values the oracle decided.

    ``angles`` must be values of ``fmt``. For ``fmt = fp64`` the numpy value is returned as it is (0 decided).
    """
    with np.errstate(invalid="ignore"):
        approx = fn(angles)
    if fmt.precision == 53:
        return approx, 0
    out = np.asarray(round_to(approx, fmt), dtype=np.float64)
    flagged = np.flatnonzero(near_midpoint(approx, fmt))
    flat = out.reshape(-1)
    flat_angles = angles.reshape(-1)
    for k in flagged:
        flat[k] = oracle(float(flat_angles[k]), fmt)
    return out, int(flagged.size)


# ---------------------------------------------------------------------------------------------------- cos/sin


def stored_positions(positions: ArrayLike, dtype: str | FloatFormat, pipeline: str) -> Array:
    """Positions as the pipeline holds them: rounded to ``F_pos`` (bf16: 2049 -> 2048; fp16: 65520 -> inf)."""
    formats = pipeline_formats(dtype, pipeline)
    return np.asarray(round_to(np.asarray(positions, dtype=np.float64), formats.position), dtype=np.float64)


def phase_table(positions: Array, inv: Array, phase: FloatFormat) -> Array:
    """``round(m * inv_freq_i, F_phase)`` for stored positions ``m`` (one step of the pipeline, on any inputs).

    The float64 product of two values of at most 24 bits is exact, so rounding it once is the format's multiply
    (in fp64 it is the correctly rounded product itself).
    """
    with np.errstate(invalid="ignore"):
        product = np.multiply.outer(np.asarray(positions, dtype=np.float64).reshape(-1), inv)
    return np.asarray(round_to(product, phase), dtype=np.float64)


def phase_cos_sin(angles: Array, phase: FloatFormat) -> tuple[Array, Array, int]:
    """``cos``/``sin`` of a phase table correctly rounded to ``F_phase``, and how many the oracle decided."""
    c, decided_c = correctly_rounded(np.cos, oracle_cos, angles, phase)
    s, decided_s = correctly_rounded(np.sin, oracle_sin, angles, phase)
    return c, s, decided_c + decided_s


def buffer_from_frequencies(frequencies: ArrayLike, dtype: str | FloatFormat, pipeline: str) -> Array:
    """The ``inv_freq`` buffer a pipeline holds for given float64 frequencies (a scaled model's effective ones):
    rounded to fp32 as model code computes them, then to ``F_inv`` where the pipeline casts the buffer."""
    formats = pipeline_formats(dtype, pipeline)
    buffer = np.asarray(round_to(np.asarray(frequencies, dtype=np.float64), FP32), dtype=np.float64)
    return np.asarray(round_to(buffer, formats.inv_freq), dtype=np.float64)


def angles(spec: RopeSpec, positions: ArrayLike, dtype: str | FloatFormat, pipeline: str,
           inv: Array | None = None) -> Array:
    """The phase table ``round(round(m, F_pos) * inv_freq_i, F_phase)``, shape ``(len(positions), n_pairs)``;
    ``inv`` replaces the pipeline's own buffer (``buffer_from_frequencies``)."""
    formats = pipeline_formats(dtype, pipeline)
    pos = stored_positions(positions, formats.dtype, formats.pipeline)
    buffer = inv_freq(spec, formats.dtype, formats.pipeline) if inv is None else inv
    return phase_table(pos, buffer, formats.phase)


def cos_sin_with_stats(spec: RopeSpec, positions: ArrayLike, dtype: str | FloatFormat,
                       pipeline: str) -> tuple[Array, Array, int]:
    """``cos_sin`` plus the number of cos/sin values the oracle had to decide (near-midpoint cases)."""
    formats = pipeline_formats(dtype, pipeline)
    c, s, decided = phase_cos_sin(angles(spec, positions, formats.dtype, formats.pipeline), formats.phase)
    store = formats.store
    return np.asarray(round_to(c, store), dtype=np.float64), np.asarray(round_to(s, store), dtype=np.float64), decided


# ----------------------------------------------------------------------------- compact stored values (the scan)

COMPACT_DTYPES: dict[str, type[np.floating]] = {"bf16": np.float32, "fp16": np.float16, "fp32": np.float32,
                                                "fp64": np.float64}
"""The narrowest native numpy dtype holding every value of a store format exactly (bf16 values are fp32
values whose low 16 significand bits are zero)."""

_BF16_HALF = np.uint32(0x7FFF)
_BF16_KEEP = np.uint32(0xFFFF0000)


def fp32_to_bf16(x: NDArray[np.float32]) -> NDArray[np.float32]:
    """fp32 values rounded to bf16 (nearest-even), as fp32 values: the integer form of one correct rounding.

    With ``b`` the fp32 bit pattern, ``(b + 0x7FFF + bit16(b)) & 0xFFFF0000`` adds just under half a bf16 ulp
    (exactly half when the kept part is odd, so ties go to even) and drops the low 16 bits; a carry moves into
    the exponent as it should (to infinity past the largest bf16), and subnormals and signed zeros follow the
    same arithmetic. NaNs are passed through unchanged (their rounding is not arithmetic).

    >>> fp32_to_bf16(np.array([1 + 2**-8, 1 + 3 * 2**-8, -0.0], dtype=np.float32)).tolist()
    [1.0, 1.015625, -0.0]
    """
    b = np.ascontiguousarray(x, dtype=np.float32).view(np.uint32)
    out = (b >> np.uint32(16)) & np.uint32(1)
    out += _BF16_HALF
    out += b
    out &= _BF16_KEEP
    rounded = out.view(np.float32)
    nan = np.isnan(x)
    if nan.any():
        rounded[nan] = x[nan]
    return rounded


def _fp32_correctly_rounded(fn: Callable[[Array], Array], oracle: Callable[[float, FloatFormat], float],
                            angles: Array) -> tuple[NDArray[np.float32], int]:
    """``fn`` (float64 cos/sin) of fp32 angles correctly rounded to fp32, as a float32 array, and how many values
    the oracle decided: the IEEE cast rounds; ``near_midpoint``'s test, made on the float32 result where it can
    be, sends the doubtful ones to the oracle."""
    with np.errstate(invalid="ignore"):
        approx = fn(angles)
    out = approx.astype(np.float32)
    shift = 53 - FP32.precision
    low = approx.view(np.uint64) & np.uint64((1 << shift) - 1)
    low -= np.uint64((1 << (shift - 1)) - MIDPOINT_GUARD_ULPS)
    near = low <= np.uint64(2 * MIDPOINT_GUARD_ULPS)
    # |approx| below fp32's smallest normal implies |out| <= it (rounding is monotone): test the narrow array
    tiny = np.abs(out) <= np.float32(FP32.smallest_normal)
    if tiny.any():
        near |= tiny & (approx != 0.0)
    flagged = np.flatnonzero(near & np.isfinite(approx)) if near.any() else np.empty(0, dtype=np.intp)
    flat, flat_angles = out.reshape(-1), angles.reshape(-1)
    for k in flagged:
        flat[k] = oracle(float(flat_angles[k]), FP32)
    return out, int(flagged.size)


def _to_store(values: NDArray[np.floating], store: FloatFormat) -> NDArray[np.floating]:
    """Phase-format values (float32 or float64 arrays) rounded once to the store format, in its compact dtype."""
    if values.dtype == np.float32 and store.name in ("bf16", "fp16", "fp32"):
        if store.name == "bf16":
            return fp32_to_bf16(values)
        return values.astype(COMPACT_DTYPES[store.name])  # fp32 -> fp16: numpy's cast is one correct rounding
    return np.asarray(round_to(values, store)).astype(COMPACT_DTYPES[store.name])


def stored_cos_sin(spec: RopeSpec, positions: ArrayLike, dtype: str | FloatFormat, pipeline: str,
                   inv: Array | None = None) -> tuple[NDArray[np.floating], NDArray[np.floating], int]:
    """The stored cos/sin as ``cos_sin`` gives them, in the store format's compact numpy dtype
    (``COMPACT_DTYPES``), and the number of values the oracle decided: the scan's fast path.

    Where phases are fp32 (``hf``, ``invfreq-cast``) the chain runs in float32 arrays: ``cos`` in float64,
    the IEEE cast to fp32 (one correct rounding; doubtful cases to the oracle), one rounding to the store format.
    The same values as ``cos_sin``, bit for bit (tested).
    """
    formats = pipeline_formats(dtype, pipeline)
    table = angles(spec, positions, formats.dtype, formats.pipeline, inv)
    if formats.phase.name == "fp32":
        c32, decided_c = _fp32_correctly_rounded(np.cos, oracle_cos, table)
        s32, decided_s = _fp32_correctly_rounded(np.sin, oracle_sin, table)
        return _to_store(c32, formats.store), _to_store(s32, formats.store), decided_c + decided_s
    c, s, decided = phase_cos_sin(table, formats.phase)
    return _to_store(c, formats.store), _to_store(s, formats.store), decided


def cos_sin(spec: RopeSpec, positions: ArrayLike, dtype: str | FloatFormat, pipeline: str) -> tuple[Array, Array]:
    """The stored ``cos(m theta_i)`` and ``sin(m theta_i)``, float64 arrays of shape ``(len(positions), n_pairs)``.

    Positions ``>= 65520`` in fp16 round to ``inf`` and give NaN: callers must report them (see
    ``rope_sym.erasure``), not compare them.

    >>> c, s = cos_sin(RopeSpec(4, 10000.0), [0, 1, 1000], "bf16", "hf")
    >>> c[:, 0].tolist(), s[:, 0].tolist()
    ([1.0, 0.5390625, 0.5625], [0.0, 0.83984375, 0.828125])
    """
    c, s, _ = cos_sin_with_stats(spec, positions, dtype, pipeline)
    return c, s


# ------------------------------------------------------------------------------------------------- rotation


def rotate_with(x: ArrayLike, cos: Array, sin: Array, store: FloatFormat, layout: Layout = DEFAULT_LAYOUT) -> Array:
    """Rotate ``x`` by stored ``cos``/``sin`` with the eager arithmetic in format ``store``.

    ``x`` is rounded to ``store`` first (as the tensor would be stored). With ``(x1, x2)`` the two members of a
    pair: ``out1 = round(round(x1 c) - round(x2 s))``, ``out2 = round(round(x2 c) + round(x1 s))``. ``x`` is
    ``(..., n_positions, head_dim)`` or ``(head_dim,)`` (the same vector at every position); dims past the rotary
    dims pass through.
    """
    i1, i2 = pair_dims(layout, cos.shape[-1])
    a = np.asarray(round_to(np.asarray(x, dtype=np.float64), store), dtype=np.float64)
    n = cos.shape[-1]
    if a.shape[-1] < 2 * n:
        raise InvalidRopeSpec(f"{n} pairs need at least {2 * n} dims, got {a.shape[-1]}")
    if a.ndim == 1:
        a = np.broadcast_to(a, (*cos.shape[:-1], a.shape[-1]))
    out = np.array(a, dtype=np.float64, copy=True)
    first, second = a[..., i1], a[..., i2]

    def r(v: Array) -> Array:
        return np.asarray(round_to(v, store), dtype=np.float64)

    with np.errstate(invalid="ignore", over="ignore"):
        out[..., i1] = r(r(first * cos) - r(second * sin))
        out[..., i2] = r(r(second * cos) + r(first * sin))
    return out


def rotate(x: ArrayLike, positions: ArrayLike, spec: RopeSpec, dtype: str | FloatFormat, pipeline: str,
           layout: Layout = DEFAULT_LAYOUT) -> Array:
    """``x`` rotated at ``positions`` as the pipeline does it, every multiply and add rounded to the activation
    dtype (``F_store``; float64 for the ``fp64`` pipeline); see ``rotate_with``.

    >>> rotate([1.0, 0.0], [0, 1], RopeSpec(2, 10000.0), "bf16", "hf").tolist()
    [[1.0, 0.0], [0.5390625, 0.83984375]]
    """
    formats = pipeline_formats(dtype, pipeline)
    c, s = cos_sin(spec, positions, formats.dtype, formats.pipeline)
    return rotate_with(x, c, s, formats.store, layout)
