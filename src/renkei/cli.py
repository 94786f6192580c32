"""The ``renkei`` command: a thin click layer over the Python API.

Each command parses options, calls the API, and prints. Heavy modules are
imported inside the commands so that ``renkei --help`` stays fast.
"""

from __future__ import annotations

import gc
import json
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING

import click

from .cli_common import FORMAT_CHOICE, cli, fail, output_folder, parse_as_of, writing
from .seed import default_list_path

if TYPE_CHECKING:
    from .reasons import Reason
    from .resolve import Resolver

__all__ = ["FORMAT_CHOICE", "cli", "default_list_path", "fail", "main", "parse_as_of"]


@cli.command()
@click.argument("names", nargs=-1)
@click.option("-p", "--prefecture", help="Resolve within this prefecture (name, short name or code).")
@click.option("--jsonl", is_flag=True,
              help='Read {"name": ..., "prefecture": ...} per line on stdin; write one JSON object per line.')
@click.option("--list", "as_list", is_flag=True,
              help="Treat NAMES as one block of a published list (code order is used as evidence).")
@click.option("--as-of", "as_of", metavar="DATE",
              help="Resolve names as they stood on this date (ISO or 和暦), for old lists.")
def resolve(names: tuple[str, ...], prefecture: str | None, jsonl: bool, as_list: bool, as_of: str | None) -> None:
    """Map written names to official 全国地方公共団体コード, explaining each correction.

    \b
    Examples:
      renkei resolve 千代田区
      renkei resolve 亶理町 飯館村 --prefecture 宮城県
      renkei resolve --list -p 福島県 塙町 鮎川村 石川町
      printf '{"name":"美幌市","prefecture":"北海道"}\\n' | renkei resolve --jsonl
      renkei resolve 浦和市 --as-of 2000-04-01
      renkei resolve 城島町・三潴町

    Output keys with --jsonl (a stable contract): input, prefecture, status, code,
    name, reason, candidates [{code, name, prefecture, score}]; a line may also carry
    "as_of". A cell with several names gives status multiple and parts [one object
    per name, with the same keys].
    Statuses: exact, normalized, variant, corrected, merged, ambiguous, unresolved, multiple.
    """
    from .resolve import default_resolver

    iso = parse_as_of(as_of)
    resolver = default_resolver()
    if jsonl:
        _resolve_jsonl(resolver, iso)
        return
    if not names:
        raise click.UsageError("give one or more NAMES, or --jsonl to read from stdin")
    if as_list:
        results = resolver.resolve_list(list(names), prefecture, as_of=iso)
    else:
        results = [resolver.resolve(n, prefecture, as_of=iso) for n in names]
    from .i18n import _
    from .reports import STATUS_LABELS, label
    from .reports.text import candidates_text
    from .textfmt import table

    rows = []
    for r in results:
        rows.append((r.input, label(STATUS_LABELS, r.status), r.code, r.name, r.prefecture, r.reason or "-"))
        rows += [(f"  {p.input}", label(STATUS_LABELS, p.status), p.code, p.name, p.prefecture, p.reason or "-")
                 for p in r.parts]
    click.echo(table([_("記載"), _("判定"), _("コード"), _("正式名称"), _("都道府県"), _("理由")], rows))
    for r in results:
        if r.status in ("ambiguous", "unresolved") and r.candidates:
            click.echo("  " + _("{input}：候補：{candidates}").format(input=r.input,
                                                                  candidates=candidates_text(r.candidates)))


@cli.command()
@click.argument("file", required=False, type=click.Path(dir_okay=False))
@click.option("--default", "use_default", is_flag=True, help="Check the embedded 令和7年8月1日現在 list.")
@click.option("--format", "fmt", type=FORMAT_CHOICE, help="Force the format (sniffed from the bytes by default).")
@click.option("--encoding", help="Force the text encoding (utf-8, utf-8-sig, cp932, ...).")
@click.option("--as-of", "as_of", help="The as-of date (ISO or 和暦), overriding the title.")
@click.option("--since", help="Project templates: count projects active on or after this date.")
@click.option("--until", help="Project templates: count projects active on or before this date.")
@click.option("--json", "as_json", is_flag=True, help="Write the report as JSON (docs/check-json.md).")
@click.option("--html", "html_path", type=click.Path(dir_okay=False), help="Also write the report as HTML here.")
@click.option("--xlsx", "xlsx_path", type=click.Path(dir_okay=False), help="Also write the report as XLSX here.")
@click.option("--strict", is_flag=True, help="Warnings fail too (exit 1).")
def check(file: str | None, use_default: bool, fmt: str | None, encoding: str | None, as_of: str | None,
          since: str | None, until: str | None, as_json: bool, html_path: str | None, xlsx_path: str | None,
          strict: bool) -> None:
    """Validate a published list, or a project template, without writing anything.

    A project template (see `renkei template`) is checked as the summary list derived
    from it: the distinct partners per prefecture of the projects in the period.

    Exit status: 0 when nothing needs review, 1 when something does, 2 when the file
    cannot be read.

    \b
    Examples:
      renkei check --default
      renkei check 連携自治体一覧.xlsx --json > report.json
      renkei check 一覧.pdf --html report.html --xlsx report.xlsx
      renkei check list.csv --encoding cp932 --as-of 令和7年8月1日 --strict
      renkei check 連携事業.xlsx --since 2025-04-01 --until 2026-03-31
    """
    from pathlib import Path

    from .aggregate import read_list
    from .documents import DocumentError, NotOfficialLayout
    from .validate import check as run_check

    if not file and not use_default:
        raise click.UsageError("give a FILE, or --default for the embedded list")
    path = file or default_list_path()
    try:
        document = read_list(path, fmt, encoding, parse_as_of(as_of), parse_as_of(since, "--since"),
                            parse_as_of(until, "--until"))
    except NotOfficialLayout as exc:
        from .cli_reconcile import suggest_reconcile

        fail(suggest_reconcile(path, exc, encoding))
    except DocumentError as exc:
        fail(str(exc))
    report = run_check(document)
    if as_json:
        click.echo(json.dumps(report.as_dict(), ensure_ascii=False, indent=2))
    else:
        from .reports.text import render

        click.echo(render(report))
    if html_path:
        from .reports import html

        Path(html_path).write_text(html.render(report), encoding="utf-8")
    if xlsx_path:
        from .reports import xlsx

        Path(xlsx_path).write_bytes(xlsx.render(report))
    sys.exit(report.exit_code(strict))


@cli.command()
@click.argument("out", default=".", type=click.Path(file_okay=False))
def template(out: str) -> None:
    """Write the blank ward project template (XLSX and CSV) into OUT.

    Columns: 区, 連携先都道府県, 連携先, 事業名, 分野, 年度, 開始日, 終了日, 概要, 出典URL.
    Several wards or partners go in one cell, separated by 、 or ・. The XLSX has a
    記入方法 sheet and a drop-down for 分野. See docs/project-template.md.

    \b
    Examples:
      renkei template
      renkei template ~/Desktop/renkei
    """
    from .documents.projects import write_template

    output_folder(out)
    with writing(out):
        paths = write_template(out)
    for path in paths:
        click.echo(str(path))


def _write_refusal(out: Callable[[bytes], object], name: str | None, prefecture: object, reason: Reason) -> None:
    """A line of --jsonl for input that is not a name to resolve: the same keys, status unresolved."""
    import orjson

    from .resolve import reason_fields

    out(orjson.dumps({"input": name, "prefecture": prefecture, "status": "unresolved", "code": None,
                      "name": None, "reason": reason.text, "candidates": [], **reason_fields((reason,))},
                     option=orjson.OPT_APPEND_NEWLINE))


def _resolve_jsonl(resolver: Resolver, as_of: str | None) -> None:
    from . import reasons as R

    # UTF-8 bytes in and out, as orjson reads and writes them: no text layer to decode and encode every line
    # (and bytes that are not UTF-8 are a bad_json line, not a traceback).
    sys.stdout.flush()
    binary = getattr(sys.stdout, "buffer", None)
    out: Callable[[bytes], object] = (binary.write if binary is not None
                                      else (lambda data: sys.stdout.write(data.decode())))
    translate = R.translator()  # the language is read once for the whole stream
    gc.freeze()  # the directory and its indexes live to the end: the collector need not walk them again and again
    try:
        _answer_lines(resolver, as_of, out, translate)
    finally:
        gc.unfreeze()


def _answer_lines(resolver: Resolver, as_of: str | None, out: Callable[[bytes], object],
                  translate: Callable[[str], str]) -> None:
    """One line of --jsonl out for each line in."""
    import orjson  # several times faster than json on the stream's small objects; the same JSON, compact

    from . import reasons as R

    answered: dict[tuple[str, str | None, str | None], bytes] = {}  # streams repeat names: each is resolved once
    for lineno, line in enumerate(getattr(sys.stdin, "buffer", sys.stdin), 1):
        if not line.strip():
            continue
        try:
            item = orjson.loads(line)
            if not isinstance(item, dict) or not isinstance(item.get("name"), str):
                raise ValueError('expected an object with a string "name"')
            if isinstance(item.get("prefecture"), int) and not isinstance(item["prefecture"], bool):
                item["prefecture"] = str(item["prefecture"])  # a JIS code written as a number: 13
            if not isinstance(item.get("prefecture"), str | None):
                raise ValueError('expected "prefecture" to be a string or null')
        except ValueError as exc:
            _write_refusal(out, None, None, R.bad_json(lineno, str(exc)))
            continue
        date = as_of
        if item.get("as_of"):
            from .documents.wareki import parse as parse_date

            date = parse_date(str(item["as_of"]))
            if not date:
                _write_refusal(out, item["name"], item.get("prefecture"), R.bad_date(lineno, str(item["as_of"])))
                continue
        key = (item["name"], item.get("prefecture"), date)
        text = answered.get(key)
        if text is None:
            if len(answered) >= 100_000:  # bounded: the stream is an outsider's
                answered.clear()
            r = resolver.resolve(item["name"], item.get("prefecture"), as_of=date)
            text = answered[key] = orjson.dumps(r.as_dict(translate), option=orjson.OPT_APPEND_NEWLINE)
        out(text)


def main() -> None:
    cli(prog_name="renkei")


# The command modules register their commands on `cli`; each imports cli_common only.
from . import (  # noqa: E402, F401
    cli_db,
    cli_editions,
    cli_import,
    cli_ops,
    cli_reconcile,
    cli_review,
    cli_site,
    cli_snapshots,
    cli_users,
)

if __name__ == "__main__":
    main()
