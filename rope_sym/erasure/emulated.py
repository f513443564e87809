"""The emulated scan backend: the pipelines of ``rope_sym.pipelines`` in numpy, every step one correct rounding.

Stored values are arrays of the store format's compact numpy dtype (``COMPACT_DTYPES``: float32 for bf16 and
fp32, float16, float64), the rotated vectors float64 arrays; codes are the bit patterns of those values in the
format's own width, obtained by exact conversions (a bf16 value is an fp32 value whose low 16 bits are zero, so
its code is the fp32 pattern shifted right by 16; nothing is rounded here).
"""

from __future__ import annotations

import sys
from typing import Any

import numpy as np
from numpy.typing import NDArray

from rope_sym.erasure.codes import ArrayOps
from rope_sym.formats import FloatFormat
from rope_sym.pipelines.emulated import buffer_from_frequencies, rotate_with, stored_cos_sin, stored_positions
from rope_sym.pipelines.table import pipeline_formats
from rope_sym.spectrum.rotation import DEFAULT_LAYOUT
from rope_sym.spectrum.spec import RopeSpec

Array = NDArray[np.float64]
Stored = NDArray[np.floating]  # a store format's compact dtype (COMPACT_DTYPES)

_INTS = {1: np.int8, 2: np.int16, 4: np.int32, 8: np.int64}


_HIGH_HALF = 1 if sys.byteorder == "little" else 0


def _bf16_bits(v: NDArray[np.floating]) -> NDArray[np.int16]:
    """bf16 codes of bf16 values held as float32 (or float64): the high 16 bits of the fp32 pattern, as a view."""
    v32 = np.ascontiguousarray(v, dtype=np.float32)
    return v32.view(np.int16).reshape(*v32.shape, 2)[..., _HIGH_HALF]


def _bits_of(fmt: FloatFormat) -> Any:
    """Bit patterns of float64 arrays of ``fmt`` values, in ``fmt``'s width (exact conversions only)."""
    if fmt.name == "fp64":
        return lambda v: v.view(np.int64)
    if fmt.name == "fp32":
        return lambda v: np.asarray(v, dtype=np.float32).view(np.int32)
    if fmt.name == "fp16":
        return lambda v: np.asarray(v, dtype=np.float16).view(np.int16)
    if fmt.name == "bf16":
        return _bf16_bits
    raise ValueError(f"no code width for {fmt.name}")  # pragma: no cover - store formats are DTYPES


def numpy_ops(fmt: FloatFormat) -> ArrayOps:
    """``ArrayOps`` for float64 numpy arrays of ``fmt`` values."""
    return ArrayOps(
        int_of_width=_INTS, bits_of=_bits_of(fmt), where=np.where,
        concat=lambda arrays, axis: np.concatenate(arrays, axis=axis),
        pad_columns=lambda a, k: np.pad(a, [(0, 0)] * (a.ndim - 1) + [(0, k)]),
        contiguous=np.ascontiguousarray, from_numpy=lambda a: a)


class EmulatedBackend:
    """``ScanBackend`` over the exact emulation (``rope_sym.pipelines.emulated``), on the host.

    ``oracle_decided`` counts the cos/sin values whose rounding the gmpy2 oracle had to decide.
    """

    device_kind = "cpu"

    def __init__(self, spec: RopeSpec, dtype: str, pipeline: str, frequencies: Array | None = None) -> None:
        self.spec = spec
        self.formats = pipeline_formats(dtype, pipeline)
        self.ops = numpy_ops(self.formats.store)
        self.oracle_decided = 0
        # a scaled model's effective frequencies, held as the pipeline's buffer; None: the spec's own
        self.buffer = None if frequencies is None else buffer_from_frequencies(frequencies, dtype, pipeline)

    def cos_sin(self, lo: int, hi: int) -> tuple[Stored, Stored]:
        return self._cos_sin(np.arange(lo, hi, dtype=np.float64), count=True)

    def cos_sin_at(self, positions: NDArray[np.int64]) -> tuple[Stored, Stored]:
        return self._cos_sin(np.asarray(positions, dtype=np.float64), count=False)

    def _cos_sin(self, positions: Array, count: bool) -> tuple[Stored, Stored]:
        c, s, decided = stored_cos_sin(self.spec, positions, self.formats.dtype, self.formats.pipeline, self.buffer)
        if count:
            self.oracle_decided += decided
        return c, s

    def stored_positions(self, lo: int, hi: int) -> NDArray[np.float32]:
        positions = np.arange(lo, hi, dtype=np.float64)
        return stored_positions(positions, self.formats.dtype, self.formats.pipeline).astype(np.float32)

    def rotate(self, x: Array, cos: Array, sin: Array) -> Array:
        return rotate_with(x, cos, sin, self.formats.store, DEFAULT_LAYOUT)

    def as_array(self, x: Array) -> Array:
        return np.asarray(x, dtype=np.float64)

    def zeros(self, n: int, kind: str) -> NDArray[Any]:
        return np.zeros(n, dtype=kind)

    def to_numpy(self, a: NDArray[Any]) -> NDArray[Any]:
        return a

    def unique_count(self, a: NDArray[Any]) -> int:
        return int(np.unique(a).size)

    def synchronize(self) -> None:
        pass

    def measured(self) -> dict[str, Any]:
        return {"backend": "emulated", "device": "cpu (numpy)", "oracle_decided": self.oracle_decided}
