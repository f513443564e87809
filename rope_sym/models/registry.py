"""A registry of real models' RoPE settings, as Hugging Face config fragments with their sources.

Each entry holds the keys of the model's ``config.json`` that RoPE reads (read by ``rope_sym.models.hf_config``),
the source the values were taken from (a public file, cited as ``owner/name:path@commit``), and a note on anything
secondary or unconfirmed.

>>> len(MODELS) >= 20
True
>>> get_model("Llama-3.1-8B").rope.rope_type
'llama3'
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from rope_sym.errors import RopeSymError
from rope_sym.models.hf_config import ModelRope, from_hf_config


class UnknownModel(RopeSymError):
    """A model name is not in the registry."""


@dataclass(frozen=True)
class ModelEntry:
    """A registry row: the model's name, its config fragment, the source of the values and a note."""

    name: str
    config: Mapping[str, Any]
    source: str
    note: str = ""


_PHI35_SHORT = ([1.0, 1.0199999809265137, 1.0299999713897705, 1.0299999713897705, 1.0499999523162842,
                 1.0499999523162842, 1.0499999523162842, 1.0499999523162842, 1.0499999523162842, 1.0699999332427979,
                 1.0999999046325684, 1.1099998950958252, 1.1599998474121094, 1.1599998474121094, 1.1699998378753662,
                 1.2899998426437378, 1.339999794960022, 1.679999828338623, 1.7899998426437378, 1.8199998140335083,
                 1.8499997854232788, 1.8799997568130493, 1.9099997282028198, 1.9399996995925903, 1.9899996519088745]
                + [2.0199997425079346] * 6 + [2.0299997329711914] * 9
                + [2.0799996852874756, 2.0899996757507324, 2.189999580383301, 2.2199995517730713, 2.5899994373321533,
                   2.729999542236328, 2.749999523162842, 2.8399994373321533])
_PHI35_LONG = [1.0800000429153442, 1.1100000143051147, 1.1399999856948853, 1.340000033378601, 1.5899999141693115,
               1.600000023841858, 1.6200000047683716, 2.620000123977661, 3.2300000190734863, 3.2300000190734863,
               4.789999961853027, 7.400000095367432, 7.700000286102295, 9.09000015258789, 12.199999809265137,
               17.670000076293945, 24.46000099182129, 28.57000160217285, 30.420001983642578, 30.840002059936523,
               32.590003967285156, 32.93000411987305, 42.320003509521484, 44.96000289916992, 50.340003967285156,
               50.45000457763672, 57.55000305175781, 57.93000411987305, 58.21000289916992, 60.1400032043457,
               62.61000442504883, 62.62000274658203, 62.71000289916992, 63.1400032043457, 63.1400032043457,
               63.77000427246094, 63.93000411987305, 63.96000289916992, 63.970001220703125, 64.02999877929688,
               64.06999969482422, 64.08000183105469, 64.12000274658203, 64.41000366210938, 64.4800033569336,
               64.51000213623047, 64.52999877929688, 64.83999633789062]


def _cfg(hidden: int, heads: int, layers: int, context: int, theta: float, **extra: Any) -> dict[str, Any]:
    return {"hidden_size": hidden, "num_attention_heads": heads, "num_hidden_layers": layers,
            "max_position_embeddings": context, "rope_theta": theta, **extra}


_LLAMA3 = {"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0,
           "original_max_position_embeddings": 8192}
_DEEPSEEK_YARN = {"type": "yarn", "factor": 40.0, "original_max_position_embeddings": 4096, "beta_fast": 32,
                  "beta_slow": 1}

REGISTRY: tuple[ModelEntry, ...] = (
    ModelEntry("Llama-2-7B", _cfg(4096, 32, 32, 4096, 10000.0),
               "meta-llama/llama:llama/model.py@689c7f26 (theta 10000); transformers convert_llama_weights_to_hf.py "
               "(context 4096)", "rope_theta absent in the HF config; 10000 is the default"),
    ModelEntry("Llama-3-8B", _cfg(4096, 32, 32, 8192, 500000.0),
               "kevinstephano/thunder_model_blocks:llama/llama_3_8B_Instruct_config.py@5c083b0e (verbatim)"),
    ModelEntry("Llama-3.1-8B", _cfg(4096, 32, 32, 131072, 500000.0, rope_scaling=dict(_LLAMA3)),
               "mlc-ai/mlc-llm:python/mlc_llm/model/model_preset.py@79d603f0 llama3_1_8b (verbatim copy)"),
    ModelEntry("Llama-3.2-1B", _cfg(2048, 32, 16, 131072, 500000.0, head_dim=64,
                                    rope_scaling={**_LLAMA3, "factor": 32.0}),
               "kevinstephano/thunder_model_blocks:llama/llama_config.py@5c083b0e (verbatim Llama-3.2-1B-Instruct)"),
    ModelEntry("Llama-4-Scout-17B-16E", _cfg(5120, 40, 48, 10485760, 500000.0, head_dim=128, rope_scaling={
        "rope_type": "llama3", "factor": 16.0, "low_freq_factor": 1.0, "high_freq_factor": 1.0,
        "original_max_position_embeddings": 8192}, attention_chunk_size=8192,
        no_rope_layers=[int((i + 1) % 4 != 0) for i in range(48)]),
               "meta-llama/llama-models:models/llama4/args.py@a9c89c47; jax-ml/jax-llm-examples llama4 configs",
               "every 4th layer is NoPE and RoPE layers use chunked attention (8192); low == high freq factor"),
    ModelEntry("CodeLlama-7B", _cfg(4096, 32, 32, 16384, 1000000.0),
               "codellama/CodeLlama-7b-hf via mlc preset codellama_7b; meta-llama/codellama@e81b597e"),
    ModelEntry("Mistral-7B-v0.1", _cfg(4096, 32, 32, 32768, 10000.0, sliding_window=4096),
               "mlc preset mistral_7b; litgpt Mistral-7B-v0.1", "sliding window 4096"),
    ModelEntry("Mistral-7B-v0.2", _cfg(4096, 32, 32, 32768, 1000000.0),
               "mlc preset mistral_7b_v03; litgpt Mistral-7B-v0.2"),
    ModelEntry("Mixtral-8x7B", _cfg(4096, 32, 32, 32768, 1000000.0), "mlc preset Mixtral-8x7B-v0.1; litgpt"),
    ModelEntry("Mistral-Nemo-12B", _cfg(5120, 32, 40, 128000, 1000000.0, head_dim=128),
               "kevinstephano/thunder_model_blocks:mistral/mistral_config.py (verbatim)", "head_dim 128, not 160"),
    ModelEntry("DeepSeek-V2-Lite", _cfg(2048, 16, 27, 163840, 10000.0, qk_rope_head_dim=64, rope_scaling={
        **_DEEPSEEK_YARN, "mscale": 0.707, "mscale_all_dim": 0.707}),
               "mlc preset deepseek_v2_lite (verbatim); deepseek-ai/DeepSeek-V3:inference/configs/config_16B.json",
               "MLA: RoPE on qk_rope_head_dim = 64"),
    ModelEntry("DeepSeek-V2", _cfg(5120, 128, 60, 163840, 10000.0, qk_rope_head_dim=64, rope_scaling={
        **_DEEPSEEK_YARN, "mscale": 0.707, "mscale_all_dim": 0.707}),
               "deepseek-ai/DeepSeek-V3:inference/configs/config_236B.json@9b4e9788; mscale pair from public copies",
               "MLA rope dim 64; mscale pair secondary"),
    ModelEntry("DeepSeek-V3", _cfg(7168, 128, 61, 163840, 10000.0, qk_rope_head_dim=64, rope_scaling={
        **_DEEPSEEK_YARN, "mscale": 1.0, "mscale_all_dim": 1.0}),
               "deepseek-ai/DeepSeek-V3:inference/model.py@9b4e9788 and configs/config_671B.json",
               "MLA rope dim 64; DeepSeek scales the softmax by mscale^2 instead of cos/sin"),
    ModelEntry("Qwen2.5-7B", _cfg(3584, 28, 28, 131072, 1000000.0),
               "litgpt Qwen2.5-7B; QwenLM/Qwen3 docs (128K with YaRN for Instruct)"),
    ModelEntry("Qwen2.5-7B-Instruct-1M", _cfg(3584, 28, 28, 1010000, 10000000.0),
               "litgpt Qwen2.5-7B-Instruct-1M; QwenLM/qwenlm.github.io:content/blog/qwen2.5-1m/index.md@1f89f8c8",
               "dual-chunk attention at inference not modelled"),
    ModelEntry("Qwen3-8B", _cfg(4096, 32, 36, 40960, 1000000.0, head_dim=128),
               "litgpt Qwen3-8B; QwenLM/Qwen3:docs/source/inference/transformers.md"),
    ModelEntry("Qwen3-8B-YaRN-128K", _cfg(4096, 32, 36, 131072, 1000000.0, head_dim=128, rope_scaling={
        "rope_type": "yarn", "factor": 4.0, "original_max_position_embeddings": 32768}),
               "QwenLM/Qwen3:docs/source/inference/transformers.md (documented YaRN snippet)",
               "max_position_embeddings set to 131072 = 4 * 32768 as the docs advise"),
    ModelEntry("Gemma-2-9B", _cfg(3584, 16, 42, 8192, 10000.0, head_dim=256, sliding_window=4096,
                                  layer_types=["sliding_attention" if (i + 1) % 2 else "full_attention"
                                               for i in range(42)]),
               "kevinstephano/thunder_model_blocks:gemma2/gemma2_config.py (verbatim gemma-2-9b-it)",
               "alternating local (window 4096) / global layers, same base"),
    ModelEntry("Gemma-3-27B", _cfg(5376, 32, 62, 131072, 1000000.0, head_dim=128, rope_local_base_freq=10000.0,
                                   rope_scaling={"rope_type": "linear", "factor": 8.0}, sliding_window=1024,
                                   layer_types=["sliding_attention" if (i + 1) % 6 else "full_attention"
                                                for i in range(62)]),
               "google-deepmind/gemma:gemma/gm/nn/_gemma.py@7691fd4e; litgpt Gemma-3-27b-it",
               "global layers: base 1e6, linear x8; local layers (window 1024): base 1e4 unscaled"),
    ModelEntry("Phi-3.5-mini", _cfg(3072, 32, 32, 131072, 10000.0, original_max_position_embeddings=4096,
                                    rope_scaling={"type": "longrope", "short_factor": _PHI35_SHORT,
                                                  "long_factor": _PHI35_LONG}),
               "mlc preset phi-3_5 (verbatim Phi-3.5-mini-instruct config)"),
    ModelEntry("InternLM2.5-7B", _cfg(4096, 32, 32, 32768, 1000000.0, rope_scaling={"type": "dynamic", "factor": 2.0}),
               "mlc-ai/mlc-llm:python/mlc_llm/model/model_preset.py@79d603f0 internlm2_5_7b (preset copy)",
               "dynamic NTK: the spectrum changes only past max_position_embeddings; preset unnamed (secondary)"),
    ModelEntry("GPT-NeoX-20B", _cfg(6144, 64, 44, 2048, 10000.0, partial_rotary_factor=0.25),
               "EleutherAI/gpt-neox:configs/20B.yml@ea7aefd8 (rotary_pct 0.25)", "rotary dim 24 of 96"),
    ModelEntry("Pythia-1.4B", _cfg(2048, 16, 24, 2048, 10000.0, partial_rotary_factor=0.25),
               "EleutherAI/pythia:models/1.4B/pythia-1-4b.yml@a19eecb8", "rotary dim 32 of 128"),
    ModelEntry("Falcon-7B", _cfg(4544, 71, 32, 2048, 10000.0),
               "litgpt falcon-7b (theta is the FalconConfig default)", "head dim 64 = 4544 // 71"),
    ModelEntry("Command-R", _cfg(8192, 64, 40, 8192, 8000000.0),
               "HF-config-shaped fixture test_commandr_config_from_hf (secondary)", "advertised 128K context"),
    ModelEntry("gpt-oss-20b", _cfg(2880, 64, 24, 131072, 150000.0, head_dim=64, rope_scaling={
        "rope_type": "yarn", "factor": 32.0, "original_max_position_embeddings": 4096, "beta_fast": 32.0,
        "beta_slow": 1.0, "truncate": False}),
               "fixture generator (secondary)", "layer count and hidden size UNCONFIRMED (24, 2880)"),
)

MODELS: dict[str, ModelEntry] = {entry.name: entry for entry in REGISTRY}


def find_entry(name: str) -> ModelEntry:
    """The registry entry by name (case-insensitive)."""
    for entry in REGISTRY:
        if entry.name.lower() == name.lower():
            return entry
    raise UnknownModel(f"unknown model {name!r} (known: {', '.join(MODELS)})")


HUB_IDS: dict[str, tuple[str, ...]] = {
    "Llama-2-7B": ("meta-llama/Llama-2-7b-hf", "meta-llama/Llama-2-7b-chat-hf"),
    "Llama-3-8B": ("meta-llama/Meta-Llama-3-8B", "meta-llama/Meta-Llama-3-8B-Instruct"),
    "Llama-3.1-8B": ("meta-llama/Llama-3.1-8B", "meta-llama/Llama-3.1-8B-Instruct", "meta-llama/Meta-Llama-3.1-8B",
                     "meta-llama/Meta-Llama-3.1-8B-Instruct"),
    "Llama-3.2-1B": ("meta-llama/Llama-3.2-1B", "meta-llama/Llama-3.2-1B-Instruct"),
    "Llama-4-Scout-17B-16E": ("meta-llama/Llama-4-Scout-17B-16E", "meta-llama/Llama-4-Scout-17B-16E-Instruct"),
    "CodeLlama-7B": ("codellama/CodeLlama-7b-hf",),
    "Mistral-7B-v0.1": ("mistralai/Mistral-7B-v0.1",),
    "Mixtral-8x7B": ("mistralai/Mixtral-8x7B-v0.1", "mistralai/Mixtral-8x7B-Instruct-v0.1"),
    "Mistral-Nemo-12B": ("mistralai/Mistral-Nemo-Base-2407", "mistralai/Mistral-Nemo-Instruct-2407"),
    "DeepSeek-V2-Lite": ("deepseek-ai/DeepSeek-V2-Lite", "deepseek-ai/DeepSeek-V2-Lite-Chat"),
    "DeepSeek-V2": ("deepseek-ai/DeepSeek-V2", "deepseek-ai/DeepSeek-V2-Chat"),
    "DeepSeek-V3": ("deepseek-ai/DeepSeek-V3", "deepseek-ai/DeepSeek-V3-Base"),
    "Qwen2.5-7B": ("Qwen/Qwen2.5-7B",),
    "Qwen2.5-7B-Instruct-1M": ("Qwen/Qwen2.5-7B-Instruct-1M",),
    "Qwen3-8B": ("Qwen/Qwen3-8B",),
    "Gemma-2-9B": ("google/gemma-2-9b", "google/gemma-2-9b-it"),
    "Gemma-3-27B": ("google/gemma-3-27b-it", "google/gemma-3-27b-pt"),
    "Phi-3.5-mini": ("microsoft/Phi-3.5-mini-instruct",),
    "GPT-NeoX-20B": ("EleutherAI/gpt-neox-20b",),
    "Pythia-1.4B": ("EleutherAI/pythia-1.4b",),
    "Falcon-7B": ("tiiuae/falcon-7b",),
    "Command-R": ("CohereForAI/c4ai-command-r-v01",),
    "gpt-oss-20b": ("openai/gpt-oss-20b",),
}
"""Hugging Face hub ids whose ``config.json`` a registry entry describes (matched on the repository name, so a
local copy named after it matches too)."""


def registry_entry_for(hint: str | None) -> ModelEntry | None:
    """The registry entry whose hub ids name the same repository as ``hint`` (a hub id, ``_name_or_path`` or a
    directory; compared on the last path component, case-insensitively), or None."""
    if not hint:
        return None
    repo = hint.rstrip("/").replace("\\", "/").split("/")[-1].lower()
    for name, ids in HUB_IDS.items():
        if any(repo == hub_id.split("/")[-1].lower() for hub_id in ids):
            return MODELS[name]
    return None


def registry_disagreements(model: ModelRope, hint: str | None = None) -> list[str]:
    """One sentence per RoPE fact (context, base) where a config read from elsewhere disagrees with the registry
    entry of the same model (``registry_entry_for`` the hint, else the config's ``_name_or_path``); empty when
    none does or no entry matches. The config's own value is what rope-sym uses; the sentence says so."""
    entry = registry_entry_for(hint) or registry_entry_for(model.hub_id)
    if entry is None:
        return []
    known = from_hf_config(entry.config, name=entry.name)
    out = []
    if model.context is not None and known.context is not None and model.context != known.context:
        out.append(f"{model.name}: max_position_embeddings {model.context:,} disagrees with the registry's "
                   f"{entry.name} ({known.context:,}); the config's value is used")
    if model.rope.base != known.rope.base:
        out.append(f"{model.name}: rope_theta {model.rope.base:g} disagrees with the registry's {entry.name} "
                   f"({known.rope.base:g}); the config's value is used")
    return out


def get_model(name: str) -> ModelRope:
    """The parsed RoPE settings of a registry model."""
    entry = find_entry(name)
    return from_hf_config(entry.config, name=entry.name)
