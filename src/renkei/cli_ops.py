"""Operating commands: ``db upgrade``, ``db current``, ``db check`` and ``serve``.

Only ``db upgrade`` migrates; ``db current`` and ``db check`` read the revision and change nothing,
so they work on a database at any revision (every other command refuses one that is not at
this code's head, see :func:`renkei.cli_common.open_registry`).
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

import click

from .cli_common import cli, fail, open_registry, unreachable
from .i18n import _
from .logs import FORMATS, LEVELS

if TYPE_CHECKING:
    from sqlalchemy import Engine


@cli.group()
def db() -> None:
    """Create or migrate the registry database, and check its schema revision."""


def _engine(ctx: click.Context) -> Engine:
    from .registry import database

    try:
        return database.make_engine(database.database_url(ctx.obj.get("db")))
    except database.DatabaseNotConfigured as exc:
        fail(str(exc), 2)


def _revision(engine: Engine) -> str | None:
    from .registry import database

    try:
        return database.current_revision(engine)
    except Exception as exc:
        unreachable(exc)


@db.command("upgrade")
@click.option("--seed/--no-seed", default=None,
              help="Whether a database created now gets the embedded demo list [env RENKEI_SEED; default: yes]. "
                   "Production: --no-seed.")
@click.pass_context
def db_upgrade(ctx: click.Context, seed: bool | None) -> None:
    """Create the database, or migrate it to this version's schema (Alembic), under a lock.

    Prints the revisions before and after, and what the public sees differently (snapshots a
    migration published). Stop every server of the older version first.

    \b
    Examples:
      renkei db upgrade
      renkei --db postgresql+psycopg://renkei@localhost/renkei db upgrade --no-seed
    """
    from .registry import Registry, database

    engine = _engine(ctx)
    try:
        result = database.upgrade(engine)
    except database.SchemaMismatch as exc:
        fail(str(exc), 2)
    except Exception as exc:
        unreachable(exc)
    click.echo(_("{url}：スキーマ {before} → {after}").format(url=engine.url.render_as_string(hide_password=True),
                                                        before=result.before or _("なし"), after=result.after))
    for snap in result.published:
        click.echo(_("公表：#{id} {as_of}（第{edition}版）").format(
            id=snap["id"], as_of=snap["as_of"] or _("日付なし"), edition=snap["edition"]))
    engine.dispose()
    if result.created and (database.seed_setting() if seed is None else seed):
        imported = Registry.open(ctx.obj.get("db"), seed=False).import_default()
        click.echo(_("公表：#{id} {label}（同梱の一覧）").format(id=imported.snapshot.id,
                                                          label=imported.snapshot.label))


@db.command("current")
@click.pass_context
def db_current(ctx: click.Context) -> None:
    """Print the database's schema revision, and whether it is this version's (changes nothing)."""
    from .registry import database

    current, head = _revision(_engine(ctx)), database.head_revision()
    if current == head:
        click.echo(_("{revision}（最新）").format(revision=current))
    else:
        click.echo(_("{revision}（このバージョンの最新は {head}：renkei db upgrade が必要です）").format(
            revision=current or _("なし"), head=head))


@db.command("check")
@click.pass_context
def db_check(ctx: click.Context) -> None:
    """Exit 0 when the schema is this version's, 1 when not (migrate with `renkei db upgrade`), 2 when the
    database cannot be reached. One line of output: for a service's start check (ExecStartPre)."""
    from .registry import database

    current, head = _revision(_engine(ctx)), database.head_revision()
    if current == head:
        click.echo(_("スキーマは最新です（{revision}）").format(revision=current))
        return
    click.echo(_("スキーマ {revision} は最新（{head}）ではありません：renkei db upgrade を実行してください").format(
        revision=current or _("なし"), head=head))
    sys.exit(1)


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--workers", default=1, show_default=True, type=int,
              help="Worker processes (PostgreSQL for more than 1).")
@click.option("--forwarded-allow-ips", "trusted_proxies", envvar="RENKEI_TRUSTED_PROXIES", default="",
              help="Addresses or networks of trusted reverse proxies, comma-separated (e.g. 127.0.0.1,10.0.0.0/8); "
                   "their X-Forwarded-For and X-Forwarded-Proto are believed. [env RENKEI_TRUSTED_PROXIES; "
                   "default: none]")
@click.option("--secure-cookies/--no-secure-cookies", envvar="RENKEI_SECURE_COOKIES", default=False,
              help="Mark cookies Secure even when requests arrive as http (TLS ends at a proxy). "
                   "[env RENKEI_SECURE_COOKIES]")
@click.option("--log-level", type=click.Choice(LEVELS, case_sensitive=False), envvar="RENKEI_LOG_LEVEL",
              default="INFO", show_default=True, help="[env RENKEI_LOG_LEVEL]")
@click.option("--log-format", type=click.Choice(FORMATS, case_sensitive=False), envvar="RENKEI_LOG_FORMAT",
              default="text", show_default=True,
              help="text lines, or one JSON object per line. [env RENKEI_LOG_FORMAT]")
@click.option("--access-log/--no-access-log", envvar="RENKEI_ACCESS_LOG", default=True, show_default=True,
              help="One log line per request (time, client, method, path, status, duration, request id) "
                   "[env RENKEI_ACCESS_LOG=0 turns it off].")
@click.pass_context
def serve(ctx: click.Context, host: str, port: int, workers: int, trusted_proxies: str,
          secure_cookies: bool, log_level: str, log_format: str, access_log: bool) -> None:
    """Serve the web site, the JSON API and the signed-in area.

    On a fresh machine this serves the embedded 令和7年8月1日現在 list at
    http://127.0.0.1:8000 with no set-up. Create accounts with `renkei user add`.
    A database whose schema is not this version's is refused (exit 2): run `renkei db upgrade`.

    \b
    Examples:
      renkei serve
      renkei --db postgresql+psycopg://renkei@db/renkei serve --host 0.0.0.0 --workers 4
      renkei serve --forwarded-allow-ips 127.0.0.1 --secure-cookies   # behind nginx with TLS
      renkei serve --log-format json --no-access-log
    """
    import os

    import uvicorn

    from . import logs
    from .web.security import SECURE_COOKIES_ENV, TRUSTED_PROXIES_ENV

    log_config = logs.config(log_level.upper(), log_format.lower(), access_log)
    logs.configure(log_level.upper(), log_format.lower(), access_log)
    reg = open_registry(ctx)  # create and seed an empty database once, before the workers start
    os.environ["RENKEI_DATABASE_URL"] = reg.url
    os.environ[TRUSTED_PROXIES_ENV] = trusted_proxies  # the workers read their settings from the environment
    os.environ[SECURE_COOKIES_ENV] = "1" if secure_cookies else ""
    click.echo(f"renkei: {reg.engine.url.render_as_string(hide_password=True)} → http://{host}:{port}/", err=True)
    # the application handles forwarded headers itself (security.add_guards), only from trusted proxies,
    # and writes its own access log (renkei.web.access); a stop (SIGTERM) waits at most a few seconds
    uvicorn.run("renkei.web.server:app", host=host, port=port, workers=workers, log_config=log_config,
                access_log=False, proxy_headers=False, timeout_graceful_shutdown=5)
