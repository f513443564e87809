"""Pasteable retrofit blocks (rope_sym.models.serving): each form read back (round trip), pinned against
transformers' own RoPE initialisation, judged inside with headroom, and printed within 100 columns."""

from __future__ import annotations

import json
import subprocess
import sys
import warnings

import numpy as np
import pytest

from rope_sym.bounds.recommend import model_reach
from rope_sym.models import get_model
from rope_sym.models.serving import (
    HEADROOM_DECADES,
    RETROFIT_KINDS,
    InvalidRetrofit,
    headroom_factor,
    parse_llama_cpp_flags,
    retrofit,
    serving_blocks,
)
from rope_sym.scaling import attention_factor, inv_freq

CASES = [("Qwen2.5-7B", 262144), ("Llama-2-7B", 32768), ("Llama-3.1-8B", 524288), ("Gemma-3-27B", 262144),
         ("DeepSeek-V3", 1_000_000), ("GPT-NeoX-20B", 8192)]


def _quiet(fn, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fn(*args, **kwargs)


@pytest.mark.parametrize(("name", "target"), CASES)
@pytest.mark.parametrize("kind", RETROFIT_KINDS)
def test_every_form_round_trips_and_the_suggestion_has_headroom(name: str, target: int, kind: str) -> None:
    model = _quiet(get_model, name)
    minimal = model_reach(model, target)["target"]["factor"]
    s = headroom_factor(model, kind, minimal, target)
    assert s >= minimal
    blocks = serving_blocks(model, kind, s, target)
    rt = blocks["round_trip"]
    assert rt["ok"] and rt["hf_v4"] and rt["hf_v5"] and rt["vllm"], rt
    assert rt["llama_cpp"] is (None if kind in ("dynamic", "llama3") else True)
    judge = blocks["judge"]
    assert judge["verdict"] == "inside" and judge["margin_decades"] >= HEADROOM_DECADES
    if kind in ("linear", "yarn", "llama3"):  # the written length covers the target (engines derive limits)
        assert blocks["max_position_embeddings"] >= target and blocks["factor"] * blocks["original"] >= target
        assert (blocks["factor"] / 0.25).is_integer()


@pytest.mark.parametrize("kind", ["linear", "yarn", "llama3", "dynamic"])
def test_the_emitted_v5_block_is_what_transformers_computes(kind: str) -> None:
    transformers = pytest.importorskip("transformers", reason="transformers' ROPE_INIT_FUNCTIONS is the reference")
    from transformers.modeling_rope_utils import ROPE_INIT_FUNCTIONS

    model = get_model("Qwen2.5-7B")
    blocks = serving_blocks(model, kind, 2.0, 262144)
    config = _quiet(transformers.Qwen2Config, hidden_size=3584, num_attention_heads=28, head_dim=128,
                    num_hidden_layers=28, **blocks["hf"]["v5"])
    theirs, factor = ROPE_INIT_FUNCTIONS[kind](config, "cpu", 262144 if kind == "dynamic" else None)
    rope = retrofit(model, kind, 2.0, 262144).rope
    np.testing.assert_allclose(inv_freq(rope, 262144), theirs.double().numpy(), rtol=4e-7)
    assert attention_factor(rope) == pytest.approx(factor, rel=1e-12)


def test_the_llama_cpp_parser_reads_llama_cpp_semantics() -> None:
    yarn, ctx = parse_llama_cpp_flags(["--rope-scaling", "yarn", "--rope-scale", "4", "--yarn-orig-ctx", "32768",
                                       "-c", "131072"], 128, 1e6, 40960)
    assert (yarn.rope_type, yarn.factor, yarn.original_max_position_embeddings, ctx) == ("yarn", 4.0, 32768, 131072)
    linear, _ = parse_llama_cpp_flags(["--rope-freq-scale", "0.25"], 128, 1e4, 4096)
    assert (linear.rope_type, linear.factor) == ("linear", 4.0)
    default, ctx = parse_llama_cpp_flags(["--rope-freq-base", "5e5"], 128, 1e4, 4096)
    assert (default.rope_type, default.base, ctx) == ("default", 5e5, None)
    orig, _ = parse_llama_cpp_flags(["--rope-scaling", "yarn", "--rope-scale", "2"], 128, 1e4, 4096)
    assert orig.original_max_position_embeddings == 4096  # llama.cpp's default: the training context
    for bad in (["--rope-scaling", "ntk"], ["--temp", "0.7"], ["--rope-scale"]):
        with pytest.raises(InvalidRetrofit):
            parse_llama_cpp_flags(bad, 128, 1e4, 4096)


def test_a_mistyped_block_fails_the_round_trip() -> None:
    """The round trip can fail: a v4 block spelled with a factor the reader does not see reads back unscaled."""
    from rope_sym.models.serving import hf_blocks, round_trip, vllm_forms

    model = get_model("Llama-2-7B")
    r = retrofit(model, "yarn", 4.0, 16384)
    hf = hf_blocks(r)
    hf["v4"]["rope_scaling"] = {"rope_type": "linear", "factor": 4.0}
    out = round_trip(model, r, hf, vllm_forms(r, hf_blocks(r)), None)
    assert out["hf_v4"] is False and out["hf_v5"] is True and not out["ok"]


def test_bad_retrofits_are_one_line_errors() -> None:
    model = get_model("Llama-2-7B")
    with pytest.raises(InvalidRetrofit, match="unknown retrofit 'rerope'"):
        retrofit(model, "rerope", 2.0, 8192)
    with pytest.raises(InvalidRetrofit, match=">= 1"):
        retrofit(model, "yarn", 0.5, 8192)


def _verify(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**__import__("os").environ, "COLUMNS": "100"}
    return subprocess.run([sys.executable, "-m", "verify", *args], capture_output=True, text=True, env=env)


def test_recommend_prints_pasteable_blocks_within_100_columns() -> None:
    for kind in RETROFIT_KINDS:
        run = _verify("recommend", "--model", "Qwen2.5-7B", "--context", "262144", "--retrofit", kind)
        assert run.returncode == 0, run.stderr
        assert max(len(line) for line in run.stdout.splitlines()) <= 100, kind
        assert "round trip" in run.stdout and "FAILED" not in run.stdout
    run = _verify("recommend", "--model", "Qwen2.5-7B", "--context", "262144", "--json")
    data = json.loads(run.stdout)
    serving = data["serving"]
    blocks = serving["blocks"]
    assert blocks["kind"] == "yarn" and blocks["round_trip"]["ok"]
    assert serving["headroom"]["suggested_s"] >= serving["headroom"]["minimal_s"]
    assert json.loads(blocks["vllm"]["hf_overrides"]) == blocks["hf"]["v5"]
    assert "--rope-scaling yarn" in blocks["llama_cpp"]["command"]


def test_a_proportional_rope_gets_the_bounds_and_a_reason_not_a_false_factor_error(tmp_path) -> None:
    """Gemma 4's global layers (``proportional``): no retrofit is written for them, so ``recommend --context``
    answers with the bounds' divisor and the one reason, exit 0 (it used to stop with "'factor' must be a finite
    number >= 1, got 6.04e-05", a retrofit built with the rotary dim's spacing)."""
    config = {"model_type": "gemma4_text", "hidden_size": 2560, "num_attention_heads": 8, "head_dim": 256,
              "num_hidden_layers": 4, "max_position_embeddings": 131072,
              "rope_parameters": {"rope_type": "proportional", "rope_theta": 1e6, "partial_rotary_factor": 0.25}}
    path = tmp_path / "config.json"
    path.write_text(json.dumps(config))
    done = subprocess.run([sys.executable, "-m", "verify", "recommend", "--model", str(path), "--context", "262144",
                           "--json"], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert "proportional rope" in report["target"]["retrofit_error"] and report["serving"]["blocks"] is None
    assert report["target"]["bounds_factor"] > 1.0
