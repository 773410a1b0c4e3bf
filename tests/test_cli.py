import json
import subprocess
import sys

import yaml
from typer.testing import CliRunner

from lira.cli import app
from lira.config import LiraConfig


def run_cli(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "lira.cli", *args], capture_output=True, text=True, cwd=cwd, timeout=120)


def test_bad_pairs_file_stops_with_file_line_and_field(tmp_path):
    bad = tmp_path / "bad.tsv"
    bad.write_text("en\ttext\tlang\nOpen the file\tBuka berkas\tid\nSave\tSimpan\txx\n", encoding="utf-8")
    result = run_cli("eval", "bitext", "--model", "does-not-matter", "--pairs", str(bad))
    assert result.returncode == 2
    assert "bad.tsv, line 3, field 'lang': unknown language code 'xx'" in " ".join(result.stdout.split())
    assert "Traceback" not in result.stdout + result.stderr


def test_bad_encoding_and_bad_config_are_clear(tmp_path):
    latin1 = tmp_path / "latin1.tsv"
    latin1.write_bytes("Coffee\tCà phê\tvi\n".encode("utf-8") + "Caf\xe9\tCafe\tvi\n".encode("latin-1"))
    result = run_cli("eval", "bitext", "--model", "x", "--pairs", str(latin1))
    assert result.returncode == 2 and "latin1.tsv, line 2" in result.stdout
    cfg = tmp_path / "c.yaml"
    cfg.write_text("train:\n  batch_sise: 3\n")
    result = run_cli("train", "--config", str(cfg))
    assert result.returncode == 2 and "batch_sise" in result.stdout


def test_config_command_prints_loadable_yaml(tmp_path):
    result = CliRunner().invoke(app, ["config"])
    assert result.exit_code == 0
    assert LiraConfig.from_dict(yaml.safe_load(result.stdout)) == LiraConfig()


def _refuse_model_loading(monkeypatch):
    import lira.arca.model
    import lira.arca.teacher
    import lira.models.loading
    import lira.pipeline
    import lira.train

    def loaded(*_args, **_kwargs):
        raise AssertionError("a model was loaded before the configuration was checked")

    for module in (lira.models.loading, lira.arca.teacher):
        monkeypatch.setattr(module, "load_sentence_transformer", loaded)
    for module in (lira.train, lira.pipeline):
        monkeypatch.setattr(module, "load_teacher", loaded)
    monkeypatch.setattr(lira.arca.model.ArcaEncoder, "from_student", loaded)


def _error_lines(output):
    return [line for line in output.splitlines() if line.strip()]


def test_out_of_range_values_and_bad_paths_stop_in_one_line_before_models_load(tmp_path, monkeypatch):
    _refuse_model_loading(monkeypatch)
    runner = CliRunner()
    result = runner.invoke(app, ["train", "--set", "train.batch_size=-1"])
    assert result.exit_code == 2 and _error_lines(result.output) == ["error: train.batch_size: expected an integer >= 1, got -1"]
    result = runner.invoke(app, ["train", "--set", "train.warmup_ratio=1.5"])
    assert result.exit_code == 2 and "train.warmup_ratio: expected a number in [0, 1], got 1.5" in result.output
    a_file = tmp_path / "taken"
    a_file.write_text("not a folder")
    for args in (["train", "--set", f"train.output_dir={a_file}"], ["demo", "--quick", "--out", str(a_file / "run")]):
        result = runner.invoke(app, args)
        assert result.exit_code == 2, result.output
        assert _error_lines(result.output) == [f"error: train.output_dir: {a_file} is a file, not a folder" + ("" if args[0] == "train" else f" (on the way to {a_file / 'run'})")]
    result = runner.invoke(app, ["train", "--set", f"train.output_dir={tmp_path / 'out'}", "--set", f"data.train={tmp_path / 'missing.tsv'}"])
    assert result.exit_code == 2 and "data.train:" in result.output and "no such file" in result.output


def test_eval_bitext_reads_pairs_longer_than_the_training_filter(tiny_models, tmp_path):
    long_en = ("Open a new window and save the page as a file. " * 23)[:1100]
    long_vi = ("Mở cửa sổ mới và lưu trang thành tệp. " * 30)[:1100]
    rows = [("Close all tabs.", "Đóng tất cả các thẻ.", "vi"), ("Search the web.", "Tìm kiếm trên web.", "vi"), (long_en, long_vi, "vi")]
    pairs = tmp_path / "long.tsv"
    pairs.write_text("en\ttext\tlang\n" + "".join(f"{en}\t{x}\t{lang}\n" for en, x, lang in rows), encoding="utf-8")
    result = CliRunner().invoke(app, ["eval", "bitext", "--model", tiny_models["student"], "--pairs", str(pairs), "--out", str(tmp_path / "metrics")])
    assert result.exit_code == 0, result.output
    (saved,) = (tmp_path / "metrics").glob("*.json")
    assert json.loads(saved.read_text())["vi/n"] == 3
    result = CliRunner().invoke(app, ["eval", "bitext", "--model", tiny_models["student"], "--pairs", str(pairs), "--max-chars", "1000"])
    assert result.exit_code == 2 and "long.tsv, line 4" in result.output and "max_chars=1000" in result.output


def test_the_demo_evaluation_reads_long_test_pairs_too(tiny_models, tmp_path):
    from lira.models.encoders import load_encoder
    from lira.pipeline import evaluate_bitext

    long_en, long_vi = ("Close all tabs. " * 80)[:1100], ("Đóng tất cả các thẻ. " * 60)[:1100]
    pairs = tmp_path / "test.tsv"
    pairs.write_text(f"Search the web.\tTìm kiếm trên web.\tvi\n{long_en}\t{long_vi}\tvi\n", encoding="utf-8")
    cfg = LiraConfig().override({"data.test": str(pairs), "data.languages": ["vi"]})
    assert evaluate_bitext(cfg, load_encoder(tiny_models["student"]))["vi/n"] == 2


def test_products_report_redraws_without_data_and_asks_for_data_otherwise(tmp_path):
    import shutil
    from pathlib import Path

    committed = Path(__file__).resolve().parents[1] / "reports" / "products" / "benchmark.json"
    shutil.copy(committed, tmp_path / "benchmark.json")
    result = CliRunner().invoke(app, ["eval", "products-report", "--out", str(tmp_path), "--report-only"])
    assert result.exit_code == 0, result.output
    md = (tmp_path / "benchmark.md").read_text(encoding="utf-8")
    assert "| system |" in md and (tmp_path / "benchmark.png").stat().st_size > 0
    result = CliRunner().invoke(app, ["eval", "products-report", "--out", str(tmp_path / "new")])
    assert result.exit_code != 0 and "--data" in result.output and not (tmp_path / "new").exists()
