"""What the language-aware gate does: the mean weight it gives each agent, per language.

The fused vector of a multi-agent Arca model is ``normalize(sum_k g_k a_k)``; a gate that moves
weight from the transformer to the character views changes what the model is good at (noisy
shopper queries) and what it loses (general sentences). These numbers are reported beside the
Tatoeba scores (``lira eval tatoeba``) and in the generalization study.
"""

from __future__ import annotations

from typing import Any

def gate_weights_by_language(model: Any, pairs: list[Any], batch_size: int = 128) -> dict[str, list[float]]:
    """Mean gate weight of each agent per language, over the low-resource sides of ``pairs``."""
    import torch

    from lira.arca.model import move_to_device

    by_lang: dict[str, list[str]] = {}
    for p in pairs:
        by_lang.setdefault(p.lang, []).append(p.text)
    out: dict[str, list[float]] = {}
    model.eval()
    with torch.inference_mode():
        for lang, texts in sorted(by_lang.items()):
            rows = []
            for start in range(0, len(texts), batch_size):
                batch = model.prepare(texts[start : start + batch_size], [lang] * len(texts[start : start + batch_size]))
                rows.append(model.gate_weights(move_to_device(batch, model.device)).float().cpu())
            out[lang] = torch.cat(rows).mean(0).tolist()
    return out


def gate_metrics(model: Any, pairs: list[Any], batch_size: int = 128) -> dict[str, float]:
    """``{"<lang>/gate/<agent>": mean weight}`` of a multi-agent Arca model over the low-resource
    sides of ``pairs``; empty for any other encoder (one agent, or not an Arca model)."""
    agents = getattr(model, "agents", None)
    if agents is None or len(agents) < 2 or not hasattr(model, "gate_weights"):
        return {}
    names = [agent.name for agent in agents]
    return {f"{lang}/gate/{name}": float(w) for lang, weights in gate_weights_by_language(model, pairs, batch_size).items()
            for name, w in zip(names, weights)}
