"""`renkei build-site`: the public site as static files, with every internal link resolving to a file."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest


@pytest.fixture(scope="module")
def built(tmp_path_factory, directory, resolver, make_fixtures):
    from click.testing import CliRunner

    from renkei.cli import cli
    from renkei.registry import Registry

    tmp = tmp_path_factory.mktemp("site")
    db = tmp / "site.sqlite3"
    reg = Registry.open(f"sqlite:///{db}", directory=directory, resolver=resolver, seed=False)
    grid = make_fixtures.published_grid([("宮城県", ["宮城県(県庁)", "仙台市", "亶理町"]), ("福島県", ["飯舘村"])])
    reg.import_file(make_fixtures.write_text(grid, tmp / "l.tsv", delimiter="\t", encoding="utf-8", newline="\n"),
                    release=True)
    reg.import_file(make_fixtures.write_projects(make_fixtures.project_grid(5, prefectures=7), tmp / "p.csv"),
                    release=True)
    later = make_fixtures.published_grid(  # the latest list, with prefectures (県庁) as partners
        [("北海道", ["北海道(道庁)", "夕張市"]), ("宮城県", ["宮城県(県庁)", "仙台市"])],
        "特別区連携自治体数一覧(令和9年8月1日現在)")
    reg.import_file(make_fixtures.write_text(later, tmp / "r9.tsv", delimiter="\t", encoding="utf-8", newline="\n"),
                    release=True)
    out = tmp / "public"
    result = CliRunner().invoke(cli, ["--db", str(db), "build-site", str(out)])
    assert result.exit_code == 0, result.output
    return out, reg


def _target(out: Path, href: str) -> Path:
    path = href.split("?")[0].split("#")[0]
    return out / (path.lstrip("/") + "index.html" if path.endswith("/") else path.lstrip("/"))


def test_every_internal_link_resolves(built):
    """A link check over the whole output: every href/src on every page, and every page the search index opens."""
    out, _ = built
    pages = list(out.rglob("*.html"))
    assert (out / "index.html").exists() and len(pages) > 80
    missing = set()
    for page in pages:
        for href in re.findall(r'(?:href|src)="(/[^"]*)"', page.read_text(encoding="utf-8")):
            if not _target(out, href).exists():
                missing.add(f"{page.relative_to(out)} → {href}")
    for entry in json.loads((out / "search" / "index.json").read_text(encoding="utf-8")):
        if not _target(out, entry["url"]).exists():
            missing.add(f"search/index.json → {entry['url']}")
    assert not missing, sorted(missing)[:20]
    hokkaido = (out / "pref/010006/index.html").read_text(encoding="utf-8")
    assert 'href="/gov/010006/"' in hokkaido and (out / "gov/010006/index.html").exists()  # the prefecture's own page
    assert (out / "favicon.ico").read_bytes().startswith(b"\x89PNG")


def test_static_pages_have_no_server_only_parts(built):
    out, _ = built
    top = (out / "index.html").read_text(encoding="utf-8")
    assert "snapshot-picker" not in top and 'href="/login"' not in top
    assert 'hx-get' not in (out / "search" / "index.html").read_text(encoding="utf-8")


def test_json_csv_and_search_index(built):
    out, reg = built
    prefs = json.loads((out / "api/v1/prefectures.json").read_text(encoding="utf-8"))
    assert len(prefs) == 47
    miyagi = json.loads((out / "api/v1/prefectures/040002.json").read_text(encoding="utf-8"))
    assert [p["code"] for p in miyagi["partners_list"]] == [p.code for p in reg.partners(None, "宮城県")]
    assert miyagi["snapshot"] == reg.snapshot().id  # the static site shows the latest snapshot
    assert (out / "api/v1/prefectures/040002.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    index = json.loads((out / "search/index.json").read_text(encoding="utf-8"))
    assert len(index) == len(reg.directory.entities)
    watari = next(e for e in index if e["code"] == "043613")
    assert watari["url"] == "/gov/043613/" and watari["kana"] == "ワタリチョウ"
    assert (out / "downloads" / "1" / "特別区連携自治体数一覧_2025-08-01.xlsx").read_bytes().startswith(b"PK")
    assert (out / "downloads/renkei.sqlite3").read_bytes().startswith(b"SQLite format 3")
    assert (out / "static/vendor/htmx.min.js").exists() and (out / "static/site-search.js").exists()


def test_static_json_and_csv_carry_no_account_name(built):
    """Projects in the static API files have no ``updated_by``: a sign-in name is never public."""
    out, reg = built
    (p, *_rest) = reg.projects()
    files = [f for f in (out / "api/v1").rglob("*") if f.suffix in (".json", ".csv")]
    assert any(p.title in f.read_text(encoding="utf-8-sig") for f in files)  # the projects are there
    leaks = [f.name for f in files if "updated_by" in f.read_text(encoding="utf-8-sig")
             or f'"{p.updated_by}"' in f.read_text(encoding="utf-8-sig")]
    assert leaks == []


def test_a_failed_build_leaves_the_site_as_it_was(built, tmp_path):
    """build-site writes into a temporary sibling folder and swaps it in at the end: a build that stops midway
    (a full disk) leaves the live site untouched; a good one keeps the old site as OUT.previous."""
    import shutil

    from renkei.web.site import build_site

    site, reg = built
    out = tmp_path / "public"
    shutil.copytree(site, out)
    before = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}

    def disk_full(done: int, total: int) -> None:
        if done == 20:
            raise OSError(28, "No space left on device")

    with pytest.raises(OSError, match="No space left"):
        build_site(reg, out, progress=disk_full)
    assert {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()} == before
    assert [p.name for p in tmp_path.iterdir()] == ["public"]  # no half-built folder left behind
    (out / "stale.html").write_text("an old file", encoding="utf-8")
    build_site(reg, out)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["public", "public.previous"]
    assert (tmp_path / "public.previous" / "stale.html").exists() and not (out / "stale.html").exists()
    umask = os.umask(0)
    os.umask(umask)
    assert (out / "index.html").exists() and out.stat().st_mode & 0o777 == 0o777 & ~umask  # readable as mkdir makes
