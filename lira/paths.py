"""Where LiRA keeps converted models, built data and downloaded sources."""

from __future__ import annotations

import os
from pathlib import Path


def cache_dir() -> Path:
    """``$LIRA_CACHE`` if set, else ``~/.cache/lira``; created on first use."""
    root = Path(os.environ.get("LIRA_CACHE", Path.home() / ".cache" / "lira")).expanduser()
    root.mkdir(parents=True, exist_ok=True)
    return root


def resources_dir() -> Path:
    """Data shipped inside the package (small, versioned with the code)."""
    return Path(__file__).resolve().parent / "resources"
