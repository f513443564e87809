"""The real-model check: run the packaged SmolLM2-135M and confirm, at CI size, what the probes measured.

1. offset invariance (fp32, hf): the model's next-token distributions are the same wherever the text starts while
   the position law keeps every position distinct, and break exactly where it says positions merge (``2^24``);
2. retrieval: the trained RoPE retrieves the key at short distance and fails by the distance the shipped evidence
   (``rope_sym/real/data``) measured, so the configured training length overstates the reach, as the evidence
   says; the measured interval overlaps the shipped one.

SKIPPED, with the install line, when the model or the ``model`` extra is not installed.
"""

from __future__ import annotations

from typing import Any

from verify.checks import CheckOptions, Outcome, check

MODEL = "smollm2-135m"
OFFSETS = (0, 1 << 20, 1 << 24)
DISTANCES = (256, 2048, 8192)
TRIALS = 8
ATTENTION_DISTANCES = (0, 2048, 32768)


def _zone_and_law(model: Any) -> dict[str, Any]:
    """The toolkit's verdict on the model at its context (the bounds) and Liu et al.'s law, for the claims."""
    from rope_sym.bounds.models import model_report
    from rope_sym.real.evidence import expected_reach

    report = model_report(model.rope)
    expected = expected_reach(model.rope)
    return {"zone": {"verdict": report["verdict"], "context": report["context"],
                     "margins": {k: b["margin_decades"] for k, b in report["bounds"].items()}},
            "law": expected["law"], "calibrated_length": expected["calibrated_length"]}


def _shipped_retrofits(evidence: dict[str, Any] | None) -> list[dict[str, Any]]:
    """Each shipped retrofit curve: its measured reach, the calibrated law's interval and whether they agree, and
    its accuracy at the shortest distance beside the trained RoPE's (lower: it needs fine-tuning)."""
    from rope_sym.real.evidence import assess_record

    if evidence is None:
        return []
    curves = {c["label"]: c for c in evidence["curves"]}
    trained = curves.get("trained")
    out = []
    for row in assess_record(evidence)["rows"]:
        if row["label"] == "trained":
            continue
        curve = curves[row["label"]]
        short = curve["results"][0]
        needs = trained is not None and short["high"] < trained["results"][0]["low"]
        out.append({"label": row["label"], "reach": curve["reach"], "calibrated": row["calibrated"],
                    "agrees": row["calibrated_agrees"], "shortest": short, "needs_fine_tuning": needs})
    return out

def _unavailable() -> str | None:
    from rope_sym.errors import RopeSymError
    from rope_sym.models.packages import packaged_file, packaged_model

    for module, extra in (("torch", "torch"), ("transformers", "model"), ("gguf", "model")):
        try:
            __import__(module)
        except ImportError:
            return f"{module} is not installed (install the '{extra}' extra: pip install 'rope-sym[{extra}]')"
    model = packaged_model(MODEL)
    assert model is not None
    try:
        packaged_file(model)
    except RopeSymError as exc:
        return str(exc)
    return None


@check("real-model", "a trained model (SmolLM2-135M) keeps offset invariance until positions merge, and retrieves "
       "as its shipped evidence measured")
def real_model(options: CheckOptions) -> Outcome:
    reason = _unavailable()
    if reason is not None:
        return Outcome.skipped(reason)
    from rope_sym.real.attention import attention_table
    from rope_sym.real.evidence import shipped_evidence
    from rope_sym.real.loader import load_real_model
    from rope_sym.real.offset import offset_table
    from rope_sym.real.retrieval import reach_interval, retrieval_curve

    model = load_real_model(MODEL)
    failures: list[str] = []
    rows = offset_table(model, OFFSETS, ("fp32",), ("hf",), tokens=32)
    for row in rows:
        merges = row.distinct_positions < row.tokens
        if row.broken != merges:
            failures.append(f"offset {row.offset:,}: broken {row.broken} but the position law says merging {merges}")
    model.set_rope(None, "hf")
    curve = retrieval_curve(model, "trained", DISTANCES, TRIALS, seed=0)
    short = curve.results[0]
    if not short.passes:
        failures.append(f"no retrieval at distance {short.distance}: {short.successes}/{short.trials}")
    evidence = shipped_evidence(MODEL)
    figures: dict[str, Any] = {"load_seconds": round(model.load_seconds, 1),
                               "offsets": [r.to_dict() for r in rows], "retrieval": curve.to_dict()}
    measured = reach_interval(curve.results)
    if evidence is None:
        failures.append(f"no shipped evidence for {MODEL}")
    else:
        trained = next(c for c in evidence["curves"] if c["label"] == "trained")
        lo, hi = trained["reach"]["last_pass"] or 0, trained["reach"]["first_fail"] or float("inf")
        mine_lo, mine_hi = measured[0] or 0, measured[1] or float("inf")
        if mine_hi < lo or mine_lo > hi:
            failures.append(f"measured reach ({mine_lo}, {mine_hi}] does not overlap the shipped ({lo}, {hi}]")
        figures["shipped_reach"] = [lo, hi]
    figures["measured_reach"] = list(measured)
    figures.update(_zone_and_law(model))
    figures["retrofits"] = _shipped_retrofits(evidence)
    attention = attention_table(load_real_model(MODEL, attention="eager"), ATTENTION_DISTANCES, 2, seed=0)
    figures["attention"] = [row.to_dict() for row in attention]
    headline = (f"offset breaks at {next((r.offset for r in rows if r.broken), None)} (positions merge); retrieval "
                f"{'/'.join(f'{r.successes}' for r in curve.results)} of {TRIALS} at {DISTANCES}; reach "
                f"({measured[0]}, {measured[1]}]")
    return Outcome.judge(not failures, "; ".join(failures) or headline, **figures)
