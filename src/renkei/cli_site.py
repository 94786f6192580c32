"""Commands that write the public site: publish (the files of one edition) and build-site (``serve`` is in
:mod:`renkei.cli_ops`).

Thin: each opens the registry, then hands it to the publishing or web code.
"""

from __future__ import annotations

from pathlib import Path

import click

from .cli_common import cli, fail, open_registry, output_folder, refusals, writing
from .i18n import _


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
