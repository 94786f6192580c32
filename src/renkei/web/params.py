"""Bounds for what a request carries, so that no input can overflow a column or the stack (a 500).

PostgreSQL's ``INTEGER`` ends at 2^31 - 1 and SQLite's at 2^63 - 1; an id or offset beyond the
smaller one is refused with 422 (a path id out of range is a resource that cannot exist). A JSON
body may nest at most :data:`MAX_JSON_DEPTH` levels: deeper is refused (400) before anything walks it.
"""

from __future__ import annotations

import json
from typing import Annotated

from fastapi import Form, Path, Query

MAX_ID = 2**31 - 1
Id = Annotated[int, Path(ge=1, le=MAX_ID)]
OptionalId = Annotated[int | None, Query(ge=1, le=MAX_ID)]
Offset = Annotated[int, Query(ge=0, le=MAX_ID)]
FormNumber = Annotated[int, Form(ge=0, le=MAX_ID)]  # a version or an id a form posts back (0: none)
MAX_JSON_DEPTH = 64


class TooDeep(ValueError):
    """A JSON text nested deeper than :data:`MAX_JSON_DEPTH` (or than the parser's own recursion allows)."""


def load_json(text: str | bytes, max_depth: int = MAX_JSON_DEPTH) -> object:
    """``json.loads`` with a bound on nesting. Raises ValueError for bad JSON, :class:`TooDeep` for deep JSON.

    The C parser raises RecursionError on very deep input (tens of thousands of ``[``); shallower input
    within the interpreter's limit is measured afterwards, without recursion, so later code (which may
    recurse) never meets more than ``max_depth`` levels.
    """
    try:
        value = json.loads(text)
    except RecursionError:
        raise TooDeep(max_depth) from None
    stack: list[tuple[object, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        children = item.values() if isinstance(item, dict) else item if isinstance(item, list) else ()
        for child in children:
            if isinstance(child, dict | list):
                if depth + 1 > max_depth:
                    raise TooDeep(max_depth)
                stack.append((child, depth + 1))
    return value

# A ward's projects are shown a page at a time (the HTML page and /api/v1/wards/{code}): at scale a ward has
# thousands, and one unpaged page was 1 MB.
PAGE = 100
MAX_PAGE = 500
PageLimit = Annotated[int, Query(ge=1, le=MAX_PAGE, description=f"Projects per page (at most {MAX_PAGE})")]
PageOffset = Annotated[int, Query(ge=0, le=MAX_ID, description="How many projects to skip")]
