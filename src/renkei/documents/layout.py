"""The published summary layout, whatever the format it came in.

    title line            特別区連携自治体数一覧(令和7年8月1日現在)
    header row            都道府県 | 自治体数 | 連携事業を実施した区市町村名
    block first row       北海道   | 54       | 北海道(道庁) | 札幌市 | ... (up to 10 names)
    continuation rows              |          | 美幌市 | ...

Every reader turns its format into rows of :class:`Cell`; this module turns rows
into a :class:`PublishedList`. Blank rows and cells are noise. A header repeated
on a new page or sheet is skipped, and may move the columns.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence

from ..i18n import N_, Message, _
from . import wareki
from .model import Block, Cell, DocumentError, NotOfficialLayout, PublishedList

HEADER_PREFECTURE = "都道府県"
HEADER_COUNT = "自治体数"
TOTAL_LABELS = {"合計", "計", "総計", "全国計"}
NOTE_MARKS = ("※", "注", "*")
# The note `renkei publish` writes under a block whose source declared more names than it listed. Its count
# column shows the names listed; the note keeps the declared count, which a re-import reads back from here.
LOST_ROWS_NOTE = "※原資料の記載{lost}件が欠落（原資料の自治体数{declared}、記載{listed}件）"
DECLARED_IN_NOTE = re.compile(r"原資料の自治体数(\d+)、記載(\d+)件")


def _norm(text: str) -> str:
    return "".join(unicodedata.normalize("NFKC", text).split())


def parse_count(cell: Cell, file: str) -> int:
    text = _norm(cell.text).replace(",", "")
    if text.endswith(("件", "団体")):
        text = text.rstrip("件団体")
    if not text.isdigit():
        raise DocumentError(_("件数「{text}」が数ではありません").format(text=cell.text), file=file, sheet=cell.sheet,
                            page=cell.page, row=cell.row, col=cell.col)
    return int(text)


def missing_header(source: str, sheet: str | None = None) -> NotOfficialLayout:
    """The error for a readable table without the published list's header (the reader, or classify, found none)."""
    text = _("見出し行（{prefecture} | {count} | 連携事業を実施した区市町村名）が見つかりません")
    return NotOfficialLayout(text.format(prefecture=HEADER_PREFECTURE, count=HEADER_COUNT), file=source, sheet=sheet)


def parse_rows(rows: Iterable[Sequence[Cell]], *, source: str, format: str, encoding: str | None = None,
               as_of: str | None = None) -> PublishedList:
    """Rows of non-empty cells (in document order) → a PublishedList. Raises DocumentError."""
    title: str | None = None
    columns: tuple[int, int, int] | None = None  # prefecture, count, first name column
    blocks: list[Block] = []
    problems: list[tuple[str, Message]] = []
    current: Block | None = None
    after_total = False
    last_cell: Cell | None = None
    sheet: str | None = None
    for row in rows:
        cells = [c for c in row if c.text.strip()]
        if not cells:
            continue
        if cells[0].sheet != sheet:
            # each sheet is a table of its own: find its header again (its columns may differ)
            sheet = cells[0].sheet
            if columns is not None:
                columns = None
                title = title or ""
        last_cell = cells[0]
        texts = [_norm(c.text) for c in cells]
        if HEADER_PREFECTURE in texts and any(HEADER_COUNT in t for t in texts):
            pref_col = cells[texts.index(HEADER_PREFECTURE)].col
            count_col = next(c.col for c, t in zip(cells, texts, strict=True) if HEADER_COUNT in t)
            later = [c.col for c in cells if c.col > count_col]
            columns = (pref_col, count_col, later[0] if later else count_col + 1)
            after_total = False  # a table starts again (a new sheet or page)
            continue
        if columns is None:
            line = " ".join(c.text.strip() for c in cells)
            if title is None:
                title = line
            elif line == title or blocks:
                continue  # the title repeated on a later sheet or page
            else:
                problems.append(("structure", Message("text_before_header",
                                                      N_("{cell}：見出し行の前に文字があります：{text}"),
                                                      {"cell": cells[0].where, "text": " ".join(texts)})))
            continue
        pref_col, count_col, names_col = columns
        first = next((c for c in cells if c.col == pref_col), None)
        count = next((c for c in cells if c.col == count_col), None)
        if first is not None and _norm(first.text).startswith(NOTE_MARKS):
            problems.append(("note", _note(first.where, first.text.strip())))
            found = DECLARED_IN_NOTE.search(_norm(first.text))
            if found and current is not None:
                current.declared = int(found.group(1))  # a published table: the source's own count
            continue
        if first is not None and _norm(first.text) in TOTAL_LABELS:
            if count is not None:
                problems.append(("total", Message("total", N_("{cell}：記載の合計 {total}"),
                                                  {"cell": count.where, "total": parse_count(count, source)})))
            after_total = True
            continue
        if after_total:  # below the total: credits and footnotes, not prefecture blocks
            problems.append(("note", _note(cells[0].where, " ".join(c.text.strip() for c in cells))))
            continue
        names = [c for c in cells if c.col >= names_col and c.col not in (pref_col, count_col)]
        if first is not None:
            declared = parse_count(count, source) if count is not None else None
            current = Block(first.text.strip(), declared, [], first, [first.row])
            blocks.append(current)
            if count is None:
                problems.append(("count", Message("count_missing", N_("{cell}：{prefecture}に件数がありません"),
                                                  {"cell": first.where, "prefecture": current.prefecture})))
        elif current is None:
            problems.append(("structure", Message("names_before_prefecture",
                                                  N_("{cell}：最初の都道府県より前に名称があります"),
                                                  {"cell": cells[0].where})))
            continue
        elif current.rows and current.rows[-1] != row[0].row:
            current.rows.append(row[0].row)
        current.names.extend(Cell(c.text.strip(), c.row, c.col, c.sheet, c.page) for c in names)
    if columns is None:
        raise missing_header(source, last_cell.sheet if last_cell else None)
    if not blocks:
        raise DocumentError(_("見出し行の後に都道府県のブロックがありません"), file=source)
    found_date = wareki.parse(title) if title else None
    return PublishedList(source=source, format=format, encoding=encoding, title=title,
                         as_of=as_of or found_date, blocks=blocks, problems=problems)


def _note(cell: str, text: str) -> Message:
    return Message("note", N_("{cell}：{text}"), {"cell": cell, "text": text})


def grid_rows(grid: Iterable[Sequence[object]], *, sheet: str | None = None, page: int | None = None,
              row_offset: int = 0) -> list[list[Cell]]:
    """A 2-D list of values (None or '' for empty) → rows of Cells with 1-based positions."""
    out = []
    for r, values in enumerate(grid, 1 + row_offset):
        cells = []
        for c, value in enumerate(values, 1):
            if value is None:
                continue
            text = _cell_text(value)
            if text.strip():
                cells.append(Cell(text, r, c, sheet, page))
        out.append(cells)
    return out


def _cell_text(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
