"""Attention to a target token against distance, per layer and head, in a trained model; beside the random-vector
statistics of the same spectrum (Du et al. 2026; Men et al. 2024).

The probe reuses the passkey trials (``rope_sym.real.retrieval``): the key's tokens are the *target*, the other
tokens of the prefix the *control*. For the last token of the question (the one that predicts the key), each layer
``l`` and head ``h`` put attention mass ``a_key(l, h, D)`` on the key and ``a_ctl(l, h, D)`` on the control, at a
jump of ``D`` positions. Two questions, in Du et al.'s words:

- **does it lose positions?** the key's mass against distance, ``a_key(D) / a_key(0)``, over the *retrieval heads*
  (heads that, at ``D = 0``, put at least ``RETRIEVAL_SHARE`` times as much mass on each key token as on each
  control token);
- **does it lose tokens?** the fraction of retrieval heads whose mass per key token still exceeds their mass per
  control token at ``D`` (the head still tells the relevant tokens from the others).

Beside them, for the model's own frequencies: Du et al.'s position inversion ``P(s(r1) < s(r2))`` for ``r1 < r2``
uniform on ``[0, D)``, with random query and a key correlated to it (``rope_sym.long_context``), the proxy the
claims ledger used before a model was run.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from rope_sym.long_context import position_inversion, score_spectrum
from rope_sym.real.retrieval import make_trial, trial_positions

RETRIEVAL_SHARE = 2.0
"""A head is a retrieval head when, at distance 0, its mass per key token is at least this multiple of its mass
per control token (it singles the key out)."""
DEFAULT_DISTANCES: tuple[int, ...] = (0, 1024, 2048, 4096, 8192, 16384, 32768)


@dataclass(frozen=True)
class AttentionRow:
    """One distance: the real model's statistics over its retrieval heads, and the random-vector proxy."""

    distance: int
    retrieval_heads: int
    key_mass_ratio_median: float
    heads_keeping_half: int
    heads_telling_tokens: int
    random_position_inversion: float | None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _span(haystack: list[int], needle: list[int]) -> tuple[int, int]:
    for start in range(len(haystack) - len(needle), -1, -1):
        if haystack[start:start + len(needle)] == needle:
            return start, start + len(needle)
    raise ValueError("the key's tokens are not in the prefix")


def _masses(model: Any, key: int, distance: int) -> tuple[np.ndarray, np.ndarray, int, int]:
    """``(key mass, control mass)`` arrays ``(layers, heads)`` of the question's last token, and the key and
    control token counts."""
    trial = make_trial(model.encode, key)
    ids = trial.prefix + trial.suffix
    start, end = _span(trial.prefix, _key_tokens(trial))
    positions = trial_positions(trial, distance)[: len(ids)]
    _, attentions = model.logits(ids, positions, keep=1, attentions=True)
    last = np.stack([a[0, :, -1, :].float().cpu().numpy() for a in attentions])  # (layers, heads, keys)
    key_mass = last[:, :, start:end].sum(-1)
    control = [i for i in range(1, len(trial.prefix)) if not start <= i < end]  # BOS (a sink) left out
    return key_mass, last[:, :, control].sum(-1), end - start, len(control)


def _key_tokens(trial: Any) -> list[int]:
    """The answer's digit tokens as they appear inside the prefix (the leading space may tokenise apart)."""
    answer = list(trial.answer)
    for cut in range(len(answer)):
        part = answer[cut:]
        try:
            _span(trial.prefix, part)
            return part
        except ValueError:
            continue
    raise ValueError("the key's tokens are not in the prefix")


def attention_table(model: Any, distances: Sequence[int] = DEFAULT_DISTANCES, trials: int = 4, seed: int = 0,
                    progress: Callable[[int], None] | None = None) -> list[AttentionRow]:
    """The attention table of ``model`` (a ``RealModel`` with its RoPE as set) over ``distances``."""
    set_eager = getattr(model.model, "set_attn_implementation", None)
    previous = model.model.config._attn_implementation
    if set_eager is not None:
        set_eager("eager")
    try:
        rng = np.random.default_rng(seed)
        keys = [int(k) for k in rng.integers(10_000, 100_000, size=trials)]
        per_distance = {}
        for distance in sorted({int(d) for d in distances} | {0}):
            sums = None
            for key in keys:
                key_mass, control_mass, n_key, n_ctl = _masses(model, key, distance)
                pair = np.stack([key_mass / n_key, control_mass / n_ctl])
                sums = pair if sums is None else sums + pair
                if progress is not None:
                    progress(1)
            assert sums is not None
            per_distance[distance] = sums / len(keys)
    finally:
        if set_eager is not None:
            set_eager(previous)
    base = per_distance[0]
    retrieval = base[0] >= RETRIEVAL_SHARE * base[1]
    own, _ = model.own_frequencies()
    main = "full_attention" if "full_attention" in own else next(iter(own))
    frequencies = np.asarray(own[main].numpy(), dtype=np.float64)
    rows = []
    q = np.random.default_rng(seed + 1).normal(size=2 * len(frequencies))
    k = q + 0.5 * np.random.default_rng(seed + 2).normal(size=q.size)  # a key correlated with the query
    for distance, (key_per_token, control_per_token) in sorted(per_distance.items()):
        ratio = key_per_token[retrieval] / base[0][retrieval] if retrieval.any() else np.array([np.nan])
        proxy = None
        if distance >= 2:
            proxy = position_inversion(score_spectrum(q, k, frequencies), distance, 20_000, seed=seed).p
        rows.append(AttentionRow(distance, int(retrieval.sum()), float(np.median(ratio)),
                                 int(np.count_nonzero(ratio >= 0.5)),
                                 int(np.count_nonzero((key_per_token > control_per_token)[retrieval])), proxy))
    return rows
