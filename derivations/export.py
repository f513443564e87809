"""Export of the derivations: a standalone LaTeX document (each theorem with its numbered hypotheses, the proof
chain step by step, the boxed result, remarks, tables and references) and a plain-text rendering in Unicode."""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass

import sympy as sp

from derivations.catalog import all_derivations
from derivations.kernel import Derivation, Hypothesis, Step
from derivations.symbols import b, d, eps, eps_mach
from rope_sym.bounds import closed_forms as bd
from rope_sym.bounds.table import CLOSED_FORMS
from rope_sym.bounds.table import Setting as BoundSetting


@dataclass(frozen=True)
class Setting:
    """A standard setting of the bounds table."""

    label: str
    base: float
    context: float
    rotary_dim: int
    depth: int


#: Llama-2-7B (base 1e4, 4K, d 128, 32 layers), Llama-3.1-8B (5e5, 128K, d 128, 32 layers), a d = 64 model
#: (GPT-NeoX/Pythia-style head: base 1e4, 2K, 32 layers).
SETTINGS: tuple[Setting, ...] = (
    Setting("Llama-2 (d=128)", 1e4, 4096, 128, 32),
    Setting("Llama-3.1 (d=128)", 5e5, 131072, 128, 32),
    Setting("d=64 model", 1e4, 2048, 64, 32),
)
DTYPES: tuple[str, ...] = ("fp16", "bf16", "fp32")

REFERENCES: tuple[tuple[str, str], ...] = (
    ("liu2026", "Liu, \\emph{Rotary Positional Embeddings as Phase Modulation}, 2026."),
    ("du2026", "Du et al., \\emph{RoPE Distinguishes Neither Positions Nor Tokens in Long Contexts, Provably}, 2026."),
    ("men2024", "Men et al., \\emph{Base of RoPE Bounds Context Length}, NeurIPS 2024 (arXiv:2405.14591)."),
    ("su2024", "Su Jianlin, recomputation of Men et al.'s table of bases, kexue.fm, 2024."),
    ("liu2023", "Liu et al., \\emph{Scaling Laws of RoPE-based Extrapolation}, ICLR 2024 (arXiv:2310.05209)."),
)

_THETA_MIN = sp.Symbol("theta_min", positive=True)
_LATEX_NAMES = {eps: r"\varepsilon", eps_mach: r"\varepsilon_{\mathrm{mach}}", _THETA_MIN: r"\theta_{\min}",
                sp.Symbol("epsilon_mach", positive=True): r"\varepsilon_{\mathrm{mach}}",
                sp.Symbol("theta^*", positive=True): r"\theta^{*}", sp.Symbol("phi", positive=True): r"\varphi",
                sp.Symbol("f_low", positive=True): r"f_{\mathrm{low}}",
                sp.Symbol("f_high", positive=True): r"f_{\mathrm{high}}",
                sp.Symbol("T_extra", positive=True): r"T_{\mathrm{extra}}",
                sp.Symbol("T_extra'", positive=True): r"T'_{\mathrm{extra}}"}


def bounds_rows(eps_value: float = bd.DEFAULT_EPS) -> list[dict[str, object]]:
    """One row per (setting, dtype): every bound record's closed form as ``<name>_paper`` and ``<name>_exact``
    (``rope_sym.bounds.table.CLOSED_FORMS``: the lower bounds, the paper's wall and ``max_context``)."""
    rows: list[dict[str, object]] = []
    for st in SETTINGS:
        for dtype in DTYPES:
            setting = BoundSetting(st.context, st.rotary_dim, eps_value, st.depth, bd.eps_mach_of(dtype))
            row: dict[str, object] = {"setting": st.label, "base": st.base, "context": st.context,
                                      "rotary_dim": st.rotary_dim, "depth": st.depth, "dtype": dtype}
            for bound in CLOSED_FORMS:
                for form in ("paper", "exact"):
                    row[f"{bound.name}_{form}"] = bound.base_of(setting, form)
            rows.append(row)
    return rows


TABLE_BOUNDS: tuple[tuple[str, str, str], ...] = (
    ("dc_stability", "DC", "DC stability"), ("depth", "depth", "depth"), ("precision", "paper's wall", "paper's wall"),
    ("max_context", "L_max", "$L_{\\max}$"))
"""The records shown in the bounds tables, with their text and LaTeX titles (aliasing, always below DC stability,
is left out for width)."""


# ------------------------------------------------------------------------------------------------ LaTeX


_TEXT_ESCAPES = {"\\": r"\textbackslash{}", "_": r"\_", "^": r"\textasciicircum{}", "&": r"\&", "%": r"\%",
                 "$": r"\$", "#": r"\#", "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}", "<": r"$<$",
                 ">": r"$>$"}


def escape(text: str) -> str:
    """Plain text made safe for LaTeX text mode."""
    return "".join(_TEXT_ESCAPES.get(ch, ch) for ch in text)


def _num(x: object) -> str:
    """A number in LaTeX, 3 significant digits, ``a \\cdot 10^{e}``."""
    mant, _, exp = f"{float(x):.3g}".partition("e")  # type: ignore[arg-type]
    return f"${mant}{{\\cdot}}10^{{{int(exp)}}}$" if exp else f"${mant}$"


def _display(expr: sp.Basic) -> sp.Basic:
    """``b^(-(d-2)/d)`` shown as ``theta_min``."""
    return expr.xreplace({b ** ((2 - d) / d): _THETA_MIN, b ** (-(d - 2) / d): _THETA_MIN})


def latex_of(expr: sp.Basic) -> str:
    """A SymPy expression in LaTeX with the document's notation (``\\arccos``, ``\\varepsilon``,
    ``\\theta_{\\min}``)."""
    if isinstance(expr, sp.Contains):
        inner, interval = expr.args
        return f"{latex_of(inner)} \\in {sp.latex(interval)}"
    return sp.latex(_display(expr), inv_trig_style="full", symbol_names=_LATEX_NAMES)


def _statement(step: Step) -> str:
    return step.shown[1] if step.shown else latex_of(step.conclusion)


def _premise(step: Step, dv: Derivation) -> str:
    if step.premise is None:
        return "lemma" if step.rule != "numeric" else "numerical fact"
    if isinstance(step.premise, str):
        return f"by ({step.premise})" if step.rule == "given" else f"from ({step.premise})"
    return f"from ({step.premise})"


def _hypothesis_item(h: Hypothesis) -> str:
    tag = " \\emph{(side condition: assumed, not proved)}" if h.side_condition else ""
    return f"  \\item[({h.label})] ${latex_of(h.statement)}$: {h.text}{tag}."


def _section(dv: Derivation, number: int) -> list[str]:
    out = [f"\\section{{{dv.title}}}\\label{{sec:{dv.name}}}"]
    if dv.hypotheses:
        out += ["\\paragraph{Hypotheses.}", "\\begin{itemize}"]
        out += [_hypothesis_item(h) for h in dv.hypotheses]
        out.append("\\end{itemize}")
    out += ["\\paragraph{Derivation.} Each step states where it comes from and why it holds; every step was "
            "checked by the kernel.", "\\begin{enumerate}"]
    for step, ok in zip(dv.steps, dv.step_results, strict=True):
        status = "" if ok else " \\textbf{(NOT VERIFIED)}"
        out.append(f"  \\item[({_index(dv, step)})] $\\displaystyle {_statement(step)}$ \\hfill "
                   f"{{\\small {_premise(step, dv)}}}\\\\ {step.reason}.{status}")
    out.append("\\end{enumerate}")
    result = dv.result_shown[1] if dv.result_shown else latex_of(dv.result)
    out += ["\\paragraph{Result.}", f"\\[ \\boxed{{{result}}} \\]"]
    if dv.paper is not None:
        out.append(f"In the paper's form ($\\theta_{{\\min}} \\approx 1/b$): $\\displaystyle {latex_of(dv.paper)}$.")
    for label, formula in dv.gaps:
        out.append(f"\\par Gap, {label}: $\\displaystyle {latex_of(formula)}$.")
    if dv.remarks:
        out += ["\\paragraph{Remarks} (verified lemmas, outside the chain).", "\\begin{itemize}"]
        for remark in dv.remarks:
            shown = remark.shown[1] if remark.shown else latex_of(remark.conclusion)
            out.append(f"  \\item $\\displaystyle {shown}$: {remark.reason}.")
        out.append("\\end{itemize}")
    out += [f"\\par {note[0].upper()}{note[1:]}." for note in dv.notes]
    return out


def _index(dv: Derivation, step: Step) -> int:
    return next(i for i, s in enumerate(dv.steps, 1) if s is step)


def _bounds_table(eps_value: float) -> list[str]:
    out = ["\\section{Bounds at standard settings}",
           f"With the coherence threshold $\\varepsilon = {eps_value}$, $N$ layers as listed and the paper's wall "
           "$\\theta_{\\min} > \\varepsilon_{\\mathrm{mach}} = 2^{1-p}$, the table gives the smallest base of the DC "
           "and depth bounds, the paper's wall and the maximum context under it, each cell as paper form / exact "
           "form.",
           "\\begin{table}[h]\\centering\\footnotesize\\setlength{\\tabcolsep}{4pt}",
           "\\caption{Lower bounds (DC stability, depth), the paper's precision wall (upper bound) and $L_{\\max}$ "
           "for each setting ($L$ tokens, $N$ layers, $d$ the rotary dimension) and format (paper / exact).}",
           "\\begin{tabular}{lrrl" + "l" * len(TABLE_BOUNDS) + "}", "\\hline",
           "setting & $L$ & $N$ & format & " + " & ".join(title for _, _, title in TABLE_BOUNDS) + " \\\\", "\\hline"]
    for r in bounds_rows(eps_value):
        cells = [f"{_num(r[f'{name}_paper'])} / {_num(r[f'{name}_exact'])}" if name != "max_context"
                 else _num(r[f"{name}_exact"]) for name, _, _ in TABLE_BOUNDS]  # L_max: the same in both forms
        out.append(f"{escape(str(r['setting']))} & {int(float(str(r['context'])))} & {r['depth']} & {r['dtype']} & "
                   + " & ".join(cells) + " \\\\")
    out += ["\\hline", "\\end{tabular}", "\\end{table}"]
    return out


def _case_study_table() -> list[str]:
    from rope_sym.bounds.models import case_study

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # registry warnings are reported by `verify models`
        reports = case_study()
    out = ["\\section{Case study: registry models}",
           "Each model is judged at its own context $L$ and depth $N$ on its effective spectrum after scaling "
           "(fp32, hf pipeline), by the derived walls and by the paper's wall.",
           "\\begin{table}[h]\\centering\\footnotesize\\setlength{\\tabcolsep}{4pt}",
           "\\caption{Registry models: nominal and effective base, context $L$, depth $N$, the first condition that "
           "fails under the derived walls, and the verdicts by the derived walls and by the paper's wall.}",
           "\\begin{tabular}{lllrrlll}", "\\hline",
           "model & base & effective base & $L$ & $N$ & fails first & derived & paper \\\\", "\\hline"]
    for r in reports:
        out.append(f"{escape(r['model'])} & {_num(r['nominal_base'])} & {_num(r['effective_base'])} & "
                   f"{int(r['context'])} & {r['depth']} & {escape(r['first_violated'] or '--')} & {r['verdict']} & "
                   f"{r['verdict_paper']} \\\\")
    out += ["\\hline", "\\end{tabular}", "\\end{table}"]
    return out


def _references() -> list[str]:
    out = ["\\begin{thebibliography}{9}"]
    out += [f"  \\bibitem{{{key}}} {text}" for key, text in REFERENCES]
    out.append("\\end{thebibliography}")
    return out


def to_latex(derivations: list[Derivation] | None = None, eps: float = bd.DEFAULT_EPS,
             case_study: bool = True, extra_sections: list[str] | None = None) -> str:
    """A standalone document: a section per derivation (hypotheses, the chain, the boxed result, remarks), the
    bounds table, the case-study table, ``extra_sections`` (LaTeX lines, e.g. the claims ledger of ``verify``) and
    the references."""
    dvs = all_derivations() if derivations is None else derivations
    lines = ["\\documentclass[10pt]{article}", "\\usepackage{amsmath,amssymb}",
             "\\usepackage[margin=2cm]{geometry}", "\\allowdisplaybreaks", "\\emergencystretch=3em",
             "\\title{The limits of rotary position embeddings:\\\\ machine-checked derivations}",
             "\\author{rope-sym}", "\\date{}", "\\begin{document}", "\\maketitle",
             "\\begin{abstract}",
             "We derive the bounds on the base $b$ of rotary position embeddings (RoPE) for a context of $L$ "
             "tokens: aliasing, DC stability and depth~\\cite{liu2026}, the paper's precision wall and the zone "
             "they leave, the effective base of context-extension retrofits, and the erasure laws that replace "
             "the precision wall where exact scans refute it, and the extrapolation limit of a trained "
             "model~\\cite{liu2023}. Each derivation is a chain from numbered hypotheses "
             "to a boxed result; every step names its premise and was checked by a proof kernel built on SymPy: "
             "equalities by simplification (power and logarithm rules only once the bases are proved positive), "
             "inequalities by maps proved strictly monotone on a domain holding both sides, side conditions "
             "discharged under the hypotheses or stated as hypotheses. Numerical facts are checked by mpmath or "
             "an exact rounding oracle and named as such.",
             "\\end{abstract}",
             "\\paragraph{Notation.} Pair $i$ of a head of rotary dimension $d$ turns by $\\theta_i = b^{-2i/d}$ per "
             "token; the slowest pair has $\\theta_{\\min} = b^{-(d-2)/d}$ (the exact form), which the paper's "
             "form approximates by $1/b$~\\cite{liu2026}. A format has $p$ significant bits and machine epsilon "
             "$\\varepsilon_{\\mathrm{mach}} = 2^{1-p}$; $\\varepsilon \\in (0, 1)$ is a coherence threshold and $N$ "
             "the number of layers."]
    for number, dv in enumerate(dvs, 1):
        lines += _section(dv, number)
    lines += _bounds_table(eps)
    if case_study:
        lines += _case_study_table()
    lines += extra_sections or []
    lines += _references()
    lines.append("\\end{document}")
    return "\n".join(lines) + "\n"


# ------------------------------------------------------------------------------------------------- text

_UNICODE = [("epsilon_mach", "ε_mach"), ("epsilon", "ε"), ("theta_min", "θ_min"), ("theta", "θ"), ("phi", "φ"),
            ("delta", "δ"), ("gamma", "γ"), ("sigma", "σ"), ("acos", "arccos"), ("asin", "arcsin"),
            ("sqrt", "√"), ("pi", "π"), ("oo", "∞"), ("**", "^"), ("<=", "≤"), (">=", "≥"), ("*", "·"),
            ("ceiling", "ceil")]

_LATEX_TEXT = [(r"\approx", "≈"), (r"L_{\max}", "L_max"), (r"\max", "max"), (r"\min", "min"),
               (r"\tfrac", ""), (r"\textasciitilde", "~"), (r"\varepsilon_{\mathrm{mach}}", "ε_mach"),
               (r"\varepsilon", "ε"), (r"\theta_{\min}", "θ_min"),
               (r"\theta", "θ"), (r"\varphi", "φ"), (r"\delta", "δ"), (r"\gamma", "γ"), (r"\sigma", "σ"),
               (r"\pi", "π"), (r"\infty", "∞"), (r"\mapsto", "↦"), (r"\leq", "≤"), (r"\geq", "≥"), (r"\ll", "≪"),
               (r"\times", "×"), (r"\arccos", "arccos"), (r"\cos", "cos"), (r"\sin", "sin"), (r"\ln", "ln"),
               (r"\log_2", "log2"), (r"\sqrt", "√"), (r"\to", "→"), (r"\in", "∈"), (r"\lfloor", "⌊"),
               (r"\rfloor", "⌋"), (r"\mathrm", ""), (r"\langle", "⟨"), (r"\rangle", "⟩"), (r"\frac", ""),
               (r"\int", "∫"), (r"\,", " "), (r"\emph", ""), (r"\ ", " "),
               (r"\lceil", "⌈"), (r"\rceil", "⌉"), (r"\log_b", "log_b"), (r"\beta", "β")]


def plain(text: str) -> str:
    """A reason or hypothesis written with LaTeX math, as Unicode text."""
    out = text.replace("$", "")
    for macro, symbol in _LATEX_TEXT:
        out = out.replace(macro, symbol)
    out = re.sub(r"\{([^{}]*)\}", r"\1", out)
    return re.sub(r"\{([^{}]*)\}", r"\1", out)


def text_of(expr: sp.Basic) -> str:
    """A SymPy expression (or relation) as one line of Unicode math."""
    if isinstance(expr, sp.Contains):
        inner, interval = expr.args
        return f"{text_of(inner)} ∈ {_unicode(sp.sstr(interval))}"
    e = _display(expr)
    if isinstance(e, sp.Equality):
        return f"{text_of(e.lhs)} = {text_of(e.rhs)}"
    return _unicode(sp.sstr(e))


def _unicode(s: str) -> str:
    for old, new in _UNICODE:
        s = s.replace(old, new)
    return s.replace("Interval.open", "").replace("Interval", "")


def as_text(dv: Derivation) -> str:
    """A derivation for a terminal."""
    lines = [f"== {dv.title} [{dv.name}] =="]
    if dv.hypotheses:
        lines.append("Hypotheses:")
        for h in dv.hypotheses:
            tag = " (side condition: assumed, not proved)" if h.side_condition else ""
            lines.append(f"  ({h.label}) {text_of(h.statement)}: {plain(h.text)}{tag}")
    lines.append("Derivation:")
    for i, (step, ok) in enumerate(zip(dv.steps, dv.step_results, strict=True), 1):
        statement = step.shown[0] if step.shown else text_of(step.conclusion)
        lines.append(f"  ({i}) {statement}    [{_premise(step, dv)}]")
        lines.append(f"      [{'verified' if ok else 'FAILED'}] {plain(step.reason)}")
    result = dv.result_shown[0] if dv.result_shown else text_of(dv.result)
    lines.append(f"Result: {result}")
    if dv.paper is not None:
        lines.append(f"Paper form: {text_of(dv.paper)}")
    for label, formula in dv.gaps:
        lines.append(f"Gap, {plain(label)}: {text_of(formula)}")
    for remark in dv.remarks:
        shown = remark.shown[0] if remark.shown else text_of(remark.conclusion)
        lines.append(f"Remark: {shown}: {plain(remark.reason)}")
    lines += [f"Note: {plain(n)}" for n in dv.notes]
    return "\n".join(lines)


def _text_cell(row: dict[str, object], name: str, title: str) -> str:
    """``title paper / exact`` of one record in a bounds row (``L_max`` is the same in both forms)."""
    if name == "max_context":
        return f"{title} {float(str(row[f'{name}_exact'])):.3g}"
    label = f"{title}(N={row['depth']})" if name == "depth" else title
    return f"{label} {float(str(row[f'{name}_paper'])):.3g} / {float(str(row[f'{name}_exact'])):.3g}"


def to_text(derivations: list[Derivation] | None = None, eps: float = bd.DEFAULT_EPS) -> str:
    """Every derivation as Unicode text, then the bounds table."""
    dvs = all_derivations() if derivations is None else derivations
    parts = [as_text(dv) for dv in dvs]
    table = [f"Bounds at standard settings (ε = {eps}; paper / exact):"]
    for r in bounds_rows(eps):
        cells = [_text_cell(r, name, title) for name, title, _ in TABLE_BOUNDS]
        table.append(f"  {r['setting']:<18} {r['dtype']:<5} " + "  ".join(cells))
    return "\n\n".join([*parts, "\n".join(table)]) + "\n"
