"""The validation report on the seed, and the check command's contract."""

import json

from click.testing import CliRunner
from conftest import SEED

from renkei.cli import cli
from renkei.documents import read
from renkei.validate import check


def test_seed_report(resolver):
    report = check(read(SEED), resolver)
    t = report.totals
    assert (t["prefectures"], t["declared"], t["listed"], t["resolved"]) == (20, 536, 520, 520)
    by_pref = {p.prefecture: p for p in report.prefectures}
    kinds = {p: {q.kind for q in r.problems} for p, r in by_pref.items()}
    for pref in ("北海道", "宮城県", "茨城県", "群馬県", "新潟県", "長野県"):
        assert {"count_mismatch", "rows_lost"} <= kinds[pref], pref
    assert kinds["青森県"] == set()
    assert by_pref["東京都"].coverage == 1.0
    assert by_pref["北海道"].local_governments == 180
    # 美幌市 sits between 稚内市 (012149) and 江別市 (012173): the code order makes it 美唄市 (012157),
    # not the look-alike 美幌町 (015431), so no order problem remains
    assert not [q for q in by_pref["北海道"].problems if q.kind == "order"]
    bibai = next(e.resolution for e in by_pref["北海道"].entries if e.resolution.input == "美幌市")
    assert (bibai.status, bibai.code) == ("corrected", "012157") and "コード順" in bibai.reason
    assert report.missing_prefectures[0] == "岐阜県" and len(report.missing_prefectures) == 27
    truncated = [p for p in report.problems if p.kind == "missing_prefectures"]
    assert truncated[0].message.startswith("長野県で終わっており、その後の27都道府県がありません")
    assert truncated[0].message_key == "missing_prefectures_after"
    assert report.exit_code() == 1


def test_json_contract():
    result = CliRunner().invoke(cli, ["check", "--default", "--json"])
    assert result.exit_code == 1
    d = json.loads(result.output)
    assert {"as_of", "source", "format", "encoding", "prefectures", "missing_prefectures", "problems",
            "totals"} <= set(d)
    p = d["prefectures"][3]
    assert {"prefecture", "code", "declared", "listed", "resolved", "entries", "problems"} <= set(p)
    assert (p["prefecture"], p["code"], p["declared"], p["listed"]) == ("宮城県", "040002", 24, 20)
    entry = next(e for e in p["entries"] if e["input"] == "亶理町")
    assert {k: entry[k] for k in ("row", "col", "status", "code", "name")} == {
        "row": 17, "col": 12, "status": "corrected", "code": "043613", "name": "亘理町"}
    assert set(entry) >= {"row", "col", "input", "status", "code", "name", "reason", "candidates"}
    assert all(e["status"] != "exact" for q in d["prefectures"] for e in q["entries"])
    hokkaido = next(q for q in d["prefectures"][0]["problems"] if q["kind"] == "count_mismatch")
    assert hokkaido == {"kind": "count_mismatch", "severity": "error",
                        "message": "北海道：記載の件数 54、掲載 50（-4）", "message_key": "count_mismatch",
                        "params": {"prefecture": "北海道", "declared": 54, "listed": 50, "difference": -4}}


def test_json_messages_follow_the_language():
    """`reason`/`message` are text in the reader's language; the key and params do not change with it."""
    ja = json.loads(CliRunner().invoke(cli, ["check", "--default", "--json"]).output)
    en = json.loads(CliRunner().invoke(cli, ["--lang", "en", "check", "--default", "--json"]).output)
    q_ja, q_en = ja["problems"][0], en["problems"][0]
    assert (q_ja["message_key"], q_ja["params"]) == (q_en["message_key"], q_en["params"])
    assert "長野県で終わって" in q_ja["message"]
    assert q_en["message"].startswith("The list ends at 長野県: the 27 prefectures after it are missing")


def test_clean_list_exits_0_and_strict(tmp_path):
    text = "一覧(令和7年8月1日現在)\n都道府県\t自治体数\t名\n東京都\t2\t東京都(都庁)\t千代田区\n"
    (p := tmp_path / "ok.tsv").write_text(text, encoding="utf-8")
    assert CliRunner().invoke(cli, ["check", str(p)]).exit_code == 0
    # 46 prefectures are missing: a warning, which fails only with --strict
    assert CliRunner().invoke(cli, ["check", str(p), "--strict"]).exit_code == 1


def test_duplicates_wrong_prefecture_and_block_order(tmp_path):
    text = ("都道府県\t自治体数\t名\n宮城県\t3\t仙台市\t仙台市\t飯舘村\n"
            "岩手県\t1\t盛岡市\n")
    (p := tmp_path / "bad.tsv").write_text(text, encoding="utf-8")
    report = check(read(p))
    kinds = [q.kind for q in report.all_problems]
    assert "duplicate" in kinds and "wrong_prefecture" in kinds and "block_order" in kinds


def test_text_report_lists_positions():
    result = CliRunner().invoke(cli, ["check", "--default"])
    row = next(line.split() for line in result.output.splitlines() if line.startswith("L17 "))
    assert row[:5] == ["L17", "亶理町", "誤記訂正", "043613", "亘理町"]
    assert "合計：記載件数 536、掲載 520、特定 520、要確認の名称 " in result.output
    english = CliRunner().invoke(cli, ["check", "--default"], env={"RENKEI_LANG": "en"}).output
    assert next(line.split() for line in english.splitlines() if line.startswith("L17 "))[:5] == [
        "L17", "亶理町", "corrected", "043613", "亘理町"]
    assert "Totals: declared 536, listed 520, resolved 520, names to review " in english


def test_totals_and_problems_use_the_same_words():
    """The totals count エラー and 注意; the problems are listed with the same two words (not 要確認)."""
    output = CliRunner().invoke(cli, ["check", "--default"]).output
    totals = output.strip().splitlines()[-1]
    errors = int(totals.split("エラー ")[1].split("、")[0])
    assert errors == output.count("  [エラー] ") > 0
    assert "  [要確認] " not in output


def test_html_and_xlsx_reports(tmp_path):
    from click.testing import CliRunner
    from openpyxl import load_workbook

    from renkei.cli import cli

    html, xlsx = tmp_path / "report.html", tmp_path / "report.xlsx"
    result = CliRunner().invoke(cli, ["check", "--default", "--html", str(html), "--xlsx", str(xlsx)])
    assert result.exit_code == 1
    page = html.read_text(encoding="utf-8")
    assert page.startswith("<!doctype html>\n<html lang=\"ja\">")
    assert page.count('<th scope="row">') == 20  # one row per prefecture block, 北海道〜長野県
    assert "<td>L17</td><td>亶理町</td><td>誤記訂正</td><td>043613</td><td>亘理町</td>" in page
    assert "出典：アドレス・ベース・レジストリ（デジタル庁）を加工して作成" in page
    wb = load_workbook(xlsx)
    assert wb.sheetnames == ["集計", "完全一致でなかった名称", "問題点"]
    summary = wb["集計"]
    header_row = next(r for r in summary.iter_rows(values_only=True) if r[0] == "都道府県")
    assert header_row[:3] == ("都道府県", "コード", "記載件数")
    names = list(wb["完全一致でなかった名称"].iter_rows(values_only=True))
    assert ("宮城県", "L17", "亶理町", "誤記訂正", "043613", "亘理町") in [r[:6] for r in names]


def test_html_report_escapes(tmp_path):
    from renkei.documents import read
    from renkei.reports import html
    from renkei.validate import check

    path = tmp_path / "x.tsv"
    path.write_text("一覧\n都道府県\t自治体数\t連携事業を実施した区市町村名\n宮城県\t1\t<script>alert(1)</script>\n",
                    encoding="utf-8")
    page = html.render(check(read(path)))
    assert "<script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
