"""`renkei reconcile`: codes for the name column of any table (a thin layer over renkei.reconcile)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from .cli_common import cli, fail, output_file, parse_as_of, writing
from .i18n import gettext as _

OUTPUT_FORMATS = ("csv", "tsv", "xlsx")


@cli.command()
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("-c", "--column", help="The column of names: its header text or its letter (A, B, …). "
                                      "Detected when omitted.")
@click.option("-p", "--prefecture-column", help="A column of prefectures (header or letter) that narrows each row. "
                                                "Detected when omitted.")
@click.option("--prefecture", "prefecture", help="One prefecture for every row (e.g. 福岡県), as /convert/ offers; "
                                                 "a row's own prefecture column wins.")
@click.option("--sheet", help="XLSX/XLS: the sheet, by name or number (default: the first with a name column).")
@click.option("--encoding", help="Force the text encoding (utf-8, utf-8-sig, cp932, ...); sniffed by default.")
@click.option("--as-of", "as_of", help="Resolve names as they stood on this date (ISO or 和暦), for old lists.")
@click.option("-o", "--output", "out", required=True, type=click.Path(dir_okay=False),
              help="Where to write: OUT.csv or OUT.tsv (UTF-8 with BOM) or OUT.xlsx (rows coloured by status).")
@click.option("--progress/--no-progress", default=None,
              help="Show a progress bar (default: when stderr is a terminal).")
def reconcile(file: str, column: str | None, prefecture_column: str | None, prefecture: str | None,
              sheet: str | None, encoding: str | None, as_of: str | None, out: str, progress: bool | None) -> None:
    """Add 全国地方公共団体コード to the column of local-government names of any table.

    Reads CSV/TSV (UTF-8, UTF-8 with BOM or CP932), XLSX or XLS, and writes every row and
    column unchanged, in order, plus: 全国地方公共団体コード, 正式名称, 都道府県（判定）, 判定 (the status
    in words), 判定コード (the status key), 理由 (reason) and 候補 (top candidates); a header the input
    already has gets a numeric suffix. The summary goes to stderr.

    Exit status as `renkei check`: 0 nothing to review, 1 something to review, 2 the file
    cannot be read.

    \b
    Examples:
      renkei reconcile 連携先.csv -o 連携先_コード付き.xlsx
      renkei reconcile 一覧.xlsx --sheet 2 --column 市区町村 --prefecture-column 都道府県 -o out.csv
      renkei reconcile old.csv --column C --as-of 2004-04-01 -o out.xlsx
      renkei reconcile 福岡県の協定.csv --prefecture 福岡県 -o out.csv
    """
    from dataclasses import replace

    from .documents import DocumentError
    from .documents.table import describe
    from .reports.table import open_planned, open_writer, write_reconciled
    from .resolve import default_resolver

    fmt = Path(out).suffix.lower().lstrip(".")
    if fmt not in OUTPUT_FORMATS:
        raise click.BadParameter(_("出力は .csv、.tsv、.xlsx のいずれかにしてください"), param_hint="-o")
    output_file(out)
    date = parse_as_of(as_of)
    resolver = default_resolver()
    every_row = resolver.prefecture_name(prefecture) if prefecture else None
    if prefecture and every_row is None:
        raise click.BadParameter(_("「{name}」は都道府県名ではありません").format(name=prefecture),
                                 param_hint="--prefecture")
    try:
        table, plan = open_planned(file, resolver, sheet=sheet, encoding=encoding, column=column,
                                   prefecture_column=prefecture_column)
    except DocumentError as exc:
        fail(describe(exc))
    plan = replace(plan, default_prefecture=every_row)
    where = _("{file}（シート「{sheet}」）").format(file=table.source, sheet=table.sheet) if table.sheet \
        else table.source
    click.echo(f"{where}: {plan.describe()}", err=True)
    show = sys.stderr.isatty() if progress is None else progress
    partial = Path(out).with_name(Path(out).name + ".part")
    with writing(out):  # a folder that vanished, a full disk: one line, exit 2
        try:
            bar = click.progressbar(length=table.height, label=_("照合中"), file=sys.stderr, hidden=not show,
                                    update_min_steps=500)
            with partial.open("wb") as target, bar:
                writer = open_writer(fmt, target, table.sheet)
                summary = write_reconciled(table, plan, resolver, writer, as_of=date,
                                           on_row=lambda _row: bar.update(1))
            partial.replace(out)  # all or nothing: a failed run leaves no half-written output
        except DocumentError as exc:
            partial.unlink(missing_ok=True)
            fail(describe(exc))
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
    click.echo(f"{where}: {summary.describe()} → {out}", err=True)
    sys.exit(summary.exit_code)


def suggest_reconcile(path: str, exc: Exception, encoding: str | None = None) -> str:
    """For `renkei check` on an ordinary table: say it is not the official layout and point to reconcile."""
    from .documents import DocumentError
    from .reconcile import letter
    from .reports.table import open_planned
    from .resolve import default_resolver

    where = path
    if isinstance(exc, DocumentError) and exc.sheet:
        where = _("{file}（シート「{sheet}」）").format(file=path, sheet=exc.sheet)
    text = _("{file}: 公表一覧の形式（見出し「都道府県｜自治体数｜連携事業を実施した区市町村名」）ではありません。")
    text = text.format(file=where)
    try:
        table, plan = open_planned(path, default_resolver(), encoding=encoding)
    except DocumentError:
        column, output = _("列"), _("出力.xlsx")
        return text + _("任意の表の自治体名にコードを付けるには: {command}").format(
            command=f"renkei reconcile {_quote(path)} --column {column} -o {output}")
    sheet = f" --sheet {_quote(table.sheet)}" if table.sheet and table.sheets.index(table.sheet) else ""
    column = _quote(plan.name.header or letter(plan.name.index))
    output = _("出力.xlsx")
    command = f"renkei reconcile {_quote(path)}{sheet} --column {column} -o {output}"
    return text + _("自治体名の列として {column} を検出しました。コードを付けるには: {command}").format(
        column=plan.name.label, command=command)


def _quote(text: str) -> str:
    """Quote for a shell only when needed: Japanese names stay readable."""
    import re
    import shlex

    return text if re.fullmatch(r"[^\s'\"$`\\|&;<>()*?!#~{}\[\]]+", text) else shlex.quote(text)
