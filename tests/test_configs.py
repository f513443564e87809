"""Reading Hugging Face configs: keys, aliases, per-layer settings, one-line errors and visible warnings."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from rope_sym.errors import RopeSymError
from rope_sym.models.hf_config import from_hf_config
from rope_sym.scaling import InvalidRopeConfig

BASE = {"hidden_size": 4096, "num_attention_heads": 32, "max_position_embeddings": 131072, "num_hidden_layers": 32,
        "rope_theta": 500000.0}
LLAMA3 = {"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0,
          "original_max_position_embeddings": 8192}


def test_reads_a_config_json_from_disk(tmp_path: Path) -> None:
    path = tmp_path / "config.json"
    path.write_text(json.dumps({**BASE, "rope_scaling": LLAMA3}))
    model = from_hf_config(path)
    assert (model.rope.rope_type, model.rope.head_dim, model.rope.base, model.context, model.depth) == (
        "llama3", 128, 500000.0, 131072, 32)
    assert model.rope.original_max_position_embeddings == 8192


def test_type_alias_and_v5_rope_parameters_agree() -> None:
    v4 = from_hf_config({**BASE, "rope_scaling": {**{k: v for k, v in LLAMA3.items() if k != "rope_type"},
                                                  "type": "llama3"}})
    v5 = from_hf_config({k: v for k, v in BASE.items() if k != "rope_theta"}
                        | {"rope_parameters": {**LLAMA3, "rope_theta": 500000.0}})
    assert v4.rope == v5.rope


def test_head_dim_key_wins_over_hidden_over_heads() -> None:
    assert from_hf_config({**BASE, "hidden_size": 5120, "head_dim": 128}).rope.head_dim == 128
    assert from_hf_config({**BASE, "hidden_size": 5120}).rope.head_dim == 160
    assert from_hf_config({**BASE, "head_dim": None}).rope.head_dim == 128


def test_mla_rotates_only_the_rope_part() -> None:
    model = from_hf_config({**BASE, "qk_rope_head_dim": 64, "qk_nope_head_dim": 128})
    assert model.rope.head_dim == 64 and model.rope.rotary_dim == 64


def test_partial_rotary_and_neox_spelling() -> None:
    config = {"hidden_size": 6144, "num_attention_heads": 64, "max_position_embeddings": 2048,
              "rotary_emb_base": 10000, "rotary_pct": 0.25}
    assert from_hf_config(config).rope.rotary_dim == 24


def test_phi3_top_level_original_length_has_priority() -> None:
    config = {**BASE, "hidden_size": 3072, "original_max_position_embeddings": 4096,
              "rope_scaling": {"type": "su", "short_factor": [1.0] * 48, "long_factor": [2.0] * 48,
                               "original_max_position_embeddings": 999}}
    rope = from_hf_config(config).rope
    assert rope.rope_type == "longrope" and rope.original_max_position_embeddings == 4096


def test_gemma3_local_and_global_layers() -> None:
    config = {**BASE, "rope_theta": 1e6, "head_dim": 128, "rope_local_base_freq": 10000.0,
              "rope_scaling": {"rope_type": "linear", "factor": 8.0}}
    model = from_hf_config(config)
    assert model.layers["full_attention"].factor == 8.0 and model.layers["full_attention"].base == 1e6
    assert model.layers["sliding_attention"].rope_type == "default"
    assert model.layers["sliding_attention"].base == 10000.0


def test_per_layer_rope_parameters() -> None:
    config = {**BASE, "rope_parameters": {"full_attention": {"rope_type": "proportional", "rope_theta": 1e6,
                                                             "partial_rotary_factor": 0.25},
                                          "sliding_attention": {"rope_type": "default", "rope_theta": 1e4}}}
    model = from_hf_config(config)
    assert model.rope.rope_type == "proportional" and model.layers["sliding_attention"].base == 1e4


@pytest.mark.parametrize(("change", "key"), [
    ({"hidden_size": None, "num_attention_heads": None}, "hidden_size"),
    ({"rope_theta": "big"}, "rope_theta"),
    ({"rope_scaling": {"rope_type": "linear"}}, "factor"),
    ({"rope_scaling": {"rope_type": "linear", "factor": 0.5}}, "factor"),
    ({"rope_scaling": {"rope_type": "warp", "factor": 2.0}}, "rope_type"),
    ({"rope_scaling": {**LLAMA3, "high_freq_factor": None}}, "high_freq_factor"),
    ({"rope_scaling": {"rope_type": "longrope", "short_factor": [1.0] * 3, "long_factor": [1.0] * 64,
                       "original_max_position_embeddings": 4096}}, "short_factor"),
    ({"rope_scaling": {"rope_type": "longrope", "short_factor": [1.0] * 64, "long_factor": "x",
                       "original_max_position_embeddings": 4096}}, "long_factor"),
    ({"rope_scaling": [1, 2]}, "rope_scaling"),
    ({"max_position_embeddings": -5}, "max_position_embeddings"),
])
def test_malformed_configs_name_the_key(change: dict, key: str) -> None:
    config = {k: v for k, v in {**BASE, **change}.items() if v is not None}
    with pytest.raises(RopeSymError, match=key) as info:
        from_hf_config(config)
    assert isinstance(info.value, ValueError) and "\n" not in str(info.value)


def test_missing_file_and_bad_json(tmp_path: Path) -> None:
    with pytest.raises(InvalidRopeConfig, match="cannot read"):
        from_hf_config(tmp_path / "absent.json")
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(InvalidRopeConfig, match="not valid JSON"):
        from_hf_config(bad)


@pytest.mark.parametrize(("change", "fragment"), [
    ({"rope_theta": None}, "rope_theta"),
    ({"rope_scaling": {**LLAMA3, "high_freq_factor": 1.0}}, "no smoothing band"),
    ({"rope_scaling": {"rope_type": "yarn", "factor": 4.0}}, "original_max_position_embeddings"),
    ({"rope_scaling": {"rope_type": "yarn", "factor": 4.0, "original_max_position_embeddings": 4096}}, "factor"),
    ({"rope_scaling": {"rope_type": "linear", "factor": 2.0, "flavour": 1}}, "unrecognised"),
])
def test_where_transformers_warns_we_warn(change: dict, fragment: str) -> None:
    config = {k: v for k, v in {**BASE, **change}.items() if v is not None}
    with pytest.warns(UserWarning, match=fragment):
        from_hf_config(config)


def test_cli_bad_config_is_one_line_and_exit_2(tmp_path: Path) -> None:
    path = tmp_path / "config.json"
    path.write_text(json.dumps({**BASE, "rope_scaling": {"rope_type": "linear", "factor": 0.5}}))
    run = subprocess.run([sys.executable, "-m", "verify", "model", str(path)], capture_output=True, text=True)
    assert run.returncode == 2
    assert run.stderr.strip().count("\n") == 0 and "factor" in run.stderr


def test_longrope_with_an_original_length_of_one_is_refused_not_a_division_by_zero():
    """LongRoPE's attention factor sqrt(1 + ln s / ln L0) divides by ln 1 = 0 (transformers too raises
    ZeroDivisionError); the config is refused with a one-line error unless it gives its own attention factor."""
    config = {"hidden_size": 512, "num_attention_heads": 8, "max_position_embeddings": 16,
              "rope_scaling": {"rope_type": "longrope", "rope_theta": 1e4, "original_max_position_embeddings": 1,
                               "short_factor": [1.0] * 32, "long_factor": [2.0] * 32}}
    with pytest.raises(InvalidRopeConfig, match="original_max_position_embeddings' L0 >= 2"):
        from_hf_config(config)
    given = {**config, "rope_scaling": {**config["rope_scaling"], "attention_factor": 1.0}}
    assert from_hf_config(given).rope.attention_factor == 1.0


@pytest.mark.parametrize("fraction", [0.0, -1.0, 1.5, float("nan"), 0.001])
def test_a_proportional_rotary_factor_outside_its_range_is_one_line(fraction: float) -> None:
    """A proportional rope's ``partial_rotary_factor`` must lie in (0, 1] and rotate a pair (0.001 of 256 dims rotates
    none); it was accepted (0 rotated nothing, 1.5 more dims than the head has) or raised a bare ValueError."""
    from rope_sym.errors import InvalidRopeSpec  # InvalidRopeConfig's parent: a non-finite number is the spec's error
    from rope_sym.scaling import RopeConfig

    with pytest.raises(InvalidRopeSpec, match="partial_rotary_factor") as info:
        RopeConfig("proportional", 256, 1e6, fraction)
    assert "\n" not in str(info.value)
