"""Checks on real models: registry configs parse, scaling matches transformers, the case study runs."""

from __future__ import annotations

import math
import warnings

import numpy as np

from rope_sym.bounds.models import case_study
from rope_sym.models.registry import MODELS, get_model
from rope_sym.scaling import inv_freq
from verify.checks import CheckOptions, Outcome, check


@check("models-case-study", "every registry model (>= 20) parses and gets a zone verdict on its effective spectrum")
def models_case_study(options: CheckOptions) -> Outcome:
    with warnings.catch_warnings(record=True) as caught:  # registry warnings (Llama-4-Scout's equal bands)
        warnings.simplefilter("always")
        reports = case_study()
    consistent = all((r["verdict"] == "outside") == (r["first_violated"] is not None)
                     and (r["verdict"] == "graded") == (r["grade"] is not None) for r in reports)
    inside = sum(r["verdict"] == "inside" for r in reports)
    paper = sum(r["verdict_paper"] == "inside" for r in reports)
    changed = {r["model"]: f"{r['verdict_paper']} -> {r['verdict']}" for r in reports
               if r["verdict"] != r["verdict_paper"]}
    ok = len(reports) >= 20 and consistent
    return Outcome.judge(ok, f"{len(reports)} models, {inside} inside the fp32 zone at their own context by the "
                         f"derived walls ({paper} by the paper's wall; changed: {', '.join(changed) or 'none'})",
                         models=len(reports), inside=inside, inside_paper=paper, changed=changed,
                         warnings=sorted({str(w.message) for w in caught}),
                         outside={r["model"]: r["first_violated"] for r in reports if r["verdict"] == "outside"},
                         graded={r["model"]: r["grade"]["note"] for r in reports if r["verdict"] == "graded"})


@check("models-scaling-transformers", "effective inverse frequencies match transformers' rope init to float32 "
       "rounding on every registry model")
def models_scaling_transformers(options: CheckOptions) -> Outcome:
    try:
        from transformers.utils import logging as transformers_logging

        from verify.transformers_reference import hf_rope
    except ImportError as exc:
        return Outcome.skipped(f"transformers not installed ({exc.name}); it is a test-only dependency")
    worst, worst_model = 0.0, ""
    verbosity = transformers_logging.get_verbosity()
    transformers_logging.set_verbosity_error()  # its validation warnings are checked in tests/test_configs.py
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name in MODELS:
            model = get_model(name)
            rope = model.rope
            assert model.context is not None
            theirs, _ = hf_rope(rope, model.context, model.context)
            ours = inv_freq(rope, model.context)
            # in float32 ulps of the default spectrum's scale (HF computes in float32)
            rel = float(np.max(np.abs(theirs - ours) / ours)) / 2.0 ** -24
            if rel > worst:
                worst, worst_model = rel, name
    transformers_logging.set_verbosity(verbosity)
    # a loose aggregate; tests/test_scaling.py applies the per-pair float32 error bound
    ok = math.isfinite(worst) and worst < 40.0
    return Outcome.judge(ok, f"{len(MODELS)} models, worst relative difference {worst:.1f} x 2^-24 ({worst_model})",
                         worst_units_2_24=worst, worst_model=worst_model)
