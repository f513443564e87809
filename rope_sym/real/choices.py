"""The RoPEs a probe runs a model with, named on the command line: ``trained`` (the model's own), ``KIND:S`` (a
retrofit of ``rope_sym.models.serving``: ``ntk``, ``linear``, ``yarn``, ``dynamic``, ``llama3`` dividing the slowest
frequency by ``S``) or ``base:B`` (the default RoPE at base ``B``, as a base change without scaling).

>>> from rope_sym.models import from_hf_config
>>> model = from_hf_config({"head_dim": 64, "num_attention_heads": 9, "rope_theta": 1e5,
...                         "max_position_embeddings": 8192})
>>> label, rope = rope_choice(model, "yarn:4")
>>> label, rope.rope_type, rope.factor, rope.original_max_position_embeddings
('yarn x4', 'yarn', 4.0, 8192)
"""

from __future__ import annotations

import math

from rope_sym.errors import RopeSymError
from rope_sym.models.hf_config import ModelRope
from rope_sym.models.serving import RETROFIT_KINDS, retrofit
from rope_sym.scaling import RopeConfig
from rope_sym.spectrum.spec import finite_real


def rope_choice(model: ModelRope, text: str) -> tuple[str, RopeConfig | None]:
    """``(label, RopeConfig)`` of a named choice (module docstring); ``None`` for ``trained``."""
    name, _, value = text.strip().partition(":")
    name = name.lower()
    if name == "trained" and not value:
        return "trained", None
    if not value:
        raise RopeSymError(f"rope choice {text!r}: use trained, base:B or KIND:S with KIND in "
                           f"{', '.join(RETROFIT_KINDS)}")
    try:
        number = finite_real(float(value), f"rope choice {text!r}")
    except ValueError:
        raise RopeSymError(f"rope choice {text!r}: {value!r} is not a number") from None
    if name == "base":
        if not number > 1:
            raise RopeSymError(f"rope choice {text!r}: the base must be > 1")
        rope = model.rope
        return f"base {number:g}", RopeConfig("default", rope.head_dim, number, rope.partial_rotary_factor,
                                             model.context)
    if name not in RETROFIT_KINDS:
        raise RopeSymError(f"rope choice {text!r}: unknown kind {name!r} (known: trained, base, "
                           f"{', '.join(RETROFIT_KINDS)})")
    if model.context is None:
        raise RopeSymError(f"{model.name}: no context in its config, so a retrofit cannot be built")
    r = retrofit(model, name, number, math.ceil(number * model.context))
    return f"{name} x{number:g}", r.rope
