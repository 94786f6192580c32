"""Ward changes wait for the secretariat: pending → approve/reject, per ward, deletions, joint projects, derive.

Every test runs on SQLite and on PostgreSQL (the ``registry`` fixture).
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from renkei.documents.projects import HEADERS
from renkei.registry import ConflictError, PermissionDenied, RegistryError
from renkei.registry.backup import public_dump
from renkei.registry.schema import Project

MINATO, CHUO, SHINJUKU = "131032", "131024", "131041"
WATARI, ONAGAWA = "043613", "045811"


def public_view(reg) -> tuple:
    """Everything a visitor can learn about projects."""
    return ([p.as_dict() for p in reg.projects(limit=1000)], reg.count_projects(),
            reg.ward_partners(MINATO), reg.show(WATARI)["projects"], reg.show(WATARI)["wards"])


def write_template(tmp_path, rows, name="p.csv"):
    path = tmp_path / name
    path.write_text("\n".join(",".join(r) for r in [HEADERS, *rows]) + "\n", encoding="utf-8")
    return path


def test_a_ward_change_waits_for_approval(registry):
    before = public_view(registry)
    change = registry.propose_project(title="物産展", wards=[MINATO], partners=[WATARI], fiscal_year=2025,
                                      actor="minato", actor_ward=MINATO)
    assert (change.action, change.state, change.project_id, change.ward_name) == ("create", "pending", None, "港区")
    assert public_view(registry) == before  # nothing public before approval
    assert [c.id for c in registry.changes(ward=MINATO)] == [change.id]  # the ward sees its own pending change
    assert registry.changes(ward=CHUO) == []
    assert registry.pending_counts() == {MINATO: 1}
    assert registry.approve([change.id], actor="jimu") == 1
    (p,) = registry.projects(ward=MINATO)
    assert (p.title, p.partners, p.updated_by) == ("物産展", ((WATARI, "亘理町", "040002"),), "minato")
    assert registry.ward_partners(MINATO) == [WATARI]
    assert registry.changes() == [] and registry.changes(state="approved")[0].decided_by == "jimu"
    log = [(a["action"], a["actor"]) for a in registry.audit_log() if a["target"] == "project_changes"]
    assert log == [("approve", "jimu"), ("request", "minato")]
    with pytest.raises(RegistryError, match="承認待ちの変更ではありません"):
        registry.approve([change.id], actor="jimu")  # once only


def test_a_rejected_change_changes_nothing(registry):
    p = registry.add_project(title="物産展", wards=[MINATO], partners=[WATARI], actor="jimu")
    before = public_view(registry)
    change = registry.propose_update(p.id, 1, {"title": "改名"}, actor="minato", actor_ward=MINATO, pending_seen=0)
    assert change.current["title"] == "物産展" and change.values["title"] == "改名"
    assert public_view(registry) == before
    registry.reject(change.id, actor="jimu", reason="年度が違います")
    assert public_view(registry) == before and registry.project(p.id).version == 1
    (rejected,) = registry.changes(state="rejected")
    assert (rejected.reason, rejected.decided_by) == ("年度が違います", "jimu")
    assert any(a["action"] == "reject" and a["after"]["reason"] == "年度が違います" for a in registry.audit_log())


def test_approve_all_of_one_ward(registry):
    for i in range(3):
        registry.propose_project(title=f"港{i}", wards=[MINATO], partners=[WATARI], actor="minato",
                                 actor_ward=MINATO)
    registry.propose_project(title="中央", wards=[CHUO], partners=[ONAGAWA], actor="chuo", actor_ward=CHUO)
    assert registry.approve(ward=MINATO, actor="jimu") == 3
    assert sorted(p.title for p in registry.projects()) == ["港0", "港1", "港2"]
    assert [c.title for c in registry.changes()] == ["中央"]  # 中央区's change still waits


def test_deletion_hides_keeps_and_audits(registry):
    p = registry.add_project(title="テスト事業", wards=[MINATO], partners=[WATARI], actor="jimu")
    change = registry.propose_delete(p.id, 1, actor="minato", actor_ward=MINATO)
    assert registry.count_projects() == 1  # still public while pending
    registry.approve([change.id], actor="jimu")
    assert public_view(registry) == ([], 0, [], [], [])
    with registry.Session() as s:  # kept in the database, marked deleted
        row = s.scalar(select(Project).where(Project.id == p.id))
        assert row.title == "テスト事業" and row.deleted_at is not None and row.deleted_by == "jimu"
    public = public_dump(registry)["tables"]  # nor in the public export
    assert public["projects"] == [] and public["project_wards"] == [] and "project_changes" not in public
    assert len(registry.dump()["tables"]["projects"]) == 1
    entry = next(a for a in registry.audit_log() if a["action"] == "approve")
    assert entry["after"]["change"] == "delete" and entry["before"]["title"] == "テスト事業"
    with pytest.raises(RegistryError, match=f"事業 {p.id} はありません"):
        registry.propose_update(p.id, 2, {"title": "x"}, actor="jimu")
    with pytest.raises(RegistryError, match=f"事業 {p.id} はありません"):
        registry.project(p.id)


def test_a_ward_editor_cannot_remove_a_co_ward(registry):
    """Issue 11, item 8: 港区's editor could remove 新宿区 from a joint project, locking 新宿区 out of it."""
    p = registry.add_project(title="共同事業", wards=[MINATO, SHINJUKU], partners=[WATARI], actor="jimu")
    with pytest.raises(PermissionDenied, match="新宿区"):
        registry.propose_update(p.id, 1, {"wards": [MINATO]}, actor="minato", actor_ward=MINATO)
    with pytest.raises(PermissionDenied, match="共同事業"):
        registry.propose_delete(p.id, 1, actor="minato", actor_ward=MINATO)
    added = registry.propose_update(p.id, 1, {"wards": [MINATO, SHINJUKU, CHUO]}, actor="minato",
                                    actor_ward=MINATO)  # adding a co-ward is fine
    registry.approve([added.id], actor="jimu")
    assert [w for w, _ in registry.project(p.id).wards] == [CHUO, MINATO, SHINJUKU]
    registry.update_project(p.id, 2, {"wards": [MINATO]}, actor="jimu")  # an admin may remove one
    assert [w for w, _ in registry.project(p.id).wards] == [MINATO]


def test_pending_changes_keep_optimistic_locking(registry):
    p = registry.add_project(title="物産展", wards=[MINATO], partners=[WATARI], actor="jimu")
    first = registry.propose_update(p.id, 1, {"title": "一"}, actor="minato", actor_ward=MINATO, pending_seen=0)
    with pytest.raises(ConflictError) as err:  # the form showed no pending change, but there is one now
        registry.propose_update(p.id, 1, {"title": "二"}, actor="minato2", actor_ward=MINATO, pending_seen=0)
    assert err.value.theirs["title"] == "一" and err.value.theirs["updated_by"] == "minato"
    second = registry.propose_update(p.id, 1, {"summary": "秋"}, actor="minato", actor_ward=MINATO,
                                     pending_seen=first.id)  # on top of the pending one, which it replaces
    assert second.values["title"] == "一" and second.values["summary"] == "秋"
    assert [c.id for c in registry.changes()] == [second.id]
    assert registry.changes(state="superseded")[0].id == first.id
    with pytest.raises(ConflictError):  # the admin's form, too, must have seen the pending change
        registry.propose_update(p.id, 1, {"field": "観光"}, actor="jimu", pending_seen=0)
    registry.propose_update(p.id, 1, {"field": "観光"}, actor="jimu", pending_seen=second.id)  # decides it
    assert registry.changes() == [] and registry.changes(state="superseded")[-1].id == second.id
    assert (registry.project(p.id).title, registry.project(p.id).field) == ("一", "観光")
    with pytest.raises(RegistryError, match="承認待ちの変更ではありません"):
        registry.approve([second.id], actor="jimu")


def test_a_ward_template_makes_no_list_and_waits(registry, tmp_path):
    """Issue 10: a 4-row template uploaded by 港区 became the public snapshot. Now it only proposes projects."""
    snapshots = registry.snapshots()
    before = public_view(registry)
    path = write_template(tmp_path, [("港区", "宮城県", "亘理町", f"事業{i}", "観光", "2025", "", "", "", "")
                                     for i in range(4)])
    result = registry.import_projects(path, imported_by="minato", actor_ward=MINATO)
    assert (result.created, result.approved, len(result.change_ids)) == (4, False, 4)
    assert registry.snapshots() == snapshots and public_view(registry) == before
    assert {c.source for c in registry.changes(ward=MINATO)} == {f"p.csv {i}行目" for i in range(2, 6)}
    again = registry.import_projects(path, imported_by="minato", actor_ward=MINATO)  # not yet approved: new again
    assert again.created == 4
    registry.approve(ward=MINATO, actor="jimu")
    assert registry.count_projects() == 8
    edited = write_template(tmp_path, [("港区", "宮城県", "亘理町", "事業0", "産業・物産", "2025", "", "", "", "")],
                            "e.csv")
    result = registry.import_projects(edited, imported_by="minato", actor_ward=MINATO)
    assert (result.created, result.updated) == (0, 1)
    (change,) = registry.changes()
    assert change.action == "update" and change.values["field"] == "産業・物産"


def test_a_template_with_bad_rows_writes_nothing(registry, tmp_path):
    rows = [("港区", "宮城県", "亘理町", "良い事業", "観光", "2025", "", "", "", ""),
            ("港区", "宮城県", "亘理町", "悪い分野", "グルメ", "2025", "", "", "", ""),
            ("中央区", "宮城県", "亘理町", "他区", "観光", "2025", "", "", "", ""),
            ("港区・横浜市", "宮城県", "亘理町", "区でない", "観光", "2025", "", "", "", ""),
            ("港区", "宮城県", "亘理町", "悪い年度", "観光", "来年", "", "", "", "")]
    path = write_template(tmp_path, rows)
    before = registry.dump()
    with pytest.raises(Exception) as err:
        registry.import_projects(path, imported_by="minato", actor_ward=MINATO)
    message = str(err.value)
    assert "問題のある行が4件" in message
    for where in ("3行目、セルE3", "4行目、セルA4", "5行目、セルA5", "6行目、セルF6"):
        assert where in message
    assert registry.dump() == before
    preview = registry.import_projects(path, imported_by="minato", actor_ward=MINATO, dry_run=True)
    assert preview.problems.total == 4 and preview.created == 1 and preview.report is None
    assert registry.dump() == before


def test_derive_uses_approved_projects_only(registry):
    registry.add_project(title="承認済み", wards=[MINATO], partners=[WATARI], fiscal_year=2025, actor="jimu")
    registry.propose_project(title="承認待ち", wards=[MINATO], partners=[ONAGAWA], fiscal_year=2025,
                             actor="minato", actor_ward=MINATO)
    old = registry.add_project(title="削除", wards=[CHUO], partners=["075647"], fiscal_year=2025, actor="jimu")
    registry.propose_delete(old.id, 1, actor="jimu")
    registry.add_project(title="前年度", wards=[CHUO], partners=["072010"], fiscal_year=2023, actor="jimu")
    result = registry.derive(since="2025-04-01", until="2026-03-31", as_of="2026-08-01", actor="jimu")
    snap = result.snapshot
    assert (snap.kind, snap.as_of, snap.partners, snap.needs_review) == ("projects", "2026-08-01", 1, 0)
    assert snap.state == "draft" and registry.snapshot().id == 1  # a draft: the public still sees the edition
    registry.release(snap.id, actor="jimu")
    assert registry.snapshot().id == snap.id  # published by the admin, it is the public list
    assert [p.code for p in registry.partners(snap.id)] == [WATARI]
    assert registry.diff(1, snap.id).totals["added"] == 0  # 亘理町 is in the embedded list already
    with pytest.raises(RegistryError, match="既に #"):  # the same content again
        registry.derive(since="2025-04-01", until="2026-03-31", as_of="2026-08-01", actor="jimu")
    with pytest.raises(RegistryError, match="期間"):
        registry.derive(since="2026-04-01", until="2025-03-31", actor="jimu")
