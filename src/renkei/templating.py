"""One Jinja2 environment for every HTML the project writes: reports, published tables, the web site.

Autoescaping is always on: names and titles come from documents and users.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

TEMPLATES = Path(__file__).parent / "templates"


@cache
def environment():  # type: ignore[no-untyped-def]
    from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(default=True),
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    from .documents.wareki import format_wareki
    from .reports import SEVERITY_LABELS, STATUS_LABELS

    env.filters["wareki"] = lambda iso: format_wareki(iso) if iso else "時点不明"
    env.filters["status_label"] = lambda s: STATUS_LABELS.get(s, s)
    env.filters["severity_label"] = lambda s: SEVERITY_LABELS.get(s, s)
    env.filters["percent"] = lambda v: "-" if v is None else f"{v * 100:.1f}%"
    from .directory import KIND_LABELS

    env.filters["kind_label"] = lambda k: KIND_LABELS.get(k, k)
    env.policies["json.dumps_kwargs"] = {"ensure_ascii": False, "sort_keys": True}
    return env


def render(template: str, **context: object) -> str:
    return environment().get_template(template).render(**context)
