"""Where the database is, whether its schema matches this code, and bringing it up to date.

SQLite in the user's data folder is the default; ``--db`` or ``RENKEI_DATABASE_URL``
point elsewhere (a path, a sqlite:/// URL, or postgresql+psycopg://...);
``RENKEI_REQUIRE_DATABASE=1`` refuses the default (a production server must never quietly
create a registry in someone's home folder).

Migrations are Alembic's, run in-process, and only on request (``renkei db upgrade``): an
old server left running on a migrated database would bypass rules it does not know, so
opening a database whose revision is not this code's head raises :class:`SchemaMismatch`
instead of migrating it. The one exception is an empty database, created on first use so
that a fresh machine works with no set-up. Every migration runs under a lock
(:func:`migration_lock`), so several workers starting together on a fresh database create
it once; the others wait, then find it at head.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Engine, create_engine, event, inspect, text

from ..i18n import _

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).parent / "migrations"
ENV_VAR = "RENKEI_DATABASE_URL"
REQUIRE_ENV = "RENKEI_REQUIRE_DATABASE"
SEED_ENV = "RENKEI_SEED"
CONNECT_TIMEOUT = 10  # seconds a PostgreSQL connection attempt may take: a server that is down answers 503 soon
LOCK_KEY = 0x72656E6B6569  # "renkei": the PostgreSQL advisory lock every migration takes
ALEMBIC_LOCK = threading.RLock()  # Alembic keeps its context in module globals (alembic.context): one migration
# per process at once, or two threads (two exports of the public SQLite file) mix their connections


class DatabaseNotConfigured(Exception):
    """``RENKEI_REQUIRE_DATABASE`` is set and neither ``--db`` nor ``RENKEI_DATABASE_URL`` names a database."""

    def __init__(self) -> None:
        super().__init__(_("データベースが指定されていません。RENKEI_DATABASE_URL（または --db）を設定してください"
                           "（RENKEI_REQUIRE_DATABASE が有効なため、既定の SQLite ファイルは使いません）"))


class SchemaMismatch(Exception):
    """The database's schema revision is not this code's head (older, newer, or not a renkei database)."""

    def __init__(self, current: str | None, head: str) -> None:
        self.current, self.head = current, head
        super().__init__(_("データベースのスキーマ（{current}）がこのバージョンの renkei（{head}）と一致しません。"
                           "すべてのサーバーを止めてから `renkei db upgrade` を実行してください").format(
            current=current or _("なし"), head=head))


@dataclass
class UpgradeResult:
    """What ``renkei db upgrade`` did: the revisions before and after, and what the public sees differently."""

    before: str | None
    after: str
    published: list[dict] = field(default_factory=list)  # snapshots a migration published: id, as_of, edition

    @property
    def created(self) -> bool:
        return self.before is None


def _flag(name: str, default: bool) -> bool:
    raw = os.environ.get(name, "").strip().lower()
    return default if not raw else raw in ("1", "true", "yes", "on")


def seed_setting() -> bool:
    """Whether a database created on first use gets the embedded demo list (``RENKEI_SEED``, default on)."""
    return _flag(SEED_ENV, True)


def default_path() -> Path:
    from platformdirs import user_data_dir

    return Path(user_data_dir("renkei", appauthor=False)) / "renkei.sqlite3"


def database_url(value: str | None = None) -> str:
    """--db value, else $RENKEI_DATABASE_URL, else the SQLite file in the user's data folder.

    Raises :class:`DatabaseNotConfigured` instead of the default when ``RENKEI_REQUIRE_DATABASE`` is set.
    """
    value = value or os.environ.get(ENV_VAR)
    if not value and _flag(REQUIRE_ENV, False):
        raise DatabaseNotConfigured()
    value = value or str(default_path())
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
        def _pragmas(dbapi_connection: Any, _record: object) -> None:  # Any: the DB-API connection (sqlite3)
            cur = dbapi_connection.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            _when_unlocked(lambda: cur.execute("PRAGMA journal_mode=WAL"))  # may answer "locked" at once
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA recursive_triggers=ON")  # REPLACE's implicit delete fires the frozen-row triggers
            cur.close()

        return engine
    return create_engine(url, pool_pre_ping=True, connect_args={"connect_timeout": CONNECT_TIMEOUT})


def _when_unlocked(step: Callable[[], object], attempts: int = 100) -> None:
    """Run a SQLite step that can answer "database is locked" at once instead of waiting for the busy timeout
    (switching a fresh file to WAL while other connections open it: seen in CI), trying again for a few seconds."""
    import sqlite3

    for attempt in range(attempts):
        try:
            step()
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or attempt == attempts - 1:
                raise
            time.sleep(0.05)


def _alembic_config(connection: Connection | None = None, published: list[dict] | None = None) -> Config:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["connection"] = connection
    cfg.attributes["published"] = [] if published is None else published  # filled by data steps (see 0004)
    return cfg


@cache
def head_revision() -> str:
    """This code's newest revision (read once: the migrations do not change while the process runs)."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(_alembic_config()).get_current_head() or ""


def current_revision(bind: Engine | Connection) -> str | None:
    """The database's revision, or None when it has no ``alembic_version`` table (empty, or not renkei's)."""
    if isinstance(bind, Engine):
        with bind.connect() as conn:
            return current_revision(conn)
    if not inspect(bind).has_table("alembic_version"):
        return None
    return bind.execute(text("SELECT version_num FROM alembic_version")).scalar()


def is_unreachable(exc: BaseException) -> bool:
    """Whether ``exc`` means the database cannot be reached (down, refused, dropped), not a bug or a refusal."""
    from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

    if isinstance(exc, OperationalError | InterfaceError):
        return True
    return isinstance(exc, DBAPIError) and bool(exc.connection_invalidated)


def _is_empty(conn: Connection) -> bool:
    return not inspect(conn).get_table_names()


@contextmanager
def migration_lock(engine: Engine) -> Iterator[Connection]:
    """A connection in a transaction that holds the migration lock until it commits.

    PostgreSQL: a transaction-scoped advisory lock. SQLite: ``BEGIN IMMEDIATE``, the database's
    write lock (other writers wait up to the connection's timeout), so the DDL is one
    transaction too. Whoever waited must read the revision again once it holds the lock.
    Threads of one process also take :data:`ALEMBIC_LOCK`, whatever the database.
    """
    with ALEMBIC_LOCK, engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": LOCK_KEY})
        elif conn.dialect.name == "sqlite":
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        try:
            yield conn
        except BaseException:
            conn.rollback()
            raise
        conn.commit()


def prepare(engine: Engine) -> bool:
    """Make sure the schema is this code's: create it in an empty database; refuse any other revision.

    Returns True when this call created the schema (the caller may then seed it). Raises
    :class:`SchemaMismatch` for a database at another revision, older or newer, and for a
    database with tables but no revision: only ``renkei db upgrade`` migrates.
    """
    from alembic import command

    head = head_revision()
    if current_revision(engine) == head:  # the usual case: one cheap read, no lock
        return False
    # Anything else is decided under the lock: another process may be creating the schema right now, and
    # reads outside the lock could see its tables appear between two statements.
    with migration_lock(engine) as conn:
        current = current_revision(conn)
        if current is None and _is_empty(conn):
            command.upgrade(_alembic_config(conn), "head")
            return True
    if current != head:
        raise SchemaMismatch(current, head)
    return False  # another process created it while this one waited


def upgrade(engine: Engine, revision: str = "head") -> UpgradeResult:
    """Create or migrate the schema under the migration lock (see :class:`UpgradeResult`).

    A revision unknown to this code (a newer renkei migrated the database) raises
    :class:`SchemaMismatch`: this code cannot move it anywhere.
    """
    from alembic import command
    from alembic.script import ScriptDirectory

    published: list[dict] = []
    with migration_lock(engine) as conn:
        before = current_revision(conn)
        known = ScriptDirectory.from_config(_alembic_config())
        if before is not None and before not in {s.revision for s in known.walk_revisions()}:
            raise SchemaMismatch(before, head_revision())
        command.upgrade(_alembic_config(conn, published), revision)
        after = current_revision(conn) or ""
    return UpgradeResult(before, after, published)


def recreate(conn: Connection) -> None:
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
