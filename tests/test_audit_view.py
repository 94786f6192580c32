"""The audit log as people read it: actions in Japanese, targets by name, no server paths, JST, filters."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta, timezone

from test_web import MINATO, form_of, fresh, project_of, sign_in  # noqa: F401  (fixtures)

from renkei.audit_view import describe
from renkei.registry import audit


def test_rows_read_as_sentences(directory):
    decision = {"id": 7, "at": "2025-07-31T15:30:00+00:00", "actor": "jimu", "action": "review",
                "target": "review_decisions", "target_id": "040002:亶理町", "before": None,
                "after": {"pref_code": "040002", "written": "亶理町", "action": "accept", "code": "043613"}}
    line = describe(decision, directory)
    assert (line.action, line.target, line.at) == ("判断", "宮城県「亶理町」→亘理町", "2025-08-01 00:30")
    upload = {"id": 8, "at": "2025-07-31T15:30:00", "actor": "minato1", "action": "import", "target": "snapshots",
              "target_id": "3", "before": None,
              "after": {"source": "/tmp/renkei-upload-x1y2/連携事業.xlsx", "sha256": "ab" * 32, "projects": 4}}
    line = describe(upload, directory)
    assert line.action == "取り込み" and line.target == "一覧の取り込み（連携事業.xlsx）"
    assert "/tmp" not in repr(line) and ("事業数", "", "4") in line.changes
    edit = {"id": 9, "at": "2025-07-31T15:30:00", "actor": "minato1", "action": "update", "target": "projects",
            "target_id": "12", "before": {"title": "物産展", "version": 1, "wards": [{"code": MINATO, "name": "港区"}]},
            "after": {"title": "物産展2025", "version": 2, "wards": [{"code": MINATO, "name": "港区"}]}}
    line = describe(edit, directory)
    assert (line.action, line.target) == ("変更", "港区の事業「物産展2025」")
    assert line.changes == (("事業名", "物産展", "物産展2025"),)
    assert describe({**edit, "action": "something_new"}, directory).action == "something_new"  # never hidden


FIVE_IN_THE_MORNING = datetime(2025, 7, 31, 20, 0, tzinfo=UTC)  # 2025-08-01 05:00 JST, as now() gives it (UTC)


def test_audit_page_is_japanese_and_filters(fresh, monkeypatch):  # noqa: F811
    monkeypatch.setattr(audit, "now", lambda: FIVE_IN_THE_MORNING)  # the day in Japan differs from UTC's
    app, reg = fresh
    p = project_of(reg, MINATO)
    minato = sign_in(app, "minato")
    token = re.search(r'name="csrf_token" value="([^"]+)"', minato.get("/admin/").text).group(1)
    minato.post(f"/admin/projects/{p.id}", data={**form_of(p, title="新しい名前"), "csrf_token": token})
    reg.revise(1)  # review decisions apply to drafts: a draft copy of the published seed
    item = next(i for i in reg.review_queue() if i.code)
    reg.decide(item.pref_code, item.written, code=item.code, action="accept", actor="jimu")
    admin = sign_in(app, "jimu")
    page = admin.get("/admin/audit").text
    assert "取り込み" in page and "判断" in page and "変更" in page
    assert "港区の事業「新しい名前」" in page and f"「{item.written}」→{item.name}" in page
    assert "review_decisions" not in page and '"sha256"' not in page and "/tmp/" not in page
    now_jst = "2025-08-01"
    assert "2025-08-01 05:00" in page
    only_minato = admin.get("/admin/audit", params={"actor": "minato"}).text
    assert "港区の事業「新しい名前」" in only_minato and "判断" not in only_minato.split("<ol")[1]
    only_review = admin.get("/admin/audit", params={"action": "review"}).text.split("<ol")[1]
    assert "判断" in only_review and "新しい名前" not in only_review
    before = admin.get("/admin/audit", params={"until": "2000-01-01"}).text
    assert "該当する変更はありません" in before
    today = admin.get("/admin/audit", params={"since": now_jst, "until": now_jst}).text
    assert "新しい名前" in today
    day_before = admin.get("/admin/audit", params={"since": "2025-07-31", "until": "2025-07-31"}).text
    assert "新しい名前" not in day_before
    assert admin.get("/admin/audit", params={"since": "not-a-date"}).status_code == 200


def test_dashboard_names_the_ward_and_conflicts_show_japan_time(fresh):  # noqa: F811
    app, reg = fresh
    page = sign_in(app, "minato").get("/admin/").text
    assert "区の担当者・港区" in page and MINATO not in page
    p = project_of(reg, MINATO)
    a, b = sign_in(app, "minato"), sign_in(app, "jimu")
    for client, title in ((a, "Aの変更"), (b, "Bの変更")):
        token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/admin/").text).group(1)
        r = client.post(f"/admin/projects/{p.id}", data={**form_of(p, title=title), "csrf_token": token})
    assert r.status_code == 409
    saved = reg.pending_change(p.id).proposed_at  # A's change, waiting for approval; stored in UTC
    shown = __import__("renkei.i18n", fromlist=["format_datetime"]).format_datetime(saved)
    assert shown in r.text and saved not in r.text


def test_an_entry_at_five_in_the_morning_is_filed_under_its_japan_day(registry, monkeypatch):
    """On SQLite and PostgreSQL alike: times are stored in UTC and the day bounds are Japan's."""
    monkeypatch.setattr(audit, "now", lambda: FIVE_IN_THE_MORNING)
    with registry.Session.begin() as s:
        audit.record(s, "jimu", "state", "snapshots", "1", None, {"note": "x"})
    entry = registry.audit_log(limit=1)[0]
    assert entry["at"] == "2025-07-31T20:00:00+00:00"

    def on(first: date, last: date) -> list[str]:
        since, until = audit.japan_days(first, last)
        return [a["actor"] for a in registry.audit_log(since=since, until=until) if a["action"] == "state"]

    assert on(date(2025, 8, 1), date(2025, 8, 1)) == ["jimu"]
    assert on(date(2025, 7, 31), date(2025, 7, 31)) == []
    # a bound in any zone is the same moment: 05:00:01 JST excludes the entry, 05:00 JST includes it
    jst = timezone(timedelta(hours=9))
    assert registry.audit_log(since=datetime(2025, 8, 1, 5, 0, 1, tzinfo=jst), action="state") == []
    assert len(registry.audit_log(since=datetime(2025, 8, 1, 5, 0, tzinfo=jst), action="state")) == 1


def test_editions_states_roles_and_flags_read_in_japanese(directory):
    labels = {1: "令和7年8月1日現在（第1版）", 2: "令和7年8月1日現在（第2版）"}
    publish = {"id": 10, "at": "2025-07-31T15:30:00", "actor": "jimu", "action": "publish", "target": "snapshots",
               "target_id": "2", "before": {"state": "draft", "note": "", "source_url": ""},
               "after": {"state": "published", "edition": 2, "note": "訂正版", "source_url": "", "supersedes": 1}}
    line = describe(publish, directory, labels)
    assert (line.action, line.target) == ("公表", "版「令和7年8月1日現在（第2版）」")
    assert ("状態", "下書き", "公表") in line.changes and ("版", "", "第2版") in line.changes
    assert ("差し替え対象", "", "令和7年8月1日現在（第1版）") in line.changes
    assert all(field != "原資料のURL" for field, _b, _a in line.changes)  # unchanged: not listed
    discard = {"id": 11, "at": "2025-07-31T15:30:00", "actor": "jimu", "action": "discard", "target": "snapshots",
               "target_id": "5", "before": {"state": "draft", "label": "令和8年8月1日現在 下書き（未公表）",
                                             "as_of": "2026-08-01", "source": "/tmp/x/r8.csv", "partners": 3},
               "after": None}
    line = describe(discard, directory, labels)  # the draft is gone: its label as it was
    assert (line.action, line.target) == ("下書きの破棄", "版「令和8年8月1日現在 下書き（未公表）」（r8.csv）")
    disable = {"id": 12, "at": "2025-07-31T15:30:00", "actor": "jimu", "action": "disable", "target": "users",
               "target_id": "3", "before": {"username": "minato", "role": "ward", "disabled": False},
               "after": {"username": "minato", "role": "ward", "disabled": True}}
    line = describe(disable, directory)
    assert line.changes == (("利用", "有効", "無効"),)
    role = {**disable, "action": "update", "before": {"username": "minato", "role": "ward"},
            "after": {"username": "minato", "role": "admin"}}
    assert describe(role, directory).changes == (("役割", "区の担当者", "管理者（事務局）"),)  # as on アカウント
