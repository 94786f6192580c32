"""Plain data read from documents: positions are kept so every problem can name its cell."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from ..i18n import Message
from ..i18n import gettext as _

log = logging.getLogger(__name__)


class DocumentError(Exception):
    """A document that cannot be read, with where: file, sheet or page, row, cell.

    ``message`` is a sentence in the reader's language (``_("…")`` or a :class:`~renkei.i18n.Message`);
    ``detail`` is a low-level exception's own text (「BadZipFile: File is not a zip file」): it is logged for
    whoever runs the program and kept on the error, but never part of what a person reads.
    """

    def __init__(self, message: str | Message, *, file: str = "", sheet: str | None = None, page: int | None = None,
                 row: int | None = None, col: int | None = None, detail: str | None = None) -> None:
        self.message, self.file, self.sheet, self.page, self.row, self.col = message, file, sheet, page, row, col
        self.detail = detail
        super().__init__(str(self))
        if detail:
            log.info("%s (%s)", self, detail)

    @property
    def where(self) -> str:
        """ファイル「一覧.xlsx」、シート「Sheet1」、12行目、セルL12 (in the reader's language)."""
        parts = [_("ファイル「{file}」").format(file=self.file) if self.file else _("入力")]
        if self.sheet:
            parts.append(_("シート「{sheet}」").format(sheet=self.sheet))
        if self.page is not None:
            parts.append(_("{page}ページ").format(page=self.page))
        if self.row is not None:
            parts.append(_("{row}行目").format(row=self.row))
        if self.col is not None:
            parts.append(_("セル{cell}").format(cell=cell_name(self.row or 1, self.col)))
        return _("、").join(parts)

    @property
    def cell(self) -> str | None:
        """The cell's name (D3), when the error has a column."""
        return cell_name(self.row or 1, self.col) if self.col is not None else None

    def __str__(self) -> str:
        return _("{where}：{message}").format(where=self.where, message=self.message)


def low_level(exc: BaseException) -> str:
    """An exception's class and text, for ``detail``: 「BadZipFile: File is not a zip file」."""
    text = str(exc).strip()
    return f"{exc.__class__.__name__}: {text}" if text else exc.__class__.__name__


class NotOfficialLayout(DocumentError):
    """A readable table that is not the published list's layout (no 都道府県 | 自治体数 header)."""


def cell_name(row: int, col: int) -> str:
    """Spreadsheet-style cell name, 1-based: (3, 4) → D3."""
    letters = ""
    while col > 0:
        col, rem = divmod(col - 1, 26)
        letters = chr(65 + rem) + letters
    return f"{letters}{row}"


@dataclass(frozen=True, slots=True)
class Cell:
    """One non-empty cell as read: 1-based row and column within its sheet or page."""

    text: str
    row: int
    col: int
    sheet: str | None = None
    page: int | None = None

    @property
    def where(self) -> str:
        prefix = f"{self.sheet}!" if self.sheet else (f"p.{self.page} " if self.page else "")
        return prefix + cell_name(self.row, self.col)


@dataclass(slots=True)
class Block:
    """One prefecture's block: its first row holds the prefecture and the declared count."""

    prefecture: str  # as written
    declared: int | None
    names: list[Cell] = field(default_factory=list)
    cell: Cell | None = None  # where the prefecture was written
    rows: list[int] = field(default_factory=list)  # the row numbers the block spans


@dataclass(slots=True)
class PublishedList:
    """A 特別区連携自治体数一覧 as read from a document, before any resolving."""

    source: str
    format: str
    encoding: str | None
    title: str | None
    as_of: str | None  # ISO date
    blocks: list[Block]
    problems: list[tuple[str, Message]] = field(default_factory=list)  # (kind, message) found while reading
    sha256: str = ""
