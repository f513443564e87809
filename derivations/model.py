"""The data model of a machine-checked derivation: assumptions, numbered steps each verified by SymPy, a boxed result.

A step is not printed on trust: it carries the check that justifies it.

* :func:`equality` -- ``simplify(lhs - rhs) == 0`` (matrices: every entry).
* :func:`apply_monotone` -- ``before: a R b`` becomes ``after: g(a) R' g(b)`` where ``g`` is strictly increasing
  (``R' = R``) or strictly decreasing (``R'`` flipped) on a stated domain; SymPy proves the monotonicity
  (``is_strictly_increasing``/``is_strictly_decreasing`` on the domain) and that ``after``'s sides are ``g`` of
  ``before``'s sides.
* :func:`invert_monotone` -- ``f(x) R y`` becomes ``x R' c`` where ``f`` is strictly monotone on a domain holding
  ``x`` and ``c``, and ``f(c) = y`` (SymPy checks both).
* :func:`sign` -- an expression is positive / non-negative under the assumptions (SymPy's assumption system).
* :func:`asymptotic` -- ``series(expr, x, x0, n) == claimed + O(x^n)``; :func:`limit` -- ``limit(expr) == value``.

``substitutions`` (for example ``d -> 2 + r`` with ``r > 0``) turn the stated assumptions into SymPy assumptions on
fresh positive symbols before checking; the displayed formulas keep the readable symbols.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import sympy as sp

Subs = Mapping[sp.Symbol, sp.Expr]


def _is_zero(expr: Any, subs: Subs) -> bool:
    if isinstance(expr, sp.MatrixBase):
        return all(_is_zero(e, subs) for e in expr)
    e = sp.sympify(expr)
    for _ in range(3):  # substitutions may introduce symbols that other substitutions replace
        e = e.subs(subs)
    if sp.expand(e, trig=True) == 0:  # fast path: polynomial and angle-addition identities
        return True
    s = sp.simplify(e)
    if s == 0:
        return True
    # the stated assumptions make every base positive, which licenses the forced power and log rules
    s = sp.simplify(sp.powdenest(sp.powsimp(sp.expand_power_base(sp.expand_log(s, force=True), force=True),
                                            force=True), force=True))
    return bool(s == 0)


def _sides(rel: sp.Basic) -> tuple[sp.Expr, sp.Expr, bool]:
    """``(small, large, strict)`` of a relation ``small < large`` / ``small <= large`` (however it is written)."""
    if isinstance(rel, sp.StrictLessThan):
        return rel.lhs, rel.rhs, True
    if isinstance(rel, sp.LessThan):
        return rel.lhs, rel.rhs, False
    if isinstance(rel, sp.StrictGreaterThan):
        return rel.rhs, rel.lhs, True
    if isinstance(rel, sp.GreaterThan):
        return rel.rhs, rel.lhs, False
    raise TypeError(f"not an inequality: {rel!r}")


@dataclass(frozen=True)
class Step:
    """One numbered step: a displayed statement, why it holds, and the SymPy check that proves it."""

    statement: sp.Basic
    reason: str
    check: Callable[[], bool] = field(repr=False, compare=False)
    shown: tuple[str, str] | None = None  # (plain text, LaTeX) in place of a statement too large to print

    def text(self) -> str:
        """The statement as plain text."""
        return self.shown[0] if self.shown else sp.sstr(self.statement)

    def latex(self) -> str:
        """The statement as LaTeX (math mode)."""
        return self.shown[1] if self.shown else sp.latex(self.statement)

    def verify(self) -> bool:
        """Run the check; an exception inside SymPy counts as failure."""
        try:
            return bool(self.check())
        except Exception:
            return False


def equality(lhs: Any, rhs: Any, reason: str, subs: Subs | None = None, shown: tuple[str, str] | None = None) -> Step:
    """``lhs = rhs``, checked by ``simplify(lhs - rhs) == 0`` (entrywise for matrices); ``shown`` replaces a
    statement too large to print (plain text, LaTeX)."""
    s = dict(subs or {})
    if isinstance(lhs, sp.MatrixBase):
        return Step(sp.Eq(lhs, rhs, evaluate=False), reason, lambda: _is_zero(lhs - rhs, s), shown)
    return Step(sp.Eq(lhs, rhs, evaluate=False), reason, lambda: _is_zero(sp.sympify(lhs) - sp.sympify(rhs), s),
                shown)


def _monotone(g: sp.Expr, u: sp.Symbol, domain: sp.Set, increasing: bool, subs: Subs) -> bool:
    g = g.subs(subs)
    test = sp.is_strictly_increasing if increasing else sp.is_strictly_decreasing
    if test(g, domain, u):
        return True
    # Fallback: the derivative's sign under the symbols' own assumptions (for parameters SymPy cannot scan).
    derivative = sp.simplify(sp.diff(g, u))
    return bool(derivative.is_positive if increasing else derivative.is_negative)


def apply_monotone(before: sp.Basic, after: sp.Basic, g: sp.Expr, u: sp.Symbol, domain: sp.Set, increasing: bool,
                   reason: str, subs: Subs | None = None) -> Step:
    """``after`` is ``before`` with the strictly monotone map ``u -> g`` applied to both sides (both sides of
    ``before`` lie in ``domain``, an assumption the caller states)."""
    s = dict(subs or {})

    def check() -> bool:
        a, b, strict = _sides(before)
        small, large, strict_after = _sides(after)
        if strict != strict_after or not _monotone(g, u, domain, increasing, s):
            return False
        ga, gb = g.subs(u, a), g.subs(u, b)
        if not increasing:
            ga, gb = gb, ga
        return _is_zero(small - ga, s) and _is_zero(large - gb, s)

    return Step(after, reason, check)


def invert_monotone(before: sp.Basic, after: sp.Basic, f: sp.Expr, u: sp.Symbol, domain: sp.Set, increasing: bool,
                    x: sp.Expr, c: sp.Expr, reason: str, subs: Subs | None = None) -> Step:
    """``before: f(x) R y`` becomes ``after: x R' c`` where ``f`` is strictly monotone on ``domain`` (which holds
    ``x`` by assumption and ``c`` as checked where SymPy can decide it) and ``f(c) = y``."""
    s = dict(subs or {})

    def check() -> bool:
        a, b, strict = _sides(before)
        small, large, strict_after = _sides(after)
        if strict != strict_after or not _monotone(f, u, domain, increasing, s):
            return False
        fx = f.subs(u, x)
        if _is_zero(a - fx, s):        # f(x) <= y  ->  x <= c (increasing) or x >= c (decreasing)
            y, x_small = b, increasing
        elif _is_zero(b - fx, s):      # y <= f(x)  ->  c <= x (increasing) or c >= x (decreasing)
            y, x_small = a, not increasing
        else:
            return False
        if not _is_zero(f.subs(u, c) - y, s):
            return False
        if sp.sympify(domain.contains(c.subs(s))) is sp.false:
            return False
        pair = (small, large) if x_small else (large, small)
        return _is_zero(pair[0] - x, s) and _is_zero(pair[1] - c, s)

    return Step(after, reason, check)


def sign(expr: sp.Expr, reason: str, strict: bool = True, subs: Subs | None = None) -> Step:
    """``expr > 0`` (or ``>= 0``), decided by SymPy's assumptions after ``subs``."""
    s = dict(subs or {})

    def check() -> bool:
        e = sp.simplify(sp.sympify(expr).subs(s))
        return bool(e.is_positive if strict else e.is_nonnegative)

    statement = sp.StrictGreaterThan(expr, 0, evaluate=False) if strict else sp.GreaterThan(expr, 0, evaluate=False)
    return Step(statement, reason, check)


def asymptotic(expr: sp.Expr, claimed: sp.Expr, x: sp.Symbol, order: int, reason: str) -> Step:
    """``expr = claimed + O(x^order)`` as ``x -> 0``, checked by ``series``."""

    def check() -> bool:
        series = sp.series(expr, x, 0, order).removeO()
        return _is_zero(series - claimed, {})

    return Step(sp.Eq(expr, claimed + sp.Order(x**order, x), evaluate=False), reason, check)


def limit(expr: sp.Expr, x: sp.Symbol, point: Any, value: sp.Expr, reason: str) -> Step:
    """``limit(expr, x -> point) = value``."""
    return Step(sp.Eq(sp.Limit(expr, x, point), value, evaluate=False), reason,
                lambda: _is_zero(sp.limit(expr, x, point) - value, {}))


@dataclass(frozen=True)
class Derivation:
    """A claim proved step by step.

    ``result`` is the boxed conclusion (a SymPy relation or equation), ``paper`` its paper-form counterpart if any,
    ``gaps`` named formulas of where the paper's simplification departs from the exact result.
    """

    name: str
    title: str
    assumptions: tuple[str, ...]
    steps: tuple[Step, ...]
    result: sp.Basic
    paper: sp.Basic | None = None
    gaps: tuple[tuple[str, sp.Basic], ...] = ()
    notes: tuple[str, ...] = ()

    @cached_property
    def step_results(self) -> tuple[bool, ...]:
        """Whether each step verified (computed once)."""
        return tuple(step.verify() for step in self.steps)

    @property
    def verified(self) -> bool:
        """All steps verified."""
        return all(self.step_results)

    @property
    def failed_steps(self) -> list[int]:
        """1-based numbers of the steps that did not verify."""
        return [i + 1 for i, ok in enumerate(self.step_results) if not ok]

    def as_text(self) -> str:
        """A plain-text rendering for a terminal."""
        lines = [f"== {self.title} [{self.name}] ==", "Assumptions:"]
        lines += [f"  - {a}" for a in self.assumptions]
        lines.append("Steps:")
        for i, (step, ok) in enumerate(zip(self.steps, self.step_results, strict=True), 1):
            lines.append(f"  ({i}) {step.text()}")
            lines.append(f"      [{'verified' if ok else 'FAILED'}] {step.reason}")
        lines.append(f"Result: {sp.sstr(self.result)}")
        if self.paper is not None:
            lines.append(f"Paper form: {sp.sstr(self.paper)}")
        for label, formula in self.gaps:
            lines.append(f"Gap, {label}: {sp.sstr(formula)}")
        lines += [f"Note: {n}" for n in self.notes]
        return "\n".join(lines)
