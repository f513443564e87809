"""Numerical facts, evaluated by the proof kernel itself: a ``numeric`` lemma is a closed statement (no free
symbols), and the kernel decides it by evaluating that statement, never by a check its caller supplies.

* Every real sub-expression is **enclosed** by interval arithmetic (``mpmath.iv``) at the lemma's stated
  precision: ``[lo, hi]`` contains the true value, so ``E < 0`` holds when ``hi < 0``.
* An ``Integral(f, (x, a, b))`` is split where ``f`` switches branch (``floor``, ``Max``, ``Min``, ``Abs``):
  the kernel bisects ``[a, b]`` with interval enclosures of ``f`` until each piece is **zero** (the enclosure
  is ``[0, 0]``), **smooth** (every switch is fixed over the piece: ``f`` is one analytic branch there) or a
  **switch** piece narrower than ``2^-(3.3 dps)``, whose contribution is bounded by width times the enclosure.
  Adjacent smooth pieces on the same branch are merged, and each is integrated by ``mpmath.quad`` twice
  (tanh-sinh and Gauss-Legendre): the error bound is the larger reported error plus the rules' difference,
  plus the switch pieces' bound. The integral is enclosed as ``value +- bound``.
* Equalities are decided exactly, never numerically: both sides must evaluate to the same rational, with
  :class:`rounded` (round to ``p`` significant bits, ties to even) evaluated in exact rational arithmetic.

A statement is a relation, ``Contains(expr, Interval)``, or an ``And`` of those.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import mpmath
import sympy as sp
from mpmath import iv


class rounded(sp.Function):
    """``round_p(x)``: ``x`` rounded to ``p`` significant bits, ties to even (unbounded exponent range); the
    kernel evaluates it exactly on rationals (``round_to_bits``)."""

    nargs = 2

    def _latex(self, printer: Any) -> str:
        x, p = self.args
        return rf"\mathrm{{round}}_{{{printer._print(p)}}}\left({printer._print(x)}\right)"


def round_to_bits(x: sp.Rational, p: int) -> sp.Rational:
    """``x`` rounded to ``p`` significant bits, ties to even, in exact rational arithmetic:
    ``spacing = 2^(floor(log2 |x|) - p + 1)``, ``round(x / spacing) * spacing``."""
    if p < 1:
        raise ValueError(f"a format needs at least one significant bit, got {p}")
    if x == 0:
        return sp.Integer(0)
    sign, a = (1 if x > 0 else -1), abs(sp.Rational(x))
    e = int(a.p).bit_length() - int(a.q).bit_length()  # floor(log2 a) is e or e - 1
    if sp.Rational(2) ** e > a:
        e -= 1
    spacing = sp.Rational(2) ** (e - p + 1)
    q = a / spacing
    whole = sp.floor(q)
    frac = q - whole
    if frac > sp.Rational(1, 2) or (frac == sp.Rational(1, 2) and whole % 2 == 1):
        whole += 1
    return sign * whole * spacing


class NotEvaluable(ValueError):
    """The kernel cannot evaluate this expression (an unknown function, a symbol left free, a domain error)."""


SWITCH = object()
"""A branch that changes over the interval (a signature entry)."""


@contextmanager
def _precision(dps: int) -> Iterator[None]:
    old_mp, old_iv = mpmath.mp.prec, iv.prec
    mpmath.mp.dps, iv.dps = dps, dps
    try:
        yield
    finally:
        mpmath.mp.prec, iv.prec = old_mp, old_iv


def _ends(x: Any) -> tuple[mpmath.mpf, mpmath.mpf]:
    lo, hi = x._mpi_
    return mpmath.mpf(lo), mpmath.mpf(hi)


def _interval(lo: Any, hi: Any) -> Any:
    return iv.mpf([lo, hi])


def _exact(expr: sp.Expr) -> sp.Rational | None:
    """The exact rational value of ``expr`` (rationals, integer powers, ``rounded``), else None."""
    if isinstance(expr, sp.Rational):
        return expr
    if isinstance(expr, rounded):
        x, p = (_exact(a) for a in expr.args)
        if x is None or p is None or not isinstance(p, sp.Integer):
            return None
        return round_to_bits(x, int(p))
    if isinstance(expr, (sp.Add, sp.Mul)):
        parts = [_exact(a) for a in expr.args]
        if any(v is None for v in parts):
            return None
        return sp.Add(*parts) if isinstance(expr, sp.Add) else sp.Mul(*parts)
    if isinstance(expr, sp.Pow):
        base, exp = _exact(expr.base), _exact(expr.exp)
        if base is None or not isinstance(exp, sp.Integer) or (base == 0 and exp < 0):
            return None
        return base**exp
    return None


_IV_FUNCTIONS = {sp.cos: "cos", sp.sin: "sin", sp.exp: "exp", sp.tan: "tan", sp.atan: "atan"}


class Enclosure:
    """Interval enclosures of closed SymPy expressions at the current ``iv`` precision; ``signature`` collects
    the branch of each switching node (``floor`` value, ``Max``/``Min`` winner, ``Abs`` sign) for the integral
    splitter."""

    def __init__(self, env: dict[sp.Symbol, Any] | None = None, dps: int = 30) -> None:
        self.env = dict(env or {})
        self.dps = dps
        self.signature: list[Any] = []

    def __call__(self, e: sp.Expr) -> Any:
        if e in self.env:
            return self.env[e]
        if isinstance(e, sp.Integer):
            return iv.mpf(int(e))
        if isinstance(e, sp.Rational):
            return iv.mpf(int(e.p)) / int(e.q)
        if isinstance(e, sp.Float):
            return iv.mpf(mpmath.mpf(e._mpf_))
        if e is sp.pi:
            return iv.pi
        if e is sp.E:
            return iv.e
        if isinstance(e, rounded):
            value = _exact(e)
            if value is None:
                raise NotEvaluable(f"round_p needs exact arguments: {sp.sstr(e)}")
            return self(value)
        if isinstance(e, sp.Symbol):
            raise NotEvaluable(f"{e} is free: a numerical fact must be closed")
        if isinstance(e, sp.Add):
            total = self(e.args[0])
            for a in e.args[1:]:
                total = total + self(a)
            return total
        if isinstance(e, sp.Mul):
            prod = self(e.args[0])
            for a in e.args[1:]:
                prod = prod * self(a)
            return prod
        if isinstance(e, sp.Pow):
            return self._power(e)
        if isinstance(e, sp.log):
            if len(e.args) != 1:
                return self(sp.log(e.args[0]) / sp.log(e.args[1]))
            x = self(e.args[0])
            if _ends(x)[1] <= 0:
                raise NotEvaluable(f"log of a non-positive value: {sp.sstr(e)}")
            lo, hi = _ends(x)
            return _interval(-mpmath.inf if lo <= 0 else iv.log(lo).a, iv.log(hi).b)
        if isinstance(e, sp.floor):
            lo, hi = _ends(self(e.args[0]))
            flo, fhi = mpmath.floor(lo), mpmath.floor(hi)
            self.signature.append(flo if flo == fhi else SWITCH)
            return _interval(flo, fhi)
        if isinstance(e, (sp.Max, sp.Min)):
            return self._extremum(e)
        if isinstance(e, sp.Abs):
            lo, hi = _ends(self(e.args[0]))
            self.signature.append(1 if lo >= 0 else (-1 if hi <= 0 else SWITCH))
            if lo >= 0:
                return _interval(lo, hi)
            if hi <= 0:
                return _interval(-hi, -lo)
            return _interval(0, max(-lo, hi))
        if isinstance(e, sp.Integral):
            value, bound = integrate(e, self.dps)
            return _interval(value - bound, value + bound)
        if type(e) in _IV_FUNCTIONS and len(e.args) == 1:
            return getattr(iv, _IV_FUNCTIONS[type(e)])(self(e.args[0]))
        raise NotEvaluable(f"the kernel cannot evaluate {type(e).__name__}")

    def _power(self, e: sp.Pow) -> Any:
        base = self(e.base)
        if isinstance(e.exp, sp.Integer):
            return base ** int(e.exp)
        lo, hi = _ends(base)
        if lo < 0 or (lo == 0 and _ends(self(e.exp))[0] <= 0):
            raise NotEvaluable(f"a non-integer power of a possibly non-positive base: {sp.sstr(e)}")
        exponent = self(e.exp)
        if lo == 0:  # x^y with y > 0 on [0, hi]: [0, max over the ends]
            top = iv.exp(exponent * iv.log(hi))
            return _interval(0, _ends(top)[1])
        return iv.exp(exponent * iv.log(base))

    def _extremum(self, e: sp.Expr) -> Any:
        ends = [_ends(self(a)) for a in e.args]
        pick = max if isinstance(e, sp.Max) else min
        lo, hi = pick(x[0] for x in ends), pick(x[1] for x in ends)
        winner: Any = SWITCH
        for i, (alo, ahi) in enumerate(ends):
            others = [x for j, x in enumerate(ends) if j != i]
            if isinstance(e, sp.Max) and all(alo >= ohi for _, ohi in others):
                winner = i
            if isinstance(e, sp.Min) and all(ahi <= olo for olo, _ in others):
                winner = i
        self.signature.append(winner)
        return _interval(lo, hi)


@dataclass(frozen=True)
class _Piece:
    lo: mpmath.mpf
    hi: mpmath.mpf
    kind: str  # "zero", "smooth", "switch"
    signature: tuple[Any, ...] = ()
    bound: Any = 0


def _pieces(f: sp.Expr, x: sp.Symbol, a: mpmath.mpf, b: mpmath.mpf, dps: int) -> list[_Piece]:
    """``[a, b]`` cut into zero, smooth (one branch) and narrow switch pieces (see the module docstring)."""
    narrow = mpmath.mpf(2) ** -int(3.33 * dps)
    out: list[_Piece] = []
    stack = [(a, b)]
    while stack:
        lo, hi = stack.pop()
        enc = Enclosure({x: _interval(lo, hi)}, dps)
        try:
            flo, fhi = _ends(enc(f))
            finite = mpmath.isfinite(flo) and mpmath.isfinite(fhi)
        except (NotEvaluable, ZeroDivisionError):
            finite, flo, fhi = False, mpmath.mpf(0), mpmath.mpf(0)
            enc.signature.append(SWITCH)
        if finite and flo == 0 and fhi == 0:
            out.append(_Piece(lo, hi, "zero"))
        elif finite and all(s is not SWITCH for s in enc.signature):
            out.append(_Piece(lo, hi, "smooth", tuple(enc.signature)))
        elif hi - lo < narrow:
            if not finite:
                raise NotEvaluable(f"the integrand is unbounded near {mpmath.nstr(lo, 8)}")
            out.append(_Piece(lo, hi, "switch", bound=(hi - lo) * max(abs(flo), abs(fhi))))
        else:
            mid = (lo + hi) / 2
            stack.extend([(mid, hi), (lo, mid)])  # left first off the stack: pieces come out in order
    merged: list[_Piece] = []
    for piece in out:
        last = merged[-1] if merged else None
        if last and last.kind == piece.kind and piece.kind != "switch" and last.signature == piece.signature:
            merged[-1] = _Piece(last.lo, piece.hi, piece.kind, last.signature)
        else:
            merged.append(piece)
    return merged


def integrate(integral: sp.Integral, dps: int) -> tuple[mpmath.mpf, mpmath.mpf]:
    """``(value, bound)`` with the integral in ``[value - bound, value + bound]`` (module docstring)."""
    if len(integral.limits) != 1 or len(integral.limits[0]) != 3:
        raise NotEvaluable("the kernel integrates over one variable between two stated limits")
    x, a, b = integral.limits[0]
    f = integral.function
    with _precision(dps):
        ends = Enclosure(dps=dps)
        (a_lo, a_hi), (b_lo, b_hi) = _ends(ends(a)), _ends(ends(b))
        if not a_hi < b_lo:
            raise NotEvaluable("an integral needs a < b")
        bound = mpmath.mpf(0)
        for lo, hi in ((a_lo, a_hi), (b_lo, b_hi)):  # the limits' own enclosures: |f| times their widths
            if hi > lo:
                bound += (hi - lo) * max(abs(v) for v in _ends(Enclosure({x: _interval(lo, hi)}, dps)(f)))
        g = sp.lambdify(x, f, modules="mpmath")
        value = mpmath.mpf(0)
        for piece in _pieces(f, x, a_hi, b_lo, dps):
            if piece.kind == "switch":
                bound += piece.bound
            elif piece.kind == "smooth":
                v1, e1 = mpmath.quad(g, [piece.lo, piece.hi], error=True)
                v2, e2 = mpmath.quad(g, [piece.lo, piece.hi], method="gauss-legendre", error=True)
                value += v1
                bound += max(e1, e2) + abs(v1 - v2)
        if not mpmath.isfinite(bound):
            raise NotEvaluable("the integral's error bound is not finite")
        return value, bound


_KINDS = {sp.StrictLessThan: "<", sp.LessThan: "<=", sp.StrictGreaterThan: ">", sp.GreaterThan: ">=",
          sp.Equality: "="}


def sides(rel: sp.Basic) -> tuple[sp.Expr, sp.Expr, str]:
    """``(left, right, kind)`` with ``kind`` one of ``<``, ``<=``, ``>``, ``>=``, ``=``."""
    for cls, kind in _KINDS.items():
        if isinstance(rel, cls):
            return rel.lhs, rel.rhs, kind
    raise TypeError(f"not a relation: {rel!r}")


def _relations(statement: sp.Basic) -> list[sp.Basic]:
    if isinstance(statement, sp.And):
        return [r for part in statement.args for r in _relations(part)]
    if isinstance(statement, sp.Contains):
        inner, interval = statement.args
        if not isinstance(interval, sp.Interval):
            raise NotEvaluable("Contains needs an interval")
        return interval_relations(inner, interval)
    return [statement]


def interval_relations(inner: sp.Basic, interval: sp.Interval) -> list[sp.Basic]:
    """``inner in interval`` as the inequalities of its finite ends (``inner > a`` or ``>=``, ``inner < b`` or
    ``<=``, as the ends are open or closed)."""
    out: list[sp.Basic] = []
    if interval.start != sp.S.NegativeInfinity:
        out.append((sp.StrictGreaterThan if interval.left_open else sp.GreaterThan)(inner, interval.start,
                                                                                      evaluate=False))
    if interval.end != sp.S.Infinity:
        out.append((sp.StrictLessThan if interval.right_open else sp.LessThan)(inner, interval.end,
                                                                                 evaluate=False))
    return out


def decide(statement: sp.Basic, dps: int) -> tuple[bool, str]:
    """Evaluate a closed numerical statement at ``dps`` digits: ``(True, "")`` when the enclosures prove it,
    else ``(False, why)``."""
    if isinstance(statement, (bool, sp.logic.boolalg.BooleanAtom)):
        return False, "a numerical fact must be an unevaluated statement, not a truth value"
    free = statement.free_symbols
    if free:
        return False, f"a numerical fact must be closed; free: {', '.join(sorted(map(str, free)))}"
    if not 15 <= dps <= 100:
        return False, f"a numerical fact is evaluated at 15 to 100 digits, not {dps}"
    with _precision(dps):
        for rel in _relations(statement):
            try:
                lhs, rhs, kind = sides(rel)
            except TypeError:
                return False, f"not a relation: {sp.sstr(rel)}"
            if kind == "=":
                left, right = _exact(lhs), _exact(rhs)
                if left is None or right is None:
                    return False, f"an equality is decided exactly, and {sp.sstr(rel)} is not exact"
                if left != right:
                    return False, f"false: {sp.sstr(rel)} ({left} != {right})"
                continue
            try:
                lo, hi = _ends(Enclosure(dps=dps)(lhs - rhs))
            except (NotEvaluable, ZeroDivisionError) as exc:
                return False, str(exc) or f"cannot evaluate {sp.sstr(rel)}"
            proved = {"<": hi < 0, "<=": hi <= 0, ">": lo > 0, ">=": lo >= 0}[kind]
            if not proved:
                refuted = {"<": lo >= 0, "<=": lo > 0, ">": hi <= 0, ">=": hi < 0}[kind]
                return False, (f"false: {sp.sstr(rel)}" if refuted else
                               f"not decided at {dps} digits: {sp.sstr(rel)} (difference in "
                               f"[{mpmath.nstr(lo, 6)}, {mpmath.nstr(hi, 6)}])")
    return True, ""

