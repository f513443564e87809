"""The text of a model's reach: what the bounds allow (a necessary condition), what the model can be expected to
reach (measured, or Liu et al.'s law when nothing was measured) and what the measurements say of a retrofit;
shared by ``verify recommend`` and ``verify model``."""

from __future__ import annotations

import math
from typing import Any

from verify.report import format_number
from verify.serving_text import wrap


def expected_lines(expected: dict[str, Any], width: int) -> list[str]:
    """The expected reach, saying what it rests on."""
    train = format_number(expected["train_context"])
    if math.isinf(expected["law"]):  # the critical pair does not rotate (a proportional rope's NoPE pairs)
        law = (f"Liu et al.'s extrapolation law sets no limit (every rotating pair completed a turn at the "
               f"pre-training length {train})")
    else:
        law = (f"Liu et al.'s extrapolation law puts the reach at {format_number(round(expected['law']))} tokens "
               f"(critical pair {expected['critical_pair']} at the pre-training length {train})")
    measured = expected["measured"]
    if measured is None:
        record = "; ".join(f"{r['model']}: law {format_number(round(r['law']))}, measured up to "
                           f"{format_number(r['last_pass'])}" for r in expected["law_record"])
        return wrap(f"expected reach: {law}; not measured on this model (a law, not a measurement"
                    + (f"; where it was measured: {record}" if record else "")
                    + "; `verify probe retrieval` measures a model you can load)", width)
    first = measured["first_fail"]
    return wrap(f"expected reach: measured, passkey retrieval up to {format_number(measured['last_pass'])} tokens, "
                f"failing by {format_number(first) if first else 'beyond the grid'} ({measured['trials']} trials "
                f"per distance, 95% intervals); {law}, which "
                + ("agrees" if measured["law_agrees"] else "the measurement refutes")
                + "; the model behaves as if trained on "
                + f"{format_number(measured['last_pass'])}-{format_number(first)} tokens (the calibrated length)",
                width)


def evidence_lines(evidence: list[dict[str, Any]], kind: str, width: int) -> list[str]:
    """What the shipped measurements say of retrofits of this kind."""
    if not evidence:
        return wrap(f"evidence for a {kind} retrofit: none measured on this model; the factor rests on the law", width)
    lines = []
    for e in evidence:
        reach = e["reach"]
        short = e["shortest"]
        if e["needs_fine_tuning"]:
            lines += wrap(f"evidence: {e['label']} measured: {short['successes']}/{short['trials']} at distance "
                          f"{format_number(short['distance'])}, below the trained RoPE there: this retrofit needs "
                          "fine-tuning to work", width)
        else:
            predicted = e.get("predicted")
            law = ("" if predicted is None else f"; the refined law predicted ({format_number(round(predicted[0]))}, "
                   f"{format_number(round(predicted[1]))}]: " + ("agrees" if e["agrees"] else "disagrees"))
            lines += wrap(f"evidence: {e['label']} measured without fine-tuning: retrieval up to "
                          f"{format_number(reach['last_pass'])} tokens, failing by "
                          f"{format_number(reach['first_fail']) if reach['first_fail'] else 'beyond the grid'}"
                          + law, width)
    return lines
