"""One intake path: classify once, read and validate once, keep the checked report, reasons as key and parameters."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient
from sqlalchemy import text

from renkei import reasons as R
from renkei.cli import cli, default_list_path
from renkei.documents.classify import OFFICIAL_LIST, OTHER_TABLE, PROJECT_TEMPLATE, classify
from renkei.documents.projects import HEADERS
from renkei.i18n import use_language
from renkei.registry import Registry, accounts, database, staging
from renkei.web.app import create_app

PASSWORD = "correct horse battery"


def test_classify_tells_the_three_kinds_apart(tmp_path, make_fixtures):
    listed = make_fixtures.write_text(make_fixtures.published_grid([("宮城県", ["女川町"])]), tmp_path / "l.csv",
                                      delimiter=",", encoding="cp932", newline="\r\n")
    template = make_fixtures.write_projects(make_fixtures.project_grid(3), tmp_path / "p.xlsx")
    other = make_fixtures.write_text([["名前", "住所"], ["女川町", "宮城県"]], tmp_path / "t.csv", delimiter=",",
                                     encoding="utf-8", newline="\n")
    assert classify(listed) == OFFICIAL_LIST and classify(default_list_path()) == OFFICIAL_LIST
    assert classify(template) == PROJECT_TEMPLATE
    assert classify(other) == OTHER_TABLE
    assert classify(tmp_path / "scan.pdf", b"%PDF-1.4 ...") == OFFICIAL_LIST  # the list reader gives the error


def test_a_checked_report_survives_staging_unchanged(registry):
    report = registry.read_checked(default_list_path())
    kept = staging.report_from_json(staging.report_to_json(report))
    for lang in ("ja", "en"):
        with use_language(lang):
            assert kept.as_dict() == report.as_dict()


def _site(tmp_path, directory, resolver):
    reg = Registry.open(f"sqlite:///{tmp_path / 'web.sqlite3'}", directory=directory, resolver=resolver)
    return reg, _signed_in(reg, "jimu", "admin")


def _signed_in(reg: Registry, username: str, role: str, ward: str | None = None) -> TestClient:
    accounts.add_user(reg, username, PASSWORD, role, ward=ward, display_name=username)
    client = TestClient(create_app(registry=reg))
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text).group(1)
    client.post("/login", data={"username": username, "password": PASSWORD, "csrf_token": token, "next": "/admin/"})
    return client


def _counting(calls: dict[str, int], name: str, real):  # type: ignore[no-untyped-def]
    """``real``, counting its calls in ``calls[name]`` (how many times a file is read or validated)."""
    def wrapper(*args, **kwargs):  # type: ignore[no-untyped-def]
        calls[name] += 1
        return real(*args, **kwargs)
    return wrapper


def _csrf(client: TestClient) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', client.get("/admin/upload").text).group(1)


def test_an_upload_is_read_and_validated_once_from_preview_to_import(tmp_path, directory, resolver, make_fixtures,
                                                                       monkeypatch):
    import renkei.documents
    import renkei.validate

    reg, admin = _site(tmp_path, directory, resolver)
    grid = make_fixtures.published_grid([("宮城県", ["宮城県(県庁)", "亶理町", "女川町"])],
                                        "特別区連携自治体数一覧(令和8年8月1日現在)")
    data = make_fixtures.write_text(grid, tmp_path / "r8.csv", delimiter=",", encoding="cp932",
                                    newline="\r\n").read_bytes()
    calls = {"read": 0, "check": 0}

    monkeypatch.setattr(renkei.documents, "read", _counting(calls, "read", renkei.documents.read))
    monkeypatch.setattr(renkei.validate, "check", _counting(calls, "check", renkei.validate.check))
    r = admin.post("/admin/upload", data={"csrf_token": _csrf(admin)}, files={"file": ("r8.csv", data, "text/csv")})
    assert r.status_code == 200 and calls == {"read": 1, "check": 1}
    with reg.engine.connect() as conn:  # the checked report is kept, not the file
        kind, checked, raw = conn.execute(text("SELECT kind, checked, data FROM pending_uploads")).one()
    assert kind == "list" and raw is None and checked is not None
    token = re.search(r'action="/admin/upload/([^"]+)"', r.text).group(1)
    done = admin.post(f"/admin/upload/{token}", data={"csrf_token": _csrf(admin), "decision": "import"})
    assert "取り込みました" in done.text and calls == {"read": 1, "check": 1}  # nothing read or resolved again
    (entry,) = [e for e in reg.entries(reg.snapshots()[-1].id) if e.written == "亶理町"]
    assert entry.code == "043613" and "亶→亘" in entry.reason
    with reg.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM pending_uploads")).scalar() == 0
    reg.engine.dispose()


def test_a_template_is_read_once_from_preview_to_confirmation(registry, tmp_path, monkeypatch):
    """Issue 19 item 5: a template's checked records are kept, not its bytes; confirming applies exactly them."""
    import renkei.documents.projects
    import renkei.validate

    minato, jimu = _signed_in(registry, "minato", "ward", "131032"), _signed_in(registry, "jimu", "admin")
    calls = {"read": 0, "check": 0}

    monkeypatch.setattr(renkei.documents.projects, "read_projects",
                        _counting(calls, "read", renkei.documents.projects.read_projects))
    monkeypatch.setattr(renkei.validate, "check", _counting(calls, "check", renkei.validate.check))
    rows = [HEADERS, *[["港区", "宮城県", "亶理町" if i == 0 else "女川町", f"事業{i}", "観光", "2025", "", "", "", ""]
                       for i in range(3)]]
    data = ("\n".join(",".join(r) for r in rows) + "\n").encode()
    preview = minato.post("/admin/upload", data={"csrf_token": _csrf(minato)},
                          files={"file": ("p.csv", data, "text/csv")})
    assert preview.status_code == 200 and calls == {"read": 1, "check": 1}
    assert "承認待ちとして申請する" in preview.text and "<td>亶理町</td>" in preview.text
    with registry.engine.connect() as conn:  # the checked records are kept, not the file
        kind, checked, raw = conn.execute(text("SELECT kind, checked, data FROM pending_uploads")).one()
    checked = json.loads(checked) if isinstance(checked, str) else checked  # SQLite hands JSON back as text
    assert kind == "projects" and raw is None and len(checked["records"]) == 3
    token = re.search(r'action="/admin/upload/([^"]+)"', preview.text).group(1)
    done = minato.post(f"/admin/upload/{token}", data={"csrf_token": _csrf(minato), "decision": "import"},
                       follow_redirects=False)
    assert done.status_code == 303 and calls == {"read": 1, "check": 1}  # nothing read or checked again
    page = minato.get(done.headers["location"]).text  # POST/redirect/GET: the result page can be reloaded
    assert "承認を申請しました" in page and "追加 3" in page
    assert len(registry.changes(ward="131032")) == 3 and registry.count_projects() == 0  # pending, not public
    preview = jimu.post("/admin/upload", data={"csrf_token": _csrf(jimu)}, files={"file": ("p.csv", data, "text/csv")})
    assert "取り込む（すぐに公開されます）" in preview.text and "承認待ちとして申請する" not in preview.text
    token = re.search(r'action="/admin/upload/([^"]+)"', preview.text).group(1)
    jimu.post(f"/admin/upload/{token}", data={"csrf_token": _csrf(jimu), "decision": "import"})
    assert calls == {"read": 2, "check": 2} and registry.count_projects() == 3  # an admin's are approved at once
    with registry.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM pending_uploads")).scalar() == 0


def test_the_template_preview_groups_its_problems_as_the_list_report_does(tmp_path, directory, resolver):
    reg, admin = _site(tmp_path, directory, resolver)
    rows = [HEADERS, ["港区", "", "府中市", "事業0", "観光", "2025", "", "", "", ""]]  # 府中市: two prefectures
    data = ("\n".join(",".join(r) for r in rows) + "\n").encode()
    page = admin.post("/admin/upload", data={"csrf_token": _csrf(admin)},
                      files={"file": ("p.csv", data, "text/csv")}).text
    (group,) = re.findall(r'<section class="problem-group".*?</section>', page, re.S)
    assert '<li class="severity-warning"><strong class="severity-label">警告</strong> C2：「府中市」' in group
    assert "<h2>注意</h2>" not in page
    reg.engine.dispose()


def test_a_list_imported_in_english_shows_japanese_reasons_in_the_japanese_queue(tmp_path, directory, resolver,
                                                                                 make_fixtures):
    reg, admin = _site(tmp_path, directory, resolver)
    grid = make_fixtures.published_grid([("宮城県", ["宮城県(県庁)", "亶理町"])],
                                        "特別区連携自治体数一覧(令和8年8月1日現在)")
    path = make_fixtures.write_text(grid, tmp_path / "r8.csv", delimiter=",", encoding="utf-8", newline="\n")
    db = str(reg.engine.url)
    result = CliRunner().invoke(cli, ["--lang", "en", "--db", db, "import", str(path)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    (item,) = [i for i in reg.review_queue() if i.written == "亶理町"]
    with use_language("en"):
        (english,) = [i.reason for i in reg.review_queue() if i.written == "亶理町"]
    assert "字形類似" in item.reason and "look-alike" in english and "look-alike" not in item.reason
    page = admin.get("/admin/review").text
    assert "字形類似" in page and "look-alike" not in page
    reg.engine.dispose()


def test_problems_of_a_list_imported_in_english_are_shown_in_the_readers_language(registry, tmp_path, make_fixtures):
    """snapshots.problems keeps each message as key and parameters: an import under --lang en reviews in Japanese."""
    grid = make_fixtures.published_grid([("宮城県", ["宮城県(県庁)", "女川町"])],
                                        "特別区連携自治体数一覧(令和8年8月1日現在)")
    grid[2][1] = "3"  # declared 3, listed 2: a count mismatch
    path = make_fixtures.write_text(grid, tmp_path / "r8.csv", delimiter=",", encoding="utf-8", newline="\n")
    db = registry.engine.url.render_as_string(hide_password=False)
    result = CliRunner().invoke(cli, ["--lang", "en", "--db", db, "import", str(path)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    draft = registry.snapshots()[-1]

    def mismatch() -> str:
        (message,) = [p["message"] for p in registry.release_preview(draft.id).problems
                      if p["kind"] == "count_mismatch"]
        return str(message)

    japanese = mismatch()
    with use_language("en"):
        english = mismatch()
    assert "記載の件数 3、掲載 2" in japanese and "記載" not in english and "3" in english
    page = _signed_in(registry, "jimu", "admin").get(f"/admin/editions/{draft.id}/publish").text
    assert "記載の件数 3、掲載 2" in page and english not in page


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_problems_kept_as_text_are_read_back_into_keys(lang):
    """A problem stored before key and parameters were kept (its text in the importer's language) is shown in
    the reader's; text that no template gives exactly is shown as it is."""
    from renkei.i18n import N_
    from renkei.validate import problem, shown_problem

    made = problem("count_mismatch", N_("{prefecture}：記載の件数 {declared}、掲載 {listed}（{difference:+d}）"),
                   prefecture="宮城県", declared=3, listed=2, difference=-1)
    with use_language(lang):
        old = made.as_dict()
    with use_language("ja"):
        assert shown_problem(old)["message"] == "宮城県：記載の件数 3、掲載 2（-1）"
    with use_language("en"):
        english = shown_problem(old)["message"]
    assert "記載" not in english and "3" in english
    unknown = {**old, "message": "手で書いた説明"}
    assert shown_problem(unknown)["message"] == "手で書いた説明"


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_reasons_kept_as_text_are_read_back_into_keys(lang):
    made = [R.edit("glyph", "澤", "沢", 0.8), R.county_removed("南部郡"), R.note_removed("reading", "みなと"),
            R.same_name(3), R.no_match()]
    with use_language(lang):
        written = R.render(made)
    parsed = R.from_text(written)
    assert [r.key for r in parsed] == [r.key for r in made]
    for other in ("ja", "en"):
        with use_language(other):
            assert R.render(parsed) == R.render(made)
    assert R.from_text("何かの自由な文") is None


def test_migration_0009_reads_draft_reasons_back_and_keeps_editions(db_url, directory, resolver):
    from alembic import command

    reg = Registry.open(db_url, directory=directory, resolver=resolver)
    draft = reg.revise(1).id
    with use_language("en"):
        english = R.render([R.edit("glyph", "亶", "亘", 0.83)])
    with reg.engine.begin() as conn:
        command.downgrade(database._alembic_config(conn), "project_changes")
    with reg.engine.begin() as conn:
        conn.execute(text("UPDATE entries SET reason = :r WHERE snapshot_id = :s AND written = '亶理町'"),
                     {"r": english, "s": draft})
    database.upgrade(reg.engine)
    with reg.engine.connect() as conn:
        rows = dict(conn.execute(text("SELECT snapshot_id, reasons FROM entries WHERE written = '亶理町'")).all())
    assert rows[1] is None  # a published edition never changes
    assert rows[draft] is not None
    for snapshot in (1, draft):
        (entry,) = [e for e in reg.entries(snapshot) if e.written == "亶理町"]
        assert "字形類似" in entry.reason  # Japanese for a Japanese reader, however it was kept
    reg.engine.dispose()


# -- the validation report and the review queue -----------------------------------------------------------------

def test_the_upload_report_groups_problems_and_counts_settled_names(tmp_path, directory, resolver, make_fixtures):
    reg, admin = _site(tmp_path, directory, resolver)
    reg.revise(1)
    reg.decide("040002", "亶理町", code="043613", action="accept", actor="jimu")
    grid = make_fixtures.published_grid([("北海道", ["札幌市", "北海道(道庁)"]), ("宮城県", ["亶理町", "女川町"]),
                                         ("宮城県", ["石巻市"])], "特別区連携自治体数一覧(令和8年8月1日現在)")
    grid.insert(1, ["（注記の行）"])  # text before the header: a warning of the whole file, listed first
    next(row for row in grid if row[0] == "宮城県")[1] = "5"  # declares 5, lists 2: an error in that block
    data = make_fixtures.write_text(grid, tmp_path / "r8.csv", delimiter=",", encoding="utf-8",
                                    newline="\n").read_bytes()
    page = admin.post("/admin/upload", data={"csrf_token": _csrf(admin)},
                      files={"file": ("r8.csv", data, "text/csv")}).text
    assert "1件は過去の判断で確定済み" in page and "要確認 <strong>0</strong>" in page
    groups = [g.strip() for g in re.findall(r'<h3 id="group\d+">([^<]+)<', page)]
    assert groups[0] == "ファイル全体" and groups[-1] == "北海道"  # groups with an error first (北海道: order only)
    whole = page[page.index('id="group1"'):page.index('id="group2"')]
    assert whole.index("severity-error") < whole.index("severity-warning")  # duplicate block before the note
    for word in ("エラー", "警告"):  # a word, not colour alone
        assert f'<strong class="severity-label">{word}</strong>' in page
    assert "下書きとして取り込む" in page and "エラーが残っていても取り込めます" in page
    seed = Path(default_list_path()).read_bytes()
    again = admin.post("/admin/upload", data={"csrf_token": _csrf(admin)},
                       files={"file": ("seed.txt", seed, "text/plain")}).text
    assert again.index("このファイルは既に #1") < again.index("問題点")  # the duplicate notice comes first
    reg.engine.dispose()


def _decide(client: TestClient, n: int, **form: str):  # type: ignore[no-untyped-def]
    return client.post("/admin/review", data={"csrf_token": _csrf(client), "at": str(n), **form},
                       follow_redirects=False)


def test_a_decision_is_named_can_be_undone_and_focus_moves_to_the_next_item(tmp_path, directory, resolver):
    reg, admin = _site(tmp_path, directory, resolver)
    reg.revise(1)
    first, second = reg.review_queue()[:2]
    r = _decide(admin, 1, pref_code=first.pref_code, written=first.written, action="accept", code=first.code)
    assert r.status_code == 303 and r.headers["location"].endswith("&at=1")
    page = admin.get(r.headers["location"]).text
    assert f"{first.prefecture}「{first.written}」を {first.name}（{first.code}）として確定しました" in page
    focused = page[page.index('id="r1"'):page.index('id="r2"')]
    assert f"「{second.written}」" in focused and focused.count("autofocus") == 1  # the next item, now first
    undo = re.search(r'name="decision_id" value="(\d+)"', page).group(1)
    r = admin.post("/admin/review/undo", data={"csrf_token": _csrf(admin), "decision_id": undo, "at": "1"})
    assert f"{first.prefecture}「{first.written}」の判断を取り消しました" in r.text
    assert first.written in [i.written for i in reg.review_queue()]
    reg.engine.dispose()


def test_a_five_digit_code_gets_its_check_digit_and_the_guard_defaults_to_stopping(tmp_path, directory, resolver):
    reg, admin = _site(tmp_path, directory, resolver)
    reg.revise(1)
    r = _decide(admin, 1, pref_code="040002", written="亶理町", action="manual", code="04361")
    assert r.status_code == 303 and reg.decisions()[-1]["code"] == "043613"
    guarded = _decide(admin, 1, pref_code="010006", written="美幌市", action="manual", code="47201")  # 那覇市
    assert guarded.status_code == 422 and "472018（沖縄県那覇市）" in guarded.text
    stop = guarded.text.index(">やめる</button>")
    record = guarded.text.index(">確認して記録する</button>")
    assert stop < record and 'autofocus>やめる' in guarded.text and 'class="secondary">確認して記録する' in guarded.text
    assert 'class="danger">自治体ではない' in guarded.text
    assert "全国地方公共団体コード（5桁または6桁）" in guarded.text
    reg.engine.dispose()


def test_accept_all_suggestions_takes_only_cheap_corrections_after_a_confirmation(tmp_path, directory, resolver):
    from renkei.registry.reviews import is_cheap

    reg, admin = _site(tmp_path, directory, resolver)
    reg.revise(1)
    items = reg.review_queue()
    cheap = [i for i in items if is_cheap(i)]
    assert 0 < len(cheap) < len(items)  # the seed has both kinds
    assert f"提案をすべて確定（{len(cheap)}件）" in admin.get("/admin/review").text
    listing = admin.get("/admin/review/suggestions").text
    keys = re.findall(r'name="item" value="([^"]+)"', listing)
    assert sorted(keys) == sorted(f"{i.pref_code}:{i.written}" for i in cheap)
    nothing_yet = reg.decisions()
    assert nothing_yet == []
    r = admin.post("/admin/review/suggestions", data={"csrf_token": _csrf(admin), "item": keys})
    assert f"{len(cheap)}件を提案どおり確定しました" in r.text
    left = {i.written for i in reg.review_queue()}
    assert left == {i.written for i in items if not is_cheap(i)}
    assert {d["action"] for d in reg.decisions()} == {"accept"}
    reg.engine.dispose()


def test_two_confirmations_of_one_upload_get_it_once(registry):
    """A double click or two tabs: of the threads taking the same token, exactly one gets the upload, every time."""
    from concurrent.futures import ThreadPoolExecutor

    user = accounts.add_user(registry, "jimu", PASSWORD, "admin").id
    report = registry.read_checked(default_list_path())
    for _ in range(15):
        token = staging.keep(registry, user, "seed.txt", report=report)
        with ThreadPoolExecutor(4) as pool:
            got = list(pool.map(lambda t: staging.take(registry, t, user), [token] * 4))
        assert sum(g is not None for g in got) == 1
    assert staging.take(registry, "no-such-token", user) is None


def test_the_cli_takes_a_five_digit_code_too(tmp_path, directory, resolver):
    db = f"sqlite:///{tmp_path / 'cli.sqlite3'}"
    reg = Registry.open(db, directory=directory, resolver=resolver)
    reg.revise(1)
    n = next(k for k, i in enumerate(reg.review_queue(), 1) if i.written == "亶理町")
    result = CliRunner().invoke(cli, ["--db", db, "review", "--choose", f"{n}=０４３６１"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert [(d["written"], d["code"]) for d in reg.decisions()] == [("亶理町", "043613")]
    reg.engine.dispose()
