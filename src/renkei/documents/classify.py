"""What an upload is, decided once from its first rows: an official list, a ward project template, or another table.

Every intake path (the web upload, ``renkei import``, ``renkei check``) asks :func:`classify` once and passes the
answer on, so no later step looks at the file's head again.
"""

from __future__ import annotations

import unicodedata
from pathlib import Path
from typing import Literal

from .layout import HEADER_COUNT, HEADER_PREFECTURE
from .model import DocumentError
from .projects import _raw_rows, is_project_header

Kind = Literal["list", "projects", "table"]
OFFICIAL_LIST: Kind = "list"
PROJECT_TEMPLATE: Kind = "projects"
OTHER_TABLE: Kind = "table"
HEAD_ROWS = 50  # the official list's and the template's headers sit in the first rows; a title may come first


def _is_list_header(texts: list[str]) -> bool:
    norm = ["".join(unicodedata.normalize("NFKC", t).split()) for t in texts]
    return HEADER_PREFECTURE in norm and any(HEADER_COUNT in t for t in norm)


def classify(path: str | Path, data: bytes | None = None) -> Kind:
    """The kind of ``path`` (or of ``data``, named by ``path``), from its first :data:`HEAD_ROWS` rows.

    A head that cannot be read as rows (PDF, XLS, a broken file) is taken for a list: the list reader knows
    those formats and gives the precise error. A readable table with neither header is another table
    (for ``renkei reconcile`` or ``/convert/``).
    """
    try:
        rows = [[v for _, v in cells] for _, _, cells in _raw_rows(Path(path), data, None, None, limit=HEAD_ROWS)]
    except (DocumentError, OSError):
        return OFFICIAL_LIST
    for texts in rows:
        if is_project_header(texts):
            return PROJECT_TEMPLATE
        if _is_list_header(texts):
            return OFFICIAL_LIST
    return OTHER_TABLE if rows else OFFICIAL_LIST
