"""The registry and the `verify model` / `verify models` commands."""

from __future__ import annotations

import json
import math
import subprocess
import sys
import warnings

import numpy as np
import pytest

from rope_sym.bounds.closed_forms import depth_base
from rope_sym.bounds.models import case_study, model_report
from rope_sym.models.registry import MODELS, REGISTRY, UnknownModel, get_model
from rope_sym.scaling import effective_theta_min
from rope_sym.spectrum.theta import effective_base

REQUIRED = ["Llama-2-7B", "Llama-3-8B", "Llama-3.1-8B", "Llama-3.2-1B", "Llama-4-Scout-17B-16E", "CodeLlama-7B",
            "Mistral-7B-v0.1", "Mistral-7B-v0.2", "Mixtral-8x7B", "Mistral-Nemo-12B", "DeepSeek-V2", "DeepSeek-V3",
            "Qwen2.5-7B", "Qwen2.5-7B-Instruct-1M", "Qwen3-8B", "Gemma-2-9B", "Gemma-3-27B", "Phi-3.5-mini",
            "GPT-NeoX-20B", "Pythia-1.4B", "Falcon-7B", "Command-R", "gpt-oss-20b"]


def verify(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "verify", *args], capture_output=True, text=True)


def test_registry_covers_the_issue_list_with_sources() -> None:
    assert len(REGISTRY) >= 20
    assert set(REQUIRED) <= set(MODELS)
    assert all(entry.source for entry in REGISTRY)


@pytest.mark.filterwarnings("ignore::UserWarning")
def test_registry_facts_from_the_reference() -> None:
    assert get_model("Mistral-Nemo-12B").rope.head_dim == 128
    assert get_model("Gemma-2-9B").rope.head_dim == 256
    assert get_model("DeepSeek-V3").rope.rotary_dim == 64
    assert get_model("GPT-NeoX-20B").rope.rotary_dim == 24
    assert get_model("Falcon-7B").rope.head_dim == 64
    assert get_model("gpt-oss-20b").rope.truncate is False
    assert len(get_model("Phi-3.5-mini").rope.long_factor or ()) == 48
    with pytest.raises(UnknownModel, match="unknown model"):
        get_model("GPT-5")


def test_report_uses_the_effective_base_convention() -> None:
    model = get_model("Llama-3.1-8B")
    report = model_report(model)
    t = effective_theta_min(model.rope, 131072)
    assert report["effective_base"] == pytest.approx(effective_base(t, 128), rel=1e-12)
    assert report["effective_base"] > 8 * 0.99 * 500000.0 / 8 ** (2 / 128)  # slow pairs moved by ~8x
    depth = report["bounds"]["depth"]
    assert depth["exact"] == pytest.approx(depth_base(131072, 128, 0.5, 32), rel=1e-12)
    assert depth["margin_decades"] == pytest.approx(math.log10(report["effective_base"] / depth["exact"]))
    assert report["inv_freq"] == pytest.approx(list(np.asarray(report["inv_freq"])))
    assert report["depth"] == 32 and report["context"] == 131072


@pytest.mark.filterwarnings("ignore::UserWarning")
def test_case_study_verdicts_are_consistent() -> None:
    reports = case_study()
    assert len(reports) == len(REGISTRY)
    for r in reports:
        lower = [b["holds"] for b in r["bounds"].values() if b["side"] == "lower"]
        levels = [lv["holds"] for lv in r["erasure"]["levels"] if lv["level"] in ("position", "code")]
        assert (r["verdict"] == "outside") == (r["first_violated"] is not None)
        assert (r["verdict"] == "graded") == (r["grade"] is not None)
        if r["judged_per_layer"]:  # sliding windows, chunks, per-layer RoPE: each layer type at what it sees
            layers = [v["verdict"] == "inside" for v in r["per_layer"].values() if v["rope_type"] is not None]
            assert (r["verdict"] == "inside") == all(layers)
        else:
            assert (r["verdict"] == "inside") == all(lower + levels)
        paper = [b["holds"] for b in r["bounds"].values()]
        assert (r["verdict_paper"] == "inside") == all(paper)
    by_name = {r["model"]: r for r in reports}
    # Mistral v0.1 (base 1e4): every layer slides over 4096 tokens, and there its 32 layers break the depth bound
    # (at the full 32K it would break DC stability); v0.2 (base 1e6) is inside
    mistral = by_name["Mistral-7B-v0.1"]
    assert mistral["judged_per_layer"] and mistral["per_layer"]["sliding_attention"]["context_seen"] == 4096
    assert mistral["first_violated"] == "depth" and not mistral["bounds"]["dc_stability"]["holds"]
    assert by_name["Mistral-7B-v0.2"]["verdict"] == "inside"
    # Llama-3.2-1B's x32 llama3 scaling puts its slowest pair past the paper's fp32 wall, yet the laws keep it
    llama = by_name["Llama-3.2-1B"]
    assert llama["verdict_paper"] == "outside" and not llama["bounds"]["precision"]["holds"]
    assert llama["verdict"] == "inside"


def test_the_model_verdict_agrees_with_a_scan_of_its_effective_spectrum() -> None:
    """The derived verdict of Llama-3.2-1B (inside in fp32, failing at the code level in bf16) against the exact
    emulation of the hf pipeline on its own effective frequencies (the fp32 inv_freq buffer) at its context."""
    from rope_sym.formats import round_to
    from rope_sym.pipelines import pipeline_formats
    from rope_sym.pipelines.emulated import buffer_from_frequencies, phase_cos_sin, phase_table

    model = get_model("Llama-3.2-1B")
    for dtype in ("fp32", "bf16"):
        report = model_report(model, dtype=dtype)
        code = next(lv for lv in report["erasure"]["levels"] if lv["level"] == "code")
        formats = pipeline_formats(dtype, "hf")
        inv = buffer_from_frequencies(np.array(report["inv_freq"]), dtype, "hf")
        positions = np.arange(int(report["context"]), dtype=np.float64)
        c, s, _ = phase_cos_sin(phase_table(positions, inv, formats.phase), formats.phase)
        c, s = np.asarray(round_to(c, formats.store)), np.asarray(round_to(s, formats.store))
        same = ((c[1:] == c[:-1]) & (s[1:] == s[:-1])).mean(0)
        assert abs(int((same > 0.5).sum()) - code["erased_pairs"]) <= 1, (dtype, code)
        assert (report["verdict"] == "inside") == (dtype == "fp32")


def test_cli_model_json_has_the_contract_keys() -> None:
    run = verify("model", "DeepSeek-V3", "--json")
    assert run.returncode == 0, run.stderr
    data = json.loads(run.stdout)
    for key in ("input", "theta_min", "bounds", "zone", "max_context", "model", "rope_type", "inv_freq",
                "attention_factor"):
        assert key in data
    assert data["rope_type"] == "yarn" and len(data["inv_freq"]) == 32 and data["attention_factor"] == 1.0


def test_cli_model_options_and_errors() -> None:
    run = verify("model", "Llama-3-8B", "--context", "1e6", "--dtype", "bf16", "--depth", "4")
    assert run.returncode == 0 and "verdict: outside" in run.stdout
    for bad in (["model", "NoSuchModel"], ["model", "Llama-3-8B", "--context", "-3"],
                ["model", "Llama-3-8B", "--dtype", "fp12"]):
        run = verify(*bad)
        assert run.returncode == 2 and run.stderr.count("\n") == 1, (bad, run.stderr)


def test_cli_models_table() -> None:
    run = verify("models")
    assert run.returncode == 0, run.stderr
    lines = run.stdout.splitlines()
    assert all(any(line.startswith(name + " ") for line in lines) for name in MODELS)
    # the equal-band warning is shown, not hidden: one line on stderr, never on stdout
    assert "warning: Llama-4-Scout-17B-16E" in run.stderr and "warning" not in run.stdout
    assert all(line.startswith("warning: ") for line in run.stderr.splitlines())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        inside = sum(r["verdict"] == "inside" for r in case_study())
    assert f"{inside} of {len(MODELS)} models inside" in run.stdout


def test_cli_models_table_explains_verdicts_judged_per_layer() -> None:
    # Llama-4-Scout: negative dc/depth margins at the full context, yet inside: its RoPE layers see 8192 tokens
    run = verify("models")
    assert run.returncode == 0, run.stderr
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        reports = {r["model"]: r for r in case_study()}
    scout = reports["Llama-4-Scout-17B-16E"]
    assert scout["judged_per_layer"] and scout["verdict"] == "inside"
    assert scout["bounds"]["depth"]["margin_decades"] < 0
    rows = {line.split()[0]: line.split() for line in run.stdout.splitlines() if line.split()}
    for name, report in reports.items():
        marked = report["verdict"] + "*"
        assert (marked in rows[name]) == report["judged_per_layer"], (name, rows[name])
    assert any(line.startswith("* judged per layer type") for line in run.stdout.splitlines())
    csv_run = verify("models", "--format", "csv")  # machine formats carry the bare verdict
    assert "Llama-4-Scout-17B-16E," in csv_run.stdout and "inside*" not in csv_run.stdout


def test_cli_models_json_is_pure_json_on_stdout() -> None:
    run = verify("models", "--json")
    assert run.returncode == 0, run.stderr
    data = json.loads(run.stdout)
    assert len(data["models"]) == len(MODELS)
    assert "warning: Llama-4-Scout-17B-16E" in run.stderr
    assert any(w.startswith("Llama-4-Scout-17B-16E") for w in data["warnings"])


def _proportional_model(max_positions: int) -> dict[str, object]:
    """A Gemma-4-style config: global layers rotate a quarter of a 256-dim head at the full head's spacing."""
    return {"model_type": "gemma4_text", "hidden_size": 2560, "num_attention_heads": 8, "head_dim": 256,
            "num_hidden_layers": 4, "max_position_embeddings": max_positions, "sliding_window": 64,
            "layer_types": ["sliding_attention", "full_attention"] * 2,
            "rope_parameters": {"full_attention": {"rope_type": "proportional", "rope_theta": 1e6,
                                                   "partial_rotary_factor": 0.25},
                                "sliding_attention": {"rope_type": "default", "rope_theta": 1e4}}}


@pytest.mark.filterwarnings("ignore::UserWarning")
def test_a_proportional_rope_is_judged_on_its_rotating_pairs(tmp_path) -> None:
    """A proportional rope's NoPE pairs (frequency 0) carry no position: the report judges the 32 rotating pairs,
    whose slowest turns at base^(-2*31/256) (the full head's spacing), and the CLI answers without a traceback."""
    from rope_sym.models.hf_config import from_hf_config
    from rope_sym.scaling import inv_freq

    model = from_hf_config(_proportional_model(131072), name="proportional")
    report = model_report(model)
    full = inv_freq(model.rope, 131072)
    assert full.size == 128 and np.count_nonzero(full) == 32  # the model code's buffer, NoPE pairs included
    assert len(report["inv_freq"]) == 32 and min(report["inv_freq"]) > 0
    assert report["nominal_theta_min"] == pytest.approx(1e6 ** (-62 / 256), rel=1e-14)
    path = tmp_path / "config.json"
    path.write_text(json.dumps(_proportional_model(131072)))
    done = verify("model", str(path))
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr


def test_the_critical_pair_of_a_proportional_rope_uses_the_full_head_spacing() -> None:
    """Liu et al.'s critical pair counts the pairs whose period is below T in the frequencies the model uses:
    ``base^(-2i/head_dim)`` for a proportional rope. Counted here from those frequencies, not from the formula."""
    from rope_sym.models.hf_config import from_hf_config
    from rope_sym.real.evidence import expected_reach
    from rope_sym.scaling import inv_freq

    short = from_hf_config(_proportional_model(128), name="short")  # T = 128: some rotating pairs never turned
    theta = inv_freq(short.rope, 128)
    turned = int(np.count_nonzero((theta > 0) & (2 * np.pi / np.where(theta > 0, theta, 1.0) < 128)))
    reach = expected_reach(short)
    assert reach["critical_pair"] == turned and turned < 32
    assert reach["law"] == pytest.approx(2 * np.pi / theta[turned], rel=1e-12)
    long = from_hf_config(_proportional_model(131072), name="long")  # every rotating pair turned: no limit
    assert math.isinf(expected_reach(long)["law"])
