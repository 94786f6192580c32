"""FastAPI's validation errors in the reader's language, for the API's 422 bodies.

The body keeps its shape, ``{"detail": [{"type", "loc", "msg", "input", "ctx"}]}``; only ``msg`` is replaced,
by the catalogue's message for its ``type`` (filled from ``ctx``). A kind not in the table keeps its text.
"""

from __future__ import annotations

import contextlib
from typing import Any

from ..i18n import N_, gettext

VALIDATION_MESSAGES = {
    "missing": N_("必須のパラメーターがありません"), "int_parsing": N_("整数で指定してください"),
    "int_type": N_("整数で指定してください"), "greater_than_equal": N_("{ge} 以上の値にしてください"),
    "greater_than": N_("{gt} より大きい値にしてください"), "less_than_equal": N_("{le} 以下の値にしてください"),
    "less_than": N_("{lt} より小さい値にしてください"), "string_too_short": N_("{min_length} 文字以上にしてください"),
    "string_too_long": N_("{max_length} 文字以内にしてください"), "literal_error": N_("選べる値は {expected} です"),
    "date_parsing": N_("日付は YYYY-MM-DD で指定してください"),
    "date_from_datetime_parsing": N_("日付は YYYY-MM-DD で指定してください"),
}


def translated_errors(errors: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Validation errors with ``msg`` in the reader's language (a kind not in the table keeps its text)."""
    out = []
    for e in errors:
        template = VALIDATION_MESSAGES.get(str(e.get("type")))
        if template is not None:
            with contextlib.suppress(KeyError, IndexError, ValueError):  # a missing parameter: FastAPI's text
                e = {**e, "msg": gettext(template).format(**dict(e.get("ctx") or {}))}
        out.append(e)
    return out
