"""Alembic environment: the connection comes from renkei's own configuration, never from alembic.ini."""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

from renkei.registry.schema import Base

config = context.config
connection = config.attributes.get("connection")


def run() -> None:
    if connection is None:  # `alembic` run by hand with -x url=...
        from sqlalchemy import create_engine

        url = context.get_x_argument(as_dictionary=True).get("url") or config.get_main_option("sqlalchemy.url")
        if not url:
            raise SystemExit("alembic: give the database as -x url=... (renkei passes its own connection)")
        with create_engine(url).connect() as conn:
            _migrate(conn)
            conn.commit()
    else:
        _migrate(connection)


def _migrate(conn: Connection) -> None:
    context.configure(connection=conn, target_metadata=Base.metadata, render_as_batch=True,
                      compare_type=True)
    with context.begin_transaction():
        context.run_migrations()


run()
