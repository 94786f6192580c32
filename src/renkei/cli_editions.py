"""Edition commands: release (公表), withdraw (取り下げ), revise (訂正版の下書き), discard (下書きの破棄).

Who runs these is the secretariat: the CLI speaks for whoever holds the database, so it
acts as an admin. Each prints one line naming the snapshot and its label; refusals print
one line and exit 1.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from .cli_common import cli, open_registry, refusals
from .i18n import _

if TYPE_CHECKING:
    from .registry import Registry


@cli.command()
@click.argument("snapshot")
@click.option("--note", default=None, help="The public note of the edition (replaces the draft's note).")
@click.option("--source", default=None, metavar="URL", help="The address of the original publication.")
@click.option("--by", "actor", help="Who publishes it [default: $RENKEI_USER or the login name].")
@click.pass_context
def release(ctx: click.Context, snapshot: str, note: str | None, source: str | None, actor: str | None) -> None:
    """Publish draft SNAPSHOT: it becomes the next edition (第N版) of its as-of date.

    The public site, /api/v1, `renkei publish` and `renkei build-site` show the latest
    published edition by as-of date. A published edition never changes again (the
    database refuses it); correct it with `renkei revise`, or withdraw it.

    \b
    Examples:
      renkei release 2
      renkei release 2 --note "令和8年8月1日現在の公表一覧" --source https://example.jp/list.pdf
    """
    reg = open_registry(ctx)
    with refusals():
        s = reg.release(reg.snapshot_id(snapshot), actor=actor, note=note, source=source)
    if s.revises:
        click.echo(_("#{id} {label} を公表しました（#{original} を差し替え）").format(id=s.id, label=s.label,
                                                                          original=s.revises))
    else:
        click.echo(_("#{id} {label} を公表しました").format(id=s.id, label=s.label))


@cli.command()
@click.argument("snapshot")
@click.option("--reason", required=True, help="Why it is withdrawn (kept with it and shown in the history).")
@click.option("--by", "actor", help="Who withdraws it [default: $RENKEI_USER or the login name].")
@click.pass_context
def withdraw(ctx: click.Context, snapshot: str, reason: str, actor: str | None) -> None:
    """Withdraw published edition SNAPSHOT; the public sees the previous edition again.

    The edition stays on record, marked 取り下げ with the reason, who and when.

    \b
    Example:
      renkei withdraw 3 --reason "区の事業一覧を誤って公表したため"
    """
    reg = open_registry(ctx)
    with refusals():
        s = reg.withdraw(reg.snapshot_id(snapshot), reason=reason, actor=actor)
    click.echo(_("#{id} {label} を取り下げました（理由: {reason}）").format(id=s.id, label=s.label,
                                                                     reason=s.withdrawn_reason))
    _public_now(reg)


def _public_now(reg: Registry) -> None:
    """Say on stderr which edition the public sees now (stdout keeps its one line)."""
    from .registry import RegistryError

    try:
        now = reg.snapshot()
    except RegistryError:
        click.echo(_("公開ページに表示される公表済みの版はありません"), err=True)
        return
    click.echo(_("公開ページには #{id} {label} が表示されています").format(id=now.id, label=now.label), err=True)


@cli.command()
@click.argument("snapshot")
@click.option("--by", "actor", help="Who discards it [default: $RENKEI_USER or the login name].")
@click.pass_context
def discard(ctx: click.Context, snapshot: str, actor: str | None) -> None:
    """Delete draft SNAPSHOT (an upload that was a mistake, a trial derivation).

    Only a draft can be discarded: a published or withdrawn edition stays on record.
    Review decisions are kept. The deletion is in the audit log.

    \b
    Example:
      renkei discard 4
    """
    reg = open_registry(ctx)
    with refusals():
        s = reg.discard(reg.snapshot_id(snapshot), actor=actor)
    click.echo(_("下書き #{id} {label} を破棄しました").format(id=s.id, label=s.label))


@cli.command()
@click.argument("snapshot")
@click.option("--note", default="", help="The public note of the correction [default: the original's note].")
@click.option("--by", "actor", help="Who makes it [default: $RENKEI_USER or the login name].")
@click.pass_context
def revise(ctx: click.Context, snapshot: str, note: str, actor: str | None) -> None:
    """Make a draft copy of published edition SNAPSHOT, to correct it.

    Correct the draft (`renkei review`), then `renkei release` it: it supersedes the
    original, which stays on record; the diff between the two is public. Prints the
    new draft's id alone on stdout.

    \b
    Example:
      renkei revise 1 && renkei review
    """
    reg = open_registry(ctx)
    with refusals():
        s = reg.revise(reg.snapshot_id(snapshot), actor=actor, note=note)
    click.echo(s.id)
    click.echo(_("#{id} {label}: #{original} の訂正版の下書きを作りました。"
                 "`renkei release {id}` で公表すると #{original} を差し替えます").format(
        id=s.id, label=s.label, original=s.revises), err=True)
