"""The claims ledger: verdict logic pinned on constructed figures, every claim judged, the CLI."""

from __future__ import annotations

import json

import pytest

from verify.checks import CheckResult, Status
from verify.claims import CLAIM_IDS, CLAIMS, VERDICTS, evaluate, get_claims, judge, threshold
from verify.cli import main


def _result(name: str, status: Status = Status.PASS, **figures) -> CheckResult:
    return CheckResult(name, status, f"{name} headline", figures, 0.0)


def _claim(claim_id: str):
    return next(c for c in CLAIMS if c.id == claim_id)


def test_the_ledger_has_every_claim_of_the_issue_once():
    expected = {"liu-aliasing", "liu-dc-stability", "liu-depth", "liu-precision-wall", "liu-zone",
                "liu-million-wall", "liu-case-study", "liu-retrofits", "liu-stability-collapse", "du-locality",
                "du-token-relevance", "du-score-move", "du-score-replace", "du-base-tradeoff", "du-multihead",
                "explainer-relative", "explainer-layouts", "explainer-theta63", "explainer-llama-base",
                "explainer-llama3-wrap", "explainer-fp16-positions", "explainer-ntk", "explainer-yarn-lambda",
                "explainer-yarn-temperature"}
    assert set(CLAIM_IDS) == expected and len(CLAIM_IDS) == len(expected)
    assert all(c.claim.endswith(".") and c.command.startswith("python -m verify") for c in CLAIMS)


def test_threshold_flips_the_verdict_where_the_figure_crosses():
    assert threshold(0.6, 0.5, "confirmed", "refuted", "x").verdict == "confirmed"
    assert threshold(0.5, 0.5, "confirmed", "refuted", "x").verdict == "refuted"


def test_the_precision_wall_verdict_follows_the_measured_ratio():
    claim = _claim("liu-precision-wall")

    def results(ratio: float) -> dict:
        return {"erasure-law-constant": _result("erasure-law-constant", walls_over_eps_mach={"bf16": ratio}),
                "erasure-law-cast": _result("erasure-law-cast")}

    assert judge(claim, results(0.0944)).verdict == "refined"   # the wall is far from eps_mach
    assert judge(claim, results(1.02)).verdict == "confirmed"   # had the scans put it at eps_mach


def test_the_llama_base_verdict_follows_the_registry_bases():
    claim = _claim("explainer-llama-base")
    mostly_1e6 = {"claim-explainers": _result("claim-explainers", llama_bases={"a": 1e6, "b": 1e6, "c": 5e5})}
    mostly_not = {"claim-explainers": _result("claim-explainers", llama_bases={"a": 1e4, "b": 5e5, "c": 1e6})}
    assert judge(claim, mostly_1e6).verdict == "confirmed"
    assert judge(claim, mostly_not).verdict == "refuted"


def test_the_multihead_verdict_flips_when_inversion_stays_away_from_one_half():
    claim = _claim("du-multihead")
    assert judge(claim, {"claim-multihead": _result("claim-multihead", far=[0.5, 0.49])}).verdict == "confirmed"
    assert judge(claim, {"claim-multihead": _result("claim-multihead", far=[0.5, 0.3])}).verdict == "refuted"


def test_the_depth_verdict_flips_if_the_coherent_range_shrinks_as_cos_n_says():
    claim = _claim("liu-depth")

    def results(measured: float) -> dict:
        return {"claim-depth-stack": _result("claim-depth-stack", measured_range_ratio={"N=16": measured},
                                             predicted_range_ratio={"N=16": 0.28}),
                "derivation-depth": _result("derivation-depth")}

    assert judge(claim, results(1.3)).verdict == "refuted"
    assert judge(claim, results(0.3)).verdict == "confirmed"


def test_a_skipped_or_failed_check_leaves_the_claim_open():
    claim = _claim("du-multihead")
    skipped = {"claim-multihead": _result("claim-multihead", Status.SKIPPED)}
    assert judge(claim, skipped).verdict == "open" and "skipped" in judge(claim, skipped).reason.lower()
    broken = {"claim-multihead": _result("claim-multihead")}  # figures missing
    assert judge(claim, broken).verdict == "open"


def test_unknown_claims_are_named():
    with pytest.raises(KeyError, match="unknown claim 'nope'"):
        get_claims(["nope"])
    assert [c.id for c in get_claims(["du-locality", "du-locality"])] == ["du-locality"]


def test_every_claim_gets_a_computed_verdict_with_figures_and_a_command():
    from verify.checks import CheckOptions

    results = evaluate(get_claims(), CheckOptions())
    assert [r.claim.id for r in results] == list(CLAIM_IDS)
    for r in results:
        assert r.judgement.verdict in VERDICTS and r.judgement.reason
        if r.judgement.verdict != "open":
            assert r.judgement.figures, r.claim.id
    assert all(r.judgement.verdict != "open" for r in results), [r.claim.id for r in results]


def test_cli_json_is_the_ledger(capsys):
    assert main(["claims", "explainer-theta63", "explainer-llama3-wrap", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)["claims"]
    assert [d["id"] for d in data] == ["explainer-theta63", "explainer-llama3-wrap"]
    assert {"id", "source", "claim", "verdict", "figures", "command"} <= set(data[0])
    assert data[0]["verdict"] == "refined" and data[1]["verdict"] == "confirmed"
    assert main(["claims", "nope"]) == 2
    assert "unknown claim 'nope'" in capsys.readouterr().err


def _case_study_results(real: Status | None, first_fail: int = 2560, verdict: str = "inside") -> dict:
    results = {"models-case-study": _result("models-case-study", models=26, inside=16, inside_paper=14,
                                            outside=["Llama-2-7B"])}
    if real is not None:
        results["real-model"] = _result(
            "real-model", real, shipped_reach=[2048, first_fail], law=8379.0,
            zone={"verdict": verdict, "context": 8192, "margins": {"dc_stability": 0.98}})
    return results


def test_a_behaviour_claim_says_when_it_rests_on_the_proxy_only():
    claim = _claim("liu-case-study")
    without = judge(claim, _case_study_results(None))
    skipped = judge(claim, _case_study_results(Status.SKIPPED))
    assert without.basis.startswith("configs only") and "not run" in without.basis
    assert skipped.basis.startswith("configs only") and "SKIPPED" in skipped.basis


def test_the_case_study_is_decided_on_the_real_model_when_it_ran():
    claim = _claim("liu-case-study")
    refuted = judge(claim, _case_study_results(Status.PASS, first_fail=2560))
    assert refuted.basis == "real model" and refuted.verdict == "refuted" and "SmolLM2" in refuted.reason
    # had the model retrieved past its context, the real model would not refute the zone
    agreeing = judge(claim, _case_study_results(Status.PASS, first_fail=16384))
    assert agreeing.basis == "real model" and "behaves as its zone verdict says" in agreeing.reason


def test_every_claim_has_a_known_basis():
    from verify.claims import BASES

    assert {c.basis for c in CLAIMS} <= set(BASES)
    assert {c.id for c in CLAIMS if c.real is not None} == {"liu-case-study", "liu-retrofits",
                                                             "liu-stability-collapse", "du-locality",
                                                             "du-token-relevance"}
