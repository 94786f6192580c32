"""Every sink escapes what it writes: spreadsheet formulas (XLSX, CSV/TSV, the API's CSV), XML/PDF markup,
and stored file names (renkei.sinks)."""

from __future__ import annotations

import csv
import io
import json
import warnings

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from renkei.cli import cli
from renkei.publish import render
from renkei.registry import Registry
from renkei.sinks import FileNameError, clean_filename, neutralise, xml_text

HYPERLINK = '=HYPERLINK("http://evil.example/","x")'
CALC = "=cmd|' /C calc'!A0"
PLUS = "+cmd|' /C calc'!A0"
ATTACKS = (HYPERLINK, CALC, PLUS)


@pytest.fixture(scope="module")
def evil_list(tmp_path_factory, make_fixtures):
    """A published list whose cells hold formulas where names should be."""
    grid = make_fixtures.published_grid([("北海道", ["北海道(道庁)", "札幌市", *ATTACKS])])
    return make_fixtures.write_text(grid, tmp_path_factory.mktemp("evil") / "evil.tsv", delimiter="\t",
                                    encoding="utf-8", newline="\n")


@pytest.fixture(scope="module")
def evil_registry(tmp_path_factory, evil_list, directory, resolver):
    tmp = tmp_path_factory.mktemp("evilreg")
    reg = Registry.open(f"sqlite:///{tmp / 'r.sqlite3'}", directory=directory, resolver=resolver, seed=False)
    reg.import_file(evil_list, release=True)
    yield reg
    reg.engine.dispose()


def _xlsx_cells(raw: bytes) -> list:
    wb = load_workbook(io.BytesIO(raw))
    return [c for ws in wb.worksheets for row in ws.iter_rows() for c in row if c.value is not None]


def _assert_text_cells(raw: bytes) -> None:
    cells = _xlsx_cells(raw)
    formulas = [c.value for c in cells if c.data_type == "f"]
    assert not formulas, formulas
    texts = {c.value for c in cells if c.data_type == "s"}
    assert any(HYPERLINK in t for t in texts) and any(t.startswith(PLUS) for t in texts)


def test_check_xlsx_writes_formulas_as_text(evil_list, tmp_path):
    out = tmp_path / "report.xlsx"
    result = CliRunner().invoke(cli, ["check", str(evil_list), "--xlsx", str(out)])
    assert result.exit_code == 1, result.output
    _assert_text_cells(out.read_bytes())


def test_validation_reports_formulas_as_not_a_name(evil_list):
    result = CliRunner().invoke(cli, ["check", str(evil_list), "--json"])
    report = json.loads(result.output)
    problems = [q for p in report["prefectures"] for q in p["problems"] if q["kind"] == "not_a_name"]
    assert len(problems) == 3
    assert all("自治体名ではありません" in q["message"] and q["severity"] == "error" for q in problems)
    assert any(HYPERLINK in q["message"] for q in problems)


def test_neutralised_cells_are_still_not_names(tmp_path, make_fixtures):
    """Reading back a neutralised CSV: 「'=cmd…」 is reported too, not silently taken for a name."""
    grid = make_fixtures.published_grid([("北海道", ["札幌市", "'" + CALC])])
    path = make_fixtures.write_text(grid, tmp_path / "n.csv", delimiter=",", encoding="utf-8", newline="\n")
    report = json.loads(CliRunner().invoke(cli, ["check", str(path), "--json"]).output)
    assert [q["kind"] for q in report["prefectures"][0]["problems"]].count("not_a_name") == 1


def test_published_xlsx_keeps_formulas_as_text(evil_registry):
    _assert_text_cells(render(evil_registry, "xlsx"))


@pytest.mark.parametrize("fmt, delimiter", [("csv", ","), ("tsv", "\t")])
def test_published_csv_tsv_neutralise_formulas(evil_registry, fmt, delimiter):
    text = render(evil_registry, fmt).decode("utf-8-sig")
    fields = [f for row in csv.reader(io.StringIO(text), delimiter=delimiter) for f in row]
    assert not [f for f in fields if f.startswith(("=", "+", "-", "@"))]
    assert "'" + HYPERLINK + "※" in fields and "'" + CALC + "※" in fields and "'" + PLUS + "※" in fields


def test_diff_outputs_neutralise():
    from renkei.diff import Diff, Reresolved, SnapshotContent
    from renkei.reports import diff as render_diff

    side = SnapshotContent(1, "2025-08-01", "#1", {}, {}, {})
    d = Diff(side, side, [], [Reresolved("北海道", CALC, None, "011002"), Reresolved("北海道", PLUS, None, None)])
    fields = [f for row in csv.reader(io.StringIO(render_diff.csv_text(d))) for f in row]
    assert "'" + CALC in fields and "'" + PLUS in fields
    assert not [f for f in fields if f.startswith(("=", "+", "@"))]
    cells = _xlsx_cells(render_diff.xlsx(d))
    assert not [c for c in cells if c.data_type == "f"] and CALC in {c.value for c in cells}


def test_api_csv_neutralises(tmp_path, directory, resolver, make_fixtures):
    warnings.filterwarnings("ignore", category=DeprecationWarning, module="fastapi.testclient")
    from fastapi.testclient import TestClient

    from renkei.web import create_app

    grid = make_fixtures.project_grid(3)
    grid[1][3], grid[1][8], grid[2][3] = CALC, PLUS, "@SUM(1+1)"
    reg = Registry.open(f"sqlite:///{tmp_path / 'w.sqlite3'}", directory=directory, resolver=resolver)
    reg.import_file(make_fixtures.write_projects(grid, tmp_path / "p.csv"), imported_by="fixture")
    try:
        r = TestClient(create_app(registry=reg)).get("/api/v1/projects?format=csv")
        assert r.status_code == 200
        fields = [f for row in csv.reader(io.StringIO(r.content.decode("utf-8-sig"))) for f in row]
        assert "'" + CALC in fields and "'@SUM(1+1)" in fields
        assert not [f for f in fields if f.startswith(("=", "+", "@"))]
    finally:
        reg.engine.dispose()


@pytest.mark.parametrize("value, expected", [
    ("=1+1", "'=1+1"), ("+81", "'+81"), ("-1", "'-1"), ("@x", "'@x"), ("\tx", "'\tx"), ("\rx", "'\rx"),
    ("札幌市", "札幌市"), ("a=b", "a=b"), (-1, -1), (None, None)])
def test_neutralise(value, expected):
    assert neutralise(value) == expected


def test_xml_text_escapes_markup_and_drops_control_characters():
    assert xml_text('list<b>.tsv & <a href="x">\x00\x07') == "list&lt;b&gt;.tsv &amp; &lt;a href=&quot;x&quot;&gt;"


@pytest.mark.parametrize("name, expected", [
    ("../../etc/passwd", "passwd"), ("C:\\Users\\x\\一覧.xlsx", "一覧.xlsx"), ("a\x00b\x1f.tsv", "ab.tsv"),
    ("list<b>.tsv", "list<b>.tsv"), ("x" * 300 + ".xlsx", "x" * 195 + ".xlsx")])
def test_clean_filename(name, expected):
    assert clean_filename(name) == expected


@pytest.mark.parametrize("name", [".", "..", "", "dir/..", "\x00"])
def test_clean_filename_refuses(name):
    with pytest.raises(FileNameError, match="ファイル名"):
        clean_filename(name)


def test_check_report_prints_on_a4_in_a_windows_font(evil_list, tmp_path):
    out = tmp_path / "report.xlsx"
    CliRunner().invoke(cli, ["check", str(evil_list), "--xlsx", str(out)])
    wb = load_workbook(out)
    for ws in wb.worksheets:
        assert ws.page_setup.paperSize == 9 and ws.page_setup.orientation == "landscape"
        assert ws.sheet_properties.pageSetUpPr.fitToPage and ws.page_setup.fitToWidth in (None, 1)  # 1 is the default
        assert int(ws.page_setup.fitToHeight) == 0
        assert ws.print_title_rows, ws.title  # the header row repeats on every page
        cells = [c for row in ws.iter_rows() for c in row if c.value is not None]
        assert {c.font.name for c in cells} == {"メイリオ"} and {c.font.charset for c in cells} == {128}
        assert all(c.alignment.wrap_text for c in cells), ws.title  # nothing spills over a neighbour
    header = next(r for r in wb["集計"].iter_rows() if r[0].value == "都道府県")[0].row
    assert wb["集計"].print_title_rows == f"${header}:${header}"


def test_pdf_embeds_every_font(evil_registry):
    import pypdf

    pdf = pypdf.PdfReader(io.BytesIO(render(evil_registry, "pdf")))
    for page in pdf.pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            desc = font.get("/FontDescriptor") or font["/DescendantFonts"][0].get_object()["/FontDescriptor"]
            assert "/FontFile2" in desc.get_object(), font["/BaseFont"]
            assert "IPAexGothic" in font["/BaseFont"]


MARKUP_NAME = "<a href=javascript:alert(1)>list<b>.tsv"


@pytest.fixture(scope="module")
def markup_registry(tmp_path_factory, make_fixtures, directory, resolver):
    """A snapshot imported from a file whose name is markup."""
    tmp = tmp_path_factory.mktemp("markup")
    grid = make_fixtures.published_grid([("宮城県", ["宮城県(県庁)", "仙台市", "亶理町"])])
    path = make_fixtures.write_text(grid, tmp / MARKUP_NAME, delimiter="\t", encoding="utf-8", newline="\n")
    reg = Registry.open(f"sqlite:///{tmp / 'm.sqlite3'}", directory=directory, resolver=resolver, seed=False)
    reg.import_file(path, release=True)
    yield reg, tmp
    reg.engine.dispose()


def test_markup_file_name_publishes_safely(markup_registry):
    import pypdf

    from renkei.publish import publish

    reg, tmp = markup_registry
    paths = {p.name: p for p in publish(reg, tmp / "dist", png=False)}
    pdf = pypdf.PdfReader(next(p for n, p in paths.items() if n.endswith(".pdf")))
    assert not any("/Annots" in page for page in pdf.pages)  # no link was injected
    json.loads(paths["datapackage.json"].read_text(encoding="utf-8"))


def test_markup_file_name_builds_the_site(markup_registry):
    from renkei.web.site import build_site

    reg, tmp = markup_registry
    written = build_site(reg, tmp / "site")
    assert any(p.suffix == ".pdf" for p in written)


@pytest.mark.parametrize("name", ["..", "."])
def test_upload_refuses_dot_names(tmp_path, directory, resolver, name):
    import re

    warnings.filterwarnings("ignore", category=DeprecationWarning, module="fastapi.testclient")
    from fastapi.testclient import TestClient

    from renkei.registry import accounts
    from renkei.web import create_app

    reg = Registry.open(f"sqlite:///{tmp_path / 'u.sqlite3'}", directory=directory, resolver=resolver, seed=False)
    accounts.add_user(reg, "jimu", "correct horse battery", "admin")
    client = TestClient(create_app(registry=reg))
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text).group(1)
    client.post("/login", data={"username": "jimu", "password": "correct horse battery", "csrf_token": token,
                                "next": "/admin/"})
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/admin/upload").text).group(1)
    try:
        r = client.post("/admin/upload", data={"csrf_token": token}, files={"file": (name, b"x\ty\n", "text/plain")})
        assert r.status_code == 422 and "ファイル名" in r.text and "使えません" in r.text
    finally:
        reg.engine.dispose()


def test_markup_and_control_characters_in_a_title(tmp_path, make_fixtures, directory, resolver):
    """A list's title (its first line, shown as the source of every output) cannot break the SVG, PDF or JSON."""
    import xml.etree.ElementTree as ET

    import pypdf

    from renkei.publish import publish

    grid = make_fixtures.published_grid([("宮城県", ["仙台市"])], "特別区連携<b>自治体数一覧\x07(令和7年8月1日現在)")
    path = make_fixtures.write_text(grid, tmp_path / "t.csv", delimiter=",", encoding="utf-8", newline="\n")
    reg = Registry.open(f"sqlite:///{tmp_path / 't.sqlite3'}", directory=directory, resolver=resolver, seed=False)
    reg.import_file(path, release=True)
    try:
        paths = {p.suffix: p for p in publish(reg, tmp_path / "dist", ["pdf", "map-prefectures", "datapackage"])}
    finally:
        reg.engine.dispose()
    svg = ET.fromstring(paths[".svg"].read_text(encoding="utf-8"))
    assert any("特別区連携<b>自治体数一覧(令和7年8月1日現在)" in (t.text or "") for t in svg.iter())
    text = "".join(page.extract_text() for page in pypdf.PdfReader(paths[".pdf"]).pages)
    assert "<b>" in text  # shown as text, not taken as bold markup
    assert "<b>" in json.loads(paths[".json"].read_text(encoding="utf-8"))["title"]
