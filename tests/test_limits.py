"""What reading an upload may cost (issue 11, items 5 and 9): bytes, rows, cells per row, the decompressed
size of an XLSX, entity-declaring XML, and time. Every reader stops at the first excess with a clear error
naming the file and the limit; `renkei check` exits 2 with one line. Benchmark: bench/bench_limits.py.
"""

from __future__ import annotations

import io
import zipfile

import pytest
from click.testing import CliRunner

from renkei.cli import cli
from renkei.documents import DocumentError, read
from renkei.documents.limits import STOP, Limits, check_xlsx, count_rows
from renkei.documents.projects import read_projects

BILLION_LAUGHS = (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol">'
                  + b"".join(b'<!ENTITY lol%d "%s">' % (i, (b"&lol%s;" % (b"" if i == 1 else str(i - 1).encode())) * 10)
                             for i in range(1, 10))
                  + b']><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
                    b'<row r="1"><c r="A1" t="inlineStr"><is><t>&lol9;</t></is></c></row></sheetData></worksheet>')
XXE = (b'<?xml version="1.0"?>\n<!-- harmless -->\n<!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
       b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
       b'<row r="1"><c r="A1" t="inlineStr"><is><t>&xxe;</t></is></c></row></sheetData></worksheet>')


def rewrite(src, dst, replace: dict[str, bytes] | None = None, add_zeros: tuple[str, int] | None = None):
    """A copy of the XLSX at ``src`` with some parts replaced, and optionally a part of ``n`` zero bytes."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            zout.writestr(info.filename, (replace or {}).get(info.filename, zin.read(info.filename)))
        if add_zeros:
            name, size = add_zeros
            with zout.open(name, "w", force_zip64=True) as part:
                chunk = bytes(1 << 20)
                for _ in range(size // len(chunk)):
                    part.write(chunk)
    return dst


def refused(path, match, **kw) -> DocumentError:
    with pytest.raises(DocumentError, match=match) as info:
        read(path, **kw)
    assert str(path) in str(info.value)
    return info.value


def check_cli(path, env=None):
    r = CliRunner().invoke(cli, ["check", str(path)], env=env or {})
    assert r.exit_code == 2, r.output
    lines = [line for line in r.output.splitlines() if line.strip()]
    assert len(lines) == 1 and str(path) in lines[0], r.output  # one line naming the file
    return lines[0]


@pytest.mark.parametrize(("part", "payload"), [("billion laughs", BILLION_LAUGHS), ("external entity", XXE)])
def test_entity_xml_in_xlsx_is_refused(tmp_path, fixtures_dir, part, payload):
    path = rewrite(fixtures_dir["xlsx"], tmp_path / "evil.xlsx", {"xl/worksheets/sheet1.xml": payload})
    error = refused(path, "DTD・エンティティ")
    assert "sheet1.xml" in str(error)
    assert "DTD・エンティティ" in check_cli(path)
    with pytest.raises(DocumentError, match="DTD・エンティティ"):
        list(read_projects(path))


def test_zip_bomb_is_refused_before_decompressing(tmp_path, fixtures_dir):
    path = rewrite(fixtures_dir["xlsx"], tmp_path / "bomb.xlsx", add_zeros=("xl/media/zeros.bin", 51 << 20))
    assert path.stat().st_size < 1 << 20  # a small file …
    refused(path, "展開すると 5[12] MB になり、上限 50 MB")  # … that would unpack past the default limit
    small = rewrite(fixtures_dir["xlsx"], tmp_path / "small-bomb.xlsx", add_zeros=("xl/media/z.bin", 2 << 20))
    refused(small, "圧縮爆弾", limits=Limits(max_unzipped=1 << 20))
    line = check_cli(small, env={"RENKEI_MAX_UNZIPPED_BYTES": str(1 << 20)})
    assert "RENKEI_MAX_UNZIPPED_BYTES" in line
    read(small)  # within the default limit it reads


def test_row_limit_in_every_format(tmp_path, fixtures_dir):
    for kind in ("tsv", "csv-cp932-crlf", "xlsx", "xls", "pdf"):
        error = refused(fixtures_dir[kind], "行数が上限 10 行", limits=Limits(max_rows=10))
        assert error.row is not None or kind in ("xls", "xlsx")  # both know their size before reading rows
    assert "RENKEI_MAX_ROWS" in check_cli(fixtures_dir["tsv"], env={"RENKEI_MAX_ROWS": "10"})
    for kind in ("tsv", "xlsx", "xls", "pdf"):
        read(fixtures_dir[kind])  # the real list is far within the defaults


def test_cells_per_row_and_bytes(tmp_path, fixtures_dir):
    wide = tmp_path / "wide.tsv"
    wide.write_text(fixtures_dir["tsv"].read_text(encoding="utf-8") + "\t" * 700 + "x\n", encoding="utf-8")
    error = refused(wide, "1行のセル数が上限 500")
    assert error.row == len(fixtures_dir["tsv"].read_text(encoding="utf-8").splitlines()) + 1
    padded = tmp_path / "padded.tsv"  # empty cells after the last filled one cost nothing
    padded.write_text(fixtures_dir["tsv"].read_text(encoding="utf-8") + "x" + "\t" * 700 + "\n", encoding="utf-8")
    read(padded)
    assert "上限 0 MB" in check_cli(fixtures_dir["tsv"], env={"RENKEI_MAX_UPLOAD_BYTES": "1000"})


def test_wide_xlsx_rows_are_refused(tmp_path):
    import xlsxwriter

    path = tmp_path / "wide.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("広い")
    ws.write(0, 0, "特別区連携自治体数一覧")
    ws.write(1, 600, "x")
    wb.close()
    error = refused(path, "1行のセル数が上限 500")
    assert error.sheet == "広い" and error.row == 2


def test_time_limit_and_server_stop(fixtures_dir):
    refused(fixtures_dir["xlsx"], "上限 0 秒", limits=Limits(max_seconds=0))
    STOP.set()
    try:
        refused(fixtures_dir["tsv"], "サーバーが停止する")
    finally:
        STOP.clear()


def test_project_reader_limits(tmp_path, make_fixtures):
    path = make_fixtures.write_projects(make_fixtures.project_grid(30), tmp_path / "projects.csv")
    with pytest.raises(DocumentError, match="行数が上限 10 行") as info:
        list(read_projects(path, limits=Limits(max_rows=10)))
    assert info.value.row == 11 and str(path) in str(info.value)
    with pytest.raises(DocumentError, match="上限"):
        list(read_projects(path, limits=Limits(max_bytes=100)))
    assert len(list(read_projects(path))) == 30


def test_rows_are_counted_across_chunk_boundaries():
    sheet = b"<sheetData>" + b"".join(b'<row r="%d"><c><v>1</v></c></row><x:row/>' % i for i in range(50)) + \
        b"<rowBreaks/></sheetData>"
    for size in (1, 3, 7, 64, 1 << 20):
        assert count_rows(io.BytesIO(sheet), size) == 100


def test_settings_from_the_environment(monkeypatch):
    monkeypatch.setenv("RENKEI_MAX_ROWS", "1_000")
    monkeypatch.setenv("RENKEI_MAX_PARSE_SECONDS", "2.5")
    assert Limits.from_env() == Limits(max_rows=1000, max_seconds=2.5)
    monkeypatch.setenv("RENKEI_MAX_ROWS", "many")
    with pytest.raises(ValueError, match="RENKEI_MAX_ROWS"):
        Limits.from_env()


def test_prolog_scan_allows_real_parts(fixtures_dir):
    with fixtures_dir["xlsx"].open("rb") as fh:
        check_xlsx(fh, Limits(), "list.xlsx")  # xlsxwriter's parts pass
    doc = io.BytesIO()
    with zipfile.ZipFile(doc, "w") as z:
        z.writestr("[Content_Types].xml", b"\xef\xbb\xbf<?xml version='1.0'?>\n<!-- c -->\n<!DOCTYPE T><Types/>")
    with pytest.raises(DocumentError, match="DTD"):
        check_xlsx(doc, Limits(), "bom.xlsx")


def test_cells_in_all_are_limited_in_every_format(fixtures_dir, monkeypatch):
    for kind in ("tsv", "csv-cp932-crlf", "xlsx", "xls", "pdf"):
        refused(fixtures_dir[kind], "セル数が上限 50 を超えています", limits=Limits(max_table_cells=50))
    assert "RENKEI_MAX_CELLS" in check_cli(fixtures_dir["tsv"], env={"RENKEI_MAX_CELLS": "50"})
    monkeypatch.setenv("RENKEI_MAX_CELLS", "2_000")
    monkeypatch.setenv("RENKEI_MAX_CONVERT_SECONDS", "7.5")
    assert Limits.from_env() == Limits(max_table_cells=2000, max_convert_seconds=7.5)


def test_a_deadline_covers_several_budgets(monkeypatch):
    import types

    from renkei.documents import limits

    now = [0.0]
    monkeypatch.setattr(limits, "time", types.SimpleNamespace(monotonic=lambda: now[0]))
    deadline = Limits(max_convert_seconds=10).conversion_deadline()
    first, second = Limits().budget("a.csv", deadline), Limits().budget("a.csv", deadline)
    first.row(3, row=1)
    now[0] = 9.0
    second.row(3, row=1)  # a new step (writing, say) still has only what the first left
    assert deadline.remaining() == 1.0
    now[0] = 10.5
    with pytest.raises(DocumentError, match="変換が上限 10 秒を超えたため中断しました") as info:
        second.row(3, row=2)
    assert info.value.row == 2 and "RENKEI_MAX_CONVERT_SECONDS" in str(info.value)
    assert first.cells == 3 and second.cells == 6
