import json

from click.testing import CliRunner

from renkei.cli import cli


def run(args, stdin=None):
    result = CliRunner().invoke(cli, args, input=stdin)
    return result


def test_table_output():
    result = run(["resolve", "亶理町", "--prefecture", "宮城県"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].split() == ["記載", "判定", "コード", "正式名称", "都道府県", "理由"]
    assert lines[2].split()[:5] == ["亶理町", "誤記訂正", "043613", "亘理町", "宮城県"]
    english = run(["--lang", "en", "resolve", "亶理町", "--prefecture", "宮城県"]).output.splitlines()
    assert english[2].split()[:5] == ["亶理町", "corrected", "043613", "亘理町", "宮城県"]


def test_table_lists_candidates_for_ambiguous_names():
    result = run(["resolve", "府中市"])
    assert "府中市：候補：東京都府中市（132063）1.00、広島県府中市（342084）1.00" in result.output


def test_jsonl_contract():
    stdin = "\n".join([
        json.dumps({"name": "美幌市", "prefecture": "北海道"}, ensure_ascii=False),
        json.dumps({"name": "千代田区"}, ensure_ascii=False),
        "",
        json.dumps({"name": "府中市"}, ensure_ascii=False),
    ]) + "\n"
    result = run(["resolve", "--jsonl"], stdin)
    assert result.exit_code == 0
    rows = [json.loads(line) for line in result.output.splitlines()]
    assert len(rows) == 3  # blank lines are skipped, order is kept
    for row in rows:
        assert list(row) == ["input", "prefecture", "status", "code", "name", "reason", "candidates", "reason_key",
                             "params", "reasons"]
        for c in row["candidates"]:
            assert {"code", "name", "score"} <= set(c)
    assert rows[0] == {
        "input": "美幌市", "prefecture": "北海道", "status": "corrected", "code": "015431", "name": "美幌町",
        "reason": "市→町 種別の誤り", "candidates": rows[0]["candidates"],
        "reason_key": "edit_suffix", "params": {"written": "市", "official": "町", "similarity": 0.0},
        "reasons": [{"key": "edit_suffix", "params": {"written": "市", "official": "町", "similarity": 0.0},
                     "text": "市→町 種別の誤り"}],
    }
    assert rows[0]["candidates"][0] == {"code": "015431", "name": "美幌町", "prefecture": "北海道", "score": 0.867}
    assert (rows[1]["status"], rows[1]["code"], rows[1]["prefecture"]) == ("exact", "131016", "東京都")
    assert rows[2]["status"] == "ambiguous" and rows[2]["code"] is None


def test_jsonl_bad_line_is_reported_in_place():
    result = run(["resolve", "--jsonl"], 'not json\n{"name": "千代田区"}\n')
    rows = [json.loads(line) for line in result.output.splitlines()]
    assert rows[0]["status"] == "unresolved" and "line 1" in rows[0]["reason"]
    assert rows[1]["code"] == "131016"


def test_list_mode_uses_context():
    result = run(["resolve", "--list", "-p", "福島県", "広野町", "〇葉町", "富岡町"])
    assert "楢葉町" in result.output


def test_no_names_is_a_usage_error():
    result = run(["resolve"])
    assert result.exit_code == 2
    assert "NAMES" in result.output


def test_jsonl_multiple_and_as_of():
    stdin = "\n".join([
        json.dumps({"name": "城島町・三潴町"}, ensure_ascii=False),
        json.dumps({"name": "浦和市", "as_of": "平成12年1月1日"}, ensure_ascii=False),
        json.dumps({"name": "浦和市", "as_of": "いつか"}, ensure_ascii=False),
    ])
    result = run(["resolve", "--jsonl"], stdin)
    assert result.exit_code == 0, result.output
    multiple, dated, bad = (json.loads(line) for line in result.output.splitlines())
    assert multiple["status"] == "multiple" and multiple["code"] is None
    assert [p["code"] for p in multiple["parts"]] == ["402036", "402036"]
    assert set(multiple["parts"][0]) == {"input", "prefecture", "status", "code", "name", "reason", "candidates",
                                         "reason_key", "params", "reasons"}
    assert dated["code"] == "111007" and "2000-01-01" in dated["reason"]
    assert bad["status"] == "unresolved" and "いつか" in bad["reason"]


def test_as_of_option_and_parts_in_the_table():
    result = run(["resolve", "浦和市", "城島町・三潴町", "--as-of", "2000-01-01"])
    assert result.exit_code == 0, result.output
    assert "2000-01-01" in result.output and "複数の名称" in result.output
    assert any(line.split()[:2] == ["城島町", "合併・改称"] for line in result.output.splitlines())
    assert run(["resolve", "浦和市", "--as-of", "someday"]).exit_code == 2


def test_reason_follows_the_language_and_keeps_its_key():
    """`reason` is the reader's language (Japanese by default); reason_key and params do not change with it."""
    stdin = '{"name": "亶理町", "prefecture": "宮城県"}\n{"name": 1}\n'
    ja = [json.loads(x) for x in run(["resolve", "--jsonl"], stdin).output.splitlines()]
    en = [json.loads(x) for x in run(["--lang", "en", "resolve", "--jsonl"], stdin).output.splitlines()]
    assert ja[0]["reason"] == "亶→亘 字形類似（類似度 0.74）"
    assert en[0]["reason"] == "亶→亘 look-alike kanji (similarity 0.74)"
    assert ja[0]["reason_key"] == en[0]["reason_key"] == "edit_glyph"
    assert ja[0]["params"] == en[0]["params"] == {"written": "亶", "official": "亘", "similarity": 0.74}
    assert ja[1]["reason_key"] == "bad_json" and ja[1]["reason"].startswith("標準入力の2行目：")
    assert en[1]["reason"].startswith("stdin line 2: bad JSON")


def test_jsonl_fields_of_the_wrong_type_are_refused_in_place():
    """A prefecture that is neither text nor a number is bad_json, never a traceback; a number is a JIS code."""
    lines = ['{"name": "千代田区", "prefecture": ["東京都"]}', '{"name": "千代田区", "prefecture": 13}',
             '{"name": "千代田区", "as_of": 5}', '{"name": "千代田区", "prefecture": true}']
    result = run(["resolve", "--jsonl"], "\n".join(lines) + "\n")
    rows = [json.loads(line) for line in result.output.splitlines()]
    assert [r["reason_key"] for r in rows] == ["bad_json", None, "bad_date", "bad_json"]
    assert rows[1]["code"] == "131016" and rows[1]["status"] == "exact"


def test_jsonl_repeated_names_give_the_same_lines():
    same, other = '{"name": "亶理町", "prefecture": "宮城県"}\n', '{"name": "亶理町", "prefecture": "福島県"}\n'
    result = run(["resolve", "--jsonl"], same * 3 + other)
    lines = result.output.splitlines()
    assert lines[0] == lines[1] == lines[2] and json.loads(lines[0])["code"] == "043613"
    assert lines[3] != lines[0]  # the memo is keyed by the prefecture too


def test_jsonl_bytes_that_are_not_utf8_are_a_bad_line():
    stream = b'{"name": "\xff"}\n' + '{"name": "千代田区"}\n'.encode()
    result = CliRunner().invoke(cli, ["resolve", "--jsonl"], input=stream)
    rows = [json.loads(line) for line in result.output.splitlines()]
    assert [r["reason_key"] for r in rows] == ["bad_json", None] and rows[1]["code"] == "131016"
