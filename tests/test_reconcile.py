"""`renkei reconcile`: any table in, the same table out with codes appended."""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from renkei.cli import cli
from renkei.reconcile import COLUMNS

TABLE = [
    ["番号", "都道府県", "市区町村", "備考"],
    ["1", "宮城県", "亶理町", "姉妹都市"],
    ["2", "福島県", "飯館村", ""],
    ["3", "", "千代田区", ""],
    ["4", "", "", "空欄の行"],
    ["5", "埼玉県", "浦和市", ""],
]


def write_csv(path: Path, rows: list[list[str]], encoding: str = "utf-8", delimiter: str = ",") -> Path:
    with path.open("w", encoding=encoding, newline="") as f:
        csv.writer(f, delimiter=delimiter).writerows(rows)
    return path


def read_csv(path: Path) -> list[list[str]]:
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf"), "CSV output carries a BOM for Excel"
    return list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))


def run(*args: str):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(cli, ["reconcile", *args])


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp932"])
def test_csv_in_every_encoding_gives_the_same_table_with_codes(tmp_path, encoding):
    src = write_csv(tmp_path / "in.csv", TABLE, encoding)
    out = tmp_path / "out.csv"
    result = run(str(src), "-o", str(out))
    assert result.exit_code == 1, result.output  # 亶理町 is a correction: something to review
    rows = read_csv(out)
    width = len(TABLE[0])
    assert [r[:width] for r in rows] == TABLE  # every original row and column, unchanged and in order
    assert rows[0][width:] == list(COLUMNS)
    by_number = {r[0]: r[width:] for r in rows[1:]}
    assert by_number["1"][:5] == ["043613", "亘理町", "宮城県", "誤記訂正", "corrected"]  # 判定 in words, then its key
    assert by_number["2"][:5] == ["075647", "飯舘村", "福島県", "異体字", "variant"]
    assert by_number["3"][:5] == ["131016", "千代田区", "東京都", "完全一致", "exact"]
    assert by_number["4"] == [""] * len(COLUMNS)
    assert by_number["5"][:5] == ["111007", "さいたま市", "埼玉県", "合併・改称", "merged"]
    assert "C列「市区町村」" in result.stderr and "自動検出" in result.stderr
    assert "B列「都道府県」" in result.stderr  # the prefecture column is found too
    assert "要確認 2件" in result.stderr


def test_nothing_to_review_exits_0_and_tsv_output(tmp_path):
    src = write_csv(tmp_path / "in.tsv", [["名称"], ["千代田区"], ["札幌市"]], delimiter="\t")
    out = tmp_path / "out.tsv"
    result = run(str(src), "-o", str(out))
    assert result.exit_code == 0, result.output
    rows = list(csv.reader(io.StringIO(out.read_bytes().decode("utf-8-sig")), delimiter="\t"))
    assert [r[1] for r in rows] == ["全国地方公共団体コード", "131016", "011002"]


def test_column_by_header_or_letter_and_no_header(tmp_path):
    rows = [["区", "連携先", "分野"], ["新宿区", "亘理町", "防災"], ["新宿区", "飯舘村", "観光"]]
    src = write_csv(tmp_path / "in.csv", rows)
    for spec in ("連携先", "B", "b"):
        out = tmp_path / f"out_{spec}.csv"
        result = run(str(src), "--column", spec, "-o", str(out))
        assert result.exit_code == 0, result.output
        assert [r[3] for r in read_csv(out)] == ["全国地方公共団体コード", "043613", "075647"]
    # the ward column also holds local-government names; asked for A, we get A
    out = tmp_path / "out_a.csv"
    assert run(str(src), "--column", "A", "-o", str(out)).exit_code == 0
    assert [r[3] for r in read_csv(out)][1:] == ["131041", "131041"]
    # a pasted column without a header: the first row is data
    src = write_csv(tmp_path / "bare.csv", [["亘理町"], ["飯舘村"]])
    out = tmp_path / "bare_out.csv"
    result = run(str(src), "-o", str(out))
    assert [r[1] for r in read_csv(out)] == ["043613", "075647"]
    assert "見出し行なし" in result.stderr


def test_detection_prefers_names_over_other_text(tmp_path):
    rows = [["事業名", "概要", "自治体", "金額"]]
    rows += [[f"交流事業{i}", "物産展を開催し、区民との交流を深めた", name, str(i * 1000)]
             for i, name in enumerate(["札幌市", "亘理町", "飯舘村", "南相馬市", "いわき市"] * 4)]
    src = write_csv(tmp_path / "in.csv", rows)
    out = tmp_path / "out.csv"
    result = run(str(src), "-o", str(out))
    assert result.exit_code == 0, result.output
    assert "C列「自治体」" in result.stderr
    assert read_csv(out)[1][4] == "011002"


def test_unknown_column_and_no_name_column_exit_2_in_japanese(tmp_path):
    src = write_csv(tmp_path / "in.csv", [["a", "b"], ["x", "1"], ["y", "2"]])
    result = run(str(src), "--column", "市区町村", "-o", str(tmp_path / "o.csv"))
    assert result.exit_code == 2
    assert "列「市区町村」が見つかりません" in result.stderr and "in.csv" in result.stderr
    result = run(str(src), "-o", str(tmp_path / "o.csv"))
    assert result.exit_code == 2 and "自治体名らしい値の列が見つかりません" in result.stderr
    assert not (tmp_path / "o.csv").exists()


def test_unreadable_file_names_file_and_row(tmp_path):
    src = tmp_path / "mixed.csv"
    src.write_bytes("名称\n千代田区\n".encode() + "港区\n".encode("cp932"))
    result = run(str(src), "-o", str(tmp_path / "o.csv"))
    assert result.exit_code == 2
    assert "mixed.csv" in result.stderr and "3行目" in result.stderr and "文字コードが混在" in result.stderr
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(b"PK\x03\x04 not really a zip")
    result = run(str(bad), "-o", str(tmp_path / "o.csv"))
    assert result.exit_code == 2 and "XLSX ファイルが壊れている" in result.stderr
    assert run(str(src), "-o", str(tmp_path / "o.pdf")).exit_code == 2  # output format checked first


def _workbook(path: Path) -> Path:
    from openpyxl import Workbook

    wb = Workbook()
    notes = wb.active
    notes.title = "説明"
    notes.append(["この表は令和7年度の連携先です"])
    notes.append(["担当: 企画課"])
    ws = wb.create_sheet("一覧")
    ws.append(["連携先一覧（令和7年度）"])  # a title line above the header
    ws.append(["No", "都道府県", "市区町村", "締結日", "金額"])
    ws.append([1, "宮城県", "亘理町", dt.datetime(2020, 4, 1), 1500.5])
    ws.append([2, "福島県", "飯舘村", dt.datetime(2021, 5, 2), 20])
    ws.append([3, "北海道", '=HYPERLINK("http://evil.example/","x")', None, None])
    ws.cell(row=5, column=3).data_type = "s"  # a text cell that looks like a formula (as a CSV import leaves it)
    third = wb.create_sheet("予備")
    third.append(["市区町村"])
    third.append(["新宿区"])
    wb.save(path)
    return path


def test_xlsx_with_several_sheets_keeps_types_and_colours_rows(tmp_path):
    from openpyxl import load_workbook

    src = _workbook(tmp_path / "in.xlsx")
    out = tmp_path / "out.xlsx"
    result = run(str(src), "-o", str(out))
    assert result.exit_code == 1, result.output  # the formula-like cell is not a name
    assert "シート「一覧」" in result.stderr  # the first sheet with names, not the notes sheet
    wb = load_workbook(out)
    ws = wb["一覧"]
    rows = [list(r) for r in ws.iter_rows(values_only=True)]
    assert rows[0][0] == "連携先一覧（令和7年度）" and rows[0][5:] == [None] * len(COLUMNS)
    assert rows[1] == ["No", "都道府県", "市区町村", "締結日", "金額", *COLUMNS]
    assert rows[2][:5] == [1, "宮城県", "亘理町", dt.datetime(2020, 4, 1), 1500.5]  # types kept
    assert rows[2][5:10] == ["043613", "亘理町", "宮城県", "完全一致", "exact"]  # code as text: leading zero
    formula = ws.cell(row=5, column=3)
    assert formula.data_type == "s" and formula.value.startswith("=HYPERLINK")  # text, never a live formula
    assert rows[4][9] in ("unresolved", "ambiguous")
    fills = {ws.cell(row=r, column=1).fill.fgColor.rgb for r in (3, 5)}
    assert len(fills) == 2, "rows are coloured by status"
    assert "判定の凡例" in wb.sheetnames
    # --sheet by name or number chooses another sheet
    out3 = tmp_path / "out3.csv"
    assert run(str(src), "--sheet", "3", "-o", str(out3)).exit_code == 0
    assert read_csv(out3) == [["市区町村", *COLUMNS],
                              ["新宿区", "131041", "新宿区", "東京都", "完全一致", "exact", "", ""]]
    result = run(str(src), "--sheet", "なし", "-o", str(out3))
    assert result.exit_code == 2 and "シート「なし」がありません" in result.stderr


def test_xls_input(tmp_path):
    xlwt = pytest.importorskip("xlwt")
    wb = xlwt.Workbook()
    ws = wb.add_sheet("list")
    for r, row in enumerate([["市区町村", "n"], ["亘理町", 3], ["飯舘村", 4.5]]):
        for c, v in enumerate(row):
            ws.write(r, c, v)
    src = tmp_path / "in.xls"
    wb.save(str(src))
    out = tmp_path / "out.csv"
    assert run(str(src), "-o", str(out)).exit_code == 0
    assert read_csv(out)[1:] == [["亘理町", "3", "043613", "亘理町", "宮城県", "完全一致", "exact", "", ""],
                                 ["飯舘村", "4.5", "075647", "飯舘村", "福島県", "完全一致", "exact", "", ""]]


def test_formula_like_cells_are_neutralised_in_csv(tmp_path):
    rows = [["市区町村", "備考"], ["亘理町", '=HYPERLINK("http://evil.example/","x")'],
            ["飯舘村", "+cmd|' /C calc'!A0"], ["千代田区", "-1+2"], ["渋谷区", "@SUM(A1)"], ["新宿区", "\tTAB"]]
    src = write_csv(tmp_path / "in.csv", rows)
    out = tmp_path / "out.csv"
    assert run(str(src), "-o", str(out)).exit_code == 0
    got = [r[1] for r in read_csv(out)[1:]]
    assert got == ["'" + r[1] for r in rows[1:]]


def test_check_on_an_ordinary_table_suggests_reconcile(tmp_path):
    src = write_csv(tmp_path / "連携先.csv", [["区", "連携先"], ["港区", "亘理町"], ["港区", "飯舘村"]])
    result = CliRunner().invoke(cli, ["check", str(src)])
    assert result.exit_code == 2
    assert "公表一覧の形式" in result.stderr and "ではありません" in result.stderr
    assert "renkei reconcile" in result.stderr and "--column 連携先" in result.stderr
    assert "no header row" not in result.stderr


def test_several_names_in_one_cell(tmp_path):
    src = write_csv(tmp_path / "in.csv", [["市区町村"], ["千代田区・港区"], ["城島町・三潴町"], ["千代田区"]])
    out = tmp_path / "out.csv"
    result = run(str(src), "-o", str(out))
    assert result.exit_code == 1, result.output  # a cell with several names is for a person to split
    rows = read_csv(out)
    assert rows[1][1:6] == ["131016・131032", "千代田区・港区", "東京都", "複数の名称", "multiple"]
    assert rows[2][1:6] == ["402036", "久留米市", "福岡県", "複数の名称", "multiple"]  # both parts: one city
    assert rows[3][1:6] == ["131016", "千代田区", "東京都", "完全一致", "exact"]


def test_as_of_is_passed_to_the_resolver(tmp_path, monkeypatch):
    from renkei.resolve import Resolver

    seen = []
    original = Resolver.resolve

    def spy(self, name, prefecture=None, **kw):  # type: ignore[no-untyped-def]
        seen.append(kw.get("on") or kw.get("as_of"))
        return original(self, name, prefecture, **kw)

    monkeypatch.setattr(Resolver, "resolve", spy)
    src = write_csv(tmp_path / "in.csv", [["市区町村"], ["浦和市"]])
    assert run(str(src), "--as-of", "平成12年4月1日", "-o", str(tmp_path / "o.csv")).exit_code == 1
    assert "2000-04-01" in seen


def test_hundred_thousand_rows_stream_in_order(tmp_path):
    from renkei.reconcile import Summary
    from renkei.reports.table import open_planned, open_writer, write_reconciled
    from renkei.resolve import default_resolver

    names = ["千代田区", "亶理町", "飯館村", "札幌市", "", "浦和市", "那覇市", "大島町"]
    src = tmp_path / "big.csv"
    with src.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["n", "市区町村"])
        for i in range(100_000):
            w.writerow([i, names[i % len(names)]])
    resolver = default_resolver()
    table, plan = open_planned(str(src), resolver)
    assert table.height == 100_001
    out = tmp_path / "big_out.csv"
    with out.open("wb") as target:
        summary: Summary = write_reconciled(table, plan, resolver, open_writer("csv", target))
    assert summary.rows == 100_001 and summary.counts[""] == 12_500
    with out.open(encoding="utf-8-sig", newline="") as f:
        for i, row in enumerate(csv.reader(f)):
            if i and i % 9973 == 0:
                assert row[0] == str(i - 1) and row[1] == names[(i - 1) % len(names)]
    assert i == 100_000


cell = st.text(st.characters(blacklist_categories=("Cs", "Cc")) | st.sampled_from("\t\r\n,\"=+-@"), max_size=12)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.lists(cell, min_size=1, max_size=4), min_size=1, max_size=8))
def test_any_csv_comes_back_unchanged_with_columns_appended(tmp_path, rows):
    from renkei.reports.table import open_planned, open_writer, write_reconciled
    from renkei.resolve import default_resolver

    rows = [["市区町村", "x"], ["千代田区", "y"], *rows]
    src = write_csv(tmp_path / "h.csv", rows)
    resolver = default_resolver()
    table, plan = open_planned(str(src), resolver, column="A")
    buffer = io.BytesIO()
    write_reconciled(table, plan, resolver, open_writer("csv", buffer))
    back = list(csv.reader(io.StringIO(buffer.getvalue().decode("utf-8-sig"), newline="")))
    with src.open(encoding="utf-8", newline="") as f:
        expected = list(csv.reader(f))
    assert len(back) == len(expected)
    for original, written in zip(expected, back, strict=True):
        width = table.width
        assert len(written) == width + len(COLUMNS)
        escaped = ["'" + v if v[:1] in ("=", "+", "-", "@", "\t", "\r") else v for v in original]
        assert written[:width] == escaped + [""] * (width - len(original))  # (a cell "'=" stays "'=")


def test_a_multi_name_cell_writes_only_the_codes_it_resolved(tmp_path):
    src = write_csv(tmp_path / "in.csv", [["市区町村"], ["千代田区・ほげほげ町"], ["ほげ町・ふが村"], ["港区"]])
    out = tmp_path / "out.csv"
    assert run(str(src), "-o", str(out)).exit_code == 1
    rows = read_csv(out)
    assert rows[1][1:6] == ["131016", "千代田区", "東京都", "複数の名称", "multiple"]
    assert rows[2][1:4] == ["", "", ""]  # nothing resolved: nothing written, never 「?」
    assert all("?" not in cell for row in rows for cell in row[1:4])


def test_one_prefecture_for_every_row(tmp_path):
    src = write_csv(tmp_path / "in.csv", [["市区町村"], ["府中市"], ["中央区"], ["千代田区"]])
    out = tmp_path / "out.csv"
    assert run(str(src), "-o", str(out)).exit_code == 1  # without a prefecture, 府中市 is ambiguous
    assert read_csv(out)[1][5] == "ambiguous"
    result = run(str(src), "--prefecture", "広島県", "-o", str(out))
    assert "都道府県の指定 広島県" in result.stderr
    assert read_csv(out)[1][1:4] == ["342084", "府中市", "広島県"]
    assert run(str(src), "--prefecture", "福岡", "-o", str(out)).exit_code == 1
    assert read_csv(out)[2][1:4] == ["401331", "福岡市中央区", "福岡県"]
    result = run(str(src), "--prefecture", "どこか", "-o", str(out))
    assert result.exit_code == 2 and "都道府県名ではありません" in result.stderr


def test_added_headers_never_repeat_an_input_header(tmp_path):
    from renkei.reconcile import added_headers

    header = ["市区町村", "都道府県", "都道府県(判定)", "判定", "判定2", "理由"]
    src = write_csv(tmp_path / "in.csv", [header, ["千代田区", "東京都", "", "", "", ""]])
    out = tmp_path / "out.csv"
    assert run(str(src), "--column", "A", "-o", str(out)).exit_code == 0
    written = read_csv(out)[0]
    assert written[len(header):] == ["全国地方公共団体コード", "正式名称", "都道府県（判定）2", "判定3", "判定コード",
                                     "理由2", "候補"]
    assert len(set(written)) == len(written)
    assert added_headers([]) == list(COLUMNS)


def test_status_labels_follow_the_language(tmp_path):
    src = write_csv(tmp_path / "in.csv", [["市区町村"], ["千代田区"], ["亶理町"]])
    out = tmp_path / "out.csv"
    result = CliRunner().invoke(cli, ["--lang", "en", "reconcile", str(src), "-o", str(out)])
    assert result.exit_code == 1, result.output
    rows = read_csv(out)
    assert rows[1][4:6] == ["exact match", "exact"] and rows[2][4:6] == ["misspelling corrected", "corrected"]


def test_detecting_the_name_column_of_a_wide_table_is_bounded():
    from renkei.reconcile import SAMPLE_CELLS, PlanError, plan

    class Stub:  # a resolver that finds nothing, counting what it is asked
        def __init__(self):  # type: ignore[no-untyped-def]
            self.calls = 0

        def resolve(self, name, prefecture=None, **kw):  # type: ignore[no-untyped-def]
            from types import SimpleNamespace

            self.calls += 1
            return SimpleNamespace(resolved=False, candidates=[])

        def prefecture_name(self, text):  # type: ignore[no-untyped-def]
            return None

    rows = [(r, [f"名{r}の{c}" for c in range(100)]) for r in range(1, 201)]  # every cell a different text
    stub = Stub()
    with pytest.raises(PlanError):
        plan(rows, stub)  # type: ignore[arg-type]
    assert stub.calls <= SAMPLE_CELLS + 100  # not 200 rows × 100 columns
    ticks = []

    def deadline():  # type: ignore[no-untyped-def]
        ticks.append(1)
        if len(ticks) > 3:
            raise TimeoutError("past the deadline")

    with pytest.raises(TimeoutError):
        plan(rows, Stub(), check=deadline)  # type: ignore[arg-type]


def test_an_output_that_cannot_be_written_is_one_japanese_line(tmp_path):
    src = write_csv(tmp_path / "in.csv", [["市区町村"], ["港区"]])
    result = run(str(src), "-o", str(tmp_path / "missing" / "out.csv"))
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert result.stderr.startswith("エラー：出力先のフォルダ ") and "がありません" in result.stderr
    assert not (tmp_path / "missing").exists()
    (tmp_path / "out.csv.part").mkdir()  # the working file cannot be created: found only when it is written
    result = run(str(src), "-o", str(tmp_path / "out.csv"))
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert result.stderr.splitlines()[-1].startswith("エラー：") and "out.csv に書き込めません" in result.stderr
    assert not (tmp_path / "out.csv").exists()


FUKUOKA_TABLE = [["市区町村"], ["中央区"], ["久留米市"], ["南区"], ["飯塚市"], ["東区"], ["大牟田市"], ["博多区"]]


def test_the_tables_own_prefecture_picks_namesakes(tmp_path):
    src = write_csv(tmp_path / "in.csv", FUKUOKA_TABLE)
    out = tmp_path / "out.csv"
    result = run(str(src), "-o", str(out))
    rows = {r[0]: r[1:] for r in read_csv(out)[1:]}
    assert rows["中央区"][:3] == ["401331", "福岡市中央区", "福岡県"]
    assert rows["南区"][:3] == ["401340", "福岡市南区", "福岡県"]
    assert rows["東区"][:3] == ["401315", "福岡市東区", "福岡県"]
    assert "表の他の行が福岡県" in rows["中央区"][5] and rows["中央区"][4] != "ambiguous"
    assert "表の他の行から 福岡県" in result.stderr  # the plan line says which prefecture the context gave
    assert "表の他の行から福岡県と判断 3件" in result.stderr.splitlines()[-1]


def test_a_rows_own_prefecture_or_one_for_every_row_wins_over_the_context(tmp_path):
    rows = [["都道府県", "市区町村"], *(["", n] for [n] in FUKUOKA_TABLE[1:]), ["東京都", "中央区"]]
    src = write_csv(tmp_path / "in.csv", rows)
    out = tmp_path / "out.csv"
    run(str(src), "--column", "B", "--prefecture-column", "A", "-o", str(out))
    written = read_csv(out)
    assert written[1][2] == "401331" and written[-1][2:5] == ["131024", "中央区", "東京都"]
    result = run(str(src), "--column", "B", "--prefecture", "北海道", "-o", str(out))
    assert read_csv(out)[1][2:5] == ["011011", "札幌市中央区", "北海道"]
    assert "表の他の行" not in result.stderr


def test_a_tokyo_table_keeps_tokyo_and_a_mixed_table_stays_ambiguous(tmp_path):
    tokyo = write_csv(tmp_path / "tokyo.csv", [["市区町村"], ["中央区"], ["八王子市"], ["立川市"], ["武蔵野市"]])
    out = tmp_path / "out.csv"
    run(str(tokyo), "-o", str(out))
    assert read_csv(out)[1][1:4] == ["131024", "中央区", "東京都"]
    mixed = write_csv(tmp_path / "mixed.csv", [["市区町村"], ["中央区"], ["八王子市"], ["久留米市"], ["札幌市"],
                                               ["仙台市"], ["那覇市"]])
    result = run(str(mixed), "-o", str(out))
    assert read_csv(out)[1][1:6] == ["", "", "", "要確認", "ambiguous"]
    assert "表の他の行" not in result.stderr


def test_the_summary_shows_labels_without_keys(tmp_path):
    src = write_csv(tmp_path / "in.csv", [["市区町村"], ["千代田区"], ["亶理町"]])
    out = tmp_path / "out.csv"
    result = run(str(src), "-o", str(out))
    last = result.stderr.splitlines()[-1]
    assert "完全一致 1" in last and "誤記訂正 1" in last and "exact" not in last and "corrected" not in last
    english = CliRunner().invoke(cli, ["--lang", "en", "reconcile", str(src), "-o", str(out)]).stderr.splitlines()[-1]
    assert "exact match 1" in english and "(exact)" not in english
