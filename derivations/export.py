"""Export of the derivations: a standalone amsmath LaTeX document and a plain-text rendering, plus the table of the
bounds evaluated for fp16, bf16 and fp32 at a few standard settings."""

from __future__ import annotations

from dataclasses import dataclass

import sympy as sp

from derivations.catalog import all_derivations
from derivations.model import Derivation
from rope_sym.bounds import closed_forms as bd


@dataclass(frozen=True)
class Setting:
    """A standard setting of the bounds table."""

    label: str
    base: float
    context: float
    head_dim: int
    depth: int


#: Llama-2-7B (base 1e4, 4K, d 128, 32 layers), Llama-3.1-8B (5e5, 128K, d 128, 32 layers), a d = 64 model
#: (GPT-NeoX/Pythia-style head: base 1e4, 2K, 32 layers).
SETTINGS: tuple[Setting, ...] = (
    Setting("Llama-2 (d=128)", 1e4, 4096, 128, 32),
    Setting("Llama-3.1 (d=128)", 5e5, 131072, 128, 32),
    Setting("d=64 model", 1e4, 2048, 64, 32),
)
DTYPES: tuple[str, ...] = ("fp16", "bf16", "fp32")


def bounds_rows(eps: float = bd.DEFAULT_EPS) -> list[dict[str, object]]:
    """One row per (setting, dtype): the lower bounds (paper/exact), the wall (paper/exact) and L_max."""
    rows: list[dict[str, object]] = []
    for st in SETTINGS:
        for dtype in DTYPES:
            em = bd.eps_mach_of(dtype)
            row: dict[str, object] = {"setting": st.label, "base": st.base, "context": st.context,
                                      "head_dim": st.head_dim, "depth": st.depth, "dtype": dtype}
            for form in ("paper", "exact"):
                row[f"aliasing_{form}"] = bd.aliasing_base(st.context, st.head_dim, form=form)
                row[f"dc_{form}"] = bd.dc_stability_base(st.context, st.head_dim, eps, form=form)
                row[f"depth_{form}"] = bd.depth_base(st.context, st.head_dim, eps, st.depth, form=form)
                row[f"wall_{form}"] = bd.precision_wall_base(em, st.head_dim, form=form)
            row["max_context"] = bd.max_context(em, eps, st.depth, st.head_dim)
            rows.append(row)
    return rows


_TEXT_ESCAPES = {"\\": r"\textbackslash{}", "_": r"\_", "^": r"\^{}", "&": r"\&", "%": r"\%", "$": r"\$",
                 "#": r"\#", "{": r"\{", "}": r"\}", "~": r"\~{}", "<": r"$<$", ">": r"$>$"}


def escape(text: str) -> str:
    """Plain text made safe for LaTeX text mode."""
    return "".join(_TEXT_ESCAPES.get(ch, ch) for ch in text)


def _num(x: object) -> str:
    """A number in LaTeX, 3 significant digits, ``a \\times 10^{e}``."""
    mant, _, exp = f"{float(x):.3g}".partition("e")  # type: ignore[arg-type]
    return f"${mant} \\times 10^{{{int(exp)}}}$" if exp else f"${mant}$"


def _section(dv: Derivation) -> list[str]:
    out = [f"\\section{{{escape(dv.title)}}}", "\\paragraph{Assumptions.}", "\\begin{itemize}"]
    out += [f"  \\item {escape(a)}" for a in dv.assumptions]
    out += ["\\end{itemize}", "\\paragraph{Steps.}", "\\begin{enumerate}"]
    for step, ok in zip(dv.steps, dv.step_results, strict=True):
        status = "verified by SymPy" if ok else "\\textbf{NOT VERIFIED}"
        out.append(f"  \\item $\\displaystyle {step.latex()}$\\\\ {escape(step.reason)} ({status}).")
    out += ["\\end{enumerate}", "\\paragraph{Result.}", f"\\[ \\boxed{{{sp.latex(dv.result)}}} \\]"]
    if dv.paper is not None:
        out.append(f"Paper form: $\\displaystyle {sp.latex(dv.paper)}$.")
    for label, formula in dv.gaps:
        out.append(f"\\par Gap, {escape(label)}: $\\displaystyle {sp.latex(formula)}$.")
    out += [f"\\par Note: {escape(n)}." for n in dv.notes]
    return out


def _table(eps: float) -> list[str]:
    out = ["\\section{Bounds at standard settings}",
           f"Coherence threshold $\\epsilon = {eps}$, depth $N$ as listed, $\\epsilon_{{\\mathrm{{mach}}}} = "
           "2^{1-p}$ of the format computing the phases. Each cell: paper / exact.",
           "\\begin{center}\\small", "\\begin{tabular}{llllll}", "\\hline",
           "setting & dtype & DC stability & depth & precision wall & $L_{\\max}$ \\\\", "\\hline"]
    for r in bounds_rows(eps):
        out.append(f"{escape(str(r['setting']))} & {r['dtype']} & {_num(r['dc_paper'])} / {_num(r['dc_exact'])} & "
                   f"{_num(r['depth_paper'])} / {_num(r['depth_exact'])} & {_num(r['wall_paper'])} / "
                   f"{_num(r['wall_exact'])} & {_num(r['max_context'])} \\\\")
    out += ["\\hline", "\\end{tabular}", "\\end{center}"]
    return out


def to_latex(derivations: list[Derivation] | None = None, eps: float = bd.DEFAULT_EPS) -> str:
    """A standalone amsmath document: a section per derivation (assumptions, numbered steps, boxed result) and
    the bounds table."""
    dvs = all_derivations() if derivations is None else derivations
    lines = ["\\documentclass[10pt]{article}", "\\usepackage{amsmath,amssymb}",
             "\\usepackage[margin=2cm]{geometry}", "\\allowdisplaybreaks",
             "\\title{RoPE base bounds: machine-checked derivations}", "\\author{rope-sym}", "\\date{}",
             "\\begin{document}", "\\maketitle",
             "Each step below was checked by SymPy (equality by simplification, inequalities by applying a map "
             "proved strictly monotone on the stated domain, limits and series by SymPy). "
             "$\\theta_{\\min} = b^{-(d-2)/d}$ (exact); the paper's form uses $\\theta_{\\min} \\approx 1/b$."]
    for dv in dvs:
        lines += _section(dv)
    lines += _table(eps)
    lines.append("\\end{document}")
    return "\n".join(lines) + "\n"


def to_text(derivations: list[Derivation] | None = None, eps: float = bd.DEFAULT_EPS) -> str:
    """Every derivation as plain text, then the bounds table."""
    dvs = all_derivations() if derivations is None else derivations
    parts = [dv.as_text() for dv in dvs]
    table = [f"Bounds at standard settings (eps = {eps}; paper / exact):"]
    for r in bounds_rows(eps):
        table.append(f"  {r['setting']:<18} {r['dtype']:<5} DC {r['dc_paper']:.3g} / {r['dc_exact']:.3g}  "
                     f"depth(N={r['depth']}) {r['depth_paper']:.3g} / {r['depth_exact']:.3g}  "
                     f"wall {r['wall_paper']:.3g} / {r['wall_exact']:.3g}  L_max {r['max_context']:.3g}")
    return "\n\n".join([*parts, "\n".join(table)]) + "\n"
