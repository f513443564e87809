"""Erasure where attention sees it: keys at distinct positions whose scores against one query are bitwise equal.

One query and one key content vector (seeded normal values, rounded to the activation dtype) are placed at
positions: the query at ``query_position`` (default ``L - 1``), the same key content at every position
``n = 0 .. L-1``, so the scores differ only through RoPE. Each is rotated by the torch pipeline
(``TorchRope``, eager, in the dtype) and the score is

    ``s(n) = sum_j q_rot[j] * k_rot(n)[j]``

in fp32, from the dtype's rotated vectors, as fused attention kernels hold scores (the products of two bf16 or
fp16 values are exact in fp32). Counted over the ``L`` keys:

- ``colliding_pairs``: pairs ``n1 < n2`` with bitwise equal scores, and ``keys_in_collisions``;
- ``identical_key_pairs``: of those, pairs whose rotated keys are bitwise identical, so that *every* query
  scores them equally (positional erasure, not a coincidence of the fp32 sum);
- ``differ_in_fp64``: of the colliding pairs, those whose scores differ when the whole pipeline runs in float64
  with the same content: the positions were distinct, the precision erased them.

The content channel: ``"erased"`` (default) puts it only on the pairs the torch erasure scan of the same context
measures as erased (adjacent erasure above one half), the long-wavelength band models use for content rather
than position; ``"wall"`` on the pairs below the cast law's wall (``theta_i < c 2^-p``, ``rope_sym.erasure.laws``;
the paper's ``theta_i < eps_mach`` overcounts the erased pairs several-fold); ``"all"`` on every dim.

``control_pairs`` is the same count for the float64 scores rounded once to fp32: the collisions that fp32 score
resolution alone would cause with exact positions. ``colliding_pairs`` far above it is the precision wall at
work.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from rope_sym.erasure import block_size, canonical_codes, check_scan_context, erased_mask, exact_classes, hash_rows
from rope_sym.erasure.laws import wall_theta
from rope_sym.errors import InvalidRopeSpec
from rope_sym.formats.rounding import round_to
from rope_sym.pipelines import check_dtype
from rope_sym.spectrum.rotation import pair_dims
from rope_sym.spectrum.spec import RopeSpec
from rope_sym.spectrum.theta import frequencies
from rope_sym.torch_backend.erasure import torch_erasure_scan, torch_ops
from rope_sym.torch_backend.pipelines import TorchRope
from rope_sym.torch_backend.runtime import device_name, to_host, torch

CHANNELS: tuple[str, ...] = ("erased", "wall", "all")


@dataclass
class AttentionCollisions:
    """The counts of the module docstring, with a few example pairs ``(n1, n2, score, fp64_1, fp64_2)``."""

    base: float
    head_dim: int
    context: int
    dtype: str
    pipeline: str
    channel: str
    content_pairs: int
    query_position: int
    device: str
    keys: int
    distinct_scores: int
    colliding_pairs: int
    keys_in_collisions: int
    identical_key_pairs: int
    differ_in_fp64: int
    control_pairs: int
    examples: list[tuple[int, int, float, float, float]]

    def to_dict(self) -> dict[str, Any]:
        """Plain data for JSON."""
        return asdict(self)


def channel_pairs(spec: RopeSpec, channel: str, dtype: str, pipeline: str, context: int,
                  device: torch.device) -> NDArray[np.bool_]:
    """Which pairs carry content in ``channel`` (module docstring)."""
    if channel not in CHANNELS:
        raise InvalidRopeSpec(f"unknown channel {channel!r} (known: {', '.join(CHANNELS)})")
    if channel == "all":
        return np.ones(spec.n_pairs, dtype=bool)
    if channel == "wall":
        wall = wall_theta(check_dtype(dtype))
        keep = frequencies(spec) < wall
        where = f"below the {dtype} cast-law wall (theta_i < {wall:g})"
    else:
        scan = torch_erasure_scan(spec, context, dtype, pipeline, device=device, attention=False, probes=[])
        keep = erased_mask(scan.adjacent_erasure)
        where = f"erased over {context} positions"
    if not keep.any():
        raise InvalidRopeSpec(f"no pair is {where} at base {spec.base:g}: use --channel all")
    return keep


def content_vectors(spec: RopeSpec, keep: NDArray[np.bool_], dtype: str,
                    seed: int = 0) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Query and key content (half layout), rounded to ``dtype``, zero outside the pairs ``keep``."""
    fmt = check_dtype(dtype)
    rng = np.random.default_rng(seed)
    q, k = rng.standard_normal(spec.head_dim), rng.standard_normal(spec.head_dim)
    first, second = pair_dims("half", spec.n_pairs)
    mask = np.ones(spec.head_dim, dtype=bool)
    mask[first], mask[second] = keep, keep
    q, k = np.where(mask, q, 0.0), np.where(mask, k, 0.0)
    return np.asarray(round_to(q, fmt), dtype=np.float64), np.asarray(round_to(k, fmt), dtype=np.float64)


def _rotated_query(rope: TorchRope, q: torch.Tensor, query_position: int, accumulate: torch.dtype) -> torch.Tensor:
    """The query rotated at its position in the pipeline's dtype, then widened for the score."""
    cq, sq = rope.cos_sin(torch.tensor([query_position], device=rope.device))
    return rope.rotate(q, cq, sq)[0].to(accumulate)


def _scores(rope: TorchRope, q_rot: torch.Tensor, k: torch.Tensor,
            index: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Scores of keys at ``index`` against the rotated query (in its dtype), and the rotated keys."""
    c, s = rope.cos_sin(index)
    k_rot = rope.rotate(k, c, s)
    # elementwise products (exact in fp32 for 16-bit inputs) and one row reduction: equal rows, equal sums
    return (k_rot.to(q_rot.dtype) * q_rot).sum(dim=-1), k_rot


def attention_collisions(spec: RopeSpec, context: object, dtype: str = "bf16", pipeline: str = "hf", *,
                         channel: str = "erased", query_position: int | None = None,
                         device: str | torch.device | None = None, seed: int = 0, chunk: int | None = None,
                         examples: int = 5,
                         iterate: Callable[[range], Iterable[int]] | None = None) -> AttentionCollisions:
    """Count keys at distinct positions with bitwise equal scores, and check them in float64 (module docstring).

    >>> r = attention_collisions(RopeSpec(16, 500000.0), 1 << 14, "bf16", "hf", device="cpu")
    >>> r.content_pairs, r.identical_key_pairs > 0, r.differ_in_fp64 == r.colliding_pairs
    (3, True, True)
    """
    L = check_scan_context(context)
    qpos = L - 1 if query_position is None else int(query_position)
    if not 0 <= qpos < L:
        raise InvalidRopeSpec(f"query position must lie in 0 .. {L - 1}, got {query_position!r}")
    rope = TorchRope(spec, dtype, pipeline, L, device=device)
    keep = channel_pairs(spec, channel, dtype, pipeline, L, rope.device)
    q_host, k_host = content_vectors(spec, keep, dtype, seed)
    exact = TorchRope(spec, "fp64", "fp64", L, device=rope.device)
    dev = rope.device
    q, k = torch.as_tensor(q_host, device=dev), torch.as_tensor(k_host, device=dev)
    block = block_size(spec, dev.type, chunk)
    ops = torch_ops(dev)
    scores = torch.empty(L, dtype=torch.float32, device=dev)
    scores64 = torch.empty(L, dtype=torch.float64, device=dev)
    key_hash = torch.empty(L, dtype=torch.int64, device=dev)
    q_rot, q_rot64 = _rotated_query(rope, q, qpos, torch.float32), _rotated_query(exact, q, qpos, torch.float64)
    starts = range(0, L, block)
    for lo in (iterate(starts) if iterate is not None else starts):
        index = torch.arange(lo, min(lo + block, L), dtype=torch.int64, device=dev)
        s, k_rot = _scores(rope, q_rot, k, index)
        scores[lo:lo + index.numel()] = s
        key_hash[lo:lo + index.numel()] = hash_rows(canonical_codes(k_rot, ops), ops)
        scores64[lo:lo + index.numel()] = _scores(exact, q_rot64, k, index)[0]

    score_bits = (scores + 0).view(torch.int32).cpu().numpy()  # -0 + 0 = +0: equal scores, equal bits
    s64 = to_host(scores64)
    order = np.lexsort((s64, score_bits))  # by score, then by its fp64 score
    sb, s64_sorted = score_bits[order], s64[order]
    group_sizes = _run_lengths(sb)
    colliding = _pairs(group_sizes)
    same64 = _pairs(_run_lengths(sb, s64_sorted))

    # identical rotated keys score equally against every query: the exact classes of the rotated keys
    identical = exact_classes(key_hash.cpu().numpy(), lambda p: _rotated_keys(rope, k, p)).equal_pairs
    ex = _examples(order, sb, s64_sorted, scores.cpu().numpy(), examples)
    return AttentionCollisions(
        base=spec.base, head_dim=spec.head_dim, context=L, dtype=rope.formats.store.name, pipeline=rope.pipeline,
        channel=channel, content_pairs=int(keep.sum()), query_position=qpos, device=device_name(dev), keys=L,
        distinct_scores=int(group_sizes.size), colliding_pairs=colliding,
        keys_in_collisions=int(group_sizes[group_sizes > 1].sum()), identical_key_pairs=identical,
        differ_in_fp64=colliding - same64, control_pairs=_pairs(_run_lengths(np.sort(s64.astype(np.float32)))),
        examples=ex)


def _run_lengths(*keys: NDArray[Any]) -> NDArray[np.int64]:
    """Lengths of the runs of rows equal in every key, for keys sorted together (``np.lexsort``)."""
    first = keys[0]
    change = np.zeros(first.size, dtype=bool)
    change[0] = first.size > 0
    for key in keys:
        change[1:] |= key[1:] != key[:-1]
    starts = np.flatnonzero(change)
    return np.diff(np.append(starts, first.size)).astype(np.int64)


def _pairs(run_lengths: NDArray[np.int64]) -> int:
    """Pairs within runs: ``sum g (g - 1) / 2``."""
    return int(np.sum(run_lengths * (run_lengths - 1) // 2))


def _rotated_keys(rope: TorchRope, k: torch.Tensor, positions: NDArray[np.int64]) -> NDArray[Any]:
    c, s = rope.cos_sin(rope.index(positions))
    return canonical_codes(rope.rotate(k, c, s), torch_ops(rope.device)).cpu().numpy()


def _examples(order: NDArray[np.int64], sb: NDArray[Any], s64: NDArray[np.float64], scores: NDArray[np.float32],
              count: int) -> list[tuple[int, int, float, float, float]]:
    """A few colliding pairs: adjacent members of the largest equal-score groups, with their fp64 scores."""
    same = np.flatnonzero(sb[1:] == sb[:-1])
    out = []
    for j in same[:count]:
        a, b = sorted((int(order[j]), int(order[j + 1])))
        sa, sb_ = (float(s64[j]), float(s64[j + 1])) if int(order[j]) == a else (float(s64[j + 1]), float(s64[j]))
        out.append((a, b, float(scores[a]), sa, sb_))
    return out
