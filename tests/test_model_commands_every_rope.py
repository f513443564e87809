"""Every ``verify`` command that takes a model, driven with a hand-written config of every rope type
(``rope_sym.scaling.ROPE_TYPES``) in edge shapes: head dims 64/80/96/128/256, partial rotary factors, per-layer
``rope_parameters`` (sliding + full), NoPE layers, DeepSeek-style MLA (``qk_rope_head_dim``), tiny and huge
``max_position_embeddings``, factor 1, tiny and huge bases, fp16/bf16 and every pipeline.

Each case asserts the CLI contract: exit status 0 or 2, no traceback (the commands run in process, so an uncaught
exception fails the case with its traceback), a user error is one line on stderr, and ``--json`` output parses.
The keys follow the published configs (Hugging Face transformers 5 ``rope_parameters``: Llama 3.1's llama3 dict,
DeepSeek-V3's yarn dict, Phi-3.5's longrope with a top-level original length, InternLM2.5's dynamic, Gemma 3's
per-layer linear, Gemma 4's proportional, Llama 4's ``no_rope_layers``).
"""

from __future__ import annotations

import functools
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import rope_sym.models.gguf_config as gguf_config
from rope_sym.scaling import ROPE_TYPES
from verify.cli import main

# --------------------------------------------------------------------------------------------- the configs


def rope_parameters(rope_type: str, theta: float, rotary_pairs: int, context: int,
                    factor: float | None = None) -> dict[str, Any]:
    """A ``rope_parameters`` dict of ``rope_type`` with the keys its published users write (``factor`` overrides
    the type's usual factor; the original length is a fraction of ``context``, at least 1)."""
    def f(usual: float) -> float:
        return usual if factor is None else factor

    params: dict[str, Any]
    if rope_type == "default":
        params = {"rope_type": "default"}
    elif rope_type == "linear":  # Gemma 3's global layers
        params = {"rope_type": "linear", "factor": f(8.0)}
    elif rope_type == "dynamic":  # InternLM2.5
        params = {"rope_type": "dynamic", "factor": f(2.0)}
    elif rope_type == "yarn":  # DeepSeek-V3
        params = {"rope_type": "yarn", "factor": f(40.0), "original_max_position_embeddings": max(1, context // 40),
                  "beta_fast": 32, "beta_slow": 1, "mscale": 1.0, "mscale_all_dim": 1.0}
    elif rope_type == "llama3":  # Llama 3.1
        params = {"rope_type": "llama3", "factor": f(8.0), "low_freq_factor": 1.0, "high_freq_factor": 4.0,
                  "original_max_position_embeddings": max(1, context // 16)}
    elif rope_type == "longrope":  # Phi-3.5-mini (the original length at the top level there; here inside)
        params = {"rope_type": "longrope", "original_max_position_embeddings": max(1, context // 32),
                  "short_factor": [1.0 + 0.04 * i for i in range(rotary_pairs)],
                  "long_factor": [1.0 + 1.3 * i for i in range(rotary_pairs)]}
        if factor is not None:
            params["factor"] = factor
    elif rope_type == "proportional":  # Gemma 4's global layers: a quarter of the head rotates
        params = {"rope_type": "proportional", "partial_rotary_factor": 0.25}
        if factor is not None:
            params["factor"] = factor
    else:
        raise AssertionError(f"no hand-written config for rope type {rope_type!r}: add one")
    return {**params, "rope_theta": theta}


def model_config(rope_type: str, *, head_dim: int = 128, context: int = 32768, theta: float = 1e6,
                 fraction: float | None = None, layers: int = 4, factor: float | None = None) -> dict[str, Any]:
    """A Llama-shaped transformers 5 config with one ``rope_parameters`` of ``rope_type``."""
    fraction_here = 0.25 if rope_type == "proportional" and fraction is None else fraction
    rotary = head_dim if rope_type == "proportional" else int(head_dim * (fraction or 1.0))
    params = rope_parameters(rope_type, theta, rotary // 2, context, factor)
    if fraction_here is not None:
        params["partial_rotary_factor"] = fraction_here
    return {"architectures": ["LlamaForCausalLM"], "model_type": "llama", "hidden_size": 8 * head_dim,
            "num_attention_heads": 8, "num_key_value_heads": 2, "head_dim": head_dim, "num_hidden_layers": layers,
            "max_position_embeddings": context, "rope_parameters": params}


def per_layer(rope_type: str) -> dict[str, Any]:
    """Gemma-3/4 style: ``rope_parameters`` keyed by layer type, 5 sliding (base 1e4) : 1 full (``rope_type``)."""
    config = model_config(rope_type, head_dim=256, context=131072, layers=6)
    config.update(model_type="gemma3_text", architectures=["Gemma3ForCausalLM"], sliding_window=1024,
                  layer_types=["sliding_attention"] * 5 + ["full_attention"],
                  rope_parameters={"full_attention": config["rope_parameters"],
                                   "sliding_attention": {"rope_type": "default", "rope_theta": 10000.0}})
    return config


def nope_layers(rope_type: str, every: int = 4) -> dict[str, Any]:
    """Llama-4 style: ``no_rope_layers`` with a 0 (no RoPE) at every ``every``-th layer (``every=1``: none has
    RoPE)."""
    config = model_config(rope_type, layers=8)
    config["no_rope_layers"] = [int((i + 1) % every != 0) for i in range(8)]
    return config


def mla(rope_type: str) -> dict[str, Any]:
    """DeepSeek-V3 style multi-head latent attention: RoPE on ``qk_rope_head_dim`` 64 of each head only."""
    config = model_config(rope_type, head_dim=64, context=163840, theta=10000.0)
    del config["head_dim"]
    config.update(model_type="deepseek_v3", architectures=["DeepseekV3ForCausalLM"], hidden_size=7168,
                  num_attention_heads=128, qk_rope_head_dim=64, qk_nope_head_dim=128, v_head_dim=128)
    return config


SHAPES: dict[str, Any] = {
    **{f"head{d}": functools.partial(model_config, head_dim=d) for d in (64, 80, 96, 128, 256)},
    "partial0.25": functools.partial(model_config, fraction=0.25),
    "partial0.5": functools.partial(model_config, fraction=0.5),
    "per-layer": per_layer,
    "nope-every-4th": nope_layers,
    "nope-all": functools.partial(nope_layers, every=1),
    "mla": mla,
    **{f"context{n}": functools.partial(model_config, context=n) for n in (1, 2, 16, 2**31 - 1)},
    "factor1": functools.partial(model_config, factor=1.0),
    "base2": functools.partial(model_config, theta=2.0),
    "base1e9": functools.partial(model_config, theta=1e9),
}
"""The edge shapes, each a function of the rope type."""

MODEL_RUNS: dict[str, list[str]] = {
    "model": ["model", "{config}", "--json"],
    "model-bf16-native": ["model", "{config}", "--json", "--context", "512", "--dtype", "bf16", "--pipeline",
                          "native"],
    "model-fp16-invfreq": ["model", "{config}", "--json", "--dtype", "fp16", "--pipeline", "invfreq-cast"],
    "recommend": ["recommend", "--model", "{config}", "--json"],
    "recommend-target": ["recommend", "--model", "{config}", "--json", "--context", "65536", "--dtype", "bf16",
                         "--pipeline", "invfreq-cast"],
    "erasure": ["erasure", "--model", "{config}", "--context", "256", "--dtype", "fp16", "--json"],
}
"""The commands run on every (rope type, shape); options chosen to keep each fast (a small erasure context)."""

SLOW_RUNS = {("mla", "recommend-target")}
"""Left out for time: an MLA model (base 1e4, rotary dim 64) is outside at its own context, so the headroom
search for a target judges its full 400 retrofits (about 11 s) before it says no factor works."""

RETROFITS = ("yarn", "linear", "ntk", "dynamic", "llama3")
PLOT_KINDS = ("zone", "walls", "erasure")


@pytest.fixture(scope="module", autouse=True)
def gguf_metadata_read_once() -> Iterator[None]:
    """``verify model``/``recommend`` compare with the shipped evidence of the packaged models, whose GGUF metadata
    takes seconds to parse: parsed once here (the same file each time), so the hundreds of runs stay fast."""
    parse = gguf_config.gguf_hf_config

    @functools.cache
    def parsed(path: str) -> str:
        return json.dumps(parse(path))

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(gguf_config, "gguf_hf_config", lambda path: json.loads(parsed(str(path))))
        yield


@pytest.fixture(scope="module")
def config_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("every-rope")


def write_config(folder: Path, name: str, config: dict[str, Any]) -> Path:
    path = folder / f"{name}.json"
    path.write_text(json.dumps(config))
    return path


def run_cli(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    """Exit status, stdout and stderr of ``python -m verify ARGV`` run in this process (an uncaught exception, the
    traceback a user would see, propagates and fails the test)."""
    status = main(argv)
    out, err = capsys.readouterr()
    return status, out, err


def check_contract(argv: list[str], status: int, out: str, err: str) -> None:
    """Exit 0 or 2, no traceback, a user error in one line, ``--json`` output that parses."""
    assert status in (0, 2), f"exit {status} for {argv}: {err}"
    assert "Traceback" not in err and "Traceback" not in out
    if status == 2:
        errors = [line for line in err.splitlines() if line and not line.startswith("warning: ")]
        assert len(errors) == 1 and "error:" in errors[0], err
    elif "--json" in argv:
        json.loads(out)


# ------------------------------------------------------------------------------------------------ the cases


@pytest.mark.parametrize(("rope_type", "shape", "run"), [
    (rope_type, shape, run) for rope_type in ROPE_TYPES for shape in SHAPES for run in MODEL_RUNS
    if (shape, run) not in SLOW_RUNS])
def test_every_model_command_on_every_rope_type_and_shape(rope_type: str, shape: str, run: str, config_dir: Path,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    path = write_config(config_dir, f"{rope_type}-{shape}", SHAPES[shape](rope_type))
    argv = [str(path) if a == "{config}" else a for a in MODEL_RUNS[run]]
    check_contract(argv, *run_cli(argv, capsys))


@pytest.mark.parametrize("retrofit", RETROFITS)
@pytest.mark.parametrize("rope_type", ROPE_TYPES)
def test_every_retrofit_of_every_rope_type(rope_type: str, retrofit: str, config_dir: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    path = write_config(config_dir, f"{rope_type}-retrofit", model_config(rope_type, context=8192))
    argv = ["recommend", "--model", str(path), "--context", "131072", "--retrofit", retrofit, "--json"]
    check_contract(argv, *run_cli(argv, capsys))


@pytest.mark.parametrize("rope_type", ROPE_TYPES)
def test_plot_of_every_rope_type(rope_type: str, config_dir: Path, tmp_path: Path,
                                 capsys: pytest.CaptureFixture[str]) -> None:
    """One figure kind per rope type (each kind several times over the types): drawing takes about a second."""
    pytest.importorskip("matplotlib")
    kind = PLOT_KINDS[ROPE_TYPES.index(rope_type) % len(PLOT_KINDS)]
    path = write_config(config_dir, f"{rope_type}-plot", per_layer(rope_type) if kind == "zone"
                        else model_config(rope_type, context=4096))
    out = tmp_path / f"{rope_type}-{kind}.png"
    argv = ["plot", "--out", str(out), "--kind", kind, "--model", str(path)]
    status, stdout, err = run_cli(argv, capsys)
    check_contract(argv, status, stdout, err)
    assert status == 0 and out.stat().st_size > 0, err


@pytest.mark.parametrize("rope_type", ROPE_TYPES)
def test_probe_refuses_a_config_without_weights_in_one_line(rope_type: str, tmp_path: Path,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    """The probe's path that needs no torch model: a model directory holding only its config.json."""
    (tmp_path / "config.json").write_text(json.dumps(model_config(rope_type)))
    argv = ["probe", "retrieval", "--model", str(tmp_path), "--json"]
    status, out, err = run_cli(argv, capsys)
    check_contract(argv, status, out, err)
    assert status == 2


@pytest.mark.parametrize(("dtype", "pipeline"), [("fp16", "invfreq-cast"), ("bf16", "native")])
def test_models_table_in_low_precision(dtype: str, pipeline: str, capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["models", "--json", "--dtype", dtype, "--pipeline", pipeline]
    check_contract(argv, *run_cli(argv, capsys))


# ------------------------------------------------------------------------------------ the bugs this drive found


def test_erasure_of_a_proportional_model_scans_its_rotating_pairs(config_dir: Path,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    """``erasure --model`` handed a proportional rope's head_dim/2 frequencies (NoPE pairs included) to a scan of
    its rotary pairs and refused its own setting ("frequencies must hold 16 values ... got shape (64,)")."""
    path = write_config(config_dir, "gemma4-like", per_layer("proportional"))
    status, out, err = run_cli(["erasure", "--model", str(path), "--context", "256", "--no-attention", "--json"],
                               capsys)
    assert status == 0, err
    scan = json.loads(out)
    assert (scan["head_dim"], scan["rotary_dim"], len(scan["adjacent_erasure"])) == (256, 64, 32)


@pytest.mark.parametrize("argv", [
    ["zone", "--base", "1e9", "--head-dim", "128", "--context", "4096", "--dtype", "fp16", "--pipeline",
     "invfreq-cast", "--json"],
])
def test_no_traceback_from_a_separate_process(argv: list[str]) -> None:
    """End to end through ``python -m verify`` (fp16 flushes the slow inv_freq of a 1e9 base to 0: this crashed
    with ZeroDivisionError)."""
    proc = subprocess.run([sys.executable, "-m", "verify", *argv], capture_output=True, text=True, timeout=120)
    check_contract(argv, proc.returncode, proc.stdout, proc.stderr)
    assert proc.returncode == 0


def test_erasure_of_a_proportional_model_whose_fraction_does_not_divide_the_head(tmp_path: Path,
                                                                                  capsys: pytest.CaptureFixture[str]
                                                                                  ) -> None:
    """Head dim 44 at factor 0.7 rotates 2 * int(30.8 // 2) = 30 dims; rebuilding a fraction 30/44 of the head
    rounded back to 29 (odd) and refused the model's own setting. The scan is of the 15 rotating pairs."""
    config = model_config("proportional", head_dim=44, fraction=0.7)
    path = tmp_path / "config.json"
    path.write_text(json.dumps(config))
    status, out, err = run_cli(["erasure", "--model", str(path), "--context", "256", "--json"], capsys)
    assert status == 0, err
    scan = json.loads(out)
    assert (scan["head_dim"], scan["rotary_dim"], len(scan["adjacent_erasure"])) == (44, 30, 15)
