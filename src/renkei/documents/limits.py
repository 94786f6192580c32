"""What reading one file may cost, checked while it is read: bytes, rows, cells per row, cells
in all, the decompressed size of an XLSX (zip bombs), XML that declares entities, and time.

Every reader (published lists in TSV/CSV/XLSX/XLS/PDF, and the project template) takes a
:class:`Limits` (by default from the environment) and stops at the first excess with a
DocumentError naming the file, the place and the limit. The web server sets :data:`STOP` when
it shuts down, so a parse running in a worker thread ends at its next row. A :class:`Deadline`
bounds a whole operation made of several steps (the web conversion: receiving, reading,
resolving and writing), checked by the budget at every row.

Settings (environment variables; the defaults are far above any real list or template):

=============================  =====================================  ==========
RENKEI_MAX_UPLOAD_BYTES        size of the file                       20 MB
RENKEI_MAX_ROWS                rows (all sheets or pages together)    100,000
RENKEI_MAX_CELLS_PER_ROW       columns up to the last filled cell     500
RENKEI_MAX_CELLS               cells, every row's together            1,000,000
RENKEI_MAX_UNZIPPED_BYTES      an XLSX's parts, decompressed          50 MB
RENKEI_MAX_PARSE_SECONDS       time to read the file                  60
RENKEI_MAX_CONVERT_SECONDS     one web conversion, start to finish    20
=============================  =====================================  ==========
"""

from __future__ import annotations

import os
import re
import threading
import time
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import IO, Any, TypedDict, Unpack

from ..i18n import _
from .model import DocumentError, low_level

STOP = threading.Event()  # set when the server stops: every parse in progress ends at its next row
MB = 1024 * 1024
ENV = {"max_bytes": "RENKEI_MAX_UPLOAD_BYTES", "max_rows": "RENKEI_MAX_ROWS",
       "max_cells": "RENKEI_MAX_CELLS_PER_ROW", "max_table_cells": "RENKEI_MAX_CELLS",
       "max_unzipped": "RENKEI_MAX_UNZIPPED_BYTES", "max_seconds": "RENKEI_MAX_PARSE_SECONDS",
       "max_convert_seconds": "RENKEI_MAX_CONVERT_SECONDS"}
SECONDS = ("max_seconds", "max_convert_seconds")
MAX_ZIP_ENTRIES = 10_000
PROLOG_BYTES = 64 * 1024  # an XML part's prolog (before the root element) longer than this is refused
_PROLOG = re.compile(rb"\s*(?:<\?.*?\?>|<!--.*?-->)", re.DOTALL)


class Where(TypedDict, total=False):
    """Where in a file a limit was passed, as :class:`DocumentError` takes it."""

    row: int | None
    sheet: str | None
    page: int | None


@dataclass(frozen=True, slots=True)
class Limits:
    max_bytes: int = 20 * MB
    max_rows: int = 100_000
    max_cells: int = 500
    max_table_cells: int = 1_000_000
    max_unzipped: int = 50 * MB
    max_seconds: float = 60.0
    max_convert_seconds: float = 20.0

    @classmethod
    def from_env(cls) -> Limits:
        """The defaults, each replaced by its environment variable when set (a bad value is an error)."""
        values: dict[str, Any] = {}  # an int, or a float for the SECONDS fields
        for name, var in ENV.items():
            raw = os.environ.get(var, "").strip().replace("_", "")
            if raw:
                try:
                    values[name] = float(raw) if name in SECONDS else int(raw)
                except ValueError:
                    raise ValueError(_("{var}={value!r} は数値ではありません").format(var=var, value=raw)) from None
        return cls(**values)

    def budget(self, file: str, deadline: Deadline | None = None) -> Budget:
        return Budget(self, file, deadline)

    def conversion_deadline(self) -> Deadline:
        """The one deadline of a web conversion, starting now."""
        return Deadline(self.max_convert_seconds, ENV["max_convert_seconds"])

    def check_size(self, size: int, file: str) -> None:
        if size > self.max_bytes:
            raise DocumentError(_("ファイルが {size:.1f} MB あり、上限 {limit:.0f} MB を超えています"
                                  "（{setting} で変更できます）")
                                .format(size=size / MB, limit=self.max_bytes / MB, setting=ENV["max_bytes"]), file=file)


class Deadline:
    """One point in time for a whole operation of several steps; :meth:`check` refuses past it, in Japanese."""

    def __init__(self, seconds: float, setting: str) -> None:
        self.seconds, self.setting = seconds, setting
        self.at = time.monotonic() + seconds

    def remaining(self) -> float:
        return max(0.0, self.at - time.monotonic())

    def message(self) -> str:
        return _("変換が上限 {limit:g} 秒を超えたため中断しました（{setting} で変更できます）").format(
            limit=self.seconds, setting=self.setting)

    def check(self, file: str | None = None, **where: Unpack[Where]) -> None:
        if time.monotonic() > self.at:
            raise DocumentError(self.message(), file=file or "", **where)


class Budget:
    """Counts rows, cells and time while one file is read; raises DocumentError at the first excess.

    With a :class:`Deadline` (an operation that does more than read), it is checked at every row too.
    """

    def __init__(self, limits: Limits, file: str, deadline: Deadline | None = None) -> None:
        self.limits, self.file, self.rows, self.cells = limits, file, 0, 0
        self.deadline = time.monotonic() + limits.max_seconds
        self.operation = deadline

    def row(self, width: int, *, row: int | None = None, sheet: str | None = None, page: int | None = None) -> None:
        """One more row whose last filled cell is in column ``width``."""
        self.rows += 1
        self.cells += width
        where: Where = {"row": row, "sheet": sheet, "page": page}
        self.expect(0, **where)
        if width > self.limits.max_cells:
            raise DocumentError(_("1行のセル数が上限 {limit:,} を超えています（{setting} で変更できます）")
                                .format(limit=self.limits.max_cells, setting=ENV["max_cells"]), file=self.file, **where)
        if self.cells > self.limits.max_table_cells:
            raise DocumentError(_("セル数が上限 {limit:,} を超えています（{setting} で変更できます）")
                                .format(limit=self.limits.max_table_cells, setting=ENV["max_table_cells"]),
                                file=self.file, **where)
        if self.operation is not None:
            self.operation.check(self.file, **where)
        if self.rows % 256 == 1:  # the first row, then every 256th
            self.tick(**where)

    def through(self, rows: Iterable[tuple[int, list[object]]], sheet: str | None = None
                ) -> Iterator[tuple[int, list[object]]]:
        """Numbered rows as they come, each counted (and refused past a limit) before anyone uses it."""
        for number, values in rows:
            self.row(len(values), row=number, sheet=sheet)
            yield number, values

    def expect(self, more: int, *, row: int | None = None, sheet: str | None = None, page: int | None = None) -> None:
        """Refuse now when ``more`` rows still to come would pass the row limit (a sheet that says its size)."""
        if self.rows + more > self.limits.max_rows:
            raise DocumentError(_("行数が上限 {limit:,} 行を超えています（{setting} で変更できます）")
                                .format(limit=self.limits.max_rows, setting=ENV["max_rows"]), file=self.file, row=row,
                                sheet=sheet, page=page)

    def tick(self, **where: Unpack[Where]) -> None:
        """Stop when the time is up or the server is stopping."""
        if STOP.is_set():
            raise DocumentError(_("サーバーが停止するため、読み込みを中断しました"), file=self.file)
        if time.monotonic() > self.deadline:
            raise DocumentError(_("読み込みが上限 {limit:g} 秒を超えたため中断しました（{setting} で変更できます）")
                                .format(limit=self.limits.max_seconds, setting=ENV["max_seconds"]), file=self.file,
                                **where)


def check_xlsx(source: IO[bytes], limits: Limits, file: str) -> None:
    """Before an XLSX is opened: its parts' decompressed size, and no XML part declaring a DTD or entities.

    A DOCTYPE in an XLSX part only serves entity expansion ("billion laughs") or external entities
    (XXE); Excel never writes one. zipfile stops each part at its declared size, so the declared
    sizes bound what decompression can produce.
    """
    try:
        with zipfile.ZipFile(source) as zf:
            infos = zf.infolist()
            if len(infos) > MAX_ZIP_ENTRIES:
                raise DocumentError(_("XLSX の部品が多すぎます（{n:,} 個）").format(n=len(infos)), file=file)
            total = sum(i.file_size for i in infos)
            if total > limits.max_unzipped:
                raise DocumentError(_("XLSX を展開すると {size:,.0f} MB になり、上限 {limit:,.0f} MB を超えています"
                                      "（圧縮爆弾の疑い。{setting} で変更できます）")
                                    .format(size=total / MB, limit=limits.max_unzipped / MB,
                                            setting=ENV["max_unzipped"]), file=file)
            rows = 0
            for info in infos:
                name = info.filename.lower()
                if name.endswith((".xml", ".rels", ".vml")):
                    with zf.open(info) as part:
                        _check_prolog(part.read(PROLOG_BYTES), info.filename, file)
                        if name.startswith("xl/worksheets/"):
                            part.seek(0)
                            rows += count_rows(part)
            if rows > limits.max_rows:  # counted in C over the unpacked bytes: far faster than parsing them
                raise DocumentError(_("行数が上限 {limit:,} 行を超えています（{rows:,} 行。{setting} で変更できます）")
                                    .format(limit=limits.max_rows, rows=rows, setting=ENV["max_rows"]), file=file)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, EOFError, OSError, ValueError) as exc:
        raise DocumentError(_("XLSX ファイルが壊れているか、途中で切れています"), file=file,
                            detail=low_level(exc)) from exc
    finally:
        source.seek(0)


_PREFIXED_ROW = re.compile(rb"<[A-Za-z_][\w.-]*:row[\s/>]")
_ROW_STARTS = (b"<row ", b"<row>", b"<row/", b"<row\t", b"<row\n", b"<row\r")


def _row_tags(data: bytes) -> int:
    count = sum(data.count(start) for start in _ROW_STARTS)  # bytes.count: C speed
    return count + (len(_PREFIXED_ROW.findall(data)) if b":row" in data else 0)


def count_rows(part: IO[bytes], chunk_size: int = 1 << 20) -> int:
    """The <row> elements of a worksheet part, read in chunks (a tag split between chunks is counted once)."""
    count, tail = 0, b""
    while chunk := part.read(chunk_size):
        if STOP.is_set():
            raise DocumentError(_("サーバーが停止するため、読み込みを中断しました"))
        data = tail + chunk
        count += _row_tags(data)
        tail = data[-32:]
        count -= _row_tags(tail)  # counted again with the next chunk
    return count + _row_tags(tail)


def _check_prolog(head: bytes, part: str, file: str) -> None:
    if not head.strip():
        return  # an empty part: nothing to expand (openpyxl reports it if it matters)
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        head = head.decode("utf-16", "replace").encode("utf-8")
    head = head.removeprefix(b"\xef\xbb\xbf")
    pos = 0
    while m := _PROLOG.match(head, pos):
        if m.end() == pos:
            break
        pos = m.end()
    rest = head[pos:].lstrip()
    if rest[:9].upper() == b"<!DOCTYPE" or rest[:8].upper() == b"<!ENTITY":
        raise DocumentError(_("XLSX の部品 {part} が DTD・エンティティを宣言しています。安全のため読み込みません"
                              "（エンティティ展開・外部実体参照の疑い）").format(part=part), file=file)
    if rest[:1] != b"<" or rest[1:2] in (b"!", b"?"):  # no root element within the first PROLOG_BYTES
        raise DocumentError(_("XLSX の部品 {part} の先頭を XML として解釈できません。安全のため読み込みません")
                            .format(part=part),
                            file=file)
