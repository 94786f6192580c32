"""The registry commands, end to end through click (SQLite; the storage itself is tested on both backends)."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from renkei.cli import cli
from renkei.registry.database import head_revision


@pytest.fixture
def run(tmp_path):
    db = str(tmp_path / "cli.sqlite3")

    def invoke(*args: str, input: str | None = None):  # type: ignore[no-untyped-def]
        return CliRunner().invoke(cli, ["--db", db, *args], input=input, catch_exceptions=False)

    return invoke


def test_fresh_machine_works_with_no_setup(run):
    result = run("snapshots")
    assert result.exit_code == 0
    assert "令和7年8月1日現在（第1版）" in result.output and "公表済み" in result.output


def test_db_upgrade(run):
    result = run("db", "upgrade")
    assert result.exit_code == 0 and f"スキーマ なし → {head_revision()}" in result.output
    assert f"スキーマ {head_revision()} → {head_revision()}" in run("db", "upgrade").output


def test_import_diff_formats(run, tmp_path, make_fixtures):
    grid = make_fixtures.published_grid([("宮城県", ["宮城県(県庁)", "仙台市", "亶理町", "女川町"])],
                                        "特別区連携自治体数一覧(令和8年8月1日現在)")
    path = make_fixtures.write_text(grid, tmp_path / "r8.csv", delimiter=",", encoding="cp932", newline="\r\n")
    result = run("import", str(path), "--note", "令和8年版")
    assert result.exit_code == 0, result.output
    assert result.stdout == "2\n"  # the new draft's id, alone: N=$(renkei import FILE)
    assert result.stderr.startswith("#2 令和8年8月1日現在 下書き（未公表）: 連携自治体 4、記載 4件、要確認 1件\n")
    assert run("release", "2", "--by", "staff").stdout == "#2 令和8年8月1日現在（第1版） を公表しました\n"
    csv_out = run("diff", "--csv").output
    lines = csv_out.splitlines()
    assert lines[0] == "change,都道府県,全国地方公共団体コード,名称,before,after"
    assert "added,宮城県,045811,女川町,," in lines
    assert "declared,宮城県,040002,,24,4" in lines
    assert sum(line.startswith("removed,宮城県,") for line in lines) == 17
    assert run("diff", "--csv").stdout_bytes.endswith(b",0\r\n")  # CRLF, as Excel writes CSV
    md = run("diff", "1", "2", "--markdown").output
    assert md.startswith("# 差分: 令和7年8月1日現在（第1版） → 令和8年8月1日現在（第1版）\n")
    assert "| 宮城県 | 24 → 4 | 20 → 4 | 女川町 |" in md
    data = json.loads(run("diff", "--json").output)
    assert data["totals"]["added"] == 1 and data["a"]["id"] == 1
    text = run("diff").output
    assert "女川町" in text and "prefecture" in text


def test_import_errors(run, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_bytes(b"")
    result = CliRunner().invoke(cli, ["--db", str(tmp_path / "cli.sqlite3"), "import", str(bad)])
    assert result.exit_code == 2 and "ファイルが空です" in result.output and "Traceback" not in result.output
    from renkei.cli import default_list_path

    result = run("import", default_list_path())
    assert result.exit_code == 1 and "既に #1「令和7年8月1日現在（第1版）」（公表済み）" in result.output
    assert len(json.loads(run("snapshots", "--json").output)) == 1


def test_review_flow(run):
    assert run("review").output == "要確認の名称はありません\n"  # the seed is published: nothing to decide
    assert run("revise", "1").stdout == "2\n"  # a draft copy to correct
    listing = run("review")
    assert listing.exit_code == 1  # something needs review
    assert " 2. 宮城県「亶理町」 → 亘理町 (043613)  [誤記訂正]" in listing.output
    items = json.loads(run("review", "--json").output)
    assert [i["written"] for i in items][:2] == ["美幌市", "亶理町"]
    result = run("review", "--accept", "2", "--by", "staff")
    assert result.exit_code == 0 and "1件を更新しました。要確認の名称はあと 6件です" in result.output
    assert "亶理町" not in run("review").output
    result = run("review", "--choose", "1=015431")
    assert "要確認の名称はあと 5件です" in result.output
    assert run("review", "--accept", "99").exit_code == 1
    assert run("review", "--accept", "all").output.endswith("要確認の名称はあと 0件です\n")
    assert run("review").output == "要確認の名称はありません\n"


def test_review_interactive(run):
    run("revise", "1")
    result = run("review", "-i", input="r\n1\nq\n")
    assert result.exit_code == 0
    items = json.loads(run("review", "--json").output)
    assert len(items) == 5  # one rejected, one chosen, then quit


def test_show(run):
    out = run("show", "亶理町").output
    assert out.startswith("亘理町（ワタリチョウ）043613：宮城県、町\n  「亶理町」→ 亘理町：誤記訂正")
    assert "宮城県（040002）：地方公共団体 36" in run("show", "宮城県").output
    result = run("show", "ほげほげほげ")
    assert result.exit_code == 1 and "エラー：" in result.output


def test_backup_load_round_trip(run, tmp_path):
    assert run("user", "add", "jimu", "--role", "admin", "--password", "correct horse battery").exit_code == 0
    backup = tmp_path / "backup.json"
    result = run("backup", "-o", str(backup))
    assert result.exit_code == 0 and "秘密" in result.output
    assert backup.stat().st_mode & 0o777 == 0o600  # created secret, whatever the umask
    assert "argon2" in backup.read_text(encoding="utf-8")  # accounts are in the backup
    other = str(tmp_path / "other.sqlite3")
    result = CliRunner().invoke(cli, ["--db", other, "load", str(backup)])
    assert result.exit_code == 0 and "partners 520" in result.output and "users 1" in result.output
    sqlite_copy = tmp_path / "copy.sqlite3"
    assert run("backup", "--format", "sqlite", "-o", str(sqlite_copy)).exit_code == 0
    assert sqlite_copy.stat().st_mode & 0o777 == 0o600
    third = str(tmp_path / "third.sqlite3")
    assert CliRunner().invoke(cli, ["--db", third, "load", str(sqlite_copy)]).exit_code == 0
    again = tmp_path / "again.json"
    assert CliRunner().invoke(cli, ["--db", third, "backup", "-o", str(again)]).exit_code == 0
    assert json.loads(again.read_text(encoding="utf-8")) == json.loads(backup.read_text(encoding="utf-8"))


def test_export_is_public_data(run, tmp_path):
    assert run("user", "add", "jimu", "--role", "admin", "--password", "correct horse battery").exit_code == 0
    data = json.loads(run("export").output)
    assert "users" not in data["tables"] and "audit_log" not in data["tables"]
    assert "argon2" not in json.dumps(data) and {s["imported_by"] for s in data["tables"]["snapshots"]} == {""}
    public = tmp_path / "public.sqlite3"
    assert run("export", "--format", "sqlite", "-o", str(public)).exit_code == 0
    assert b"argon2" not in public.read_bytes()
    other = str(tmp_path / "other.sqlite3")  # public data loads into an empty registry
    result = CliRunner().invoke(cli, ["--db", other, "load", str(public)])
    assert result.exit_code == 0 and "partners 520" in result.output and "users" not in result.output
    bad = tmp_path / "bad.json"
    bad.write_text("{nope", encoding="utf-8")
    result = CliRunner().invoke(cli, ["--db", other, "load", str(bad), "--replace"])
    assert result.exit_code == 2 and "JSON のバックアップではありません" in result.output


def test_template_and_project_import(run, tmp_path, make_fixtures):
    result = run("template", str(tmp_path / "t"))
    assert result.exit_code == 0 and "連携事業テンプレート.xlsx" in result.output
    path = make_fixtures.write_projects(make_fixtures.project_grid(40), tmp_path / "p.csv")
    result = run("import", str(path), "--as-of", "2026-03-31")
    assert result.exit_code == 1 and "時点を決めません" in result.output
    result = run("import", str(path))
    assert result.exit_code == 0 and "連携事業：追加 40、変更 0、変更なし 0" in result.output
    snapshots = json.loads(run("snapshots", "--json").output)
    assert len(snapshots) == 1  # the template made no list
    result = run("derive", "--since", "2019-04-01", "--until", "令和8年3月31日", "--as-of", "2026-08-01")
    assert result.exit_code == 0 and "スナップショット #2（2026-08-01）" in result.output
    assert "要確認 0" in result.output
    result = run("derive", "--since", "2019-04-01", "--until", "2026-03-31", "--as-of", "2026-08-01")
    assert result.exit_code == 1 and "既に #2" in result.output
