"""The kernel's adversarial battery: false steps and false derivations it must reject, true controls it must pass.

Each case builds a small derivation with :class:`derivations.kernel.Proof`. Used by the tests and by the
``proof-kernel`` check of ``python -m verify``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import sympy as sp

from derivations.kernel import Derivation, Proof, Step
from derivations.numeric import rounded
from derivations.symbols import POSITIVE, L, b, theta_min, u

_r = sp.Symbol("r_battery", positive=True)

n = sp.Symbol("n", real=True)
x = sp.Symbol("x", positive=True)
y = sp.Symbol("y", real=True)
phi = sp.Symbol("phi", positive=True)
w = sp.Symbol("w", real=True)


@dataclass(frozen=True)
class Case:
    """A battery case: what it tries, whether the kernel must accept it, and its builder."""

    name: str
    claim: str
    sound: bool
    build: Callable[[], Derivation]


def _identity(lhs: sp.Expr, rhs: sp.Expr, name: str) -> Callable[[], Derivation]:
    def build() -> Derivation:
        p = Proof(name, name)
        p.identity(lhs, rhs, "claimed identity")
        return p.done()

    return build


def _cos_outside_its_domain(phase_known: bool) -> Derivation:
    """L theta < 2 pi => cos(L theta) > 1, by "cos decreasing on (0, pi)"; with the phase known in (0, pi/2) the
    bound 2 pi is proved outside the domain, without it the phase is undecided."""
    p = Proof("wrong-domain-stated" if phase_known else "wrong-domain", "cos decreasing on (0, pi), outside it")
    if phase_known:
        p.hypothesis(sp.Contains(L * theta_min, sp.Interval.open(0, sp.pi / 2)), "phase in (0, pi/2)")
    h = p.hypothesis(sp.StrictLessThan(L * theta_min, 2 * sp.pi), "no full turn")
    s = p.given(h)
    p.monotone(s, sp.StrictGreaterThan(sp.cos(L * theta_min), 1), sp.cos(u), u, sp.Interval.open(0, sp.pi), False,
               "cos is decreasing on (0, pi)")
    return p.done()


def _wrong_domain() -> Derivation:
    return _cos_outside_its_domain(False)


def _wrong_domain_stated() -> Derivation:
    return _cos_outside_its_domain(True)


def _derivative_outside() -> Derivation:
    p = Proof("derivative-outside", "u^2 called increasing on (-inf, 0)")
    h = p.hypothesis(sp.StrictLessThan(-L, -L / 2, evaluate=False), "-L < -L/2")
    s = p.given(h)
    v = sp.Symbol("v", real=True)
    p.monotone(s, sp.StrictLessThan(L**2, L**2 / 4, evaluate=False), v**2, v, sp.Interval.open(-sp.oo, 0), True,
               "u^2 is increasing (it is not, there)")
    return p.done()


def _invert_cos(domain_stated: bool) -> Derivation:
    """cos(phi) >= 1/2 => phi <= pi/3, by "cos decreasing on (0, pi)": true only with phi in (0, pi) stated."""
    p = Proof("invert-inside" if domain_stated else "invert-outside", "cos(phi) >= 1/2 inverted")
    if domain_stated:
        p.hypothesis(sp.Contains(phi, sp.Interval.open(0, sp.pi)), "phi in (0, pi)")
    h = p.hypothesis(sp.GreaterThan(sp.cos(phi), sp.Rational(1, 2)), "cos(phi) >= 1/2")
    s = p.given(h)
    p.invert(s, sp.LessThan(phi, sp.pi / 3), sp.cos(u), u, sp.Interval.open(0, sp.pi), False, phi, sp.pi / 3,
             "cos is decreasing on (0, pi)")
    return p.done()


def _invert_outside() -> Derivation:
    return _invert_cos(False)


def _invert_inside() -> Derivation:
    return _invert_cos(True)


def _unchained() -> Derivation:
    p = Proof("unchained", "a step whose premise is a later step")
    p.hypothesis(sp.StrictGreaterThan(b, 1), "b > 1")
    p.monotone(2, sp.StrictGreaterThan(2 * b, 2), 2 * u, u, POSITIVE, True, "doubling")
    p.given("H1")
    return p.done()


def _unrelated_premise() -> Derivation:
    p = Proof("unrelated", "a step that does not follow from its premise")
    h = p.hypothesis(sp.StrictGreaterThan(b, 1), "b > 1")
    s = p.given(h)
    p.monotone(s, sp.StrictGreaterThan(3 * b, 7), 2 * u, u, POSITIVE, True, "doubling")
    return p.done()


def _free_result() -> Derivation:
    p = Proof("free-result", "trivial steps and an unrelated boxed result")
    h = p.hypothesis(sp.StrictGreaterThan(b, 1), "b > 1")
    p.given(h)
    return p.done(sp.StrictLessThan(b, 0))


def _free_lemma_result() -> Derivation:
    p = Proof("free-lemma", "a theorem whose result ignores its hypotheses")
    p.hypothesis(sp.StrictGreaterThan(b, 1), "b > 1")
    p.identity(L, L, "trivially")
    return p.done()


def _sign_flip() -> Derivation:
    p = Proof("sign-flip", "negating without flipping")
    h = p.hypothesis(sp.StrictLessThan(x, b), "x < b")
    s = p.given(h)
    p.monotone(s, sp.StrictLessThan(-x, -b), -u, u, POSITIVE, False, "negation")
    return p.done()


def _strictness() -> Derivation:
    p = Proof("strictness", "a strict conclusion from a weak premise")
    h = p.hypothesis(sp.LessThan(x, b), "x <= b")
    s = p.given(h)
    p.monotone(s, sp.StrictLessThan(2 * x, 2 * b), 2 * u, u, POSITIVE, True, "doubling")
    return p.done()


def _raises() -> Derivation:
    p = Proof("raises", "a step whose check raises")
    h = p.hypothesis(sp.StrictGreaterThan(b, 1), "b > 1")
    s = p.given(h)
    p.monotone(s, sp.Eq(b, b), u, u, POSITIVE, True, "an equation is not an inequality")
    return p.done()


def _depth_without_positivity() -> Derivation:
    p = Proof("root-without-positivity", "(cos^N)^(1/N) = cos with the sign of the cosine unknown")
    N = sp.Symbol("N", positive=True, integer=True)
    p.identity((sp.cos(L * theta_min) ** N) ** (1 / N), sp.cos(L * theta_min), "power rule")
    return p.done()


def _depth_with_positivity() -> Derivation:
    p = Proof("root-with-positivity", "the same with the phase in (0, pi/2)")
    N = sp.Symbol("N", positive=True, integer=True)
    q = sp.Symbol("q", positive=True)
    h = p.hypothesis(sp.Eq(q, (sp.cos(L * theta_min) ** N) ** (1 / N)), "the quantity q")
    p.hypothesis(sp.Contains(L * theta_min, sp.Interval.open(0, sp.pi / 2)), "phase in (0, pi/2)")
    s = p.given(h)
    p.rewrite(s, sp.Eq(q, sp.cos(L * theta_min)), "the power rule, the base being positive")
    return p.done()


def _aliasing_control() -> Derivation:
    k = sp.Symbol("k", positive=True)
    p = Proof("aliasing-control", "a true monotone chain")
    h = p.hypothesis(sp.StrictLessThan(L * x, 2 * sp.pi), "L x < 2 pi")
    s = p.given(h)
    s = p.monotone(s, sp.StrictLessThan(x, 2 * sp.pi / L), u / L, u, POSITIVE, True, "divide by L")
    p.monotone(s, sp.StrictGreaterThan(x ** (-k), (2 * sp.pi / L) ** (-k)), u ** (-k), u, POSITIVE, False,
               "u^(-k) is decreasing")
    return p.done()


# --------------------------------------------------------------- holes found by the audit (all once accepted)


def _numeric(statement: sp.Basic, name: str, dps: int = 30) -> Callable[[], Derivation]:
    def build() -> Derivation:
        p = Proof(name, name)
        p.numeric(statement, "claimed numerical fact", dps=dps)
        return p.done()

    return build


def _forged(conclusion: sp.Basic, rule: str) -> Callable[[], Derivation]:
    """A step built by hand, outside :class:`Proof`, whose conclusion is not what its rule licenses (a lemma
    stands alone; any other rule follows hypothesis ``b > 1``)."""
    def build() -> Derivation:
        lemma = rule in ("identity", "numeric")
        p = Proof(f"forged-{rule}", "a hand-made step")
        if not lemma:
            p.hypothesis(sp.StrictGreaterThan(b, 1), "b > 1")
        step = Step(conclusion, "trust me", rule, None if lemma else "H1", (30,) if rule == "numeric" else ())
        return Derivation(p.name, p.title, tuple(p.hypotheses), (step,), conclusion)

    return build


def _positive_variable_monotone() -> Derivation:
    """``u`` declared positive, the map ``u^2`` called increasing on ``(-oo, 0)``: the symbol's assumption must
    not stand in for the domain."""
    p = Proof("positive-variable", "u^2 increasing on (-oo, 0) with u declared positive")
    h = p.hypothesis(sp.StrictLessThan(-L, -L / 2, evaluate=False), "-L < -L/2")
    s = p.given(h)
    p.monotone(s, sp.StrictLessThan(L**2, L**2 / 4, evaluate=False), u**2, u, sp.Interval.open(-sp.oo, 0), True,
               "u^2 is increasing (it is not, there)")
    return p.done()


def _unstated_range() -> Derivation:
    p = Proof("unstated-range", "b checked as 2 + r with no hypothesis b > 2", {b: 2 + _r})
    p.positive(b - 2, "b - 2 = r > 0")
    return p.done()


def _range_wider_than_stated() -> Derivation:
    p = Proof("range-narrower", "b > 1 stated, b checked as 2 + r", {b: 2 + _r})
    h = p.hypothesis(sp.StrictGreaterThan(b, 1), "b > 1")
    p.positive(b - 2, "b - 2 = r > 0 (false for b = 3/2)")
    s = p.given(h)
    p.rewrite(s, sp.StrictLessThan(1, b), "the same")
    return p.done()


def _false_hypothesis() -> Derivation:
    p = Proof("false-hypothesis", "pi < 3 assumed, then concluded")
    h = p.hypothesis(sp.StrictLessThan(sp.pi, 3, evaluate=False), "pi < 3")
    p.given(h)
    return p.done()


def _contradictory_hypotheses() -> Derivation:
    p = Proof("contradictory", "b > 1 and b < 1/2 assumed")
    p.hypothesis(sp.StrictGreaterThan(b, 1), "b > 1")
    h = p.hypothesis(sp.StrictLessThan(b, sp.Rational(1, 2)), "b < 1/2")
    s = p.given(h)
    p.monotone(s, sp.StrictLessThan(2 * b, 1), 2 * u, u, POSITIVE, True, "doubling")
    return p.done()


def _wall_bracket(low: str, high: str, name: str) -> Callable[[], Derivation]:
    def build() -> Derivation:
        from derivations.erasure_laws import _phase_average

        half = sp.Rational(1, 2)
        statement = sp.And(sp.StrictGreaterThan(_phase_average(sp.Rational(low)), half, evaluate=False),
                           sp.StrictLessThan(_phase_average(sp.Rational(high)), half, evaluate=False))
        return _numeric(statement, name, dps=20)()

    return build


_PI_50 = sp.Rational("3.14159265358979323846264338327950288419716939937511")


CASES: tuple[Case, ...] = (
    Case("sqrt-of-square", "sqrt(n^2) = n for real n", False, _identity(sp.sqrt(n**2), n, "sqrt-of-square")),
    Case("log-of-square", "log(n^2) = 2 log(n) for real n", False,
         _identity(sp.log(n**2), 2 * sp.log(n), "log-of-square")),
    Case("root-of-fourth-power", "(n^4)^(1/4) = n for real n", False,
         _identity((n**4) ** sp.Rational(1, 4), n, "root-of-fourth-power")),
    Case("log-of-product", "log(n y) = log n + log y for real n, y", False,
         _identity(sp.log(n * y), sp.log(n) + sp.log(y), "log-of-product")),
    Case("sqrt-of-product", "sqrt(n y) = sqrt(n) sqrt(y) for real n, y", False,
         _identity(sp.sqrt(n * y), sp.sqrt(n) * sp.sqrt(y), "sqrt-of-product")),
    Case("acos-branch", "arccos(cos x) = x for every x > 0", False,
         _identity(sp.acos(sp.cos(x)), x, "acos-branch")),
    Case("asin-branch", "arcsin(sin x) = x for every x > 0", False,
         _identity(sp.asin(sp.sin(x)), x, "asin-branch")),
    Case("cube-root-branch", "(w^3)^(1/3) = w for real w", False,
         _identity((w**3) ** sp.Rational(1, 3), w, "cube-root-branch")),
    Case("root-without-positivity", "(cos^N(L theta))^(1/N) = cos(L theta), cos's sign unknown", False,
         _depth_without_positivity),
    Case("wrong-domain", "L theta < 2 pi => cos(L theta) > 1 by 'cos decreasing on (0, pi)'", False, _wrong_domain),
    Case("wrong-domain-stated", "the same with the phase known in (0, pi/2): 2 pi is outside (0, pi)", False,
         _wrong_domain_stated),
    Case("derivative-outside", "-L < -L/2 => L^2 < L^2/4 by 'u^2 increasing on (-inf, 0)'", False,
         _derivative_outside),
    Case("invert-outside", "cos(phi) >= 1/2 => phi <= pi/3 for any phi > 0", False, _invert_outside),
    Case("unchained", "a premise that is a later step", False, _unchained),
    Case("unrelated-premise", "b > 1 => 3b > 7", False, _unrelated_premise),
    Case("free-result", "a boxed result b < 0 after trivial steps", False, _free_result),
    Case("free-lemma-result", "a theorem whose result is a lemma ignoring its hypotheses", False,
         _free_lemma_result),
    Case("sign-flip", "x < b => -x < -b", False, _sign_flip),
    Case("strictness", "x <= b => 2x < 2b", False, _strictness),
    Case("check-raises", "a step whose check raises", False, _raises),
    # holes the audit found: each was accepted before the kernel evaluated its own statements
    Case("numeric-pi-below-3", "pi < 3 as a numerical fact (once: any callable returning True)", False,
         _numeric(sp.StrictLessThan(sp.pi, 3, evaluate=False), "numeric-pi-below-3")),
    Case("numeric-not-closed", "b > 0 as a numerical fact: a free symbol is not a number", False,
         _numeric(sp.StrictGreaterThan(b, 0, evaluate=False), "numeric-not-closed")),
    Case("numeric-inexact-equality", "pi = 3.14159265 as a numerical fact: equalities are decided exactly", False,
         _numeric(sp.Eq(sp.pi, sp.Rational("3.14159265"), evaluate=False), "numeric-inexact-equality")),
    Case("numeric-beyond-precision", "pi >= 3.14159...511 (false at the 50th digit) at 30 digits", False,
         _numeric(sp.GreaterThan(sp.pi, _PI_50, evaluate=False), "numeric-beyond-precision")),
    Case("numeric-wrong-rounding", "round_8(259) = 258 (the tie goes to the even 260)", False,
         _numeric(sp.Eq(rounded(259, 8), 258, evaluate=False), "numeric-wrong-rounding")),
    Case("numeric-wall-bracket-above", "F(0.18889945) > 1/2 > F(0.18889955): the bracket misses c", False,
         _wall_bracket("0.18889945", "0.18889955", "numeric-wall-bracket-above")),
    Case("forged-given", "a hand-made 'given' step concluding b < 0 from b > 1", False,
         _forged(sp.StrictLessThan(b, 0), "given")),
    Case("forged-identity", "a hand-made identity b = b + 1", False,
         _forged(sp.Eq(b, b + 1, evaluate=False), "identity")),
    Case("unknown-rule", "a step under a rule the kernel does not have", False,
         _forged(sp.StrictLessThan(b, 0), "trusted")),
    Case("positive-variable-monotone", "u > 0 declared, u^2 'increasing' on (-oo, 0)", False,
         _positive_variable_monotone),
    Case("unstated-range", "b checked as 2 + r with no hypothesis b > 2", False, _unstated_range),
    Case("range-narrower-than-stated", "b > 1 stated, b checked as 2 + r (only b > 2)", False,
         _range_wider_than_stated),
    Case("false-hypothesis", "pi < 3 assumed and concluded", False, _false_hypothesis),
    Case("contradictory-hypotheses", "b > 1 and b < 1/2 assumed", False, _contradictory_hypotheses),
    # controls: true statements the kernel must verify
    Case("control-sqrt-positive", "sqrt(x^2) = x for x > 0", True, _identity(sp.sqrt(x**2), x, "control-sqrt")),
    Case("control-log-positive", "log(x^2) = 2 log x for x > 0", True,
         _identity(sp.log(x**2), 2 * sp.log(x), "control-log")),
    Case("control-invert-inside", "cos(phi) >= 1/2 => phi <= pi/3 for phi in (0, pi)", True, _invert_inside),
    Case("control-root-with-positivity", "(cos^N)^(1/N) = cos with the phase in (0, pi/2)", True,
         _depth_with_positivity),
    Case("control-aliasing", "L x < 2 pi => x^(-k) > (2 pi/L)^(-k)", True, _aliasing_control),
    Case("control-numeric-pi", "3.1415926 < pi < 3.1415927 as a numerical fact", True,
         _numeric(sp.Contains(sp.pi, sp.Interval.open(sp.Rational("3.1415926"), sp.Rational("3.1415927")),
                              evaluate=False),
                  "control-numeric-pi")),
    Case("control-rounding-tie", "round_8(257) = 256 and round_8(259) = 260", True,
         _numeric(sp.And(sp.Eq(rounded(257, 8), 256, evaluate=False), sp.Eq(rounded(259, 8), 260, evaluate=False)),
                  "control-rounding-tie")),
)


def run_battery() -> list[tuple[Case, bool]]:
    """Each case with whether the kernel verified it (a case passes when that equals ``case.sound``)."""
    out = []
    for case in CASES:
        try:
            verified = case.build().verified
        except Exception:  # a derivation that cannot even be built is not verified
            verified = False
        out.append((case, verified))
    return out
