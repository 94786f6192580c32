"""Write a reconciled table, row by row: CSV/TSV (UTF-8 with BOM) or XLSX coloured by status.

Both writers stream (XLSX through XlsxWriter's constant-memory mode), so memory does
not grow with the number of rows or columns. Neither lets a cell become a formula: CSV/TSV fields
starting with ``= + - @``, TAB or CR get a leading ``'`` (OWASP's advice against formula
injection); XLSX strings are always written as text cells, never type-guessed.
"""

from __future__ import annotations

import datetime as dt
import io
import tempfile
from collections.abc import Callable
from typing import IO, TYPE_CHECKING, Protocol

from .. import sinks
from ..documents.table import Table, cell_text
from ..i18n import N_
from ..i18n import gettext as _

if TYPE_CHECKING:
    from ..documents.limits import Budget
    from ..reconcile import Plan, Row, Summary
    from ..resolve import Resolver

STATUS_FILLS = {  # light fills that keep black text readable (AA contrast)
    "exact": "#E2EFDA", "normalized": "#E2EFDA", "variant": "#E2EFDA",
    "corrected": "#FFF2CC", "merged": "#DDEBF7", "multiple": "#E4DFEC",
    "ambiguous": "#FCE4D6", "unresolved": "#F8CBAD",
}
LEGEND = (  # (判定コード, what it means); the 判定 label comes from renkei.reconcile.STATUS_LABELS
    ("exact", N_("正式名称のとおり")),
    ("normalized", N_("全角半角・空白・ヶ/ケ・読み・前置の都道府県/郡などの違い")),
    ("variant", N_("漢字の字体違い")), ("corrected", N_("誤字と判断して訂正（要確認）")),
    ("merged", N_("旧名から現在の自治体へ（要確認）")),
    ("multiple", N_("一つのセルに複数の名称（要確認）")),
    ("ambiguous", N_("候補が複数：候補から選んでください（要確認）")),
    ("unresolved", N_("該当する自治体なし（要確認）")),
)


class TableWriter(Protocol):
    def write(self, values: list[object], width: int, extra: list[str], status: str, header: bool = False) -> None:
        ...

    def close(self) -> None:
        """Finish the output."""
        ...

    def discard(self) -> None:
        """Stop without finishing (the work failed): remove whatever the writer keeps in temporary files."""
        ...


class CsvTableWriter:
    """CSV or TSV text; the caller opens the stream (UTF-8 with BOM for Excel)."""

    def __init__(self, stream: IO[str], delimiter: str = ",") -> None:
        self._writer = sinks.csv_writer(stream, delimiter=delimiter, lineterminator="\r\n")

    def write(self, values: list[object], width: int, extra: list[str], status: str, header: bool = False) -> None:
        cells = [cell_text(v) for v in values]
        self._writer.writerow(cells + [""] * (width - len(cells)) + extra)

    def close(self) -> None:
        pass

    def discard(self) -> None:
        pass


class XlsxTableWriter:
    """One worksheet in constant-memory mode, each row filled with its status colour, then a legend sheet."""

    def __init__(self, target: str | IO[bytes], sheet: str | None = None) -> None:
        """Constant memory: each row goes to a temporary file (in a folder of our own) when the next one starts."""
        self._tmp = tempfile.TemporaryDirectory(prefix="renkei-xlsx-")
        self._book = sinks.workbook(target, {"constant_memory": True, "tmpdir": self._tmp.name})
        self._book.set_properties({"created": dt.datetime(2000, 1, 1)})  # reproducible output
        self._ws = self._book.add_worksheet((sheet or _("照合結果"))[:31])
        self._formats: dict[tuple[str, str], object] = {}
        self._row = 0
        self._width: int | None = None

    def _format(self, status: str, kind: str = "") -> object:
        key = (status, kind)
        if key not in self._formats:
            props: dict[str, object] = {"font_name": "Meiryo", "font_size": 10, "valign": "top"}
            if status == "header":
                props.update(bold=True, bg_color="#D9D9D9", border=1)
            elif status in STATUS_FILLS:
                props["bg_color"] = STATUS_FILLS[status]
            if kind == "date":
                props["num_format"] = "yyyy-mm-dd"
            elif kind == "datetime":
                props["num_format"] = "yyyy-mm-dd hh:mm:ss"
            self._formats[key] = self._book.add_format(props)
        return self._formats[key]

    def write(self, values: list[object], width: int, extra: list[str], status: str, header: bool = False) -> None:
        ws, r = self._ws, self._row
        if self._width is None:
            self._width = width
            ws.set_column(width, width, 9)  # code
            ws.set_column(width + 1, width + 2, 14)
            ws.set_column(width + 3, width + 4, 11)  # 判定, 判定コード
            ws.set_column(width + 5, width + 6, 40)
        key = "header" if header else status
        row_format = self._format(key) if key in STATUS_FILLS or header else None
        ws.set_row(r, None, row_format)
        cells: list[object] = [*values, *[None] * (width - len(values)), *extra]
        for c, value in enumerate(cells):
            if value is None or value == "":
                continue
            if isinstance(value, bool):
                ws.write_boolean(r, c, value, row_format)
            elif isinstance(value, int | float):
                ws.write_number(r, c, value, row_format)
            elif isinstance(value, dt.datetime):
                ws.write_datetime(r, c, value, self._format(key, "date" if value.time() == dt.time() else "datetime"))
            elif isinstance(value, dt.date):
                ws.write_datetime(r, c, dt.datetime.combine(value, dt.time()), self._format(key, "date"))
            else:
                ws.write_string(r, c, cell_text(value), row_format)  # text stays text: never a formula
        if header:
            ws.freeze_panes(r + 1, 0)
        # constant-memory mode flushes a row when the next one starts, but keeps every set_row entry;
        # rows already written need theirs no more, so memory stays flat with the number of rows
        ws.row_info.pop(r - 2, None)
        self._row += 1

    def close(self) -> None:
        from ..reconcile import status_label

        legend = self._book.add_worksheet(_("判定の凡例"))
        legend.set_column(0, 1, 12)
        legend.set_column(2, 2, 60)
        for c, heading in enumerate((_("判定"), _("判定コード"), _("意味"))):
            legend.write_string(0, c, heading, self._format("header"))
        for i, (status, text) in enumerate(LEGEND, 1):
            for c, value in enumerate((status_label(status), status, _(text))):
                legend.write_string(i, c, value, self._format(status))
        self._book.close()
        self._tmp.cleanup()

    def discard(self) -> None:
        """XlsxWriter removes its row files only when the book closes: a failed conversion removes the folder."""
        self._tmp.cleanup()


class DiscardingWriter:
    """Writes nothing: for a conversion shown on a page, which needs only the rows shown and the summary."""

    def write(self, values: list[object], width: int, extra: list[str], status: str, header: bool = False) -> None:
        pass

    def close(self) -> None:
        pass

    def discard(self) -> None:
        pass


def open_writer(fmt: str, target: IO[bytes], sheet: str | None = None) -> TableWriter:
    """A writer for ``csv``, ``tsv`` or ``xlsx`` onto a binary stream."""
    if fmt == "xlsx":
        return XlsxTableWriter(target, sheet)
    text = io.TextIOWrapper(target, encoding="utf-8-sig", newline="")
    return _Detaching(CsvTableWriter(text, "\t" if fmt == "tsv" else ","), text)


class _Detaching:
    """Flush the text layer at the end but leave the caller's binary stream open."""

    def __init__(self, writer: CsvTableWriter, text: io.TextIOWrapper) -> None:
        self.writer, self.text = writer, text

    def write(self, values: list[object], width: int, extra: list[str], status: str, header: bool = False) -> None:
        self.writer.write(values, width, extra, status, header)

    def close(self) -> None:
        self.text.flush()
        self.text.detach()

    def discard(self) -> None:
        self.text.detach()  # the caller's stream stays open; it removes the partial file itself


def open_planned(path: str, resolver: Resolver, *, data: bytes | None = None, name: str | None = None,
                 sheet: str | None = None, encoding: str | None = None, column: str | None = None,
                 prefecture_column: str | None = None, check: Callable[[], None] | None = None
                 ) -> tuple[Table, Plan]:
    """Open a table and decide its columns. Without ``sheet``, the first sheet that has a name column.

    ``check`` is called while the columns are detected (a deadline that raises DocumentError).

    Returns (Table, Plan); raises DocumentError (with the plan's Japanese reason) when no sheet fits.
    """
    from itertools import chain, islice

    from ..documents.model import DocumentError
    from ..documents.table import open_table
    from ..reconcile import SAMPLE_ROWS, PlanError, plan

    first = open_table(path, data=data, name=name, sheet=sheet, encoding=encoding)
    others = first.sheets[1:] if sheet is None and first.sheets and first.sheets[0] == first.sheet else ()
    error: PlanError | None = None
    for table in chain([first], (open_table(path, data=data, name=name, sheet=s) for s in others)):
        try:
            return table, plan(list(islice(table.rows(), SAMPLE_ROWS)), resolver, column=column,
                               prefecture_column=prefecture_column, check=check)
        except PlanError as exc:
            error = error or exc
    raise DocumentError(str(error), file=first.source, sheet=first.sheet)


def write_reconciled(table: Table, the_plan: Plan, resolver: Resolver, writer: TableWriter, *,
                     as_of: str | None = None, on_row: Callable[[Row], None] | None = None,
                     budget: Budget | None = None) -> Summary:
    """Stream every row of ``table`` through the resolver into ``writer``; returns the Summary.

    With a ``budget``, each row is counted against its limits (cells, rows, a deadline) as it is
    read, before it is resolved or written: an excess stops the work at that row.
    """
    from ..reconcile import Summary, appended, reconcile

    summary = Summary()
    rows = table.rows() if budget is None else budget.through(table.rows(), table.sheet)
    try:
        for row in reconcile(rows, the_plan, resolver, as_of):
            summary.add(row)
            writer.write(row.values, table.width, appended(row), row.status, header=row.kind == "header")
            if on_row is not None:
                on_row(row)
    except BaseException:
        writer.discard()
        raise
    writer.close()
    return summary
