"""Registry commands: import, derive, snapshots, show, review, diff, export, backup, load.

Thin: each opens the registry (migrating it and importing the embedded list on first
use), calls one method, and prints. Refusals print one line and exit 1; unreadable
files exit 2.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from .cli_common import (
    FORMAT_CHOICE,
    cli,
    fail,
    open_registry,
    output_file,
    output_folder,
    parse_as_of,
    progress_bar,
    refusals,
    writing,
)
from .directory import KIND_LABELS
from .i18n import _, gettext
from .reports import STATUS_LABELS, label

if TYPE_CHECKING:
    from .registry import Registry
    from .registry.accounts import Account


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


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="JSON instead of a table (a stable contract).")
@click.pass_context
def snapshots(ctx: click.Context, as_json: bool) -> None:
    """List every snapshot, drafts and withdrawn ones included, by as-of date.

    --json prints an array of objects with the keys id, as_of, kind, state
    (draft | published | withdrawn), label, source, note, declared, listed, partners
    and review, then edition, revises, superseded_by, file, sha256, format, title,
    imported_at, imported_by, published_at, published_by, withdrawn_at, withdrawn_by
    and withdrawn_reason.

    \b
    Examples:
      renkei snapshots
      renkei snapshots --json | jq '.[] | select(.state == "published") | .label'
    """
    reg = open_registry(ctx)
    snaps = reg.snapshots()
    if as_json:
        click.echo(json.dumps([s.as_dict() for s in snaps], ensure_ascii=False, indent=2))
        return
    from .textfmt import table

    click.echo(table(["id", _("状態"), _("版"), _("種類"), _("記載件数"), _("掲載"), _("連携先"), _("要確認"),
                      _("ファイル"), _("注記")],
                     [(s.id, state_text(s), s.label, s.kind, s.declared, s.listed, s.partners, s.needs_review,
                       s.file, s.note) for s in snaps]))


def state_text(s) -> str:  # type: ignore[no-untyped-def]
    """The state in words, or 「#N で差し替え済み」 for a published edition that a revision replaced."""
    from .registry.snapshots import STATE_NAMES

    if s.state == "published" and s.superseded_by:
        return _("#{id} で差し替え済み").format(id=s.superseded_by)
    return gettext(STATE_NAMES[s.state])


@cli.command()
@click.argument("query")
@click.option("--json", "as_json", is_flag=True, help="JSON instead of text.")
@click.pass_context
def show(ctx: click.Context, query: str, as_json: bool) -> None:
    """Where a prefecture, a local government or a ward appears: snapshots, wards and projects.

    QUERY is a prefecture (宮城県, 04), a name (亘理町, even misspelt), or a code (043613).

    \b
    Examples:
      renkei show 宮城県
      renkei show 亶理町
      renkei show 131032
    """
    reg = open_registry(ctx)
    with refusals():
        found = reg.show(query)
    if as_json:
        click.echo(json.dumps(found, ensure_ascii=False, indent=2))
        return
    from .textfmt import table

    if found["type"] == "prefecture":
        click.echo(_("{name}（{code}）：地方公共団体 {n}").format(name=found["name"], code=found["code"],
                                                           n=found["local_governments"]))
        click.echo(table([_("スナップショット"), _("時点"), _("記載件数"), _("連携先")],
                         [(s["snapshot"], s["as_of"], s["declared"], s["partners"]) for s in found["snapshots"]]))
        names = "、".join(p["name"] for p in found["partners"])
        click.echo(_("最新のスナップショットの連携先：{names}").format(names=names or "-"))
        return
    kind = label(KIND_LABELS, found["kind"])
    click.echo(f"{found['name']}（{found['kana']}）{found['code']}：{found['prefecture']}、{kind}")
    if found["resolved_from"]:
        r = found["resolved_from"]
        click.echo(f"  「{r['input']}」→ {r['name']}：{label(STATUS_LABELS, r['status'])} {r['reason'] or ''}")
    if found["url"]:
        click.echo(f"  {found['url']}")
    click.echo(table([_("スナップショット"), _("時点"), _("記載"), _("判定"), _("セル")],
                     [(s["snapshot"], s["as_of"], s["written"], label(STATUS_LABELS, s["status"]), s["cell"])
                      for s in found["snapshots"]])
               if found["snapshots"] else "  " + _("どのスナップショットにも掲載されていません"))
    if found["wards"]:
        click.echo(_("区：{wards}").format(wards="、".join(w["name"] for w in found["wards"])))
    for p in found["projects"]:
        wards = "・".join(w["name"] for w in p["wards"])
        click.echo(f"  [{p['fiscal_year'] or '-'}] #{p['id']} {p['title']} ({p['field'] or '-'}; {wards})")


@cli.command()
@click.option("--accept", "accepts", multiple=True, metavar="N",
              help="Accept the suggested correction of item N (repeatable; 'all' for every correction).")
@click.option("--choose", "chooses", multiple=True, metavar="N=CODE",
              help="Resolve item N to CODE: one of its candidates, or any code (repeatable).")
@click.option("--reject", "rejects", multiple=True, metavar="N",
              help="Item N is not a local government: it is kept as written, with no partner.")
@click.option("-i", "--interactive", is_flag=True, help="Go through the items one by one.")
@click.option("--force", is_flag=True,
              help="Record a code outside the item's prefecture that is not among its candidates (noted).")
@click.option("--decisions", "list_decisions", is_flag=True, help="List the decisions recorded so far.")
@click.option("--undo", "undo", type=int, metavar="ID", help="Undo decision ID (see --decisions).")
@click.option("--by", "actor", help="Who decides [default: $RENKEI_USER or the login name].")
@click.option("--json", "as_json", is_flag=True, help="List the items (or, with --decisions, the decisions) as JSON.")
@click.pass_context
def review(ctx: click.Context, accepts: tuple[str, ...], chooses: tuple[str, ...], rejects: tuple[str, ...],
           interactive: bool, force: bool, list_decisions: bool, undo: int | None, actor: str | None,
           as_json: bool) -> None:
    """List the names of the drafts that need review, and decide them.

    A decision is stored for the (prefecture, written name) and applied to every
    draft, and again at every later import: nobody reviews the same typo twice.
    Published editions never change: correct one with `renkei revise N`.

    A code must belong to the item's prefecture or be one of its candidates; any
    other code is refused (exit 2, nothing recorded) unless --force, which records
    it with a note.

    \b
    Examples:
      renkei review                       # numbered list with candidates
      renkei review --accept 1 --accept 3
      renkei review --accept all          # every 'corrected' and 'merged' suggestion
      renkei review --choose 2=043613
      renkei review -i
      renkei review --decisions --json
      renkei review --undo 4
    """
    from .registry.reviews import typed_code

    reg = open_registry(ctx)
    if list_decisions:
        _print_decisions(reg.decisions(), as_json)
        return
    if undo is not None:
        with refusals():
            reverted = reg.undo_decision(undo, actor=actor)
        click.echo(_("判断 #{id} を取り消しました（下書きの{n}件を元に戻しました）").format(id=undo, n=reverted))
        return
    items = reg.review_queue()
    decided = 0
    with refusals():
        if accepts or chooses or rejects:
            pick = _picker(items)
            choices = []
            for spec in chooses:  # every choice is checked before anything is recorded
                key, _sep, code = spec.partition("=")
                item, code = pick(key), typed_code(code) or ""  # 5 digits: the check digit is added
                refusal = reg.decision_refusal(item.pref_code, item.written, code)
                if refusal and not force:
                    fail(_("{reason}。記録するには --force を付けてください").format(reason=refusal), 2)
                choices.append((item, code))
            for key in accepts:
                targets = [i for i in items if i.code] if key == "all" else [pick(key)]
                for item in targets:
                    if not item.code:
                        fail(f"item {key} ({item.written}) has no suggestion; use --choose {key}=CODE", 1)
                    decided += reg.decide(item.pref_code, item.written, code=item.code, action="accept", actor=actor)
            for item, code in choices:
                action = "choose" if any(c["code"] == code for c in item.candidates) else "manual"
                decided += reg.decide(item.pref_code, item.written, code=code, action=action, actor=actor,
                                      force=force)
            for key in rejects:
                item = pick(key)
                decided += reg.decide(item.pref_code, item.written, code=None, action="reject", actor=actor)
            click.echo(_("{n}件を更新しました。要確認の名称はあと {left}件です").format(n=decided,
                                                                          left=len(reg.review_queue())))
            return
        if interactive:
            _interactive(reg, items, actor)
            return
    if as_json:
        click.echo(json.dumps([{"item": n, "prefecture": i.prefecture, "pref_code": i.pref_code,
                                "written": i.written, "status": i.status, "code": i.code, "name": i.name,
                                "reason": i.reason, "candidates": i.candidates,
                                "occurrences": [{"snapshot": s, "cell": c} for s, c in i.occurrences]}
                               for n, i in enumerate(items, 1)], ensure_ascii=False, indent=2))
        return
    if not items:
        click.echo(_("要確認の名称はありません"))
        return
    for n, i in enumerate(items, 1):
        where = ", ".join(f"#{s} {c}" for s, c in i.occurrences)
        suggestion = f"→ {i.name} ({i.code})" if i.code else "→ ?"
        click.echo(f"{n:>3}. {i.prefecture}「{i.written}」 {suggestion}  [{label(STATUS_LABELS, i.status)}] {i.reason}"
                   f"  （{where}）")
        for c in i.candidates[:5]:
            click.echo(f"       {c['code']} {c['prefecture']}{c['name']} {c['score']:.2f}")
    sys.exit(1)


def _print_decisions(rows: list[dict], as_json: bool) -> None:
    """``renkei review --decisions``: id, prefecture, written, action, code, name, who, when, note, undone."""
    if as_json:
        keys = ("id", "pref_code", "prefecture", "written", "action", "code", "name", "decided_by", "decided_at",
                "note", "undone_at", "undone_by")
        click.echo(json.dumps([{k: r[k] for k in keys} for r in rows], ensure_ascii=False, indent=2))
        return
    if not rows:
        click.echo(_("判断はまだありません"))
        return
    from .textfmt import table

    click.echo(table(["id", "prefecture", "written", "action", "code", "name", "by", "at", "note"],
                     [(r["id"], r["prefecture"], r["written"], r["action"] + (" (undone)" if r["undone_at"] else ""),
                       r["code"] or "-", r["name"] or "-", r["decided_by"], (r["decided_at"] or "")[:16],
                       r["note"] or "") for r in rows]))


def _picker(items):  # type: ignore[no-untyped-def]
    from .registry import RegistryError

    def pick(key: str):  # type: ignore[no-untyped-def]
        if not key.strip().isdigit() or not 1 <= int(key) <= len(items):
            raise RegistryError(_("要確認の項目「{key}」はありません。renkei review の番号は 1〜{n} です").format(
                key=key, n=len(items)))
        return items[int(key) - 1]

    return pick


def _interactive(reg, items, actor: str | None) -> None:  # type: ignore[no-untyped-def]
    from .registry.reviews import typed_code

    for n, i in enumerate(items, 1):
        click.echo(f"\n{n}/{len(items)} {i.prefecture}「{i.written}」 [{label(STATUS_LABELS, i.status)}] {i.reason}")
        for k, c in enumerate(i.candidates[:9], 1):
            click.echo(f"  {k}. {c['code']} {c['prefecture']}{c['name']} {c['score']:.2f}")
        answer = click.prompt(_("a=訂正を採用、1-9=候補、c=コードを入力、r=却下、s=飛ばす、q=終了"),
                              default="a" if i.code else "s").strip()
        if answer == "q":
            break
        if answer == "a" and i.code:
            reg.decide(i.pref_code, i.written, code=i.code, action="accept", actor=actor)
        elif answer.isdigit() and 1 <= int(answer) <= len(i.candidates[:9]):
            reg.decide(i.pref_code, i.written, code=i.candidates[int(answer) - 1]["code"], action="choose",
                       actor=actor)
        elif answer == "c":
            reg.decide(i.pref_code, i.written, code=typed_code(click.prompt("code")), action="manual", actor=actor)
        elif answer == "r":
            reg.decide(i.pref_code, i.written, code=None, action="reject", actor=actor)


@cli.command()
@click.argument("a", required=False)
@click.argument("b", required=False)
@click.option("--json", "fmt", flag_value="json", help="JSON.")
@click.option("--csv", "fmt", flag_value="csv", help="CSV, one row per change.")
@click.option("--markdown", "fmt", flag_value="markdown", help="Markdown (Japanese headings).")
@click.option("--html", "html_path", type=click.Path(dir_okay=False), help="Also write an HTML report here.")
@click.option("--xlsx", "xlsx_path", type=click.Path(dir_okay=False), help="Also write an XLSX report here.")
@click.pass_context
def diff(ctx: click.Context, a: str | None, b: str | None, fmt: str | None, html_path: str | None,
         xlsx_path: str | None) -> None:
    """What changed between snapshots A and B (default: the last two).

    A and B are snapshot ids (3 or #3), as-of dates (2025-08-01, 令和7年8月1日), or
    'latest' / 'previous'.

    \b
    Examples:
      renkei diff
      renkei diff 1 2 --markdown > 差分.md
      renkei diff 2024-08-01 2025-08-01 --csv > diff.csv
      renkei diff --html 差分.html --xlsx 差分.xlsx
    """
    from .reports import diff as render

    reg = open_registry(ctx)
    with refusals():
        d = reg.diff(a, b)
    out = {"json": render.json_text, "csv": render.csv_text, "markdown": render.markdown}.get(fmt or "", render.text)
    click.echo(out(d), nl=fmt != "csv")
    if html_path:
        Path(html_path).write_text(render.html(d), encoding="utf-8")
    if xlsx_path:
        Path(xlsx_path).write_bytes(render.xlsx(d))


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

    if fmt == "sqlite" and not output:
        raise click.UsageError("--format sqlite needs -o FILE")
    if output:
        output_file(output)
    reg = open_registry(ctx)
    if fmt == "sqlite":
        with writing(output):
            counts = export_sqlite(reg, output)
        click.echo(f"{output}：" + "、".join(f"{k} {v}" for k, v in counts.items() if v))
        return
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


@cli.command()
@click.option("--snapshot", "snapshot", help="Snapshot id or as-of date [default: the latest].")
@click.option("--out", "out", default="dist", show_default=True, type=click.Path(file_okay=False))
@click.option("--format", "formats", multiple=True, metavar="FORMAT",
              help="One or more of: tsv csv html xlsx pdf (the official table); opendata json geojson coverage "
                   "entries; map-prefectures map-coverage map-municipalities; datapackage [default: all].")
@click.option("--encoding", default="utf-8", show_default=True, type=click.Choice(["utf-8", "cp932"]),
              help="CSV/TSV encoding: UTF-8 with BOM, or CP932 (Windows-31J) for older Excel. A name CP932 "
                   "cannot hold (𠮷) stops the run before anything is written.")
@click.option("--no-png", is_flag=True, help="Maps as SVG only.")
@click.option("--ward", "wards", multiple=True, help="Also draw this ward's map of partners (repeatable).")
@click.pass_context
def publish(ctx: click.Context, snapshot: str | None, out: str, formats: tuple[str, ...], encoding: str,
            no_png: bool, wards: tuple[str, ...]) -> None:
    """Write the official table, open data and maps for one snapshot.

    The official table (特別区連携自治体数一覧) comes in its own layout as XLSX (A4 landscape,
    print-ready), PDF (IPAex Gothic embedded), HTML, TSV and CSV. Open data: one row per
    partner with codes, kana, type and office location (CSV, JSON, GeoJSON), a coverage
    table, the official table in tidy long form (entries: one row per written name), and
    datapackage.json (Frictionless) with the licence, sources, schemas and hashes.

    All or nothing: the files are made in a temporary folder and moved into --out only
    when every one of them is made.

    \b
    Examples:
      renkei publish --out dist/
      renkei publish --format xlsx --format pdf --snapshot 2025-08-01
      renkei publish --format opendata --encoding cp932
      renkei publish --format map-prefectures --ward 港区
    """
    from .publish import FORMATS
    from .publish import publish as run

    bad = [f for f in formats if f not in FORMATS]
    if bad:
        raise click.BadParameter(f"{', '.join(bad)}; choose from {', '.join(FORMATS)}", param_hint="--format")
    output_folder(out)
    reg = open_registry(ctx)
    with refusals(), writing(out):
        try:
            paths = run(reg, out, formats or None, snapshot, encoding=encoding, png=not no_png, wards=wards)
        except ValueError as exc:
            fail(str(exc), 1)
    for path in paths:
        click.echo(str(path))


@cli.group()
def user() -> None:
    """Accounts of the signed-in area: list, add, set, disable, enable, remove, passwd.

    Passwords: at least 12 characters, not the username, not a common or easily guessed
    password (checked with zxcvbn). Changes are recorded in the audit log under $RENKEI_USER
    (or your login name).
    """


def _password(password: str | None) -> str:
    from .i18n import _

    return password or click.prompt(_("パスワード"), hide_input=True, confirmation_prompt=True)


def _actor() -> str:
    from .registry.base import default_actor

    return default_actor()


@user.command("add")
@click.argument("username")
@click.option("--role", type=click.Choice(["admin", "ward", "viewer"]), required=True,
              help="admin: the secretariat; ward: one ward's editor (needs --ward); viewer: read only.")
@click.option("--ward", help="The ward of a ward editor, e.g. 港区.")
@click.option("--name", "display_name", default="", help="The name shown in the UI and the audit log.")
@click.option("--password", envvar="RENKEI_PASSWORD", help="[default: prompt; env RENKEI_PASSWORD]")
@click.pass_context
def user_add(ctx: click.Context, username: str, role: str, ward: str | None, display_name: str,
             password: str | None) -> None:
    """Create an account (the password is stored as an argon2id hash).

    \b
    Examples:
      renkei user add jimukyoku --role admin
      renkei user add minato1 --role ward --ward 港区 --name "港区 担当"
    """
    from .i18n import _
    from .registry import accounts

    reg = open_registry(ctx)
    with refusals():
        account = accounts.add_user(reg, username, _password(password), role, ward, display_name, actor=_actor())
    click.echo(_("アカウント {username} を作成しました（{role}）").format(username=account.username,
                                                                   role=_account_role(reg, account)))


def _account_role(reg: Registry, account: Account) -> str:
    """「区の担当者・港区」: the role in words, with the ward of a ward editor."""
    from .registry import accounts

    ward = reg.directory.get(account.ward_code) if account.ward_code else None
    return accounts.role_text(account.role) + (f"・{ward.name}" if ward else "")


@user.command("set")
@click.argument("username")
@click.option("--role", type=click.Choice(["admin", "ward", "viewer"]),
              help="The new role (a ward editor needs a ward; an admin or a viewer has none).")
@click.option("--ward", help="The ward of a ward editor, e.g. 港区 [default: keep it if the role takes one].")
@click.option("--display-name", "display_name", help="The name shown in the UI and the audit log.")
@click.pass_context
def user_set(ctx: click.Context, username: str, role: str | None, ward: str | None,
             display_name: str | None) -> None:
    """Change an account's role, ward or display name (audited, with only what changed).

    \b
    Examples:
      renkei user set minato1 --display-name "港区 企画課"
      renkei user set sato --role ward --ward 港区
      renkei user set sato --role viewer          # its ward is dropped
    """
    from .i18n import _
    from .registry import accounts

    if role is None and ward is None and display_name is None:
        raise click.UsageError(_("--role、--ward、--display-name のどれかを指定してください"))
    reg = open_registry(ctx)
    with refusals():
        account = accounts.set_user(reg, username, role=role, ward=ward, display_name=display_name,
                                    actor=_actor())
    click.echo(_("アカウント {username} を変更しました（{role}、表示名「{name}」）").format(
        username=account.username, role=_account_role(reg, account), name=account.display_name))


@user.command("list")
@click.option("--json", "as_json", is_flag=True, help="A JSON array of accounts.")
@click.pass_context
def user_list(ctx: click.Context, as_json: bool) -> None:
    """List the accounts (never their password hashes)."""
    from .i18n import _
    from .registry import accounts
    from .textfmt import table

    reg = open_registry(ctx)
    found = accounts.users(reg)
    if as_json:
        click.echo(json.dumps([{"id": a.id, "username": a.username, "role": a.role, "ward": a.ward_code,
                                "name": a.display_name, "disabled": a.disabled} for a in found],
                              ensure_ascii=False, indent=1))
        return
    click.echo(table(["id", _("ユーザー名"), _("役割"), _("区"), _("表示名"), _("状態")],
                     [(a.id, a.username, a.role, a.ward_code, a.display_name, _("無効") if a.disabled else _("有効"))
                      for a in found]))


@user.command("disable")
@click.argument("username")
@click.pass_context
def user_disable(ctx: click.Context, username: str) -> None:
    """Disable an account: it cannot sign in, and its open sessions end at once."""
    from .i18n import _
    from .registry import accounts

    reg = open_registry(ctx)
    with refusals():
        accounts.set_disabled(reg, username, True, actor=_actor())
    click.echo(_("アカウント {username} を無効にしました").format(username=username))


@user.command("enable")
@click.argument("username")
@click.pass_context
def user_enable(ctx: click.Context, username: str) -> None:
    """Enable a disabled account again."""
    from .i18n import _
    from .registry import accounts

    reg = open_registry(ctx)
    with refusals():
        accounts.set_disabled(reg, username, False, actor=_actor())
    click.echo(_("アカウント {username} を有効にしました").format(username=username))


@user.command("remove")
@click.argument("username")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@click.pass_context
def user_remove(ctx: click.Context, username: str, yes: bool) -> None:
    """Delete an account and its sessions. The audit log keeps its name on what it did."""
    from .i18n import _
    from .registry import accounts

    if not yes:
        click.confirm(_("アカウント {username} を削除しますか？").format(username=username), abort=True)
    reg = open_registry(ctx)
    with refusals():
        accounts.remove_user(reg, username, actor=_actor())
    click.echo(_("アカウント {username} を削除しました").format(username=username))


@user.command("passwd")
@click.argument("username")
@click.option("--password", envvar="RENKEI_PASSWORD", help="[default: prompt; env RENKEI_PASSWORD]")
@click.pass_context
def user_passwd(ctx: click.Context, username: str, password: str | None) -> None:
    """Set a new password; the account's open sessions end."""
    from .i18n import _
    from .registry import accounts

    reg = open_registry(ctx)
    with refusals():
        accounts.set_password(reg, username, _password(password), actor=_actor())
    click.echo(_("アカウント {username} のパスワードを変更しました").format(username=username))


@cli.command("build-site")
@click.argument("out", type=click.Path(file_okay=False))
@click.pass_context
def build_site_command(ctx: click.Context, out: str) -> None:
    """Write the whole public site as static files into OUT (any web server or CDN can serve it).

    Pages, JSON and CSV for the latest snapshot, every download of every snapshot, the
    SQLite file, and a browser-side search. The dynamic server remains for the editing area.

    \b
    Example:
      renkei build-site public/ && python -m http.server -d public
    """
    from .web.site import build_site

    reg = open_registry(ctx)
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(TextColumn("building"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task("site", total=None)
        paths = build_site(reg, out, progress=lambda done, total: bar.update(task, completed=done, total=total))
    size = sum(p.stat().st_size for p in Path(out).rglob("*") if p.is_file())
    click.echo(_("{out}：{n}ファイル、{size:.1f} MB").format(out=out, n=len(paths), size=size / 1e6))
