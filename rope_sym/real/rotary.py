"""A rotary embedding for a loaded transformers model whose frequencies and pipeline the caller sets.

Hugging Face models compute ``cos``/``sin`` in one module, ``model.model.rotary_emb``, called once per forward as
``rotary_emb(hidden_states, position_ids)`` (Llama, Qwen2, Mistral, ...) or once per layer type as
``rotary_emb(hidden_states, position_ids, layer_type)`` (Gemma 3). Replacing that module changes the base or the
scaling of a loaded model without reloading its weights: ``PipelineRotary`` holds one ``inv_freq`` (and attention
factor) per layer type and computes ``cos``/``sin`` the way a pipeline of ``rope_sym.pipelines`` does:

- ``hf``: ``freqs = inv_freq[None, :, None].float() @ position_ids[:, None, :].float()`` in fp32 (autocast off),
  ``emb = cat(freqs, freqs)``, ``cos = emb.cos() * attention_scaling``, then ``.to(x.dtype)`` (transformers'
  ``LlamaRotaryEmbedding.forward``);
- ``native``: ``inv_freq`` and the positions held in the activation dtype (``position_ids.to(dtype)``, rounded to
  nearest), the product and ``cos``/``sin`` in that dtype (the pre-2024 cached tables after ``model.to(dtype)``);
- ``invfreq-cast``: ``inv_freq`` rounded to the activation dtype (``model.to(dtype)`` casting the buffer), then
  the ``hf`` forward;
- ``fp64``: the whole chain in float64, rounded once to the activation dtype (the reference).
"""

from __future__ import annotations

from collections.abc import Mapping

from rope_sym.pipelines.table import check_pipeline
from rope_sym.torch_backend.runtime import torch


class PipelineRotary(torch.nn.Module):
    """``cos``/``sin`` of a RoPE per layer type through a pipeline (module docstring).

    ``inv_freq``: layer type -> fp32 (or float64) tensor of the rotary frequencies ``theta_i``; the key ``None``
    serves models that name no layer type. ``scaling``: layer type -> attention factor multiplying ``cos``/``sin``.
    """

    def __init__(self, inv_freq: Mapping[str | None, torch.Tensor], scaling: Mapping[str | None, float],
                 pipeline: str = "hf") -> None:
        super().__init__()
        self.pipeline = check_pipeline(pipeline)
        self.frequencies = {k: v.detach().clone() for k, v in inv_freq.items()}
        self.scaling = dict(scaling)

    def _select(self, layer_type: str | None) -> tuple[torch.Tensor, float]:
        key = layer_type if layer_type in self.frequencies else None
        if key not in self.frequencies:
            key = next(iter(self.frequencies))
        return self.frequencies[key], self.scaling.get(key, 1.0)

    @torch.no_grad()
    def forward(self, x: torch.Tensor, position_ids: torch.Tensor,
                layer_type: str | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        inv, factor = self._select(layer_type)
        inv = inv.to(x.device)
        dtype = x.dtype
        if self.pipeline == "native":
            freqs = position_ids.to(dtype)[..., None] * inv.to(dtype)
        elif self.pipeline == "fp64":
            freqs = position_ids.to(torch.float64)[..., None] * inv.to(torch.float64)
        else:
            held = inv.to(dtype).float() if self.pipeline == "invfreq-cast" else inv.float()
            with torch.autocast(x.device.type, enabled=False):
                freqs = (held[None, :, None].expand(position_ids.shape[0], -1, 1)
                         @ position_ids[:, None, :].float()).transpose(1, 2)
        emb = torch.cat((freqs, freqs), dim=-1)
        cos, sin = emb.cos(), emb.sin()
        if factor != 1.0:
            cos, sin = cos * factor, sin * factor
        return cos.to(dtype), sin.to(dtype)
