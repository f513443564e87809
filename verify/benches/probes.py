"""Speed of the real-model probes on this machine: load time, forward throughput (tokens/s) of a retrieval batch,
of the offset probe, and of an eager-attention forward, for the packaged SmolLM2-135M (skipped when not installed)."""

from __future__ import annotations

import os
import time

import numpy as np

from verify.benches import BenchOptions, BenchResult, benchmark


@benchmark("probes", "real-model probes: load time and tokens/s of retrieval, offset and attention forwards")
def probes(options: BenchOptions) -> BenchResult:
    from verify.checks.real_model import MODEL, _unavailable

    reason = _unavailable()
    if reason is not None:
        return BenchResult("real-model probes", [], [f"SKIPPED: {reason}"])
    import torch

    from rope_sym.real.loader import _LOADED, load_real_model
    from rope_sym.real.offset import TEXT
    from rope_sym.real.retrieval import make_trial, run_trials

    _LOADED.clear()  # time a cold load (from the GGUF file: dequantise, build the model)
    model = load_real_model(MODEL)
    repeats = 1 if options.quick else 3
    trials = 4 if options.quick else 24
    keys = np.random.default_rng(0).integers(10_000, 100_000, size=trials)
    prepared = [make_trial(model.encode, int(k)) for k in keys]
    tokens_per_trial = len(prepared[0].prefix) + len(prepared[0].suffix) + len(prepared[0].answer)
    rows = [{"probe": "load (GGUF, dequantise)", "tokens": None, "seconds": model.load_seconds, "tokens/s": None}]

    def best(fn: object, tokens: int, label: str) -> None:
        times = []
        for _ in range(repeats):
            start = time.perf_counter()
            fn()  # type: ignore[operator]
            times.append(time.perf_counter() - start)
        rows.append({"probe": label, "tokens": tokens, "seconds": min(times), "tokens/s": tokens / min(times)})

    best(lambda: run_trials(model, prepared, 4096), trials * tokens_per_trial, f"retrieval batch ({trials} trials)")
    ids = model.encode(TEXT, True)[:64]
    best(lambda: model.logits(ids, np.arange(64) + (1 << 20)), 64, "offset row (64 tokens, fp32)")
    model.to("bf16")
    best(lambda: model.logits(ids, np.arange(64) + (1 << 20)), 64, "offset row (64 tokens, bf16)")
    model.to("fp32")
    model.model.set_attn_implementation("eager")
    best(lambda: model.logits(prepared[0].prefix + prepared[0].suffix,
                              np.arange(tokens_per_trial - len(prepared[0].answer)), keep=1, attentions=True),
         tokens_per_trial, "attention forward (eager, weights out)")
    model.model.set_attn_implementation("sdpa")
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    return BenchResult("real-model probes (SmolLM2-135M, CPU)", rows, [
        f"torch {torch.__version__}, {torch.get_num_threads()} threads, load average {load:.2f} at the end; best "
        f"of {repeats}; a retrieval trial is {tokens_per_trial} tokens (the jump costs no tokens)"])
