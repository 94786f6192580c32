"""Publishing: the official table (TSV/CSV/HTML/XLSX/PDF), open data, datapackage.json, maps, diff reports."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET

import pytest

from renkei.publish import FORMATS, MAP_FORMATS, file_name, maps, official, opendata, publish, render
from renkei.registry import Registry

SVG = "{http://www.w3.org/2000/svg}"
ATTRIBUTION_LINES = ["出典：アドレス・ベース・レジストリ（デジタル庁）を加工して作成",
                     "出典：政府統計の総合窓口(e-Stat) 市区町村を探す 廃置分合等情報",
                     "jpcity (MIT, © 2023 jpcity authors)", "localgovjp (CC0, code4fukui)"]


@pytest.fixture(scope="module")
def seeded(tmp_path_factory, directory, resolver):
    """The embedded list, as on first use."""
    reg = Registry.open(f"sqlite:///{tmp_path_factory.mktemp('pub') / 'seed.sqlite3'}", directory=directory,
                        resolver=resolver)
    yield reg
    reg.engine.dispose()


@pytest.fixture(scope="module")
def small(tmp_path_factory, directory, resolver, make_fixtures):
    """A small list with a look-alike typo, a wrong suffix, a name that cannot be resolved and a lost row."""
    tmp = tmp_path_factory.mktemp("small")
    grid = make_fixtures.published_grid([("北海道", ["北海道(道庁)", "札幌市", "美幌市", "ほげほげ村"]),
                                         ("宮城県", ["仙台市", "亶理町"])])
    grid[2][1] = "5"  # the source declares 5 for 北海道 but lists 4
    path = make_fixtures.write_text(grid, tmp / "small.tsv", delimiter="\t", encoding="utf-8", newline="\n")
    reg = Registry.open(f"sqlite:///{tmp / 'small.sqlite3'}", directory=directory, resolver=resolver, seed=False)
    reg.import_file(path, release=True)
    yield reg
    reg.engine.dispose()


EXPECTED_TSV = """特別区連携自治体数一覧(令和7年8月1日現在)
都道府県\t自治体数\t連携事業を実施した区市町村名
北海道\t4\t北海道(道庁)\t札幌市\t美幌町\tほげほげ村※
※原資料の「美幌市」を「美幌町」と訂正
※「ほげほげ村」（原資料 F3）は自治体を特定できず、原資料の表記のまま掲載
※原資料の記載1件が欠落（原資料の自治体数5、記載4件）
宮城県\t2\t仙台市\t亘理町
※原資料の「亶理町」を「亘理町」と訂正
合計\t6

""" + "\n".join(ATTRIBUTION_LINES) + "\n"


def test_official_tsv_exact(small):
    assert render(small, "tsv").decode("utf-8-sig") == EXPECTED_TSV
    assert render(small, "tsv").startswith(b"\xef\xbb\xbf")  # opens cleanly in Japanese Excel


def test_official_csv_exact(small):
    lines = [f'"{line}"' if "," in line else line.replace("\t", ",") for line in EXPECTED_TSV.split("\n")]
    expected = "\r\n".join(lines)
    assert render(small, "csv").decode("utf-8-sig") == expected
    assert render(small, "csv", encoding="cp932").decode("cp932") == expected.replace("©", "(C)")


def test_official_html_exact(small):
    page = render(small, "html").decode("utf-8")
    table = page[page.index('<table class="official">'):page.index("</table>") + len("</table>")]
    empty = "<td></td>"
    assert table == (
        '<table class="official">\n'
        '<thead><tr><th scope="col">都道府県</th><th scope="col">自治体数</th>'
        '<th scope="col" colspan="10">連携事業を実施した区市町村名</th></tr></thead>\n'
        "<tbody>\n"
        '<tr><th scope="row" rowspan="1">北海道</th><td class="num" rowspan="1">4</td>'
        "<td>北海道(道庁)</td><td>札幌市</td><td>美幌町</td><td>ほげほげ村※</td>" + empty * 6 + "</tr>\n"
        '<tr class="note"><td colspan="12">※原資料の「美幌市」を「美幌町」と訂正</td></tr>\n'
        '<tr class="note"><td colspan="12">'
        "※「ほげほげ村」（原資料 F3）は自治体を特定できず、原資料の表記のまま掲載</td></tr>\n"
        '<tr class="note"><td colspan="12">※原資料の記載1件が欠落（原資料の自治体数5、記載4件）</td></tr>\n'
        '<tr><th scope="row" rowspan="1">宮城県</th><td class="num" rowspan="1">2</td>'
        "<td>仙台市</td><td>亘理町</td>" + empty * 8 + "</tr>\n"
        '<tr class="note"><td colspan="12">※原資料の「亶理町」を「亘理町」と訂正</td></tr>\n'
        "</tbody>\n"
        '<tfoot><tr><th scope="row">合計</th><td class="num">6</td><td colspan="10"></td></tr></tfoot>\n'
        "</table>")
    assert page.startswith('<!doctype html>\n<html lang="ja">')
    assert "<title>特別区連携自治体数一覧(令和7年8月1日現在)</title>" in page
    for line in ATTRIBUTION_LINES:
        assert f"<li>{line}</li>" in page


def test_opendata_csv_exact(small):
    d = small.directory
    rows = []
    for code in ("010006", "011002", "015431", "041009", "043613"):
        e = d[code]
        rows.append(f"{code},{e.prefecture},{e.name},{e.kana},{e.kind_label},{e.lat},{e.lon},2025-08-01")
    expected = "全国地方公共団体コード,都道府県名,名称,名称カナ,種別,緯度,経度,時点\r\n" + "\r\n".join(rows) + "\r\n"
    raw = render(small, "opendata")
    assert raw.startswith(b"\xef\xbb\xbf") and raw.decode("utf-8-sig") == expected
    assert render(small, "opendata", encoding="cp932").decode("cp932") == expected
    assert "015431,北海道,美幌町,ビホロチョウ,町," in expected


def test_seed_table_layout(seeded):
    table = official.build(seeded)
    assert table.title == "特別区連携自治体数一覧(令和7年8月1日現在)"
    hokkaido = table.blocks[0]
    assert hokkaido.names[0] == "北海道(道庁)" and all(len(r) <= 10 for r in hokkaido.rows)
    assert "※原資料の記載4件が欠落（原資料の自治体数54、記載50件）" in hokkaido.notes
    for block in table.blocks:
        codes = [seeded.resolver.resolve(n, block.prefecture).code for n in block.names]
        assert codes == sorted(codes)  # the prefectural government first, then code order
    assert table.total == 520


@pytest.mark.parametrize("fmt", ["tsv", "csv", "xlsx", "pdf"])
def test_round_trip_through_check(seeded, tmp_path, fmt):
    """`renkei check` on the published table gives back exactly the snapshot's partners, all exact."""
    from renkei.documents import read
    from renkei.validate import check

    path = tmp_path / file_name(fmt, "2025-08-01", 1)
    path.write_bytes(render(seeded, fmt))
    report = check(read(path), seeded.resolver)
    got = {(p.code, e.resolution.code) for p in report.prefectures for e in p.entries}
    want = {(p.pref_code, p.code) for p in seeded.partners()}
    assert got == want
    assert {e.resolution.status for p in report.prefectures for e in p.entries} == {"exact"}
    # the declared counts come back too (the lost-rows note), not the listed ones: a diff shows no change
    assert {p.code: p.declared for p in report.prefectures} == seeded.declared()
    assert sum(p.declared != p.listed for p in report.prefectures) == 6
    assert report.document.as_of == "2025-08-01"


def test_xlsx_structure(seeded):
    import io

    from openpyxl import load_workbook

    wb = load_workbook(io.BytesIO(render(seeded, "xlsx")))
    ws = wb["連携自治体数一覧"]
    assert ws["A1"].value == "特別区連携自治体数一覧(令和7年8月1日現在)"
    assert [ws.cell(2, c).value for c in (1, 2, 3)] == ["都道府県", "自治体数", "連携事業を実施した区市町村名"]
    merged = {str(r) for r in ws.merged_cells.ranges}
    assert {"C2:L2", "A3:A7", "B3:B7"} <= merged  # header; 北海道's 50 names over 5 rows
    assert ws["A3"].value == "北海道" and ws["B3"].value == 50 and ws["C3"].value == "北海道(道庁)"
    assert ws.page_setup.orientation == "landscape" and int(ws.page_setup.paperSize) == 9
    assert ws.sheet_properties.pageSetUpPr.fitToPage
    assert (ws.page_setup.fitToWidth or 1) == 1  # absent means 1 in OOXML: one page wide
    assert ws.page_setup.fitToHeight == 0
    assert ws.print_title_rows == "$2:$2"
    assert ws["C3"].font.name == "ＭＳ Ｐゴシック" and ws["C3"].border.left.style == "thin"


def test_pdf_text_and_fonts(seeded, tmp_path):
    import io

    import pdfplumber

    raw = render(seeded, "pdf")
    assert b"/FontFile2" in raw  # the TrueType font program is embedded
    with pdfplumber.open(io.BytesIO(raw)) as pdf:
        text = "\n".join(page.extract_text() or "" for page in pdf.pages)
        fonts = {c["fontname"] for page in pdf.pages for c in page.chars}
        assert len(pdf.pages) >= 2
    assert all("IPAexGothic" in f for f in fonts)
    assert "特別区連携自治体数一覧(令和7年8月1日現在)" in text
    for p in seeded.partners():  # every name came back: no missing glyphs
        assert p.name in text or seeded.directory[p.code].list_name in text
    assert "※原資料の記載4件が欠落" in text


def test_pdf_and_maps_render_to_images(seeded, tmp_path):
    """Rendered as a reader sees them (the images were also looked at when this was written)."""
    import io

    import pypdfium2
    from PIL import Image, ImageStat

    pdf = pypdfium2.PdfDocument(render(seeded, "pdf"))
    page = pdf[0].render(scale=1).to_pil().convert("L")
    dark = sum(page.histogram()[:128]) / (page.width * page.height)
    assert 0.02 < dark < 0.5  # text and grid lines, not a blank or black page
    pdf.close()
    png = Image.open(io.BytesIO(maps.svg_to_png(render(seeded, "map-prefectures").decode("utf-8"))))
    assert png.size == (2000, 2120)
    assert ImageStat.Stat(png.convert("L")).stddev[0] > 20


def _svg(reg, fmt):
    return ET.fromstring(render(reg, fmt).decode("utf-8"))


def test_prefecture_map(seeded, directory):
    root = _svg(seeded, "map-prefectures")
    paths = {p.get("data-code"): p for p in root.iter(f"{SVG}path") if p.get("class") == "pref"}
    assert set(paths) == {p.code for p in directory.prefectures}  # every prefecture is drawn
    data = opendata.build(seeded)
    for code, _name, n, _total, _pct in data.coverage:
        expected = maps._classify(n, maps.COUNT_CLASSES) if code in data.prefectures else maps.NO_DATA
        assert paths[code].get("fill") == expected and paths[code].get("d")
    assert paths["010006"].get("fill") == "#08306b"  # 北海道: 50 partners
    assert paths["270008"].get("fill") == maps.NO_DATA  # 大阪府: not in the (truncated) source
    legend = [(t.text, t.get("data-colour")) for t in root.iter(f"{SVG}text") if t.get("data-colour")]
    assert legend == [("0団体", "#f7fbff"), ("1〜9団体", "#c6dbef"), ("10〜19団体", "#6baed6"),
                      ("20〜29団体", "#2171b5"), ("30団体以上", "#08306b"), ("原資料に記載なし", maps.NO_DATA)]
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert "特別区と連携する自治体数（都道府県別）" in texts and "令和7年8月1日現在" in texts
    assert maps.ATTRIBUTION in texts and "沖縄県" in texts and "小笠原諸島（1.5倍）" in texts
    assert len([r for r in root.iter(f"{SVG}rect") if r.get("class") == "inset"]) == 2
    assert not re.search(r"https?://(?!www\.w3\.org)", render(seeded, "map-prefectures").decode())  # no tiles


def test_colours_in_the_png(seeded, directory):
    """At each prefecture's office the PNG has the prefecture's class colour."""
    import io

    from PIL import Image

    svg = render(seeded, "map-prefectures").decode("utf-8")
    png = Image.open(io.BytesIO(maps.svg_to_png(svg, width=2000))).convert("RGB")
    scale = 2000 / maps.WIDTH
    data = opendata.build(seeded)
    counts = {c: n for c, _, n, _, _ in data.coverage}
    for name in ("北海道", "岩手県", "長野県", "島根県"):
        pref = directory.prefecture(name)
        x, y = maps.point(pref.code, pref.lon, pref.lat)
        colour = maps._classify(counts[pref.code], maps.COUNT_CLASSES) if pref.code in data.prefectures \
            else maps.NO_DATA
        want = tuple(int(colour[i:i + 2], 16) for i in (1, 3, 5))
        got = png.getpixel((int(x * scale), int(y * scale)))
        assert max(abs(a - b) for a, b in zip(got, want, strict=True)) < 12, (name, got, want)


def test_coverage_map_and_table(seeded):
    data = opendata.build(seeded)
    assert len(data.coverage) == 47
    miyagi = next(r for r in data.coverage if r[1] == "宮城県")
    assert miyagi[2:] == (20, 36, 55.6)
    root = _svg(seeded, "map-coverage")
    paths = {p.get("data-code"): p for p in root.iter(f"{SVG}path") if p.get("class") == "pref"}
    assert paths["040002"].get("fill") == maps._classify(55.6, maps.COVERAGE_CLASSES) == "#08306b"
    legend = [t.text for t in root.iter(f"{SVG}text") if t.get("data-colour")]
    assert legend == ["0%", "0.1〜9.9%", "10〜24.9%", "25〜49.9%", "50%以上", "原資料に記載なし"]
    csv_text = render(seeded, "coverage").decode("utf-8-sig")
    assert csv_text.splitlines()[0] == "都道府県コード,都道府県名,連携自治体数,地方公共団体数,割合"
    assert "040002,宮城県,20,36,55.6" in csv_text.splitlines()


def test_municipality_map(seeded, directory):
    root = _svg(seeded, "map-municipalities")
    shapes = [p for p in root.iter(f"{SVG}path") if (p.get("class") or "").startswith("muni")]
    partners = {p.code for p in seeded.partners() if p.kind != "prefecture"}
    highlighted = {p.get("data-code") for p in shapes if "partner" in p.get("class")}
    dots = {c.get("data-code") for c in root.iter(f"{SVG}circle") if "partner" in (c.get("class") or "")}
    wards = {p.get("data-code") for p in shapes if "ward" in p.get("class")}
    assert wards == {e.code for e in directory.entities if e.kind == "special_ward"}
    assert highlighted | dots == partners - wards  # the wards are drawn as wards, partners or not
    strong = {p.get("data-code") for p in root.iter(f"{SVG}path") if "partner-pref" in (p.get("class") or "")}
    assert strong == {p.code for p in seeded.partners() if p.kind == "prefecture"}


def test_json_geojson_datapackage(seeded, tmp_path):
    import hashlib

    paths = publish(seeded, tmp_path, ["opendata", "json", "geojson", "coverage", "datapackage"])
    assert [p.name for p in paths] == ["renkei_partners_2025-08-01.csv", "renkei_partners_2025-08-01.json",
                                       "renkei_partners_2025-08-01.geojson", "renkei_coverage_2025-08-01.csv",
                                       "datapackage.json"]
    data = json.loads(paths[1].read_text(encoding="utf-8"))
    assert data["as_of"] == "2025-08-01" and len(data["partners"]) == 520
    assert data["sha256"] == seeded.snapshot().sha256
    geo = json.loads(paths[2].read_text(encoding="utf-8"))
    assert geo["type"] == "FeatureCollection" and len(geo["features"]) == 520
    watari = next(f for f in geo["features"] if f["id"] == "043613")
    e = seeded.directory["043613"]
    assert watari["geometry"]["coordinates"] == [e.lon, e.lat] and watari["properties"]["name"] == "亘理町"
    package = json.loads(paths[-1].read_text(encoding="utf-8"))
    assert package["licenses"][0]["name"] == "CC-BY-4.0"
    assert package["renkei"]["as_of"] == "2025-08-01"
    assert package["renkei"]["source_sha256"] == seeded.snapshot().sha256
    assert maps.ATTRIBUTION in package["renkei"]["attribution"]
    for res in package["resources"]:
        raw = (tmp_path / res["path"]).read_bytes()
        assert res["hash"] == "sha256:" + hashlib.sha256(raw).hexdigest() and res["bytes"] == len(raw)
    csv_res = next(r for r in package["resources"] if r["name"] == "partners-csv")
    assert [f["name"] for f in csv_res["schema"]["fields"]] == list(opendata.CSV_COLUMNS)
    assert csv_res["encoding"] == "utf-8"  # the BOM is UTF-8 to readers; "utf-8-sig" is no IANA name


def test_publish_everything_from_the_cli(tmp_path):
    from click.testing import CliRunner

    from renkei.cli import cli

    out = tmp_path / "dist"
    result = CliRunner().invoke(cli, ["--db", str(tmp_path / "r.sqlite3"), "publish", "--out", str(out),
                                      "--encoding", "cp932"])
    assert result.exit_code == 0, result.output
    names = sorted(p.name for p in out.iterdir())
    expected = {file_name(f, "2025-08-01", 1) for f in FORMATS}
    expected |= {n.replace(".svg", ".png") for n in expected if n.endswith(".svg")}
    assert set(names) == expected
    opendata_csv = (out / file_name("opendata", "2025-08-01", 1)).read_bytes()
    assert opendata_csv.decode("cp932").startswith("全国地方公共団体コード")
    bad = CliRunner().invoke(cli, ["--db", str(tmp_path / "r.sqlite3"), "publish", "--format", "docx"])
    assert bad.exit_code == 2 and "docx" in bad.output


def test_ward_map(tmp_path, make_fixtures):
    from click.testing import CliRunner

    from renkei.cli import cli

    db = str(tmp_path / "r.sqlite3")
    grid = make_fixtures.project_grid(60)
    path = make_fixtures.write_projects(grid, tmp_path / "p.csv")
    assert CliRunner().invoke(cli, ["--db", db, "import", str(path)]).exit_code == 0
    result = CliRunner().invoke(cli, ["--db", db, "publish", "--out", str(tmp_path / "o"), "--format", "tsv",
                                      "--ward", "港区", "--no-png"])
    assert result.exit_code == 0, result.output
    svg = (tmp_path / "o" / "renkei_map_131032_港区.svg").read_text(encoding="utf-8")
    root = ET.fromstring(svg)
    links = {line.get("data-code") for line in root.iter(f"{SVG}line")}
    reg = Registry(db)
    partners = {c for p in reg.projects(ward="131032", limit=1000) for c, _, _ in p.partners if c}
    drawn = {c.get("data-code") for c in root.iter(f"{SVG}circle") if c.get("class") == "partner"}
    assert drawn == partners and links <= partners and links
    assert "港区の連携先" in svg
    bad = CliRunner().invoke(cli, ["--db", db, "publish", "--out", str(tmp_path / "o"), "--format", "tsv",
                                   "--ward", "横浜市"])
    assert bad.exit_code == 1 and "not one of the 23 special wards" in bad.output


def test_diff_html_and_xlsx(tmp_path, make_fixtures, directory, resolver):
    import io

    from openpyxl import load_workbook

    from renkei.reports import diff as render_diff

    reg = Registry.open(f"sqlite:///{tmp_path / 'd.sqlite3'}", directory=directory, resolver=resolver)
    grid = make_fixtures.published_grid([("宮城県", ["宮城県(県庁)", "仙台市", "女川町"]), ("<script>県", ["x"])],
                                        "特別区連携自治体数一覧(令和8年8月1日現在)")
    reg.import_file(make_fixtures.write_text(grid, tmp_path / "r8.tsv", delimiter="\t", encoding="utf-8",
                                             newline="\n"), release=True)
    d = reg.diff()
    page = render_diff.html(d)
    assert "<ins>女川町</ins>" in page and "<del>亘理町</del>" in page
    assert '<td class="num changed">24 → 3</td>' in page and "<script>" not in page
    wb = load_workbook(io.BytesIO(render_diff.xlsx(d)))
    assert wb.sheetnames == ["概要", "変更一覧"]
    rows = list(wb["変更一覧"].iter_rows(values_only=True))
    assert rows[0] == ("change", "都道府県", "全国地方公共団体コード", "名称", "before", "after")
    assert ("added", "宮城県", "045811", "女川町", None, None) in rows
    summary = {r[0]: r for r in wb["概要"].iter_rows(min_row=4, values_only=True) if r[0]}
    assert summary["宮城県"][1:5] == (24, 3, 20, 3)
    assert wb["概要"]["F4"].fill.fgColor.rgb.endswith("E2EFDA") or wb["概要"]["G4"].fill.fgColor.rgb.endswith("FCE4E4")


@pytest.mark.parametrize("fmt", ["xlsx", "pdf", "map-prefectures"])
def test_outputs_are_reproducible(seeded, fmt):
    """The same snapshot gives the same bytes, so the hashes in datapackage.json stay true."""
    assert render(seeded, fmt) == render(seeded, fmt)


# -- the data package, encodings, sources, all-or-nothing ----------------------------------------------------

@pytest.mark.parametrize("encoding", ["utf-8", "cp932"])
def test_datapackage_passes_frictionless(seeded, tmp_path, encoding):
    """`frictionless validate` on the whole published package: 0 errors, print layouts declared as files."""
    from frictionless import validate

    publish(seeded, tmp_path, encoding=encoding, png=False)
    report = validate(str(tmp_path / "datapackage.json"))
    errors = [(t.name, e.message) for t in report.tasks for e in t.errors]
    assert report.valid and not errors, errors[:5]
    package = json.loads((tmp_path / "datapackage.json").read_text(encoding="utf-8"))
    kinds = {r["name"]: r["type"] for r in package["resources"]}
    assert {kinds[f"table-{f}"] for f in ("tsv", "csv", "xlsx", "pdf", "html")} == {"file"}
    assert {k for k, v in kinds.items() if v == "table"} == {"partners-csv", "coverage-csv", "entries-csv"}
    for res in package["resources"]:
        assert res["licenses"] and res["sources"], res["name"]
        if res["format"] in ("csv", "tsv"):
            assert res["encoding"] == ("cp932" if encoding == "cp932" else "utf-8"), res["name"]
        if res["type"] == "table":
            assert res["schema"]["primaryKey"], res["name"]
    entries = next(r for r in package["resources"] if r["name"] == "entries-csv")
    assert entries["schema"]["foreignKeys"][0]["reference"]["resource"] == "partners-csv"


def test_frictionless_catches_a_broken_foreign_key(seeded, tmp_path):
    """The check above is not vacuous: an entry pointing at no partner is an error."""
    from frictionless import validate

    publish(seeded, tmp_path, ["opendata", "entries", "datapackage"])
    path = tmp_path / file_name("entries", "2025-08-01", 1)
    path.write_bytes(path.read_bytes().replace(b",043613,", b",999999,", 1))
    package = json.loads((tmp_path / "datapackage.json").read_text(encoding="utf-8"))
    for res in package["resources"]:
        res.pop("hash"), res.pop("bytes")
    (tmp_path / "datapackage.json").write_text(json.dumps(package, ensure_ascii=False), encoding="utf-8")
    report = validate(str(tmp_path / "datapackage.json"))
    assert "foreign-key" in {e.type for t in report.tasks for e in t.errors}


def test_entries_table_reads_in_pandas(seeded, tmp_path):
    import pandas as pd

    path = publish(seeded, tmp_path, ["entries"])[0]
    frame = pd.read_csv(path, dtype={"全国地方公共団体コード": str}, encoding="utf-8-sig")
    assert list(frame.columns) == list(opendata.ENTRY_COLUMNS)
    assert len(frame) == len(seeded.entries()) == 520
    assert frame["記載順"].tolist() == list(range(1, 521))
    row = frame[frame["記載名"] == "亶理町"].iloc[0]
    assert (row["都道府県"], row["全国地方公共団体コード"], row["正式名称"], row["判定"]) == \
        ("宮城県", "043613", "亘理町", "誤記訂正")


def test_outputs_name_the_source_not_the_file(seeded, tmp_path):
    """The PDF, XLSX, HTML, maps, JSON and datapackage name the original title and the edition."""
    import io

    import pdfplumber
    from openpyxl import load_workbook

    internal = "000_c5c746091caa1e08"
    label = official.source_label(seeded.snapshot())
    assert label == "「特別区連携自治体数一覧(令和7年8月1日現在)」令和7年8月1日現在（第1版）" and internal not in label
    with pdfplumber.open(io.BytesIO(render(seeded, "pdf"))) as pdf:
        text = "".join(page.extract_text() or "" for page in pdf.pages).replace("\n", "")
    assert internal not in text and "出典: " + label in text
    cells = [str(c.value) for row in load_workbook(io.BytesIO(render(seeded, "xlsx"))).active.iter_rows()
             for c in row if c.value is not None]
    assert not [c for c in cells if internal in c] and any(label in c for c in cells)
    for fmt in ("html", "json", "geojson", *MAP_FORMATS):
        raw = render(seeded, fmt).decode("utf-8")
        assert internal not in raw and label.replace("「", "").split("」")[0] in raw, fmt
    publish(seeded, tmp_path, ["opendata", "datapackage"])
    package = (tmp_path / "datapackage.json").read_text(encoding="utf-8")
    assert internal not in package and label in json.loads(package)["title"]


def test_cp932_failure_writes_nothing(tmp_path, make_fixtures, directory, resolver):
    """A name CP932 cannot hold (𠮷) stops the run before anything is written, with a Japanese message."""
    from click.testing import CliRunner

    from renkei.cli import cli

    grid = make_fixtures.published_grid([("山梨県", ["山梨県(県庁)", "𠮷田村"]), ("高知県", ["髙岡町", "宿毛市"])])
    src = make_fixtures.write_text(grid, tmp_path / "l.tsv", delimiter="\t", encoding="utf-8", newline="\n")
    db = str(tmp_path / "r.sqlite3")
    assert CliRunner().invoke(cli, ["--db", db, "import", str(src), "--release"]).exit_code in (0, 1)
    out = tmp_path / "dist"
    result = CliRunner().invoke(cli, ["--db", db, "publish", "--out", str(out), "--encoding", "cp932",
                                      "--no-png"])
    assert result.exit_code == 1 and "「𠮷」は CP932（Windows-31J）で書けない文字です" in result.output
    assert "𠮷田村" in result.output and not out.exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".dist")] == []  # no temporary left
    out.mkdir()
    (out / "keep.txt").write_text("mine", encoding="utf-8")
    result = CliRunner().invoke(cli, ["--db", db, "publish", "--out", str(out), "--encoding", "cp932",
                                      "--no-png"])
    assert result.exit_code == 1 and [p.name for p in out.iterdir()] == ["keep.txt"]
    result = CliRunner().invoke(cli, ["--db", db, "publish", "--out", str(out), "--no-png"])  # UTF-8 holds it
    assert result.exit_code == 0 and "𠮷田村" in (out / "特別区連携自治体数一覧_2025-08-01_第2版.tsv").read_text(
        "utf-8-sig")  # the second edition of that date: its files carry the edition
    assert (out / "keep.txt").exists()


def test_cp932_holds_windows_31j_names(tmp_path, make_fixtures, directory, resolver):
    """髙 and 﨑 are in CP932 (Windows-31J), though not in strict Shift_JIS: they publish in CP932."""
    grid = make_fixtures.published_grid([("高知県", ["髙岡町", "山﨑村"])])
    src = make_fixtures.write_text(grid, tmp_path / "l.tsv", delimiter="\t", encoding="utf-8", newline="\n")
    reg = Registry.open(f"sqlite:///{tmp_path / 'r.sqlite3'}", directory=directory, resolver=resolver, seed=False)
    reg.import_file(src, release=True)
    raw = render(reg, "tsv", encoding="cp932")
    reg.engine.dispose()
    assert "髙岡町" in raw.decode("cp932") and "山﨑村" in raw.decode("cp932")
    with pytest.raises(UnicodeDecodeError):
        raw.decode("shift_jis")


def test_publish_is_all_or_nothing(seeded, tmp_path, monkeypatch):
    """A failure in any format (here the PDF, made after the CSV) leaves the folder as it was."""
    from renkei.publish import formats

    def broken(table):  # type: ignore[no-untyped-def]
        raise RuntimeError("disk full")

    monkeypatch.setattr(formats, "pdf", broken)
    out = tmp_path / "dist"
    with pytest.raises(RuntimeError):
        publish(seeded, out, ["opendata", "csv", "pdf", "datapackage"])
    assert not out.exists() and list(tmp_path.iterdir()) == []
