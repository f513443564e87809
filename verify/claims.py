"""The claims ledger: every published claim the toolkit is about, with a verdict computed from its checks.

A :class:`Claim` names its source, says the claim in one sentence, lists the checks whose figures decide it, and
judges those figures: ``confirmed``, ``refuted``, ``refined`` (true with a different constant, form or domain) or
``open`` (with the reason). Verdicts are computed each time from the checks' figures, never typed in; a check that
fails or is skipped leaves its claims ``open``. ``python -m verify claims [ID ...] [--json]``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from verify.checks import CheckOptions, CheckResult, Status, run_check

VERDICTS: tuple[str, ...] = ("confirmed", "refuted", "refined", "open")
BASES: dict[str, str] = {
    "derivation": "a machine-checked derivation (and numerics at high precision)",
    "exact computation": "exact computation of the RoPE itself (emulation, scans, closed forms)",
    "configs": "published model configs read by the toolkit",
    "proxy": "random query/key vectors or closed-form statistics standing in for a model",
    "real model": "a trained model run by the toolkit (rope_sym.real), beside the proxy",
}
"""What a verdict rests on; ``proxy`` verdicts say nothing measured in a trained model."""
REAL_CHECK = "real-model"
"""The check whose figures decide behaviour claims on a trained model."""

Results = dict[str, CheckResult]


@dataclass(frozen=True)
class Judgement:
    """A verdict, the reason in one sentence, and the figures behind it."""

    verdict: str
    reason: str
    figures: dict[str, Any] = field(default_factory=dict)
    basis: str = ""


@dataclass(frozen=True)
class Claim:
    """One claim: ``id``, ``source``, the ``claim`` in one sentence, the ``checks`` that decide it, the ``command``
    that reproduces the figures, and ``judge`` (check results -> judgement). ``basis`` says what that judgement
    rests on (``BASES``); a claim about model behaviour with ``real`` is decided again on the real model when the
    ``real-model`` check ran (``real(results, judgement)``), and says so."""

    id: str
    source: str
    claim: str
    checks: tuple[str, ...]
    command: str
    judge: Callable[[Results], Judgement]
    basis: str = "proxy"
    real: Callable[[Results, Judgement], Judgement] | None = None


def figure(results: Results, check: str, *path: str) -> Any:
    """A figure of a check's results, by key path."""
    value: Any = results[check].figures
    for key in path:
        value = value[key]
    return value


def threshold(value: float, limit: float, above: str, below: str, reason: str, **figures: Any) -> Judgement:
    """``above`` when ``value > limit`` else ``below``: the verdict logic of claims decided by one figure."""
    return Judgement(above if value > limit else below, reason, {"value": value, "threshold": limit, **figures})


LIU = "Liu 2026, Rotary Positional Embeddings as Phase Modulation"
DU = "Du et al. 2026, RoPE Distinguishes Neither Positions Nor Tokens in Long Contexts, Provably"
EXPLAINERS = "common explainers of RoPE, NTK and YaRN"


# ------------------------------------------------------------------------------------------------ Liu 2026


def _liu_aliasing(r: Results) -> Judgement:
    rows = figure(r, "claim-aliasing", "rows")
    below = rows["0.5 x bound"]
    wraps, distinct = below["slowest_pair_wraps"], below["distinct_positions"] == below["context"]
    verdict = "refined" if wraps and distinct else ("confirmed" if wraps else "refuted")
    return Judgement(verdict, "below the bound the slowest pair does wrap within L "
                     f"({below['slowest_turns_within_L']:.2f} turns), but every position keeps a distinct code through "
                     "the faster pairs: the bound is necessary for the slowest pair's phase to be unambiguous, not for "
                     "positions to be told apart", {"below_bound": below, "derivation_verified":
                                                     r["derivation-aliasing"].status is Status.PASS})


def _liu_dc(r: Results) -> Judgement:
    factor = figure(r, "numeric-bounds", "paper_factor_vs_exact_condition", "dc_stability")
    return threshold(factor, 1.0 + 1e-9, "refined", "confirmed",
                     "the DC-stability bound derives step by step and matches a 50-digit solve in the exact form "
                     "b >= (L/arccos eps)^(d/(d-2)); the paper's form L/arccos(eps) is too low, by up to a factor "
                     f"{factor:.2f} in the checked settings", derivation=r["derivation-dc-stability"].headline)


def _liu_depth(r: Results) -> Judgement:
    measured = figure(r, "claim-depth-stack", "measured_range_ratio", "N=16")
    predicted = figure(r, "claim-depth-stack", "predicted_range_ratio", "N=16")
    return threshold(measured, (1.0 + predicted) / 2, "refuted", "confirmed",
                     "the bound derives from its hypothesis that alignment multiplies over layers (cos^N >= eps), but "
                     "in a stack whose logits add over layers (independent projections, no mixing between layers) "
                     f"the range where similar content scores above zero does not shrink with depth: "
                     f"{measured:.2f} of the one-layer range at N = 16, where cos^N predicts {predicted:.2f}; "
                     "stacks that mix between layers are not measured here", measured=measured, predicted=predicted,
                     derivation=r["derivation-depth"].headline)


def _liu_wall(r: Results) -> Judgement:
    ratio = figure(r, "erasure-law-constant", "walls_over_eps_mach", "bf16")
    cast = r["erasure-law-cast"].headline
    return threshold(abs(ratio - 1.0), 0.5, "refined", "confirmed",
                     f"pairs are erased below theta* = {ratio:.4f} eps_mach (the cast law, {cast}), not below "
                     "eps_mach, and in the hf pipeline every position stays distinct: erasure takes single-token "
                     "resolution from slow pairs; only positions stored in the dtype (native) merge, at 2^p + 1 "
                     "positions whatever the base", wall_over_eps_mach=ratio)


def _liu_zone(r: Results) -> Judgement:
    rows = figure(r, "claim-zone", "rows")
    differ = figure(r, "claim-zone", "feasibility_differs")
    bf16, fp32 = rows["bf16 L=4096 N=1"], rows["fp32 L=2000000 N=32"]
    return threshold(differ, 0, "refined", "confirmed",
                     "lower bounds and a precision-dependent upper bound do form a zone, but its upper side is the "
                     f"derived code-level wall, and feasibility differs from the paper's in {differ} of {len(rows)} "
                     f"settings: fp32 at 2M tokens, N 32 is feasible (code-level L_max {fp32['max_context_code']:.3g} "
                     f"vs the paper's {fp32['max_context_paper']:.3g}); bf16 leaves no zone beyond "
                     f"{bf16['max_context_code']:.4g} tokens at N 1 while positions stay distinct", rows=rows)


def _liu_million(r: Results) -> Judgement:
    fp32 = figure(r, "claim-zone", "rows", "fp32 L=2000000 N=32")
    derived = min(fp32["max_context_code"] or float("inf"), fp32["positions_kept"])
    return threshold(derived / fp32["max_context_paper"], 5.0, "refuted", "confirmed",
                     f"the paper's fp32 L_max is {fp32['max_context_paper']:.3g} tokens (eps 0.5, N 32), but the laws "
                     f"keep every pair resolved to {fp32['max_context_code']:.3g} tokens and positions distinct to "
                     f"{fp32['positions_kept']:,} (where fp32 positions merge): the hard limit is the pipeline's, not "
                     "a wall near a million tokens", **fp32)


def _liu_case_study(r: Results) -> Judgement:
    figs = r["models-case-study"].figures
    outside = figs["models"] - figs["inside"]
    return threshold(outside / figs["models"], 0.25, "refuted", "confirmed",
                     f"{outside} of {figs['models']} released models, each at its advertised context, fall outside "
                     "the zone (by the derived walls; the paper's wall puts "
                     f"{figs['models'] - figs['inside_paper']} outside), e.g. Llama-2-7B at 4K fails the depth bound "
                     "for its 32 layers: the bounds do not separate working models from failing ones",
                     outside=figs["outside"])


def _liu_retrofits(r: Results) -> Judgement:
    figs = r["claim-retrofits"].figures
    moved, total = figs["moved_in"], figs["scaled_models"]
    return threshold(moved / total, 0.5, "confirmed", "refined",
                     f"of {total} scaled registry models, {moved} move into the zone with their scaling and "
                     f"{figs['stayed_out']} stay outside even with it: retrofits move the slowest pair the right way, "
                     "not always far enough", rows=figs["rows"])


def _liu_collapse(r: Results) -> Judgement:
    rows = figure(r, "claim-stability-collapse", "rows")
    at, below = rows["1 x DC"]["negative_B_share"], rows["0.5 x DC"]["negative_B_share"]
    above = rows["4 x DC"]["negative_B_share"]
    return threshold(below - above, 0.2, "refined", "refuted",
                     f"long-range degradation grows as the base falls: the share of distances where similar content "
                     f"scores below random (Men et al.'s B(m) < 0) is {above:.3f} at 4x the DC bound, {at:.3f} at it "
                     f"and {below:.3f} at half of it, and attention loses locality; but it starts above the DC bound "
                     "(Men et al.'s criterion is stricter), so the stability bound is not where collapse begins",
                     rows=rows)


# ------------------------------------------------------------------------------------ on the real model


def _real(r: Results) -> dict[str, Any]:
    return r[REAL_CHECK].figures


def _reach_text(figs: dict[str, Any]) -> str:
    lo, hi = figs["shipped_reach"]
    return f"retrieves a passkey up to {lo:,} tokens and fails by {hi:,}"


def _real_collapse(r: Results, proxy: Judgement) -> Judgement:
    figs = _real(r)
    zone, (lo, hi) = figs["zone"], figs["shipped_reach"]
    margin = zone["margins"]["dc_stability"]
    if margin > 0 and hi < zone["context"]:
        return Judgement("refined", f"on a trained model, SmolLM2-135M meets the DC-stability bound at its context "
                         f"{zone['context']:,} (margin {margin:+.2f} decades) yet {_reach_text(figs)}: long-range "
                         "degradation comes well inside the bound, where the critical-dimension law calibrated to the "
                         f"measurement puts it; the proxy: {proxy.reason}",
                         {"real": {"dc_margin": margin, "reach": [lo, hi], "context": zone["context"]},
                          "proxy": proxy.figures})
    return Judgement(proxy.verdict, f"the trained model degrades where the bound says ({_reach_text(figs)}); "
                     f"the proxy: {proxy.reason}", {"real": figs["zone"], "proxy": proxy.figures})


def _real_case_study(r: Results, proxy: Judgement) -> Judgement:
    figs = _real(r)
    zone, (lo, hi) = figs["zone"], figs["shipped_reach"]
    if zone["verdict"] != "outside" and hi < zone["context"]:
        return Judgement("refuted", f"run, SmolLM2-135M is judged {zone['verdict']} at its context "
                         f"{zone['context']:,} but {_reach_text(figs)}; Liu et al.'s critical-dimension law at the "
                         f"configured length says {figs['law']:,.0f}: neither the zone nor the law predicts it until "
                         f"calibrated to the measurement; the configs: {proxy.reason}",
                         {"real": {"zone": zone, "reach": [lo, hi], "law": figs["law"]}, "configs": proxy.figures})
    return Judgement(proxy.verdict, f"the trained model behaves as its zone verdict says; the configs: {proxy.reason}",
                     {"real": zone, "configs": proxy.figures})


def _real_retrofits(r: Results, proxy: Judgement) -> Judgement:
    rows = _real(r)["retrofits"]
    base = _real(r)["shipped_reach"]
    extend = [x for x in rows if not x["needs_fine_tuning"] and (x["reach"]["first_fail"] or 1 << 62) > base[1]]
    broken = [x for x in rows if x["needs_fine_tuning"]]
    agree = [x for x in rows if x["agrees"]]

    def name(xs: list[dict[str, Any]]) -> str:
        return ", ".join(x["label"] for x in xs) or "none"

    return Judgement("refined", f"run on SmolLM2-135M without fine-tuning: {name(extend)} extend the measured reach "
                     f"past {base[1]:,} tokens; {name(broken)} fail below the trained RoPE even at "
                     f"{rows[0]['shortest']['distance'] if rows else 0:,} tokens (they need fine-tuning); the law "
                     f"calibrated to the trained reach agrees with {len(agree)} of {len(rows)} measured retrofits; "
                     f"the configs: {proxy.reason}", {"real": rows, "configs": proxy.figures})


def _real_locality(r: Results, proxy: Judgement) -> Judgement:
    rows = _real(r)["attention"]
    first, last = rows[0], rows[-1]
    kept = last["heads_keeping_half"]
    return Judgement(proxy.verdict if kept < first["retrieval_heads"] else "refined",
                     f"in SmolLM2-135M, of {first['retrieval_heads']} heads that single out the key at distance 0, "
                     f"{kept} keep at least half their attention on it at {last['distance']:,} tokens (median ratio "
                     f"{last['key_mass_ratio_median']:.2f}); random-vector proxy on its spectrum: P(prefer the "
                     f"farther) {last['random_position_inversion']:.3f}; the proxy: {proxy.reason}",
                     {"real": rows, "proxy": proxy.figures})


def _real_tokens(r: Results, proxy: Judgement) -> Judgement:
    rows = _real(r)["attention"]
    first, last = rows[0], rows[-1]
    telling = last["heads_telling_tokens"]
    share = telling / first["retrieval_heads"] if first["retrieval_heads"] else 0.0
    return Judgement(proxy.verdict if share <= 0.5 else "refined",
                     f"in SmolLM2-135M, {telling} of {first['retrieval_heads']} key-reading heads still give the key's "
                     f"tokens more attention than the other tokens at {last['distance']:,} positions, where retrieval "
                     f"has failed; the proxy: {proxy.reason}", {"real": rows, "proxy": proxy.figures})


# --------------------------------------------------------------------------------------------- Du et al.


def _du_locality(r: Results) -> Judgement:
    figs = r["du-position-inversion"].figures
    return Judgement("confirmed" if r["du-position-inversion"].status is Status.PASS else "refuted",
                     "the probability that attention prefers the farther of two positions reaches 1/2 (within 0.05) "
                     f"as the context grows: from M = {figs['horizons']['1000']} at base 1e3 and "
                     f"{figs['horizons']['10000']} at base 1e4; at base 5e5 not by 2^20", figs["horizons"])


def _du_token(r: Results) -> Judgement:
    return Judgement("confirmed" if r["du-token-inversion"].status is Status.PASS else "refuted",
                     r["du-token-inversion"].headline, {"estimates": r["du-token-inversion"].figures["estimates"]})


def _du_move(r: Results) -> Judgement:
    counts = figure(r, "du-aliasing", "counts", "500000")
    return threshold(counts["bf16"], 0, "refined", "refuted",
                     f"a key moved to another position keeps its score bit for bit in the formats models use "
                     f"({counts['bf16']} equal-score pairs of positions in bf16, {counts['fp16']} in fp16, "
                     f"{counts['fp32']} in fp32) but in none in fp64: it is a property of finite precision",
                     counts=counts)


def _du_replace(r: Results) -> Judgement:
    counts = figure(r, "claim-score-replace", "counts")
    return threshold(counts["bf16"], 0, "refined" if counts["fp64"] == 0 else "confirmed", "refuted",
                     f"distinct keys at one position keep one score bit for bit in the formats models use "
                     f"({counts['bf16']} pairs of 2,000 keys in bf16, {counts['fp16']} in fp16, {counts['fp32']} in "
                     f"fp32, {counts['fp64']} in fp64); exactly, a replaced key keeps its score only by coincidence, "
                     "but its relevance does invert at long range (token inversion tends to 1/2)", counts=counts,
                     token_inversion=r["du-token-inversion"].headline)


def _du_tradeoff(r: Results) -> Judgement:
    horizons = figure(r, "du-position-inversion", "horizons")
    token = r["du-token-inversion"].headline
    larger_base_helps_positions = horizons["500000"] is None or (
        horizons["10000"] is not None and horizons["500000"] > horizons["10000"])
    return Judgement("refuted" if larger_base_helps_positions else "confirmed",
                     "in these measurements a larger base helps both: positions stay distinguishable to longer "
                     f"contexts (inversion reaches 1/2 at M = {horizons['1000']} for base 1e3, {horizons['10000']} for "
                     f"1e4, not by 2^20 for 5e5) and tokens too ({token})", {"horizons": horizons})


def _du_multihead(r: Results) -> Judgement:
    far = figure(r, "claim-multihead", "far")
    worst = max(abs(v - 0.5) for v in far)
    return threshold(worst, 0.05, "refuted", "confirmed",
                     "summing the logits of 8 heads, and of 8 heads over 4 layers, leaves position inversion at 1/2 "
                     f"by 2^20 tokens ({', '.join(f'{v:.3f}' for v in far)}): more heads and layers do not overcome "
                     "it (a proxy: independent projections, no mixing between layers)", far=far)


# ------------------------------------------------------------------------------------------- explainers


def _relative(r: Results) -> Judgement:
    ok = r["derivation-relative-position"].status is Status.PASS
    return Judgement("confirmed" if ok else "refuted", "R(m)^T R(n) = R(n - m) is derived step by step and the score "
                     "depends on n - m only at 50 digits; rotations are orthogonal, so norms are kept",
                     {"check": r["derivation-relative-position"].headline})


def _layouts(r: Results) -> Judgement:
    ok = r["derivation-relative-position"].status is Status.PASS
    return Judgement("confirmed" if ok else "refuted", "R_half = P R_interleaved P^T for the interleaved-to-half "
                     "permutation P, so scores agree once q and k are permuted",
                     {"check": r["derivation-relative-position"].headline})


def _theta63(r: Results) -> Judgement:
    f = figure(r, "claim-explainers", "theta63")
    return threshold(abs(f["theta_63"] / f["paper_form"] - 1), 0.05, "refined", "confirmed",
                     f"theta_63 = 1e4^(-126/128) = {f['theta_63']:.4g}, not 1e-4 (that is the 1/b shortcut), so the "
                     f"period is {f['period_tokens']:,.0f} tokens = {f['period_over_pi']:,.0f} pi, not 20000 pi", **f)


def _llama_base(r: Results) -> Judgement:
    bases = figure(r, "claim-explainers", "llama_bases")
    share = sum(b == 1e6 for b in bases.values()) / len(bases)
    return threshold(share, 0.5, "confirmed", "refuted",
                     f"of the Llama configs, only CodeLlama uses 1e6; Llama 2 uses 1e4 and Llama 3 to 4 use 5e5 "
                     f"({bases})", bases=bases)


def _llama3_wrap(r: Results) -> Judgement:
    f = figure(r, "claim-explainers", "llama3_wrap")
    return Judgement("refuted" if f["wraps_within_128k"] else "confirmed",
                     f"the slowest pair at base 5e5, d 128 has a wavelength of {f['slowest_wavelength']:,.0f} tokens, "
                     "far beyond 131,072", f)


def _fp16_positions(r: Results) -> Judgement:
    f = figure(r, "claim-explainers", "fp16_positions")
    same = f["stored_100000"] == f["stored_100001"]
    verdict = "refined" if same and f["hf_distinct_positions"] == f["hf_context"] else (
        "confirmed" if same else "refuted")
    return Judgement(verdict, "true where positions are stored in fp16 (every position from 65,520 on is inf, so "
                     "100,000 and 100,001 are one), but the hf pipeline keeps positions in fp32 and tells all "
                     f"{f['hf_context']:,} apart", f)


def _ntk(r: Results) -> Judgement:
    f = figure(r, "claim-explainers", "ntk")
    ok = f["fast_pair_ratio"] == 1.0 and f["slowest_pair_ratio"] < 1.0 and f["monotone"]
    return Judgement("confirmed" if ok else "refuted", "NTK-aware (dynamic) scaling keeps the fastest pair exactly "
                     f"(ratio {f['fast_pair_ratio']}) and divides the slowest by {1 / f['slowest_pair_ratio']:.3g}, "
                     "the ratio falling monotonically across the pairs", f)


def _yarn_lambda(r: Results) -> Judgement:
    f = figure(r, "claim-explainers", "yarn_lambda")
    limit_ok = abs(f["hf_slowest_factor"] - f["one_over_alpha"]) < 1e-12
    form_ok = f["stated_vs_hf_max_diff"] < 1e-6
    verdict = "confirmed" if limit_ok and form_ok else ("refined" if limit_ok else "refuted")
    return Judgement(verdict, "the slowest pairs' factor is 1/alpha as stated, but the Hugging Face code (matched by "
                     "the library to 1e-16) mixes by a clamped linear ramp, gamma + (1 - gamma)/alpha, not the stated "
                     f"rational form (max difference {f['stated_vs_hf_max_diff']:.3f})", f)


def _yarn_temperature(r: Results) -> Judgement:
    f = figure(r, "claim-explainers", "yarn_temperature")
    worst = max(abs(v["library"] - v["formula"]) for v in f.values())
    return threshold(worst, 1e-12, "refuted", "confirmed",
                     "the attention factor is 0.1 ln s + 1 (Hugging Face's get_mscale without mscale), to rounding",
                     factors=f)


CLAIMS: tuple[Claim, ...] = (
    Claim("liu-aliasing", LIU, "A Nyquist-like lower bound on the base is necessary over a context L.",
          ("claim-aliasing", "derivation-aliasing"), "python -m verify claim-aliasing derivation-aliasing",
          _liu_aliasing, basis="exact computation"),
    Claim("liu-dc-stability", LIU, "The slow modes' phase drift must stay coherent, a DC-stability lower bound.",
          ("derivation-dc-stability", "numeric-bounds"), "python -m verify derivation-dc-stability numeric-bounds",
          _liu_dc, basis="derivation"),
    Claim("liu-depth", LIU, "Misalignment compounds over N layers and tightens the bound with depth.",
          ("claim-depth-stack", "derivation-depth"), "python -m verify claim-depth-stack derivation-depth",
          _liu_depth, basis="proxy"),
    Claim("liu-precision-wall", LIU, "A base above about 1/eps_mach makes per-token phase updates indistinguishable: "
          "positions are erased even without aliasing.", ("erasure-law-constant", "erasure-law-cast"),
          "python -m verify erasure-law-constant erasure-law-cast; python -m verify erasure --base 1e6 --head-dim "
          "128 --context 131072 --dtype bf16", _liu_wall, basis="exact computation"),
    Claim("liu-zone", LIU, "The bounds form a feasible zone that depends on precision and depth.",
          ("claim-zone",), "python -m verify zone --base 5e5 --context 131072 --head-dim 128 --dtype bf16",
          _liu_zone, basis="exact computation"),
    Claim("liu-million-wall", LIU, "Beyond about a million tokens a hard precision wall stands, whatever the "
          "architecture and training.", ("claim-zone",),
          "python -m verify zone --base 1e7 --context 2000000 --head-dim 128 --depth 32", _liu_million,
          basis="exact computation"),
    Claim("liu-case-study", LIU, "The successes, failures and retrofits of LLaMA, Mistral and DeepSeek line up with "
          "the bounds.", ("models-case-study",), "python -m verify models", _liu_case_study,
          basis="configs", real=_real_case_study),
    Claim("liu-retrofits", LIU, "Community retrofits (linear, NTK, YaRN, llama3) move models into the zone.",
          ("claim-retrofits",), "python -m verify claim-retrofits", _liu_retrofits,
          basis="configs", real=_real_retrofits),
    Claim("liu-stability-collapse", LIU, "Models that violate the stability bound show attention collapse and "
          "long-range degradation.", ("claim-stability-collapse",), "python -m verify claim-stability-collapse",
          _liu_collapse, basis="proxy", real=_real_collapse),
    Claim("du-locality", DU, "The probability that attention prefers a farther position tends to 1/2.",
          ("du-position-inversion",), "python -m verify du-position-inversion", _du_locality,
          basis="proxy", real=_real_locality),
    Claim("du-token-relevance", DU, "The probability that token relevance inverts between positions tends to 1/2.",
          ("du-token-inversion",), "python -m verify du-token-inversion", _du_token, basis="proxy", real=_real_tokens),
    Claim("du-score-move", DU, "A key moved to another position can keep its score.", ("du-aliasing",),
          "python -m verify du-aliasing", _du_move, basis="exact computation"),
    Claim("du-score-replace", DU, "A key replaced by another token can keep its score.",
          ("claim-score-replace", "du-token-inversion"), "python -m verify claim-score-replace du-token-inversion",
          _du_replace, basis="proxy"),
    Claim("du-base-tradeoff", DU, "A larger base helps tell tokens apart and hurts telling positions apart; no base "
          "keeps both.", ("du-position-inversion", "du-token-inversion"),
          "python -m verify du-position-inversion du-token-inversion", _du_tradeoff, basis="proxy"),
    Claim("du-multihead", DU, "Multi-head, multi-layer architectures do not overcome this.", ("claim-multihead",),
          "python -m verify claim-multihead", _du_multihead, basis="proxy"),
    Claim("explainer-relative", EXPLAINERS, "Scores depend only on n - m, and rotations keep norms.",
          ("derivation-relative-position",), "python -m verify derivation-relative-position", _relative,
          basis="derivation"),
    Claim("explainer-layouts", EXPLAINERS, "Half-split and interleaved layouts are one rotation up to a permutation.",
          ("derivation-relative-position",), "python -m verify latex --format text", _layouts, basis="derivation"),
    Claim("explainer-theta63", EXPLAINERS, "At d = 128 and base 1e4 the slowest frequency is about 1e-4, a period of "
          "about 20000 pi tokens.", ("claim-explainers",), "python -m verify claim-explainers", _theta63,
          basis="exact computation"),
    Claim("explainer-llama-base", EXPLAINERS, "LLaMA uses base 1e6.", ("claim-explainers",),
          "python -m verify models", _llama_base, basis="configs"),
    Claim("explainer-llama3-wrap", EXPLAINERS, "Llama 3's base 5e5 keeps the slowest pair from wrapping within 128K.",
          ("claim-explainers",), "python -m verify zone --base 5e5 --context 131072 --head-dim 128", _llama3_wrap,
          basis="exact computation"),
    Claim("explainer-fp16-positions", EXPLAINERS, "fp16 cannot tell position 100,000 from 100,001.",
          ("claim-explainers",), "python -m verify erasure --base 1e4 --head-dim 64 --context 100002 --dtype fp16 "
          "--pipeline native", _fp16_positions, basis="exact computation"),
    Claim("explainer-ntk", EXPLAINERS, "NTK-aware scaling keeps the fast pairs and interpolates the slow ones.",
          ("claim-explainers",), "python -m verify claim-explainers", _ntk, basis="exact computation"),
    Claim("explainer-yarn-lambda", EXPLAINERS, "YaRN's per-pair factor is (beta alpha - beta + 1)/(beta alpha) with "
          "beta linear in i, tending to 1/alpha for the slowest pairs.", ("claim-explainers",),
          "python -m verify claim-explainers models-scaling-transformers", _yarn_lambda, basis="exact computation"),
    Claim("explainer-yarn-temperature", EXPLAINERS, "YaRN's attention factor is 0.1 ln s + 1.", ("claim-explainers",),
          "python -m verify claim-explainers", _yarn_temperature, basis="exact computation"),
)

CLAIM_IDS: tuple[str, ...] = tuple(c.id for c in CLAIMS)


@dataclass(frozen=True)
class ClaimResult:
    """A claim with its computed judgement."""

    claim: Claim
    judgement: Judgement

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.claim.id, "source": self.claim.source, "claim": self.claim.claim,
                "verdict": self.judgement.verdict, "reason": self.judgement.reason, "basis": self.judgement.basis,
                "figures": self.judgement.figures, "command": self.claim.command, "checks": list(self.claim.checks)}


def get_claims(ids: Sequence[str] = ()) -> list[Claim]:
    """The claims named (all when none); an unknown id is a ``KeyError`` naming the known ones."""
    if not ids:
        return list(CLAIMS)
    by_id = {c.id: c for c in CLAIMS}
    unknown = [i for i in ids if i not in by_id]
    if unknown:
        raise KeyError(f"unknown claim {unknown[0]!r} (known: {', '.join(CLAIM_IDS)})")
    return [by_id[i] for i in dict.fromkeys(ids)]


def judge(claim: Claim, results: Results) -> Judgement:
    """The claim's judgement, ``open`` when a check it needs did not pass (failed or skipped)."""
    missing = [name for name in claim.checks if results[name].status is not Status.PASS]
    if missing:
        name = missing[0]
        return Judgement("open", f"check {name} {results[name].status.value}: {results[name].headline}")
    try:
        judgement = replace(claim.judge(results), basis=claim.basis)
        real = results.get(REAL_CHECK)
        if claim.real is not None and real is not None and real.status is Status.PASS:
            judgement = replace(claim.real(results, judgement), basis="real model")
        elif claim.real is not None:
            why = "not run" if real is None else f"{real.status.value}: {real.headline}"
            judgement = replace(judgement, basis=f"{claim.basis} only (real model {why})")
    except (KeyError, TypeError, ZeroDivisionError) as exc:
        return Judgement("open", f"the figures do not decide it ({type(exc).__name__}: {exc})", basis=claim.basis)
    if judgement.verdict not in VERDICTS:
        raise ValueError(f"{claim.id}: unknown verdict {judgement.verdict!r}")
    return judgement


def evaluate(claims: Iterable[Claim], options: CheckOptions,
             run: Callable[[str, CheckOptions], CheckResult] = run_check) -> list[ClaimResult]:
    """Run every check the claims need (once each) and judge each claim."""
    claims = list(claims)
    results: Results = {}
    for claim in claims:
        for name in (*claim.checks, *((REAL_CHECK,) if claim.real is not None else ())):
            if name not in results:
                results[name] = run(name, options)
    return [ClaimResult(c, judge(c, results)) for c in claims]


def latex_section(results: Sequence[ClaimResult]) -> list[str]:
    """The ledger as a section of the derivations document: each claim, its source, verdict and reason."""
    from derivations.export import escape

    out = ["\\section{The claims ledger}",
           "Each published claim, with the verdict its checks compute (\\texttt{python -m verify claims}): "
           "confirmed, refuted, refined (true with a different constant, form or domain) or open.",
           "\\begin{itemize}"]
    for r in results:
        out.append(f"  \\item \\textbf{{{escape(r.claim.id)}}} ({escape(r.claim.source)}): {escape(r.claim.claim)} "
                   f"\\emph{{{r.judgement.verdict}}}: {escape(r.judgement.reason)}.")
    out.append("\\end{itemize}")
    return out
