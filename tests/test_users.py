"""What users bring and ask: model directories, the local Hugging Face cache, PretrainedConfig and dicts, scaled
contexts, configs without RoPE, `recommend`, and the CLI conventions (--version, --json/--json-out, --strict,
--format, terminal widths)."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys

import pytest

from rope_sym.bounds.models import judged_context, model_report
from rope_sym.bounds.recommend import model_reach, recommend
from rope_sym.models import from_hf_config
from rope_sym.models.sources import cached_config, load_model
from rope_sym.scaling import InvalidRopeConfig
from verify.cli import main
from verify.report import format_table, render_table

LLAMA32 = {"_name_or_path": "meta-llama/Llama-3.2-1B", "model_type": "llama", "hidden_size": 2048,
           "num_attention_heads": 32, "head_dim": 64, "num_hidden_layers": 16, "max_position_embeddings": 131072,
           "rope_theta": 500000.0, "rope_scaling": {"rope_type": "llama3", "factor": 32.0, "low_freq_factor": 1.0,
                                                    "high_freq_factor": 4.0, "original_max_position_embeddings": 8192}}


def _cache(tmp_path, hub_id: str, config: dict, revision: str = "abc123"):
    folder = tmp_path / "hub" / f"models--{hub_id.replace('/', '--')}"
    (folder / "refs").mkdir(parents=True)
    (folder / "refs" / "main").write_text(revision)
    (folder / "snapshots" / revision).mkdir(parents=True)
    (folder / "snapshots" / revision / "config.json").write_text(json.dumps(config))
    return tmp_path


def test_a_model_directory_a_hub_id_a_pretrained_config_and_a_dict(tmp_path, monkeypatch):
    directory = tmp_path / "Llama-3.2-1B"
    directory.mkdir()
    (directory / "config.json").write_text(json.dumps(LLAMA32))
    assert load_model(directory).rope.rope_type == "llama3"
    home = _cache(tmp_path / "hf", "meta-llama/Llama-3.2-1B", LLAMA32)
    monkeypatch.setenv("HF_HOME", str(home))
    monkeypatch.delenv("HF_HUB_CACHE", raising=False)
    assert cached_config("meta-llama/Llama-3.2-1B") is not None
    hub = load_model("meta-llama/Llama-3.2-1B")
    assert hub.name == "meta-llama/Llama-3.2-1B" and hub.rope.base == 500000.0 and hub.context == 131072

    class PretrainedConfig:  # the interface transformers' configs offer
        def to_dict(self):
            return dict(LLAMA32)

    assert load_model(PretrainedConfig()).rope.factor == 32.0
    assert load_model(dict(LLAMA32)).depth == 16
    with pytest.raises(InvalidRopeConfig, match=r"has no config\.json"):
        load_model(tmp_path / "hf")
    with pytest.raises(ValueError, match="not in the local Hugging Face cache"):
        load_model("meta-llama/Not-Cached")


def test_the_cli_reads_a_hub_id_from_the_cache_offline(tmp_path, capsys, monkeypatch):
    home = _cache(tmp_path, "meta-llama/Llama-3.2-1B", LLAMA32)
    monkeypatch.setenv("HF_HUB_CACHE", str(home / "hub"))
    assert main(["model", "meta-llama/Llama-3.2-1B", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["model"] == "meta-llama/Llama-3.2-1B"


def test_configs_without_rope_are_refused_and_mrope_is_accepted():
    bert = {"model_type": "bert", "hidden_size": 768, "num_attention_heads": 12, "max_position_embeddings": 512,
            "position_embedding_type": "absolute"}
    with pytest.raises(InvalidRopeConfig, match="no RoPE to judge"):
        from_hf_config(bert)
    qwen2_vl = {"model_type": "qwen2_vl", "hidden_size": 3584, "num_attention_heads": 28, "rope_theta": 1e6,
                "max_position_embeddings": 32768, "rope_scaling": {"type": "mrope", "mrope_section": [16, 24, 24]}}
    assert from_hf_config(qwen2_vl).rope.rope_type == "default"
    with pytest.raises(InvalidRopeConfig, match="known: default, linear"):
        from_hf_config({"hidden_size": 64, "num_attention_heads": 1, "rope_theta": 1e4,
                        "rope_scaling": {"rope_type": "wacky"}})


def test_the_judged_context_follows_the_scaling():
    vicuna = from_hf_config({"hidden_size": 4096, "num_attention_heads": 32, "max_position_embeddings": 4096,
                             "num_hidden_layers": 32, "rope_theta": 1e4,
                             "rope_scaling": {"type": "linear", "factor": 4.0}})
    qwen = from_hf_config({"hidden_size": 3584, "num_attention_heads": 28, "max_position_embeddings": 32768,
                           "rope_theta": 1e6, "rope_scaling": {"rope_type": "yarn", "factor": 4.0,
                                                               "original_max_position_embeddings": 32768}})
    llama = from_hf_config(LLAMA32)
    assert judged_context(vicuna) == (16384, "factor 4 x max_position_embeddings 4096 (the original length)")
    assert judged_context(qwen)[0] == 131072
    assert judged_context(llama) == (131072, "max_position_embeddings")
    assert judged_context(qwen, 8192) == (8192.0, "given (--context)")
    report = model_report(vicuna)
    assert report["context"] == 16384 and isinstance(report["context"], int) and "factor 4" in report["context_rule"]


def test_recommend_gives_the_interval_and_what_binds():
    r = recommend(131072, 128, depth=32)
    assert r["base_min"]["binding"] == "depth" and r["feasible"] and r["base_max"]["derived"] == float("inf")
    assert r["base_min"]["paper"] < r["base_min"]["exact"]
    bf16 = recommend(131072, 128, depth=32, dtype="bf16")
    assert not bf16["feasible"] and not bf16["feasible_paper"] and bf16["base_max"]["derived"] < 2000
    native = recommend(4096, 128, dtype="bf16", pipeline="native")
    assert native["base_max"]["derived"] is None and "positions merge" in native["base_max"]["binding"]


def test_a_models_reach_and_the_factor_a_target_needs():
    llama2 = load_model("Llama-2-7B")
    reach = model_reach(llama2, target_context=32768)
    assert reach["binding"] == "lower bounds (depth)" and 1000 < reach["bounds_allow_up_to"] < 4096
    # the factor brings the depth bound exactly to the target: theta_min / s * L = A
    import math

    a = math.acos(0.5 ** (1 / 32))
    assert reach["target"]["factor"] == pytest.approx(reach["effective_theta_min"] * 32768 / a)
    assert model_reach(llama2, target_context=100)["target"]["already_inside"]


def test_version_list_json_and_the_json_conventions(tmp_path, capsys):
    assert main(["--version"]) == 0 and "rope-sym" in capsys.readouterr().out
    assert main(["list", "--json"]) == 0
    assert {e["check"] for e in json.loads(capsys.readouterr().out)["checks"]} >= {"formats-rounding", "proof-kernel"}
    assert main(["formats-bf16-trap", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["passed"] == 1   # pure JSON: no table
    old = tmp_path / "old.json"
    assert main(["formats-bf16-trap", "--json", str(old)]) == 0
    _, err = capsys.readouterr()
    assert json.loads(old.read_text())["passed"] == 1 and "deprecated" in err and err.count("\n") == 1
    new = tmp_path / "zone.json"
    assert main(["zone", "--base", "1e4", "--context", "4096", "--head-dim", "128", "--json-out", str(new)]) == 0
    data = json.loads(new.read_text())
    assert data["verdict"] == "inside" and data["input"]["context"] == 4096
    assert all("margin_decades" in b for b in data["bounds"].values())
    assert main(["zone", "--base", "1e4", "--context", "4096", "--head-dim", "128", "--json-out",
                 str(tmp_path / "missing" / "z.json")]) == 2


def test_strict_exits_1_when_outside(capsys):
    args = ["zone", "--base", "1e4", "--context", "4096", "--head-dim", "128"]
    assert main([*args, "--depth", "32"]) == 0
    assert main([*args, "--depth", "32", "--strict"]) == 1
    assert main([*args, "--strict"]) == 0
    assert main(["model", "Llama-2-7B", "--strict", "--json"]) == 1
    capsys.readouterr()


def test_tables_fit_the_terminal_and_come_in_other_formats(monkeypatch, capsys):
    rows = [["a", "x" * 300], ["b", "short"]]
    narrow = format_table(["id", "why"], rows, elide=1, width=60)
    assert max(len(line) for line in narrow.splitlines()) <= 60 and "…" in narrow
    monkeypatch.setenv("COLUMNS", "50")
    assert max(len(line) for line in format_table(["id", "why"], rows, elide=1).splitlines()) <= 50
    assert render_table(["id", "why"], rows, "markdown").startswith("| id | why |")
    parsed = list(csv.reader(io.StringIO(render_table(["n"], [[4096], [1.5]], "csv"))))
    assert parsed == [["n"], ["4096"], ["1.5"]]
    assert main(["models", "--format", "csv"]) == 0
    table = list(csv.reader(io.StringIO(capsys.readouterr().out)))
    assert table[0][0] == "model" and len(table) == 27


def test_the_console_script_names_itself():
    script = subprocess.run([sys.executable, "-c", "import sys; sys.argv[0] = 'rope-verify'; "
                             "from verify.launcher import run; run()", "zone", "--base", "0.5"],
                            capture_output=True, text=True, timeout=60)
    assert script.returncode == 2 and script.stderr.startswith("rope-verify zone: error:"), script.stderr


def test_progress_shows_units_and_an_eta(capsys):
    from verify.progress import progress

    assert list(progress(range(4), label="blocks", unit="blocks", enabled=True)) == [0, 1, 2, 3]
    err = capsys.readouterr().err
    assert "4/4 blocks" in err and "ETA" in err and err.endswith("\n")


def test_erasure_of_a_models_own_spectrum(capsys):
    from rope_sym import RopeSpec
    from rope_sym.erasure import erasure_scan
    from rope_sym.scaling import inv_freq

    model = load_model("Llama-3.1-8B")
    frequencies = inv_freq(model.rope, 8192)
    spec = RopeSpec(model.rope.head_dim, model.rope.base)
    scaled = erasure_scan(spec, 8192, "bf16", "hf", attention=False, probes=[], frequencies=frequencies)
    plain = erasure_scan(spec, 8192, "bf16", "hf", attention=False, probes=[])
    assert scaled.frequencies == pytest.approx(frequencies.tolist()) and scaled.erased_pairs > plain.erased_pairs
    assert main(["erasure", "--model", "Llama-3.1-8B", "--context", "8192", "--no-attention", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["erased_pairs"] == scaled.erased_pairs
    assert main(["erasure", "--model", "Llama-3.1-8B", "--context", "8192", "--backend", "torch"]) == 2


def test_layers_that_see_less_than_the_context_are_judged_at_what_they_see():
    gemma3 = model_report(load_model("Gemma-3-27B"))
    layers = gemma3["per_layer"]
    assert layers["sliding_attention"]["context_seen"] == 1024 and layers["sliding_attention"]["layers"] == 52
    assert layers["full_attention"]["context_seen"] == 131072 and layers["full_attention"]["layers"] == 10
    scout = model_report(load_model("Llama-4-Scout-17B-16E"))
    assert scout["judged_per_layer"] and scout["per_layer"]["chunked_attention"]["context_seen"] == 8192
    assert scout["per_layer"]["no_rope"]["layers"] == 12 and scout["per_layer"]["chunked_attention"]["layers"] == 36
    # at the full 10M context the RoPE bounds fail, but no RoPE layer attends beyond its 8192-token chunk
    assert not scout["bounds"]["dc_stability"]["holds"] and scout["verdict"] == "inside"
    plain = model_report(load_model("Llama-3-8B"))
    assert plain["per_layer"] == {} and not plain["judged_per_layer"]


def test_the_notebook_api_answers_in_three_lines():
    import rope_sym

    report = rope_sym.zone(500_000, 131072, 128, depth=32, dtype="bf16")
    assert report.verdict == "outside" and isinstance(report, dict)
    html = report._repr_html_()
    assert html.count("<table>") == 2 and "depth" in html and "OUTSIDE" in html
    assert rope_sym.model("Llama-3.1-8B").verdict == "inside"
    try:
        import pandas  # noqa: F401
    except ImportError:
        with pytest.raises(ImportError, match="needs pandas"):
            report.to_frame()
    else:
        assert list(report.to_frame().index) == ["aliasing", "dc_stability", "depth", "precision"]


def test_men_et_al_beside_dc_stability():
    from rope_sym.bounds.zone import zone_report

    r = recommend(8192, 128)
    assert 7.8e4 < r["men"]["base"] < 9e4 and r["men"]["not_a_half_line"]  # Men's table: 8.4e4
    assert recommend(1 << 20, 128)["men"]["base"] is None                     # beyond the scanned range, said
    assert zone_report(r["men"]["base"], 8192, 128)["men"]["holds"]   # the scanned bound is admissible
    assert not zone_report(3e4, 8192, 128)["men"]["holds"]
