"""The generalization study end to end on tiny models: runs, dev curves, Tatoeba, report, plot."""

from __future__ import annotations

import json
import shutil

import pytest

from lira.config import ConfigError
from lira.eval.generalization import SYSTEMS, GeneralizationConfig, restore_from_report, run_config, run_generalization
from lira.eval.generalization_report import default_vs_peers, parts_table, parts_verdicts, peers_table, render_generalization

from .conftest import TINY_CORPUS


@pytest.fixture()
def tiny_study(tiny_models, tiny_pairs_file, tmp_path):
    dev = tmp_path / "dev.tsv"
    dev.write_text("".join(f"{en}\t{x}\t{lang}\n" for en, x, lang in TINY_CORPUS), encoding="utf-8")
    study = GeneralizationConfig(
        out_dir=str(tmp_path / "report"), work_dir=str(tmp_path / "work"), systems=["arca", "minus_contrastive", "peer_contrastive"],
        large_budget_steps=4, large_budget_systems=["arca"], dev_every=2, bootstrap_samples=200,
    )
    lira = study.lira
    lira.model.student = tiny_models["student"]
    lira.model.trainable_top_layers = 1
    lira.data.train, lira.data.dev, lira.data.ood_dev = str(tiny_pairs_file), str(dev), [str(dev)]
    lira.data.languages = sorted({lang for *_, lang in TINY_CORPUS})
    lira.train.max_steps, lira.train.batch_size, lira.train.learning_rate = 2, 4, 1e-3
    return study


def test_study_trains_scores_and_reports(tiny_study, tmp_path):
    out = run_generalization(tiny_study, progress=False)
    payload = json.loads((out / "results.json").read_text(encoding="utf-8"))
    assert sorted(payload["runs"]) == ["arca-2", "arca-4", "minus_contrastive-2", "peer_contrastive-2"]
    run = payload["runs"]["arca-4"]
    assert [r["step"] for r in run["dev_curve"]] == [0, 2, 4]
    assert len(run["tatoeba_hits"]["th/x2en"]) == 548 and 0 <= run["tatoeba"]["mean/x2en/acc@1"] <= 1
    assert all(0.0 <= r["english_kept"] <= 1.0 for r in payload["runs"].values())
    md = (out / "results.md").read_text(encoding="utf-8")
    assert "## 2 steps" in md and "## 4 steps" in md and "(reference)" in md and "p=" in md
    assert (out / "curves.png").stat().st_size > 10_000
    # The untrained student and the systems are trained once: a rerun reuses every stored result.
    before = {p.name: p.stat().st_mtime for p in (tmp_path / "work" / "results").rglob("*.json")}
    run_generalization(tiny_study, progress=False)
    assert before == {p.name: p.stat().st_mtime for p in (tmp_path / "work" / "results").rglob("*.json")}
    render_generalization(out, bootstrap_samples=200)  # redrawn from results.json alone
    assert (out / "summary.json").exists()
    # A fresh clone (no work folder) continues from the committed report: nothing is retrained.
    shutil.rmtree(tmp_path / "work")
    again = run_generalization(tiny_study, progress=False)
    assert json.loads((again / "results.json").read_text(encoding="utf-8"))["runs"] == payload["runs"]
    assert not any((tmp_path / "work").rglob("model"))  # no run was trained
    # ... but not from a report of another configuration.
    shutil.rmtree(tmp_path / "work")
    tiny_study.dev_every = 1
    results_dir = tmp_path / "fresh"
    results_dir.mkdir()
    assert restore_from_report(tiny_study, results_dir) == 0 and not any(results_dir.iterdir())


def test_a_spent_time_budget_trains_nothing(tiny_study):
    tiny_study.max_minutes = 0
    out = run_generalization(tiny_study, progress=False)
    payload = json.loads((out / "results.json").read_text(encoding="utf-8"))
    assert payload["runs"] == {} and len(payload["missing"]) == 4
    assert "Not run yet" in (out / "results.md").read_text(encoding="utf-8")


def test_systems_differ_from_the_reference_only_in_their_overrides(tiny_study):
    base = run_config(tiny_study, "arca", 2)
    assert (base.model.teacher, base.arca.anchor_weight, base.arca.contrastive_weight, base.arca.geometry_weight) == ("self", 1.0, 0.5, 1.0)
    peer = run_config(tiny_study, "peer_contrastive", 2)
    assert (peer.arca.anchor_weight, peer.arca.geometry_weight, peer.arca.contrastive_weight) == (0.0, 0.0, 1.0)
    assert peer.model == base.model and peer.data == base.data
    assert run_config(tiny_study, "plus_agents", 2).model.agents == ["transformer", "char_ngram", "romanized"]
    assert base.train.checkpoint_every == tiny_study.dev_every and not base.train.select_best


def test_parts_verdicts_follow_the_dev_score():
    rows = [{"system": "arca", "dev_score": 0.80}, {"system": "minus_geometry", "dev_score": 0.81}, {"system": "minus_contrastive", "dev_score": 0.70},
            {"system": "plus_agents", "dev_score": 0.75}]
    verdicts = {v["system"]: v for v in parts_verdicts(rows)}
    assert verdicts["minus_contrastive"]["earns_its_place"] and verdicts["minus_contrastive"]["dev_gain"] == pytest.approx(0.10)
    assert not verdicts["minus_geometry"]["earns_its_place"]
    assert not verdicts["plus_agents"]["earns_its_place"] and verdicts["plus_agents"]["dev_gain"] == pytest.approx(-0.05)
    # A row with its own baseline: the agents on top of the contrastive term alone, against it.
    rows += [{"system": "peer_contrastive", "dev_score": 0.82}, {"system": "contrastive_agents", "dev_score": 0.83}]
    verdicts = {v["system"]: v for v in parts_verdicts(rows)}
    assert verdicts["contrastive_agents"]["dev_gain"] == pytest.approx(0.01) and verdicts["contrastive_agents"]["earns_its_place"]
    assert verdicts["peer_contrastive"]["dev_gain"] == pytest.approx(-0.02)
    # A gain of a few dev sentences does not count; a gain at 250 steps that is gone at 1000 is off.
    assert not parts_verdicts([{"system": "arca", "dev_score": 0.80}, {"system": "plus_agents", "dev_score": 0.8005}])[0]["earns_its_place"]
    small = [{"system": "arca", "dev_score": 0.80}, {"system": "lr_1e-4", "dev_score": 0.805}]
    large = [{"system": "arca", "dev_score": 0.90}, {"system": "lr_1e-4", "dev_score": 0.9004}]
    table = parts_table(parts_verdicts(small), parts_verdicts(large), 250, 1000)
    assert "| +0.0050 | +0.0004 | gain gone at 1000 steps: off by default |" in table
    assert "| raises the dev score |" in parts_table(parts_verdicts(small), None, 250, 1000)
    # One system, two questions (two baselines): each row keeps its own larger-budget gain.
    small = [{"system": "arca", "dev_score": 0.70}, {"system": "contrastive_agents", "dev_score": 0.80}, {"system": "peer_contrastive_catalogs", "dev_score": 0.81},
             {"system": "default_data_plus_gettext", "dev_score": 0.82}]
    large = [{"system": "arca", "dev_score": 0.70}, {"system": "contrastive_agents", "dev_score": 0.90}, {"system": "peer_contrastive_catalogs", "dev_score": 0.85},
             {"system": "default_data_plus_gettext", "dev_score": 0.91}]
    table = parts_table(parts_verdicts(small), parts_verdicts(large), 250, 1000)
    rows = [line for line in table.splitlines() if "LiRA's default |" in line]
    assert len(rows) == 2 and "| +0.0200 | +0.0100 |" in rows[0] and "| +0.0100 | +0.0600 |" in rows[1]


def test_default_against_peers_at_equal_budget():
    def run(system, steps, dev_score, ood, hits_x2en, hits_en2x):
        dev = {"dev_score": dev_score, "out_of_domain/mean/x2en/acc@1": ood, "out_of_domain/mean/en2x/acc@1": ood}
        return {"system": system, "steps": steps, "dev": {"end": dev},
                "tatoeba_hits": {"th/x2en": hits_x2en, "th/en2x": hits_en2x, "vi/x2en": hits_x2en, "vi/en2x": hits_en2x}}
    runs = {
        "default_data_plus_gettext-250": run("default_data_plus_gettext", 250, 0.95, 0.93, [1, 1, 1, 1], [1, 0, 1, 0]),
        "peer_contrastive_catalogs-250": run("peer_contrastive_catalogs", 250, 0.94, 0.90, [1, 0, 1, 0], [1, 0, 1, 0]),
        "peer_contrastive-1000": run("peer_contrastive", 1000, 0.90, 0.90, [0, 0, 0, 0], [0, 0, 0, 0]),  # no default at 1000: no row
    }
    rows = default_vs_peers(runs, {"peer_contrastive_catalogs": {"label": "peer on the same data"}}, samples=200)
    assert [(r["steps"], r["peer"]) for r in rows] == [(250, "peer_contrastive_catalogs")]
    row = rows[0]
    assert row["dev_score"] == pytest.approx(0.01) and row["dev_ood"] == pytest.approx(0.03)
    # x->en: the default gets every item, the peer half of them; en->x: identical hits, so no difference.
    assert row["tatoeba_x2en"]["delta"] == pytest.approx(0.5) and row["tatoeba_en2x"]["delta"] == pytest.approx(0.0)
    assert row["tatoeba_en2x"]["verdict"] == "within noise"
    assert "| 250 | peer on the same data | +0.0100 | +0.030 | +0.500 [" in peers_table(rows)


def test_unknown_system_is_a_config_error():
    with pytest.raises(ConfigError, match="unknown system"):
        GeneralizationConfig(systems=["arca", "nope"])
    assert "arca" in SYSTEMS
