"""Exact positional erasure: hand-computed cases, brute-force references and properties of the metrics."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rope_sym import InvalidRopeSpec, RopeSpec
from rope_sym.erasure import EmulatedBackend, erasure_scan, resolution_at
from rope_sym.pipelines import PIPELINES, cos_sin, rotate
from verify.cli import main


def code_bits(c: np.ndarray, s: np.ndarray) -> np.ndarray:
    """Rows ``[cos | sin]`` as float64 bit patterns, equal values equal bits (an independent reference)."""
    rows = np.concatenate([c, s], axis=1) + 0.0  # -0.0 + 0.0 = +0.0
    bits = rows.view(np.uint64).copy()
    bits[np.isnan(rows)] = 0x7FF8000000000000
    return bits


def _brute_force(spec: RopeSpec, L: int, dtype: str, pipeline: str) -> dict:
    """All codes at once; distinct rows by numpy.unique; the first repeat by a dictionary."""
    c, s = cos_sin(spec, np.arange(L), dtype, pipeline)
    rows = code_bits(c, s)
    seen: dict[bytes, int] = {}
    first = None
    for m, row in enumerate(rows):
        key = row.tobytes()
        if key in seen and first is None:
            first = m
        seen.setdefault(key, m)
    n = spec.n_pairs
    same = (rows[1:, :n] == rows[:-1, :n]) & (rows[1:, n:] == rows[:-1, n:])
    return {"distinct": len(seen), "first": first, "erasure": same.mean(axis=0).tolist()}


def test_bf16_native_positions_collapse_by_hand():
    # 257 is the first integer bf16 cannot hold (it ties to 256), so position 257 repeats position 256's code.
    r = erasure_scan(RopeSpec(8, 10000.0), 2048, "bf16", "native", attention=False)
    assert (r.distinct_stored_positions, r.distinct_positions, r.first_collision) == (641, 641, 257)
    assert r.nonfinite_positions == 0


def test_fp16_overflow_is_reported_not_compared():
    L = 65600
    r = erasure_scan(RopeSpec(8, 10000.0), L, "fp16", "native", attention=False, chunk=1 << 14)
    assert r.nonfinite_positions == L - 65520 and r.first_nonfinite == 65520
    assert r.first_collision == 2049  # 2049 ties to 2048 in fp16
    # one pair alone (theta = 1) repeats much earlier: fp16 cos/sin of 712 equal those of 712 - 113 * 2pi ~ 2
    assert erasure_scan(RopeSpec(2, 10000.0), 2048, "fp16", "native", attention=False).first_collision == 712
    assert any("65520" in note for note in r.notes)
    hf = erasure_scan(RopeSpec(2, 10000.0), L, "fp16", "hf", attention=False, chunk=1 << 14)
    assert hf.nonfinite_positions == 0 and hf.first_nonfinite is None


@pytest.mark.parametrize("pipeline", PIPELINES)
@pytest.mark.parametrize("dtype", ["fp16", "bf16", "fp32"])
def test_scan_matches_brute_force(dtype, pipeline):
    spec, L = RopeSpec(4, 100.0), 3000
    r = erasure_scan(spec, L, dtype, pipeline, attention=False, chunk=512, probes=[])
    ref = _brute_force(spec, L, dtype, pipeline)
    assert (r.distinct_positions, r.first_collision) == (ref["distinct"], ref["first"])
    assert r.adjacent_erasure == pytest.approx(ref["erasure"], abs=0, rel=1e-12)


def test_hash_collisions_are_repaired_exactly():
    spec = RopeSpec(4, 100.0)
    strong = erasure_scan(spec, 3000, "bf16", "hf", chunk=700, probes=[])
    weak = erasure_scan(spec, 3000, "bf16", "hf", chunk=700, probes=[], hash_mask=0x1F)  # 32 hash values
    assert weak.hash_collisions > 0 and strong.hash_collisions == 0
    assert (weak.distinct_positions, weak.first_collision) == (strong.distinct_positions, strong.first_collision)
    assert (weak.distinct_rotated, weak.first_rotated_collision) == (
        strong.distinct_rotated, strong.first_rotated_collision)


def test_attention_level_counts_match_brute_force():
    spec, L = RopeSpec(4, 100.0), 2500
    r = erasure_scan(spec, L, "bf16", "native", chunk=300, probes=[])
    q = np.random.default_rng(0).standard_normal(4)
    rows = rotate(q, np.arange(L), spec, "bf16", "native")
    assert r.distinct_rotated == np.unique(rows, axis=0).shape[0]
    assert r.distinct_rotated <= r.distinct_positions  # the rotated vector is a function of the code


def test_resolution_by_brute_force():
    spec = RopeSpec(8, 10000.0)
    m, limit = 1500, 300
    got = resolution_at(EmulatedBackend(spec, "bf16", "hf"), m, limit, block=64)
    c, s = cos_sin(spec, np.arange(m, m + limit + 1), "bf16", "hf")
    for i in range(spec.n_pairs):
        changed = np.flatnonzero((c[1:, i] != c[0, i]) | (s[1:, i] != s[0, i]))
        assert got[i] == (int(changed[0]) + 1 if changed.size else None)


def test_wall_and_erased_pairs_follow_the_erasure_fractions():
    r = erasure_scan(RopeSpec(32, 500000.0), 4096, "bf16", "hf", attention=False, probes=[])
    erased = [i for i, f in enumerate(r.adjacent_erasure) if f > 0.5]
    assert r.erased_pairs == len(erased) > 0
    assert r.wall_theta == max(r.frequencies[i] for i in erased)
    assert r.wall_ratio == r.wall_theta / 2.0**-7 and r.predicted_wall_theta == 2.0**-7
    assert r.phase_format == "fp32"


@settings(max_examples=12)
@given(L=st.integers(2, 1500), extra=st.integers(1, 1500), dtype=st.sampled_from(["fp16", "bf16"]),
       pipeline=st.sampled_from(["hf", "native"]), base=st.sampled_from([2.0, 50.0, 10000.0]))
def test_distinct_positions_are_monotone_in_context(L, extra, dtype, pipeline, base):
    spec = RopeSpec(2, base)
    short = erasure_scan(spec, L, dtype, pipeline, attention=False, probes=[], chunk=256)
    long = erasure_scan(spec, L + extra, dtype, pipeline, attention=False, probes=[], chunk=256)
    assert short.distinct_positions <= long.distinct_positions <= short.distinct_positions + extra
    assert (short.first_collision is None) == (short.distinct_positions == L)
    if short.first_collision is not None:
        assert long.first_collision == short.first_collision
    elif long.first_collision is not None:
        assert long.first_collision >= L


@settings(max_examples=10)
@given(d=st.sampled_from([8, 16, 32, 64]), base=st.floats(2.0, 1e7), start=st.integers(0, 2**24 - 3000))
def test_fp64_pipeline_has_no_collisions_below_2_pow_24(d, base, start):
    # A window of 3000 positions anywhere below 2^24 (the whole range is the --full check's job): the codes
    # of the fp64 pipeline are all different, within the window and (brute force) not a repeat.
    spec = RopeSpec(d, base)
    c, s = cos_sin(spec, np.arange(start, start + 3000), "fp32", "fp64")
    rows = code_bits(c, s)
    assert np.unique(rows, axis=0).shape[0] == 3000
    if start == 0:
        assert erasure_scan(spec, 3000, "fp32", "fp64", attention=False, probes=[]).first_collision is None


@pytest.mark.parametrize("context", [1, 0, -5, 2.5, float("inf"), 2**29])
def test_bad_context_raises(context):
    with pytest.raises(InvalidRopeSpec):
        erasure_scan(RopeSpec(8, 10000.0), context)


def test_cli_json_has_the_promised_keys(capsys):
    status = main(["erasure", "--base", "10000", "--head-dim", "8", "--context", "2048", "--dtype", "bf16",
                   "--pipeline", "native", "--json"])
    assert status == 0
    data = json.loads(capsys.readouterr().out)
    for key in ("distinct_positions", "first_collision", "erased_pairs", "adjacent_erasure", "wall_theta",
                "predicted_wall_theta", "pipeline", "dtype", "context"):
        assert key in data
    assert data["distinct_positions"] == 641 and data["first_collision"] == 257
    assert len(data["adjacent_erasure"]) == 4 and data["pipeline"] == "native" and data["context"] == 2048


def test_cli_text_output(capsys):
    assert main(["erasure", "--base", "500000", "--head-dim", "16", "--context", "4096"]) == 0
    out = capsys.readouterr().out
    assert "distinct positions" in out and "wall" in out


@pytest.mark.parametrize("args, needle", [
    (["--base", "1", "--head-dim", "8", "--context", "100"], "base must be greater than 1"),
    (["--base", "10000", "--head-dim", "7", "--context", "100"], "even"),
    (["--base", "10000", "--head-dim", "8", "--context", "0"], "context"),
    (["--base", "10000", "--head-dim", "8", "--context", "100", "--dtype", "int4"], "dtype"),
    (["--base", "10000", "--head-dim", "8", "--context", "100", "--pipeline", "jax"], "pipeline"),
    (["--base", "nan", "--head-dim", "8", "--context", "100"], "finite"),
])
def test_cli_bad_input_exits_2_with_one_line(args, needle):
    proc = subprocess.run([sys.executable, "-m", "verify", "erasure", *args], capture_output=True, text=True)
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and needle in proc.stderr and "Traceback" not in proc.stderr


def test_cli_window_and_query_give_the_rotated_per_pair_erasure(tmp_path, capsys):
    query = tmp_path / "q.json"
    vector = np.random.default_rng(3).standard_normal(16)
    query.write_text(json.dumps(vector.tolist()))
    argv = ["erasure", "--base", "1e6", "--head-dim", "16", "--context", "6000", "--window", "1000:6000",
            "--query", str(query), "--layout", "interleaved", "--json"]
    assert main(argv) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["window"] == [1000, 6000]
    assert len(data["rotated_adjacent_erasure"]) == 8
    # the same as the library with the vector reordered to the half layout
    from rope_sym.spectrum.rotation import interleaved_to_half

    r = erasure_scan(RopeSpec(16, 1e6), 6000, "bf16", "hf", window=(1000, 6000), query=interleaved_to_half(vector))
    assert data["rotated_adjacent_erasure"] == r.rotated_adjacent_erasure
    assert data["rotated_erased_pairs"] == r.rotated_erased_pairs
    for bad, message in [(["--window", "5:3"], "must hold at least two positions"),
                         (["--window", "a:b"], "window must be START:END")]:
        assert main(["erasure", "--base", "1e6", "--head-dim", "16", "--context", "600", *bad]) == 2
        assert message in capsys.readouterr().err
    query.write_text("[1, 2]")
    assert main(["erasure", "--base", "1e6", "--head-dim", "16", "--context", "600", "--query", str(query)]) == 2
    assert "query must hold 16 numbers (the head dim)" in capsys.readouterr().err
