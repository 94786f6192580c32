"""The registry, on SQLite and on PostgreSQL: snapshots, imports, reviews, diffs, projects, backups."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, insert, select, text

from renkei.registry import ConflictError, PermissionDenied, Registry, RegistryError, accounts, database
from renkei.registry.schema import Partner, Snapshot

SEED_PARTNERS = 520


def write_list(tmp_path, make_fixtures, blocks, name="list.tsv", title="特別区連携自治体数一覧(令和8年8月1日現在)"):
    grid = make_fixtures.published_grid(blocks, title)
    return make_fixtures.write_text(grid, tmp_path / name, delimiter="\t", encoding="utf-8", newline="\n")


def seed_blocks_changed(registry):
    """The seed's partners as official names, with 亘理町 dropped from 宮城県 and 群馬県 added whole."""
    d = registry.directory
    blocks = {}
    for p in registry.partners():
        blocks.setdefault(p.prefecture, []).append(d[p.code].list_name)
    blocks["宮城県"].remove("亘理町")
    blocks["群馬県"] = [e.list_name for e in d.local_governments("群馬県")]
    return [(p, names) for p, names in blocks.items()]


def test_first_use_imports_the_seed(registry):
    (snap,) = registry.snapshots()
    assert (snap.as_of, snap.kind, snap.file, snap.source) == ("2025-08-01", "list", "000_c5c746091caa1e08.txt", "")
    assert (snap.state, snap.edition, snap.label) == ("published", 1, "令和7年8月1日現在（第1版）")
    assert "北海道〜長野県" in snap.note
    assert snap.partners == SEED_PARTNERS and snap.declared == 536 and snap.needs_review == 7
    assert snap.title == "特別区連携自治体数一覧(令和7年8月1日現在)"
    again = Registry.open(registry.url, directory=registry.directory, resolver=registry.resolver)
    assert len(again.snapshots()) == 1  # opened again: no second import
    again.engine.dispose()


def test_schema_is_at_head(registry):
    assert database.current_revision(registry.engine) == database.head_revision()
    again = database.upgrade(registry.engine)
    assert (again.before, again.after, again.published) == (database.head_revision(), database.head_revision(), [])


def test_partners_are_in_code_order_with_official_names(registry):
    partners = registry.partners(prefecture="宮城県")
    assert [p.code for p in partners] == sorted(p.code for p in partners)
    assert partners[0].name == "宮城県" and partners[0].written == "宮城県(県庁)"
    watari = next(p for p in partners if p.code == "043613")
    assert (watari.name, watari.written, watari.status) == ("亘理町", "亶理町", "corrected")


def test_import_and_diff(registry, tmp_path, make_fixtures):
    path = write_list(tmp_path, make_fixtures, seed_blocks_changed(registry))
    result = registry.import_file(path, note="令和8年版", imported_by="tester")
    snap = result.snapshot
    assert (snap.id, snap.as_of, snap.note, snap.imported_by) == (2, "2026-08-01", "令和8年版", "tester")
    assert snap.state == "draft" and registry.snapshot().id == 1  # a draft is not the latest edition
    registry.release(2, actor="tester")
    d = registry.diff()
    assert (d.a.id, d.b.id) == (1, 2)
    by = {p.prefecture: p for p in d.changed}
    had = {p.code for p in registry.partners(1, "群馬県")}
    gunma = [e for e in registry.directory.local_governments("群馬県") if e.code not in had]
    assert had and [p.code for p in by["群馬県"].added] == [e.code for e in gunma]
    assert [p.name for p in by["宮城県"].removed] == ["亘理町"]
    assert (by["宮城県"].declared_before, by["宮城県"].declared_after) == (24, 19)
    # the seed's typos were rewritten with official names: those now resolve exactly, same code
    assert not [r for r in d.reresolved if r.before != r.after and r.written == "亘理町"]
    assert d.totals["added"] == len(gunma) and d.totals["removed"] == 1
    assert registry.diff(2, 1).totals["added"] == 1  # either direction
    assert registry.diff("2025-08-01", "latest").totals == d.totals


def test_duplicate_import_is_refused(registry):
    from renkei.cli import default_list_path

    with pytest.raises(RegistryError, match="既に #1「令和7年8月1日現在（第1版）」（公表済み）"):
        registry.import_file(default_list_path())
    assert len(registry.snapshots()) == 1


def test_failed_import_leaves_the_database_as_it_was(registry, tmp_path, make_fixtures):
    before = registry.dump()
    path = write_list(tmp_path, make_fixtures, seed_blocks_changed(registry))

    def explode(done: int) -> None:
        if done > 200:  # midway: snapshot, blocks, entries and partners are already written
            raise RuntimeError("injected failure")

    with pytest.raises(RuntimeError, match="injected"):
        registry.import_file(path, progress=explode)
    assert registry.dump() == before


def test_failed_project_import_midway(registry, tmp_path, make_fixtures):
    grid = make_fixtures.project_grid(1600)
    grid[1500][4] = "グルメ"  # a bad 分野 after three batches of projects were inserted
    path = make_fixtures.write_projects(grid, tmp_path / "p.csv")
    before = registry.dump()
    with pytest.raises(Exception, match="1501行目、セルE1501"):
        registry.import_file(path)
    assert registry.dump() == before


def test_project_import(registry, tmp_path, make_fixtures):
    """An admin's template import changes projects only (approved at once); the list comes from `derive`."""
    grid = make_fixtures.project_grid(1200)
    path = make_fixtures.write_projects(grid, tmp_path / "p.xlsx")
    snapshots = registry.snapshots()
    seen: list[int] = []
    result = registry.import_file(path, progress=seen.append)
    assert (result.created, result.updated, result.unchanged, result.approved) == (1200, 0, 0, True)
    assert seen[-1] == 1200 and seen == sorted(seen)
    assert registry.snapshots() == snapshots  # no list was made, no as-of date was set
    assert registry.changes() == []  # nothing waits: an admin's changes are approved as they are made
    projects = registry.projects(limit=2000)
    assert len(projects) == 1200
    first = projects[0]
    assert first.title == grid[1][3] and [n for _, n in first.wards] == grid[1][0].replace("、", "・").split("・")
    minato = registry.directory.find("東京都", "港区")[0].code
    with_minato = registry.projects(ward=minato, limit=2000)
    assert len(with_minato) == sum("港区" in row[0].replace("、", "・").split("・") for row in grid[1:])
    assert all(p.fiscal_year == 2025 for p in registry.projects(year=2025))
    assert all(p.field == "観光" for p in registry.projects(field="観光"))
    again = registry.import_file(path)  # the same file again: the same projects, nothing new
    assert (again.created, again.updated, again.unchanged) == (0, 0, 1200)
    snap = registry.derive(since="2019-04-01", until="2026-03-31", as_of="2026-08-01").snapshot
    assert (snap.kind, snap.as_of) == ("projects", "2026-08-01")
    distinct = {(row[1], n) for row in grid[1:] for n in row[2].replace("、", "・").split("・")}
    assert snap.partners == len(distinct) and snap.needs_review == 0


def test_review_decisions_are_reused(registry, tmp_path, make_fixtures):
    assert registry.review_queue() == []  # the seed is published: decisions apply to drafts only
    draft = registry.revise(1, actor="staff")
    (item,) = [i for i in registry.review_queue() if i.written == "亶理町"]
    assert (item.code, item.status, item.occurrences) == ("043613", "corrected", [(draft.id, "L17")])
    changed = registry.decide(item.pref_code, item.written, code=item.code, action="accept", actor="staff")
    assert changed == 1
    assert "亶理町" not in {i.written for i in registry.review_queue()}
    watari = next(p for p in registry.partners(draft.id, prefecture="宮城県") if p.code == "043613")
    assert watari.status == "reviewed"
    published = next(p for p in registry.partners(1, prefecture="宮城県") if p.code == "043613")
    assert published.status == "corrected"  # the published edition did not change
    # a later list with the same typo: the decision applies, nobody reviews it again
    path = write_list(tmp_path, make_fixtures, [("宮城県", ["宮城県(県庁)", "亶理町"])])
    result = registry.import_file(path)
    assert result.reused_decisions == 1 and result.snapshot.needs_review == 0
    entries = registry.entries(result.snapshot.id)
    assert [(e.written, e.auto_status, e.status, e.code) for e in entries][1] == \
        ("亶理町", "corrected", "reviewed", "043613")
    log = registry.audit_log()
    review = next(a for a in log if a["action"] == "review")
    assert review["actor"] == "staff" and review["before"] is None and review["after"]["code"] == "043613"


def test_choose_and_reject(registry, tmp_path, make_fixtures):
    path = write_list(tmp_path, make_fixtures, [("福島県", ["福島県(県庁)", "川村", "ほげほげ"])])
    snap = registry.import_file(path).snapshot
    items = {i.written: i for i in registry.review_queue()}
    assert items["川村"].status == "ambiguous" and items["川村"].code is None
    pick = items["川村"].candidates[0]["code"]
    registry.decide(items["川村"].pref_code, "川村", code=pick, action="choose", actor="staff")
    registry.decide(items["ほげほげ"].pref_code, "ほげほげ", code=None, action="reject", actor="staff")
    partners = [p.code for p in registry.partners(snap.id)]
    assert pick in partners and len(partners) == 2
    statuses = {e.written: e.status for e in registry.entries(snap.id)}
    assert statuses == {"福島県(県庁)": "exact", "川村": "reviewed", "ほげほげ": "rejected"}
    with pytest.raises(RegistryError, match="全国地方公共団体コードにありません"):
        registry.decide("070009", "川村", code="999999", action="manual")


def test_schema_constraints(registry):
    from sqlalchemy.exc import IntegrityError

    draft = registry.revise(1).id  # a draft: a published edition refuses every insert anyway
    with pytest.raises(IntegrityError), registry.Session.begin() as s:  # a code that is not in the directory
        s.execute(insert(Partner).values(snapshot_id=draft, code="999999", entry_id=1))
    with pytest.raises(IntegrityError), registry.Session.begin() as s:  # the same partner twice
        code = s.scalar(select(Partner.code).where(Partner.snapshot_id == draft).limit(1))
        s.execute(insert(Partner).values(snapshot_id=draft, code=code, entry_id=1))
    with registry.Session() as s:
        assert s.scalar(select(func.count()).select_from(Partner)) == 2 * SEED_PARTNERS


def test_show(registry):
    pref = registry.show("宮城県")
    assert pref["type"] == "prefecture" and pref["snapshots"][0]["declared"] == 24
    assert registry.show("04")["code"] == pref["code"]
    gov = registry.show("亶理町")
    assert gov["code"] == "043613" and gov["resolved_from"]["status"] == "corrected"
    assert gov["snapshots"] == [{"snapshot": 1, "as_of": "2025-08-01", "state": "published", "written": "亶理町",
                                 "status": "corrected", "cell": "L17"}]
    assert registry.show("043613")["name"] == "亘理町"
    with pytest.raises(RegistryError, match="都道府県でも地方公共団体でもありません"):
        registry.show("ほげほげほげ")


def minato_chuo(registry):
    d = registry.directory
    return d.find("東京都", "港区")[0].code, d.find("東京都", "中央区")[0].code


def test_projects_versions_and_permissions(registry):
    minato, chuo = minato_chuo(registry)
    p = registry.add_project(title="物産展", wards=[chuo], partners=["043613"], field="産業・物産", fiscal_year=2025,
                             actor="chuo-staff")
    assert p.version == 1 and p.partners == (("043613", "亘理町", "040002"),)
    p2 = registry.update_project(p.id, 1, {"title": "物産展2025", "summary": "秋"}, actor="chuo-staff")
    assert (p2.version, p2.title, p2.summary) == (2, "物産展2025", "秋")
    with pytest.raises(ConflictError) as err:  # a stale version: a clear conflict with both versions
        registry.update_project(p.id, 1, {"title": "古い版"}, actor="other")
    assert err.value.theirs["title"] == "物産展2025" and err.value.yours["title"] == "古い版"
    with pytest.raises(PermissionDenied):  # 港区's editor cannot change 中央区's project
        registry.propose_update(p.id, 2, {"title": "x"}, actor="minato", actor_ward=minato)
    with pytest.raises(PermissionDenied):
        registry.propose_project(title="x", wards=[chuo], partners=[], actor="minato", actor_ward=minato)
    with pytest.raises(RegistryError, match="分野"):
        registry.update_project(p.id, 2, {"field": "グルメ"})
    assert registry.project(p.id).version == 2
    log = [a for a in registry.audit_log() if a["target"] == "project_changes"]
    assert [a["action"] for a in log] == ["approve", "request", "approve", "request"]
    assert log[0]["before"]["title"] == "物産展" and log[0]["after"]["title"] == "物産展2025"


@pytest.fixture
def pg_registry(directory, resolver):
    from conftest import _postgres_url

    reg = Registry.open(_postgres_url(), directory=directory, resolver=resolver)
    yield reg
    reg.engine.dispose()


def test_concurrent_edits_conflict(pg_registry):
    """Two real sessions at once on PostgreSQL (row locks): the second writer gets a ConflictError."""
    from renkei.registry.schema import Project

    registry = pg_registry

    _, chuo = minato_chuo(registry)
    p = registry.add_project(title="original", wards=[chuo], partners=[])
    first_holds_lock = threading.Event()
    second_started = threading.Event()
    outcome: dict[str, object] = {}

    def first() -> None:
        with registry.Session.begin() as s:
            row = s.get(Project, p.id)
            row.title = "first"
            s.flush()  # UPDATE ... WHERE version = 1: holds the row lock until commit
            first_holds_lock.set()
            second_started.wait(5)
            s.execute(text("SELECT pg_sleep(0.3)"))  # let the second writer block on the lock

    def second() -> None:
        first_holds_lock.wait(5)
        second_started.set()
        try:
            registry.update_project(p.id, 1, {"title": "second"}, actor="b")
            outcome["second"] = "saved"
        except ConflictError as exc:
            outcome["second"] = exc

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(20)
    assert isinstance(outcome["second"], ConflictError)
    assert outcome["second"].theirs["title"] == "first"
    assert registry.project(p.id).title == "first" and registry.project(p.id).version == 2


def test_backup_round_trip(registry, tmp_path, make_fixtures):
    path = make_fixtures.write_projects(make_fixtures.project_grid(50), tmp_path / "p.csv")
    registry.import_file(path)
    registry.decide("040002", "亶理町", code="043613", action="accept", actor="staff")
    data = registry.dump()
    counts = {k: len(v) for k, v in data["tables"].items()}
    assert counts["projects"] == counts["project_changes"] == 50
    other = Registry(f"sqlite:///{tmp_path / 'restored.sqlite3'}", directory=registry.directory)
    database.upgrade(other.engine)
    other.load(data)
    assert other.dump() == data
    with pytest.raises(RegistryError, match="--replace"):
        other.load(data)
    assert other.load(data, replace=True)["snapshots"] == 1  # a template makes no list
    # the restored registry keeps working: new rows get fresh ids
    _, chuo = minato_chuo(registry)
    assert registry.add_project(title="after", wards=[chuo], partners=[]).id == 51
    other.engine.dispose()


def test_backup_into_the_same_backend(registry):
    data = registry.dump()
    registry.load(data, replace=True)
    assert registry.dump() == data
    _, chuo = minato_chuo(registry)
    registry.add_project(title="after restore", wards=[chuo], partners=[])  # sequences continue (PostgreSQL)


def test_backup_sqlite_is_lossless_and_secret(registry, tmp_path):
    from renkei.registry.backup import write_backup

    accounts.add_user(registry, "jimu", "correct horse battery", "admin")
    counts = write_backup(registry, str(tmp_path / "out.sqlite3"), "sqlite")
    assert counts["partners"] == SEED_PARTNERS and counts["users"] == 1
    assert (tmp_path / "out.sqlite3").stat().st_mode & 0o777 == 0o600
    copy = Registry(str(tmp_path / "out.sqlite3"))
    assert copy.dump()["tables"] == registry.dump()["tables"]
    with copy.Session() as s:
        assert s.scalar(select(func.count()).select_from(Snapshot)) == 1
    copy.engine.dispose()


def test_public_export_has_no_accounts_or_names(registry, tmp_path):
    """`renkei export --format sqlite` is public data: no accounts, hashes, sessions, audit log or user names."""
    import sqlite3

    from renkei.registry.backup import export_sqlite, public_dump

    accounts.add_user(registry, "jimu", "correct horse battery", "admin")
    _, chuo = minato_chuo(registry)
    registry.add_project(title="公開", wards=[chuo], partners=[], actor="secret-editor")
    export_sqlite(registry, str(tmp_path / "public.sqlite3"))
    raw = (tmp_path / "public.sqlite3").read_bytes()
    assert b"argon2" not in raw and b"secret-editor" not in raw and b"jimu" not in raw
    with sqlite3.connect(tmp_path / "public.sqlite3") as db:
        for table in ("users", "audit_log", "web_sessions", "pending_uploads"):
            assert db.execute(f"SELECT count(*) FROM {table}").fetchone()[0] == 0, table
        assert {r[0] for r in db.execute("SELECT DISTINCT imported_by FROM snapshots")} == {""}
        assert db.execute("SELECT count(*) FROM partners").fetchone()[0] == SEED_PARTNERS
    data = public_dump(registry)
    assert "users" not in data["tables"] and "audit_log" not in data["tables"]
    assert "secret-editor" not in str(data) and "argon2" not in str(data)
