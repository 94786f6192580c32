"""One Jinja2 environment for every HTML the project writes: reports, published tables, the web site.

Autoescaping is always on: names and titles come from documents and users.
Every sentence in a template goes through the message catalogue (renkei.i18n, docs/i18n.md): ``{{ _("…") }}``,
``{{ _("%(n)s件", n=count) }}`` or ``{% trans %}…{% endtrans %}``, rendered in the reader's language.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from jinja2 import Environment

TEMPLATES = Path(__file__).parent / "templates"


def per_language(function: Callable[..., object]) -> Callable[..., object]:
    """A filter whose result depends on the reader's language.

    Jinja2 folds a filter applied to a constant at compile time, and templates are compiled once; a filter that
    takes the context cannot be folded, so it runs at each render, in that render's language.
    """
    from jinja2 import pass_context

    @pass_context
    def filter_(_context: object, *args: object, **kwargs: object) -> object:
        return function(*args, **kwargs)

    return filter_


@cache
def environment() -> Environment:
    from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(default=True),
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True,
                      extensions=["jinja2.ext.i18n"])
    from . import i18n

    # newstyle: _() autoescapes its %(name)s arguments and formats with keywords ("%" itself is written "%%")
    # the method is added at run time by the jinja2.ext.i18n extension loaded above; Environment does not declare it
    env.install_gettext_callables(  # type: ignore[attr-defined]
        i18n.gettext, i18n.ngettext, newstyle=True, pgettext=i18n.pgettext, npgettext=i18n.npgettext)
    env.globals["language"] = i18n.current_language
    env.filters["date_ja"] = per_language(i18n.format_date)  # 令和7年8月1日 (2025-08-01)
    env.filters["jst"] = per_language(i18n.format_datetime)  # a stored UTC time, shown in Japan time
    from .documents.wareki import format_wareki
    from .reports import PROBLEM_KIND_LABELS, SEVERITY_LABELS, STATUS_LABELS, label

    env.filters["wareki"] = per_language(lambda iso: format_wareki(iso) if iso else i18n.gettext("時点不明"))
    env.filters["status_label"] = per_language(lambda s: label(STATUS_LABELS, s))
    env.filters["severity_label"] = per_language(lambda s: label(SEVERITY_LABELS, s))
    env.filters["problem_label"] = per_language(lambda s: label(PROBLEM_KIND_LABELS, s))
    env.filters["percent"] = lambda v: "-" if v is None else f"{v * 100:.1f}%"
    from .directory import KIND_LABELS

    env.filters["kind_label"] = per_language(lambda k: label(KIND_LABELS, k))
    env.filters["government_name"] = _government_name  # 131032 → 港区 (people read names, not codes)
    env.filters["place_label"] = _place_label  # 342084 → 広島県府中市（342084）, where staff check partners
    env.policies["json.dumps_kwargs"] = {"ensure_ascii": False, "sort_keys": True}
    return env


def _government_name(code: str) -> str:
    from .directory import load

    entity = load().get(code)
    return entity.name if entity else code


def _place_label(value: object) -> str:
    from .directory import load
    from .labels import code_label, place_code

    code = place_code(value)
    written = str(value.get("written") or value.get("name") or "") if isinstance(value, dict) else code
    return code_label(load(), code, written)


def render(template: str, **context: object) -> str:
    return environment().get_template(template).render(**context)
