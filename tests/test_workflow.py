"""The project-change workflow under races, privacy of pending changes and account names, and review decisions.

Races run many times with threads on SQLite and PostgreSQL (the ``registry`` and ``db_url`` fixtures) and
count outcomes: one winner, the loser a :class:`ChangeConflict` (a 409 on the web), never anything else.
"""

from __future__ import annotations

import re
import threading
import warnings
from collections.abc import Callable

import pytest
from sqlalchemy import func, select

warnings.filterwarnings("ignore", category=DeprecationWarning, module="fastapi.testclient")
from fastapi.testclient import TestClient  # noqa: E402
from staff_site import csrf_of, sign_in  # noqa: E402

from renkei.documents.projects import HEADERS  # noqa: E402
from renkei.registry import (  # noqa: E402
    ChangeConflict,
    ConflictError,
    PermissionDenied,
    Registry,
    permissions,
    workflow,
)
from renkei.registry.schema import Project, ProjectChange  # noqa: E402

MINATO, CHUO = "131032", "131024"
WATARI, ONAGAWA, MIYAGI = "043613", "045811", "040002"
PASSWORD = "correct horse battery"
ROUNDS = 8


def race(*calls: Callable[[], object]) -> list[object]:
    """Run ``calls`` at the same moment in threads: each outcome is 'ok', 'conflict' or the exception raised."""
    barrier = threading.Barrier(len(calls))
    outcomes: list[object] = [None] * len(calls)

    def run(i: int, call: Callable[[], object]) -> None:
        barrier.wait()
        try:
            call()
            outcomes[i] = "ok"
        except ChangeConflict:
            outcomes[i] = "conflict"
        except BaseException as exc:  # anything else is a failure of the test, reported with its outcome
            outcomes[i] = exc

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return outcomes


def projects_made_by(reg: Registry, change_id: int) -> int:
    with reg.Session() as s:
        return s.scalar(select(func.count()).select_from(Project).where(Project.created_by_change_id == change_id))


def state_of(reg: Registry, change_id: int) -> str:
    with reg.Session() as s:
        return s.get(ProjectChange, change_id).state


def template(path, partners: str, *, wards: str = "港区", title: str = "物産展", summary: str = ""):
    """A one-row project template at ``path`` (宮城県, 観光, 2025): the partners and wards as written."""
    path.write_text("\n".join(",".join(r) for r in [HEADERS, (wards, "宮城県", partners, title, "観光", "2025", "", "",
                                                              summary, "")]) + "\n", encoding="utf-8")
    return path


# -- who may do what (pure rules) -------------------------------------------------------------------------------

def name(code: str) -> str:
    return {MINATO: "港区", CHUO: "中央区"}[code]


@pytest.mark.parametrize(("rule", "admin_ok", "own_ok", "other_ok"), [
    (lambda w: permissions.check_propose(w, [MINATO], name), True, True, False),
    (lambda w: permissions.check_wards(w, [MINATO, CHUO], [MINATO], name), True, False, False),
    (lambda w: permissions.check_wards(w, [MINATO], [MINATO, CHUO], name), True, True, True),  # adding is fine
    (lambda w: permissions.check_delete(w, [MINATO, CHUO]), True, False, False),  # a joint project
    (lambda w: permissions.check_delete(w, [MINATO]), True, True, True),
    (lambda w: permissions.check_decide(w), True, False, False),
    (lambda w: permissions.check_withdraw(w, MINATO), True, True, False),
    (lambda w: permissions.check_replace(w, MINATO), True, True, False),
])
def test_permissions(rule, admin_ok, own_ok, other_ok):
    """Each rule for the admin (no ward), 港区's editor (its own change or project) and 中央区's."""
    outcomes = []
    for ward in (None, MINATO, CHUO):
        try:
            rule(ward)
            outcomes.append(True)
        except PermissionDenied:
            outcomes.append(False)
    assert outcomes == [admin_ok, own_ok, other_ok]
    assert permissions.may_see_pending(None, MINATO) and permissions.may_see_pending(MINATO, MINATO)
    assert not permissions.may_see_pending(CHUO, MINATO)


# -- races ------------------------------------------------------------------------------------------------------

def test_two_admins_approving_one_creation_make_one_project(registry):
    for i in range(ROUNDS):
        change = registry.propose_project(title=f"物産展{i}", wards=[MINATO], partners=[WATARI], actor="minato",
                                          actor_ward=MINATO)
        outcomes = race(lambda c=change: registry.approve([c.id], actor="jimu"),
                        lambda c=change: registry.approve([c.id], actor="jimu2"))
        assert sorted(map(str, outcomes)) == ["conflict", "ok"], outcomes
        assert projects_made_by(registry, change.id) == 1
        assert [p.title for p in registry.projects(limit=100)].count(f"物産展{i}") == 1


def test_approval_racing_the_withdrawal_tells_the_truth(registry):
    wins = set()
    for i in range(ROUNDS):
        change = registry.propose_project(title=f"交流会{i}", wards=[MINATO], partners=[WATARI], actor="minato",
                                          actor_ward=MINATO)
        approve, withdraw = race(lambda c=change: registry.approve([c.id], actor="jimu"),
                                 lambda c=change: registry.withdraw_change(c.id, actor="minato", actor_ward=MINATO))
        assert sorted(map(str, (approve, withdraw))) == ["conflict", "ok"], (approve, withdraw)
        made = projects_made_by(registry, change.id)
        if approve == "ok":
            assert (state_of(registry, change.id), made) == ("approved", 1)
        else:  # withdrawn: never applied
            assert (state_of(registry, change.id), made) == ("rejected", 0)
        wins.add(approve)
    assert wins <= {"ok", "conflict"}


def test_two_approvals_of_one_edit_one_conflict(registry):
    p = registry.add_project(title="物産展", wards=[MINATO], partners=[WATARI], actor="jimu")
    for i in range(ROUNDS):
        version = registry.project(p.id).version
        change = registry.propose_update(p.id, version, {"title": f"改名{i}"}, actor="minato", actor_ward=MINATO)
        outcomes = race(lambda c=change: registry.approve([c.id], actor="jimu"),
                        lambda c=change: registry.approve([c.id], actor="jimu2"))
        assert sorted(map(str, outcomes)) == ["conflict", "ok"], outcomes
        assert (registry.project(p.id).title, registry.project(p.id).version) == (f"改名{i}", version + 1)


def test_a_creation_can_never_be_applied_twice(registry):
    """Even past the compare-and-set, the unique ``created_by_change_id`` refuses a second project."""
    change = registry.propose_project(title="物産展", wards=[MINATO], partners=[WATARI], actor="jimu")
    with pytest.raises(ChangeConflict, match="同時に行われた"), workflow.conflicts_as_errors(), \
            registry.Session.begin() as s:
        workflow._apply(registry, s, [s.get(ProjectChange, change.id)], "jimu")
    assert projects_made_by(registry, change.id) == 1 and registry.count_projects() == 1


def test_a_decided_change_never_moves(registry):
    change = registry.propose_project(title="物産展", wards=[MINATO], partners=[WATARI], actor="minato",
                                      actor_ward=MINATO)
    registry.reject(change.id, actor="jimu", reason="重複")
    for decide in (lambda: registry.approve([change.id], actor="jimu"),
                   lambda: registry.withdraw_change(change.id, actor="minato", actor_ward=MINATO),
                   lambda: registry.reject(change.id, actor="jimu", reason="重複")):
        with pytest.raises(ChangeConflict, match="承認待ちの変更ではありません"):
            decide()
    assert state_of(registry, change.id) == "rejected" and registry.count_projects() == 0


def test_a_rejection_is_proposed_again_once_under_a_race(registry):
    """Two submissions of the reopened form at once: one new pending change, the other refused, never two."""
    for i in range(ROUNDS):
        change = registry.propose_project(title=f"物産展{i}", wards=[MINATO], partners=[WATARI], actor="minato",
                                          actor_ward=MINATO)
        registry.reject(change.id, actor="jimu", reason="年度がありません")

        def again(k: int, c=change) -> None:
            registry.propose_project(title=c.title, wards=[MINATO], partners=[WATARI], actor="minato",
                                     actor_ward=MINATO, fiscal_year=2025 + k, reopens=c.id)

        outcomes = race(lambda: again(0), lambda: again(1))
        assert outcomes.count("ok") == 1, outcomes
        (refused,) = [o for o in outcomes if o != "ok"]
        assert refused == "conflict" or "再申請できる却下された申請ではありません" in str(refused), outcomes
        assert [c.reopens_id for c in registry.changes(ward=MINATO)] == [change.id]
        registry.withdraw_change(registry.changes(ward=MINATO)[0].id, actor="minato", actor_ward=MINATO)


# -- the web ----------------------------------------------------------------------------------------------------

def test_two_admins_approving_in_the_browser_get_one_409_never_a_500(web):
    app, reg = web
    admins = [sign_in(app, "jimu"), sign_in(app, "jimu2")]
    tokens = [csrf_of(a) for a in admins]
    p = reg.add_project(title="物産展", wards=[MINATO], partners=[WATARI], actor="jimu")
    for i in range(ROUNDS):
        version = reg.project(p.id).version
        change = reg.propose_update(p.id, version, {"title": f"改名{i}"}, actor="minato", actor_ward=MINATO)
        statuses: list[int] = [0, 0]

        def post(k: int, c=change, statuses=statuses) -> None:
            statuses[k] = admins[k].post(f"/admin/changes/{c.id}", data={"csrf_token": tokens[k],
                                                                          "decision": "approve"},
                                         follow_redirects=False).status_code

        race(lambda: post(0), lambda: post(1))
        assert sorted(statuses) == [303, 409], statuses
        assert reg.project(p.id).version == version + 1


def test_a_race_the_database_reports_is_a_409_page(web):
    """A StaleDataError or unique violation that reaches the web is the Japanese conflict page."""
    from sqlalchemy.orm.exc import StaleDataError

    app, _reg = web

    @app.get("/admin/_stale")
    def stale() -> None:
        raise StaleDataError("UPDATE statement on table 'projects' expected to update 1 row(s); 0 were matched.")

    r = TestClient(app, raise_server_exceptions=False).get("/admin/_stale")
    assert r.status_code == 409 and "他の操作と重なりました" in r.text and "UPDATE" not in r.text


def test_a_review_decision_merging_a_projects_partners_is_recorded_in_the_browser(web, tmp_path):
    """Before the merge the unique (project, code) key refused it: an error page, the decision impossible."""
    app, reg = web
    path = template(tmp_path / "p.csv", "女川村、亘理町")
    reg.import_projects(path, imported_by="jimu")
    admin = sign_in(app, "jimu")
    r = admin.post("/admin/review", data={"csrf_token": csrf_of(admin), "pref_code": MIYAGI, "written": "女川村",
                                          "action": "manual", "code": WATARI}, follow_redirects=False)
    assert r.status_code == 303, r.text
    assert [c for c, _, _ in reg.projects()[0].partners] == [WATARI]


def test_approve_all_approves_only_the_changes_shown(web):
    app, reg = web
    first = reg.propose_project(title="物産展", wards=[MINATO], partners=[WATARI], actor="minato", actor_ward=MINATO)
    admin = sign_in(app, "jimu")
    page = admin.get("/admin/changes").text
    form = re.search(rf'action="/admin/changes/ward/{MINATO}">(.*?)</form>', page, re.S).group(1)
    shown = re.findall(r'name="change_ids" value="(\d+)"', form)
    assert shown == [str(first.id)]
    later = reg.propose_project(title="後から", wards=[MINATO], partners=[WATARI], actor="minato", actor_ward=MINATO)
    r = admin.post(f"/admin/changes/ward/{MINATO}", data={"csrf_token": csrf_of(admin), "change_ids": shown},
                   follow_redirects=False)
    assert r.status_code == 303
    assert [c.id for c in reg.changes(ward=MINATO)] == [later.id]  # proposed after the page: still waiting
    assert [p.title for p in reg.projects()] == ["物産展"]
    other = reg.propose_project(title="中央の", wards=[CHUO], partners=[WATARI], actor="chuo", actor_ward=CHUO)
    r = admin.post(f"/admin/changes/ward/{MINATO}", data={"csrf_token": csrf_of(admin),
                                                          "change_ids": [str(other.id)]})
    assert r.status_code == 409 and state_of(reg, other.id) == "pending"  # not a change of that ward
    r = admin.post(f"/admin/changes/ward/{MINATO}", data={"csrf_token": csrf_of(admin)})
    assert r.status_code == 409 and state_of(reg, later.id) == "pending"  # nothing shown, nothing approved
    for ids in ([str(2**40)], [str(later.id)] * 501):  # beyond any id; more than a page shows
        r = admin.post(f"/admin/changes/ward/{MINATO}", data={"csrf_token": csrf_of(admin), "change_ids": ids})
        assert r.status_code in (409, 422) and state_of(reg, later.id) == "pending"


# -- privacy ----------------------------------------------------------------------------------------------------

def test_another_wards_editor_sees_the_approved_project_only(web):
    app, reg = web
    p = reg.add_project(title="共同の物産展", wards=[MINATO, CHUO], partners=[WATARI], actor="jimu")
    secret = reg.propose_update(p.id, p.version, {"title": "未承認の新名称"}, actor="minato", actor_ward=MINATO)
    assert reg.pending_change(p.id, actor_ward=CHUO) is None
    assert reg.pending_change(p.id, actor_ward=MINATO).id == secret.id
    assert reg.changes(ward=CHUO) == []
    chuo = sign_in(app, "chuo")
    for path in (f"/admin/projects/{p.id}", "/admin/projects", "/admin/changes", "/admin/"):
        page = chuo.get(path).text
        assert "未承認の新名称" not in page and "minato" not in page, path
    assert "共同の物産展" in chuo.get(f"/admin/projects/{p.id}").text
    minato_page = sign_in(app, "minato").get(f"/admin/projects/{p.id}").text
    assert "未承認の新名称" in minato_page  # its own ward's editor does see it
    with pytest.raises(PermissionDenied, match="他の区からの変更が承認待ち"):  # and cannot replace it unseen
        reg.propose_update(p.id, p.version, {"title": "中央の案"}, actor="chuo", actor_ward=CHUO, pending_seen=0)
    assert state_of(reg, secret.id) == "pending"


def test_public_data_carries_no_account_name(web):
    app, reg = web
    reg.add_project(title="物産展", wards=[MINATO], partners=[WATARI], actor="secret-admin-login")
    client = TestClient(app)
    for path in ("/api/v1/projects", "/api/v1/projects?format=csv", f"/api/v1/wards/{MINATO}",
                 f"/api/v1/wards/{MINATO}.csv", f"/api/v1/governments/{WATARI}", f"/api/v1/governments/{WATARI}.json",
                 f"/ward/{MINATO}/", f"/gov/{WATARI}/", "/api/v1/openapi.json"):
        r = client.get(path)
        assert r.status_code == 200, path
        assert "secret-admin-login" not in r.text and "updated_by" not in r.text, path
    assert "物産展" in client.get("/api/v1/projects").text
    assert reg.project(reg.projects()[0].id).updated_by == "secret-admin-login"  # kept for the signed-in area


def test_a_ward_template_never_replaces_another_wards_pending_change(registry, tmp_path):
    """The form's rule on the template path: 港区's upload refused, naming the row and 中央区; nothing written."""
    def joint(summary: str):
        return template(tmp_path / "p.csv", "亘理町", wards="港区・中央区", summary=summary)

    registry.import_projects(joint("共同"), imported_by="jimu")
    (p,) = registry.projects()
    theirs = registry.propose_update(p.id, p.version, {"summary": "中央区の案"}, actor="chuo", actor_ward=CHUO)
    with registry.Session() as s:
        before = s.scalar(select(func.count()).select_from(ProjectChange))
    with pytest.raises(PermissionDenied) as refused:
        registry.import_projects(joint("港区の案"), imported_by="minato", actor_ward=MINATO)
    assert "p.csv 2行目" in str(refused.value) and "中央区" in str(refused.value)
    assert state_of(registry, theirs.id) == "pending"
    with registry.Session() as s:
        assert s.scalar(select(func.count()).select_from(ProjectChange)) == before
    mine = registry.import_projects(joint("中央区の案を直す"), imported_by="chuo", actor_ward=CHUO)
    assert mine.updated == 1 and state_of(registry, theirs.id) == "superseded"  # its own ward may replace it


def test_two_admin_imports_of_the_same_new_template_at_once_create_one_project(registry, tmp_path):
    """Raced many times: one import creates the project, the other waits, sees it and reports it unchanged."""
    for n in range(ROUNDS):
        path = template(tmp_path / f"p{n}.csv", "亘理町", title=f"物産展{n}")
        results: list = []

        def admin_import(path=path, results=results) -> None:
            results.append(registry.import_projects(path, imported_by="jimu"))

        outcomes = race(admin_import, admin_import)
        assert outcomes == ["ok", "ok"], outcomes
        assert sorted((r.created, r.unchanged) for r in results) == [(0, 1), (1, 0)], n
        assert [p.title for p in registry.projects(limit=1000)].count(f"物産展{n}") == 1, n


# -- review decisions and projects -------------------------------------------------------------------------------

def test_a_review_decision_bumps_the_versions_of_the_projects_it_recodes(registry, tmp_path):
    path = template(tmp_path / "p.csv", "女川村")
    registry.import_projects(path, imported_by="jimu")
    (p,) = registry.projects()
    assert [c for c, _, _ in p.partners] == [ONAGAWA]  # the importer's correction
    form_version = p.version  # a form opened now
    pending = registry.propose_update(p.id, p.version, {"summary": "申請中"}, actor="minato", actor_ward=MINATO)
    registry.decide(MIYAGI, "女川村", code=WATARI, action="manual", actor="jimu")
    after = registry.project(p.id)
    assert ([c for c, _, _ in after.partners], after.version, after.updated_by) == ([WATARI], form_version + 1, "jimu")
    entries = [a for a in registry.audit_log() if a["target"] == "projects" and a["target_id"] == str(p.id)]
    assert [(a["action"], a["before"]["code"], a["after"]["code"], a["after"]["version"]) for a in entries] == [
        ("review", ONAGAWA, WATARI, form_version + 1)]
    from renkei.audit_view import describe

    line = describe(entries[0], registry.directory)  # as the audit page shows it
    assert line.target == "港区の事業「物産展」"
    assert ("コード", "宮城県女川町（045811）", "宮城県亘理町（043613）") in line.changes
    with pytest.raises(ConflictError):  # the form opened before the decision
        registry.update_project(p.id, form_version, {"title": "古い版から"}, actor="jimu")
    with pytest.raises(ConflictError):  # the change proposed before it
        registry.approve([pending.id], actor="jimu")
    decision = registry.decisions()[-1]
    registry.undo_decision(decision["id"], actor="jimu")  # undoing recodes back: another version
    assert registry.project(p.id).version == form_version + 2
    assert [c for c, _, _ in registry.project(p.id).partners] == [ONAGAWA]


def test_a_review_decision_giving_a_project_a_partner_it_already_lists_merges_the_two(registry, tmp_path):
    """女川村 decided to be 亘理町 in a project listing both: one partner 亘理町, both written names audited."""
    path = template(tmp_path / "p.csv", "女川村、亘理町")
    registry.import_projects(path, imported_by="jimu")
    (p,) = registry.projects()
    assert sorted(c for c, _, _ in p.partners) == sorted([ONAGAWA, WATARI])
    registry.decide(MIYAGI, "女川村", code=WATARI, action="manual", actor="jimu")
    after = registry.project(p.id)
    assert ([c for c, _, _ in after.partners], after.version) == ([WATARI], p.version + 1)
    (entry,) = [a for a in registry.audit_log() if a["target"] == "projects" and a["target_id"] == str(p.id)]
    assert (entry["before"]["written"], entry["after"]["written"]) == ("女川村", ["女川村", "亘理町"])
    assert (entry["before"]["code"], entry["after"]["code"]) == (ONAGAWA, WATARI)
    registry.undo_decision(registry.decisions()[-1]["id"], actor="jimu")  # the merged partner stays one
    assert [c for c, _, _ in registry.project(p.id).partners] == [WATARI]


def test_a_review_decision_on_a_name_a_project_lists_twice_leaves_one_partner(registry, tmp_path):
    """An unresolved name written twice is two partner rows without a code; once decided, one partner."""
    path = template(tmp_path / "p.csv", "架空村、架空村")
    registry.import_projects(path, imported_by="jimu")
    (p,) = registry.projects()
    assert len(p.partners) == 2
    registry.decide(MIYAGI, "架空村", code=WATARI, action="manual", actor="jimu")
    assert [c for c, _, _ in registry.project(p.id).partners] == [WATARI]


def test_a_race_in_the_cli_is_one_japanese_line_and_exit_1(tmp_path, monkeypatch):
    """The CLI's project import (an admin's, approved at once) losing a race: one line, exit 1, nothing written."""
    from click.testing import CliRunner
    from sqlalchemy.orm.exc import StaleDataError

    from renkei.cli import cli

    def concurrent_writer(*_args, **_kwargs) -> None:
        raise StaleDataError("UPDATE statement on table 'projects' expected to update 1 row(s); 0 were matched.")

    path = template(tmp_path / "p.csv", "亘理町")
    db = str(tmp_path / "cli.sqlite3")
    monkeypatch.setattr(workflow, "_apply", concurrent_writer)
    result = CliRunner().invoke(cli, ["--db", db, "import", str(path)])
    assert result.exit_code == 1
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("エラー：") and "同時に行われた別の操作" in line
    assert Registry.open(db).count_projects() == 0


def test_migration_records_the_creations_made_before_it(db_url):
    """0006_workflow: each project made by an approved creation of an older version names that change."""
    from sqlalchemy import create_engine, text

    from renkei.registry import database

    engine = create_engine(db_url)
    database.upgrade(engine, "project_changes")
    stamp = "2026-01-01 00:00:00+00:00"
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO governments (code, name, kana, kind, pref_code, prefecture, valid_to, url) "
                          "VALUES ('131032', '港区', '', 'special_ward', '130001', '東京都', '', '')"))
        conn.execute(text("INSERT INTO wards (code, name) VALUES ('131032', '港区')"))
        for pid in (1, 2):  # 1 made by change 1; 2 by an admin before approvals existed (no change)
            conn.execute(text("INSERT INTO projects (id, version, title, summary, source_url, created_at, updated_at, "
                              f"updated_by) VALUES ({pid}, 1, 'p', '', '', '{stamp}', '{stamp}', 'x')"))
        for cid, action, state in ((1, "create", "approved"), (2, "update", "approved"), (3, "create", "rejected")):
            conn.execute(text("INSERT INTO project_changes (id, action, state, project_id, ward_code, source, "
                              f"proposed_by, proposed_at, reason) VALUES ({cid}, '{action}', '{state}', "
                              f"{1 if cid < 3 else 'NULL'}, '131032', '', 'x', '{stamp}', '')"))
    database.upgrade(engine)
    with engine.connect() as conn:
        assert dict(conn.execute(text("SELECT id, created_by_change_id FROM projects ORDER BY id")).all()) == {
            1: 1, 2: None}
    engine.dispose()
