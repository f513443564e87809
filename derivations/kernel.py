"""The proof kernel: a derivation is a chain from stated hypotheses to a boxed result, every step checked.

A :class:`Proof` collects numbered **hypotheses** (SymPy relations, or ``Contains(expr, interval)``) and
**steps**. Each step names its **premise** (an earlier step or a hypothesis; lemmas of pure algebra or analysis
have none), states its **conclusion**, and carries the check that licenses it:

* ``given(H)`` -- the conclusion is hypothesis ``H`` (a chain starts here);
* ``rewrite(premise, conclusion)`` -- the same relation with each side replaced by an equal expression
  (``a = b`` may continue ``a = c`` when ``b = c``);
* ``monotone(premise, conclusion, g, u, domain)`` -- ``a R b`` becomes ``g(a) R g(b)`` (``R`` flipped when ``g`` is
  decreasing), ``g`` strictly monotone on ``domain``;
* ``invert(premise, conclusion, f, u, domain, x, c)`` -- ``f(x) R y`` becomes ``x R' c`` with ``f(c) = y``;
* lemmas: ``identity`` (``a = b`` by algebra), ``positive`` (``e > 0``), ``limit``, ``series``, ``numeric`` (a fact
  checked numerically, by mpmath or the gmpy2 oracle, named as such).

**Side conditions are proof obligations**, discharged under the hypotheses (and the step's premise): both sides of
a monotone map in its domain; ``x`` and ``c`` in an inverted function's domain; every base of a power, and every
argument of a logarithm, positive before powers or logarithms are combined (SymPy's ``force=True`` rewriting is
used only then). An obligation is discharged by SymPy's assumptions (after the range substitutions such as
``d -> 2 + r``), by a hypothesis bounding the expression, or by the range of a function over an interval a
hypothesis gives for its argument (``cos(x) > 0`` from ``x in (0, pi/2)``). One that cannot be discharged fails the
step: a condition SymPy cannot prove must be stated as a hypothesis (``side_condition=True`` marks it in the
document), never assumed silently. An obligation SymPy proves false fails the step too.

A derivation verifies when every step's check passes, every premise exists earlier, and the boxed result is the
last step's conclusion. A check that raises counts as a failure.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from typing import Any

import sympy as sp

from derivations.numeric import decide, interval_relations, sides

Subs = Mapping[sp.Symbol, sp.Expr]
Premise = int | str | None  # an earlier step (1-based), a hypothesis label, or None (a lemma)


# ------------------------------------------------------------------------------------------------ relations


_FLIP = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "=": "="}


def _normal(rel: sp.Basic) -> tuple[sp.Expr, sp.Expr, str]:
    """``(small, large, strict-kind)`` of an inequality written either way (``a > b`` is ``b < a``)."""
    a, b, kind = sides(rel)
    if kind in (">", ">="):
        return b, a, _FLIP[kind]
    return a, b, kind


# ------------------------------------------------------------------------------------------------- context


@dataclass
class Context:
    """What obligations may use: range substitutions, the facts (the hypotheses and every earlier conclusion)
    and the step's premise."""

    subs: Subs
    facts: list[sp.Basic] = field(default_factory=list)
    premise: sp.Basic | None = None
    definitions: Subs = field(default_factory=dict)  # hypotheses ``symbol = expr``

    def prepared(self, expr: Any) -> Any:
        e = sp.sympify(expr)
        for _ in range(3):  # substitutions may introduce symbols that other substitutions replace
            e = e.subs(self.definitions).subs(self.subs)
        return e

    @cached_property
    def bounds(self) -> list[tuple[sp.Expr, sp.Expr, bool, str]]:
        """The facts as bounds ``(expression, value, strict, "lower"|"upper")``, prepared once."""
        out = []
        for fact in self.facts:
            if isinstance(fact, sp.Contains):
                inner, interval = fact.args
                if isinstance(interval, sp.Interval):
                    target = self.prepared(inner)
                    out.append((target, interval.start, bool(interval.left_open), "lower"))
                    out.append((target, interval.end, bool(interval.right_open), "upper"))
                continue
            try:
                small, large, kind = _normal(fact)
            except TypeError:
                continue
            strict = kind == "<"
            out.append((self.prepared(small), large, strict, "upper"))
            out.append((self.prepared(large), small, strict, "lower"))
        return out


def _sign_of(diff: sp.Expr, kind: str) -> bool | None:
    if kind == "=":
        return True if diff == 0 else (False if diff.is_zero is False else None)
    decided = {"<": diff.is_negative, "<=": diff.is_nonpositive, ">": diff.is_positive,
               ">=": diff.is_nonnegative}[kind]
    if decided is None and diff.is_number:
        decided = bool({"<": diff < 0, "<=": diff <= 0, ">": diff > 0, ">=": diff >= 0}[kind])
    return decided


def _decide(rel: sp.Basic, ctx: Context) -> bool | None:
    """A relation decided by SymPy alone after the range substitutions: True, False or None (undecided)."""
    if isinstance(rel, (bool, sp.logic.boolalg.BooleanAtom)):
        return bool(rel)
    a, b, kind = sides(rel)
    diff = ctx.prepared(a) - ctx.prepared(b)
    decided = _sign_of(diff, kind)  # cheap first: SymPy's assumptions on the expression as it stands
    if decided is None:
        decided = _sign_of(sp.simplify(diff), kind)
    return decided


def _same_expr(a: sp.Expr, b: sp.Expr) -> bool:
    """Structurally equal, or equal after expansion (cheap: no simplification)."""
    return bool(a == b or sp.expand(a - b) == 0)


def _bounds_from_facts(expr: sp.Expr, ctx: Context) -> list[tuple[sp.Expr, bool, str]]:
    """Bounds on ``expr`` the facts state: ``(value, strict, "lower"|"upper")``."""
    target = ctx.prepared(expr)
    return [(value, strict, side) for e, value, strict, side in ctx.bounds if _same_expr(e, target)]


def _interval_of(expr: sp.Expr, ctx: Context) -> sp.Interval | None:
    """The tightest interval the facts give for ``expr`` (with SymPy's own sign knowledge), or None."""
    lo, lo_open, hi, hi_open = sp.S.NegativeInfinity, True, sp.S.Infinity, True
    e = ctx.prepared(expr)
    if e.is_positive:
        lo, lo_open = sp.S.Zero, True
    elif e.is_nonnegative:
        lo, lo_open = sp.S.Zero, False
    for value, strict, side in _bounds_from_facts(expr, ctx):
        v = ctx.prepared(value)
        if side == "lower" and (lo == sp.S.NegativeInfinity or _decide(sp.GreaterThan(v, lo), ctx)):
            lo, lo_open = v, strict
        if side == "upper" and (hi == sp.S.Infinity or _decide(sp.LessThan(v, hi), ctx)):
            hi, hi_open = v, strict
    if lo == sp.S.NegativeInfinity and hi == sp.S.Infinity:
        return None
    return sp.Interval(lo, hi, lo_open, hi_open)


_RANGE_VARIABLE = sp.Symbol("u_range", real=True)


@lru_cache(maxsize=256)
def _function_range(func: Any, interval: sp.Interval) -> sp.Set:
    from sympy.calculus.util import function_range

    return function_range(func(_RANGE_VARIABLE), _RANGE_VARIABLE, interval)


def _through_function(rel: sp.Basic, ctx: Context) -> bool | None:
    """``f(E) R c`` from the range of ``f`` over the interval the facts give for ``E`` (one-argument ``f``)."""
    a, b, kind = sides(rel)
    if kind == "=" or not sp.sympify(b).is_number:
        return None
    expr = ctx.prepared(a)
    if not isinstance(expr, sp.Function) or len(expr.args) != 1:
        return None
    interval = _interval_of(expr.args[0], ctx)
    if interval is None:
        return None
    values = _function_range(expr.func, interval)
    if not isinstance(values, sp.Interval):
        return None
    need = {"<": sp.Interval.open(sp.S.NegativeInfinity, b), "<=": sp.Interval(sp.S.NegativeInfinity, b),
            ">": sp.Interval.open(b, sp.S.Infinity), ">=": sp.Interval(b, sp.S.Infinity)}[kind]
    return True if values.is_subset(need) else None


def _positive(expr: sp.Expr, ctx: Context) -> bool:
    """``expr > 0`` by structure: a product of positive factors, a power of a positive base, a positive function
    value over the interval the facts give for its argument."""
    e = sp.sympify(expr)
    if _decide(sp.StrictGreaterThan(e, 0), ctx):
        return True
    if isinstance(e, sp.Mul):
        return all(_positive(f, ctx) for f in e.args)
    if isinstance(e, sp.Pow):
        return _positive(e.base, ctx) and bool(ctx.prepared(e.exp).is_real)
    if any(_same(fact, sp.StrictGreaterThan(e, 0)) for fact in ctx.facts if _is_relation(fact)):
        return True
    return _through_function(sp.StrictGreaterThan(e, 0), ctx) is True


def _is_relation(x: sp.Basic) -> bool:
    return isinstance(x, (sp.StrictLessThan, sp.LessThan, sp.StrictGreaterThan, sp.GreaterThan, sp.Equality))


def holds(rel: sp.Basic, ctx: Context) -> bool | None:
    """Discharge the obligation ``rel``: True (proved), False (SymPy proves it false), None (undecided)."""
    if isinstance(rel, (bool, sp.logic.boolalg.BooleanAtom)):
        return bool(rel)
    decided = _decide(rel, ctx)
    if decided is not None:
        return decided
    a, b, kind = sides(rel)
    if kind == "=":
        return None
    if kind == ">" and sp.sympify(b) == 0 and _positive(a, ctx):
        return True
    if kind == "<" and sp.sympify(a) == 0 and _positive(b, ctx):
        return True
    # a stated bound on the left side, compared with the right side by SymPy
    small, large, normal = _normal(rel)
    for target, other, want in ((small, large, "upper"), (large, small, "lower")):
        for value, strict, side in _bounds_from_facts(target, ctx):
            if side != want:
                continue
            # target < value <= other (want upper) or other <= value < target (want lower)
            link = sp.LessThan(value, other) if want == "upper" else sp.LessThan(other, value)
            if _decide(link, ctx) and (strict or normal == "<=" or _decide(
                    sp.StrictLessThan(value, other) if want == "upper" else sp.StrictLessThan(other, value), ctx)):
                return True
    return _through_function(rel, ctx)


def member(expr: sp.Expr, domain: sp.Interval, ctx: Context) -> bool | None:
    """``expr`` in ``domain``: both ends discharged (False as soon as one end is proved false)."""
    checks = []
    if domain.start != sp.S.NegativeInfinity:
        checks.append((sp.StrictGreaterThan if domain.left_open else sp.GreaterThan)(expr, domain.start))
    if domain.end != sp.S.Infinity:
        checks.append((sp.StrictLessThan if domain.right_open else sp.LessThan)(expr, domain.end))
    results = [holds(c, ctx) for c in checks]
    if any(r is False for r in results):
        return False
    return True if all(r is True for r in results) else None


# ---------------------------------------------------------------------------------------------- equalities


def _power_bases(expr: sp.Expr) -> set[sp.Expr]:
    """Bases of non-integer powers, every base nested inside them, and the arguments of logarithms and absolute
    values: the expressions whose positivity the forced power and logarithm rules assume."""
    out: set[sp.Expr] = set()
    for node in sp.preorder_traversal(expr):
        if isinstance(node, sp.Pow) and not (node.exp.is_integer and node.exp.is_nonnegative):
            for inner in sp.preorder_traversal(node.base):
                if isinstance(inner, sp.Pow):
                    out.add(inner.base)
            out.add(node.base)
        elif isinstance(node, (sp.log, sp.Abs, sp.sign, sp.arg)):
            out.add(node.args[0])
    return {b for b in out if not b.is_number or not b.is_positive}


def equal(a: Any, b: Any, ctx: Context) -> tuple[bool, str]:
    """``a = b`` under the context: by simplification, and by the power and logarithm rules only once every base
    they touch is proved positive."""
    if isinstance(a, sp.MatrixBase) or isinstance(b, sp.MatrixBase):
        diff = sp.Matrix(a) - sp.Matrix(b)
        ok = all(equal(entry, 0, ctx)[0] for entry in diff)
        return ok, "" if ok else "the matrices differ"
    e = ctx.prepared(sp.sympify(a) - sp.sympify(b))
    if sp.expand(e, trig=True) == 0 or sp.simplify(e) == 0:
        return True, ""
    bases = _power_bases(e)
    open_bases = [base for base in bases if holds(sp.StrictGreaterThan(base, 0), ctx) is not True]
    if open_bases:
        return False, f"not equal without the positivity of {', '.join(sp.sstr(x) for x in open_bases)}"
    forced = sp.powdenest(sp.powsimp(sp.expand_power_base(sp.expand_log(e, force=True), force=True), force=True),
                          force=True)
    ok = sp.simplify(forced) == 0
    return ok, "" if ok else "the sides differ"


def _variable_on(domain: sp.Interval) -> sp.Dummy:
    """A fresh variable whose SymPy assumptions are what ``domain`` implies (its sign), and nothing else."""
    if domain.is_subset(sp.Interval.open(0, sp.oo)):
        return sp.Dummy("v", positive=True)
    if domain.is_subset(sp.Interval(0, sp.oo)):
        return sp.Dummy("v", nonnegative=True)
    if domain.is_subset(sp.Interval.open(-sp.oo, 0)):
        return sp.Dummy("v", negative=True)
    return sp.Dummy("v", real=True)


def _monotone_on(g: sp.Expr, u: sp.Symbol, domain: sp.Interval, increasing: bool, ctx: Context) -> bool:
    """``g`` strictly monotone on ``domain``: SymPy's test, else the derivative's sign on the domain itself. The
    map's variable is replaced by a plain real one first: only ``domain`` may say where it ranges (a ``u``
    declared positive must not make ``u^2`` increasing on ``(-oo, 0)``)."""
    if not isinstance(u, sp.Symbol):
        return False
    v = _variable_on(domain)
    expr, u = ctx.prepared(g).subs(u, v), v
    test = sp.is_strictly_increasing if increasing else sp.is_strictly_decreasing
    try:
        if test(expr, domain, u):
            return True
    except (NotImplementedError, TypeError, ValueError):
        pass
    derivative = sp.simplify(sp.diff(expr, u))
    local = Context(ctx.subs, [*ctx.facts, sp.Contains(u, domain)], ctx.premise, ctx.definitions)
    return holds(sp.StrictGreaterThan(derivative, 0) if increasing else sp.StrictLessThan(derivative, 0),
                 local) is True


# --------------------------------------------------------------------------------------------- the data


@dataclass(frozen=True)
class Hypothesis:
    """A numbered hypothesis: ``statement`` (a relation or ``Contains``), its prose, and whether it is a side
    condition the kernel cannot prove and the theorem therefore assumes."""

    label: str
    statement: sp.Basic
    text: str
    side_condition: bool = False


Check = Callable[[Context], tuple[bool, str]]


@dataclass(frozen=True)
class Step:
    """One numbered step: the conclusion, its premise, the rule and the prose reason, and the rule's data
    (``args``: the map of a monotone step, the precision of a numeric one). A step carries no check of its own:
    the kernel derives each check from the rule, the conclusion and ``args`` (``check_step``)."""

    conclusion: sp.Basic
    reason: str
    rule: str
    premise: Premise
    args: tuple[Any, ...] = ()
    shown: tuple[str, str] | None = None  # (plain text, LaTeX) in place of a statement too large to print


@dataclass(frozen=True)
class Derivation:
    """A theorem: hypotheses, the chain of steps, the boxed ``result`` (the last conclusion), and remarks
    (``paper`` form, ``gaps``, ``notes``)."""

    name: str
    title: str
    hypotheses: tuple[Hypothesis, ...]
    steps: tuple[Step, ...]
    result: sp.Basic
    subs: Subs = field(default_factory=dict, repr=False, compare=False)
    remarks: tuple[Step, ...] = ()
    paper: sp.Basic | None = None
    gaps: tuple[tuple[str, sp.Basic], ...] = ()
    notes: tuple[str, ...] = ()
    result_shown: tuple[str, str] | None = None  # (plain text, LaTeX) for a result too large to print

    def _premise_fact(self, premise: Premise) -> sp.Basic | None:
        if premise is None:
            return None
        if isinstance(premise, str):
            return next(h.statement for h in self.hypotheses if h.label == premise)
        return self.steps[premise - 1].conclusion

    def _structure(self) -> list[str]:
        """Chain errors: unknown or later premises, a result that is not the last conclusion."""
        errors = []
        labels = {h.label for h in self.hypotheses}
        for i, step in enumerate(self.steps, 1):
            if step.rule in LEMMA_RULES:
                if step.premise is not None:
                    errors.append(f"step {i}: a {step.rule} lemma takes no premise")
            elif isinstance(step.premise, str):
                if step.premise not in labels:
                    errors.append(f"step {i}: no hypothesis {step.premise}")
            elif not (isinstance(step.premise, int) and 1 <= step.premise < i):
                errors.append(f"step {i}: its premise must be an earlier step or a hypothesis")
        if not self.steps:
            errors.append("no steps")
        elif not _same(self.result, self.steps[-1].conclusion):
            errors.append("the result is not the last step's conclusion")
        elif self.steps[-1].rule in LEMMA_RULES and self.hypotheses:
            errors.append("the result must follow from the hypotheses, not be a free lemma")
        return errors

    @cached_property
    def failures(self) -> tuple[str, ...]:
        """Why the derivation does not verify (empty when it does); computed once."""
        errors = self._structure()
        facts = [h.statement for h in self.hypotheses]
        definitions = {h.statement.lhs: h.statement.rhs for h in self.hypotheses
                       if isinstance(h.statement, sp.Equality) and isinstance(h.statement.lhs, sp.Symbol)}
        errors += _hypothesis_failures(self.hypotheses, self.subs)
        errors += _range_failures(self)
        for i, step in enumerate(self.steps, 1):
            try:
                premise = self._premise_fact(step.premise)
            except (StopIteration, IndexError, TypeError):
                premise = None
            ctx = Context(self.subs, [*facts, *(s.conclusion for s in self.steps[:i - 1])], premise, definitions)
            try:
                ok, why = check_step(step, ctx)
            except Exception as exc:  # a check that raises is a failure, never a pass
                ok, why = False, f"the check raised {type(exc).__name__}"
            if not ok:
                errors.append(f"step {i}: {why or 'does not follow'}")
        for j, remark in enumerate(self.remarks, 1):
            try:
                ok, why = check_step(remark, Context(self.subs, list(facts), None, definitions))
            except Exception as exc:
                ok, why = False, f"the check raised {type(exc).__name__}"
            if not ok:
                errors.append(f"remark {j}: {why or 'does not hold'}")
        return tuple(errors)

    @property
    def step_results(self) -> tuple[bool, ...]:
        bad = {int(e.split(":")[0].split()[1]) for e in self.failures if e.startswith("step ")}
        return tuple(i + 1 not in bad for i in range(len(self.steps)))

    @property
    def verified(self) -> bool:
        return not self.failures

    @property
    def failed_steps(self) -> list[int]:
        return [i + 1 for i, ok in enumerate(self.step_results) if not ok]

    @property
    def side_conditions(self) -> list[Hypothesis]:
        """The hypotheses that are side conditions (assumed, stated, not proved)."""
        return [h for h in self.hypotheses if h.side_condition]


LEMMA_RULES = frozenset({"identity", "positive", "limit", "series", "numeric"})


def _same(a: sp.Basic, b: sp.Basic) -> bool:
    """Two relations are the same statement (same kind once normalised, sides equal by simplification)."""
    try:
        sa, la, ka = _normal(a) if sides(a)[2] != "=" else sides(a)
        sb, lb, kb = _normal(b) if sides(b)[2] != "=" else sides(b)
    except TypeError:
        return bool(a == b)
    if ka != kb:
        return False
    return bool(sp.simplify(sa - sb) == 0 and sp.simplify(la - lb) == 0) or (
        ka == "=" and bool(sp.simplify(sa - lb) == 0 and sp.simplify(la - sb) == 0))


# -------------------------------------------------------------------------------------------- the rules


def _premise_of(ctx: Context) -> sp.Basic:
    if ctx.premise is None:
        raise ValueError("no premise")
    return ctx.premise


def _rewrite(step: Step, ctx: Context) -> tuple[bool, str]:
    """The premise with each side replaced by an equal expression (or ``a = b``, ``b = c`` giving ``a = c``)."""
    conclusion = step.conclusion
    a, b, kind = sides(_premise_of(ctx))
    c, e, kind2 = sides(conclusion)
    if kind == "=" and kind2 == "=":
        pairs = [((a, c), (b, e)), ((a, e), (b, c)), ((a, c), (a, a)), ((b, c), (b, b))]
        for (x1, y1), (x2, y2) in pairs[:2]:
            if equal(x1, y1, ctx)[0] and equal(x2, y2, ctx)[0]:
                return True, ""
        # transitivity: a = b and b = e gives a = e (the conclusion's right side equal to b)
        if equal(a, c, ctx)[0] and equal(b, e, ctx)[0]:
            return True, ""
        return False, "the conclusion's sides are not equal to the premise's"
    if kind2 != kind:
        if _FLIP[kind] == kind2:
            c, e = e, c
        else:
            return False, "a rewrite keeps the relation"
    ok1, why1 = equal(a, c, ctx)
    ok2, why2 = equal(b, e, ctx)
    return ok1 and ok2, why1 or why2


def _outside(points: Sequence[sp.Expr], domain: sp.Interval, ctx: Context) -> str | None:
    """Why one of ``points`` is not shown to lie in ``domain`` (proved outside, or undecided), else None."""
    for point in points:
        inside = member(point, domain, ctx)
        if inside is not True:
            return (f"{sp.sstr(point)} is not in {sp.sstr(domain)}" if inside is False else
                    f"cannot show {sp.sstr(point)} lies in {sp.sstr(domain)}: state it as a hypothesis")
    return None


def _monotone(step: Step, ctx: Context) -> tuple[bool, str]:
    """``a R b`` to ``g(a) R g(b)``: both sides in the domain, ``g`` strictly monotone there."""
    conclusion = step.conclusion
    g, u, domain, increasing = step.args
    small, large, kind = _normal(_premise_of(ctx))
    small2, large2, kind2 = _normal(conclusion)
    if kind != kind2:
        return False, "strictness changes"
    why = _outside((small, large), domain, ctx)
    if why:
        return False, why
    if not _monotone_on(g, u, domain, increasing, ctx):
        return False, f"{sp.sstr(g)} is not strictly {'in' if increasing else 'de'}creasing on {sp.sstr(domain)}"
    ga, gb = g.subs(u, small), g.subs(u, large)
    if not increasing:
        ga, gb = gb, ga
    ok1, why1 = equal(small2, ga, ctx)
    ok2, why2 = equal(large2, gb, ctx)
    return ok1 and ok2, why1 or why2 or "the conclusion is not the map applied to the premise"


def _invert(step: Step, ctx: Context) -> tuple[bool, str]:
    """``f(x) R y`` to ``x R' c`` with ``f(c) = y``: ``x`` and ``c`` in the domain, ``f`` strictly monotone."""
    conclusion = step.conclusion
    f, u, domain, increasing, x, c = step.args
    small, large, kind = _normal(_premise_of(ctx))
    small2, large2, kind2 = _normal(conclusion)
    if kind != kind2:
        return False, "strictness changes"
    why = _outside((x, c), domain, ctx)
    if why:
        return False, why
    if not _monotone_on(f, u, domain, increasing, ctx):
        return False, f"{sp.sstr(f)} is not strictly monotone on {sp.sstr(domain)}"
    fx = f.subs(u, x)
    if equal(small, fx, ctx)[0]:       # f(x) <= y: x <= c (increasing) or x >= c (decreasing)
        y, x_small = large, increasing
    elif equal(large, fx, ctx)[0]:     # y <= f(x): c <= x (increasing) or c >= x (decreasing)
        y, x_small = small, not increasing
    else:
        return False, "the premise is not a bound on f(x)"
    if not equal(f.subs(u, c), y, ctx)[0]:
        return False, "f(c) is not the premise's bound"
    want = (x, c) if x_small else (c, x)
    return (equal(small2, want[0], ctx)[0] and equal(large2, want[1], ctx)[0]), "the conclusion is not x R c"


def _given(step: Step, ctx: Context) -> tuple[bool, str]:
    """The conclusion is the premise itself."""
    return _same(_premise_of(ctx), step.conclusion), "not the premise"


def _equation(step: Step) -> tuple[sp.Expr, sp.Expr]:
    lhs, rhs, kind = sides(step.conclusion)
    if kind != "=":
        raise ValueError("an equation was expected")
    return lhs, rhs


def _identity(step: Step, ctx: Context) -> tuple[bool, str]:
    """``a = b`` by algebra, read off the conclusion itself."""
    return equal(*_equation(step), ctx)


def _positive_rule(step: Step, ctx: Context) -> tuple[bool, str]:
    """``e > 0`` (or ``e >= 0``), discharged like an obligation."""
    _, rhs, kind = sides(step.conclusion)
    if kind not in (">", ">=") or sp.sympify(rhs) != 0:
        return False, "a positivity lemma states e > 0 or e >= 0"
    return holds(step.conclusion, ctx) is True, f"cannot show {sp.sstr(step.conclusion)}"


def _limit(step: Step, ctx: Context) -> tuple[bool, str]:
    """``Limit(expr, x, point) = value``, the limit computed by SymPy from the statement."""
    lhs, value = _equation(step)
    if not isinstance(lhs, sp.Limit):
        return False, "a limit lemma states Limit(...) = value"
    return equal(lhs.doit(), value, ctx)


def _series(step: Step, ctx: Context) -> tuple[bool, str]:
    """``expr = claimed + O(x^n)`` at ``x = 0``, the expansion computed by SymPy from the statement."""
    expr, rhs = _equation(step)
    x, order = step.args
    big_o = rhs.getO()
    if big_o is None or big_o.point != (0,) or big_o.variables != (x,) or not equal(big_o.expr, x**order, ctx)[0]:
        return False, f"the statement's remainder is not O({x}^{order}) at 0"
    return equal(sp.series(expr, x, 0, order).removeO(), rhs.removeO(), ctx)


def _numeric(step: Step, ctx: Context) -> tuple[bool, str]:
    """A closed statement evaluated by the kernel (``derivations.numeric.decide``) at the stated precision."""
    (dps,) = step.args
    return decide(step.conclusion, int(dps))


RULES: dict[str, Callable[[Step, Context], tuple[bool, str]]] = {
    "given": _given, "rewrite": _rewrite, "monotone": _monotone, "invert": _invert, "identity": _identity,
    "positive": _positive_rule, "limit": _limit, "series": _series, "numeric": _numeric,
}
"""The kernel's rules: each check reads the step's conclusion, premise and data, nothing else."""


def check_step(step: Step, ctx: Context) -> tuple[bool, str]:
    """Check one step by its rule (an unknown rule fails)."""
    rule = RULES.get(step.rule)
    if rule is None:
        return False, f"no rule {step.rule!r}"
    return rule(step, ctx)


# ----------------------------------------------------------------------------- hypotheses and ranges


_NEGATE = {"<": sp.GreaterThan, "<=": sp.StrictGreaterThan, ">": sp.LessThan, ">=": sp.StrictLessThan}


def _negation(rel: sp.Basic) -> sp.Basic | None:
    """``not rel`` for an inequality (None for an equation)."""
    a, b, kind = sides(rel)
    negate = _NEGATE.get(kind)
    return None if negate is None else negate(a, b, evaluate=False)


def _relations_of(statement: sp.Basic) -> list[sp.Basic]:
    if isinstance(statement, sp.Contains) and isinstance(statement.args[1], sp.Interval):
        return interval_relations(*statement.args)
    return [statement]


def _hypothesis_failures(hypotheses: Sequence[Hypothesis], subs: Subs) -> list[str]:
    """Hypotheses the kernel proves false, alone or against the others: a theorem must not rest on a
    contradiction (from which anything follows)."""
    errors = []
    for h in hypotheses:
        others = [o.statement for o in hypotheses if o is not h]
        for rel in _relations_of(h.statement):
            try:
                alone = holds(rel, Context(subs))
                negation = _negation(rel)
                refuted = negation is not None and holds(negation, Context(subs, others)) is True
            except TypeError:
                continue
            if alone is False:
                errors.append(f"hypothesis {h.label} is false: {sp.sstr(rel)}")
                break
            if refuted:
                errors.append(f"hypothesis {h.label} contradicts the others: {sp.sstr(rel)}")
                break
    return errors


def _range_failures(dv: Derivation) -> list[str]:
    """Every range substitution ``s -> e(r)`` used must cover the range the hypotheses (and ``s``'s own
    assumptions) give ``s``: checking a claim for ``e(r)`` proves it only for the values ``e`` takes, so ``e``
    must take every value the theorem speaks of; ``r`` must be a fresh symbol."""
    from sympy.calculus.util import function_range

    used: set[sp.Basic] = set()
    for h in dv.hypotheses:
        used |= h.statement.free_symbols
    for step in (*dv.steps, *dv.remarks):
        used |= step.conclusion.free_symbols
    errors = []
    for symbol, expr in dv.subs.items():
        if symbol not in used:
            continue
        fresh = sp.sympify(expr).free_symbols
        if len(fresh) != 1 or fresh & used:
            errors.append(f"the range substitution {symbol} -> {sp.sstr(expr)} needs one fresh variable")
            continue
        (r,) = fresh
        if not (r.is_positive or r.is_nonnegative):
            errors.append(f"the range variable {r} of {symbol} must be positive or nonnegative")
            continue
        domain = sp.Interval(0, sp.oo, left_open=bool(r.is_positive), right_open=True)
        image = function_range(expr, r, domain)
        stated = _interval_of(symbol, Context({}, [h.statement for h in dv.hypotheses])) or (
            sp.Interval.open(0, sp.oo) if symbol.is_positive else sp.Reals)
        if r.is_integer and not (symbol.is_integer and (sp.sympify(expr) - r).is_integer):
            errors.append(f"the range substitution {symbol} -> {sp.sstr(expr)} ranges over integers only")
        elif not isinstance(image, sp.Interval) or stated.is_subset(image) is not True:
            errors.append(f"the range substitution {symbol} -> {sp.sstr(expr)} covers {sp.sstr(image)}, not the "
                          f"stated range {sp.sstr(stated)}: state it as a hypothesis")
    return errors


class Proof:
    """A derivation under construction: hypotheses first, then steps; ``done(result)`` returns the
    :class:`Derivation` (``result`` defaults to the last conclusion)."""

    def __init__(self, name: str, title: str, subs: Subs | None = None) -> None:
        self.name, self.title, self.subs = name, title, dict(subs or {})
        self.hypotheses: list[Hypothesis] = []
        self.steps: list[Step] = []
        self.remarks: list[Step] = []

    def hypothesis(self, statement: sp.Basic, text: str, side_condition: bool = False) -> str:
        if isinstance(statement, (bool, sp.logic.boolalg.BooleanAtom)):
            raise ValueError(f"a hypothesis must be a relation, got {statement} (build it with evaluate=False)")
        label = f"H{len(self.hypotheses) + 1}"
        self.hypotheses.append(Hypothesis(label, statement, text, side_condition))
        return label

    def _add(self, step: Step, remark: bool = False) -> int:
        if remark:  # a verified lemma shown after the result, outside the chain
            if step.rule not in LEMMA_RULES:
                raise ValueError("only lemmas can be remarks")
            self.remarks.append(step)
            return -len(self.remarks)
        self.steps.append(step)
        return len(self.steps)

    def given(self, label: str, reason: str = "by hypothesis") -> int:
        statement = next(h.statement for h in self.hypotheses if h.label == label)
        return self._add(Step(statement, reason, "given", label))

    def rewrite(self, premise: Premise, conclusion: sp.Basic, reason: str,
                shown: tuple[str, str] | None = None) -> int:
        return self._add(Step(conclusion, reason, "rewrite", premise, (), shown))

    def monotone(self, premise: Premise, conclusion: sp.Basic, g: sp.Expr, u: sp.Symbol, domain: sp.Interval,
                 increasing: bool, reason: str) -> int:
        return self._add(Step(conclusion, reason, "monotone", premise, (g, u, domain, increasing)))

    def invert(self, premise: Premise, conclusion: sp.Basic, f: sp.Expr, u: sp.Symbol, domain: sp.Interval,
               increasing: bool, x: sp.Expr, c: sp.Expr, reason: str) -> int:
        return self._add(Step(conclusion, reason, "invert", premise, (f, u, domain, increasing, x, c)))

    def identity(self, lhs: Any, rhs: Any, reason: str, shown: tuple[str, str] | None = None,
                 remark: bool = False) -> int:
        statement = sp.Eq(lhs, rhs, evaluate=False)
        return self._add(Step(statement, reason, "identity", None, (), shown), remark)

    def positive(self, expr: sp.Expr, reason: str, strict: bool = True, remark: bool = False) -> int:
        rel = sp.StrictGreaterThan(expr, 0, evaluate=False) if strict else sp.GreaterThan(expr, 0, evaluate=False)
        return self._add(Step(rel, reason, "positive", None), remark)

    def limit(self, expr: sp.Expr, x: sp.Symbol, point: Any, value: sp.Expr, reason: str,
              remark: bool = False) -> int:
        statement = sp.Eq(sp.Limit(expr, x, point), value, evaluate=False)
        return self._add(Step(statement, reason, "limit", None), remark)

    def series(self, expr: sp.Expr, claimed: sp.Expr, x: sp.Symbol, order: int, reason: str,
               remark: bool = False) -> int:
        statement = sp.Eq(expr, claimed + sp.Order(x**order, x), evaluate=False)
        return self._add(Step(statement, reason, "series", None, (x, order)), remark)

    def numeric(self, statement: sp.Basic, reason: str, dps: int = 30,
                shown: tuple[str, str] | None = None, remark: bool = False) -> int:
        """A numerical fact: a closed statement the kernel evaluates itself at ``dps`` digits (interval
        enclosures, integrals with an error bound, exact equalities; ``derivations.numeric``)."""
        return self._add(Step(statement, reason, "numeric", None, (dps,), shown), remark)

    def done(self, result: sp.Basic | None = None, *, paper: sp.Basic | None = None,
             gaps: Sequence[tuple[str, sp.Basic]] = (), notes: Sequence[str] = ()) -> Derivation:
        """The derivation; ``result`` defaults to the last conclusion (shown as that step is shown)."""
        boxed = self.steps[-1].conclusion if result is None else result
        shown = self.steps[-1].shown if result is None else None
        return Derivation(self.name, self.title, tuple(self.hypotheses), tuple(self.steps), boxed, self.subs,
                          tuple(self.remarks), paper, tuple(gaps), tuple(notes), shown)
