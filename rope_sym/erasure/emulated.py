"""The emulated scan backend: the pipelines of ``rope_sym.pipelines`` in numpy, every step one correct rounding.

Stored values are arrays of the store format's compact numpy dtype (``COMPACT_DTYPES``: float32 for bf16 and
fp32, float16, float64), the rotated vectors float64 arrays; their codes come from ``rope_sym.erasure.codes``'
``numpy_ops`` (bit patterns by exact conversions: nothing is rounded there).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from rope_sym.erasure.codes import numpy_ops
from rope_sym.pipelines.emulated import buffer_from_frequencies, rotate_with, stored_cos_sin, stored_positions
from rope_sym.pipelines.table import pipeline_formats
from rope_sym.spectrum.rotation import DEFAULT_LAYOUT
from rope_sym.spectrum.spec import RopeSpec

Array = NDArray[np.float64]
Stored = NDArray[np.floating]  # a store format's compact dtype (COMPACT_DTYPES)

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
