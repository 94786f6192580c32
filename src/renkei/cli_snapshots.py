"""Commands that read the registry's lists: snapshots, show (a name or code across them) and diff.

Thin: each opens the registry, calls one method, and prints (text, or JSON as a stable contract).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import click

from .cli_common import cli, open_registry, refusals
from .directory import KIND_LABELS
from .i18n import _, gettext
from .reports import STATUS_LABELS, label

if TYPE_CHECKING:
    from .registry.snapshots import SnapshotInfo


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


def state_text(s: SnapshotInfo) -> str:
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
