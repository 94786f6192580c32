"""Backups taken while people work: one read transaction, streamed output, and always restorable."""

from __future__ import annotations

import json
import threading

from click.testing import CliRunner

from renkei.cli import cli
from renkei.registry import Registry

ROUNDS = 4


def _ward_and_partner(registry: Registry) -> tuple[str, str]:
    d = registry.directory
    return d.find("東京都", "港区")[0].code, d.find("宮城県", "亘理町")[0].code


def test_a_backup_taken_during_writes_always_loads(registry, db_url, tmp_path):
    """A writer keeps adding projects (each with its ward, partner and approved change) while backups are taken;
    every backup restores with `renkei load` into a fresh database (no row whose project is missing)."""
    ward, partner = _ward_and_partner(registry)
    for i in range(200):  # enough rows that reading the project tables takes a while
        registry.add_project(title=f"既存{i}", wards=[ward], partners=[partner], fiscal_year=2025)
    stop, errors, written = threading.Event(), [], [0]

    def writer() -> None:
        try:
            while not stop.is_set():
                written[0] += 1
                registry.add_project(title=f"追加{written[0]}", wards=[ward], partners=[partner], fiscal_year=2026)
        except Exception as exc:  # reported by the assertion below
            errors.append(exc)

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        for n in range(ROUNDS):
            out = tmp_path / f"backup{n}.json"
            result = CliRunner().invoke(cli, ["--db", db_url, "backup", "-o", str(out)])
            assert result.exit_code == 0, result.output
            restored = CliRunner().invoke(cli, ["--db", str(tmp_path / f"restored{n}.sqlite3"), "load", str(out)])
            assert restored.exit_code == 0, restored.output
            tables = json.loads(out.read_text(encoding="utf-8"))["tables"]
            ids = {p["id"] for p in tables["projects"]}
            assert {r["project_id"] for r in tables["project_wards"]} == ids
            assert {r["project_id"] for r in tables["project_changes"]} <= ids
    finally:
        stop.set()
        thread.join(30)
    assert not errors and written[0] > ROUNDS  # the writer really wrote meanwhile


def test_the_sqlite_backup_reads_one_snapshot_too(registry, tmp_path):
    """`renkei backup --format sqlite` streams from the same single read transaction."""
    from renkei.registry.backup import write_backup

    ward, partner = _ward_and_partner(registry)
    registry.add_project(title="一件", wards=[ward], partners=[partner])
    counts = write_backup(registry, str(tmp_path / "b.sqlite3"), "sqlite")
    assert counts["projects"] == counts["project_wards"] == counts["project_partners"] == 1
    copy = Registry(str(tmp_path / "b.sqlite3"))
    assert copy.dump()["tables"] == registry.dump()["tables"]
    copy.engine.dispose()


def test_a_sqlite_file_of_another_schema_is_refused_cleanly(tmp_path):
    """`renkei load` streams a SQLite file's rows only when its schema is the registry's; otherwise one line."""
    import sqlite3

    other = tmp_path / "other.sqlite3"
    with sqlite3.connect(other) as db:
        db.execute("CREATE TABLE t (x)")
    result = CliRunner().invoke(cli, ["--db", str(tmp_path / "r.sqlite3"), "load", str(other)])
    assert result.exit_code == 1 and "renkei db upgrade" in result.output
    assert "Traceback" not in result.output
