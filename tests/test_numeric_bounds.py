"""The mpmath soundness / tightness checker of the closed-form bounds.

The checker is tested on the bound records with reference closed forms written here (independent of
``rope_sym.bounds.closed_forms``), on deliberately wrong ones it must reject, and on the project's own records.
"""

from __future__ import annotations

import dataclasses
import math

import mpmath
import pytest

from rope_sym.bounds.table import CLOSED_FORMS, Bound, Setting, get_bound
from verify.checks import CheckOptions, Status
from verify.checks import numeric_bounds as nb

_BY_HAND = {
    # closed forms by hand: theta_min = base^(-(d-2)/d) (exact) or 1/base (paper) solved for the base
    "aliasing": lambda s, k: (s.context / (2 * math.pi)) ** k,
    "dc_stability": lambda s, k: (s.context / math.acos(s.eps)) ** k,
    "depth": lambda s, k: (s.context / math.acos(s.eps ** (1 / s.depth))) ** k,
    "precision": lambda s, k: (1 / s.eps_mach) ** k,
}


def _reference(scale: float = 1.0, exponent_shift: float = 0.0) -> tuple[Bound, ...]:
    """The records with their closed forms replaced by the hand-written ones above (``max_context``'s exponent
    cancels: ``arccos(eps^(1/N))/eps_mach``), scaled or with a shifted exponent to make them wrong."""
    def power(d: int, form: str) -> float:
        return (1.0 if form == "paper" else d / (d - 2)) + exponent_shift

    out = []
    for bound in CLOSED_FORMS:
        if bound.name == "max_context":
            def base_of(s, form):
                return scale * math.acos(s.eps ** (1 / s.depth)) / s.eps_mach * (1 + exponent_shift)
        else:
            def base_of(s, form, by_hand=_BY_HAND[bound.name]):
                return scale * by_hand(s, power(s.rotary_dim, form))
        out.append(dataclasses.replace(bound, base_of=base_of))
    return tuple(out)


def _record(name: str, records: tuple[Bound, ...] | None = None) -> Bound:
    return next(b for b in (records or _reference()) if b.name == name)


SETTINGS = [Setting(1024, 32, 0.5, 1, 2.0**-7), Setting(2**20, 128, 0.9, 32, 2.0**-23),
            Setting(3000, 8, 0.1, 8, 2.0**-10)]
NAMES = [b.name for b in CLOSED_FORMS]


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("setting", SETTINGS)
def test_reference_forms_are_sound_and_tight(name, setting):
    for form in nb.FORMS:
        v = nb.judge(_record(name), setting, form, form)
        assert v.sound and v.tight and v.rel_gap <= 1e-14, (name, form, v)


@pytest.mark.parametrize("name", NAMES)
def test_a_bound_off_by_one_part_in_a_million_is_caught(name):
    for scale in (1 + 1e-6, 1 - 1e-6):
        v = nb.judge(_record(name, _reference(scale=scale)), SETTINGS[0], "exact", "exact")
        assert not (v.sound and v.tight)
        assert v.rel_gap == pytest.approx(1e-6, rel=1e-3)


def test_the_paper_form_misses_the_exact_condition_by_base_to_the_2_over_d():
    # aliasing, d = 32, L = 1024: paper L/(2 pi); exact (L/(2 pi))^(32/30): the factor is (L/(2 pi))^(1/15).
    v = nb.judge(_record("aliasing"), SETTINGS[0], "paper", "exact")
    assert not v.sound  # a base just above the paper bound still aliases under the exact theta_min
    assert v.factor == pytest.approx((1024 / (2 * math.pi)) ** (1 / 15), rel=1e-12)


def test_direct_threshold_does_not_use_the_closed_form():
    # DC stability, d = 4: theta = base^(-1/2), so cos(L / sqrt(b)) = eps gives b = (L / acos(eps))^2.
    s = Setting(100, 4, 0.5, 1, 2.0**-23)
    with mpmath.workdps(nb.DPS):
        found = nb.direct_threshold(_record("dc_stability", _reference(scale=7.0)), s, "exact")
        exact = (100 / mpmath.acos(mpmath.mpf("0.5"))) ** 2
        assert abs(found - exact) / exact < mpmath.mpf("1e-40")


def test_brute_force_and_monotonicity_agree():
    s = Setting(2000, 16, 0.3, 4, 2.0**-23)
    depth = get_bound("depth")
    with mpmath.workdps(nb.DPS):
        t = nb.direct_threshold(depth, s, "exact")
        for x in (t * (1 + nb.DELTA), t * (1 - nb.DELTA), t * 2, t / 2):
            brute, how = depth.holds_at(x, s, "exact", True)
            mono, _ = depth.holds_at(x, s, "exact", False)
            assert how == "brute force" and brute == mono


def test_the_check_loops_over_the_records(monkeypatch):
    monkeypatch.setattr(nb, "CLOSED_FORMS", _reference())
    outcome = nb.numeric_bounds(CheckOptions())
    assert outcome.status is Status.PASS and outcome.figures["failures"] == []
    assert set(outcome.figures["worst_relative_gap"]) == set(NAMES)
    monkeypatch.setattr(nb, "CLOSED_FORMS", _reference(exponent_shift=1e-3))
    assert nb.numeric_bounds(CheckOptions()).status is Status.FAIL


def test_project_closed_forms():
    for setting in SETTINGS[:2]:
        for bound in CLOSED_FORMS:
            v = nb.judge(bound, setting, "exact", "exact")
            assert v.sound and v.tight and v.rel_gap < 1e-12, (bound.name, setting, v)
