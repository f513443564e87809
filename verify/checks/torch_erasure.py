"""``erasure-torch``: real torch code erases positions where the emulation says it does.

For each setting the torch pipeline (``rope_sym.torch_backend.pipelines``, on ``cuda`` when available, else ``cpu``) is
compared with the exact emulation value by value and stage by stage (``rope_sym.torch_backend.confirm``). The check
passes when

- every erasure figure (distinct positions, erased pairs, wall frequency, ...) agrees exactly or within the
  mismatch budget derived from the differing codes;
- every local mismatch lies in a class that is explained: ``inv_freq``, ``positions`` and ``cos/sin (phase)``
  within ``EXPLAINED_ULPS`` (torch's pow, bf16 arange and cos/sin are not correctly rounded), and none at all in
  the stages that are single IEEE operations (``angles``, the cast, the rotation), where a difference would be
  a real finding (a TF32 matmul, a non-RNE cast);
- at the attention level (bf16, hf, base 5e5, content on the measured erased pairs), keys at distinct positions
  score bitwise equally, more than ten times the fp32-resolution control, and every such pair differs in
  float64.

Default scale: 2^14 positions per setting (2^16 at the attention level); ``--full``: 2^20 per setting and the
attention level at 2^20 (1M tokens), plus the torch scan of 2^24 positions on the device.
"""

from __future__ import annotations

from typing import Any

from rope_sym.spectrum.spec import RopeSpec
from verify.checks import CheckOptions, Outcome, check
from verify.progress import progress

SPEC = RopeSpec(128, 500000.0)
SETTINGS: tuple[tuple[str, str], ...] = (
    ("bf16", "hf"), ("bf16", "native"), ("bf16", "invfreq-cast"), ("fp16", "hf"), ("fp16", "native"),
    ("fp32", "hf"), ("fp64", "fp64"),
)
EXPLAINED_ULPS = {"inv_freq": 1.0, "positions": 1.0, "cos/sin (phase)": 2.0}
"""Largest local mismatch accepted per explained stage, in ulps of the stage's format."""


def _unexplained(stages: list[Any]) -> list[str]:
    bad = []
    for s in stages:
        limit = EXPLAINED_ULPS.get(s.stage, 0.0)
        if s.local and (limit == 0.0 or s.max_local_ulps > limit):
            bad.append(f"{s.stage}: {s.local} local mismatches up to {s.max_local_ulps:g} ulp")
    return bad


@check("erasure-torch", "torch (GPU when present) erases positions where the emulation does; mismatches explained")
def erasure_torch(options: CheckOptions) -> Outcome:
    try:
        import torch
    except ImportError:
        return Outcome.skipped("torch is not installed (install the 'torch' extra)")
    from rope_sym.torch_backend import attention_collisions, confirm, device_name, resolve_device, torch_erasure_scan

    device = resolve_device(None)
    context = 1 << 20 if options.full else 1 << 14
    figures: dict[str, Any] = {"device": device_name(device), "torch": torch.__version__, "context": context}
    failures: list[str] = []
    settings = progress(SETTINGS, label="erasure-torch", enabled=options.progress)
    for dtype, pipeline in settings:
        c = confirm(SPEC, context, dtype, pipeline, device=device)
        key = f"{dtype}/{pipeline}"
        figures[key] = {
            "stages": {s.stage: {"end_to_end": s.end_to_end, "local": s.local, "max_local_ulps": s.max_local_ulps}
                       for s in c.stages},
            "mismatched_positions": c.mismatched_positions,
            "figures": {f.figure: {"emulated": f.emulated, "torch": f.torch, "budget": f.budget, "agree": f.agree}
                        for f in c.figures},
        }
        failures += [f"{key}: {f.figure} {f.emulated} vs {f.torch} beyond {f.budget}" for f in c.figures
                     if not f.agree]
        failures += [f"{key}: {text}" for text in _unexplained(c.stages)]
    attention_context = 1 << 20 if options.full else 1 << 16
    a = attention_collisions(SPEC, attention_context, "bf16", "hf", device=device)
    figures["attention"] = a.to_dict()
    if not (a.identical_key_pairs > 0 and a.differ_in_fp64 == a.colliding_pairs
            and a.colliding_pairs > 10 * max(a.control_pairs, 1)):
        failures.append(f"attention: {a.colliding_pairs} equal-score pairs ({a.identical_key_pairs} identical keys, "
                        f"control {a.control_pairs}, {a.differ_in_fp64} differ in fp64)")
    if options.full:
        scan = torch_erasure_scan(SPEC, 1 << 24, "bf16", "hf", device=device, attention=False, probes=[])
        figures["scan_2^24"] = {"distinct_positions": scan.distinct_positions, "erased_pairs": scan.erased_pairs,
                                "wall_theta": scan.wall_theta, "scan_seconds": scan.scan_seconds}
    hf = figures["bf16/hf"]["figures"]
    headline = (f"{len(SETTINGS)} settings x {context:,} positions on {device.type}: figures agree"
                f"{'' if not failures else ' NOT everywhere'}; bf16 hf erases {hf['erased_pairs']['torch']} pairs; "
                f"{a.colliding_pairs:,} equal-score key pairs at {attention_context:,} tokens "
                f"(control {a.control_pairs:,}), all distinct in fp64")
    if failures:
        figures["failures"] = failures
        headline = f"{failures[0]} (+{len(failures) - 1} more)" if len(failures) > 1 else failures[0]
    return Outcome.judge(not failures, headline, **figures)
