"""Exact positional erasure: which positions a RoPE pipeline can still tell apart, counted exactly.

The *code* of position ``m`` is the vector of its stored ``(cos, sin)`` values over all pairs, as a pipeline of
``rope_sym.pipelines`` stores them. Over positions ``0 .. L-1`` a scan computes

- ``distinct_positions``: the number of distinct codes, and ``first_collision``: the smallest ``m`` whose code
  equals an earlier position's (``None`` when all ``L`` codes differ);
- ``adjacent_erasure[i]``: the fraction of ``m`` in ``[0, L-1)`` with ``code_i(m+1) == code_i(m)`` (cos and sin
  both equal): pair ``i`` cannot see a one-token step there; ``window=(start, end)`` counts the steps between
  positions in ``start .. end-1`` only (erasure depends on position: near ``m = 0`` a slow pair's sine changes
  at every step, far out it rarely does);
- ``erased_pairs``: pairs with ``adjacent_erasure > 0.5``, and ``wall_theta``: the largest frequency
  ``theta_i = base^(-2i/d)`` among them, set against the precision wall ``theta > eps_mach`` of the paper;
- ``resolution``: at a few probe positions, the smallest step ``k >= 1`` with ``code_i(m+k) != code_i(m)``;
- at the level attention sees: a query vector (``query``, default a fixed standard normal one) rotated in the
  dtype, ``distinct_rotated``, ``first_rotated_collision``, and per pair ``rotated_adjacent_erasure`` (both
  rotated members unchanged) with ``rotated_erased_pairs``.

Values are compared as values (``-0.0 == 0.0``), with every non-finite code (fp16 positions ``>= 65520`` round to
``inf`` and give NaN) counted as one shared code and reported in ``nonfinite_positions`` / ``first_nonfinite``.

One engine (``rope_sym.erasure.engine.scan``) runs every scan; a backend computes the codes: ``emulated`` (exact
emulation in numpy, the default) or ``torch`` (the pipelines as model code writes them, on any torch device).
Equal codes are found through 64-bit hashes and every group of equal hashes is verified against the codes
themselves, so the counts are exact, not probabilistic.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from rope_sym.erasure.codes import ArrayOps, Classes, canonical_codes, exact_classes, hash_rows
from rope_sym.erasure.emulated import EmulatedBackend
from rope_sym.erasure.engine import (
    MAX_SCAN_CONTEXT,
    RESOLUTION_LIMIT,
    Iterate,
    ScanBackend,
    block_size,
    check_scan_context,
    default_query,
    resolution_at,
    scan,
)
from rope_sym.erasure.report import ERASED_FRACTION, ErasureReport, erased_mask
from rope_sym.errors import InvalidRopeSpec
from rope_sym.spectrum.spec import RopeSpec

BACKENDS: tuple[str, ...] = ("emulated", "torch")


def make_backend(spec: RopeSpec, dtype: str, pipeline: str, *, backend: str = "emulated", device: Any = None,
                 autocast: bool = False, frequencies: Any = None) -> ScanBackend:
    """The named backend for one pipeline: ``emulated``. The torch backend is an object the caller builds
    (``rope_sym.torch_backend.TorchBackend``, or ``torch_erasure_scan``): this package never imports torch code.
    ``device`` and ``autocast`` belong to the torch backend, and giving them here is an error (they would be
    silently ignored)."""
    if backend == "emulated":
        if device is not None or autocast:
            raise InvalidRopeSpec("device and autocast apply to the torch backend only (use backend='torch')")
        return EmulatedBackend(spec, dtype, pipeline, frequencies)
    if backend == "torch":
        raise InvalidRopeSpec("the torch backend is built by rope_sym.torch_backend: call torch_erasure_scan, or "
                              "pass TorchBackend(...) as the backend")
    raise InvalidRopeSpec(f"unknown backend {backend!r} (known: {', '.join(BACKENDS)})")


def erasure_scan(spec: RopeSpec, context: object, dtype: str = "bf16", pipeline: str = "hf", *,
                 backend: str | ScanBackend = "emulated", device: Any = None, autocast: bool = False,
                 attention: bool = True,
                 probes: Iterable[int] | None = None, resolution_limit: int = RESOLUTION_LIMIT,
                 chunk: object = None, query_seed: int = 0, query: object = None, window: object = None,
                 iterate: Iterate | None = None, hash_mask: int | None = None,
                 frequencies: Any = None) -> ErasureReport:
    """Scan positions ``0 .. context-1`` of ``pipeline`` in activation ``dtype`` and return the exact figures.

    ``backend``: ``emulated`` (exact emulation, default), or a backend object built for this spec, dtype and
    pipeline (``rope_sym.torch_backend.TorchBackend``; ``torch_erasure_scan`` builds one). The other arguments are
    those of
    ``rope_sym.erasure.engine.scan``. ``frequencies``: a scaled model's effective frequencies (one per pair) in
    place of the spec's (emulated backend; the pipeline holds them as its fp32 buffer).

    >>> r = erasure_scan(RopeSpec(8, 10000.0), 2048, "bf16", "native", attention=False)
    >>> r.distinct_stored_positions, r.distinct_positions, r.first_collision
    (641, 641, 257)
    """
    limit = int(resolution_limit)
    if limit < 1:
        raise InvalidRopeSpec(f"resolution limit must be at least 1, got {resolution_limit!r}")
    frequencies = None if frequencies is None else np.asarray(frequencies, dtype=np.float64)
    if frequencies is not None and frequencies.shape != (spec.n_pairs,):
        raise InvalidRopeSpec(f"frequencies must hold {spec.n_pairs} values (one per pair), "
                              f"got shape {frequencies.shape}")
    if isinstance(backend, str):
        runner = make_backend(spec, dtype, pipeline, backend=backend, device=device, autocast=autocast,
                              frequencies=frequencies)
    else:
        runner = _checked_backend(backend, spec, dtype, pipeline, device, autocast, frequencies)
    return scan(runner, context, attention=attention, probes=probes, resolution_limit=limit, chunk=chunk,
                query_seed=query_seed, query=query, window=window, iterate=iterate, hash_mask=hash_mask,
                frequencies=frequencies)


def _checked_backend(runner: ScanBackend, spec: RopeSpec, dtype: str, pipeline: str, device: Any, autocast: bool,
                     frequencies: Any) -> ScanBackend:
    """A caller's backend object, refused unless it was built for this spec, dtype and pipeline."""
    from rope_sym.pipelines.table import pipeline_formats

    if device is not None or autocast or frequencies is not None:
        raise InvalidRopeSpec("device, autocast and frequencies are given to the backend object itself")
    if runner.spec != spec or runner.formats != pipeline_formats(dtype, pipeline):
        raise InvalidRopeSpec(f"the backend was built for another setting than {dtype} {pipeline} "
                              f"(head dim {spec.head_dim}, base {spec.base:g})")
    return runner


__all__ = [
    "BACKENDS", "ERASED_FRACTION", "MAX_SCAN_CONTEXT", "RESOLUTION_LIMIT", "ArrayOps", "Classes", "EmulatedBackend",
    "ErasureReport", "Iterate", "ScanBackend", "block_size", "canonical_codes", "check_scan_context",
    "default_query", "erased_mask", "erasure_scan", "exact_classes", "hash_rows", "make_backend", "resolution_at",
    "scan",
]
