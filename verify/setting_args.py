"""Command-line arguments shared by the commands that scan one RoPE setting (``erasure``, ``confirm``,
``attention``): the setting itself and, for the torch backend, the device."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Iterable
from functools import partial
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from rope_sym.pipelines import DTYPES, PIPELINES
from rope_sym.spectrum.rotation import interleaved_to_half
from rope_sym.spectrum.spec import RopeSpec
from verify.commands import UsageError
from verify.progress import progress


def add_setting_arguments(parser: argparse.ArgumentParser, default_context: float | None = None,
                          model_option: bool = False) -> None:
    """``--base --head-dim --context --dtype --pipeline --rotary-fraction`` (``model_option``: ``--model`` may
    stand for the first three)."""
    parser.add_argument("--base", type=float, required=not model_option, help="RoPE base (> 1)")
    parser.add_argument("--head-dim", type=float, required=not model_option, help="head dimension (even)")
    parser.add_argument("--context", type=float, required=default_context is None and not model_option,
                        default=default_context,
                        help="positions 0 .. L-1 are scanned (2 .. 2^26)"
                        + ("" if default_context is None else f"; default {default_context:.0f}"))
    parser.add_argument("--dtype", default="bf16", help=f"activation dtype ({', '.join(DTYPES)}; default bf16)")
    parser.add_argument("--pipeline", default="hf", help=f"pipeline ({', '.join(PIPELINES)}; default hf)")
    parser.add_argument("--rotary-fraction", type=float, default=1.0, help="fraction of the head that rotates")


def add_device_argument(parser: argparse.ArgumentParser) -> None:
    """``--device`` (torch backend) and ``--autocast``."""
    parser.add_argument("--device", default=None,
                        help="torch device: auto (the default: cuda when available, else cpu), cpu, cuda or cuda:N")
    parser.add_argument("--autocast", action="store_true",
                        help="run the torch code under torch.autocast(device, dtype), as mixed-precision models do")


def spec_from_args(args: argparse.Namespace) -> RopeSpec:
    """The ``RopeSpec`` named by the setting arguments (one-line errors for bad values)."""
    return RopeSpec(args.head_dim, args.base, args.rotary_fraction)


def progress_for(args: argparse.Namespace, label: str = "positions") -> Callable[[range], Iterable[int]]:
    """A progress bar over block starts, drawn on a terminal unless ``--json`` is given."""
    # the bar itself, not a wrapper around it: the engine calls into one file per block
    return partial(progress, label=label, enabled=sys.stderr.isatty() and not getattr(args, "json", False))


def parse_window(text: str) -> tuple[int, int]:
    """``START:END`` as two integers (argparse ``type``: a bad value is a one-line usage error)."""
    start, sep, end = text.partition(":")
    try:
        if not sep:
            raise ValueError
        return int(start), int(end)
    except ValueError:
        raise argparse.ArgumentTypeError(f"window must be START:END (two integers), got {text!r}") from None


def read_query(path: str, spec: RopeSpec, layout: str) -> NDArray[np.float64]:
    """A query vector from a JSON file (a list of ``head_dim`` numbers in ``layout``), in the half layout; the
    vector's own rules are the engine's (``rope_sym.erasure.engine.check_query``), named with the file."""
    from rope_sym.erasure.engine import check_query
    from rope_sym.errors import RopeSymError

    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise UsageError(f"--query {path}: cannot read it: {exc.strerror or exc}") from None
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        raise UsageError(f"--query {path}: not a JSON list of numbers") from None
    if not isinstance(data, list) or not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in data):
        raise UsageError(f"--query {path}: not a JSON list of numbers")
    try:
        query = check_query([float(v) for v in data], spec.head_dim)
    except (RopeSymError, OverflowError) as exc:
        raise UsageError(f"--query {path}: {exc}") from None
    return query if layout == "half" else interleaved_to_half(query, spec.rotary_dim).astype(np.float64)
