"""Ward-level project records (各特別区と全国市町村等連携事業一覧): the template and its reader.

One row is one project. A project may involve several wards or several partners:
they are written in one cell, separated by 、 or ・ (also , ， / and ／). The reader
streams rows, so a file of tens of thousands of projects is read in bounded memory,
and every bad cell is a :class:`DocumentError` naming the file, sheet, row and cell.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from .. import project_rules
from ..i18n import N_, _
from . import wareki
from .limits import Budget, Limits
from .model import Cell, DocumentError
from .readers import budgeted, decode, open_xlsx, sniff_format, xlsx_values

# (column, meaning, example) — the template, its documentation and the reader share this table. The column names
# are the file's contract (always Japanese); the meanings are catalogue messages shown in the reader's language.
COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("区", N_("事業を行う区。複数なら 港区・中央区 のように区切る"), "港区"),
    ("連携先都道府県", N_("連携先の都道府県"), "宮城県"),
    ("連携先", N_("連携先の自治体。複数なら 、 または ・ で区切る"), "亘理町"),
    ("事業名", N_("事業の名称"), "みなと区民まつりでの物産展"),
    ("分野", N_("下の分野のどれか"), "産業・物産"),
    ("年度", N_("年度：2025、令和7年度、R7 のいずれかの書き方"), "令和7年度"),
    ("開始日", N_("開始日：2025-10-04 または 令和7年10月4日"), "2025-10-04"),
    ("終了日", N_("終了日（1日だけの事業や終了日未定なら空欄）"), "2025-10-05"),
    ("概要", N_("事業の短い説明"), "亘理町の特産品を販売"),
    ("出典URL", N_("事業を公表しているページの URL"), "https://www.city.minato.tokyo.jp/"),
)
HEADERS = tuple(c[0] for c in COLUMNS)
REQUIRED = ("区", "連携先", "事業名")
FIELDS = project_rules.FIELDS
SEPARATORS = re.compile(r"[、・,，/／;；]")
ROW_PROBLEMS_SHOWN = 200  # bad rows kept for the report; the rest are only counted


@dataclass(frozen=True, slots=True)
class ProjectRecord:
    """One project row as written, with the cells it came from (for positions in reports)."""

    row: int
    sheet: str | None
    wards: tuple[str, ...]
    partner_prefecture: str
    partners: tuple[Cell, ...]  # one Cell per partner, all at the 連携先 cell's position
    title: str
    field: str | None
    fiscal_year: int | None
    start: str | None  # ISO date
    end: str | None
    summary: str
    url: str
    ward_cell: Cell | None = None

    @property
    def period(self) -> tuple[str | None, str | None]:
        """The dates the project ran: its own dates, else its fiscal year (4月1日〜3月31日)."""
        if self.start or self.end:
            return self.start or self.end, self.end or self.start
        if self.fiscal_year:
            return f"{self.fiscal_year}-04-01", f"{self.fiscal_year + 1}-03-31"
        return None, None

    def active_in(self, since: str | None, until: str | None) -> bool:
        start, end = self.period
        if until and start and start > until:
            return False
        return not (since and end and end < since)


@dataclass(slots=True)
class ProjectFile:
    """A project file's identity, filled in while its records are read."""

    source: str
    format: str
    encoding: str | None = None
    sha256: str = ""
    rows: int = 0
    problems: list[tuple[str, str]] = field(default_factory=list)


@dataclass(slots=True)
class RowProblems:
    """The bad rows of one project file, gathered so that one upload reports them all at once.

    Only the first ``cap`` errors are kept (each names its file, sheet, row and cell); the rest are
    counted, so a file with a million bad rows costs no more memory than one with ``cap``.
    """

    cap: int = ROW_PROBLEMS_SHOWN
    items: list[DocumentError] = field(default_factory=list)
    total: int = 0

    def add(self, error: DocumentError) -> None:
        self.total += 1
        if len(self.items) < self.cap:
            self.items.append(error)

    def __bool__(self) -> bool:
        return self.total > 0

    def summary(self) -> str:
        shown = _("（先頭{n}件を表示）").format(n=len(self.items)) if self.total > len(self.items) else ""
        return _("問題のある行が{total}件あります{shown}。ファイルを直してからもう一度アップロードしてください").format(
            total=self.total, shown=shown)


def split_names(text: str) -> list[str]:
    """「港区・中央区」 → ['港区', '中央区'] (any of 、・,，/／;；)."""
    return [p.strip() for p in SEPARATORS.split(text) if p.strip()]


def parse_fiscal_year(text: str) -> int | None:
    """2025 / 2025年度 / 令和7年度 / R7 / 令和元年度 → 2025 (and so on); None if not a year."""
    t = "".join(unicodedata.normalize("NFKC", text).split())
    m = re.fullmatch(r"(令和|平成|昭和|[RHS])(元|\d{1,2})(?:年度?)?", t)
    if m:
        return wareki.ERAS[m.group(1)] + (1 if m.group(2) == "元" else int(m.group(2)))
    m = re.fullmatch(r"(\d{4})(?:年度?)?", t)
    return int(m.group(1)) if m and 1900 < int(m.group(1)) < 2200 else None


def is_project_header(texts: list[str]) -> bool:
    norm = {"".join(unicodedata.normalize("NFKC", t).split()) for t in texts}
    return all(h in norm for h in REQUIRED)


def read_projects(path: str | Path, *, format: str | None = None, encoding: str | None = None,
                  data: bytes | None = None, info: ProjectFile | None = None,
                  limits: Limits | None = None, problems: RowProblems | None = None) -> Iterator[ProjectRecord]:
    """Stream the project records of a template file (CSV/TSV/XLSX). Raises DocumentError.

    Given a path, the file is read as it is parsed, never whole: memory stays flat with the number of rows.
    ``limits`` (default: the environment's) bound its size, rows, cells per row and time.
    Given ``problems``, a bad row is recorded there and skipped instead of stopping the file, so every bad
    row is found in one pass; errors about the whole file (unreadable, no header, a limit) still raise.
    """
    path = Path(path)
    file = str(path)
    limits = limits or Limits.from_env()
    try:
        size = len(data) if data is not None else path.stat().st_size
    except OSError as exc:
        raise DocumentError(_("ファイルを開けません"), file=file, detail=exc.strerror) from exc
    limits.check_size(size, file)
    if not _head(path, data).strip():
        raise DocumentError(_("ファイルが空です"), file=file)
    info = info if info is not None else ProjectFile(file, "")
    info.sha256 = _sha256(path, data)
    columns: dict[str, int] | None = None
    found = False
    current_sheet: str | None = None
    for sheet, row, cells in _raw_rows(path, data, format, encoding, info=info, budget=limits.budget(file)):
        if sheet != current_sheet:  # each sheet has its own header; a sheet without one (a guide) is skipped
            current_sheet, columns = sheet, None
        if columns is None:
            texts = ["".join(unicodedata.normalize("NFKC", v).split()) for _, v in cells]
            if is_project_header(texts):
                columns = {t: c for (c, _), t in zip(cells, texts, strict=True) if t in HEADERS}
                found = True
            continue
        values = {h: v.strip() for c, v in cells for h, hc in columns.items() if c == hc}
        if not any(values.values()):
            continue
        info.rows += 1
        try:
            record = _record(values, columns, file, sheet, row)
        except DocumentError as exc:
            if problems is None:
                raise
            problems.add(exc)
            continue
        yield record
    if not found:
        raise DocumentError(_("テンプレートの列（{columns}）の見出し行が見つかりません。"
                              "空のテンプレートは renkei template で作れます").format(columns="、".join(REQUIRED)),
                            file=file)


def _record(values: dict[str, str], columns: dict[str, int], file: str, sheet: str | None,
            row: int) -> ProjectRecord:
    def fail(column: str, message: str) -> DocumentError:
        return DocumentError(_("{column}：{message}").format(column=column, message=message), file=file, sheet=sheet,
                             row=row, col=columns.get(column))

    for column in REQUIRED:
        if not values.get(column):
            raise fail(column, _("この列は空にできません"))
    for column in ("区", "連携先"):  # a cell of separators only (「・」) names no one
        if not split_names(values[column]):
            raise fail(column, _("「{value}」には名称がありません").format(value=values[column]))
    field_value = values.get("分野") or None
    if field_value:
        field_value = _field(field_value)
        if field_value is None:
            raise fail("分野", _("「{value}」は分野（{fields}）のどれでもありません").format(
                value=values["分野"], fields="、".join(FIELDS)))
    year = None
    if values.get("年度"):
        year = parse_fiscal_year(values["年度"])
        if year is None:
            raise fail("年度", _("「{value}」は年度ではありません（2025、令和7年度、R7 のように書きます）").format(
                value=values["年度"]))
        year = _ruled(fail, "年度", project_rules.check_fiscal_year, year)
    dates = {}
    for column in ("開始日", "終了日"):
        if values.get(column):
            dates[column] = wareki.parse(values[column])
            if dates[column] is None:
                raise fail(column, _("「{value}」は日付ではありません（2025-10-04 や 令和7年10月4日 のように書きます）")
                           .format(value=values[column]))
            _ruled(fail, column, project_rules.check_date, "start_date" if column == "開始日" else "end_date",
                   dates[column])
    start, end = dates.get("開始日"), dates.get("終了日")
    if start and end and end < start:
        raise fail("終了日", _("終了日 {end} が開始日 {start} より前です").format(end=end, start=start))
    url = _ruled(fail, "出典URL", project_rules.check_url, values.get("出典URL", ""))
    _ruled(fail, "事業名", project_rules.check_length, "title", values["事業名"])
    _ruled(fail, "概要", project_rules.check_length, "summary", values.get("概要", ""))
    pcol = columns["連携先"]
    partners = tuple(Cell(n, row, pcol, sheet) for n in split_names(values["連携先"]))
    return ProjectRecord(row=row, sheet=sheet, wards=tuple(split_names(values["区"])),
                         partner_prefecture=values.get("連携先都道府県", ""), partners=partners,
                         title=values["事業名"], field=field_value, fiscal_year=year, start=start, end=end,
                         summary=values.get("概要", ""), url=url,
                         ward_cell=Cell(values["区"], row, columns["区"], sheet))


def _ruled(fail: Callable[[str, str], DocumentError], column: str, rule: Callable[..., Any], *args: Any) -> Any:
    """A project value rule applied to a cell: its refusal becomes a DocumentError naming the row and cell."""
    try:
        return rule(*args)
    except project_rules.ProjectValueError as exc:
        raise fail(column, str(exc)) from None


def _field(text: str) -> str | None:
    t = "".join(unicodedata.normalize("NFKC", text).split()).replace("･", "・")
    if t in FIELDS:
        return t
    for f in FIELDS:  # 防災 for 防災・災害支援, 観光 for 観光
        if t and t in f.split("・"):
            return f
    return None


def _head(path: Path, data: bytes | None, size: int = 65536) -> bytes:
    if data is not None:
        return data[:size]
    with path.open("rb") as fh:
        return fh.read(size)


def _sha256(path: Path, data: bytes | None) -> str:
    import hashlib

    if data is not None:
        return hashlib.sha256(data).hexdigest()
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _raw_rows(path: Path, data: bytes | None, format: str | None, encoding: str | None, *,
              limit: int | None = None, info: ProjectFile | None = None,
              budget: Budget | None = None) -> Iterator[tuple[str | None, int, list[tuple[int, str]]]]:
    """(sheet, row, [(col, text)]) for every row, streamed from ``data`` or from the file, within the budget."""
    file = str(path)
    budget = budget or Limits.from_env().budget(file)
    head = _head(path, data)
    fmt = (format or sniff_format(head, path.name)).lower()
    if info is not None:
        info.format = fmt
    if fmt in ("tsv", "csv", "txt"):
        cut = head if len(head) < 65536 else head[:head.rfind(b"\n") + 1]  # never split a character
        sample, used = decode(cut, file, encoding)  # detects the encoding, and rejects binaries
        if info is not None:
            info.encoding = used
        delimiter = "\t" if fmt == "tsv" or "\t" in sample[:4096] else ","
        binary = io.BytesIO(data) if data is not None else path.open("rb")
        line_no = 0

        def lines() -> Iterator[str]:  # decoded line by line, so an encoding error names its exact line
            nonlocal line_no
            for line_no, raw in enumerate(binary, 1):  # noqa: B007  (read by the error handler below)
                yield raw.decode(used)

        with binary:
            reader = csv.reader(lines(), delimiter=delimiter)
            try:
                for cells in budgeted(reader, budget):
                    if limit is not None and reader.line_num > limit:
                        return
                    yield None, reader.line_num, [(c, v) for c, v in enumerate(cells, 1) if v.strip()]
            except csv.Error as exc:
                raise DocumentError(_("{format} の形式が崩れています").format(format=fmt.upper()), file=file,
                                    row=reader.line_num, detail=str(exc)) from exc
            except UnicodeDecodeError as exc:
                raise DocumentError(_("この行は前の行と同じ {encoding} ではありません。"
                                      "一つの文字コードで保存し直してください").format(encoding=used),
                                    file=file, row=line_no) from exc
    elif fmt == "xlsx":
        with io.BytesIO(data) if data is not None else path.open("rb") as source:
            wb = open_xlsx(source, budget.limits, file)
            for title, r, values in xlsx_values(wb, budget, limit):
                yield title, r, [(c, _text(v)) for c, v in enumerate(values, 1)
                                 if v is not None and _text(v).strip()]
    else:
        raise DocumentError(_("連携事業は CSV・TSV・XLSX から読みます（{format} は読めません）").format(
            format=fmt.upper()), file=file)


def _text(value: object) -> str:
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def write_template(out: str | Path) -> list[Path]:
    """Write the blank template as 連携事業テンプレート.xlsx and .csv (UTF-8 with BOM) into ``out``."""
    from ..sinks import XLSX_FONT, csv_writer, workbook, write, write_row

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    csv_path = out / "連携事業テンプレート.csv"
    with csv_path.open("w", encoding="utf-8-sig", newline="") as fh:
        csv_writer(fh, lineterminator="\r\n").writerow(HEADERS)
    xlsx_path = out / "連携事業テンプレート.xlsx"
    wb = workbook(str(xlsx_path))
    head = wb.add_format({**XLSX_FONT, "bold": True, "bg_color": "#DDEBF7", "border": 1})
    body = wb.add_format(XLSX_FONT)
    ws = wb.add_worksheet("連携事業")
    write_row(ws, 0, 0, HEADERS, head)
    widths = (12, 12, 18, 36, 14, 10, 12, 12, 40, 36)
    for i, w in enumerate(widths):
        ws.set_column(i, i, w, body)
    ws.freeze_panes(1, 0)
    ws.data_validation(1, 4, 20000, 4, {"validate": "list", "source": list(FIELDS)})
    for i, (_column, meaning, _example) in enumerate(COLUMNS):
        ws.write_comment(0, i, _(meaning))
    guide = wb.add_worksheet("記入方法")  # the sheet names are part of the template, like its columns
    write_row(guide, 0, 0, (_("列"), _("内容"), _("記入例")), head)
    for r, (column, meaning, example) in enumerate(COLUMNS, 1):
        write_row(guide, r, 0, (column, _(meaning), example))
    write(guide, len(COLUMNS) + 2, 0, _("分野：{fields}").format(fields="、".join(FIELDS)))
    write(guide, len(COLUMNS) + 3, 0, _("複数の区・連携先は 、 または ・ で区切ってください。"))
    write(guide, len(COLUMNS) + 4, 0, _("区・連携先・事業名は必須です。1行に1事業を書きます。"))
    guide.set_column(0, 0, 16)
    guide.set_column(1, 2, 48)
    wb.close()
    return [xlsx_path, csv_path]
