"""The zone calculator: the JSON object of the issue, verdicts consistent with the bounds, one-line errors."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from rope_sym import RopeSpec
from rope_sym.bounds import closed_forms as bd
from rope_sym.bounds.zone import summary_line, zone_report
from rope_sym.erasure import erasure_scan
from rope_sym.errors import InvalidRopeSpec, RopeSymError
from verify import main
from verify.report import to_json

BOUND_KEYS = {"side", "paper", "exact", "holds", "margin_decades"}


LEVEL_KEYS = {"level", "wall_theta", "erased_pairs", "holds", "positions_kept", "max_context", "law"}


def test_report_has_exactly_the_issue_keys():
    r = zone_report(1e4, 4096, 128)
    assert set(r) == {"input", "theta_min", "bounds", "erasure", "zone", "max_context", "verdict", "men"}
    assert r["men"]["holds"] is False and r["men"]["first_negative_m"] > 0  # base 1e4 < Men's 2.7e4 at 4K
    assert r["verdict"] == "inside" and r["input"]["context"] == 4096 and isinstance(r["input"]["context"], int)
    assert set(r["input"]) == {"base", "context", "head_dim", "depth", "eps", "dtype", "pipeline", "eps_mach"}
    assert set(r["theta_min"]) == {"paper", "exact"}
    assert set(r["bounds"]) == {"aliasing", "dc_stability", "depth", "precision"}
    assert all(set(v) == BOUND_KEYS for k, v in r["bounds"].items() if k != "precision")
    assert set(r["bounds"]["precision"]) == BOUND_KEYS | {"eps_format"} and r["bounds"]["precision"]["eps_format"] \
        == "fp32"
    assert [v["side"] for v in r["bounds"].values()] == ["lower", "lower", "lower", "upper"]
    assert set(r["erasure"]) == {"pipeline", "dtype", "levels"}
    assert [lv["level"] for lv in r["erasure"]["levels"]] == ["position", "code", "rotated", "score"]
    assert all(set(lv) == LEVEL_KEYS for lv in r["erasure"]["levels"])
    assert set(r["zone"]) == {"lower", "upper", "feasible", "inside", "positions_distinct", "upper_paper",
                              "feasible_paper", "inside_paper", "upper_margin_decades"}
    assert set(r["max_context"]) == {"paper", "exact", "position_level", "code_level"}
    assert r["input"]["eps"] == bd.DEFAULT_EPS and r["input"]["depth"] == 1 and r["input"]["dtype"] == "fp32"
    assert r["input"]["eps_mach"] == 2.0**-23


def test_llama2_single_layer_is_inside_but_32_layers_violate_depth():
    one = zone_report(1e4, 4096, 128)
    assert one["zone"]["inside"] and one["zone"]["feasible"]
    deep = zone_report(1e4, 4096, 128, depth=32)
    assert not deep["bounds"]["depth"]["holds"] and deep["bounds"]["dc_stability"]["holds"]
    assert not deep["zone"]["inside"] and deep["zone"]["feasible"]
    assert deep["zone"]["lower"] == deep["bounds"]["depth"]["exact"]
    assert summary_line(deep).startswith("OUTSIDE") and "depth" in summary_line(deep)


def test_holds_follow_the_exact_forms_at_the_boundary():
    lower = bd.dc_stability_base(4096, 128, 0.5)
    assert zone_report(lower * (1 + 1e-12), 4096, 128)["bounds"]["dc_stability"]["holds"]
    assert not zone_report(lower * (1 - 1e-12), 4096, 128)["bounds"]["dc_stability"]["holds"]
    wall = bd.precision_base(2.0**-10, 128)
    assert not zone_report(wall, 100, 128, dtype="fp16")["bounds"]["precision"]["holds"]  # strict upper bound


def test_bf16_the_paper_sees_no_zone_while_the_laws_and_the_scan_keep_positions_distinct():
    r = zone_report(5e5, 131072, 128, dtype="bf16")
    assert not r["zone"]["feasible_paper"] and not r["zone"]["inside_paper"]
    assert r["max_context"]["exact"] == pytest.approx(128 * bd.acos_root(0.5, 1), rel=1e-15)
    levels = {lv["level"]: lv for lv in r["erasure"]["levels"]}
    assert levels["position"]["holds"] and r["zone"]["positions_distinct"]
    assert not levels["code"]["holds"] and not r["zone"]["inside"]
    text = summary_line(r)
    assert text.startswith("OUTSIDE (code level)") and "no base works" not in text and "positions stay distinct" \
        in text
    # the scan at the level the verdict names: every position distinct, the law's erased-pair count
    scan = erasure_scan(RopeSpec(128, 5e5), 131072, "bf16", "hf", backend="emulated", attention=False, probes=[])
    assert scan.distinct_positions == 131072
    assert abs(scan.erased_pairs - levels["code"]["erased_pairs"]) <= 1


def test_native_bf16_merges_positions_and_says_no_base_works():
    r = zone_report(1e4, 4096, 128, dtype="bf16", pipeline="native")
    levels = {lv["level"]: lv for lv in r["erasure"]["levels"]}
    assert not levels["position"]["holds"] and levels["position"]["positions_kept"] == 257
    assert r["zone"]["upper"] is None and not r["zone"]["feasible"]
    assert summary_line(r).startswith("OUTSIDE (position level)") and "no base works" in summary_line(r)
    scan = erasure_scan(RopeSpec(128, 1e4), 4096, "bf16", "native", attention=False, probes=[])
    assert scan.first_collision == 257 and scan.distinct_positions < 4096
    assert scan.erased_pairs == levels["code"]["erased_pairs"]  # exact on the stored positions


@pytest.mark.parametrize("kwargs, message", [
    ({"base": 1.0}, "base must be greater than 1"),
    ({"eps": 1.5}, "eps must be in the open interval"),
    ({"rotary_dim": 63}, "even"),
    ({"rotary_dim": 2}, "at least 4"),
    ({"context": 0.0}, "context must be positive"),
    ({"depth": 0}, "depth must be at least 1"),
    ({"dtype": "fp99"}, "unknown"),
])
def test_bad_input_raises(kwargs, message):
    args = {"base": 1e4, "context": 4096.0, "rotary_dim": 128} | kwargs
    with pytest.raises(RopeSymError, match=message):
        zone_report(**args)


def test_cli_table_and_verdict(capsys):
    assert main(["zone", "--base", "1e4", "--context", "4096", "--head-dim", "128", "--depth", "32"]) == 0
    out = capsys.readouterr().out
    for word in ("aliasing", "dc_stability", "depth", "precision", "zone (exact", "derived walls", "L_max",
                 "OUTSIDE"):
        assert word in out
    assert "23107.9" in out   # the exact depth bound, the formula evaluated independently below
    assert f"{(4096 / bd.acos_root(0.5, 32)) ** (128 / 126):.6g}" == "23107.9"


def test_cli_json_is_the_report(capsys):
    assert main(["zone", "--base", "5e5", "--context", "131072", "--head-dim", "128", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data.pop("warnings") == []
    assert data == json.loads(to_json(zone_report(5e5, 131072, 128)))


@pytest.mark.parametrize("args, message", [
    (["--base", "0.5"], "base must be greater than 1"),
    (["--eps", "0"], "eps must be in the open interval (0, 1)"),
    (["--head-dim", "7"], "head dim must be even"),
    (["--context", "nan"], "context must be finite"),
    (["--context", "-5"], "context must be positive"),
    (["--depth", "0"], "depth must be at least 1"),
    (["--dtype", "fp12"], "unknown dtype 'fp12'"),
    (["--pipeline", "fp64"], "invalid choice: 'fp64'"),
    (["--base", "abc"], "invalid float value"),
])
def test_cli_bad_input_is_one_line_and_exit_2(args, message, capsys):
    given = {"--base": "1e4", "--context": "4096", "--head-dim": "128"} | dict(zip(args[::2], args[1::2], strict=True))
    assert main(["zone", *[item for pair in given.items() for item in pair]]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and len(captured.err.strip().splitlines()) == 1
    assert message in captured.err and "Traceback" not in captured.err


def test_cli_bad_input_in_a_real_process_exits_2_without_traceback():
    proc = subprocess.run([sys.executable, "-m", "verify", "zone", "--base", "1e4", "--context", "4096",
                           "--head-dim", "128", "--eps", "1.5"], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr.strip().splitlines() == [
        "python -m verify zone: error: eps must be in the open interval (0, 1), got 1.5"]


def test_invalid_spec_error_is_a_value_error():
    with pytest.raises(ValueError):
        zone_report(1e4, 4096, 128, eps=0.0)
    assert issubclass(InvalidRopeSpec, ValueError)


def test_bounds_beyond_float64_range_are_one_line_errors_not_crashes():
    import subprocess
    import sys

    from rope_sym.bounds.closed_forms import aliasing_base
    from rope_sym.errors import InvalidRopeSpec

    with pytest.raises(InvalidRopeSpec, match="outside the float64 range"):
        aliasing_base(1e300, 4)
    proc = subprocess.run([sys.executable, "-m", "verify", "zone", "--base", "1e4", "--context", "1e300",
                           "--head-dim", "4"], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2 and len(proc.stderr.strip().splitlines()) == 1 and "Traceback" not in proc.stderr
