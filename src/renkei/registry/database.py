"""Where the database is, and bringing its schema up to date.

SQLite in the user's data folder is the default; ``--db`` or ``RENKEI_DATABASE_URL``
point elsewhere (a path, a sqlite:/// URL, or postgresql+psycopg://...). Migrations
are Alembic's, run in-process; an up-to-date database costs one SELECT to confirm.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

from sqlalchemy import Engine, create_engine, event, inspect, text

MIGRATIONS = Path(__file__).parent / "migrations"
ENV_VAR = "RENKEI_DATABASE_URL"
# Alembic's command API runs through one module-global context (alembic.context): two migrations at once in
# one process (two threads exporting the public SQLite file) would mix their connections ("KeyError: 'config'",
# "table audit_log already exists"). They take turns.
ALEMBIC_LOCK = threading.RLock()


def default_path() -> Path:
    from platformdirs import user_data_dir

    return Path(user_data_dir("renkei", appauthor=False)) / "renkei.sqlite3"


def database_url(value: str | None = None) -> str:
    """--db value, else $RENKEI_DATABASE_URL, else the SQLite file in the user's data folder."""
    value = value or os.environ.get(ENV_VAR) or str(default_path())
    if "://" in value:
        if value.startswith("postgresql://"):  # the driver this project ships
            value = "postgresql+psycopg://" + value.removeprefix("postgresql://")
        return value
    path = Path(value).expanduser()
    path.parent.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{path}"


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30})

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
            cur = dbapi_connection.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA recursive_triggers=ON")  # REPLACE's implicit delete fires the frozen-row triggers
            cur.close()

        return engine
    return create_engine(url, pool_pre_ping=True)


def _alembic_config(connection=None):  # type: ignore[no-untyped-def]
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["connection"] = connection
    return cfg


def head_revision() -> str:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(_alembic_config()).get_current_head() or ""


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        if not inspect(conn).has_table("alembic_version"):
            return None
        return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()


def upgrade(engine: Engine, revision: str = "head") -> tuple[str | None, str]:
    """Create or migrate the schema; returns (before, after) revisions."""
    from alembic import command

    before = current_revision(engine)
    with ALEMBIC_LOCK, engine.begin() as conn:
        command.upgrade(_alembic_config(conn), revision)
    return before, current_revision(engine) or ""


def recreate(conn) -> None:  # type: ignore[no-untyped-def]
    """Drop every table of the registry and build the schema again, inside the caller's transaction.

    The only way to empty a registry that holds published editions: row triggers refuse to delete
    them, so the tables go as a whole (with their triggers) and the migrations run again.
    """
    from alembic import command
    from sqlalchemy import MetaData

    meta = MetaData()
    meta.reflect(conn)
    meta.drop_all(conn)
    if conn.dialect.name == "postgresql":
        for (name,) in conn.execute(text("SELECT p.oid::regprocedure::text FROM pg_proc p JOIN pg_namespace n "
                                         "ON n.oid = p.pronamespace WHERE n.nspname = current_schema() "
                                         "AND p.proname LIKE 'renkei\\_%'")):
            conn.execute(text(f"DROP FUNCTION {name}"))
    with ALEMBIC_LOCK:
        command.upgrade(_alembic_config(conn), "head")
