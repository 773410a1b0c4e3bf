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
