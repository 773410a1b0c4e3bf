import json

import numpy as np

from lira.arca.model import ArcaEncoder
from lira.lasr.head import LasrHead
from lira.train import train_arca

from .test_train import PROBE, tiny_config

LANGS = ["th", "vi"]
WORDS = {"en": ["red shirt", "blue shoe", "green hat", "black bag"], "th": ["เสื้อ แดง", "รองเท้า ฟ้า", "หมวก เขียว", "กระเป๋า ดำ"], "vi": ["áo đỏ", "giày xanh", "mũ lục", "túi đen"]}


def tiny_products(root):
    """4 products, 4 intents; intent i: product i exact, i+1 substitute, i+2 complement (i+3 unjudged)."""
    (root / "jsonl").mkdir(parents=True)
    catalog = [{"product_id": f"P{i}", **{f"title_{lang}": f"{WORDS[lang][i]} {i}" for lang in WORDS}} for i in range(4)]
    queries = [{"query_id": f"q{i}", "lang": lang, "text": WORDS[lang][i], "type": "short"} for i in range(4) for lang in WORDS]
    qrels = [{"query_id": f"q{i}", "product_id": f"P{(i + d) % 4}", "label": label} for i in range(4) for d, label in enumerate("ESC")]
    for name, rows in (("catalog", catalog), ("queries", queries), ("qrels", qrels)):
        (root / "jsonl" / f"{name}.train.jsonl").write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return root


def lasr_config(tiny_models, pairs_file, out_dir, products, schedule):
    cfg = tiny_config(tiny_models, pairs_file, out_dir, max_steps=4)
    cfg.lasr.enabled = True
    cfg.lasr.schedule = schedule
    cfg.lasr.data = str(products)
    cfg.lasr.queries_per_language = 4
    cfg.lasr.batch_size = 4
    cfg.lasr.head_steps = 5
    cfg.lasr.hidden_dim = 16
    cfg.data.languages = LANGS
    return cfg


def test_joint_schedule_trains_the_head_with_the_encoder_and_resumes_exactly(tiny_models, tiny_pairs_file, tmp_path):
    products = tiny_products(tmp_path / "products")
    cfg = lasr_config(tiny_models, tiny_pairs_file, tmp_path / "joint", products, "joint")
    result = train_arca(cfg, progress=False)
    record = json.loads((tmp_path / "joint" / "metrics.jsonl").read_text().splitlines()[-1])
    assert {"loss_anchor", "loss_task", "loss_consistency_anchor", "loss_consistency_noise", "loss_consistency_dropout"} <= set(record)
    assert record["loss"] > record["loss_anchor"]  # LaSR's terms were added to Arca's
    head = LasrHead.load(result.model_dir / "lasr_head")
    assert head.trained_languages == {"en", "th", "vi"} and head.trained_tasks == {"esci"}
    # interrupted after step 3 (checkpoint at 2) and resumed: same encoder as the unbroken run
    cfg_b = lasr_config(tiny_models, tiny_pairs_file, tmp_path / "joint_b", products, "joint")
    train_arca(cfg_b, progress=False, stop_after_steps=3)
    resumed = train_arca(cfg_b, progress=False)
    assert resumed.resumed_from == 2
    np.testing.assert_allclose(
        ArcaEncoder.load(resumed.model_dir).encode(PROBE, lang="th"), ArcaEncoder.load(result.model_dir).encode(PROBE, lang="th"), atol=1e-5
    )
    u = np.random.default_rng(0).normal(size=(2, head.dim)).astype(np.float32)
    np.testing.assert_allclose(
        LasrHead.load(resumed.model_dir / "lasr_head").score(u, u, ["th", "vi"], "esci").detach().numpy(),
        head.score(u, u, ["th", "vi"], "esci").detach().numpy(), atol=1e-5,
    )


def test_staged_schedule_trains_the_head_after_arca(tiny_models, tiny_pairs_file, tmp_path):
    products = tiny_products(tmp_path / "products")
    cfg = lasr_config(tiny_models, tiny_pairs_file, tmp_path / "staged", products, "staged")
    result = train_arca(cfg, progress=False)
    record = json.loads((tmp_path / "staged" / "metrics.jsonl").read_text().splitlines()[-1])
    assert "loss_task" not in record  # Arca's loop alone
    head = LasrHead.load(result.model_dir / "lasr_head")
    assert "en" in head.trained_languages and head.trained_tasks == {"esci"}
