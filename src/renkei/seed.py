"""Where the embedded default list lives: the registry imports it on first use, `renkei check --default` reads it."""

from __future__ import annotations

from pathlib import Path


def default_list_path() -> str:
    """The embedded 令和7年8月1日現在 list (北海道〜長野県), exactly as extracted."""
    return str(Path(__file__).parent / "data" / "seed" / "000_c5c746091caa1e08.txt")
