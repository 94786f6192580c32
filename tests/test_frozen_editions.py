"""Editions frozen at every path: SQLite's INSERT OR REPLACE, PostgreSQL's TRUNCATE, and a review decision
racing a release (run many times with threads, on both backends); an application role that cannot TRUNCATE."""

from __future__ import annotations

import os
import sqlite3
import threading

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from renkei.registry import Registry, RegistryError, audit, reviews

FROZEN = "公表済みの版は変更できません"


def _replace(table: str, row: dict, **changes: object) -> tuple[str, dict]:
    values = {**row, **changes}
    columns = ", ".join(values)
    return f"INSERT OR REPLACE INTO {table} ({columns}) VALUES ({', '.join(':' + c for c in values)})", values


def _row(conn, sql: str) -> dict:
    return dict(conn.execute(text(sql)).mappings().one())


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_insert_or_replace_cannot_rewrite_an_edition(registry):
    draft = registry.revise(1).id
    before = registry.dump()["tables"]
    with registry.engine.connect() as conn:
        snapshot = _row(conn, "SELECT * FROM snapshots WHERE id = 1")
        entry = _row(conn, "SELECT * FROM entries WHERE snapshot_id = 1 ORDER BY id LIMIT 1")
        block = _row(conn, "SELECT * FROM snapshot_blocks WHERE snapshot_id = 1 ORDER BY id LIMIT 1")
        draft_block = conn.execute(text(f"SELECT id FROM snapshot_blocks WHERE snapshot_id = {draft}")).scalar()
    attempts = [_replace("snapshots", snapshot, note="rewritten"),  # the attack: same id, new note
                _replace("snapshots", snapshot, id=9999, note="rewritten"),  # same (sha256, as_of, kind)
                _replace("entries", entry, snapshot_id=draft, block_id=draft_block),  # its id, moved to a draft
                _replace("snapshot_blocks", block, snapshot_id=draft, position=99)]
    for sql, params in attempts:
        with pytest.raises(DBAPIError, match=FROZEN), registry.engine.begin() as conn:
            conn.execute(text(sql), params)
    # a plain sqlite3 connection, without the application's pragmas (recursive_triggers off), is refused too
    plain = sqlite3.connect(make_url(registry.url).database)
    try:
        for sql, params in attempts:
            with pytest.raises(sqlite3.IntegrityError, match=FROZEN):
                plain.execute(sql, params)
            plain.rollback()
    finally:
        plain.close()
    assert registry.dump()["tables"] == before


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_truncate_cannot_empty_an_edition(registry):
    before = registry.dump()["tables"]
    for table in ("entries", "partners", "snapshot_blocks", "snapshots"):
        with pytest.raises(DBAPIError, match=FROZEN), registry.engine.begin() as conn:
            conn.execute(text(f"TRUNCATE {table} CASCADE"))
    assert registry.dump()["tables"] == before


def _codes(registry: Registry, snapshot: int) -> list[tuple[str, str | None]]:
    return [(e.status, e.code) for e in registry.entries(snapshot)]


@pytest.mark.parametrize("first", ["decision", "release", "neither"] * 3)
def test_a_decision_racing_a_release_never_changes_the_edition(registry, monkeypatch, first):
    """The decision writes the draft's entries and holds its transaction open a moment; the release runs
    meanwhile (or the other way round, or both at once). The edition must stay as it was when released, and
    a decision that comes too late is refused with a Japanese message, never a 500."""
    hold = 0.15
    started = {"decision": threading.Event(), "release": threading.Event()}
    rebuild, record = reviews.rebuild_partners, audit.record

    def slow_rebuild(s, sid):  # type: ignore[no-untyped-def]
        rebuild(s, sid)
        if threading.current_thread().name == "decision":  # the draft's entries are written, not committed
            started["decision"].set()
            threading.Event().wait(hold)

    def slow_record(s, *args, **kwargs):  # type: ignore[no-untyped-def]
        record(s, *args, **kwargs)
        if threading.current_thread().name == "release":  # the draft is published, not committed
            started["release"].set()
            threading.Event().wait(hold)

    monkeypatch.setattr(reviews, "rebuild_partners", slow_rebuild)
    monkeypatch.setattr(audit, "record", slow_record)
    previous = registry.decisions()
    code = None if previous and previous[-1]["code"] else "043613"  # a change to the draft every time
    draft = registry.revise(1).id
    outcome: dict[str, object] = {}

    def decide() -> None:
        if first == "release":
            started["release"].wait(5)
        try:
            outcome["decided"] = registry.decide("040002", "亶理町", code=code,
                                                 action="accept" if code else "reject", actor="jimu")
        except RegistryError as exc:
            outcome["decision refused"] = str(exc)
        except Exception as exc:  # a 500 on the web
            outcome["decision failed"] = exc

    def release() -> None:
        if first == "decision":
            started["decision"].wait(5)
        try:
            registry.release(draft, actor="jimu")
            outcome["at release"] = _codes(registry, draft)
        except Exception as exc:
            outcome["release failed"] = exc

    threads = [threading.Thread(target=decide, name="decision"), threading.Thread(target=release, name="release")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert "decision failed" not in outcome and "release failed" not in outcome, outcome
    assert _codes(registry, draft) == outcome["at release"]  # nothing written into the edition after it
    if "decision refused" in outcome:
        assert "公表されました" in str(outcome["decision refused"])
    if first == "release":  # the decision waited for the release, and found an edition
        assert "decision refused" in outcome or outcome.get("decided") == 0


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_an_application_role_can_work_but_cannot_truncate_or_alter(db_url, directory, resolver, monkeypatch):
    """RENKEI_APP_ROLE at migration time grants that role rows, not ownership (README, security)."""
    app_url = os.environ.get("RENKEI_TEST_APP_ROLE_URL")
    if not app_url:
        pytest.skip("RENKEI_TEST_APP_ROLE_URL (a login role other than the owner, on the same database) is not set")
    role = make_url(app_url).username
    monkeypatch.setenv("RENKEI_APP_ROLE", role)
    owner = Registry.open(db_url, directory=directory, resolver=resolver)  # migrates and seeds, as the owner
    owner.engine.dispose()
    app = Registry.open(app_url, directory=directory, resolver=resolver)
    try:
        draft = app.revise(1, actor="jimu")
        app.decide("040002", "亶理町", code=None, action="reject", actor="jimu")
        assert app.release(draft.id, actor="jimu").state == "published"
        for sql in ("TRUNCATE audit_log", "TRUNCATE entries", "ALTER TABLE entries DISABLE TRIGGER ALL",
                    "ALTER TABLE projects ADD COLUMN x integer", "DROP TRIGGER entries_frozen ON entries"):
            with pytest.raises(DBAPIError, match=r"permission denied|must be owner"), app.engine.begin() as conn:
                conn.execute(text(sql))
    finally:
        app.engine.dispose()  # the next test drops the schema, with the grants and default privileges
