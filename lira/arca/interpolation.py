"""Weight-space interpolation of a trained Arca model with the model it started from.

WiSE-FT (Wortsman et al., "Robust fine-tuning of zero-shot models", CVPR 2022) showed that the
weights ``alpha * trained + (1 - alpha) * start`` of a fine-tuned model and its pre-trained start
keep most of the fine-tuning gain on the training distribution and recover the start's robustness
off it, often beating both. LiRA's long product recipes have exactly that problem: 1,000 steps of
catalogue search make the student better at shopping and worse on general sentences (Tatoeba).

The *start* of an Arca model is what :meth:`ArcaEncoder.from_student` builds under the run's seed:
the untrained student for the transformer, and LiRA's initialisation for the extra agents and the
fusion gate. The extra agents' output projections start at zero, so ``alpha = 0`` encodes exactly
like the untrained student and ``alpha = 1`` exactly like the trained model; everything in between
is one ordinary Arca model folder (no ensemble at inference time). Only floating-point tensors are
mixed (integer buffers such as position ids are the same in both).

``alpha`` is chosen on dev like every other choice in LiRA (:func:`choose_alpha`): the dev score
of :mod:`lira.eval.dev` (in-domain and out-of-domain dev bitext, the sets the model's own run
watched) over a grid, never on a test set. Where both models froze the same lower layers (LiRA's
recipes train the top 4), every point of the grid has those layers bit for bit (a tensor equal in
both models is copied, not mixed), so their states for the dev texts are computed once
(``lira.models.prefix_cache``) and each grid point runs only the trained top layers.

The same arithmetic mixes two *trained* models of one start (``other``: a "model soup", Wortsman
et al., "Model soups", ICML 2022): two runs from the same student and seed that learned different
things (LiRA's product recipe with and without paraphrase queries) share one basin, and their
average can keep both skills where each model alone has one. Their share is chosen on dev as well,
over :data:`SOUP_GRID` (both ends are the trained models themselves); for product models the
criterion is product search on the dev split (:class:`lira.eval.product_dev.ProductDevScore`).

Several trained models of one start make a *greedy* soup (:func:`greedy_soup`, the paper's
Recipe 1): ranked by their own dev score, each joins the uniform average only if the soup's dev
score does not fall.

Example::

    from lira.arca.interpolation import interpolate_model
    interpolate_model("runs/products-robust-long/model", "auto", "runs/products-robust-long-wise")
    interpolate_model("runs/a/model", 0.5, "runs/a-b-soup", other="runs/b/model")
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np
import torch
from tqdm.auto import tqdm

from lira.arca.model import ArcaEncoder, read_model_meta

DEFAULT_STUDENT = "offline:multilingual-e5-small"
ALPHA_GRID = (0.5, 0.6, 0.7, 0.8, 0.9, 1.0)
"""The dev grid of :func:`choose_alpha`: WiSE-FT's steps of 0.1, from the even mix to the trained model."""
SOUP_GRID = (0.0, 0.25, 0.5, 0.75, 1.0)
"""The dev grid for two trained models (``other``): from the other model (0) to the first (1)."""


def run_settings(model: ArcaEncoder) -> tuple[str, int | None]:
    """The student and seed a saved model was trained from (its card's run config); the seed is
    None when the card does not record one (a model saved outside ``lira train``)."""
    config = model.card_facts.get("config") or {}
    student = (config.get("model") or {}).get("student") or model.config.student or DEFAULT_STUDENT
    seed = (config.get("train") or {}).get("seed")
    return str(student), None if seed is None else int(seed)


def start_model(model: ArcaEncoder, student: str | None = None, seed: int | None = None) -> ArcaEncoder:
    """The model ``model`` started from: the untrained student plus LiRA's seeded initialisation
    of the same agents and gate (LoRA adapters, if any, were merged when the model was saved, so
    the start is built without them)."""
    from transformers import set_seed

    run_student, run_seed = run_settings(model)
    seed = run_seed if seed is None else seed
    if seed is None:
        # Another seed would rebuild other random agent weights and mix the model with a start it never had.
        raise ValueError("the model's card records no train.seed (saved outside `lira train`?): give the seed it was trained with (--seed)")
    set_seed(seed)
    config = dataclasses.replace(model.config, lora_rank=0)
    return ArcaEncoder.from_student(student or run_student, config, device=str(model.device))


SHARED_SETTINGS = ("agents", "char_ngram_buckets", "char_ngram_dim", "char_ngram_orders", "language_embedding_dim", "language_aware_fusion",
                   "english_transformer_only", "pooling", "prompt_name", "instruction", "projection_dim", "max_seq_length", "encode_max_seq_length")
"""Model settings two mixed models must share: those that give the same tensors another meaning at
encoding time (n-gram orders, pooling, prompt...) without changing their names or shapes."""


def _refuse_output_holding(out_dir: str | Path, sources: Sequence[str | Path | None]) -> None:
    """Saving replaces the output folder whole: one that holds a source model would delete it."""
    out = Path(out_dir).resolve()
    for source in sources:
        if source is not None and Path(source).resolve().is_relative_to(out):
            raise ValueError(f"{out_dir}: the output folder holds the trained model {source}; write the mixed model beside it")


def _refuse_mixed(model: ArcaEncoder, name: str) -> None:
    """Mixes are made of trained models, not of mixes (their card would lose the first mix)."""
    if "interpolation" in model.card_facts:
        raise ValueError(f"{name} is already a mixed model (of {model.card_facts['interpolation'].get('source')}); mix the trained model itself")


def other_model(model: ArcaEncoder, model_dir: str | Path, other: str | Path, *, device: str | None = None, option: str = "--with") -> ArcaEncoder:
    """The second trained model of a two-model mix, checked to share ``model``'s start (the same
    student and seed, so the same initial agents and gate) and its encoding settings
    (:data:`SHARED_SETTINGS`); neither may be a mix already, nor the same folder."""
    if Path(other).resolve() == Path(model_dir).resolve():
        raise ValueError(f"{option} {other}: the same folder as the first model; a model mixed with itself is itself")
    partner = ArcaEncoder.load(other, device=device or str(model.device))
    _refuse_mixed(partner, f"{option} {other}")
    mine, theirs = run_settings(model), run_settings(partner)
    if None in (mine[1], theirs[1]):
        raise ValueError(f"{option} {other}: a card records no train.seed, so the two models' common start cannot be checked")
    if mine != theirs:
        # Weights of different starts (another student, or other random agents) do not share a basin: their average is no model.
        raise ValueError(f"{option} {other}: trained from {theirs[0]} with seed {theirs[1]}, the first model from {mine[0]} with seed {mine[1]};"
                         " only models of one start can be mixed")
    differ = [f"{name} ({getattr(model.config, name, None)!r} against {getattr(partner.config, name, None)!r})"
              for name in SHARED_SETTINGS if getattr(model.config, name, None) != getattr(partner.config, name, None)]
    if differ:
        raise ValueError(f"{option} {other}: the two models encode differently: {', '.join(differ)}")
    return partner


def check_alpha(alpha: float, partner: str = "its start") -> None:
    if not 0.0 <= alpha <= 1.0:
        raise ValueError(f"alpha must be in [0, 1] (1 = the trained model, 0 = {partner}), got {alpha}")


def interpolated_state(trained: dict[str, torch.Tensor], start: dict[str, torch.Tensor], alpha: float, *,
                       partner: str = "its start") -> dict[str, torch.Tensor]:
    """``alpha * trained + (1 - alpha) * start`` for every floating-point tensor; other tensors
    from ``trained``, and so is a tensor equal in both (copied bit for bit: float arithmetic would
    not always give it back, and frozen layers must stay what the prefix cache holds). The two must
    hold the same names and shapes (the same architecture); ``partner`` names ``start`` in the
    errors (its start, or the other model of a soup)."""
    check_alpha(alpha, partner)
    missing = sorted(set(trained) - set(start))
    extra = sorted(set(start) - set(trained))
    if missing or extra:
        raise ValueError(f"the trained model and {partner} differ in tensors: only in the trained model {missing[:5]}, only in {partner} {extra[:5]}")
    out = {}
    for name, value in trained.items():
        other = start[name]
        if value.shape != other.shape:
            raise ValueError(f"tensor {name}: shape {tuple(value.shape)} in the trained model, {tuple(other.shape)} in {partner}")
        if value.is_floating_point() and not torch.equal(value, other.to(value.device)):
            out[name] = (alpha * value.float() + (1.0 - alpha) * other.to(value.device).float()).to(value.dtype)
        else:
            out[name] = value
    return out


def dev_scorer(model: ArcaEncoder | str | Path) -> Callable[[ArcaEncoder], float]:
    """The dev score (:func:`lira.eval.dev.dev_score`) on the dev sets of the model's own run
    config (its card), else LiRA's default dev sets. ``model``: a loaded model, or a model folder
    (only its card is read: a soup loads its ingredients itself)."""
    from lira.config import LiraConfig
    from lira.eval.dev import DevEvaluator

    facts = model.card_facts if isinstance(model, ArcaEncoder) else dict(read_model_meta(model).get("card") or {})
    evaluator = DevEvaluator.from_config(LiraConfig.from_dict(facts.get("config"), source="the model card's run config"))
    # the English neighbourhoods are not part of the score (and a dry pass must not set their reference)
    return lambda encoder: float(evaluator(encoder, english_kept=False)["dev_score"])


class _RecordingEncoder:
    """Stands in for a model during one dry pass of a score: notes every text it is asked to encode,
    by prompt, and answers with zero vectors (the score's value is thrown away)."""

    def __init__(self, model: ArcaEncoder) -> None:
        self.model = model
        self.texts: dict[str | None, set[str]] = defaultdict(set)

    def encode(self, sentences: Sequence[str], *, prompt_name: str | None = None, **_: Any) -> np.ndarray:
        sentences = list(sentences)
        self.texts[prompt_name].update(sentences)
        return np.zeros((len(sentences), self.model.dim), dtype=np.float32)

    def __getattr__(self, name: str) -> Any:
        if name == "model":  # not set yet (copy, pickle): no recursion through ourselves
            raise AttributeError(name)
        return getattr(self.model, name)


def scoring_cache(model: ArcaEncoder, start: ArcaEncoder, score: Callable[[Any], float]) -> Any:
    """A frozen-prefix cache holding the states of every text ``score`` encodes, or None where the
    two models do not share frozen lower layers (then each grid point runs the whole student).
    The texts are found by one dry pass of ``score`` over a stand-in that records them."""
    from lira.models.prefix_cache import evaluation_cache, frozen_fingerprint

    cache = evaluation_cache(model)
    if cache is None or frozen_fingerprint(start, cache.frozen_layers) != frozen_fingerprint(model, cache.frozen_layers):
        return None
    return _filled_for_score(model, cache, score)


def _filled_for_score(model: ArcaEncoder, cache: Any, score: Callable[[Any], float]) -> Any:
    """``cache`` filled with ``model``'s frozen-layer states of every text ``score`` encodes (found
    by a dry pass), or None where ``score`` encodes nothing through ``encode``."""
    recorder = _RecordingEncoder(model)
    score(recorder)
    if not recorder.texts:  # a score that encodes nothing through ``encode``: nothing to cache
        return None
    for prompt_name, texts in recorder.texts.items():
        cache.fill(model, sorted(texts), prompt_name, batch_size=128, encoding_only=True)
    return cache


def choose_alpha(
    model: ArcaEncoder,
    start: ArcaEncoder,
    score: Callable[[ArcaEncoder], float],
    grid: Sequence[float] = ALPHA_GRID,
    *,
    partner: str = "its start",
    progress: bool = True,
    prefix_cache: bool = True,
) -> tuple[float, dict[float, float]]:
    """The ``alpha`` of ``grid`` with the best dev ``score`` (the larger alpha wins a tie: the
    trained model is the default; in a soup, the model named first), and the score of every alpha.
    ``model`` is left at the chosen interpolation; ``partner`` names ``start`` in the errors.
    ``prefix_cache``: compute the shared frozen layers' states once (:func:`scoring_cache`);
    the scores agree with the uncached ones up to float rounding."""
    from lira.models.prefix_cache import attached_if

    cache = scoring_cache(model, start, score) if prefix_cache else None
    trained = {k: v.clone() for k, v in model.state_dict().items()}
    start_state = start.state_dict()
    curve: dict[float, float] = {}
    for alpha in tqdm(sorted(grid), desc="alpha on dev", disable=not progress):
        model.load_state_dict(interpolated_state(trained, start_state, alpha, partner=partner))
        with attached_if(cache, model):
            curve[float(alpha)] = score(model)
    best = max(curve, key=lambda a: (curve[a], a))
    model.load_state_dict(interpolated_state(trained, start_state, best, partner=partner))
    return best, curve


def mix_partner(model: ArcaEncoder, model_dir: str | Path, other: str | Path | None = None, *, student: str | None = None,
                seed: int | None = None, device: str | None = None) -> tuple[ArcaEncoder, str, int | None, tuple[float, ...]]:
    """What ``model`` is mixed with: the second trained model ``other`` (checked by
    :func:`other_model`; a soup has no start to name, so ``student`` and ``seed`` must be None),
    else its start (:func:`start_model`, the run's student and seed unless given). Returns the
    partner, the start's student and seed (the card records them) and the dev grid that fits the
    mix (:data:`SOUP_GRID` or :data:`ALPHA_GRID`)."""
    run_student, run_seed = run_settings(model)
    if other is not None:
        if student is not None or seed is not None:
            raise ValueError("--student and --seed name the start, and a mix with a second trained model (--with) has none")
        return other_model(model, model_dir, other, device=device), run_student, run_seed, SOUP_GRID
    student, seed = student or run_student, run_seed if seed is None else seed
    return start_model(model, student, seed), student, seed, ALPHA_GRID


def interpolate_model(
    model_dir: str | Path,
    alpha: float | str,
    out_dir: str | Path,
    *,
    other: str | Path | None = None,
    student: str | None = None,
    seed: int | None = None,
    device: str | None = None,
    grid: Sequence[float] | None = None,
    score: Callable[[ArcaEncoder], float] | None = None,
    score_name: str | None = None,
    progress: bool = True,
    prefix_cache: bool = True,
) -> Path:
    """Write ``alpha * trained + (1 - alpha) * start`` of the model in ``model_dir`` to ``out_dir``
    (atomically), with the interpolation recorded on its card. With ``other`` (a second trained
    model of the same student and seed) the mix is ``alpha * trained + (1 - alpha) * other``
    instead. ``alpha="auto"`` chooses it on dev (:func:`choose_alpha` over ``grid``, by default
    :data:`ALPHA_GRID`, or :data:`SOUP_GRID` with ``other``; ``score`` defaults to the run's dev
    score, ``score_name`` names it on the card) and records the dev curve. The source's dev scores
    are not copied to the card: they describe the source, not this model."""
    if isinstance(alpha, str) and alpha != "auto":
        raise ValueError(f"alpha must be a number in [0, 1] or 'auto' (chosen on dev), got {alpha!r}")
    partner_name = f"the other model {other}" if other is not None else "its start"
    if not isinstance(alpha, str):
        check_alpha(alpha, partner_name)  # before the model is loaded
    _refuse_output_holding(out_dir, (model_dir, other))
    model = ArcaEncoder.load(model_dir, device=device)
    _refuse_mixed(model, str(model_dir))
    partner, student, seed, default_grid = mix_partner(model, model_dir, other, student=student, seed=seed, device=device)
    curve: dict[float, float] | None = None
    if alpha == "auto":
        grid = grid or default_grid
        alpha, curve = choose_alpha(model, partner, score or dev_scorer(model), grid, partner=partner_name, progress=progress,
                                    prefix_cache=prefix_cache)
    else:
        model.load_state_dict(interpolated_state(model.state_dict(), partner.state_dict(), float(alpha), partner=partner_name))
    facts: dict[str, Any] = {k: v for k, v in model.card_facts.items() if k not in ("dev", "selected_step", "test")}
    method = ("model soup: weight interpolation of two models trained from one start (Wortsman et al., 2022)" if other is not None
              else "WiSE-FT weight interpolation (Wortsman et al., 2022)")
    facts["interpolation"] = {
        "method": method,
        "source": str(model_dir),
        **({"other": str(other)} if other is not None else {}),
        "alpha": float(alpha),
        "start": student,
        "seed": seed,
        "chosen_on": "dev" if curve is not None else "given",
        **({"dev_score": score_name or ("the run's bitext dev score" if score is None else "a custom score")} if curve is not None else {}),
        **({"dev_curve": {f"{a:g}": v for a, v in curve.items()}} if curve is not None else {}),
    }
    model.card_facts = facts
    return model.save(out_dir)


def averaged_state(states: Sequence[dict[str, torch.Tensor]]) -> dict[str, torch.Tensor]:
    """The uniform average of models' states (a soup of several); tensors equal in all are copied
    bit for bit, as in :func:`interpolated_state`."""
    if not states:
        raise ValueError("averaged_state: no models to average")
    out = {}
    for name, value in states[0].items():
        values = [s[name] for s in states]
        if not value.is_floating_point() or all(torch.equal(value, v) for v in values[1:]):
            out[name] = value
        else:
            out[name] = (torch.stack([v.float() for v in values]).mean(dim=0)).to(value.dtype)
    return out


def greedy_soup(
    model_dirs: Sequence[str | Path],
    out_dir: str | Path,
    score: Callable[[Any], float],
    *,
    score_name: str = "a custom score",
    device: str | None = None,
    prefix_cache: bool = True,
    progress: bool = True,
) -> Path:
    """A greedy model soup (Wortsman et al., "Model soups", ICML 2022, Recipe 1) of trained models of
    one start: the ingredients are ranked by their own dev ``score``; the soup starts as the best
    one, and each next ingredient joins (the soup being the uniform average of its members) only if
    the soup's dev score does not fall. Written to ``out_dir`` with the members, each ingredient's
    score and each step on the card (``interpolation``: ``method``, ``members``, ``steps``)."""
    from lira.models.prefix_cache import attached_if

    dirs = [Path(d) for d in model_dirs]
    if len(dirs) < 2:
        raise ValueError("a soup needs at least two models")
    if len({d.resolve() for d in dirs}) != len(dirs):
        raise ValueError(f"a soup's models must be different folders, got {[str(d) for d in dirs]}")
    _refuse_output_holding(out_dir, dirs)
    from lira.models.prefix_cache import evaluation_cache, frozen_fingerprint

    model = ArcaEncoder.load(dirs[0], device=device)
    _refuse_mixed(model, str(dirs[0]))
    first = {k: v.clone() for k, v in model.state_dict().items()}
    states = {str(dirs[0]): first}
    cards = {str(dirs[0]): model.card_facts}
    probe = evaluation_cache(model) if prefix_cache else None
    frozen = frozen_fingerprint(model, probe.frozen_layers) if probe is not None else None
    # One ingredient in memory at a time, and of each only the tensors that differ from the first
    # model's (the trained top layers, agents and gate): the frozen embeddings and lower layers,
    # most of the model, are held once however many ingredients the soup has. Every ingredient is
    # checked before the cache's dry pass, so a bad folder fails fast.
    for d in dirs[1:]:
        other = other_model(model, dirs[0], d, device=device, option="soup ingredient")  # one start, one encoding: checked
        if frozen is not None and frozen_fingerprint(other, probe.frozen_layers) != frozen:  # type: ignore[union-attr]
            frozen = None  # one cache serves every mix only if every ingredient kept the same frozen layers
        states[str(d)] = {k: first[k] if torch.equal(v, first[k]) else v.clone() for k, v in other.state_dict().items()}
        cards[str(d)] = other.card_facts
        del other
    cache = _filled_for_score(model, probe, score) if frozen is not None else None  # the ingredients' frozen layers are checked above

    def scored(members: list[str]) -> float:
        model.load_state_dict(averaged_state([states[m] for m in members]))
        with attached_if(cache, model):
            return float(score(model))

    alone = {name: scored([name]) for name in tqdm(states, desc="ingredients on dev", disable=not progress)}
    ranked = sorted(states, key=lambda name: -alone[name])  # stable: a tie keeps the order given
    members, best = [ranked[0]], alone[ranked[0]]
    steps = []
    for name in tqdm(ranked[1:], desc="greedy soup", disable=not progress):
        value = scored(members + [name])
        kept = value >= best
        steps.append({"added": name, "dev_score": value, "kept": kept})
        if kept:
            members, best = members + [name], value
    model.load_state_dict(averaged_state([states[m] for m in members]))
    student, seed = run_settings(model)
    # the card's run config (data, terms) is the first member's: the first folder may be left out
    facts: dict[str, Any] = {k: v for k, v in cards[members[0]].items() if k not in ("dev", "selected_step", "test")}
    facts["interpolation"] = {
        "method": f"greedy model soup of {len(members)} of {len(dirs)} trained models of one start (Wortsman et al., 2022): the uniform average of its members",
        "source": members[0],
        "members": members,
        "alpha": 1.0 / len(members),
        "start": student,
        "seed": seed,
        "chosen_on": "dev",
        "dev_score": score_name,
        "ingredients": alone,
        "steps": steps,
        "soup_dev_score": best,
    }
    model.card_facts = facts
    return model.save(out_dir)
