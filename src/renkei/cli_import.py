"""Commands that bring a list into the registry: import (a published list or a project template) and derive.

Thin: each opens the registry (migrating it and importing the embedded list on first use), calls one method,
and prints. Refusals print one line and exit 1; unreadable files exit 2.
"""

from __future__ import annotations

from pathlib import Path

import click

from .cli_common import FORMAT_CHOICE, cli, open_registry, parse_as_of, progress_bar, refusals
from .i18n import _


@cli.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--format", "fmt", type=FORMAT_CHOICE, help="Force the format (sniffed by default).")
@click.option("--encoding", help="Force the text encoding.")
@click.option("--as-of", "as_of", help="The as-of date (ISO or 和暦), overriding the title. Lists only.")
@click.option("--note", default="", help="The public note of the edition (shown with it once published).")
@click.option("--source", "source", default="", metavar="URL", help="The address of the original publication.")
@click.option("--release", "release", is_flag=True, help="Publish the new snapshot at once (for scripts).")
@click.option("--by", "imported_by", help="Who imports it [default: $RENKEI_USER or the login name].")
@click.pass_context
def import_(ctx: click.Context, file: str, fmt: str | None, encoding: str | None, as_of: str | None,
            note: str, source: str, release: bool,
            imported_by: str | None) -> None:
    """Import a published list as a new draft snapshot, or a ward project template into the projects.

    Prints the new snapshot's id alone on stdout (the summary goes to stderr), so that
    `N=$(renkei import FILE)` works. The draft is not public: review it, then publish it
    with `renkei release N` (or give --release to publish at once).

    A list is validated as `renkei check` does; names decided earlier in `renkei review`
    are applied again. A project template only adds or changes projects (approved at once:
    the CLI is the secretariat's), never makes a list and never sets an as-of date: make
    the list with `renkei derive`. Every bad row of a template is reported at once, and
    nothing is written until the file is fixed. The import is one transaction.

    \b
    Examples:
      renkei import 特別区連携自治体数一覧_R8.xlsx --note 令和8年版
      renkei import list.csv --as-of 令和8年8月1日 --release
      renkei import 連携事業.xlsx
    """
    from .documents.classify import classify
    from .registry.changes import TemplateResult

    reg = open_registry(ctx)
    large = Path(file).stat().st_size > 256 * 1024
    kind = classify(file)  # once: the registry reads the file by its kind, never sniffing it again
    with refusals(), progress_bar("importing", large) as progress:
        result = reg.import_file(file, kind=kind, format=fmt, encoding=encoding, as_of=parse_as_of(as_of),
                                 note=note, imported_by=imported_by, progress=progress, source=source,
                                 release=release)
    if isinstance(result, TemplateResult):
        click.echo(_("連携事業：追加 {created}、変更 {updated}、変更なし {unchanged}（承認済み）。一覧の下書きは "
                     "`renkei derive --since 日付 --until 日付` で作ります").format(
            created=result.created, updated=result.updated, unchanged=result.unchanged))
        return
    s = result.snapshot
    t = result.report.totals
    click.echo(s.id)
    counts = {"id": s.id, "label": s.label, "partners": s.partners, "listed": t["listed"],
              "projects": result.projects, "review": s.needs_review, "reused": result.reused_decisions}
    if result.projects:
        summary = _("#{id} {label}: 連携自治体 {partners}、記載 {listed}件、事業 {projects}件、要確認 {review}件")
    else:
        summary = _("#{id} {label}: 連携自治体 {partners}、記載 {listed}件、要確認 {review}件")
    click.echo(summary.format(**counts), err=True)
    if result.reused_decisions:
        click.echo(_("以前の判断 {reused}件を適用しました").format(**counts), err=True)
    if s.needs_review and s.state == "draft":
        click.echo(_("`renkei review` で確認し、`renkei release {id}` で公表します").format(id=s.id), err=True)
    elif s.state == "draft":
        click.echo(_("`renkei release {id}` で公表します").format(id=s.id), err=True)


@cli.command()
@click.option("--since", required=True, help="Projects active on or after this date (ISO or 和暦).")
@click.option("--until", required=True, help="Projects active on or before this date.")
@click.option("--as-of", "as_of", help="The list's as-of date [default: --until].")
@click.option("--note", default="", help="A note stored with the draft.")
@click.option("--by", "actor", help="Who derives it [default: $RENKEI_USER or the login name].")
@click.pass_context
def derive(ctx: click.Context, since: str, until: str, as_of: str | None, note: str, actor: str | None) -> None:
    """Make a draft list from the approved projects active in a period.

    The list holds the distinct partners per prefecture of the approved, not deleted
    projects (pending changes are left out). It is a new snapshot: compare it with the
    last edition (`renkei diff`), review its names, then publish it.

    \b
    Examples:
      renkei derive --since 2025-04-01 --until 2026-03-31 --as-of 2026-08-01
      renkei derive --since 令和7年4月1日 --until 令和8年3月31日
    """
    reg = open_registry(ctx)
    with refusals():
        result = reg.derive(since=parse_as_of(since, "--since"), until=parse_as_of(until, "--until"),
                            as_of=parse_as_of(as_of), note=note, actor=actor)
    s = result.snapshot
    click.echo(_("スナップショット #{id}（{as_of}）：承認済みの連携事業から連携先 {partners}、要確認 {review}").format(
        id=s.id, as_of=s.as_of, partners=s.partners, review=s.needs_review))
    click.echo(_("前回の版との比較：`renkei diff previous {id}`").format(id=s.id))
