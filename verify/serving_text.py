"""The text of ``verify recommend --model``'s retrofit blocks: JSON and shell commands wrapped to the terminal,
each line pasteable (shell continuations end in a backslash; JSON inside single quotes may span lines)."""

from __future__ import annotations

import json
import shlex
import textwrap
from typing import Any

from verify.report import format_number


def shell_lines(tokens: list[str], width: int, indent: str = "    ") -> list[str]:
    """A command's tokens (already shell-quoted) as lines no wider than ``width`` where a break is possible: each
    line but the last ends in `` \\``, continuation lines are indented by two more spaces; a token holding a
    newline (quoted JSON) keeps its own lines."""
    lines: list[str] = []
    current = indent
    for token in tokens:
        first = token.split("\n")[0]
        if current.strip() and len(current) + 1 + len(first) + 2 > width:
            lines.append(current + " \\")
            current = indent + "  "
        current = current + ("" if not current.strip() else " ") + token
    lines.append(current)
    return "\n".join(lines).split("\n")


def wrap(text: str, width: int, indent: str = "  ") -> list[str]:
    """Prose as lines no wider than ``width``: the first at ``indent``, the rest two spaces deeper."""
    return textwrap.wrap(text, width, initial_indent=indent, subsequent_indent=indent + "  ",
                         break_on_hyphens=False) or [indent]


def render_serving(blocks: dict[str, Any], width: int, headroom: dict[str, Any] | None = None) -> str:
    """The retrofit as text: the judge's verdict and margin, the Hugging Face blocks (v5 and v4), the vLLM and
    llama.cpp commands, and the round trip."""
    judge, rt = blocks["judge"], blocks["round_trip"]
    kind = blocks["kind"]
    size = (f"base {format_number(blocks['base'])}" if kind == "ntk" else f"factor {blocks['factor']:g} over "
            f"{blocks['original']:,} tokens")
    out = wrap(f"retrofit {kind}: {size} (s = {blocks['s']:.4g} on the effective spectrum); judged "
               f"{judge['verdict']} at {judge['context']:,} tokens, margin {judge['margin_decades']:+.2f} decades "
               f"({judge['binding']} binds)", width)
    if headroom is not None:
        out += wrap(f"headroom: minimal s {headroom['minimal_s']:.4g}; {headroom['rule']}", width)
    if judge["grade"]:
        out += wrap(f"graded: {judge['grade']['note']}", width)
    out.append("  Hugging Face config.json, transformers 5 (rope_parameters):")
    out += ["    " + line for line in json.dumps(blocks["hf"]["v5"], indent=2).splitlines()]
    out.append("  transformers 4 (rope_scaling):")
    out += ["    " + line for line in json.dumps(blocks["hf"]["v4"], indent=2).splitlines()]
    vllm = blocks["vllm"]
    out.append("  vLLM:")
    out += shell_lines(["vllm", "serve", shlex.quote(vllm["model"]), "--hf-overrides",
                        "'" + json.dumps(blocks["hf"]["v5"], indent=2).replace("\n", "\n      ") + "'",
                        "--max-model-len", str(vllm["max_model_len"])], width)
    if vllm.get("note"):
        out += wrap(f"({vllm['note']})", width, "    ")
    out.append("  older vLLM (before --hf-overrides took rope_parameters):")
    legacy = [shlex.quote(t) for t in shlex.split(vllm["legacy"])]
    if "--rope-scaling" in legacy:  # its JSON may be wider than the terminal: give it its own lines
        at = legacy.index("--rope-scaling") + 1
        legacy[at] = "'" + json.dumps(json.loads(shlex.split(legacy[at])[0]), indent=2).replace("\n", "\n      ") + "'"
    out += shell_lines(["vllm", "serve", shlex.quote(vllm["model"]), *legacy], width)
    cpp = blocks["llama_cpp"]
    out += wrap("llama.cpp:" + ("" if cpp["flags"] else f" none: {cpp['note']}"), width)
    if cpp["flags"]:
        out += shell_lines(["llama-server", "-m", "MODEL.gguf", *cpp["flags"]], width)
        out += wrap(f"({cpp['note']})", width, "    ")
    forms = ", ".join(f"{name} {'ok' if ok else 'FAILED'}" for name, ok in rt.items()
                      if name not in ("ok", "max_rel_diff") and ok is not None)
    out += wrap(f"round trip (each form read back by rope-sym's own reader): {forms}; largest relative "
                f"difference in inv_freq {rt['max_rel_diff']:.2g}", width)
    return "\n".join(out)
