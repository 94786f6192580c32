"""Ward project records: the template, its reader, and the summary list derived from it."""

from __future__ import annotations

import csv

import pytest
from hypothesis import given
from hypothesis import strategies as st

from renkei.aggregate import derive_list
from renkei.documents import DocumentError
from renkei.documents.classify import PROJECT_TEMPLATE, classify
from renkei.documents.projects import (
    FIELDS,
    HEADERS,
    ProjectFile,
    parse_fiscal_year,
    read_projects,
    split_names,
    write_template,
)
from renkei.validate import check


def test_template_files(tmp_path):
    from openpyxl import load_workbook

    xlsx, csv_path = write_template(tmp_path)
    raw = csv_path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and raw.endswith(b"\r\n")  # opens cleanly in Japanese Excel
    assert next(csv.reader(raw.decode("utf-8-sig").splitlines())) == list(HEADERS)
    wb = load_workbook(xlsx)
    assert wb.sheetnames == ["連携事業", "記入方法"]
    assert [c.value for c in wb["連携事業"][1]] == list(HEADERS)
    assert wb["連携事業"].data_validations.dataValidation[0].formula1 == '"' + ",".join(FIELDS) + '"'
    for path in (xlsx, csv_path):  # a blank template is a valid file with no projects
        assert classify(path) == PROJECT_TEMPLATE
        assert list(read_projects(path)) == []


def test_template_sheet_order_survives_a_filled_in_guide(tmp_path, make_fixtures):
    grid = make_fixtures.project_grid(30)
    path = make_fixtures.write_projects(grid, tmp_path / "p.xlsx")
    records = list(read_projects(path))
    assert len(records) == 30  # the guide sheet after the data is not read as projects
    assert records[0].sheet == "連携事業" and records[0].row == 2


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_records_match_the_rows(tmp_path, make_fixtures, suffix):
    grid = make_fixtures.project_grid(200)
    path = make_fixtures.write_projects(grid, tmp_path / f"p{suffix}")
    info = ProjectFile(str(path), "")
    records = list(read_projects(path, info=info))
    assert info.rows == 200 and info.format == suffix[1:] and len(info.sha256) == 64
    for row, r in zip(grid[1:], records, strict=True):
        assert r.wards == tuple(split_names(row[0]))
        assert r.partner_prefecture == row[1]
        assert [c.text for c in r.partners] == split_names(row[2])
        assert (r.title, r.field, r.fiscal_year) == (row[3], row[4], parse_fiscal_year(row[5]))
        assert r.start == (row[6] or None) and r.end == (row[7] or None)


def test_multi_ward_and_partner_cells(tmp_path):
    path = tmp_path / "p.csv"
    path.write_text("区,連携先都道府県,連携先,事業名,分野,年度,開始日,終了日,概要,出典URL\n"
                    '港区・中央区,福島県,"飯舘村、亶理町",物産展,産業・物産,令和7年度,令和7年10月4日,,"改行を\n含む概要",\n',
                    encoding="utf-8")
    (r,) = read_projects(path)
    assert r.wards == ("港区", "中央区")
    assert [c.text for c in r.partners] == ["飯舘村", "亶理町"]
    assert r.start == "2025-10-04" and r.summary == "改行を\n含む概要"  # quoted newlines are kept
    assert r.period == ("2025-10-04", "2025-10-04")


@pytest.mark.parametrize(("cell", "value", "message"), [
    ("E2", "グルメ", "分野"),
    ("F2", "来年", "年度"),
    ("G2", "10月頃", "開始日"),
    ("D2", "", "事業名"),
    ("J2", "www.example.jp", "出典URL"),
])
def test_bad_cells_are_named(tmp_path, cell, value, message):
    row = ["港区", "宮城県", "亘理町", "物産展", "観光", "2025", "2025-10-04", "2025-10-05", "", "https://x.jp"]
    row["ABCDEFGHIJ".index(cell[0])] = value
    path = tmp_path / "p.csv"
    path.write_text(",".join(HEADERS) + "\n" + ",".join(row) + "\n", encoding="utf-8")
    with pytest.raises(DocumentError) as err:
        list(read_projects(path))
    assert f"2行目、セル{cell}：" in str(err.value) and message in str(err.value)
    assert str(path) in str(err.value)


def test_end_before_start(tmp_path):
    path = tmp_path / "p.csv"
    path.write_text(",".join(HEADERS) + "\n港区,宮城県,亘理町,物産展,観光,2025,2025-10-04,2025-10-01,,\n",
                    encoding="utf-8")
    with pytest.raises(DocumentError, match="セルH2：終了日"):
        list(read_projects(path))


def test_missing_header(tmp_path):
    path = tmp_path / "p.csv"
    path.write_text("区,連携先\n港区,亘理町\n", encoding="utf-8")
    with pytest.raises(DocumentError, match="見出し行が見つかりません"):
        list(read_projects(path))


@given(st.lists(st.text(alphabet="亘理町港区飯舘村あいうアイウ 　", min_size=1, max_size=6), min_size=1, max_size=5),
       st.sampled_from(["、", "・", ",", "，", "/", "／"]))
def test_split_names(parts, sep):
    parts = [p.strip() for p in parts if p.strip()]
    assert split_names(sep.join(parts)) == parts


@pytest.mark.parametrize(("text", "year"), [
    ("2025", 2025), ("２０２５年度", 2025), ("令和7年度", 2025), ("令和元年度", 2019), ("R7", 2025),
    ("平成31年度", 2019), ("H30", 2018), ("来年", None), ("25", None), ("", None),
])
def test_fiscal_years(text, year):
    assert parse_fiscal_year(text) == year


@given(st.integers(1989, 2100))
def test_fiscal_year_round_trip(year):
    assert parse_fiscal_year(str(year)) == year
    era, base = ("令和", 2018) if year >= 2019 else ("平成", 1988)
    assert parse_fiscal_year(f"{era}{year - base}年度") == year


def test_derived_list(tmp_path, make_fixtures, resolver):
    grid = make_fixtures.project_grid(300)
    path = make_fixtures.write_projects(grid, tmp_path / "p.csv")
    doc = derive_list(read_projects(path), source=str(path), resolver=resolver)
    expected: dict[str, set[str]] = {}
    for row in grid[1:]:
        expected.setdefault(row[1], set()).update(split_names(row[2]))
    assert {b.prefecture: {c.text for c in b.names} for b in doc.blocks} == expected
    codes = [resolver.directory.prefecture(b.prefecture).code for b in doc.blocks]
    assert codes == sorted(codes)
    for b in doc.blocks:
        names = [resolver.resolve(c.text, b.prefecture).code for c in b.names]
        assert names == sorted(names)  # the prefectural government (…0002) first, then code order
        assert b.declared == len(b.names)
    report = check(doc, resolver)
    assert report.totals["needs_review"] == 0 and report.totals["listed"] == sum(map(len, expected.values()))
    assert not any(p.kind == "missing_prefectures" for p in report.problems)  # no partners there is not an error


def test_derived_list_period_and_corrections(tmp_path, resolver):
    path = tmp_path / "p.csv"
    rows = [HEADERS,
            ("港区", "宮城県", "亶理町", "a", "観光", "2024", "", "", "", ""),
            ("中央区", "宮城県", "亘理町", "b", "観光", "2025", "", "", "", ""),  # the same partner, spelt right
            ("港区", "", "飯舘村", "c", "観光", "", "2025-05-01", "", "", ""),  # prefecture from the name
            ("港区", "宮城県", "宮城県", "d", "観光", "2023", "", "", "", ""),
            ("港区", "福島県", "ほげ村", "e", "観光", "2025", "", "", "", "")]
    path.write_text("\n".join(",".join(r) for r in rows) + "\n", encoding="utf-8")
    doc = derive_list(read_projects(path), source=str(path), resolver=resolver)
    by = {b.prefecture: [c.text for c in b.names] for b in doc.blocks}
    assert by == {"宮城県": ["宮城県", "亶理町"], "福島県": ["飯舘村", "ほげ村"]}  # unresolved last, never dropped
    fy2025 = derive_list(read_projects(path), source=str(path), resolver=resolver, since="2025-04-01",
                         until="2026-03-31")
    assert {b.prefecture: [c.text for c in b.names] for b in fy2025.blocks} == \
        {"宮城県": ["亘理町"], "福島県": ["飯舘村", "ほげ村"]}
    report = check(doc, resolver)
    statuses = {e.resolution.input: e.resolution.status for p in report.prefectures for e in p.entries}
    assert statuses["亶理町"] == "corrected" and statuses["ほげ村"] in ("unresolved", "ambiguous")
    where = {e.resolution.input: e.where for p in report.prefectures for e in p.entries}
    assert where["亶理町"] == "C2"  # the report points into the project file


def test_bad_project_files(tmp_path):
    header = ",".join(HEADERS) + "\n"
    row = "港区,宮城県,亘理町,物産展,観光,2025,,,,\n"
    mixed = tmp_path / "mixed.csv"  # UTF-8 for 3,000 rows, then one CP932 row: found while streaming
    mixed.write_bytes((header + row * 3000).encode("utf-8") + row.encode("cp932"))
    with pytest.raises(DocumentError, match="前の行と同じ utf-8 ではありません") as err:
        list(read_projects(mixed))
    assert str(mixed) in str(err.value) and "3002行目：" in str(err.value)
    binary = tmp_path / "x.csv"
    binary.write_bytes(bytes(range(256)) * 10)
    with pytest.raises(DocumentError, match="バイナリファイルです"):
        list(read_projects(binary))
    truncated = tmp_path / "t.xlsx"
    write_template(tmp_path)
    truncated.write_bytes((tmp_path / "連携事業テンプレート.xlsx").read_bytes()[:3000])
    with pytest.raises(DocumentError, match="壊れているか、途中で切れています"):
        list(read_projects(truncated))
    pdf = tmp_path / "x.pdf"
    pdf.write_bytes(b"%PDF-1.4\n")
    with pytest.raises(DocumentError, match="PDF は読めません"):
        list(read_projects(pdf, format="pdf"))


def test_unknown_ward(tmp_path, resolver):
    from renkei.aggregate import resolve_wards

    path = tmp_path / "p.csv"
    path.write_text(",".join(HEADERS) + "\n港区・横浜市,宮城県,亘理町,物産展,観光,2025,,,,\n", encoding="utf-8")
    (record,) = read_projects(path)
    with pytest.raises(DocumentError, match="「横浜市」は特別区（23区）ではありません") as err:
        resolve_wards(record, resolver, str(path))
    assert "2行目、セルA2" in str(err.value)


from hypothesis import HealthCheck, settings  # noqa: E402


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.lists(st.one_of(st.sampled_from(["港区", "宮城県", "亘理町", "観光", "2025", "令和7年度", "",
                                                     "2025-10-04", "https://x.jp", "グルメ", "・", "、"]),
                                   st.text(max_size=8)), max_size=10), max_size=8),
       st.booleans())
def test_fuzz_project_reader(tmp_path, rows, with_header):
    """Any grid gives records or one DocumentError naming the file: never another exception."""
    path = tmp_path / "fuzz.csv"
    buf = [list(HEADERS)] if with_header else []
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows(buf + rows)
    try:
        for r in read_projects(path):
            assert r.title and r.wards and r.partners
    except DocumentError as exc:
        assert str(path) in str(exc)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.binary(max_size=2000))
def test_fuzz_project_reader_bytes(tmp_path, data):
    path = tmp_path / "fuzz.csv"
    path.write_bytes(data)
    try:
        list(read_projects(path))
    except DocumentError as exc:
        assert str(path) in str(exc)


def test_a_cell_of_separators_names_no_ward(tmp_path):
    """Found by the fuzz test: 「・」 in 区 passed the not-empty check and gave a project of no ward."""
    path = tmp_path / "sep.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows([list(HEADERS), ["・", "宮城県", "亘理町", "事業"]])
    with pytest.raises(DocumentError) as err:
        list(read_projects(path))
    assert "A2" in str(err.value)
