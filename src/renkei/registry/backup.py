"""Lossless backup and restore: every table, every column, as JSON (or copied into a SQLite file).

The JSON is ``{"format": "renkei-backup", "version": 1, "schema": <alembic revision>, "tables": {...}}``
with dates and times as ISO strings, tables in foreign-key order. Loading checks the schema
revision and refuses to mix a backup into a registry that already holds data, unless told to replace it.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import Date, DateTime, delete, func, insert, select, text

from . import database
from .base import Core, RegistryError
from .schema import TABLE_ORDER, Base

FORMAT = "renkei-backup"
VERSION = 1


def dump(reg: Core) -> dict[str, object]:
    tables: dict[str, list[dict[str, object]]] = {}
    with reg.engine.connect() as conn:
        for name in TABLE_ORDER:
            table = Base.metadata.tables[name]
            order = list(table.primary_key.columns)
            rows = conn.execute(select(table).order_by(*order)).mappings()
            tables[name] = [{k: _out(v) for k, v in row.items()} for row in rows]
    return {"format": FORMAT, "version": VERSION, "schema": database.current_revision(reg.engine),
            "directory_as_of": reg.directory.as_of, "tables": tables}


def load(reg: Core, data: dict[str, object], *, replace: bool = False) -> dict[str, int]:
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise RegistryError("not a renkei backup (expected a JSON object with format 'renkei-backup')")
    if data.get("schema") != database.current_revision(reg.engine):
        raise RegistryError(f"the backup has schema {data.get('schema')}, this registry "
                            f"{database.current_revision(reg.engine)}; upgrade first (`renkei db upgrade`)")
    tables = data.get("tables")
    if not isinstance(tables, dict) or set(tables) - set(TABLE_ORDER):
        raise RegistryError("the backup's tables do not match this registry's schema")
    counts: dict[str, int] = {}
    with reg.engine.begin() as conn:
        has_data = conn.execute(select(func.count()).select_from(Base.metadata.tables["snapshots"])).scalar()
        if has_data and not replace:
            raise RegistryError("the registry already holds snapshots; use --replace to overwrite it")
        for name in reversed(TABLE_ORDER):
            conn.execute(delete(Base.metadata.tables[name]))
        for name in TABLE_ORDER:
            table = Base.metadata.tables[name]
            rows = [{k: _in(table.c[k].type, v) for k, v in row.items()} for row in tables.get(name, [])]
            if rows:
                conn.execute(insert(table), rows)
            counts[name] = len(rows)
        if conn.dialect.name == "postgresql":  # serial sequences continue after the loaded ids
            for name in TABLE_ORDER:
                table = Base.metadata.tables[name]
                if "id" in table.c and table.c["id"].autoincrement is not False and counts[name]:
                    conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
                                      f"(SELECT MAX(id) FROM {name}))"))
    return counts


PRIVATE_TABLES = ("users", "audit_log")  # never in the public download


def export_sqlite(reg: Core, path: str, *, public: bool = False) -> dict[str, int]:
    """Copy the registry into a new SQLite file; ``public`` leaves out accounts and the audit log."""
    from pathlib import Path

    target = Path(path)
    if target.exists():
        target.unlink()
    out = Core(f"sqlite:///{target}", directory=reg.directory, resolver=reg.resolver)
    database.upgrade(out.engine)
    data = dump(reg)
    if public:
        data["tables"] = {k: ([] if k in PRIVATE_TABLES else v) for k, v in data["tables"].items()}
    counts = load(out, data)
    out.engine.dispose()
    return counts


def _out(v: object) -> object:
    if isinstance(v, datetime):  # SQLite hands back naive UTC, PostgreSQL aware: write both the same way
        return (v if v.tzinfo else v.replace(tzinfo=UTC)).astimezone(UTC).isoformat()
    if isinstance(v, date):
        return v.isoformat()
    return v


def _in(type_: object, v: object) -> object:
    if v is None or not isinstance(v, str):
        return v
    if isinstance(type_, DateTime):
        return datetime.fromisoformat(v)
    if isinstance(type_, Date):
        return date.fromisoformat(v)
    return v
