"""One check per derivation: every SymPy step verifies, and the closed form of ``rope_sym.bounds.closed_forms``
agrees with an independent 50-digit bisection of the defining condition (relative agreement 1e-12, the float closed
form's accuracy with margin)."""

from __future__ import annotations

from collections.abc import Callable

import mpmath

from derivations.catalog import get
from rope_sym.bounds.table import CLOSED_FORMS, Bound, Setting
from rope_sym.spectrum.theta import effective_base
from verify.checks import CheckOptions, Outcome, check

DPS = 50
TOLERANCE = 1e-12
#: (context, rotary dim, eps, depth, eps_mach); the last has a small rotary dim where paper and exact differ most.
QUICK: tuple[tuple[float, int, float, int, float], ...] = (
    (4096, 128, 0.5, 32, 2.0**-23), (131072, 128, 0.9, 1, 2.0**-10), (2048, 64, 0.1, 8, 2.0**-7),
    (1000, 8, 0.5, 4, 2.0**-23))
FULL = QUICK + tuple((L, d, e, n, em) for L in (512, 32768, 1048576) for d in (4, 16, 96, 256)
                     for e in (0.05, 0.5, 0.95) for n in (1, 7, 80) for em in (2.0**-23, 2.0**-10))


def bisect_log(increasing: Callable[[mpmath.mpf], bool], lo: float, hi: float) -> mpmath.mpf:
    """The threshold ``x`` in ``[lo, hi]`` where the predicate turns from false to true (it must be monotone),
    by 250 halvings of ``ln x`` at 50 digits."""
    with mpmath.workdps(DPS):
        a, b = mpmath.log(lo), mpmath.log(hi)
        if increasing(mpmath.exp(a)) or not increasing(mpmath.exp(b)):
            raise ArithmeticError("bracket does not contain the threshold")
        for _ in range(250):
            mid = (a + b) / 2
            if increasing(mpmath.exp(mid)):
                b = mid
            else:
                a = mid
        return mpmath.exp(b)


def _theta(x: mpmath.mpf, d: int) -> mpmath.mpf:
    return x ** (-mpmath.mpf(d - 2) / d)


def _below(target: mpmath.mpf, d: int) -> Callable[[mpmath.mpf], bool]:
    """The predicate ``theta_min(x) < target`` (true for every base above the solution)."""
    return lambda x: bool(_theta(x, d) < target)


def numeric_threshold(bound: Bound, s: Setting) -> mpmath.mpf:
    """Where the record's defining condition flips in its variable (the base; the context for ``max_context``),
    solved by bisection on the condition itself (exact theta_min, monotonicity argument): a lower bound's
    condition turns true there, an upper bound's turns false."""
    if bound.side == "lower":
        def increasing(x: mpmath.mpf) -> bool:
            return bound.holds_at(x, s, "exact", False)[0]
    else:
        def increasing(x: mpmath.mpf) -> bool:
            return not bound.holds_at(x, s, "exact", False)[0]
    lo, hi = (1e-3, 1e30) if bound.variable == "context" else (1.0001, 1e300)
    return bisect_log(increasing, lo, hi)


def _judge_bound(bound: Bound, options: CheckOptions) -> Outcome:
    dv = get(bound.derivation)
    worst, where = 0.0, None
    grid = FULL if options.full else QUICK
    for setting in grid:
        s = Setting(*setting)
        found = numeric_threshold(bound, s)
        gap = float(abs(mpmath.mpf(bound.base_of(s, "exact")) - found) / found)
        if gap >= worst:
            worst, where = gap, setting
    ok = dv.verified and worst < TOLERANCE
    return Outcome.judge(ok, f"{len(dv.steps)} steps verified={dv.verified}, closed form vs 50-digit bisection: "
                         f"worst relative gap {worst:.2e} over {len(grid)} settings", failed_steps=dv.failed_steps,
                         worst_gap=worst, worst_setting=list(where) if where else None)


def _register(bound: Bound) -> None:
    """One ``derivation-<name>`` check per record: its derivation verifies, and its exact closed form matches
    a 50-digit solve of its condition."""
    name = bound.derivation.replace("_", "-")
    check(f"derivation-{name}", f"{bound.name} ({bound.side} bound on the {bound.variable}): SymPy steps verify; "
          f"{bound.exact} matches a 50-digit solve of {bound.condition}")(
        lambda options: _judge_bound(bound, options))


for _bound in CLOSED_FORMS:
    _register(_bound)


@check("derivation-relative-position", "R(m)^T R(n) = R(n-m) and layout equivalence verify in SymPy; 50-digit "
       "scores depend on n - m only")
def relative_position(options: CheckOptions) -> Outcome:
    import numpy as np

    from rope_sym.spectrum.rotation import apply_rotation
    dv = get("relative_position")
    rng = np.random.default_rng(0)
    worst = mpmath.mpf(0)
    with mpmath.workdps(DPS):
        frequencies = [mpmath.mpf(10000) ** (-mpmath.mpf(2 * i) / 8) for i in range(4)]
        for _ in range(20 if options.full else 4):
            q, k = (np.array([mpmath.mpf(float(v)) for v in rng.standard_normal(8)], dtype=object) for _ in "qk")
            m, n, shift = (int(v) for v in rng.integers(0, 100000, 3))

            def score(a: int, c: int, q: np.ndarray = q, k: np.ndarray = k) -> mpmath.mpf:
                ca = np.array([mpmath.cos(a * f) for f in frequencies], dtype=object)
                sa = np.array([mpmath.sin(a * f) for f in frequencies], dtype=object)
                cc = np.array([mpmath.cos(c * f) for f in frequencies], dtype=object)
                sc = np.array([mpmath.sin(c * f) for f in frequencies], dtype=object)
                return mpmath.fsum(apply_rotation(q, ca, sa, "interleaved") * apply_rotation(k, cc, sc, "interleaved"))

            worst = max(worst, abs(score(m, n) - score(m + shift, n + shift)))
    ok = dv.verified and worst < mpmath.mpf(10) ** -40
    return Outcome.judge(ok, f"{len(dv.steps)} steps verified={dv.verified}; 50-digit shift invariance of the "
                         f"score: worst difference {float(worst):.1e}", failed_steps=dv.failed_steps,
                         worst_difference=float(worst))


@check("derivation-retrofits", "retrofit effective bases verify in SymPy; b s^(d/(d-2)) matches a 50-digit solve "
       "of theta_min(b_eff) = theta_min(b)/s")
def retrofits(options: CheckOptions) -> Outcome:
    dv = get("retrofits")
    worst = 0.0
    for base, s, d in ((1e4, 4.0, 128), (5e5, 8.0, 128), (1e4, 2.0, 64), (1e4, 16.0, 8)):
        with mpmath.workdps(DPS):
            target = _theta(mpmath.mpf(base), d) / s
            found = bisect_log(_below(target, d), 1.0001, 1e300)
        theta_scaled = float(_theta(mpmath.mpf(base), d) / s)
        worst = max(worst, float(abs(mpmath.mpf(effective_base(theta_scaled, d)) - found) / found))
    ok = dv.verified and worst < TOLERANCE
    return Outcome.judge(ok, f"{len(dv.steps)} steps verified={dv.verified}; effective base vs 50-digit solve: worst "
                         f"relative gap {worst:.2e}", failed_steps=dv.failed_steps, worst_gap=worst)


@check("proof-kernel", "the proof kernel rejects a battery of false steps and derivations and verifies the true "
       "controls and every shipped derivation")
def proof_kernel(options: CheckOptions) -> Outcome:
    from derivations.battery import run_battery
    from derivations.catalog import all_derivations

    results = run_battery()
    wrong = [case.name for case, verified in results if verified != case.sound]
    false_cases = sum(not case.sound for case, _ in results)
    shipped = all_derivations()
    unverified = [dv.name for dv in shipped if not dv.verified]
    side = {dv.name: [h.label for h in dv.side_conditions] for dv in shipped if dv.side_conditions}
    return Outcome.judge(not wrong and not unverified,
                         f"{false_cases} false cases rejected, {len(results) - false_cases} controls verified"
                         + (f"; WRONG: {', '.join(wrong)}" if wrong else "")
                         + f"; {len(shipped) - len(unverified)}/{len(shipped)} shipped derivations verify",
                         wrong=wrong, unverified=unverified, side_conditions=side)


@check("latex-export", "the derivations document compiles with pdflatex without overfull boxes; every hypothesis "
       "and step appears")
def latex_export(options: CheckOptions) -> Outcome:
    import re
    import shutil
    import tempfile
    from pathlib import Path

    from derivations.catalog import all_derivations
    from derivations.export import to_latex

    tex = to_latex()
    missing = []
    for dv in all_derivations():
        section = tex.split(f"\\label{{sec:{dv.name}}}", 1)[-1].split("\\section{", 1)[0]
        labels = [f"\\item[({h.label})]" for h in dv.hypotheses] + [f"\\item[({i})]" for i in
                                                                     range(1, len(dv.steps) + 1)]
        missing += [f"{dv.name} {label}" for label in labels if label not in section]
    if missing:
        return Outcome.judge(False, f"missing from the document: {', '.join(missing[:5])}", missing=missing)
    if shutil.which("pdflatex") is None:
        return Outcome.skipped("pdflatex not on PATH (Debian: texlive-latex-base texlive-latex-recommended); the "
                               "document's structure was checked")
    from verify.commands.latex import build_pdf

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "derivations.tex"
        path.write_text(tex)
        build_pdf(path)
        log = path.with_suffix(".log").read_text(errors="replace")
        pages = re.search(r"Output written on .* \((\d+) pages?", log)
    overfull = log.count("Overfull \\hbox")
    n_pages = int(pages.group(1)) if pages else 0
    return Outcome.judge(overfull == 0 and n_pages > 0, f"{n_pages} pages, {overfull} overfull boxes; every "
                         "hypothesis and step present", pages=n_pages, overfull=overfull)
