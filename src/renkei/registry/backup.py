"""Lossless backup and restore: every table, every column, as JSON (or copied into a SQLite file);
and the public export, which leaves out accounts, sessions, the audit log and people's names.

The JSON is ``{"format": "renkei-backup", "version": 1, "schema": <alembic revision>, "tables": {...}}``
with dates and times as ISO strings, tables in foreign-key order. Loading checks the schema
revision and refuses to mix a backup into a registry that already holds data, unless told to replace it.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

from sqlalchemy import Date, DateTime, delete, func, insert, select, text, update

from ..i18n import _
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
        raise RegistryError(_("renkei のバックアップではありません"
                              "（format が renkei-backup の JSON オブジェクトが必要です）"))
    if data.get("schema") != database.current_revision(reg.engine):
        raise RegistryError(_("バックアップのスキーマは {backup}、このレジストリは {registry} です。"
                              "先に renkei db upgrade を実行してください").format(
                                  backup=data.get("schema"), registry=database.current_revision(reg.engine)))
    tables = data.get("tables")
    if not isinstance(tables, dict) or set(tables) - set(TABLE_ORDER):
        raise RegistryError(_("バックアップの表がこのレジストリのスキーマと合いません"))
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
        states: list[tuple[int, str]] = []
        for name in TABLE_ORDER:
            table = Base.metadata.tables[name]
            rows = [{k: _in(table.c[k].type, v) for k, v in row.items()} for row in tables.get(name, [])]
            if name == "snapshots":  # in as drafts, so that their entries can follow; then their states
                states = [(r["id"], r["state"]) for r in rows if r.get("state", "draft") != "draft"]
                rows = [{**r, "state": "draft"} for r in rows]
            if rows:
                conn.execute(insert(table), rows)
            counts[name] = len(rows)
        snapshots = Base.metadata.tables["snapshots"]
        for sid, state in states:
            conn.execute(update(snapshots).where(snapshots.c.id == sid).values(state=state))
        if conn.dialect.name == "postgresql":  # serial sequences continue after the loaded ids
            for name in TABLE_ORDER:
                table = Base.metadata.tables[name]
                if "id" in table.c and table.c["id"].autoincrement is not False and counts[name]:
                    conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
                                      f"(SELECT MAX(id) FROM {name}))"))
    return counts


# What a public export may hold: the directory, the snapshots and their names, the projects. Everything
# else (accounts, sessions, pending uploads, the audit log, and any table added later) stays out unless it
# is named here, so a new private table cannot leak by being forgotten.
PUBLIC_TABLES = ("directory_versions", "governments", "wards", "snapshots", "snapshot_blocks", "review_decisions",
                 "entries", "partners", "projects", "project_wards", "project_partners")


def public_dump(reg: Core) -> dict[str, object]:
    """:func:`dump` without accounts, sessions or the audit log, and with no person's name in any ``*_by``
    column (who imported, decided or edited): public data, safe to publish."""
    data = dump(reg)
    tables: dict[str, list[dict[str, object]]] = data["tables"]  # type: ignore[assignment]
    out = {}
    for name, rows in tables.items():
        if name not in PUBLIC_TABLES:
            continue
        table = Base.metadata.tables[name]
        actors = {c.name: (None if c.nullable else "") for c in table.c if c.name.endswith("_by")}
        out[name] = [{**row, **actors} for row in rows]
    # a deleted project is kept for the record but hidden from the public: not in a public export either
    deleted = {row["id"] for row in tables.get("projects", []) if row.get("deleted_at")}
    for name in ("projects", "project_wards", "project_partners"):
        key = "id" if name == "projects" else "project_id"
        out[name] = [row for row in out.get(name, []) if row[key] not in deleted]
    return {**data, "public": True, "tables": _published_only(out)}


def export_sqlite(reg: Core, path: str, *, public: bool = True) -> dict[str, int]:
    """Copy the registry into a new SQLite file: public data (:func:`public_dump`) unless ``public`` is False,
    which copies everything, accounts included (see :func:`write_backup`)."""
    target = Path(path)
    if target.exists():
        target.unlink()
    if not public:
        _create_secret(target)  # an empty file is an empty SQLite database: SQLite keeps its mode
    out = Core(f"sqlite:///{target}", directory=reg.directory, resolver=reg.resolver)
    database.upgrade(out.engine)
    counts = load(out, public_dump(reg) if public else dump(reg))
    out.engine.dispose()
    return counts


def write_backup(reg: Core, path: str, fmt: str = "json") -> dict[str, int]:
    """The full backup, accounts, password hashes and audit log included, in a file only its owner can read
    (mode 0600, set when the file is created, before anything is written)."""
    import json

    if fmt == "sqlite":
        return export_sqlite(reg, path, public=False)
    target = Path(path)
    data = dump(reg)
    if target.exists():
        target.unlink()
    with _create_secret(target).open("w", encoding="utf-8") as fh:
        json.dump(data, fh, ensure_ascii=False, indent=1)
    return {k: len(v) for k, v in data["tables"].items()}  # type: ignore[union-attr]


def _create_secret(target: Path) -> Path:
    import os

    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    os.fchmod(fd, 0o600)  # whatever the umask
    os.close(fd)
    return target


def _published_only(tables: dict[str, list[dict[str, object]]]) -> dict[str, list[dict[str, object]]]:
    """Only published editions: drafts and withdrawn ones are not public (nor their blocks, entries, partners)."""
    out = dict(tables)
    public = {r["id"] for r in out["snapshots"] if r.get("state") == "published"}
    out["snapshots"] = [{**r, "revises": r.get("revises") if r.get("revises") in public else None}
                        for r in out["snapshots"] if r["id"] in public]
    for name in ("snapshot_blocks", "entries", "partners"):
        out[name] = [r for r in out[name] if r["snapshot_id"] in public]
    if "projects" in out:
        out["projects"] = [{**r, "snapshot_id": r["snapshot_id"] if r["snapshot_id"] in public else None}
                           for r in out["projects"]]
    return out


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
