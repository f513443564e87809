"""The error contract: bad input is a ``RopeSymError`` naming the input (library), one line on stderr and exit 2
(CLI), never a traceback and never silently wrong figures."""

from __future__ import annotations

import json

import numpy as np
import pytest

from rope_sym import RopeSpec, RopeSymError, frequencies_mp
from rope_sym.bounds import depth_base, theta_min_of, zone_report
from rope_sym.erasure import ERASED_FRACTION, erased_mask, erasure_scan
from rope_sym.models import from_hf_config
from rope_sym.scaling import RopeConfig, inv_freq
from verify.cli import main

BIG = 10**400


@pytest.mark.parametrize(("call", "message"), [
    (lambda: RopeSpec(int(1e9), 1e4), "head dim must be at most 16384"),
    (lambda: RopeSpec(BIG, 1e4), "head dim must be at most 16384, got an integer of 401 digits"),
    (lambda: RopeSpec(128, BIG), "base must be finite, got an integer of 401 digits"),
    (lambda: RopeSpec(128, 1e4 + 0j), "base must be a real number"),
    (lambda: RopeSpec(True, 1e4), "head dim must be an integer"),
    (lambda: depth_base(4096, 128, 0.5, BIG), "depth must be at most"),
    (lambda: zone_report(1e4, BIG, 128), "context must be finite"),
    (lambda: theta_min_of(1.0, 128), "base must be greater than 1"),
    (lambda: frequencies_mp(RopeSpec(8, 1e4), dps=0), "dps must be at least 1"),
    (lambda: inv_freq(RopeConfig("default", 128, 1e4), seq_len=-5), "seq_len must be positive"),
    (lambda: RopeConfig("llama3", 128, 5e5, factor=8.0, original_max_position_embeddings=8192,
                        low_freq_factor=0.0, high_freq_factor=4.0), "'low_freq_factor' must be a finite number > 0"),
    (lambda: erasure_scan(RopeSpec(8, 1e4), 64, chunk=-1), "chunk must be at least 1"),
    (lambda: erasure_scan(RopeSpec(8, 1e4), 64, chunk=0), "chunk must be at least 1"),
    (lambda: erasure_scan(RopeSpec(8, 1e4), 64, device="cpu"), "apply to the torch backend only"),
    (lambda: erasure_scan(RopeSpec(8, 1e4), 64, autocast=True), "apply to the torch backend only"),
    (lambda: erasure_scan(RopeSpec(8, 1e4), 64, backend="jax"), "unknown backend 'jax'"),
    (lambda: erasure_scan(RopeSpec(8, 1e4), 64, probes=[64]), "probe positions must lie in 0 .. 63"),
])
def test_library_refuses_with_one_sentence(call, message):
    with pytest.raises(RopeSymError, match=message) as info:
        call()
    assert "\n" not in str(info.value)


def test_config_files_that_are_not_configs(tmp_path):
    binary = tmp_path / "binary.json"
    binary.write_bytes(b'{"rope_theta": \xff\xfe}')
    nested = tmp_path / "nested.json"
    nested.write_text("[" * 100_000 + "]" * 100_000)
    for path, message in [(binary, "is not UTF-8 text"), (nested, "nested too deeply"),
                          (tmp_path, "is a directory"), (tmp_path / "missing.json", "cannot read config")]:
        with pytest.raises(RopeSymError, match=message):
            from_hf_config(path)


@pytest.mark.parametrize("argv", [
    ["erasure", "--base", "1e4", "--head-dim", "8", "--context", "64", "--chunk", "-1"],
    ["erasure", "--base", "1e4", "--head-dim", "8", "--context", "64", "--chunk", "0"],
    ["erasure", "--base", "1e4", "--head-dim", "1000000000", "--context", "64"],
    ["zone", "--base", "1e4", "--head-dim", "128", "--context", "4096", "--depth", str(BIG)],
    ["zone", "--base", "1e4", "--head-dim", str(BIG), "--context", "4096"],
])
def test_cli_refuses_in_one_line(argv, capsys):
    assert main(argv) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.count("\n") == 1 and "Traceback" not in err, err


def test_erasure_threshold_is_strictly_above_one_half():
    # a pair on exactly one half of its steps is not erased; one step more and it is
    assert ERASED_FRACTION == 0.5
    assert erased_mask([0.5, 0.5 + 2**-52, 0.25]).tolist() == [False, True, False]
    # a real scan whose slowest pair sits on 1/2 exactly: L = 3 positions, 2 steps, one of them unchanged
    spec = RopeSpec(2, 1e4)
    r = erasure_scan(spec, 3, "bf16", "native", attention=False, probes=[])
    steps = np.array(r.adjacent_erasure) * (r.context - 1)
    assert np.allclose(steps, np.round(steps))
    assert r.erased_pairs == int(np.sum(np.array(r.adjacent_erasure) > 0.5))


def test_model_without_context_says_to_give_it(capsys, tmp_path):
    path = tmp_path / "config.json"
    path.write_text(json.dumps({"head_dim": 128, "rope_theta": 1e4, "num_hidden_layers": 4}))
    assert main(["model", str(path)]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.count("\n") == 1 and "--context" in err, err


SETTING = ["--base", "1e4", "--head-dim", "8", "--context", "64"]

# one bad input per command, each refused in one line with exit 2 and nothing on stdout
EVERY_COMMAND_BAD_INPUT = {
    "zone": ["zone", "--base", "0.5", "--context", "4096", "--head-dim", "128"],
    "model": ["model", "No-Such-Model-7B"],
    "models": ["models", "--dtype", "fp7"],
    "erasure": ["erasure", "--base", "1e4", "--head-dim", "7", "--context", "64"],
    "attention": ["attention", *SETTING, "--channel", "nonsense"],
    "confirm": ["confirm", "--base", "1e4", "--head-dim", "8", "--context", "-3"],
    "plot": ["plot", "--out", "zone.bmpx"],
    "latex": ["latex"],
    "bench": ["bench", "no-such-bench"],
    "claims": ["claims", "no-such-claim"],
    "checks": ["no-such-check"],
    "all": ["all", "--json-out", "/no/such/dir/out.json"],
    "recommend": ["recommend", "--context", "4096", "--head-dim", "7"],
    "probe": ["probe", "retrieval", "--trials", "0"],
}


@pytest.mark.parametrize("argv", EVERY_COMMAND_BAD_INPUT.values(), ids=EVERY_COMMAND_BAD_INPUT.keys())
def test_every_command_refuses_bad_input_in_one_line(argv, capsys):
    assert main(argv) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.count("\n") == 1 and "Traceback" not in err, (out, err)
    assert err.startswith("python -m verify"), err


def test_every_command_has_a_bad_input_case():
    from verify.commands import COMMANDS

    assert set(COMMANDS.names()) <= set(EVERY_COMMAND_BAD_INPUT)


def _output_cases(tmp_path):
    existing_file = tmp_path / "file.txt"
    existing_file.write_text("x")
    return [
        (["all", "--json-out", str(tmp_path / "missing" / "r.json")], "does not exist"),
        (["all", "--json-out", str(tmp_path)], "is a directory"),
        (["bench", "--quick", "--json-out", str(tmp_path / "missing" / "b.json")], "does not exist"),
        (["zone", "--base", "1e4", "--context", "64", "--head-dim", "8", "--json-out", str(tmp_path)],
         "is a directory"),
        (["plot", "--out", str(tmp_path / "missing" / "zone.png")], "does not exist"),
        (["plot", "--out", str(tmp_path)], "is a directory"),
        (["plot", "--out", str(tmp_path / "zone.jpgx")], "unknown file type '.jpgx'"),
        (["plot", "--out", str(tmp_path / "zone")], "unknown file type '(no suffix)'"),
        (["latex", "--out", str(existing_file)], "is a file, not a directory"),
        (["latex", "--out", str(existing_file / "sub")], "is not a directory"),
    ]


def test_output_paths_are_checked_before_the_work(tmp_path, capsys, monkeypatch):
    import verify.checks as checks

    def no_work(*args, **kwargs):
        raise AssertionError("the work ran before the output path was checked")

    monkeypatch.setattr(checks, "run_check", no_work)
    monkeypatch.setattr("verify.cli.run_check", no_work)
    for argv, message in _output_cases(tmp_path):
        assert main(argv) == 2, argv
        out, err = capsys.readouterr()
        assert out == "" and err.count("\n") == 1 and message in err, (argv, err)


def test_a_write_failure_on_a_device_is_one_line(capsys):
    from pathlib import Path

    if not Path("/dev/full").exists():
        pytest.skip("no /dev/full on this system")
    assert main(["latex", "--format", "text", "--out", "/dev/full/x"]) == 2
    assert main(["zone", "--base", "1e4", "--context", "4096", "--head-dim", "128"]) == 0
    capsys.readouterr()
    from verify.commands import UsageError
    from verify.output_paths import write_text

    with pytest.raises(UsageError, match="cannot write /dev/full: No space left on device"):
        write_text("/dev/full", "x" * 100_000)


def test_an_existing_output_file_is_overwritten(tmp_path, capsys):
    target = tmp_path / "old.json"
    target.write_text("stale")
    assert main(["bench", "rounding", "--quick", "--json-out", str(target)]) == 0
    capsys.readouterr()
    assert json.loads(target.read_text())["rounding"]["rows"]


def test_ctrl_c_while_the_toolkit_imports_is_one_line_and_130():
    import subprocess
    import sys

    # a KeyboardInterrupt raised from inside the import of the heavy modules, deterministically
    program = (
        "import builtins, runpy, sys\n"
        "real = builtins.__import__\n"
        "def interrupting(name, *args, **kwargs):\n"
        "    if name.startswith('rope_sym.bounds'):\n"
        "        raise KeyboardInterrupt\n"
        "    return real(name, *args, **kwargs)\n"
        "builtins.__import__ = interrupting\n"
        "sys.argv = ['verify', 'zone', '--base', '1e4', '--context', '4096', '--head-dim', '128']\n"
        "runpy.run_module('verify', run_name='__main__')\n"
    )
    done = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, timeout=60)
    assert done.returncode == 130, done
    assert done.stdout == "" and done.stderr == "interrupted\n", done.stderr


ZONE_ARGS = ("zone", "--base", "1e4", "--context", "4096", "--head-dim", "128")


def _interrupt_after_launcher(delay: float) -> tuple[int, str]:
    """Run ``python -m verify zone ...``, send a real SIGINT ``delay`` seconds after the launcher has loaded
    (``-X importtime`` reports each import on stderr as it completes), and return the exit status and stderr
    without the import-time lines."""
    import signal
    import subprocess
    import sys
    import time

    proc = subprocess.Popen([sys.executable, "-X", "importtime", "-m", "verify", *ZONE_ARGS],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stderr is not None
    for line in proc.stderr:
        if line.rstrip().endswith("verify.launcher"):
            if delay:
                time.sleep(delay)
            proc.send_signal(signal.SIGINT)
            break
    _, rest = proc.communicate(timeout=60)
    return proc.returncode, "\n".join(ln for ln in rest.splitlines() if not ln.startswith("import time:"))


def _assert_interrupted_cleanly(status: int, err: str) -> None:
    assert "Traceback" not in err, err
    # interrupted (130) or finished before the signal came (0); never killed by it (-2), which Python's own
    # finalisation would allow
    assert status in (130, 0), (status, err)
    if status == 130:
        assert err == "interrupted", err


def test_a_real_sigint_during_start_up_never_prints_a_traceback():
    _assert_interrupted_cleanly(*_interrupt_after_launcher(0.0))


def test_real_sigints_at_every_moment_of_a_run_are_one_line_and_130():
    """A loop of real signals at delays spread over a whole run (start-up imports, the work, the exit): the
    window between the launcher's import and its ``try`` was where a traceback could escape."""
    import subprocess
    import sys
    import time

    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "verify", *ZONE_ARGS], capture_output=True, timeout=60, check=True)
    lifetime = time.perf_counter() - start
    outcomes = []
    for i in range(16):
        status, err = _interrupt_after_launcher(lifetime * i / 12)  # the last few land after the exit
        _assert_interrupted_cleanly(status, err)
        outcomes.append(status)
    assert outcomes.count(130) >= 4, outcomes  # most delays interrupt the run (the test tests something)
