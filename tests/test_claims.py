"""The claims ledger: each claim one record with its judges, ruling logic pinned on constructed figures, every
judge run on the real figures of a quick run (strict, so a renamed figure fails here), the CLI."""

from __future__ import annotations

import json

import pytest

from verify.checks import CHECKS, CheckOptions, CheckResult, Status, run_check
from verify.claims import (
    CLAIM_IDS,
    CLAIMS,
    RULINGS,
    Ledger,
    MissingFigure,
    Ruling,
    evaluate,
    get_claims,
    judge,
    needed_checks,
    threshold,
)
from verify.cli import main


def _result(name: str, status: Status = Status.PASS, **figures) -> CheckResult:
    return CheckResult(name, status, f"{name} headline", figures, 0.0)


def _claim(claim_id: str):
    return next(c for c in CLAIMS if c.id == claim_id)


ISSUE_ORDER = ("liu-aliasing", "liu-dc-stability", "liu-depth", "liu-precision-wall", "liu-zone", "liu-million-wall",
               "liu-case-study", "liu-retrofits", "liu-stability-collapse", "du-locality", "du-token-relevance",
               "du-score-move", "du-score-replace", "du-base-tradeoff", "du-multihead", "explainer-relative",
               "explainer-layouts", "explainer-theta63", "explainer-llama-base", "explainer-llama3-wrap",
               "explainer-fp16-positions", "explainer-ntk", "explainer-yarn-lambda", "explainer-yarn-temperature")


def test_the_ledger_has_every_claim_of_the_issue_once_in_order():
    assert CLAIM_IDS == ISSUE_ORDER and len(set(CLAIM_IDS)) == len(CLAIM_IDS)
    assert all(c.claim.endswith(".") and c.command.startswith("python -m verify") for c in CLAIMS)


def test_every_check_a_claim_names_is_a_registered_check():
    known = set(CHECKS.names())
    unknown = {c.id: [n for n in needed_checks(c) if n not in known] for c in CLAIMS}
    assert not any(unknown.values()), unknown


def test_every_judge_is_registered_once_in_the_module_that_defines_it():
    import verify.claims as module

    judges = [c.judge for c in CLAIMS] + [c.real for c in CLAIMS if c.real is not None]
    assert len(set(judges)) == len(judges)
    assert all(j.__module__ == module.__name__ for j in judges)


def _ruling(_: dict) -> Ruling:
    return Ruling("confirmed", "constructed")


def test_a_claim_is_one_decorated_function_and_mistakes_in_its_record_raise():
    ledger = Ledger()
    ledger.claim("x-one", "a source", "One claim.", checks=("claim-zone",), command="python -m verify claim-zone",
                 basis="exact computation")(_ruling)
    ledger.real_judge("x-one")(lambda results, proxy: proxy)
    (one,) = ledger.claims()
    assert (one.id, one.checks, one.basis, one.judge) == ("x-one", ("claim-zone",), "exact computation", _ruling)
    assert one.real is not None
    with pytest.raises(ValueError, match="registered twice"):
        ledger.claim("x-one", "s", "Again.", checks=("claim-zone",), command="c")
    with pytest.raises(ValueError, match="unknown basis 'hunch'"):
        ledger.claim("x-two", "s", "Two.", checks=("claim-zone",), command="c", basis="hunch")
    with pytest.raises(ValueError, match="names no check"):
        ledger.claim("x-two", "s", "Two.", checks=(), command="c")
    with pytest.raises(ValueError, match="unregistered claim 'x-none'"):
        ledger.real_judge("x-none")(lambda results, proxy: proxy)
    with pytest.raises(ValueError, match="real judge already"):
        ledger.real_judge("x-one")(lambda results, proxy: proxy)


def test_a_judge_sees_only_the_checks_its_claim_names():
    ledger = Ledger()

    def reads_another(results: dict) -> Ruling:
        return Ruling("confirmed", results["claim-zone"].headline)

    ledger.claim("x", "s", "X.", checks=("claim-multihead",), command="c")(reads_another)
    (claim,) = ledger.claims()
    results = {"claim-multihead": _result("claim-multihead"), "claim-zone": _result("claim-zone")}
    assert judge(claim, results).ruling == "open"
    with pytest.raises(MissingFigure, match="'claim-zone' is not among the claim's checks"):
        judge(claim, results, strict=True)


def test_threshold_flips_the_ruling_where_the_figure_crosses():
    assert threshold(0.6, 0.5, "confirmed", "refuted", "x").ruling == "confirmed"
    assert threshold(0.5, 0.5, "confirmed", "refuted", "x").ruling == "refuted"


def test_the_precision_wall_ruling_follows_the_measured_ratio():
    claim = _claim("liu-precision-wall")

    def results(ratio: float) -> dict:
        return {"erasure-law-constant": _result("erasure-law-constant", walls_over_eps_mach={"bf16": ratio}),
                "erasure-law-cast": _result("erasure-law-cast")}

    assert judge(claim, results(0.0944)).ruling == "refined"   # the wall is far from eps_mach
    assert judge(claim, results(1.02)).ruling == "confirmed"   # had the scans put it at eps_mach


def test_the_llama_base_ruling_follows_the_registry_bases():
    claim = _claim("explainer-llama-base")
    mostly_1e6 = {"claim-explainers": _result("claim-explainers", llama_bases={"a": 1e6, "b": 1e6, "c": 5e5})}
    mostly_not = {"claim-explainers": _result("claim-explainers", llama_bases={"a": 1e4, "b": 5e5, "c": 1e6})}
    assert judge(claim, mostly_1e6).ruling == "confirmed"
    assert judge(claim, mostly_not).ruling == "refuted"


def test_the_multihead_ruling_flips_when_inversion_stays_away_from_one_half():
    claim = _claim("du-multihead")
    assert judge(claim, {"claim-multihead": _result("claim-multihead", far=[0.5, 0.49])}).ruling == "confirmed"
    assert judge(claim, {"claim-multihead": _result("claim-multihead", far=[0.5, 0.3])}).ruling == "refuted"


def test_the_depth_ruling_flips_if_the_coherent_range_shrinks_as_cos_n_says():
    claim = _claim("liu-depth")

    def results(measured: float) -> dict:
        return {"claim-depth-stack": _result("claim-depth-stack", measured_range_ratio={"N=16": measured},
                                             predicted_range_ratio={"N=16": 0.28}),
                "derivation-depth": _result("derivation-depth")}

    assert judge(claim, results(1.3)).ruling == "refuted"
    assert judge(claim, results(0.3)).ruling == "confirmed"


def test_a_skipped_or_failed_check_leaves_the_claim_open():
    claim = _claim("du-multihead")
    skipped = {"claim-multihead": _result("claim-multihead", Status.SKIPPED)}
    assert judge(claim, skipped).ruling == "open" and "skipped" in judge(claim, skipped).reason.lower()
    broken = {"claim-multihead": _result("claim-multihead", near=[0.5])}  # the figure it reads is missing
    assert judge(claim, broken).ruling == "open" and "'far'" in judge(claim, broken).reason
    with pytest.raises(MissingFigure, match="check 'claim-multihead' has no figure 'far' \\(there: near\\)"):
        judge(claim, broken, strict=True)


def test_unknown_claims_are_named():
    with pytest.raises(KeyError, match="unknown claim 'nope'"):
        get_claims(["nope"])
    assert [c.id for c in get_claims(["du-locality", "du-locality"])] == ["du-locality"]


@pytest.fixture(scope="module")
def quick_run() -> dict[str, CheckResult]:
    """The real results of every check the ledger reads, at the default (quick) size, run once."""
    names = dict.fromkeys(name for c in CLAIMS for name in needed_checks(c))
    return {name: run_check(name, CheckOptions()) for name in names}


def test_every_judge_reads_the_real_figures_of_its_checks(quick_run):
    # strict: a figure a judge reads that its check no longer publishes raises here, naming the check and path
    results = evaluate(get_claims(), CheckOptions(), run=lambda name, _: quick_run[name], strict=True)
    assert [r.claim.id for r in results] == list(CLAIM_IDS)
    for r in results:
        assert r.ruling.ruling in RULINGS and r.ruling.reason
        if r.ruling.ruling != "open":
            assert r.ruling.figures, r.claim.id
    assert all(r.ruling.ruling != "open" for r in results), [r.claim.id for r in results]
    real = quick_run["real-model"]
    on_model = {r.claim.id for r in results if r.ruling.basis == "real model"}
    # the real judges read real figures where the model is installed; elsewhere they say why not
    assert on_model == ({c.id for c in CLAIMS if c.real is not None} if real.status is Status.PASS else set())


def test_a_renamed_figure_fails_loudly_on_the_real_figures(quick_run):
    claim = _claim("liu-million-wall")
    rows = dict(quick_run["claim-zone"].figures["rows"])
    rows["fp32 L=2e6 N=32"] = rows.pop("fp32 L=2000000 N=32")
    renamed = {"claim-zone": CheckResult("claim-zone", Status.PASS, "", {**quick_run["claim-zone"].figures,
                                                                          "rows": rows}, 0.0)}
    assert judge(claim, {"claim-zone": quick_run["claim-zone"]}, strict=True).ruling != "open"
    with pytest.raises(MissingFigure, match="check 'claim-zone' has no figure 'rows/fp32 L=2000000 N=32'"):
        judge(claim, renamed, strict=True)
    assert "MissingFigure" in judge(claim, renamed).reason  # at run time the ledger line says which figure


def test_cli_json_is_the_ledger(capsys):
    assert main(["claims", "explainer-theta63", "explainer-llama3-wrap", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)["claims"]
    assert [d["id"] for d in data] == ["explainer-theta63", "explainer-llama3-wrap"]
    assert {"id", "source", "claim", "ruling", "figures", "command"} <= set(data[0])
    assert data[0]["ruling"] == "refined" and data[1]["ruling"] == "confirmed"
    assert "verdict" not in data[0]
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
    assert refuted.basis == "real model" and refuted.ruling == "refuted" and "SmolLM2" in refuted.reason
    # had the model retrieved past its context, the real model would not refute the zone
    agreeing = judge(claim, _case_study_results(Status.PASS, first_fail=16384))
    assert agreeing.basis == "real model" and "behaves as its zone verdict says" in agreeing.reason


def test_every_claim_has_a_known_basis():
    from verify.claims import BASES

    assert {c.basis for c in CLAIMS} <= set(BASES)
    assert {c.id for c in CLAIMS if c.real is not None} == {"liu-case-study", "liu-retrofits",
                                                             "liu-stability-collapse", "du-locality",
                                                             "du-token-relevance"}


def test_the_latex_ledger_gives_each_claim_its_ruling():
    from verify.claims import ClaimResult, latex_section

    results = [ClaimResult(CLAIMS[0], Ruling("refined", "a reason_with_underscore")),
               ClaimResult(CLAIMS[1], Ruling("open", "check x SKIPPED"))]
    text = "\n".join(latex_section(results))
    assert "with the ruling its checks compute" in text and "verdict" not in text
    assert "\\emph{refined}: a reason\\_with\\_underscore." in text and "\\emph{open}: check x SKIPPED." in text
    assert text.count("\\item") == 2
