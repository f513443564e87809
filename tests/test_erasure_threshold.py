"""The erasure threshold is one half, strictly: ``adjacent_erasure > 0.5`` (``rope_sym.erasure.report``).

A pair whose one-token steps leave its code unchanged on exactly half of them is *not* erased; one unchanged step
more and it is. Checked on ``erased_mask`` itself, on the report ``assemble_report`` builds from crafted raw
counts, and on a real scan whose fastest pair sits on one half exactly.
"""

from __future__ import annotations

import numpy as np
import pytest

from rope_sym import RopeSpec
from rope_sym.erasure import ERASED_FRACTION, Classes, erased_mask, erasure_scan
from rope_sym.erasure.report import assemble_report
from rope_sym.pipelines import pipeline_formats
from rope_sym.spectrum.theta import frequencies


def test_threshold_is_one_half():
    assert ERASED_FRACTION == 0.5


@pytest.mark.parametrize(("unchanged", "steps"), [(1, 2), (2, 4), (512, 1024), (2**20, 2**21)])
def test_exactly_half_of_the_steps_is_not_erased(unchanged, steps):
    fraction = unchanged / steps
    assert fraction == 0.5
    assert not erased_mask([fraction])[0]
    assert not erased_mask(np.float64(fraction))


@pytest.mark.parametrize(("unchanged", "steps"), [(2, 3), (3, 5), (513, 1025), (2**20 + 1, 2**21 + 1)])
def test_one_unchanged_step_above_half_is_erased(unchanged, steps):
    fraction = unchanged / steps
    assert fraction > 0.5
    assert erased_mask([fraction])[0]


def test_the_float64_neighbours_of_one_half():
    below, above = np.nextafter(0.5, 0.0), np.nextafter(0.5, 1.0)
    assert erased_mask([below, 0.5, above, 0.0, 1.0]).tolist() == [False, False, True, False, True]
    assert erased_mask(np.array([[0.5, above], [1.0, below]])).tolist() == [[False, True], [True, False]]


def _report(spec: RopeSpec, context: int, same_steps: list[int]):
    """A report assembled from crafted raw counts (no scan): every position distinct, nothing non-finite."""
    codes = Classes(count=context, first_collision=None, sizes=np.ones(context, dtype=np.int64), hash_collisions=0)
    return assemble_report(spec, context, pipeline_formats("bf16", "native"), np.array(same_steps, dtype=np.int64),
                           codes, None, distinct_stored=context, nonfinite=0, first_nonfinite=None, resolution={},
                           resolution_limit=1)


def test_report_counts_only_pairs_strictly_above_half():
    spec = RopeSpec(8, 10000.0)  # 4 pairs, theta = 1, 0.1, 0.01, 0.001
    context = 5  # 4 one-token steps
    r = _report(spec, context, [0, 1, 2, 3])  # fractions 0, 1/4, 1/2, 3/4
    assert r.adjacent_erasure == [0.0, 0.25, 0.5, 0.75]
    assert r.erased_pairs == 1  # the pair on exactly one half is not counted
    theta = frequencies(spec)
    assert r.wall_theta == theta[3] and r.erased_are_slowest
    assert r.wall_ratio == theta[3] / r.predicted_wall_theta


def test_report_one_step_more_makes_the_pair_erased():
    spec = RopeSpec(4, 10000.0)  # 2 pairs, theta = 1, 0.01
    at_half = _report(spec, 1025, [512, 0])  # 512 of 1024 steps
    assert at_half.adjacent_erasure[0] == 0.5 and at_half.erased_pairs == 0 and at_half.wall_theta is None
    above = _report(spec, 1026, [513, 0])  # 513 of 1025 steps
    assert above.adjacent_erasure[0] > 0.5 and above.erased_pairs == 1 and above.wall_theta == 1.0
    assert not above.erased_are_slowest  # the fastest pair erased and the slowest not: reported as such


def test_real_scan_with_a_pair_on_exactly_one_half():
    """bf16 ``native`` at theta_0 = 1: bf16 positions 0..1024 repeat on 128 of the 256 steps in [256, 512) and
    on 384 of the 512 in [512, 1024), so pair 0 is unchanged on exactly 512 of 1024 steps; over one more
    position, 1024 -> 1025 (both 1024 in bf16) is unchanged too: 513 of 1025."""
    spec = RopeSpec(4, 10000.0)
    at_half = erasure_scan(spec, 1025, "bf16", "native", attention=False, probes=[])
    assert at_half.adjacent_erasure[0] == 0.5  # the premise: exactly one half, not a rounding of it
    assert at_half.adjacent_erasure[1] > 0.5
    assert at_half.erased_pairs == 1 and at_half.wall_theta == frequencies(spec)[1]
    above = erasure_scan(spec, 1026, "bf16", "native", attention=False, probes=[])
    assert above.adjacent_erasure[0] == 513 / 1025
    assert above.erased_pairs == 2 and above.wall_theta == 1.0
