"""The mpmath soundness / tightness checker of the closed-form bounds.

The checker is tested on reference closed forms written here (independent of ``derivations``), on deliberately
wrong ones it must reject, and, when ``rope_sym.bounds.closed_forms`` exists, on the project's own closed forms.
"""

from __future__ import annotations

import math
import types

import mpmath
import pytest

from verify.checks import CheckOptions, Status
from verify.checks import numeric_bounds as nb


def _reference(scale: float = 1.0, exponent_shift: float = 0.0) -> types.ModuleType:
    """Closed forms by hand: theta_min = base^(-(d-2)/d) (exact) or 1/base (paper) solved for the base."""
    m = types.ModuleType("reference_bounds")

    def power(d: int, form: str) -> float:
        return (1.0 if form == "paper" else d / (d - 2)) + exponent_shift

    m.aliasing_base = lambda L, d, form="exact": scale * (L / (2 * math.pi)) ** power(d, form)
    m.dc_stability_base = lambda L, d, eps, form="exact": scale * (L / math.acos(eps)) ** power(d, form)
    m.depth_base = lambda L, d, eps, n, form="exact": scale * (L / math.acos(eps ** (1 / n))) ** power(d, form)
    m.precision_wall_base = lambda em, d, form="exact": scale * (1 / em) ** power(d, form)
    m.max_context = lambda em, eps, n, d, form="exact": scale * math.acos(eps ** (1 / n)) / em
    return m


SETTINGS = [nb.Setting(1024, 32, 0.5, 1, 2.0**-7), nb.Setting(2**20, 128, 0.9, 32, 2.0**-23),
            nb.Setting(3000, 8, 0.1, 8, 2.0**-10)]


@pytest.mark.parametrize("bound", nb.BOUNDS)
@pytest.mark.parametrize("setting", SETTINGS)
def test_reference_forms_are_sound_and_tight(bound, setting):
    ref = _reference()
    for form in nb.FORMS:
        v = nb.judge(ref, bound, setting, form, form)
        assert v.sound and v.tight and v.rel_gap <= 1e-14, (bound, form, v)


@pytest.mark.parametrize("bound", nb.BOUNDS)
def test_a_bound_off_by_one_part_in_a_million_is_caught(bound):
    for scale in (1 + 1e-6, 1 - 1e-6):
        v = nb.judge(_reference(scale=scale), bound, SETTINGS[0], "exact", "exact")
        assert not (v.sound and v.tight)
        assert v.rel_gap == pytest.approx(1e-6, rel=1e-3)


def test_the_paper_form_misses_the_exact_condition_by_base_to_the_2_over_d():
    # aliasing, d = 32, L = 1024: paper L/(2 pi); exact (L/(2 pi))^(32/30): the factor is (L/(2 pi))^(1/15).
    v = nb.judge(_reference(), "aliasing", SETTINGS[0], "paper", "exact")
    assert not v.sound  # a base just above the paper bound still aliases under the exact theta_min
    assert v.factor == pytest.approx((1024 / (2 * math.pi)) ** (1 / 15), rel=1e-12)


def test_direct_threshold_does_not_use_the_closed_form():
    # DC stability, d = 4: theta = base^(-1/2), so cos(L / sqrt(b)) = eps gives b = (L / acos(eps))^2.
    s = nb.Setting(100, 4, 0.5, 1, 2.0**-23)
    with mpmath.workdps(nb.DPS):
        found = nb.direct_threshold("dc_stability", s, "exact")
        exact = (100 / mpmath.acos(mpmath.mpf("0.5"))) ** 2
        assert abs(found - exact) / exact < mpmath.mpf("1e-40")


def test_brute_force_and_monotonicity_agree():
    s = nb.Setting(2000, 16, 0.3, 4, 2.0**-23)
    with mpmath.workdps(nb.DPS):
        t = nb.direct_threshold("depth", s, "exact")
        for x in (t * (1 + nb.DELTA), t * (1 - nb.DELTA), t * 2, t / 2):
            brute, how = nb.condition("depth", x, s, "exact", brute=True)
            mono, _ = nb.condition("depth", x, s, "exact", brute=False)
            assert how == "brute force" and brute == mono


def test_check_skips_or_runs_honestly(monkeypatch):
    monkeypatch.setattr(nb, "load_bounds", lambda: None)
    assert nb.numeric_bounds(CheckOptions()).status is Status.SKIPPED
    monkeypatch.setattr(nb, "load_bounds", lambda: _reference())
    outcome = nb.numeric_bounds(CheckOptions())
    assert outcome.status is Status.PASS and outcome.figures["failures"] == []
    monkeypatch.setattr(nb, "load_bounds", lambda: _reference(exponent_shift=1e-3))
    assert nb.numeric_bounds(CheckOptions()).status is Status.FAIL


def test_project_closed_forms_when_available():
    bounds = pytest.importorskip("rope_sym.bounds.closed_forms")
    for setting in SETTINGS[:2]:
        for bound in nb.BOUNDS:
            v = nb.judge(bounds, bound, setting, "exact", "exact")
            assert v.sound and v.tight and v.rel_gap < 1e-12, (bound, setting, v)
