"""Sparse-position passkey retrieval: can a trained model read back a key ``D`` positions away?

One trial is one short sequence. A prefix states a random five-digit key; the question that asks for it follows
after a **jump of ``D`` in the position ids** (the tokens in between are left out), so a long distance costs a
short sequence, as in Mohtashami and Jaggi, "Landmark Attention" (2023) and the passkey tests of Chen et al.,
"Extending Context Window of Large Language Models via Positional Interpolation" (2023), with the filler
replaced by the jump::

    positions  0 .. a-1            a+D .. a+D+b-1                 a+D+b ..
    tokens     [intro, "The pass key is 68413. ..."]  [filler, "What is the pass key? The pass key is"]  [" 68413"]

A trial succeeds when every answer token is the model's top-1 prediction given the ones before it (teacher forcing
of greedy decoding: the same outcome as generating the key greedily). Keys come from a seeded generator, so a run
is deterministic. Accuracy at each distance carries a Wilson 95% interval (``rope_sym.real.stats``).

The **measured reach** of a RoPE is read off the accuracy curve: a distance *passes* when the interval's lower end
is above 1/2, *fails* when its upper end is below 1/2; the reach lies between the last passing distance before the
first failing one and that failing distance (``reach_interval``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from rope_sym.errors import RopeSymError
from rope_sym.real.stats import wilson_interval

INTRO = ("There is an important pass key hidden inside a lot of irrelevant text. Find it and memorize it. "
         "The pass key is {key}. Remember it. {key} is the pass key.")
FILLER = "The grass is green. The sky is blue. The sun is yellow. Here we go. There and back again. "
QUESTION = "What is the pass key? The pass key is"
DEFAULT_DISTANCES: tuple[int, ...] = (0, 512, 1024, 2048, 3072, 4096, 6144, 8192, 12288, 16384, 24576, 32768)
PASS_LEVEL = 0.5
"""Accuracy level the reach is read at: a distance passes when its 95% interval lies above it."""


@dataclass(frozen=True)
class DistanceResult:
    """Retrieval at one distance: ``successes`` of ``trials``, the accuracy and its Wilson 95% interval."""

    distance: int
    successes: int
    trials: int
    accuracy: float
    low: float
    high: float

    @property
    def passes(self) -> bool:
        return self.low > PASS_LEVEL

    @property
    def fails(self) -> bool:
        return self.high < PASS_LEVEL


@dataclass(frozen=True)
class RetrievalCurve:
    """Accuracy against distance for one RoPE (``label``, ``rope`` its settings as plain data)."""

    label: str
    rope: dict[str, Any]
    pipeline: str
    dtype: str
    results: tuple[DistanceResult, ...]
    reach: tuple[int | None, int | None] = field(default=(None, None))

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["reach"] = {"last_pass": self.reach[0], "first_fail": self.reach[1]}
        return out


def reach_interval(results: Sequence[DistanceResult]) -> tuple[int | None, int | None]:
    """``(last passing distance before the first failing one, first failing distance)``; ``None`` for a side that
    the grid does not show (no failure: the reach is beyond the grid; no pass: below it)."""
    ordered = sorted(results, key=lambda r: r.distance)
    first_fail = next((r.distance for r in ordered if r.fails), None)
    passing = [r.distance for r in ordered if r.passes and (first_fail is None or r.distance < first_fail)]
    return (passing[-1] if passing else None), first_fail


@dataclass(frozen=True)
class Trial:
    """The token ids of one trial and where its parts sit."""

    prefix: list[int]
    suffix: list[int]
    answer: list[int]


def make_trial(encode: Callable[[str, bool], list[int]], key: int, filler_repeats: int = 2) -> Trial:
    """The three token spans of a trial for ``key`` (``encode(text, with_bos)``)."""
    prefix = encode(INTRO.format(key=key), True)
    suffix = encode(" " + FILLER * filler_repeats + QUESTION, False)
    answer = encode(f" {key}", False)
    return Trial(prefix, suffix, answer)


def trial_positions(trial: Trial, distance: int) -> np.ndarray:
    """Position ids: the prefix at ``0 .. a-1``, the rest shifted by ``distance``."""
    a, rest = len(trial.prefix), len(trial.suffix) + len(trial.answer)
    return np.concatenate([np.arange(a), np.arange(rest) + a + distance]).astype(np.int64)


def run_trials(model: Any, trials: Sequence[Trial], distance: int) -> list[bool]:
    """Whether ``model`` (a ``RealModel``) reads each key back at ``distance`` (teacher-forced greedy); trials of
    equal span lengths run as one batch."""
    groups: dict[tuple[int, int, int], list[int]] = {}
    for k, t in enumerate(trials):
        groups.setdefault((len(t.prefix), len(t.suffix), len(t.answer)), []).append(k)
    outcome = [False] * len(trials)
    for (_, _, n_answer), members in groups.items():
        ids = np.array([trials[k].prefix + trials[k].suffix + trials[k].answer for k in members])
        positions = np.stack([trial_positions(trials[k], distance) for k in members])
        logits = model.logits(ids, positions, keep=n_answer + 1)
        predicted = logits[:, :-1].argmax(-1).numpy()
        for row, k in enumerate(members):
            outcome[k] = predicted[row].tolist() == trials[k].answer
    return outcome


def retrieval_curve(model: Any, label: str, distances: Sequence[int] = DEFAULT_DISTANCES, trials: int = 16,
                    seed: int = 0, progress: Callable[[int], None] | None = None) -> RetrievalCurve:
    """Accuracy against ``distances`` for the RoPE ``model`` runs with now (``RealModel.set_rope``); the same
    ``trials`` keys (from ``seed``) at every distance, so curves of different RoPEs are paired."""
    if trials < 1:
        raise RopeSymError(f"trials must be at least 1, got {trials}")
    if any(int(d) < 0 for d in distances):
        raise RopeSymError("distances must be non-negative")
    rng = np.random.default_rng(seed)
    keys = [int(k) for k in rng.integers(10_000, 100_000, size=trials)]
    prepared = [make_trial(model.encode, key) for key in keys]
    results = []
    for distance in sorted({int(d) for d in distances}):
        hits = sum(run_trials(model, prepared, distance))
        if progress is not None:
            progress(len(prepared))
        low, high = wilson_interval(hits, len(prepared))
        results.append(DistanceResult(distance, hits, len(prepared), hits / len(prepared), low, high))
    rope = {kind: _rope_dict(config) for kind, config in model.active.items()}
    return RetrievalCurve(label, rope, model.pipeline, model.dtype, tuple(results), reach_interval(results))


def _rope_dict(config: Any) -> dict[str, Any]:
    keys = ("rope_type", "base", "factor", "original_max_position_embeddings")
    return {k: getattr(config, k) for k in keys if getattr(config, k, None) is not None}
