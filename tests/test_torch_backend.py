"""The torch backend against the exact emulation: pipelines, erasure scan, confirmation, attention, CLI, devices.

Everything runs on the CPU (``device="cpu"``), so the results do not depend on a GPU being present. Facts that
depend on the CPU's vector width (torch's bf16 ``arange``, SLEEF's fp32 ``cos``) are asserted as strict counts
only on the capability they were measured on (``AVX2``); their invariants are asserted everywhere.
"""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from rope_sym import BF16, FP16, FP32, InvalidRopeSpec, RopeSpec, round_to  # noqa: E402
from rope_sym import formats as emulated_formats  # noqa: E402
from rope_sym import pipelines as emulated  # noqa: E402
from rope_sym.erasure import (  # noqa: E402
    canonical_codes,
    erasure_scan,
    hash_rows,
)
from rope_sym.erasure.codes import numpy_ops, pack_words  # noqa: E402
from rope_sym.spectrum.rotation import apply_rotation, half_to_interleaved, interleaved_to_half  # noqa: E402
from rope_sym.torch_backend.attention import attention_collisions, channel_pairs, content_vectors  # noqa: E402
from rope_sym.torch_backend.confirm import STAGES, compare_figures, confirm, ulp_distance  # noqa: E402
from rope_sym.torch_backend.erasure import torch_erasure_scan, torch_ops  # noqa: E402
from rope_sym.torch_backend.pipelines import TorchRope, rotate_every_two, rotate_half  # noqa: E402
from rope_sym.torch_backend.runtime import TORCH_DTYPES, resolve_device  # noqa: E402
from verify.cli import main  # noqa: E402

CPU = torch.device("cpu")
CAPABILITY = torch.backends.cpu.get_cpu_capability()
MEASURED_ON = "AVX2"  # the capability the hardware-dependent counts below were measured on
OPS = torch_ops(CPU)
FIGURES = ("distinct_positions", "first_collision", "erased_pairs", "wall_theta", "distinct_rotated",
           "first_rotated_collision", "distinct_stored_positions", "nonfinite_positions")


def figures(report) -> dict:
    return {name: getattr(report, name) for name in FIGURES}


def bf16_arange(n: int, start: int = 0) -> np.ndarray:
    return torch.arange(start, n, dtype=torch.bfloat16).double().numpy()


# ------------------------------------------------------------------------------------------- optional import


def test_core_import_does_not_load_torch_and_the_backend_loads_lazily():
    code = (
        "import sys\n"
        "import rope_sym\n"
        "from rope_sym import *\n"
        "import verify.cli\n"
        "assert 'torch' not in sys.modules, sorted(m for m in sys.modules if m.startswith('torch'))\n"
        "scan = rope_sym.torch_erasure_scan\n"
        "assert 'torch' in sys.modules\n"
        "import rope_sym.torch_backend.erasure as te\n"
        "assert scan is te.torch_erasure_scan and rope_sym.TorchRope.__module__ == 'rope_sym.torch_backend.pipelines'\n"
        "try:\n"
        "    rope_sym.no_such_name\n"
        "except AttributeError as e:\n"
        "    assert 'no_such_name' in str(e)\n"
        "else:\n"
        "    raise SystemExit('no AttributeError')\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr


# ------------------------------------------------------------------------------------- TorchRope vs emulation


@pytest.mark.parametrize("base", [5e5, 1e4])
@pytest.mark.parametrize("pipeline", ["hf", "invfreq-cast"])
def test_torch_rope_equals_the_emulation_up_to_the_angles(base, pipeline):
    spec, L = RopeSpec(128, base), 3000
    rope = TorchRope(spec, "bf16", pipeline, L, device="cpu")
    positions = np.arange(L)
    index = rope.index(positions)
    inv = rope.inv_freq.double().numpy()
    assert rope.inv_freq.dtype == (torch.float32 if pipeline == "hf" else torch.bfloat16)
    np.testing.assert_array_equal(inv, emulated.inv_freq(spec, "bf16", pipeline))
    np.testing.assert_array_equal(rope.stored_positions(index).double().numpy(),
                                  emulated.stored_positions(positions, "bf16", pipeline))
    angles = rope.angles(index)
    assert angles.dtype == torch.float32 and angles.shape == (L, spec.n_pairs)
    np.testing.assert_array_equal(angles.double().numpy(), emulated.angles(spec, positions, "bf16", pipeline))
    c, s = rope.cos_sin(index)
    assert c.dtype == s.dtype == torch.bfloat16
    ce, se = emulated.cos_sin(spec, positions, "bf16", pipeline)
    # torch's fp32 cos/sin are not correctly rounded; after the cast to bf16 only a handful of values differ
    differ = np.count_nonzero(c.double().numpy() != ce) + np.count_nonzero(s.double().numpy() != se)
    assert differ <= 10
    if differ:
        assert ulp_distance(c.double().numpy(), ce, BF16).max() <= 1
        assert ulp_distance(s.double().numpy(), se, BF16).max() <= 1


@pytest.mark.parametrize("rotary_fraction", [1.0, 0.5])
def test_rotate_half_and_every_two_match_apply_rotation_in_float64(rotary_fraction):
    spec = RopeSpec(32, 1e4, rotary_fraction)
    n, r = spec.n_pairs, spec.rotary_dim
    rng = np.random.default_rng(1)
    x = rng.standard_normal((7, spec.head_dim))
    angles = rng.uniform(-10, 10, (7, n))
    c, s = np.cos(angles), np.sin(angles)
    xt, ct, st = (torch.as_tensor(v, dtype=torch.float64) for v in (x, c, s))

    # the bare helpers, as model code combines them
    half = xt[..., :r] * torch.cat((ct, ct), -1) + rotate_half(xt[..., :r]) * torch.cat((st, st), -1)
    inter = xt[..., :r] * ct.repeat_interleave(2, -1) + rotate_every_two(xt[..., :r]) * st.repeat_interleave(2, -1)
    np.testing.assert_allclose(half.numpy(), apply_rotation(x[..., :r], c, s, "half"), rtol=0, atol=1e-12)
    np.testing.assert_allclose(inter.numpy(), apply_rotation(x[..., :r], c, s, "interleaved"), rtol=0, atol=1e-12)

    # TorchRope.rotate in the fp64 pipeline, with the pass-through dims
    rope = TorchRope(spec, "fp64", "fp64", 8, device="cpu")
    for layout in ("half", "interleaved"):
        got = rope.rotate(xt, ct, st, layout).numpy()
        np.testing.assert_allclose(got, apply_rotation(x, c, s, layout), rtol=0, atol=1e-12)
        np.testing.assert_array_equal(got[..., r:], x[..., r:])
    with pytest.raises(InvalidRopeSpec, match="unknown layout"):
        rope.rotate(xt, ct, st, "diagonal")


def test_rotate_half_and_rotate_every_two_are_the_same_rotation_up_to_the_layout_permutation():
    x = torch.arange(8, dtype=torch.float64)
    assert rotate_half(x).tolist() == [-4, -5, -6, -7, 0, 1, 2, 3]
    assert rotate_every_two(x).tolist() == [-1, 0, -3, 2, -5, 4, -7, 6]
    y = np.random.default_rng(2).standard_normal((5, 16))
    np.testing.assert_array_equal(interleaved_to_half(rotate_every_two(torch.as_tensor(y)).numpy()),
                                  rotate_half(torch.as_tensor(interleaved_to_half(y))).numpy())

    # and the whole eager rotation in bf16: the same roundings on the same values, so bitwise equal
    spec, L = RopeSpec(64, 5e5, 0.5), 512
    rope = TorchRope(spec, "bf16", "hf", L, device="cpu")
    c, s = rope.cos_sin(rope.index(np.arange(L)))
    q = np.random.default_rng(3).standard_normal(spec.head_dim)
    q_half = torch.as_tensor(interleaved_to_half(q, spec.rotary_dim))
    inter = rope.rotate(torch.as_tensor(q), c, s, "interleaved").double().numpy()
    half = rope.rotate(q_half, c, s, "half").double().numpy()
    np.testing.assert_array_equal(interleaved_to_half(inter, spec.rotary_dim), half)
    np.testing.assert_array_equal(half_to_interleaved(half, spec.rotary_dim), inter)


# ------------------------------------------------------------------------------------- the bf16 arange quirk


def test_torch_bf16_arange_is_not_round_to_nearest():
    L = 1 << 13
    got = bf16_arange(L)
    exact = np.arange(L, dtype=np.float64)
    nearest = np.asarray(round_to(exact, BF16), dtype=np.float64)
    differ = np.flatnonzero(got != nearest)
    # invariants on every CPU: bf16 values, monotone, exact up to 256, less than one ulp from the integer
    np.testing.assert_array_equal(np.asarray(round_to(got, BF16)), got)
    assert np.all(np.diff(got) >= 0)
    np.testing.assert_array_equal(got[:257], nearest[:257])
    assert np.all(np.abs(got - exact) < 2.0 ** (np.floor(np.log2(np.maximum(exact, 1))) - 7) + 1e-9)
    if CAPABILITY == MEASURED_ON:
        assert differ.size == 960 and differ[0] == 4113  # measured with AVX2 (torch 2.x CPU kernel)
    # starting the arange elsewhere changes the values (the per-vector base moves): hence one arange per context
    if differ.size:
        assert not np.array_equal(bf16_arange(L, 1000), got[1000:])


def test_native_positions_come_from_one_arange_over_the_whole_context():
    spec, L = RopeSpec(16, 1e4), 1 << 13
    rope = TorchRope(spec, "bf16", "native", L, device="cpu")
    full = bf16_arange(L)
    for lo, hi in [(0, 4096), (1000, 3000), (4100, 8192), (5000, 5001)]:
        block = rope.stored_positions(torch.arange(lo, hi)).double().numpy()
        np.testing.assert_array_equal(block, full[lo:hi])
    assert rope.stored_positions(torch.arange(3)).dtype == torch.bfloat16
    # the scan's figures cannot depend on how the context is cut into blocks
    reports = [torch_erasure_scan(spec, L, "bf16", "native", device="cpu", chunk=chunk, probes=[])
               for chunk in (1000, 4096)]
    assert figures(reports[0]) == figures(reports[1])
    assert reports[0].adjacent_erasure == reports[1].adjacent_erasure


def test_confirm_attributes_native_position_mismatches_to_arange():
    spec, L = RopeSpec(16, 1e4), 1 << 13
    c = confirm(spec, L, "bf16", "native", device="cpu")
    stages = {s.stage: s for s in c.stages}
    nearest = np.asarray(round_to(np.arange(L, dtype=np.float64), BF16))
    arange_mismatches = int(np.count_nonzero(bf16_arange(L) != nearest))
    assert stages["positions"].local == stages["positions"].end_to_end == arange_mismatches
    if arange_mismatches:
        assert stages["positions"].max_local_ulps == 1.0
        assert any(note.startswith("positions:") and "arange" in note for note in c.notes)
    for name in ("inv_freq", "angles", "cos/sin (stored)", "rotated (half)", "rotated (interleaved)"):
        assert stages[name].local == 0, name
    assert c.agree


# ------------------------------------------------------------------------------ torch scan vs emulated scan


@pytest.mark.parametrize(("dtype", "pipeline"), [("bf16", "hf"), ("bf16", "native"), ("bf16", "invfreq-cast"),
                                                 ("fp32", "hf")])
def test_torch_scan_equals_the_emulated_scan_on_cpu(dtype, pipeline):
    spec, L = RopeSpec(128, 5e5), 1 << 13
    t = torch_erasure_scan(spec, L, dtype, pipeline, device="cpu", probes=[L - 1])
    e = erasure_scan(spec, L, dtype, pipeline, probes=[L - 1])
    assert figures(t) == figures(e)
    assert (t.erased_are_slowest, t.predicted_wall_theta, t.frequencies) == (
        e.erased_are_slowest, e.predicted_wall_theta, e.frequencies)
    assert (t.backend, t.torch_version, t.autocast, t.oracle_decided) == ("torch", torch.__version__, False, 0)
    assert t.device.startswith("cpu") and t.scan_seconds >= 0 and e.backend == "emulated"
    assert set(t.to_dict()) == set(e.to_dict())
    json.dumps(t.to_dict())
    if dtype == "bf16" and pipeline == "native":
        assert (t.first_collision, t.distinct_positions) == (257, 897)  # bf16 positions collapse from 257 on
    if dtype == "bf16" and pipeline != "native":
        assert t.adjacent_erasure == e.adjacent_erasure
        assert t.resolution == e.resolution
        assert t.erased_pairs == 28


@pytest.mark.parametrize("dtype", ["bf16", "fp16", "fp32", "fp64"])
def test_canonical_codes_and_packed_hashes_identify_equal_values(dtype):
    nan = float("nan")
    t = torch.tensor([0.0, -0.0, nan, -nan, 1.0, -1.0, float("inf"), 2.0 ** -14], dtype=TORCH_DTYPES[dtype])
    other_nan = torch.tensor([0x7FF8_0000_0000_0001], dtype=torch.int64).view(torch.float64)  # payload 1
    if t.element_size() < 8:  # a NaN with another payload in this width: the all-ones exponent, some low bit set
        bits = {2: (torch.int16, 0x7F81 if dtype == "bf16" else 0x7C01), 4: (torch.int32, 0x7F800001)}
        view, pattern = bits[t.element_size()]
        other_nan = torch.tensor([pattern], dtype=view).view(t.dtype)
    assert torch.isnan(other_nan).all()
    codes = canonical_codes(torch.cat((t, other_nan)), OPS).tolist()
    assert codes[0] == codes[1] and codes[2] == codes[3] == codes[8]  # -0 is +0, every NaN one code
    assert len({codes[i] for i in (0, 2, 4, 5, 6, 7)}) == 6  # distinct values keep distinct codes
    # rows whose values are equal (up to -0/+0 and NaN payloads) hash equally, for every row width
    generator = torch.Generator().manual_seed(5)
    for width in (1, 3, 4, 6, 8, 13):
        x = (torch.arange(6 * width, dtype=torch.float64).reshape(6, width) + 1
             + torch.rand(6, width, generator=generator, dtype=torch.float64)).to(TORCH_DTYPES[dtype])
        x[1] = x[0]
        x[2, :] = 0.0
        x[3, :] = -0.0
        x[4, :] = nan
        x[5, :] = other_nan.to(x.dtype) if x.element_size() == other_nan.element_size() else nan
        c = canonical_codes(x, OPS)
        words = pack_words(c, OPS)
        assert words.dtype == torch.int64 and words.shape[-1] == -(-width * x.element_size() // 8)
        h = hash_rows(c, OPS).tolist()
        assert h[0] == h[1] and h[2] == h[3] and h[4] == h[5] and len({h[0], h[2], h[4]}) == 3
        # the emulated backend codes the same values (held as float64) identically, so its hashes agree too
        host = x.double().numpy()
        emulated_codes = canonical_codes(host, numpy_ops(getattr(emulated_formats, dtype.upper())))
        assert emulated_codes.tolist() == c.tolist()
        assert hash_rows(emulated_codes, numpy_ops(getattr(emulated_formats, dtype.upper()))).tolist() == h


def test_torch_scan_repairs_hash_collisions_exactly():
    spec, L = RopeSpec(32, 1e4), 3000
    settings = [("bf16", "hf"), ("bf16", "native")]
    strong = [torch_erasure_scan(spec, L, d, p, device="cpu", chunk=700, probes=[]) for d, p in settings]
    weak = [torch_erasure_scan(spec, L, d, p, device="cpu", chunk=700, probes=[], hash_mask=3) for d, p in settings]
    for s, w in zip(strong, weak):
        assert s.hash_collisions == 0 and w.hash_collisions > 0
        assert figures(w) == figures(s)
        assert w.adjacent_erasure == s.adjacent_erasure


# ---------------------------------------------------------------------------------------------- confirmation


@pytest.mark.parametrize(("spec", "L", "dtype", "pipeline"), [
    (RopeSpec(64, 5e5), 4096, "bf16", "hf"),
    (RopeSpec(32, 1e4), 2048, "bf16", "invfreq-cast"),
    (RopeSpec(32, 1e4), 2048, "fp32", "hf"),
    (RopeSpec(32, 1e4), 2048, "fp16", "hf"),
])
def test_confirm_agrees_and_locates_the_mismatches(spec, L, dtype, pipeline):
    c = confirm(spec, L, dtype, pipeline, device="cpu")
    assert c.agree and all(f.agree for f in c.figures)
    assert [s.stage for s in c.stages] == list(STAGES)
    stages = {s.stage: s for s in c.stages}
    for name in ("inv_freq", "positions", "angles", "cos/sin (stored)", "rotated (half)", "rotated (interleaved)"):
        assert stages[name].local == 0, name
    phase = stages["cos/sin (phase)"]
    assert phase.format == "fp32" and phase.compared == 2 * L * spec.n_pairs
    assert phase.local == phase.end_to_end  # everything upstream of it is exact
    assert phase.max_local_ulps <= 2
    if CAPABILITY == MEASURED_ON:
        assert phase.local > 0  # SLEEF's vectorised fp32 cos/sin (measured: ~5% of the values)
    assert (phase.local > 0) == any(note.startswith("cos/sin (phase)") for note in c.notes)
    stored = stages["cos/sin (stored)"]
    if dtype == "fp32":  # the cast is the identity: the stored values inherit every phase mismatch
        assert stored.end_to_end == phase.end_to_end
    assert c.mismatched_positions <= L and len(c.mismatched_per_pair) == spec.n_pairs
    assert c.to_dict()["stages"][0]["stage"] == "inv_freq" and c.device.startswith("cpu")


def test_compare_figures_flags_a_difference_beyond_the_budget():
    spec, L = RopeSpec(16, 5e5), 2048
    e = erasure_scan(spec, L, "bf16", "hf", probes=[])
    no_pairs, differing = np.zeros(spec.n_pairs, dtype=np.int64), np.zeros(L, dtype=bool)
    differing[[10, 20]] = True  # two positions whose codes differ: a budget of 2

    def verdicts(measured, diff=differing):
        return {f.figure: f.agree for f in compare_figures(e, measured, diff, no_pairs, 0)}

    assert all(verdicts(dataclasses.replace(e)).values())
    assert verdicts(dataclasses.replace(e, distinct_positions=e.distinct_positions - 2))["distinct_positions"]
    off = verdicts(dataclasses.replace(e, distinct_positions=e.distinct_positions - 3))
    assert off["distinct_positions"] is False and sum(not ok for ok in off.values()) == 1
    assert verdicts(dataclasses.replace(e, distinct_rotated=e.distinct_rotated + 1))["distinct_rotated"] is False
    # with no differing code, the first collision and the wall must be exact
    same = np.zeros(L, dtype=bool)
    assert verdicts(dataclasses.replace(e, first_collision=5), same)["first_collision"] is False
    assert verdicts(dataclasses.replace(e, wall_theta=1.0), same)["wall_theta"] is False
    erasure = list(e.adjacent_erasure)
    erasure[0] = 0.9
    assert verdicts(dataclasses.replace(e, adjacent_erasure=erasure), same)[
        "adjacent_erasure (max |difference|)"] is False


def test_ulp_distance_on_crafted_values():
    one_up, one_down = 1.0 + 2.0 ** -7, 1.0 - 2.0 ** -8  # bf16 neighbours of 1.0
    a = np.array([1.0, 1.0, 1.5, -3.0, np.nan, np.inf, np.inf, -np.inf, np.nan, 0.0, 0.0, 2.0 ** -133])
    b = np.array([1.0, one_up, 1.5 + 2 ** -7, -3.0 - 2 ** -6, np.nan, np.inf, 1.0, 1.0, 1.0, -0.0, 2.0 ** -133,
                  2.0 ** -132])
    np.testing.assert_array_equal(ulp_distance(a, b, BF16), [0, 1, 1, 1, 0, 0, np.inf, np.inf, np.inf, 0, 1, 1])
    # measured in ulps at the larger magnitude: across a binade the step below 1.0 is half an ulp of 1.0
    assert ulp_distance(1.0, one_down, BF16) == 0.5
    assert ulp_distance(65504.0, 65472.0, FP16) == 1 and ulp_distance(65504.0, np.inf, FP16) == np.inf
    assert ulp_distance(1.0, 1.0 + 2.0 ** -23, FP32) == 1
    x = np.float64(np.float32(0.7))
    assert ulp_distance(x, np.nextafter(np.float32(x), np.float32(2), dtype=np.float32), FP32) == 1


# ------------------------------------------------------------------------------------------------- attention


@pytest.mark.parametrize("channel", ["erased", "wall", "all"])
def test_attention_collisions_at_small_scale(channel):
    spec, L = RopeSpec(16, 5e5), 1 << 14
    r = attention_collisions(spec, L, "bf16", "hf", channel=channel, device="cpu")
    assert (r.keys, r.channel, r.query_position) == (L, channel, L - 1)
    assert 0 < r.identical_key_pairs <= r.colliding_pairs or channel == "all"
    assert r.identical_key_pairs <= r.colliding_pairs
    assert r.differ_in_fp64 == r.colliding_pairs
    assert r.colliding_pairs > r.control_pairs
    assert r.keys_in_collisions <= L and r.distinct_scores <= L
    # the cast law's wall picks the same 3 pairs the scan measures as erased (the paper's eps_mach picked 5)
    assert r.content_pairs == {"all": spec.n_pairs, "wall": 3, "erased": 3}[channel]
    for n1, n2, _score, fp64_1, fp64_2 in r.examples:
        assert n1 < n2 and fp64_1 != fp64_2
    json.dumps(r.to_dict())
    # the identical-key count, by brute force: unique rows of every rotated key
    rope = TorchRope(spec, "bf16", "hf", L, device="cpu")
    keep = channel_pairs(spec, channel, "bf16", "hf", L, CPU)
    _, k = content_vectors(spec, keep, "bf16")
    c, s = rope.cos_sin(rope.index(np.arange(L)))
    keys = rope.rotate(torch.as_tensor(k), c, s).double().numpy() + 0.0
    _, counts = np.unique(keys, axis=0, return_counts=True)
    assert int(np.sum(counts * (counts - 1) // 2)) == r.identical_key_pairs


def test_attention_rejects_an_unknown_channel_in_one_line():
    with pytest.raises(ValueError, match=r"^unknown channel 'bogus' \(known: erased, wall, all\)$") as info:
        attention_collisions(RopeSpec(16, 5e5), 1 << 10, "bf16", "hf", channel="bogus", device="cpu")
    assert isinstance(info.value, InvalidRopeSpec) and "\n" not in str(info.value)
    with pytest.raises(InvalidRopeSpec, match="query position"):
        attention_collisions(RopeSpec(16, 5e5), 1 << 10, channel="all", query_position=1 << 10, device="cpu")


# -------------------------------------------------------------------------------------------------- autocast


@pytest.mark.parametrize("pipeline", ["hf", "invfreq-cast", "native"])
def test_autocast_leaves_the_guarded_pipelines_unchanged(pipeline):
    spec, L = RopeSpec(64, 5e5), 4096
    plain = TorchRope(spec, "bf16", pipeline, L, device="cpu")
    mixed = TorchRope(spec, "bf16", pipeline, L, device="cpu", autocast=True)
    index = plain.index(np.arange(L))
    for a, b in zip(plain.cos_sin_phase(index) + plain.cos_sin(index),
                    mixed.cos_sin_phase(index) + mixed.cos_sin(index)):
        assert a.dtype == b.dtype and torch.equal(a, b)
    if pipeline != "native":
        assert mixed.angles(index).dtype == torch.float32
        # the guard matters: the same matmul under autocast without it runs in bf16
        t = plain.stored_positions(index)
        with torch.autocast("cpu", dtype=torch.bfloat16):
            unguarded = plain.inv_freq[None, :, None].float() @ t[None, None, :].float()
        assert unguarded.dtype == torch.bfloat16
    r = torch_erasure_scan(spec, L, "bf16", pipeline, device="cpu", autocast=True, probes=[])
    assert r.autocast is True
    assert figures(r) == figures(torch_erasure_scan(spec, L, "bf16", pipeline, device="cpu", probes=[]))


# ------------------------------------------------------------------------------------------------------- CLI


def test_cli_erasure_torch_backend_json_in_a_fresh_process():
    proc = subprocess.run([sys.executable, "-m", "verify", "erasure", "--base", "5e5", "--head-dim", "64",
                           "--context", "4096", "--backend", "torch", "--device", "cpu", "--json"],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert data["backend"] == "torch" and data["device"].startswith("cpu")
    assert set(data) >= {"backend", "device", "torch_version", "autocast", "scan_seconds"}
    e = erasure_scan(RopeSpec(64, 5e5), 4096, "bf16", "hf")
    assert (data["distinct_positions"], data["erased_pairs"], data["distinct_rotated"]) == (
        e.distinct_positions, e.erased_pairs, e.distinct_rotated)


def test_cli_erasure_text_report_names_the_device(capsys):
    assert main(["erasure", "--base", "1e4", "--head-dim", "16", "--context", "2048", "--backend", "torch",
                 "--device", "cpu", "--no-attention"]) == 0
    out = capsys.readouterr().out
    assert "erasure scan (torch)" in out and "cpu (" in out and "distinct rotated" not in out


@pytest.mark.parametrize("device", [
    pytest.param("cuda", marks=pytest.mark.skipif(torch.cuda.is_available(), reason="cuda is available here")),
    "tpu", "meta"])
def test_cli_unusable_device_is_one_line_and_exit_2(device, capsys):
    for command in (["erasure", "--backend", "torch"], ["confirm"], ["attention"]):
        status = main([*command, "--base", "5e5", "--head-dim", "64", "--context", "4096", "--device", device])
        captured = capsys.readouterr()
        assert status == 2 and captured.out == ""
        lines = captured.err.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith(f"python -m verify {command[0]}: error: ")
        assert repr(device) in lines[0]


def test_cli_confirm_json_agrees(capsys):
    assert main(["confirm", "--base", "1e4", "--head-dim", "32", "--context", "2048", "--device", "cpu",
                 "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["agree"] is True and data["backend"] == "torch" and data["device"].startswith("cpu")
    assert [s["stage"] for s in data["stages"]] == list(STAGES)
    assert all(f["agree"] for f in data["figures"])


def test_cli_confirm_text_verdict(capsys):
    assert main(["confirm", "--base", "1e4", "--head-dim", "16", "--context", "1024", "--device", "cpu"]) == 0
    assert "agreement: figures agree" in capsys.readouterr().out


def test_cli_attention_json(capsys):
    assert main(["attention", "--base", "5e5", "--head-dim", "16", "--context", "16384", "--device", "cpu",
                 "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["keys"] == 16384 and data["channel"] == "erased" and data["device"].startswith("cpu")
    assert data["identical_key_pairs"] <= data["colliding_pairs"] == data["differ_in_fp64"]
    assert main(["attention", "--base", "5e5", "--head-dim", "16", "--context", "16384", "--device", "cpu",
                 "--channel", "nope"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["python -m verify attention: error: unknown channel 'nope' (known: erased, wall, all)"]


# --------------------------------------------------------------------------------------------------- devices


def test_resolve_device_accepts_strings_devices_and_auto():
    assert resolve_device("cpu") == resolve_device(CPU) == CPU
    expected_auto = torch.device("cuda") if torch.cuda.is_available() else CPU
    assert resolve_device(None) == resolve_device("auto") == expected_auto
    with pytest.raises(InvalidRopeSpec, match=r"unknown torch device 'tpu'"):
        resolve_device("tpu")
    with pytest.raises(InvalidRopeSpec, match=r"'meta' is not supported"):
        resolve_device("meta")
    if not torch.cuda.is_available():
        for name in ("cuda", "cuda:0", "cuda:3"):
            with pytest.raises(InvalidRopeSpec, match=f"device '{name}' is not available"):
                resolve_device(name)
    assert set(TORCH_DTYPES) == set(emulated.DTYPES)


@pytest.mark.skipif(torch.cuda.is_available(), reason="'auto' means cuda here")
def test_every_entry_point_treats_cpu_device_and_auto_alike():
    spec, L = RopeSpec(16, 1e4), 2048
    devices = ["cpu", CPU, "auto", None]
    for device in devices:
        rope = TorchRope(spec, "bf16", "hf", L, device=device)
        assert rope.device == CPU and rope.inv_freq.device == CPU
    scans = [torch_erasure_scan(spec, L, "bf16", "native", device=d, probes=[]).to_dict() for d in devices]
    for s in scans:
        s.pop("scan_seconds")
    assert all(s == scans[0] for s in scans)
    confirmations = [confirm(spec, 1024, "bf16", "hf", device=d).to_dict() for d in devices]
    assert all(c == confirmations[0] for c in confirmations)
    collisions = [attention_collisions(spec, 1 << 12, channel="all", device=d).to_dict() for d in devices]
    assert all(c == collisions[0] for c in collisions)


def test_a_cpu_scan_runs_on_its_own_thread_count_and_restores_torchs():
    before = torch.get_num_threads()
    spec = RopeSpec(8, 10000.0)
    one = torch_erasure_scan(spec, 4096, "bf16", "hf", device="cpu", probes=[])
    assert torch.get_num_threads() == before
    two = torch_erasure_scan(spec, 4096, "bf16", "hf", device="cpu", probes=[], threads=2)
    assert torch.get_num_threads() == before
    assert one.adjacent_erasure == two.adjacent_erasure and one.distinct_positions == two.distinct_positions
    with pytest.raises(InvalidRopeSpec, match="threads must be at least 1"):
        torch_erasure_scan(spec, 64, "bf16", "hf", device="cpu", threads=0)
    assert torch.get_num_threads() == before


def test_blocks_with_nan_take_the_careful_path_and_count_the_same():
    # fp16 native positions >= 65520 are inf, their codes NaN: the blocks holding them cannot skip the NaN
    # canonicalisation, and the figures equal the emulated backend's
    spec = RopeSpec(8, 10000.0)
    t = torch_erasure_scan(spec, 66000, "fp16", "native", device="cpu", probes=[], attention=False)
    e = erasure_scan(spec, 66000, "fp16", "native", probes=[], attention=False)
    assert t.nonfinite_positions == e.nonfinite_positions > 0 and t.first_nonfinite == e.first_nonfinite
    assert t.distinct_positions == e.distinct_positions and t.adjacent_erasure == e.adjacent_erasure
