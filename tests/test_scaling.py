"""Scaling variants agree with the installed Hugging Face transformers (test-only dependency) to float32 rounding."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rope_sym.models.hf_config import ModelRope, from_hf_config
from rope_sym.models.registry import REGISTRY, get_model
from rope_sym.scaling import (
    InvalidRopeConfig,
    RopeConfig,
    attention_factor,
    default_inv_freq,
    effective_theta_min,
    inv_freq,
    yarn_correction_range,
)

transformers = pytest.importorskip("transformers")
from verify.transformers_reference import hf_rope  # noqa: E402


def float32_tolerance(rope: RopeConfig) -> np.ndarray:
    """Per-pair relative tolerance for HF's float32 evaluation.

    HF rounds the exponent 2j/d to float32 (relative error of b^x up to ln(b) 2^-24), then pow, divide and blend
    (a few more half-ulps). llama3's medium band amplifies an input error by the condition number of
    g(x) = (1-s)/f + s, s = (L0 x/(2 pi) - low)/(high - low): |d ln g / d ln x| = (1 - 1/f) (L0 x/(2 pi)) / ((high -
    low) g).
    """
    unit = 2.0 ** -24 * (math.log(rope.base) + 6.0)
    theta = default_inv_freq(rope)
    condition = np.ones_like(theta)
    if rope.rope_type == "llama3" and rope.high_freq_factor != rope.low_freq_factor:
        assert rope.factor and rope.original_max_position_embeddings and rope.high_freq_factor is not None
        assert rope.low_freq_factor is not None
        turns = rope.original_max_position_embeddings * theta / (2 * math.pi)
        s = np.clip((turns - rope.low_freq_factor) / (rope.high_freq_factor - rope.low_freq_factor), 0.0, 1.0)
        g = (1 - s) / rope.factor + s
        condition += (1 - 1 / rope.factor) * turns / ((rope.high_freq_factor - rope.low_freq_factor) * g)
    if rope.rope_type == "yarn":
        # HF evaluates the ramp (j - lo)/(hi - lo) in float32: a few half-ulps of it, amplified by
        # |d ln g / d r| = (1 - 1/s)/g where g = r/s + (1 - r) is the blend of interpolated and original frequency
        assert rope.factor is not None
        lo, hi = yarn_correction_range(rope)
        hi = hi + 0.001 if lo == hi else hi
        j = np.arange(theta.size, dtype=np.float64)
        r = np.clip((j - lo) / (hi - lo), 0.0, 1.0)
        ramp_error = 4.0 * (j + abs(lo)) / (hi - lo) / (math.log(rope.base) + 6.0)
        inside = (r > 0) & (r < 1)
        condition += np.where(inside, ramp_error * (1 - 1 / rope.factor) / (r / rope.factor + 1 - r), 0.0)
    if rope.rope_type == "proportional":
        return np.full(rope.head_dim // 2, unit)
    return unit * condition


def assert_matches_hf(model: ModelRope, seq_len: int | None) -> float:
    assert model.context is not None
    ours = inv_freq(model.rope, seq_len)
    theirs, factor = hf_rope(model.rope, model.context, seq_len)
    assert theirs.shape == ours.shape
    rel = np.abs(theirs - ours) / np.where(ours > 0, ours, 1.0)
    assert np.all(rel <= float32_tolerance(model.rope)), (model.name, float(rel.max()))
    assert factor == pytest.approx(attention_factor(model.rope), rel=1e-12)
    return float(rel.max())


@pytest.mark.filterwarnings("ignore::UserWarning")
@pytest.mark.parametrize("entry", REGISTRY, ids=lambda e: e.name)
def test_registry_models_match_transformers(entry) -> None:
    model = get_model(entry.name)
    assert_matches_hf(model, model.context)  # at the model's own context: long factors, grown dynamic base
    assert_matches_hf(model, None)  # HF's initialisation state
    for rope in model.layers.values():
        assert_matches_hf(ModelRope(entry.name, rope, {}, model.context, model.depth), model.context)


_dims = st.sampled_from([32, 64, 96, 128, 256])
_bases = st.sampled_from([10000.0, 50000.0, 500000.0, 1e6, 8e6, 1.5e5])
_factors = st.sampled_from([1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 40.0])


@st.composite
def generated_configs(draw: st.DrawFn) -> dict[str, object]:
    head_dim, base, factor = draw(_dims), draw(_bases), draw(_factors)
    original = draw(st.sampled_from([2048, 4096, 8192, 32768]))
    context = original * int(max(factor, 1))
    kind = draw(st.sampled_from(["default", "linear", "dynamic", "yarn", "llama3", "longrope", "proportional"]))
    fraction = draw(st.sampled_from([1.0, 0.5, 0.25])) if kind in ("default", "linear", "proportional") else 1.0
    params: dict[str, object] = {"rope_type": kind}
    if kind in ("linear", "dynamic", "yarn", "llama3", "proportional"):
        params["factor"] = factor
    if kind in ("yarn", "llama3", "longrope"):
        params["original_max_position_embeddings"] = original
    if kind == "llama3":
        params.update(low_freq_factor=1.0, high_freq_factor=draw(st.sampled_from([2.0, 4.0])))
    if kind == "yarn":
        params.update(beta_fast=draw(st.sampled_from([32.0, 16.0])), truncate=draw(st.booleans()))
        if draw(st.booleans()):
            params.update(mscale=0.707, mscale_all_dim=draw(st.sampled_from([0.707, 1.0])))
    if kind == "longrope":
        n = int(head_dim * fraction) // 2
        grow = draw(st.floats(1.0, 1.2))
        params["short_factor"] = [1.0 + 0.01 * i for i in range(n)]
        params["long_factor"] = [grow ** i for i in range(n)]
    return {"head_dim": head_dim, "hidden_size": head_dim * 8, "num_attention_heads": 8,
            "max_position_embeddings": context, "rope_theta": base, "partial_rotary_factor": fraction,
            "rope_parameters": params}


@settings(max_examples=60, deadline=None)
@given(generated_configs(), st.sampled_from([None, 1, 4, 16]))
def test_generated_configs_match_transformers(config: dict[str, object], length_multiple: int | None) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = from_hf_config(config, name="generated")
    assert model.context is not None
    seq_len = None if length_multiple is None else model.context * length_multiple // 4
    assert_matches_hf(model, seq_len)


def test_linear_divides_every_frequency() -> None:
    plain = default_inv_freq(RopeConfig("default", 128, 10000.0))
    assert np.array_equal(inv_freq(RopeConfig("linear", 128, 10000.0, factor=4.0)), plain / 4.0)


def test_yarn_keeps_fast_pairs_and_interpolates_slow_ones() -> None:
    rope = RopeConfig("yarn", 64, 10000.0, factor=40.0, original_max_position_embeddings=4096)
    ratio = default_inv_freq(rope) / inv_freq(rope)
    assert ratio[0] == 1.0 and ratio[-1] == pytest.approx(40.0, rel=1e-15)
    assert np.all(np.diff(ratio) >= 0)
    assert attention_factor(rope) == pytest.approx(0.1 * math.log(40.0) + 1.0, rel=1e-15)


def test_deepseek_mscale_pair_cancels() -> None:
    model = get_model("DeepSeek-V3")
    assert attention_factor(model.rope) == 1.0
    assert model.rope.head_dim == 64


def test_dynamic_equals_default_until_the_context_is_exceeded() -> None:
    rope = RopeConfig("dynamic", 128, 10000.0, factor=2.0, max_position_embeddings=4096)
    assert np.array_equal(inv_freq(rope, 4096), default_inv_freq(rope))
    assert effective_theta_min(rope, 16384) < effective_theta_min(rope, 4096)


def test_proportional_pads_nope_pairs_and_skips_them_in_theta_min() -> None:
    rope = RopeConfig("proportional", 256, 1e6, partial_rotary_factor=0.25)
    frequencies = inv_freq(rope)
    assert frequencies.size == 128 and np.count_nonzero(frequencies) == 32
    assert effective_theta_min(rope) == pytest.approx(1e6 ** (-62 / 256), rel=1e-14)


def test_longrope_switches_to_long_factors_past_the_original_length() -> None:
    rope = get_model("Phi-3.5-mini").rope
    assert np.all(inv_freq(rope, 4096) > inv_freq(rope, 4097) * 0.999)
    assert inv_freq(rope, 131072)[-1] == pytest.approx(default_inv_freq(rope)[-1] / 64.83999633789062, rel=1e-15)


def test_bad_factor_is_rejected() -> None:
    with pytest.raises(InvalidRopeConfig, match="factor"):
        RopeConfig("linear", 128, 10000.0, factor=0.5)
