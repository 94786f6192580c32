"""Editions on SQLite and PostgreSQL: drafts are private, release publishes, withdraw reverts, revise supersedes,
and a published snapshot cannot be changed by any path — the database triggers refuse even direct SQL."""

from __future__ import annotations

import json
import warnings

import pytest
from click.testing import CliRunner
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from renkei.cli import cli
from renkei.publish import file_name
from renkei.registry import Registry, RegistryError, database

FROZEN = "公表済みの版は変更できません"
R7 = "令和7年8月1日現在（第1版）"
R8 = "令和8年8月1日現在（第1版）"


def import_r8(registry, tmp_path, make_fixtures, **options):
    grid = make_fixtures.published_grid([("宮城県", ["宮城県(県庁)", "仙台市", "亶理町", "女川町"])],
                                        "特別区連携自治体数一覧(令和8年8月1日現在)")
    path = make_fixtures.write_text(grid, tmp_path / "r8.tsv", delimiter="\t", encoding="utf-8", newline="\n")
    return registry.import_file(path, imported_by="jimu", **options).snapshot


def test_import_makes_a_draft_that_only_release_makes_public(registry, tmp_path, make_fixtures):
    draft = import_r8(registry, tmp_path, make_fixtures)
    assert (draft.id, draft.state, draft.edition) == (2, "draft", None)
    assert draft.label == "令和8年8月1日現在 下書き（未公表）"
    public = registry.public()
    assert registry.snapshot().id == 1 and [s.id for s in public.snapshots()] == [1]
    assert [s.state for s in registry.snapshots()] == ["published", "draft"]  # the signed-in area sees both
    with pytest.raises(RegistryError):
        public.snapshot(2)
    with pytest.raises(RegistryError):
        public.partners(2)
    assert registry.snapshot(2).id == 2  # the CLI by explicit id
    released = registry.release(2, actor="jimu", note="令和8年版", source="https://example.jp/r8.pdf")
    assert (released.state, released.edition, released.label, released.note, released.source) == \
        ("published", 1, R8, "令和8年版", "https://example.jp/r8.pdf")
    assert registry.snapshot().id == 2 and public.snapshot().id == 2 and public.snapshot(2).id == 2
    entry = next(a for a in registry.audit_log() if a["action"] == "publish")
    assert (entry["actor"], entry["target_id"], entry["after"]["state"]) == ("jimu", "2", "published")


def test_withdraw_reverts_to_the_previous_edition(registry, tmp_path, make_fixtures):
    import_r8(registry, tmp_path, make_fixtures, release=True)
    assert registry.snapshot().label == R8
    with pytest.raises(RegistryError, match="理由"):
        registry.withdraw(2, reason=" ", actor="jimu")
    gone = registry.withdraw(2, reason="誤って公表したため", actor="jimu")
    assert (gone.state, gone.withdrawn_reason, gone.withdrawn_by) == ("withdrawn", "誤って公表したため", "jimu")
    assert registry.snapshot().id == 1 and [s.id for s in registry.public().snapshots()] == [1]
    with pytest.raises(RegistryError):
        registry.public().snapshot(2)  # withdrawn: on record, not public
    entry = next(a for a in registry.audit_log() if a["action"] == "withdraw")
    assert entry["after"] == {"state": "withdrawn", "reason": "誤って公表したため"} and entry["actor"] == "jimu"
    with pytest.raises(RegistryError, match="公表中ではない"):
        registry.withdraw(2, reason="again")
    with pytest.raises(RegistryError, match="下書きだけ"):
        registry.release(2)


def test_revise_makes_a_draft_whose_release_supersedes(registry):
    draft = registry.revise(1, actor="jimu")
    assert (draft.state, draft.revises, draft.as_of, draft.partners) == ("draft", 1, "2025-08-01", 520)
    assert registry.snapshot().id == 1
    with pytest.raises(RegistryError, match="既にあります"):
        registry.revise(1)
    registry.decide("040002", "亶理町", code=None, action="reject", actor="jimu")  # the correction
    second = registry.release(draft.id, actor="jimu", note="亶理町の行を訂正")
    assert (second.edition, second.label) == (2, "令和7年8月1日現在（第2版）")
    first = registry.snapshot(1)
    assert (first.state, first.superseded_by) == ("published", second.id)
    assert registry.snapshot().id == second.id
    d = registry.public().diff()  # the diff between the two is public
    assert (d.a.id, d.b.id) == (1, second.id) and [p.code for c in d.changed for p in c.removed] == ["043613"]
    registry.withdraw(second.id, reason="訂正を取り消し")
    assert registry.snapshot().id == 1 and registry.snapshot(1).superseded_by is None


def test_a_published_snapshot_refuses_direct_sql(registry):
    before = registry.dump()["tables"]
    statements = [
        "UPDATE snapshots SET note = 'x' WHERE id = 1",
        "UPDATE snapshots SET state = 'draft' WHERE id = 1",
        "UPDATE snapshots SET state = 'withdrawn', note = 'x' WHERE id = 1",  # withdraw, but change it too
        "DELETE FROM snapshots WHERE id = 1",
        "UPDATE entries SET code = NULL WHERE snapshot_id = 1",
        "DELETE FROM entries WHERE snapshot_id = 1",
        "UPDATE snapshot_blocks SET declared = 0 WHERE snapshot_id = 1",
        "DELETE FROM partners WHERE snapshot_id = 1",
        "INSERT INTO partners (snapshot_id, code, entry_id) SELECT 1, '131032', MIN(id) FROM entries",
        "INSERT INTO snapshot_blocks (snapshot_id, position, written, listed) VALUES (1, 99, 'x', 0)",
    ]
    for sql in statements:
        with pytest.raises(DBAPIError, match=FROZEN), registry.engine.begin() as conn:
            conn.execute(text(sql))
    assert registry.dump()["tables"] == before
    with registry.engine.begin() as conn:  # the one move allowed: published → withdrawn, with the reason
        conn.execute(text("UPDATE snapshots SET state = 'withdrawn', withdrawn_reason = 'r' WHERE id = 1"))
    for sql in ("UPDATE snapshots SET state = 'published' WHERE id = 1",  # withdrawn is final
                "UPDATE snapshots SET withdrawn_reason = 'other' WHERE id = 1",
                "UPDATE entries SET reason = 'x' WHERE snapshot_id = 1"):
        with pytest.raises(DBAPIError, match=FROZEN), registry.engine.begin() as conn:
            conn.execute(text(sql))


def test_a_draft_can_be_changed_and_deleted(registry):
    draft = registry.revise(1).id
    with registry.engine.begin() as conn:
        conn.execute(text(f"UPDATE snapshots SET note = 'x' WHERE id = {draft}"))
        conn.execute(text(f"UPDATE entries SET reason = 'x' WHERE snapshot_id = {draft}"))
        conn.execute(text(f"DELETE FROM snapshots WHERE id = {draft}"))  # its entries and partners go too
        assert conn.execute(text(f"SELECT COUNT(*) FROM entries WHERE snapshot_id = {draft}")).scalar() == 0
    with pytest.raises(DBAPIError), registry.engine.begin() as conn:
        conn.execute(text("UPDATE snapshots SET state = 'lost' WHERE id = 1"))


def test_upgrade_from_0002_publishes_what_was_public(db_url, directory, resolver):
    from alembic import command

    reg = Registry.open(db_url, directory=directory, resolver=resolver)
    with reg.engine.begin() as conn:
        command.downgrade(database._alembic_config(conn), "0002")
    assert database.current_revision(reg.engine) == "0002"
    result = CliRunner().invoke(cli, ["--db", db_url, "db", "upgrade"])
    assert result.exit_code == 0 and f"スキーマ 0002 → {database.head_revision()}" in result.output
    (snap,) = reg.snapshots()
    assert (snap.state, snap.edition, snap.label, snap.partners) == ("published", 1, R7, 520)
    with pytest.raises(DBAPIError, match=FROZEN), reg.engine.begin() as conn:
        conn.execute(text("UPDATE entries SET code = NULL WHERE snapshot_id = 1"))
    reg.engine.dispose()


def test_public_web_api_publish_and_build_site_never_show_a_draft(registry, tmp_path, make_fixtures):
    warnings.filterwarnings("ignore", category=DeprecationWarning)
    from fastapi.testclient import TestClient

    from renkei.publish import publish
    from renkei.web import create_app
    from renkei.web.site import build_site

    import_r8(registry, tmp_path, make_fixtures)
    app = create_app(registry=registry)
    client = TestClient(app)

    def public_state() -> tuple[str, list[int]]:
        app.state.site.changed()
        top = client.get("/").text
        return top, [s["id"] for s in client.get("/api/v1/snapshots").json()]

    top, ids = public_state()
    assert R7 in top and "令和8年" not in top and ids == [1]
    draft_file = file_name("tsv", "2026-08-01", 2)
    for url in ("/?snapshot=2", "/pref/040002/?snapshot=2", "/api/v1/prefectures?snapshot=2",
                "/api/v1/partners?snapshot=2", "/api/v1/diff?a=1&b=2", f"/downloads/2/{draft_file}"):
        assert client.get(url).status_code == 404, url
    assert client.get("/api/v1/governments/045811").json()["snapshots"] == []  # listed only in the draft
    written = {p.name for p in publish(registry, tmp_path / "dist", ["tsv"])}
    assert written == {file_name("tsv", "2025-08-01", 1)}
    site = build_site(registry, tmp_path / "site")
    assert not [p for p in site if "2026-08-01" in p.name]
    assert "令和8年" not in (tmp_path / "site/index.html").read_text(encoding="utf-8")
    registry.release(2)
    top, ids = public_state()
    assert R8 in top and ids == [1, 2]
    snaps = client.get("/api/v1/snapshots").json()
    assert [(s["state"], s["label"]) for s in snaps] == [("published", R7), ("published", R8)]
    assert "file" not in snaps[0] and "imported_by" not in snaps[0]
    assert {p.name for p in publish(registry, tmp_path / "dist2", ["tsv"])} == {file_name("tsv", "2026-08-01", 2)}
    registry.withdraw(2, reason="誤り")
    top, ids = public_state()
    assert R7 in top and ids == [1]


def test_cli_contract(tmp_path, make_fixtures):
    db = str(tmp_path / "cli.sqlite3")

    def run(*args: str):  # type: ignore[no-untyped-def]
        return CliRunner().invoke(cli, ["--db", db, *args])

    snaps = json.loads(run("snapshots", "--json").stdout)
    assert list(snaps[0])[:11] == ["id", "as_of", "kind", "state", "label", "source", "note", "declared", "listed",
                                   "partners", "review"]
    assert (snaps[0]["state"], snaps[0]["label"], snaps[0]["source"], snaps[0]["review"]) == \
        ("published", R7, None, 7)
    grid = make_fixtures.published_grid([("宮城県", ["宮城県(県庁)", "仙台市"])],
                                        "特別区連携自治体数一覧(令和8年8月1日現在)")
    path = make_fixtures.write_text(grid, tmp_path / "r8.tsv", delimiter="\t", encoding="utf-8", newline="\n")
    imported = run("import", str(path), "--source", "https://example.jp/r8.pdf")
    assert imported.exit_code == 0 and imported.stdout == "2\n"
    assert run("release", "2", "--note", "令和8年版").stdout == f"#2 {R8} を公表しました\n"
    refused = run("release", "2")
    assert refused.exit_code == 1 and refused.stderr == \
        f"エラー：#2（{R8}） は公表済みです。公表できるのは下書きだけです\n"
    assert run("withdraw", "2").exit_code == 2  # --reason is required
    assert run("withdraw", "2", "--reason", "誤り").stdout == f"#2 {R8} を取り下げました（理由: 誤り）\n"
    revised = run("revise", "1")
    assert revised.stdout == "3\n" and "`renkei release 3` で公表すると #1 を差し替えます" in revised.stderr
    assert run("release", "3").stdout == "#3 令和7年8月1日現在（第2版） を公表しました（#1 を差し替え）\n"
    table = run("snapshots").stdout
    assert "#3 で差し替え済み" in table and "取り下げ済み" in table
    states = {s["id"]: (s["state"], s["superseded_by"], s["withdrawn_reason"], s["source"])
              for s in json.loads(run("snapshots", "--json").stdout)}
    assert states == {1: ("published", 3, None, None), 2: ("withdrawn", None, "誤り", "https://example.jp/r8.pdf"),
                      3: ("published", None, None, None)}
    grid = make_fixtures.published_grid([("宮城県", ["宮城県(県庁)", "女川町"])],
                                        "特別区連携自治体数一覧(令和9年8月1日現在)")
    path = make_fixtures.write_text(grid, tmp_path / "r9.tsv", delimiter="\t", encoding="utf-8", newline="\n")
    with_release = run("import", str(path), "--release")
    assert with_release.stdout == "4\n" and json.loads(run("snapshots", "--json").stdout)[-1]["state"] == "published"


def test_review_guard_refuses_a_code_of_another_prefecture(registry):
    from renkei.registry import OutsidePrefecture

    draft = registry.revise(1).id
    before = registry.dump()["tables"]
    with pytest.raises(OutsidePrefecture, match="472018（沖縄県那覇市）は宮城県の自治体ではなく"):
        registry.decide("040002", "亶理町", code="472018", action="manual", actor="jimu")
    assert registry.dump()["tables"] == before and registry.decisions() == []
    registry.decide("040002", "亶理町", code="043613", action="manual", actor="jimu")  # its own prefecture: fine
    registry.decide("040002", "亶理町", code="472018", action="manual", actor="jimu", force=True)
    (d,) = registry.decisions()
    assert d["code"] == "472018" and "確認のうえ記録" in d["note"] and "沖縄県" in d["note"]
    assert "472018" in {p.code for p in registry.partners(draft)}
    assert "472018" not in {p.code for p in registry.partners(1)}  # the published edition is unchanged


def test_undo_a_decision(registry, tmp_path, make_fixtures):
    draft = registry.revise(1).id
    registry.decide("040002", "亶理町", code=None, action="reject", actor="jimu")
    assert "043613" not in {p.code for p in registry.partners(draft)}
    (d,) = registry.decisions()
    assert registry.undo_decision(d["id"], actor="boss") == 1
    assert "043613" in {p.code for p in registry.partners(draft)}  # back to the importer's answer
    (d,) = registry.decisions()
    assert d["undone_by"] == "boss" and d["undone_at"]
    assert "亶理町" in {i.written for i in registry.review_queue()}
    undo = next(a for a in registry.audit_log() if a["action"] == "undo")
    assert undo["actor"] == "boss" and undo["before"]["undone_at"] is None and undo["after"]["undone_by"] == "boss"
    with pytest.raises(RegistryError, match="取り消し済み"):
        registry.undo_decision(d["id"])
    grid = make_fixtures.published_grid([("宮城県", ["宮城県(県庁)", "亶理町"])],
                                        "特別区連携自治体数一覧(令和8年8月1日現在)")
    path = make_fixtures.write_text(grid, tmp_path / "r8.tsv", delimiter="\t", encoding="utf-8", newline="\n")
    assert registry.import_file(path).reused_decisions == 0  # an undone decision is not applied again


def test_review_cli_guard_decisions_and_undo(tmp_path):
    db = str(tmp_path / "cli.sqlite3")

    def run(*args: str):  # type: ignore[no-untyped-def]
        return CliRunner().invoke(cli, ["--db", db, *args])

    run("revise", "1")
    items = json.loads(run("review", "--json").stdout)
    n = next(i["item"] for i in items if i["written"] == "亶理町")
    refused = run("review", "--choose", f"{n}=043613", "--choose", f"{n}=131032")
    assert refused.exit_code == 2 and refused.stderr == (
        "エラー：131032（東京都港区）は宮城県の自治体ではなく、「亶理町」の候補にもありません。"
        "記録するには --force を付けてください\n")
    assert json.loads(run("review", "--decisions", "--json").stdout) == []  # nothing recorded, not even the first
    assert run("review", "--choose", f"{n}=131032", "--force", "--by", "jimu").exit_code == 0
    (d,) = json.loads(run("review", "--decisions", "--json").stdout)
    assert list(d) == ["id", "pref_code", "prefecture", "written", "action", "code", "name", "decided_by",
                       "decided_at", "note", "undone_at", "undone_by"]
    assert (d["prefecture"], d["written"], d["code"], d["name"], d["decided_by"]) == \
        ("宮城県", "亶理町", "131032", "港区", "jimu") and "確認のうえ記録" in d["note"]
    undone = run("review", "--undo", str(d["id"])).stdout
    assert undone == f"判断 #{d['id']} を取り消しました（下書きの1件を元に戻しました）\n"
    assert "manual (undone)" in run("review", "--decisions").stdout
    assert run("review", "--undo", "99").exit_code == 1


# -- deliberate publishing: discard, what publishing and withdrawing will show (issue 19) --------------------------


def test_a_draft_can_be_discarded_but_an_edition_cannot(registry, tmp_path, make_fixtures):
    draft = import_r8(registry, tmp_path, make_fixtures)
    reviewed = next(e for e in registry.entries(draft.id, needs_review=True))
    registry.decide(reviewed.pref_code, reviewed.written, code=None, action="reject", actor="jimu")
    gone = registry.discard(draft.id, actor="jimu")
    assert gone.label == "令和8年8月1日現在 下書き（未公表）" and [s.id for s in registry.snapshots()] == [1]
    with registry.engine.connect() as c:  # blocks, entries and partners went with it
        for table in ("snapshot_blocks", "entries", "partners"):
            assert c.execute(text(f"SELECT count(*) FROM {table} WHERE snapshot_id = :id"),
                             {"id": draft.id}).scalar() == 0
    assert len(registry.decisions()) == 1  # decisions belong to names, not to one draft
    entry = next(a for a in registry.audit_log() if a["action"] == "discard")
    assert entry["actor"] == "jimu" and entry["before"]["label"] == gone.label and entry["after"] is None
    again = import_r8(registry, tmp_path, make_fixtures)  # the same file may be imported again
    assert again.state == "draft"
    with pytest.raises(RegistryError, match="破棄できるのは下書きだけです"):
        registry.discard(1, actor="jimu")
    registry.release(again.id, actor="jimu")
    registry.withdraw(again.id, reason="誤り", actor="jimu")
    with pytest.raises(RegistryError, match="破棄できるのは下書きだけです"):
        registry.discard(again.id, actor="jimu")
    assert {s.id for s in registry.snapshots()} == {1, again.id}


def test_discard_on_the_command_line(tmp_path, make_fixtures):
    db = str(tmp_path / "r.sqlite3")
    run = lambda *args: CliRunner().invoke(cli, ["--db", db, *args])  # noqa: E731
    assert run("snapshots").exit_code == 0
    draft = run("revise", "1").stdout.strip()
    done = run("discard", draft)
    assert done.exit_code == 0 and done.stdout == f"下書き #{draft} 令和7年8月1日現在 下書き（未公表） を破棄しました\n"
    refused = run("discard", "1")
    assert refused.exit_code == 1 and "破棄できるのは下書きだけです" in refused.output


def test_release_preview_shows_what_the_public_will_see(registry, tmp_path, make_fixtures):
    draft = import_r8(registry, tmp_path, make_fixtures)
    p = registry.release_preview(draft.id, note="令和8年版")
    assert (p.label, p.current.id, p.note) == (R8, 1, "令和8年版")
    assert p.diff.totals["partners_before"] == registry.snapshot(1).partners
    assert p.diff.totals["partners_after"] == draft.partners
    miyagi = next(d for d in p.diff.changed if d.prefecture == "宮城県")
    assert {x.name for x in miyagi.added} <= {"仙台市", "亘理町", "女川町", "宮城県"}
    assert [e.written for e in p.unresolved] == [e.written for e in registry.entries(draft.id, needs_review=True)]
    assert any("減ります" in w for w in p.warnings)  # 4 names against the whole embedded list
    assert [x["severity"] for x in p.problems] == sorted((x["severity"] for x in p.problems),
                                                         key=lambda s: s != "error")  # errors first
    assert registry.release_preview(draft.id).note == draft.note  # without a note: the draft's own
    assert registry.snapshot(draft.id).state == "draft"  # a preview changes nothing
    with pytest.raises(RegistryError, match="公表できるのは下書きだけです"):
        registry.release_preview(1)


def test_a_small_drop_gives_no_warning(registry):
    copy = registry.revise(1, actor="jimu")  # the same partners
    p = registry.release_preview(copy.id)
    assert p.warnings == [] and p.diff.totals["added"] == p.diff.totals["removed"] == 0
    assert p.label == "令和7年8月1日現在（第2版）"


def test_withdrawing_says_which_edition_the_public_sees_instead(registry, tmp_path, make_fixtures):
    assert registry.public_after_withdrawal(1) is None  # the only edition
    r8 = registry.release(import_r8(registry, tmp_path, make_fixtures).id, actor="jimu")
    assert registry.public_after_withdrawal(r8.id).id == 1
    correction = registry.release(registry.revise(1, actor="jimu").id, actor="jimu")  # 第2版 supersedes #1
    assert registry.public_after_withdrawal(r8.id).id == correction.id
    registry.withdraw(r8.id, reason="誤り", actor="jimu")
    assert registry.public_after_withdrawal(correction.id).id == 1  # #1 is no longer superseded


def test_publishing_and_discarding_one_draft_at_once_leaves_one_outcome(registry):
    """Two admins, one publishing and one discarding the same draft, many times: exactly one of them acts, the
    other gets a clear refusal, and the draft is either published whole or gone whole."""
    import threading

    for _round in range(8):
        draft = registry.revise(1, actor="jimu").id
        outcomes: dict[str, object] = {}
        barrier = threading.Barrier(2)

        def run(name: str, act, draft: int = draft, outcomes: dict = outcomes,  # type: ignore[no-untyped-def]
                barrier: threading.Barrier = barrier) -> None:
            barrier.wait()
            try:
                act(draft)
                outcomes[name] = "done"
            except RegistryError:
                outcomes[name] = "refused"
            except Exception as exc:
                outcomes[name] = exc

        threads = [threading.Thread(target=run, args=("release", lambda d: registry.release(d, actor="a"))),
                   threading.Thread(target=run, args=("discard", lambda d: registry.discard(d, actor="b")))]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert sorted(map(str, outcomes.values())) == ["done", "refused"], outcomes
        if outcomes["release"] == "done":
            assert registry.snapshot(draft).state == "published" and registry.snapshot(draft).partners > 0
        else:
            assert draft not in {s.id for s in registry.snapshots()}
