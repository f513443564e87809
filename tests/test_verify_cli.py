"""The verify harness: listing, running, JSON output, exit statuses, one-line usage errors."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from verify import CHECKS, Outcome, Status, main
from verify.checks import CheckOptions, run_check


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "verify", *args], capture_output=True, text=True, timeout=600)


def test_list_names_every_registered_check(capsys):
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    for name in CHECKS.names():
        assert name in out


def test_named_checks_run_and_write_json(tmp_path, capsys):
    target = tmp_path / "r.json"
    assert main(["formats-bf16-trap", "spectrum-exact-vs-float", "--json", str(target)]) == 0
    data = json.loads(target.read_text())
    assert [r["name"] for r in data["results"]] == ["formats-bf16-trap", "spectrum-exact-vs-float"]
    assert all(r["status"] == "PASS" and r["seconds"] >= 0 for r in data["results"])
    assert "2 passed, 0 failed, 0 skipped" in capsys.readouterr().out


def test_unknown_check_is_one_line_and_exit_2():
    proc = run_cli("formats-rounding", "no-such-check")
    assert proc.returncode == 2
    assert proc.stderr.strip() == "python -m verify: error: unknown check 'no-such-check' (see 'python -m verify list')"
    assert proc.stdout == ""


def test_bad_option_is_one_line_and_exit_2():
    proc = run_cli("bench", "--nope")
    assert proc.returncode == 2 and len(proc.stderr.strip().splitlines()) == 1


def test_no_arguments_prints_usage_and_exits_2(capsys):
    assert main([]) == 2
    assert "usage:" in capsys.readouterr().out


def test_a_failing_check_gives_exit_1_and_a_crash_is_a_failure(monkeypatch):
    def broken(options: CheckOptions) -> Outcome:
        raise ZeroDivisionError("boom")

    monkeypatch.setitem(CHECKS._entries, "broken", type(CHECKS["formats-bf16-trap"])("broken", "x", broken))
    result = run_check("broken", CheckOptions())
    assert result.status is Status.FAIL and "ZeroDivisionError: boom" in result.headline
    assert main(["broken"]) == 1


def test_skipped_is_never_counted_as_passed(monkeypatch, capsys):
    def cannot(options: CheckOptions) -> Outcome:
        return Outcome.skipped("no pdflatex on PATH")

    monkeypatch.setitem(CHECKS._entries, "cannot", type(CHECKS["formats-bf16-trap"])("cannot", "x", cannot))
    assert main(["cannot"]) == 0
    out = capsys.readouterr().out
    assert "SKIPPED" in out and "no pdflatex on PATH" in out and "0 passed, 0 failed, 1 skipped" in out


@pytest.mark.slow
def test_verify_all_passes():
    proc = run_cli("all")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert " 0 failed" in proc.stdout


def test_bench_quick_prints_figures():
    proc = run_cli("bench", "rounding", "--quick")
    assert proc.returncode == 0, proc.stderr
    assert "round_to values/s" in proc.stdout and "bf16" in proc.stdout


def test_erasure_torch_check_is_skipped_with_reason_without_torch():
    # A fresh interpreter in which `import torch` fails: the check must say SKIPPED and why, never PASS,
    # and the torch backend must give a one-line error, exit 2.
    code = ("import sys; sys.modules['torch'] = None\n"
            "from verify.checks import CheckOptions, run_check\n"
            "r = run_check('erasure-torch', CheckOptions())\n"
            "print(r.status.value, '|', r.headline)\n"
            "from verify import main\n"
            "raise SystemExit(main(['erasure', '--base', '1e4', '--head-dim', '8', '--context', '64',"
            " '--backend', 'torch']))\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.stdout.startswith("SKIPPED | torch is not installed"), proc.stdout + proc.stderr
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and "torch is not installed" in proc.stderr, proc.stderr


def test_bench_torch_quick_prints_figures():
    pytest.importorskip("torch")
    proc = run_cli("bench", "erasure", "--quick")
    assert proc.returncode == 0, proc.stderr
    assert "positions*pairs/s" in proc.stdout and "torch" in proc.stdout and "emulated" in proc.stdout
    # the labels whole: the table may wrap a long label to fit the width, csv never does
    csv = run_cli("bench", "erasure", "--quick", "--format", "csv")
    assert csv.returncode == 0, csv.stderr
    assert "floor: numpy float64 cos+sin" in csv.stdout and "floor: torch fp32 cos+sin+cast" in csv.stdout
