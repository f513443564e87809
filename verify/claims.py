"""The claims ledger: every published claim the toolkit is about, with a ruling computed from its checks.

A claim is one judge function and its record, together: ``@claim(id, source, sentence, checks=..., command=...,
basis=...)`` on the function that turns the checks' results into a :class:`Ruling`, and, for a claim about model
behaviour, ``@real_judge(id)`` on the function that decides it again on the trained model. The ruling is
``confirmed``, ``refuted``, ``refined`` (true with a different constant, form or domain) or ``open`` (with the
reason); it is computed each time from the checks' figures, never typed in, and a check that fails or is skipped
leaves its claims ``open``. ``CLAIMS`` is the ledger in registration order. ``python -m verify claims [ID ...]
[--json]``.

A judge sees only the results of the checks its claim lists, and reads a figure with
``figure(results, check, *path)``, which names the check and the path it lacks (``MissingFigure``); the tests run
every judge on a real run of the checks with ``strict=True``, so a renamed figure breaks a test, not a ledger line.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from verify.checks import CheckOptions, CheckResult, Status, run_check

RULINGS: tuple[str, ...] = ("confirmed", "refuted", "refined", "open")
BASES: dict[str, str] = {
    "derivation": "a machine-checked derivation (and numerics at high precision)",
    "exact computation": "exact computation of the RoPE itself (emulation, scans, closed forms)",
    "configs": "published model configs read by the toolkit",
    "proxy": "random query/key vectors or closed-form statistics standing in for a model",
    "real model": "a trained model run by the toolkit (rope_sym.real), beside the proxy",
}
"""What a ruling rests on; ``proxy`` rulings say nothing measured in a trained model."""
REAL_CHECK = "real-model"
"""The check whose figures decide behaviour claims on a trained model."""

Results = dict[str, CheckResult]


@dataclass(frozen=True)
class Ruling:
    """A claim's ruling (``RULINGS``), the reason in one sentence, the figures behind it and what it rests on."""

    ruling: str
    reason: str
    figures: dict[str, Any] = field(default_factory=dict)
    basis: str = ""


Judge = Callable[[Results], Ruling]
RealJudge = Callable[[Results, Ruling], Ruling]


@dataclass(frozen=True)
class Claim:
    """One claim: ``id``, ``source``, the ``claim`` in one sentence, the ``checks`` that decide it, the ``command``
    that reproduces the figures, and ``judge`` (check results -> ruling). ``basis`` says what that ruling rests on
    (``BASES``); a claim about model behaviour with ``real`` is decided again on the real model when the
    ``real-model`` check ran (``real(results, ruling)``), and says so."""

    id: str
    source: str
    claim: str
    checks: tuple[str, ...]
    command: str
    judge: Judge
    basis: str = "proxy"
    real: RealJudge | None = None


class Ledger:
    """Claims in registration order, each registered once by the decorators on its judges (``claim``,
    ``real_judge``); a mistake in a record (an id twice, an unknown basis, a real judge for no claim) raises at
    import."""

    def __init__(self) -> None:
        self._claims: dict[str, Claim] = {}

    def claim(self, claim_id: str, source: str, sentence: str, *, checks: Sequence[str], command: str,
              basis: str = "proxy") -> Callable[[Judge], Judge]:
        """Decorator: register the decorated judge as the claim ``claim_id``."""
        if claim_id in self._claims:
            raise ValueError(f"claim {claim_id!r} registered twice")
        if basis not in BASES:
            raise ValueError(f"claim {claim_id!r}: unknown basis {basis!r} (known: {', '.join(BASES)})")
        if not checks:
            raise ValueError(f"claim {claim_id!r} names no check that decides it")

        def register(judge: Judge) -> Judge:
            self._claims[claim_id] = Claim(claim_id, source, sentence, tuple(checks), command, judge, basis)
            return judge

        return register

    def real_judge(self, claim_id: str) -> Callable[[RealJudge], RealJudge]:
        """Decorator: the decorated function decides the registered claim ``claim_id`` again on the real model."""

        def attach(judge: RealJudge) -> RealJudge:
            if claim_id not in self._claims:
                raise ValueError(f"real judge {judge.__name__} for an unregistered claim {claim_id!r}")
            if self._claims[claim_id].real is not None:
                raise ValueError(f"claim {claim_id!r} has a real judge already")
            self._claims[claim_id] = replace(self._claims[claim_id], real=judge)
            return judge

        return attach

    def claims(self) -> tuple[Claim, ...]:
        return tuple(self._claims.values())


LEDGER = Ledger()
claim = LEDGER.claim
real_judge = LEDGER.real_judge


class MissingFigure(KeyError):
    """A judge read a figure (or a check's results) that is not there: a renamed figure key, or a check its claim
    does not list."""

    def __str__(self) -> str:
        return str(self.args[0])


class ClaimResults(Results):
    """The results a judge sees: those of its claim's checks only, so that it cannot read an unlisted check."""

    def __missing__(self, check: str) -> CheckResult:
        raise MissingFigure(f"check {check!r} is not among the claim's checks ({', '.join(self) or 'none'})")


def figure(results: Results, check: str, *path: str) -> Any:
    """A figure of a check's results, by key path; a missing key is a ``MissingFigure`` naming the check, the path
    and the keys there."""
    value: Any = results[check].figures
    for depth, key in enumerate(path):
        if not isinstance(value, dict) or key not in value:
            there = ", ".join(map(str, value)) if isinstance(value, dict) else type(value).__name__
            raise MissingFigure(f"check {check!r} has no figure {'/'.join(path[:depth + 1])!r} (there: {there})")
        value = value[key]
    return value


def threshold(value: float, limit: float, above: str, below: str, reason: str, **figures: Any) -> Ruling:
    """``above`` when ``value > limit`` else ``below``: the ruling of claims decided by one figure."""
    return Ruling(above if value > limit else below, reason, {"value": value, "threshold": limit, **figures})


LIU = "Liu 2026, Rotary Positional Embeddings as Phase Modulation"
DU = "Du et al. 2026, RoPE Distinguishes Neither Positions Nor Tokens in Long Contexts, Provably"
EXPLAINERS = "common explainers of RoPE, NTK and YaRN"


# ------------------------------------------------------------------------------------------------ Liu 2026


@claim("liu-aliasing", LIU, "A Nyquist-like lower bound on the base is necessary over a context L.",
       checks=("claim-aliasing", "derivation-aliasing"),
       command="python -m verify claim-aliasing derivation-aliasing", basis="exact computation")
def _liu_aliasing(r: Results) -> Ruling:
    below = figure(r, "claim-aliasing", "rows", "0.5 x bound")
    wraps, distinct = below["slowest_pair_wraps"], below["distinct_positions"] == below["context"]
    ruling = "refined" if wraps and distinct else ("confirmed" if wraps else "refuted")
    return Ruling(ruling, "below the bound the slowest pair does wrap within L "
                  f"({below['slowest_turns_within_L']:.2f} turns), but every position keeps a distinct code through "
                  "the faster pairs: the bound is necessary for the slowest pair's phase to be unambiguous, not for "
                  "positions to be told apart", {"below_bound": below, "derivation_verified":
                                                  r["derivation-aliasing"].status is Status.PASS})


@claim("liu-dc-stability", LIU, "The slow modes' phase drift must stay coherent, a DC-stability lower bound.",
       checks=("derivation-dc-stability", "numeric-bounds"),
       command="python -m verify derivation-dc-stability numeric-bounds", basis="derivation")
def _liu_dc(r: Results) -> Ruling:
    factor = figure(r, "numeric-bounds", "paper_factor_vs_exact_condition", "dc_stability")
    return threshold(factor, 1.0 + 1e-9, "refined", "confirmed",
                     "the DC-stability bound derives step by step and matches a 50-digit solve in the exact form "
                     "b >= (L/arccos eps)^(d/(d-2)); the paper's form L/arccos(eps) is too low, by up to a factor "
                     f"{factor:.2f} in the checked settings", derivation=r["derivation-dc-stability"].headline)


@claim("liu-depth", LIU, "Misalignment compounds over N layers and tightens the bound with depth.",
       checks=("claim-depth-stack", "derivation-depth"), command="python -m verify claim-depth-stack derivation-depth",
       basis="proxy")
def _liu_depth(r: Results) -> Ruling:
    measured = figure(r, "claim-depth-stack", "measured_range_ratio", "N=16")
    predicted = figure(r, "claim-depth-stack", "predicted_range_ratio", "N=16")
    return threshold(measured, (1.0 + predicted) / 2, "refuted", "confirmed",
                     "the bound derives from its hypothesis that alignment multiplies over layers (cos^N >= eps), but "
                     "in a stack whose logits add over layers (independent projections, no mixing between layers) "
                     f"the range where similar content scores above zero does not shrink with depth: "
                     f"{measured:.2f} of the one-layer range at N = 16, where cos^N predicts {predicted:.2f}; "
                     "stacks that mix between layers are not measured here", measured=measured, predicted=predicted,
                     derivation=r["derivation-depth"].headline)


@claim("liu-precision-wall", LIU, "A base above about 1/eps_mach makes per-token phase updates indistinguishable: "
       "positions are erased even without aliasing.", checks=("erasure-law-constant", "erasure-law-cast"),
       command="python -m verify erasure-law-constant erasure-law-cast; python -m verify erasure --base 1e6 "
       "--head-dim 128 --context 131072 --dtype bf16", basis="exact computation")
def _liu_wall(r: Results) -> Ruling:
    ratio = figure(r, "erasure-law-constant", "walls_over_eps_mach", "bf16")
    cast = r["erasure-law-cast"].headline
    return threshold(abs(ratio - 1.0), 0.5, "refined", "confirmed",
                     f"pairs are erased below theta* = {ratio:.4f} eps_mach (the cast law, {cast}), not below "
                     "eps_mach, and in the hf pipeline every position stays distinct: erasure takes single-token "
                     "resolution from slow pairs; only positions stored in the dtype (native) merge, at 2^p + 1 "
                     "positions whatever the base", wall_over_eps_mach=ratio)


@claim("liu-zone", LIU, "The bounds form a feasible zone that depends on precision and depth.",
       checks=("claim-zone",), command="python -m verify zone --base 5e5 --context 131072 --head-dim 128 --dtype bf16",
       basis="exact computation")
def _liu_zone(r: Results) -> Ruling:
    rows = figure(r, "claim-zone", "rows")
    differ = figure(r, "claim-zone", "feasibility_differs")
    bf16 = figure(r, "claim-zone", "rows", "bf16 L=4096 N=1")
    fp32 = figure(r, "claim-zone", "rows", "fp32 L=2000000 N=32")
    return threshold(differ, 0, "refined", "confirmed",
                     "lower bounds and a precision-dependent upper bound do form a zone, but its upper side is the "
                     f"derived code-level wall, and feasibility differs from the paper's in {differ} of {len(rows)} "
                     f"settings: fp32 at 2M tokens, N 32 is feasible (code-level L_max {fp32['max_context_code']:.3g} "
                     f"vs the paper's {fp32['max_context_paper']:.3g}); bf16 leaves no zone beyond "
                     f"{bf16['max_context_code']:.4g} tokens at N 1 while positions stay distinct", rows=rows)


@claim("liu-million-wall", LIU, "Beyond about a million tokens a hard precision wall stands, whatever the "
       "architecture and training.", checks=("claim-zone",),
       command="python -m verify zone --base 1e7 --context 2000000 --head-dim 128 --depth 32",
       basis="exact computation")
def _liu_million(r: Results) -> Ruling:
    fp32 = figure(r, "claim-zone", "rows", "fp32 L=2000000 N=32")
    derived = min(fp32["max_context_code"] or float("inf"), fp32["positions_kept"])
    return threshold(derived / fp32["max_context_paper"], 5.0, "refuted", "confirmed",
                     f"the paper's fp32 L_max is {fp32['max_context_paper']:.3g} tokens (eps 0.5, N 32), but the laws "
                     f"keep every pair resolved to {fp32['max_context_code']:.3g} tokens and positions distinct to "
                     f"{fp32['positions_kept']:,} (where fp32 positions merge): the hard limit is the pipeline's, not "
                     "a wall near a million tokens", **fp32)


def _real(r: Results, *path: str) -> Any:
    """A figure of the real-model check."""
    return figure(r, REAL_CHECK, *path)


def _reach_text(r: Results) -> str:
    lo, hi = _real(r, "shipped_reach")
    return f"retrieves a passkey up to {lo:,} tokens and fails by {hi:,}"


@claim("liu-case-study", LIU, "The successes, failures and retrofits of LLaMA, Mistral and DeepSeek line up with the "
       "bounds.", checks=("models-case-study",), command="python -m verify models", basis="configs")
def _liu_case_study(r: Results) -> Ruling:
    models, inside = figure(r, "models-case-study", "models"), figure(r, "models-case-study", "inside")
    outside = models - inside
    return threshold(outside / models, 0.25, "refuted", "confirmed",
                     f"{outside} of {models} released models, each at its advertised context, fall outside "
                     "the zone (by the derived walls; the paper's wall puts "
                     f"{models - figure(r, 'models-case-study', 'inside_paper')} outside), e.g. Llama-2-7B at 4K "
                     "fails the depth bound for its 32 layers: the bounds do not separate working models from "
                     "failing ones", outside=figure(r, "models-case-study", "outside"))


@real_judge("liu-case-study")
def _real_case_study(r: Results, proxy: Ruling) -> Ruling:
    zone, (lo, hi), law = _real(r, "zone"), _real(r, "shipped_reach"), _real(r, "law")
    if zone["verdict"] != "outside" and hi < zone["context"]:
        return Ruling("refuted", f"run, SmolLM2-135M is judged {zone['verdict']} at its context "
                      f"{zone['context']:,} but {_reach_text(r)}; Liu et al.'s critical-dimension law at the "
                      f"configured length says {law:,.0f}: neither the zone nor the law predicts it until "
                      f"calibrated to the measurement; the configs: {proxy.reason}",
                      {"real": {"zone": zone, "reach": [lo, hi], "law": law}, "configs": proxy.figures})
    return Ruling(proxy.ruling, f"the trained model behaves as its zone verdict says; the configs: {proxy.reason}",
                  {"real": zone, "configs": proxy.figures})


@claim("liu-retrofits", LIU, "Community retrofits (linear, NTK, YaRN, llama3) move models into the zone.",
       checks=("claim-retrofits",), command="python -m verify claim-retrofits", basis="configs")
def _liu_retrofits(r: Results) -> Ruling:
    moved, total = figure(r, "claim-retrofits", "moved_in"), figure(r, "claim-retrofits", "scaled_models")
    return threshold(moved / total, 0.5, "confirmed", "refined",
                     f"of {total} scaled registry models, {moved} move into the zone with their scaling and "
                     f"{figure(r, 'claim-retrofits', 'stayed_out')} stay outside even with it: retrofits move the "
                     "slowest pair the right way, not always far enough", rows=figure(r, "claim-retrofits", "rows"))


@real_judge("liu-retrofits")
def _real_retrofits(r: Results, proxy: Ruling) -> Ruling:
    rows = _real(r, "retrofits")
    base = _real(r, "shipped_reach")
    extend = [x for x in rows if not x["needs_fine_tuning"] and (x["reach"]["first_fail"] or 1 << 62) > base[1]]
    broken = [x for x in rows if x["needs_fine_tuning"]]
    agree = [x for x in rows if x["agrees"]]

    def name(xs: list[dict[str, Any]]) -> str:
        return ", ".join(x["label"] for x in xs) or "none"

    return Ruling("refined", f"run on SmolLM2-135M without fine-tuning: {name(extend)} extend the measured reach "
                  f"past {base[1]:,} tokens; {name(broken)} fail below the trained RoPE even at "
                  f"{rows[0]['shortest']['distance'] if rows else 0:,} tokens (they need fine-tuning); the law "
                  f"calibrated to the trained reach agrees with {len(agree)} of {len(rows)} measured retrofits; "
                  f"the configs: {proxy.reason}", {"real": rows, "configs": proxy.figures})


@claim("liu-stability-collapse", LIU, "Models that violate the stability bound show attention collapse and "
       "long-range degradation.", checks=("claim-stability-collapse",),
       command="python -m verify claim-stability-collapse", basis="proxy")
def _liu_collapse(r: Results) -> Ruling:
    rows = figure(r, "claim-stability-collapse", "rows")
    at = figure(r, "claim-stability-collapse", "rows", "1 x DC", "negative_B_share")
    below = figure(r, "claim-stability-collapse", "rows", "0.5 x DC", "negative_B_share")
    above = figure(r, "claim-stability-collapse", "rows", "4 x DC", "negative_B_share")
    return threshold(below - above, 0.2, "refined", "refuted",
                     f"long-range degradation grows as the base falls: the share of distances where similar content "
                     f"scores below random (Men et al.'s B(m) < 0) is {above:.3f} at 4x the DC bound, {at:.3f} at it "
                     f"and {below:.3f} at half of it, and attention loses locality; but it starts above the DC bound "
                     "(Men et al.'s criterion is stricter), so the stability bound is not where collapse begins",
                     rows=rows)


@real_judge("liu-stability-collapse")
def _real_collapse(r: Results, proxy: Ruling) -> Ruling:
    zone, (lo, hi) = _real(r, "zone"), _real(r, "shipped_reach")
    margin = _real(r, "zone", "margins", "dc_stability")
    if margin > 0 and hi < zone["context"]:
        return Ruling("refined", f"on a trained model, SmolLM2-135M meets the DC-stability bound at its context "
                      f"{zone['context']:,} (margin {margin:+.2f} decades) yet {_reach_text(r)}: long-range "
                      "degradation comes well inside the bound, where the critical-dimension law calibrated to the "
                      f"measurement puts it; the proxy: {proxy.reason}",
                      {"real": {"dc_margin": margin, "reach": [lo, hi], "context": zone["context"]},
                       "proxy": proxy.figures})
    return Ruling(proxy.ruling, f"the trained model degrades where the bound says ({_reach_text(r)}); "
                  f"the proxy: {proxy.reason}", {"real": zone, "proxy": proxy.figures})


# --------------------------------------------------------------------------------------------- Du et al.


@claim("du-locality", DU, "The probability that attention prefers a farther position tends to 1/2.",
       checks=("du-position-inversion",), command="python -m verify du-position-inversion", basis="proxy")
def _du_locality(r: Results) -> Ruling:
    horizons = figure(r, "du-position-inversion", "horizons")
    return Ruling("confirmed" if r["du-position-inversion"].status is Status.PASS else "refuted",
                  "the probability that attention prefers the farther of two positions reaches 1/2 (within 0.05) "
                  f"as the context grows: from M = {horizons['1000']} at base 1e3 and "
                  f"{horizons['10000']} at base 1e4; at base 5e5 not by 2^20", horizons)


@real_judge("du-locality")
def _real_locality(r: Results, proxy: Ruling) -> Ruling:
    rows = _real(r, "attention")
    first, last = rows[0], rows[-1]
    kept = last["heads_keeping_half"]
    return Ruling(proxy.ruling if kept < first["retrieval_heads"] else "refined",
                  f"in SmolLM2-135M, of {first['retrieval_heads']} heads that single out the key at distance 0, "
                  f"{kept} keep at least half their attention on it at {last['distance']:,} tokens (median ratio "
                  f"{last['key_mass_ratio_median']:.2f}); random-vector proxy on its spectrum: P(prefer the "
                  f"farther) {last['random_position_inversion']:.3f}; the proxy: {proxy.reason}",
                  {"real": rows, "proxy": proxy.figures})


@claim("du-token-relevance", DU, "The probability that token relevance inverts between positions tends to 1/2.",
       checks=("du-token-inversion",), command="python -m verify du-token-inversion", basis="proxy")
def _du_token(r: Results) -> Ruling:
    return Ruling("confirmed" if r["du-token-inversion"].status is Status.PASS else "refuted",
                  r["du-token-inversion"].headline, {"estimates": figure(r, "du-token-inversion", "estimates")})


@real_judge("du-token-relevance")
def _real_tokens(r: Results, proxy: Ruling) -> Ruling:
    rows = _real(r, "attention")
    first, last = rows[0], rows[-1]
    telling = last["heads_telling_tokens"]
    share = telling / first["retrieval_heads"] if first["retrieval_heads"] else 0.0
    return Ruling(proxy.ruling if share <= 0.5 else "refined",
                  f"in SmolLM2-135M, {telling} of {first['retrieval_heads']} key-reading heads still give the key's "
                  f"tokens more attention than the other tokens at {last['distance']:,} positions, where retrieval "
                  f"has failed; the proxy: {proxy.reason}", {"real": rows, "proxy": proxy.figures})


@claim("du-score-move", DU, "A key moved to another position can keep its score.", checks=("du-aliasing",),
       command="python -m verify du-aliasing", basis="exact computation")
def _du_move(r: Results) -> Ruling:
    counts = figure(r, "du-aliasing", "counts", "500000")
    return threshold(counts["bf16"], 0, "refined", "refuted",
                     f"a key moved to another position keeps its score bit for bit in the formats models use "
                     f"({counts['bf16']} equal-score pairs of positions in bf16, {counts['fp16']} in fp16, "
                     f"{counts['fp32']} in fp32) but in none in fp64: it is a property of finite precision",
                     counts=counts)


@claim("du-score-replace", DU, "A key replaced by another token can keep its score.",
       checks=("claim-score-replace", "du-token-inversion"),
       command="python -m verify claim-score-replace du-token-inversion", basis="proxy")
def _du_replace(r: Results) -> Ruling:
    counts = figure(r, "claim-score-replace", "counts")
    return threshold(counts["bf16"], 0, "refined" if counts["fp64"] == 0 else "confirmed", "refuted",
                     f"distinct keys at one position keep one score bit for bit in the formats models use "
                     f"({counts['bf16']} pairs of 2,000 keys in bf16, {counts['fp16']} in fp16, {counts['fp32']} in "
                     f"fp32, {counts['fp64']} in fp64); exactly, a replaced key keeps its score only by coincidence, "
                     "but its relevance does invert at long range (token inversion tends to 1/2)", counts=counts,
                     token_inversion=r["du-token-inversion"].headline)


@claim("du-base-tradeoff", DU, "A larger base helps tell tokens apart and hurts telling positions apart; no base "
       "keeps both.", checks=("du-position-inversion", "du-token-inversion"),
       command="python -m verify du-position-inversion du-token-inversion", basis="proxy")
def _du_tradeoff(r: Results) -> Ruling:
    horizons = figure(r, "du-position-inversion", "horizons")
    token = r["du-token-inversion"].headline
    larger_base_helps_positions = horizons["500000"] is None or (
        horizons["10000"] is not None and horizons["500000"] > horizons["10000"])
    return Ruling("refuted" if larger_base_helps_positions else "confirmed",
                  "in these measurements a larger base helps both: positions stay distinguishable to longer "
                  f"contexts (inversion reaches 1/2 at M = {horizons['1000']} for base 1e3, {horizons['10000']} for "
                  f"1e4, not by 2^20 for 5e5) and tokens too ({token})", {"horizons": horizons})


@claim("du-multihead", DU, "Multi-head, multi-layer architectures do not overcome this.", checks=("claim-multihead",),
       command="python -m verify claim-multihead", basis="proxy")
def _du_multihead(r: Results) -> Ruling:
    far = figure(r, "claim-multihead", "far")
    worst = max(abs(v - 0.5) for v in far)
    return threshold(worst, 0.05, "refuted", "confirmed",
                     "summing the logits of 8 heads, and of 8 heads over 4 layers, leaves position inversion at 1/2 "
                     f"by 2^20 tokens ({', '.join(f'{v:.3f}' for v in far)}): more heads and layers do not overcome "
                     "it (a proxy: independent projections, no mixing between layers)", far=far)


# ------------------------------------------------------------------------------------------- explainers


@claim("explainer-relative", EXPLAINERS, "Scores depend only on n - m, and rotations keep norms.",
       checks=("derivation-relative-position",), command="python -m verify derivation-relative-position",
       basis="derivation")
def _relative(r: Results) -> Ruling:
    ok = r["derivation-relative-position"].status is Status.PASS
    return Ruling("confirmed" if ok else "refuted", "R(m)^T R(n) = R(n - m) is derived step by step and the score "
                  "depends on n - m only at 50 digits; rotations are orthogonal, so norms are kept",
                  {"check": r["derivation-relative-position"].headline})


@claim("explainer-layouts", EXPLAINERS, "Half-split and interleaved layouts are one rotation up to a permutation.",
       checks=("derivation-relative-position",), command="python -m verify latex --format text", basis="derivation")
def _layouts(r: Results) -> Ruling:
    ok = r["derivation-relative-position"].status is Status.PASS
    return Ruling("confirmed" if ok else "refuted", "R_half = P R_interleaved P^T for the interleaved-to-half "
                  "permutation P, so scores agree once q and k are permuted",
                  {"check": r["derivation-relative-position"].headline})


@claim("explainer-theta63", EXPLAINERS, "At d = 128 and base 1e4 the slowest frequency is about 1e-4, a period of "
       "about 20000 pi tokens.", checks=("claim-explainers",), command="python -m verify claim-explainers",
       basis="exact computation")
def _theta63(r: Results) -> Ruling:
    f = figure(r, "claim-explainers", "theta63")
    return threshold(abs(f["theta_63"] / f["paper_form"] - 1), 0.05, "refined", "confirmed",
                     f"theta_63 = 1e4^(-126/128) = {f['theta_63']:.4g}, not 1e-4 (that is the 1/b shortcut), so the "
                     f"period is {f['period_tokens']:,.0f} tokens = {f['period_over_pi']:,.0f} pi, not 20000 pi", **f)


@claim("explainer-llama-base", EXPLAINERS, "LLaMA uses base 1e6.", checks=("claim-explainers",),
       command="python -m verify models", basis="configs")
def _llama_base(r: Results) -> Ruling:
    bases = figure(r, "claim-explainers", "llama_bases")
    share = sum(b == 1e6 for b in bases.values()) / len(bases)
    return threshold(share, 0.5, "confirmed", "refuted",
                     f"of the Llama configs, only CodeLlama uses 1e6; Llama 2 uses 1e4 and Llama 3 to 4 use 5e5 "
                     f"({bases})", bases=bases)


@claim("explainer-llama3-wrap", EXPLAINERS, "Llama 3's base 5e5 keeps the slowest pair from wrapping within 128K.",
       checks=("claim-explainers",), command="python -m verify zone --base 5e5 --context 131072 --head-dim 128",
       basis="exact computation")
def _llama3_wrap(r: Results) -> Ruling:
    f = figure(r, "claim-explainers", "llama3_wrap")
    return Ruling("refuted" if f["wraps_within_128k"] else "confirmed",
                  f"the slowest pair at base 5e5, d 128 has a wavelength of {f['slowest_wavelength']:,.0f} tokens, "
                  "far beyond 131,072", f)


@claim("explainer-fp16-positions", EXPLAINERS, "fp16 cannot tell position 100,000 from 100,001.",
       checks=("claim-explainers",), command="python -m verify erasure --base 1e4 --head-dim 64 --context 100002 "
       "--dtype fp16 --pipeline native", basis="exact computation")
def _fp16_positions(r: Results) -> Ruling:
    f = figure(r, "claim-explainers", "fp16_positions")
    same = f["stored_100000"] == f["stored_100001"]
    ruling = "refined" if same and f["hf_distinct_positions"] == f["hf_context"] else (
        "confirmed" if same else "refuted")
    return Ruling(ruling, "true where positions are stored in fp16 (every position from 65,520 on is inf, so "
                  "100,000 and 100,001 are one), but the hf pipeline keeps positions in fp32 and tells all "
                  f"{f['hf_context']:,} apart", f)


@claim("explainer-ntk", EXPLAINERS, "NTK-aware scaling keeps the fast pairs and interpolates the slow ones.",
       checks=("claim-explainers",), command="python -m verify claim-explainers", basis="exact computation")
def _ntk(r: Results) -> Ruling:
    f = figure(r, "claim-explainers", "ntk")
    ok = f["fast_pair_ratio"] == 1.0 and f["slowest_pair_ratio"] < 1.0 and f["monotone"]
    return Ruling("confirmed" if ok else "refuted", "NTK-aware (dynamic) scaling keeps the fastest pair exactly "
                  f"(ratio {f['fast_pair_ratio']}) and divides the slowest by {1 / f['slowest_pair_ratio']:.3g}, "
                  "the ratio falling monotonically across the pairs", f)


@claim("explainer-yarn-lambda", EXPLAINERS, "YaRN's per-pair factor is (beta alpha - beta + 1)/(beta alpha) with "
       "beta linear in i, tending to 1/alpha for the slowest pairs.", checks=("claim-explainers",),
       command="python -m verify claim-explainers models-scaling-transformers", basis="exact computation")
def _yarn_lambda(r: Results) -> Ruling:
    f = figure(r, "claim-explainers", "yarn_lambda")
    limit_ok = abs(f["hf_slowest_factor"] - f["one_over_alpha"]) < 1e-12
    form_ok = f["stated_vs_hf_max_diff"] < 1e-6
    ruling = "confirmed" if limit_ok and form_ok else ("refined" if limit_ok else "refuted")
    return Ruling(ruling, "the slowest pairs' factor is 1/alpha as stated, but the Hugging Face code (matched by "
                  "the library to 1e-16) mixes by a clamped linear ramp, gamma + (1 - gamma)/alpha, not the stated "
                  f"rational form (max difference {f['stated_vs_hf_max_diff']:.3f})", f)


@claim("explainer-yarn-temperature", EXPLAINERS, "YaRN's attention factor is 0.1 ln s + 1.",
       checks=("claim-explainers",), command="python -m verify claim-explainers", basis="exact computation")
def _yarn_temperature(r: Results) -> Ruling:
    f = figure(r, "claim-explainers", "yarn_temperature")
    worst = max(abs(v["library"] - v["formula"]) for v in f.values())
    return threshold(worst, 1e-12, "refuted", "confirmed",
                     "the attention factor is 0.1 ln s + 1 (Hugging Face's get_mscale without mscale), to rounding",
                     factors=f)


CLAIMS: tuple[Claim, ...] = LEDGER.claims()
"""The ledger: every registered claim, in the order of registration."""
CLAIM_IDS: tuple[str, ...] = tuple(c.id for c in CLAIMS)


@dataclass(frozen=True)
class ClaimResult:
    """A claim with its computed ruling."""

    claim: Claim
    ruling: Ruling

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.claim.id, "source": self.claim.source, "claim": self.claim.claim,
                "ruling": self.ruling.ruling, "reason": self.ruling.reason, "basis": self.ruling.basis,
                "figures": self.ruling.figures, "command": self.claim.command, "checks": list(self.claim.checks)}


def get_claims(ids: Sequence[str] = ()) -> list[Claim]:
    """The claims named (all when none); an unknown id is a ``KeyError`` naming the known ones."""
    if not ids:
        return list(CLAIMS)
    by_id = {c.id: c for c in CLAIMS}
    unknown = [i for i in ids if i not in by_id]
    if unknown:
        raise KeyError(f"unknown claim {unknown[0]!r} (known: {', '.join(CLAIM_IDS)})")
    return [by_id[i] for i in dict.fromkeys(ids)]


def needed_checks(claim: Claim) -> tuple[str, ...]:
    """The checks whose results the claim's judges read: its own, and the real-model check for a real judge."""
    return (*claim.checks, *((REAL_CHECK,) if claim.real is not None else ()))


def judge(claim: Claim, results: Results, strict: bool = False) -> Ruling:
    """The claim's ruling, ``open`` when a check it needs did not pass (failed or skipped). The judges see only the
    results of ``needed_checks(claim)``; figures they cannot read leave the claim ``open`` with the reason, or,
    with ``strict`` (the tests), raise (``MissingFigure`` names the check and the path)."""
    missing = [name for name in claim.checks if results[name].status is not Status.PASS]
    if missing:
        name = missing[0]
        return Ruling("open", f"check {name} {results[name].status.value}: {results[name].headline}")
    seen = ClaimResults({name: results[name] for name in needed_checks(claim) if name in results})
    try:
        ruling = replace(claim.judge(seen), basis=claim.basis)
        real = seen.get(REAL_CHECK)
        if claim.real is not None and real is not None and real.status is Status.PASS:
            ruling = replace(claim.real(seen, ruling), basis="real model")
        elif claim.real is not None:
            why = "not run" if real is None else f"{real.status.value}: {real.headline}"
            ruling = replace(ruling, basis=f"{claim.basis} only (real model {why})")
    except (KeyError, TypeError, ZeroDivisionError) as exc:
        if strict:
            raise
        return Ruling("open", f"the figures do not decide it ({type(exc).__name__}: {exc})", basis=claim.basis)
    if ruling.ruling not in RULINGS:
        raise ValueError(f"{claim.id}: unknown ruling {ruling.ruling!r}")
    return ruling


def evaluate(claims: Iterable[Claim], options: CheckOptions,
             run: Callable[[str, CheckOptions], CheckResult] = run_check, strict: bool = False) -> list[ClaimResult]:
    """Run every check the claims need (once each) and judge each claim (``strict``: see ``judge``)."""
    claims = list(claims)
    results: Results = {}
    for one in claims:
        for name in needed_checks(one):
            if name not in results:
                results[name] = run(name, options)
    return [ClaimResult(c, judge(c, results, strict)) for c in claims]


def latex_section(results: Sequence[ClaimResult]) -> list[str]:
    """The ledger as a section of the derivations document: each claim, its source, ruling and reason."""
    from derivations.export import escape

    out = ["\\section{The claims ledger}",
           "Each published claim, with the ruling its checks compute (\\texttt{python -m verify claims}): "
           "confirmed, refuted, refined (true with a different constant, form or domain) or open.",
           "\\begin{itemize}"]
    for r in results:
        out.append(f"  \\item \\textbf{{{escape(r.claim.id)}}} ({escape(r.claim.source)}): {escape(r.claim.claim)} "
                   f"\\emph{{{r.ruling.ruling}}}: {escape(r.ruling.reason)}.")
    out.append("\\end{itemize}")
    return out
