"""Commands over the registry's data as a whole: export, backup, load (``db`` itself is in :mod:`renkei.cli_ops`).

Thin: each opens the registry, calls one function, and prints. Refusals print one line and exit 1;
unreadable files exit 2.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from .cli_common import cli, open_registry, output_file, refusals, writing
from .i18n import _


@cli.command()
@click.option("--format", "fmt", type=click.Choice(["json", "sqlite"]), default="json", show_default=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write here (JSON goes to stdout by default).")
@click.pass_context
def export(ctx: click.Context, fmt: str, output: str | None) -> None:
    """The registry's public data, as JSON or as a SQLite file: no accounts, password hashes, sessions,
    audit log or people's names (who imported or edited what). For a full backup use `renkei backup`.

    \b
    Examples:
      renkei export > renkei.json
      renkei export --format sqlite -o renkei.sqlite3
    """
    from .registry.backup import export_sqlite, write_public_json

    if fmt == "sqlite":
        if not output:
            raise click.UsageError("--format sqlite needs -o FILE")
        output_file(output)
        reg = open_registry(ctx)
        with writing(output):
            counts = export_sqlite(reg, output)
        click.echo(f"{output}：" + "、".join(f"{k} {v}" for k, v in counts.items() if v))
        return
    if output:
        output_file(output)
    reg = open_registry(ctx)
    if output:
        with writing(output), Path(output).open("w", encoding="utf-8") as fh:
            write_public_json(reg, fh)
    else:
        write_public_json(reg, sys.stdout)


@cli.command()
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False), help="The backup file.")
@click.option("--format", "fmt", type=click.Choice(["json", "sqlite"]), default="json", show_default=True)
@click.pass_context
def backup(ctx: click.Context, output: str, fmt: str) -> None:
    """A full backup, accounts and audit log included. SECRET: it holds password hashes and people's names;
    the file is created readable by its owner only (mode 0600). Restore it with `renkei load`.

    \b
    Examples:
      renkei backup -o renkei-backup.json
      renkei backup --format sqlite -o renkei-backup.sqlite3
    """
    from .registry.backup import write_backup

    output_file(output)
    reg = open_registry(ctx)
    with writing(output):
        counts = write_backup(reg, output, fmt)
    click.echo(_("{file}（秘密：アカウントを含む。所有者のみ読み取り可 0600）: {counts}").format(
        file=output, counts=", ".join(f"{k} {v}" for k, v in counts.items() if v)))


@cli.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--replace", is_flag=True, help="Replace everything already in the registry.")
@click.pass_context
def load(ctx: click.Context, file: str, replace: bool) -> None:
    """Restore a backup made by `renkei backup` (or the public data of `renkei export`), JSON or SQLite.

    \b
    Examples:
      renkei --db new.sqlite3 load backup.json
      renkei load renkei.sqlite3 --replace
    """
    from .registry.backup import load_sqlite

    reg = open_registry(ctx, seed=False)
    with refusals():
        with Path(file).open("rb") as fh:
            sqlite = fh.read(16).startswith(b"SQLite format 3")
        if sqlite:
            counts = load_sqlite(reg, file, replace=replace)
        else:
            try:
                data = json.loads(Path(file).read_text(encoding="utf-8"))
            except (UnicodeDecodeError, ValueError) as exc:
                from .documents import DocumentError

                raise DocumentError(_("JSON のバックアップではありません"), file=file, detail=str(exc)) from exc
            counts = reg.load(data, replace=replace)
    click.echo("、".join(f"{k} {v}" for k, v in counts.items() if v))
