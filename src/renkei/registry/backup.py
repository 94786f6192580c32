"""Lossless backup and restore: every table, every column, as JSON (or copied into a SQLite file);
and the public export, which leaves out accounts, sessions, the audit log and people's names.

The JSON is ``{"format": "renkei-backup", "version": 1, "schema": <alembic revision>, "tables": {...}}``
with dates and times as ISO strings, tables in foreign-key order. Loading checks the schema
revision and refuses to mix a backup into a registry that already holds data, unless told to replace it.

Every dump reads the whole registry in **one read transaction** (:func:`consistent_read`): a backup taken
while people work holds each project together with its wards, partners and changes, or none of them, so it
always loads. Rows are streamed from the database to the output as they are read (:func:`iter_tables`), so
a backup's memory does not grow with the registry.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path
from typing import IO

from sqlalchemy import Connection, Date, DateTime, Engine, Table, delete, func, insert, inspect, select, text, update

from ..i18n import _
from . import database
from .base import Core, RegistryError
from .schema import TABLE_ORDER, Base

FORMAT = "renkei-backup"
VERSION = 1
BATCH = 1000  # rows fetched from the database, and inserted, at a time

Rows = Iterable[dict[str, object]]
Tables = Iterable[tuple[str, Rows]]


@contextmanager
def consistent_read(engine: Engine) -> Iterator[Connection]:
    """A connection whose every read sees one snapshot of the registry, taken at its first read.

    PostgreSQL: REPEATABLE READ, READ ONLY (DEFERRABLE too, which costs nothing outside SERIALIZABLE).
    SQLite: an explicit ``BEGIN`` — without it the driver runs each SELECT in its own implicit transaction,
    so rows written between two tables' reads would be half in the dump. Writers are never blocked (WAL).
    """
    with engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            conn.execution_options(isolation_level="REPEATABLE READ", postgresql_readonly=True,
                                   postgresql_deferrable=True)
        else:
            conn.exec_driver_sql("BEGIN")
        try:
            yield conn
        finally:
            conn.rollback()


def _revision(conn: Connection) -> str | None:
    if not inspect(conn).has_table("alembic_version"):
        return None
    return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()


def _rows(conn: Connection, table: Table) -> Iterator[dict[str, object]]:
    """The table's rows in primary-key order, fetched in batches (a server-side cursor on PostgreSQL)."""
    result = conn.execute(select(table).order_by(*table.primary_key.columns),
                          execution_options={"yield_per": BATCH})
    for row in result.mappings():
        yield {k: _out(v) for k, v in row.items()}


def iter_tables(conn: Connection, *, public: bool = False) -> Iterator[tuple[str, Iterator[dict[str, object]]]]:
    """(table name, its rows) in foreign-key order; ``public``: only what :func:`public_dump` may hold."""
    if not public:
        for name in TABLE_ORDER:
            yield name, _rows(conn, Base.metadata.tables[name])
        return
    snapshots, projects = Base.metadata.tables["snapshots"], Base.metadata.tables["projects"]
    published = set(conn.scalars(select(snapshots.c.id).where(snapshots.c.state == "published")))
    deleted = set(conn.scalars(select(projects.c.id).where(projects.c.deleted_at.is_not(None))))
    for name in TABLE_ORDER:
        if name in PUBLIC_TABLES:
            yield name, _public_rows(name, _rows(conn, Base.metadata.tables[name]), published, deleted)


def _header(conn: Connection, reg: Core) -> dict[str, object]:
    return {"format": FORMAT, "version": VERSION, "schema": _revision(conn), "directory_as_of": reg.directory.as_of}


def dump(reg: Core) -> dict[str, object]:
    """The whole registry as one dict (one read transaction). For large registries, :func:`write_backup` streams."""
    with consistent_read(reg.engine) as conn:
        return {**_header(conn, reg), "tables": {name: list(rows) for name, rows in iter_tables(conn)}}


def write_json(fh: IO[str], header: dict[str, object], tables: Tables) -> dict[str, int]:
    """Write a backup document row by row (one JSON object a line inside each table's array)."""
    fh.write(json.dumps(header, ensure_ascii=False)[:-1] + ', "tables": {')
    counts: dict[str, int] = {}
    for i, (name, rows) in enumerate(tables):
        fh.write(("" if i == 0 else ",") + "\n" + json.dumps(name) + ": [")
        n = 0
        for n, row in enumerate(rows, 1):
            fh.write(("\n" if n == 1 else ",\n") + json.dumps(row, ensure_ascii=False))
        fh.write("]")
        counts[name] = n
    fh.write("}}\n")
    return counts


def load(reg: Core, data: dict[str, object], *, replace: bool = False) -> dict[str, int]:
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise RegistryError(_("renkei のバックアップではありません"
                              "（format が renkei-backup の JSON オブジェクトが必要です）"))
    _same_schema(reg, data.get("schema"))
    tables = data.get("tables")
    if not isinstance(tables, dict) or set(tables) - set(TABLE_ORDER):
        raise RegistryError(_("バックアップの表がこのレジストリのスキーマと合いません"))
    return load_tables(reg, ((name, tables.get(name, [])) for name in TABLE_ORDER), replace=replace)


def load_sqlite(reg: Core, path: str, *, replace: bool = False) -> dict[str, int]:
    """Restore a SQLite backup or export (`renkei load FILE.sqlite3`), streaming its rows from one read."""
    source = Core(f"sqlite:///{Path(path).absolute()}", directory=reg.directory, resolver=reg.resolver)
    try:
        with consistent_read(source.engine) as conn:
            _same_schema(reg, _revision(conn))
            return load_tables(reg, iter_tables(conn), replace=replace)
    finally:
        source.engine.dispose()


def _same_schema(reg: Core, revision: object) -> None:
    if revision != database.current_revision(reg.engine):
        raise RegistryError(_("バックアップのスキーマは {backup}、このレジストリは {registry} です。"
                              "先に renkei db upgrade を実行してください").format(
                                  backup=revision, registry=database.current_revision(reg.engine)))


def load_tables(reg: Core, tables: Tables, *, replace: bool = False) -> dict[str, int]:
    """Insert (table, rows) pairs given in foreign-key order, in batches, in one transaction."""
    counts: dict[str, int] = {}
    with reg.engine.begin() as conn:
        has_data = conn.execute(select(func.count()).select_from(Base.metadata.tables["snapshots"])).scalar()
        if has_data and not replace:
            raise RegistryError(_("レジストリにはすでにスナップショットがあります。"
                                  "上書きするには --replace を付けてください"))
        if has_data:
            database.recreate(conn)  # published editions cannot be deleted row by row (the triggers refuse)
        else:
            for name in reversed(TABLE_ORDER):
                conn.execute(delete(Base.metadata.tables[name]))
        states: list[tuple[object, object]] = []  # (id, state) of the snapshots loaded as drafts, as read
        for name, rows in tables:
            table = Base.metadata.tables[name]
            dated = [(c.name, c.type) for c in table.c  # ISO text → values (UTCDateTime decorates DateTime)
                     if isinstance(getattr(c.type, "impl", c.type), Date | DateTime)]
            counts[name] = 0
            for batch in _batches(rows):
                batch = [{**row, **{k: _in(t, row[k]) for k, t in dated if k in row}} for row in batch]
                if name == "snapshots":  # in as drafts, so that their entries can follow; then their states
                    states += [(r["id"], r["state"]) for r in batch if r.get("state", "draft") != "draft"]
                    batch = [{**r, "state": "draft"} for r in batch]
                conn.execute(insert(table), batch)
                counts[name] += len(batch)
        snapshots = Base.metadata.tables["snapshots"]
        for sid, state in states:
            conn.execute(update(snapshots).where(snapshots.c.id == sid).values(state=state))
        if conn.dialect.name == "postgresql":  # serial sequences continue after the loaded ids
            for name, count in counts.items():
                table = Base.metadata.tables[name]
                if "id" in table.c and table.c["id"].autoincrement is not False and count:
                    conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
                                      f"(SELECT MAX(id) FROM {name}))"))
    return counts


def _batches(rows: Rows) -> Iterator[list[dict[str, object]]]:
    batch: list[dict[str, object]] = []
    for row in rows:
        batch.append(row)
        if len(batch) == BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


# What a public export may hold: the directory, the snapshots and their names, the projects. Everything
# else (accounts, sessions, pending uploads, the audit log, and any table added later) stays out unless it
# is named here, so a new private table cannot leak by being forgotten.
PUBLIC_TABLES = ("directory_versions", "governments", "wards", "snapshots", "snapshot_blocks", "review_decisions",
                 "entries", "partners", "projects", "project_wards", "project_partners")
SNAPSHOT_PARTS = ("snapshot_blocks", "entries", "partners")
# The audit log's targets whose changes can change the public data (a project changes through project_changes)
PUBLIC_CHANGES = (*PUBLIC_TABLES, "project_changes")


def public_generation(engine: Engine) -> str:
    """A key that changes whenever the public data may have changed: the newest audit entry about a public table
    (its id and time) and how many there are. Sign-ins and account changes leave it alone; so a file made from the
    public data (the SQLite download) is rebuilt only when that data moved. The time tells apart two databases
    created one after the other at the same address with as many entries."""
    audit = Base.metadata.tables["audit_log"]
    with engine.connect() as conn:
        newest, count, at = conn.execute(select(func.max(audit.c.id), func.count(), func.max(audit.c.at))
                                         .where(audit.c.target.in_(PUBLIC_CHANGES))).one()
    stamp = _out(at) if at is not None else "-"
    return f"{newest or 0}-{count}-{hashlib.sha256(str(stamp).encode()).hexdigest()[:12]}"


def _public_rows(name: str, rows: Rows, published: set[int], deleted: set[int]) -> Iterator[dict[str, object]]:
    """A public table's rows: published editions only (no drafts, no withdrawn ones, nor their blocks, entries
    and partners); no deleted project (kept for the record, hidden from the public); and no person's name in
    any ``*_by`` column (who imported, decided or edited)."""
    table = Base.metadata.tables[name]
    actors = {c.name: (None if c.nullable else "") for c in table.c if c.name.endswith("_by")}
    for row in rows:
        if name == "snapshots":
            if row["id"] not in published:
                continue
            row = {**row, "revises": row["revises"] if row.get("revises") in published else None}
        elif name in SNAPSHOT_PARTS and row["snapshot_id"] not in published:
            continue
        elif name == "projects":
            if row["id"] in deleted:
                continue
            row = {**row, "snapshot_id": row["snapshot_id"] if row["snapshot_id"] in published else None}
        elif name in ("project_wards", "project_partners") and row["project_id"] in deleted:
            continue
        yield {**row, **actors}


def public_dump(reg: Core) -> dict[str, object]:
    """:func:`dump` without accounts, sessions or the audit log, and with no person's name in any ``*_by``
    column (who imported, decided or edited): public data, safe to publish."""
    with consistent_read(reg.engine) as conn:
        return {**_header(conn, reg), "public": True,
                "tables": {name: list(rows) for name, rows in iter_tables(conn, public=True)}}


def write_public_json(reg: Core, fh: IO[str]) -> dict[str, int]:
    """:func:`public_dump` written row by row as it is read (`renkei export`): memory flat with the registry."""
    with consistent_read(reg.engine) as conn:
        return write_json(fh, {**_header(conn, reg), "public": True}, iter_tables(conn, public=True))


def export_sqlite(reg: Core, path: str, *, public: bool = True) -> dict[str, int]:
    """Copy the registry into a new SQLite file, streaming, from one read transaction: public data
    (:func:`public_dump`) unless ``public`` is False, which copies everything, accounts included
    (see :func:`write_backup`)."""
    target = Path(path)
    if target.exists():
        target.unlink()
    if not public:
        _create_secret(target)  # an empty file is an empty SQLite database: SQLite keeps its mode
    out = Core(f"sqlite:///{target}", directory=reg.directory, resolver=reg.resolver)
    try:
        database.upgrade(out.engine)
        with consistent_read(reg.engine) as conn:
            return load_tables(out, iter_tables(conn, public=public))
    finally:
        out.engine.dispose()


def write_backup(reg: Core, path: str, fmt: str = "json") -> dict[str, int]:
    """The full backup, accounts, password hashes and audit log included, in a file only its owner can read
    (mode 0600, set when the file is created, before anything is written). Streamed: memory stays flat."""
    if fmt == "sqlite":
        return export_sqlite(reg, path, public=False)
    target = Path(path)
    if target.exists():
        target.unlink()
    with consistent_read(reg.engine) as conn, _create_secret(target).open("w", encoding="utf-8") as fh:
        return write_json(fh, _header(conn, reg), iter_tables(conn))


def _create_secret(target: Path) -> Path:
    import os

    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    os.fchmod(fd, 0o600)  # whatever the umask
    os.close(fd)
    return target


def _out(v: object) -> object:
    if isinstance(v, datetime):  # aware UTC from UTCDateTime columns; naive is UTC too
        return (v if v.tzinfo else v.replace(tzinfo=UTC)).astimezone(UTC).isoformat()
    if isinstance(v, date):
        return v.isoformat()
    return v


def _in(type_: object, v: object) -> object:
    if v is None or not isinstance(v, str):
        return v
    if isinstance(getattr(type_, "impl", type_), DateTime):  # UTCDateTime decorates DateTime
        return datetime.fromisoformat(v)
    if isinstance(type_, Date):
        return date.fromisoformat(v)
    return v
