"""Every subcommand's output fits the width: ``COLUMNS`` (100 and 60 here) with stdout not a terminal, in the
table format; and the machine formats (json, csv, markdown) keep their promises."""

from __future__ import annotations

import csv
import io
import json
import warnings

import pytest

from verify import CHECKS
from verify.cli import main
from verify.commands import COMMANDS
from verify.report import format_table

# cheap, representative arguments for every subcommand (a new subcommand must be added here: see the test below)
CHEAP: dict[str, list[list[str]]] = {
    "list": [["list"]],
    "all": [["all"]],  # run on a few checks (the same table and summary as the full run): see _few_checks
    "zone": [["zone", "--base", "5e5", "--context", "131072", "--head-dim", "128", "--depth", "32"]],
    "model": [["model", "Llama-3.1-8B"], ["model", "gemma-3-27b"]],
    "models": [["models"]],
    "recommend": [["recommend", "--context", "131072", "--head-dim", "128", "--depth", "32"],
                  ["recommend", "--model", "Llama-2-7B", "--context", "32768"]],
    "erasure": [["erasure", "--base", "5e5", "--head-dim", "64", "--context", "2048", "--verbose"]],
    "claims": [["claims", "explainer-theta63", "liu-zone"]],
    "bench": [["bench", "rounding", "--quick"]],
    "latex": [["latex", "--format", "text"]],
    "plot": [["plot", "--kind", "walls", "--dtype", "bf16"]],
    "attention": [["attention", "--base", "5e5", "--head-dim", "16", "--context", "2048"]],
    "confirm": [["confirm", "--base", "5e5", "--head-dim", "16", "--context", "2048"]],
    "probe": [["probe", "offset", "--offsets", "0,256", "--tokens", "8", "--dtypes", "fp32"]],
}
TORCH_ONLY = {"attention", "confirm"}
MODEL_ONLY = {"probe"}


def test_every_subcommand_has_cheap_arguments_here():
    assert set(CHEAP) == {"list", "all", *COMMANDS.names()}


@pytest.fixture
def _few_checks(monkeypatch):
    few = {name: CHECKS[name] for name in ("formats-bf16-trap", "spectrum-exact-vs-float", "models-case-study")}
    monkeypatch.setattr(CHECKS, "_entries", few)


def _run(argv: list[str], capsys, tmp_path) -> str:
    if argv[0] == "plot":
        argv = [*argv, "--out", str(tmp_path / "walls.png")]
    status = main(argv)
    out, err = capsys.readouterr()
    assert status in (0, 1), err  # 1: a verdict or check that fails is still output to fit
    return out


@pytest.mark.parametrize("width", [100, 60])
@pytest.mark.parametrize("name", sorted(CHEAP))
def test_output_fits_the_width(name, width, monkeypatch, capsys, tmp_path, request):
    if name == "all":
        request.getfixturevalue("_few_checks")
    if name in TORCH_ONLY:
        pytest.importorskip("torch", reason="torch is an optional extra")
    if name in MODEL_ONLY:
        from verify.checks.real_model import _unavailable

        if _unavailable():
            pytest.skip(f"the packaged model cannot run here: {_unavailable()}")
    monkeypatch.setenv("COLUMNS", str(width))
    for argv in CHEAP[name]:
        out = _run(argv, capsys, tmp_path)
        assert out.strip(), argv
        too_wide = [line for line in out.splitlines() if len(line) > width]
        assert not too_wide, f"{argv}: {len(too_wide)} lines over {width}: {too_wide[0]!r}"


@pytest.mark.parametrize("width", [100, 60])
def test_help_fits_the_width(width, monkeypatch, capsys):
    monkeypatch.setenv("COLUMNS", str(width))
    for argv in (["--help"], *[[name, "--help"] for name in sorted(CHEAP) if name != "all"]):
        main(argv)
        out = capsys.readouterr().out
        assert out.strip() and max(len(line) for line in out.splitlines()) <= width, argv


def test_without_columns_the_width_is_100_when_not_a_terminal(monkeypatch, capsys):
    from verify.report import terminal_width

    monkeypatch.delenv("COLUMNS", raising=False)
    assert terminal_width() == 100  # capsys: stdout is no terminal
    assert main(["models"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert max(len(line) for line in lines) <= 100 and max(len(line) for line in lines) > 80


@pytest.mark.parametrize("width", [100, 40, 12, 3])
def test_any_table_fits_by_eliding_wrapping_or_dropping(width):
    rows = [["Llama-4-Scout-17B-16E", "x" * 300, 1.5e-7, 10_485_760, "a long sentence " * 12, "-"]] * 3
    headers = ["model", "elided", "theta", "context", "why", "fails"]
    for elide in (None, 1):
        table = format_table(headers, rows, elide=elide, width=width)
        assert max(len(line) for line in table.splitlines()) <= width
    wrapped = format_table(["model", "why"], [["m", "a long sentence " * 12]], width=60)
    assert "a long sentence" in wrapped.splitlines()[3]  # wrapped into a second line of its row, not cut
    dropped = format_table(headers, rows, elide=1, width=50)  # names and numbers stay whole: columns go
    assert "(not shown, to fit 50 columns:" in dropped
    assert "Llama-4-Scout-17B-16E" in dropped and "1.5e-07" in dropped


def test_json_numbers_are_numbers_and_warnings_are_inside(capsys):
    assert main(["models", "--format", "json"]) == 0
    out, err = capsys.readouterr()
    data = json.loads(out)  # stdout is pure JSON
    assert set(data) == {"models", "warnings"}
    first = data["models"][0]
    assert isinstance(first["effective_base"], float) and isinstance(first["depth"], int)
    scout = [w for w in data["warnings"] if w.startswith("Llama-4-Scout-17B-16E")]
    assert scout and all(f"warning: {w}" in err for w in scout)  # and still one line each on stderr
    assert main(["models", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == data  # --json is --format json


def test_every_json_document_is_an_object_with_warnings(capsys):
    for argv in (["list", "--json"], ["zone", "--base", "5e5", "--context", "4096", "--head-dim", "64", "--json"],
                 ["claims", "explainer-theta63", "--format", "json"], ["formats-bf16-trap", "--json"],
                 ["recommend", "--context", "4096", "--head-dim", "64", "--format", "json"]):
        assert main(argv) == 0
        data = json.loads(capsys.readouterr().out)
        assert isinstance(data, dict) and data["warnings"] == [], argv


def test_a_warning_raised_by_the_command_lands_in_its_json(capsys, monkeypatch):
    import rope_sym.bounds.zone as zone

    original = zone.zone_report

    def warning_report(*args, **kwargs):
        warnings.warn("something to know", UserWarning, stacklevel=1)
        return original(*args, **kwargs)

    monkeypatch.setattr("verify.commands.zone.zone_report", warning_report)
    assert main(["zone", "--base", "5e5", "--context", "4096", "--head-dim", "64", "--json"]) == 0
    out, err = capsys.readouterr()
    assert json.loads(out)["warnings"] == ["something to know"] and err == "warning: something to know\n"


def test_csv_and_markdown_of_a_report_with_two_tables(capsys):
    argv = ["zone", "--base", "5e5", "--context", "131072", "--head-dim", "128"]
    assert main([*argv, "--format", "csv"]) == 0
    blocks = capsys.readouterr().out.strip().split("\n\n")
    assert [b.splitlines()[0] for b in blocks] == ["# table 1", "# derived walls (erasure laws, no scan):"]
    bounds = list(csv.DictReader(io.StringIO(blocks[0].split("\n", 1)[1])))
    assert bounds[0]["bound"] == "aliasing" and float(bounds[0]["exact"]) > 2e4  # a number, every digit
    assert main([*argv, "--format", "markdown"]) == 0
    out = capsys.readouterr().out
    assert "| level | wall theta | erased pairs | holds | positions kept | L_max | law |" in out
    assert "| bound | side | paper | exact | holds (exact) |" in out


def test_csv_of_a_report_without_a_table_is_a_one_line_error(capsys):
    assert main(["recommend", "--context", "4096", "--head-dim", "64", "--format", "csv"]) == 2
    assert capsys.readouterr().err.count("\n") == 1


TABLE_COMMANDS = ("list", "all", "zone", "model", "models", "claims", "erasure", "recommend", "attention", "confirm",
                  "bench")


@pytest.mark.parametrize("name", TABLE_COMMANDS)
def test_every_table_command_takes_format(name, capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")  # the choices on one line
    main(["formats-bf16-trap", "--help"] if name == "all" else [name, "--help"])
    assert "--format {table,markdown,csv,json}" in capsys.readouterr().out
