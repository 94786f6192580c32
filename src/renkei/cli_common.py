"""What every ``renkei`` command module shares: the click group, one-line failures, dates, opening the registry.

The command modules (:mod:`renkei.cli`, :mod:`renkei.cli_import`, ...) import this module
and register their commands on :data:`cli`; :mod:`renkei.cli` imports them all. Nothing here
imports a command module, so there is no import cycle.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, NoReturn

import click

if TYPE_CHECKING:
    from pathlib import Path

    from .registry import Registry


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="renkei")
@click.option("--db", envvar="RENKEI_DATABASE_URL", metavar="PATH|URL",
              help="The registry: a SQLite path, or a sqlite:/// or postgresql+psycopg:// URL "
                   "[env RENKEI_DATABASE_URL; default: renkei.sqlite3 in the user's data folder].")
@click.option("--lang", type=click.Choice(["ja", "en"], case_sensitive=False), envvar="RENKEI_LANG",
              help="The language of reports, reasons and errors [env RENKEI_LANG; default: ja].")
@click.pass_context
def cli(ctx: click.Context, db: str | None, lang: str | None) -> None:
    """renkei: the registry of partnerships between Tokyo's 23 special wards and
    local governments across Japan (特別区全国連携プロジェクト).

    \b
    Examples:
      renkei resolve 亶理町 --prefecture 宮城県
      echo '{"name": "飯館村", "prefecture": "福島県"}' | renkei resolve --jsonl
      renkei import 一覧.xlsx --note 令和8年版 && renkei diff
    """
    from . import i18n

    token = i18n.set_language(lang)
    ctx.call_on_close(lambda: i18n.reset_language(token))
    ctx.obj = {"db": db}


FORMAT_CHOICE = click.Choice(["tsv", "csv", "txt", "xlsx", "xls", "pdf"])


def fail(message: str, code: int = 2) -> NoReturn:
    """One clear line on stderr and an exit status; tracebacks are for bugs only."""
    from .i18n import _

    click.echo(_("エラー：{message}").format(message=message), err=True)
    sys.exit(code)


def parse_as_of(value: str | None, hint: str = "--as-of") -> str | None:
    from .documents.wareki import parse as parse_date

    if not value:
        return None
    iso = parse_date(value)
    if not iso:
        raise click.BadParameter(f"not a date: {value}", param_hint=hint)
    return iso


def open_registry(ctx: click.Context, *, seed: bool = True) -> Registry:
    """The registry of ``--db``: created (and seeded) if the database is empty, never migrated (see
    :mod:`renkei.registry.database`). Every refusal is one line: a missing database setting or a
    schema that is not this code's exits 2, naming what to do."""
    from .registry import Registry, RegistryError, database

    try:
        return Registry.open(ctx.obj.get("db") if ctx.obj else None, seed=seed)
    except RegistryError as exc:
        fail(str(exc), 1)
    except (database.DatabaseNotConfigured, database.SchemaMismatch) as exc:
        fail(str(exc), 2)
    except Exception as exc:  # a database that cannot be reached: one line, not a traceback
        unreachable(exc)


def unreachable(exc: Exception) -> NoReturn:
    """A database error as one line (exit 2) when it means the database cannot be reached; otherwise a bug."""
    if exc.__class__.__module__.startswith(("sqlalchemy", "psycopg", "sqlite3")):
        from .i18n import _

        fail(_("レジストリを開けません（{detail}）").format(
            detail=f"{exc.__class__.__name__}: {(str(exc).splitlines() or [''])[0]}"))
    raise exc


@contextmanager
def refusals() -> Iterator[None]:
    from .documents import DocumentError
    from .registry import RegistryError

    try:
        yield
    except DocumentError as exc:
        fail(str(exc), 2)
    except RegistryError as exc:
        fail(str(exc), 1)


@contextmanager
def progress_bar(label: str, show: bool) -> Iterator[Callable[[int], None] | None]:
    """A rich progress bar on stderr for long imports (rows done; the total is not known up front)."""
    if not show:
        yield None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    with Progress(SpinnerColumn(), TextColumn(label), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task(label, total=None)
        yield lambda done: bar.update(task, completed=done)


def output_file(path: str) -> str:
    """``path``, checked as an output file before any work is done (exit 2 with one line if it cannot be one).

    Its folder must exist and be writable; it must not be a folder, nor a symbolic link that points
    nowhere (writing through it would create a file somewhere else, or fail half-way).
    """
    from pathlib import Path

    from .i18n import _

    target = Path(path)
    _refuse_dangling(target)
    if target.is_dir():
        fail(_("{path} はフォルダです。出力するファイルの名前を指定してください").format(path=path))
    folder = target.parent
    if not folder.is_dir():
        fail(_("出力先のフォルダ {folder} がありません").format(folder=folder))
    if not os.access(folder, os.W_OK) or (target.exists() and not os.access(target, os.W_OK)):
        fail(_("{path} に書き込めません（権限がありません）").format(path=path))
    return path


def output_folder(path: str) -> str:
    """``path``, checked as an output folder: it may not exist yet, but must not be a file or a dangling link."""
    from pathlib import Path

    from .i18n import _

    target = Path(path)
    _refuse_dangling(target)
    if target.exists() and not target.is_dir():
        fail(_("{path} はフォルダではありません").format(path=path))
    return path


def _refuse_dangling(target: Path) -> None:
    from .i18n import _

    if target.is_symlink() and not target.exists():
        fail(_("{path} はリンク先のないシンボリックリンクです。別の出力先を指定してください").format(path=target))


@contextmanager
def writing(path: str) -> Iterator[None]:
    """An error of the file system while writing ``path`` (a full disk, a folder gone) → one line, exit 2."""
    from .i18n import _

    try:
        yield
    except OSError as exc:
        fail(_("{path} に書き込めません（{reason}）").format(path=path, reason=exc.strerror or type(exc).__name__))
