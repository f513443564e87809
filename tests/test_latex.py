"""LaTeX and text export: document structure, a real pdflatex build (required in CI), the CLI."""

from __future__ import annotations

import os
import shutil

import pytest

from derivations.catalog import MODULES, all_derivations
from derivations.export import SETTINGS, bounds_rows, escape, to_latex, to_text
from verify import main
from verify.commands.latex import build_pdf
from verify.report import fit_text, terminal_width


def test_document_has_a_section_and_a_boxed_result_per_derivation():
    tex = to_latex()
    assert tex.startswith("\\documentclass") and "\\usepackage{amsmath,amssymb}" in tex
    assert tex.rstrip().endswith("\\end{document}")
    assert tex.count("\\boxed{") == len(MODULES)
    for dv in all_derivations():
        assert f"\\section{{{dv.title}}}\\label{{sec:{dv.name}}}" in tex
        section = tex.split(f"\\label{{sec:{dv.name}}}", 1)[1].split("\\section{", 1)[0]
        for h in dv.hypotheses:   # numbered hypotheses, side conditions marked
            assert f"\\item[({h.label})]" in section
            assert ("side condition" in section) or not h.side_condition
        for i in range(1, len(dv.steps) + 1):   # numbered steps
            assert f"\\item[({i})]" in section
    assert "NOT VERIFIED" not in tex
    assert "\\begin{tabular}" in tex and tex.count("fp16") >= len(SETTINGS)
    # the document's notation, references, tables with L and N, no stray accents
    for text in ("\\arccos", "\\varepsilon_{\\mathrm{mach}}", "\\theta_{\\min}", "\\begin{thebibliography}",
                 "Rotary Positional Embeddings as Phase Modulation", "RoPE Distinguishes Neither Positions Nor Tokens",
                 "Base of RoPE Bounds Context Length", "Case study", "$L$ & $N$"):
        assert text in tex, text
    assert "\\~{}" not in tex and "acos" not in tex and "\\epsilon" not in tex


def test_escape_makes_text_safe():
    assert escape("a_b^c < d & 5% # ~") == r"a\_b\textasciicircum{}c $<$ d \& 5\% \# \textasciitilde{}"


def test_bounds_table_rows_cover_settings_and_formats():
    rows = bounds_rows()
    assert len(rows) == 3 * len(SETTINGS)
    fp32 = [r for r in rows if r["dtype"] == "fp32"]
    assert all(1.65e6 < float(r["max_context_exact"]) < 1.8e6 for r in fp32)  # eps 0.5, N 32
    assert all(float(r["precision_exact"]) > float(r["precision_paper"]) for r in rows)


def test_text_export_marks_every_step(capsys):
    text = to_text()
    assert text.count("[verified]") == sum(len(dv.steps) for dv in all_derivations())
    assert main(["latex", "--format", "text"]) == 0
    out = capsys.readouterr().out
    assert out == fit_text(text, terminal_width())
    assert max(len(line) for line in out.splitlines()) <= terminal_width()
    assert " ".join(out.split()) == " ".join(text.split())  # the same words: only the line breaks differ


def test_latex_needs_out(capsys):
    assert main(["latex"]) == 2
    assert "needs --out" in capsys.readouterr().err


def test_latex_cli_writes_the_document(tmp_path, capsys):
    assert main(["latex", "--out", str(tmp_path / "out")]) == 0
    assert (tmp_path / "out" / "derivations.tex").read_text() == to_latex()
    assert "wrote" in capsys.readouterr().out


def test_pdflatex_builds_the_document(tmp_path):
    if shutil.which("pdflatex") is None:
        if os.environ.get("CI"):
            pytest.fail("pdflatex is not on PATH in CI (.ci/run must install texlive-latex-base and "
                        "texlive-latex-recommended)")
        pytest.skip("pdflatex is not on PATH (install texlive-latex-base texlive-latex-recommended)")
    tex = tmp_path / "derivations.tex"
    tex.write_text(to_latex())
    pdf = build_pdf(tex)   # raises (one line naming the first LaTeX error) if pdflatex fails
    assert pdf.read_bytes()[:5] == b"%PDF-"
    log = (tmp_path / "derivations.log").read_text(errors="replace")
    assert not [ln for ln in log.splitlines() if ln.startswith("!")]
    assert "Undefined control sequence" not in log
    assert "Overfull \\hbox" not in log
