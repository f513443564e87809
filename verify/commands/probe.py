"""``python -m verify probe {retrieval,offset,attention} [--model MODEL] ...``: run a trained model and measure
what it does (``rope_sym.real``).

- ``retrieval``: sparse-position passkey accuracy against distance, with Wilson 95% intervals, for the trained RoPE
  and the retrofits named by ``--rope`` (``trained``, ``ntk:S``, ``linear:S``, ``yarn:S``, ``dynamic:S``,
  ``base:B``); then Liu et al.'s extrapolation law and the law calibrated to the trained RoPE's measured reach,
  each judged against the measurement;
- ``offset``: the same text at positions ``[P, P+n)`` and ``[0, n)``, KL and top-1 agreement per dtype and
  pipeline, with the position, phase and code-level quantities of the laws;
- ``attention``: attention to the key against distance over the retrieval heads, beside Du et al.'s random-vector
  statistic for the same spectrum.

The model is a packaged model (``smollm2-135m``, the default; ``gemma3-270m``), a ``.gguf`` file, a model
directory or a hub id in the offline Hugging Face cache; nothing is downloaded.
"""

from __future__ import annotations

import argparse
import time
from typing import Any

from verify.commands import Command, UsageError, command
from verify.progress import Ticker
from verify.report import Document, add_format_argument, emit_json, format_number, show

PROBES = ("retrieval", "offset", "attention")


def _int_list(text: str) -> list[int]:
    try:
        values = [int(float(v)) for v in text.split(",") if v.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a comma-separated list of integers, got {text!r}") from None
    if not values or any(v < 0 for v in values):
        raise argparse.ArgumentTypeError(f"expected non-negative integers, got {text!r}")
    return values


def _configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("probe", choices=PROBES, help="which probe to run")
    parser.add_argument("--model", default="smollm2-135m", help="packaged model (smollm2-135m, gemma3-270m), .gguf "
                        "file, model directory or cached hub id (default smollm2-135m)")
    parser.add_argument("--rope", action="append", default=None, metavar="CHOICE",
                        help="retrieval: a RoPE to run with (repeatable): trained, ntk:S, linear:S, yarn:S, "
                             "dynamic:S, llama3:S, base:B (default: trained)")
    parser.add_argument("--distances", type=_int_list, default=None, help="retrieval/attention: comma-separated "
                        "position jumps (default: the probe's grid)")
    parser.add_argument("--trials", type=int, default=None, help="trials per distance (retrieval 16, attention 4)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the keys (default 0)")
    parser.add_argument("--offsets", type=_int_list, default=None, help="offset: comma-separated offsets P")
    parser.add_argument("--dtypes", default=None, help="offset: comma-separated dtypes (default fp32,bf16); "
                        "retrieval/attention: the first is the model's dtype (default fp32)")
    parser.add_argument("--pipelines", default="hf", help="offset: comma-separated pipelines (default hf); "
                        "retrieval/attention: the first is used")
    parser.add_argument("--tokens", type=int, default=64, help="offset: tokens of text (default 64)")
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: torch's)")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    add_format_argument(parser)


def _load(args: argparse.Namespace, dtype: str, attention: str = "sdpa") -> Any:
    from rope_sym.real.loader import load_real_model

    if args.threads is not None:
        if args.threads < 1:
            raise UsageError(f"--threads must be at least 1, got {args.threads}")
        import torch

        torch.set_num_threads(args.threads)
    return load_real_model(args.model, dtype=dtype, attention=attention)


def _fingerprint(model: Any) -> dict[str, Any]:
    """The model's RoPE as evidence is matched on (``rope_sym.real.evidence.matching_evidence``)."""
    return {"base": model.rope.rope.base, "rotary_dim": model.rope.rope.rotary_dim, "context": model.rope.context,
            "rope_type": model.rope.rope.rope_type}


def _command_line(args: argparse.Namespace, distances: list[int], trials: int) -> str:
    """The command that reproduces a retrieval run."""
    ropes = " ".join(f"--rope {r}" for r in (args.rope or ["trained"]))
    return (f"python -m verify probe retrieval --model {args.model} {ropes} --distances "
            f"{','.join(str(d) for d in distances)} --trials {trials} --seed {args.seed}")


def _header(doc: Document, model: Any) -> None:
    rope = model.rope
    doc.line(f"{model.name}: {rope.rope.rope_type} RoPE, base {format_number(rope.rope.base)}, rotary dim "
             f"{rope.rope.rotary_dim}, context {format_number(rope.context)}, depth {rope.depth}; loaded in "
             f"{model.load_seconds:.1f} s")


def _retrieval(args: argparse.Namespace) -> int:
    from rope_sym.models.serving import pretraining_length
    from rope_sym.real.choices import rope_choice
    from rope_sym.real.evidence import assess
    from rope_sym.real.retrieval import DEFAULT_DISTANCES, retrieval_curve

    dtype = (args.dtypes or "fp32").split(",")[0]
    pipeline = args.pipelines.split(",")[0]
    trials = 16 if args.trials is None else args.trials
    distances = args.distances or list(DEFAULT_DISTANCES)
    model = _load(args, dtype)
    choices = [rope_choice(model.rope, text) for text in (args.rope or ["trained"])]
    if "trained" not in [label for label, _ in choices]:
        choices.insert(0, ("trained", None))  # the calibration needs the trained RoPE's curve
    ticker = Ticker(len(choices) * len(set(distances)) * trials, "retrieval", "trials",
                    enabled=None if not args.json else False)
    start = time.perf_counter()
    curves = []
    for label, rope in choices:
        model.set_rope(rope, pipeline)
        curves.append(retrieval_curve(model, label, distances, trials, args.seed, progress=ticker))
    seconds = time.perf_counter() - start
    train = pretraining_length(model.rope)
    records = [c.to_dict() for c in curves]
    assessment: dict[str, Any] = assess(model.rope.rope, train, records)
    data = {"model": model.name, "rope": _fingerprint(model), "command": _command_line(args, distances, trials),
            "measured_on": time.strftime("%Y-%m-%d"), "dtype": dtype, "pipeline": pipeline, "trials": trials,
            "seed": args.seed, "curves": records, "assessment": assessment, "load_seconds": model.load_seconds,
            "probe_seconds": seconds, "trials_per_second": ticker.done / seconds if seconds else None}
    if emit_json(args, data):
        return 0
    doc = Document()
    _header(doc, model)
    doc.line(f"sparse-position passkey, {trials} trials per distance (seed {args.seed}), {dtype} {pipeline}; "
             "cells: successes/trials [Wilson 95%]")
    rows = []
    for k, distance in enumerate(sorted(set(distances))):
        row: list[Any] = [distance]
        for c in curves:
            r = c.results[k]
            row.append(f"{r.successes}/{r.trials} [{r.low:.2f},{r.high:.2f}]")
        rows.append(row)
    doc.table(["distance"] + [c.label for c in curves], rows, name="accuracy")
    doc.line("")
    length = assessment["calibrated_length"]
    doc.line(f"reach: measured (last pass, first fail]; law = Liu et al. 2023 at the training length {train:,}; "
             "calibrated = the refined law: the critical pair kept in the phase range it saw over the calibrated "
             "length " + ("(none: the trained RoPE's reach is off the grid)" if length is None else
                          f"({format_number(length[0])}, {format_number(length[1])}], the trained RoPE's reach)"))
    law_rows = []
    for entry in assessment["rows"]:
        m = entry["measured"]
        measured = f"({_side(m['last_pass'])}, {_side(m['first_fail'], True)}]"
        calibrated = entry["calibrated"]
        law_rows.append([entry["label"], measured, entry["law"], "yes" if entry["law_agrees"] else "no",
                         "-" if calibrated is None else f"[{format_number(calibrated[0])}, "
                         f"{format_number(calibrated[1])}]",
                         "-" if entry["calibrated_agrees"] is None else "yes" if entry["calibrated_agrees"] else "no"])
    doc.table(["rope", "measured reach", "law", "agrees", "calibrated law", "agrees"], law_rows, name="reach")
    doc.line(f"\n{ticker.done} trials in {seconds:.1f} s ({ticker.done / seconds:.2f} trials/s); load "
             f"{model.load_seconds:.1f} s")
    show(args, doc)
    return 0


def _side(value: int | None, upper: bool = False) -> str:
    if value is None:
        return "beyond grid" if upper else "none"
    return format_number(value)


def _offset(args: argparse.Namespace) -> int:
    from rope_sym.real.offset import DEFAULT_OFFSETS, first_breaks, offset_table

    dtypes = (args.dtypes or "fp32,bf16").split(",")
    pipelines = args.pipelines.split(",")
    offsets = args.offsets or list(DEFAULT_OFFSETS)
    if args.tokens < 2:
        raise UsageError(f"--tokens must be at least 2, got {args.tokens}")
    model = _load(args, "fp32")
    ticker = Ticker(len(dtypes) * len(pipelines) * len(set(offsets)), "offset", "rows",
                    enabled=None if not args.json else False)
    start = time.perf_counter()
    rows = offset_table(model, offsets, dtypes, pipelines, args.tokens, progress=ticker)
    seconds = time.perf_counter() - start
    breaks = first_breaks(rows)
    data = {"model": model.name, "tokens": args.tokens, "rows": [r.to_dict() for r in rows],
            "first_breaks": [{"dtype": d, "pipeline": p, "offset": None if r is None else r.offset,
                              "mechanism": None if r is None else r.mechanism} for (d, p), r in breaks.items()],
            "load_seconds": model.load_seconds, "probe_seconds": seconds}
    if emit_json(args, data):
        return 0
    doc = Document()
    _header(doc, model)
    doc.line(f"the same {args.tokens} tokens at [P, P+n) against [0, n); KL = mean KL(p_0 || p_P) in nats; laws: "
             "distinct stored positions, max phase error (rad) against the stored cos/sin half-ulp, pairs erased")
    doc.table(["dtype", "pipeline", "offset P", "KL", "top-1", "positions", "phase err", "half-ulp", "erased",
               "law crossed"],
              [[r.dtype, r.pipeline, r.offset, f"{r.kl:.2e}", f"{r.top1:.3f}", r.distinct_positions,
                f"{r.phase_error:.1e}", f"{r.store_half_ulp:.1e}", r.erased_pairs, r.mechanism] for r in rows],
              drop_order=[7, 8], name="offsets")
    for (dtype, pipeline), row in breaks.items():
        doc.line(f"{dtype} {pipeline}: " + ("no break on the grid" if row is None else
                 f"breaks at P = {row.offset:,} (top-1 {row.top1:.2f}); mechanism: {row.mechanism}"))
    doc.line(f"{len(rows)} rows in {seconds:.1f} s; load {model.load_seconds:.1f} s")
    show(args, doc)
    return 0


def _attention(args: argparse.Namespace) -> int:
    from rope_sym.real.attention import DEFAULT_DISTANCES, attention_table

    dtype = (args.dtypes or "fp32").split(",")[0]
    trials = 4 if args.trials is None else args.trials
    distances = args.distances or list(DEFAULT_DISTANCES)
    model = _load(args, dtype, attention="eager")
    model.set_rope(None, args.pipelines.split(",")[0])
    ticker = Ticker(len(set(distances) | {0}) * trials, "attention", "trials", enabled=None if not args.json else False)
    start = time.perf_counter()
    rows = attention_table(model, distances, trials, args.seed, progress=ticker)
    seconds = time.perf_counter() - start
    data = {"model": model.name, "trials": trials, "rows": [r.to_dict() for r in rows],
            "load_seconds": model.load_seconds, "probe_seconds": seconds}
    if emit_json(args, data):
        return 0
    doc = Document()
    _header(doc, model)
    doc.line(f"attention of the question's last token to the key, over retrieval heads ({rows[0].retrieval_heads} "
             "heads put >= 2x as much mass on each key token as on each other prefix token at distance 0), "
             f"{trials} keys; proxy: Du et al.'s P(prefer the farther of two positions) for random q, k on the "
             "same spectrum")
    doc.table(["distance", "key mass / at 0 (median)", "heads keeping half", "heads telling tokens",
               "proxy P(invert)"],
              [[r.distance, f"{r.key_mass_ratio_median:.3f}", r.heads_keeping_half, r.heads_telling_tokens,
                "-" if r.random_position_inversion is None else f"{r.random_position_inversion:.3f}"]
               for r in rows], name="attention")
    doc.line(f"{ticker.done} trials in {seconds:.1f} s; load {model.load_seconds:.1f} s")
    show(args, doc)
    return 0


def _run(args: argparse.Namespace) -> int:
    if args.trials is not None and args.trials < 1:
        raise UsageError(f"--trials must be at least 1, got {args.trials}")
    return {"retrieval": _retrieval, "offset": _offset, "attention": _attention}[args.probe](args)


command("probe", "run a trained model: passkey retrieval against distance, offset invariance, attention to a "
        "target against distance")(Command(_configure, _run))
