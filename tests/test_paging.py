"""A ward's projects a page at a time: the HTML page, /api/v1/wards/{code}, and the static export."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from renkei.web.app import create_app

MINATO = "131032"
PROJECTS = 2000
MAX_PAGE_BYTES = 200_000


@pytest.fixture(scope="module")
def big_ward(tmp_path_factory, directory, resolver, make_fixtures):
    """A registry where 港区 has 2,000 projects (partners all over Japan), and an application over it."""
    from renkei.registry import Registry

    tmp = tmp_path_factory.mktemp("paging")
    reg = Registry.open(f"sqlite:///{tmp / 'paging.sqlite3'}", directory=directory, resolver=resolver)
    header, *rows = make_fixtures.project_grid(PROJECTS)
    rows = [["港区", *row[1:]] for row in rows]
    reg.import_file(make_fixtures.write_projects([header, *rows], tmp / "minato.csv"))
    yield reg, create_app(registry=reg)
    reg.engine.dispose()


def test_a_ward_page_shows_one_page_with_links(big_ward):
    reg, app = big_ward
    client = TestClient(app)
    first = client.get(f"/ward/{MINATO}/")
    assert first.status_code == 200 and len(first.content) < MAX_PAGE_BYTES
    assert first.text.count("<tr><td>") == 100 and f"連携事業 {PROJECTS}" in first.text
    assert f'rel="next" href="/ward/{MINATO}/?offset=100"' in first.text and 'rel="prev"' not in first.text
    last = client.get(f"/ward/{MINATO}/?offset=1900")
    assert last.text.count("<tr><td>") == 100 and 'rel="next"' not in last.text
    assert f'rel="prev" href="/ward/{MINATO}/?offset=1800"' in last.text
    cells = [f"<td>{p.title}</td>" for p in reg.projects(ward=MINATO, limit=PROJECTS)]
    assert cells[1900] in last.text and cells[1899] not in last.text and cells[0] not in last.text
    bigger = client.get(f"/ward/{MINATO}/?limit=500&offset=500")
    assert bigger.text.count("<tr><td>") == 500 and f'href="/ward/{MINATO}/?offset=1000&amp;limit=500"' in bigger.text
    assert client.get(f"/ward/{MINATO}/?limit=501").status_code == 422


def test_the_api_pages_a_wards_projects(big_ward):
    _, app = big_ward
    client = TestClient(app)
    r = client.get(f"/api/v1/wards/{MINATO}")
    data = r.json()
    assert len(r.content) < MAX_PAGE_BYTES
    assert (data["total"], data["limit"], data["offset"], data["next_offset"]) == (PROJECTS, 100, 0, 100)
    assert len(data["projects"]) == 100 and data["partners"]
    last = client.get(f"/api/v1/wards/{MINATO}.json?offset=1950&limit=500").json()
    assert len(last["projects"]) == 50 and last["next_offset"] is None
    assert client.get(f"/api/v1/wards/{MINATO}?limit=501").status_code == 422


def test_build_site_writes_every_page(big_ward, tmp_path):
    from renkei.web.site import build_site

    reg, _ = big_ward
    out = tmp_path / "public"
    build_site(reg, out)
    pages = sorted(out.glob(f"ward/{MINATO}/p/*/index.html"))
    assert len(pages) == PROJECTS // 100 - 1  # the first page is ward/C/index.html
    second = (out / f"ward/{MINATO}/p/2/index.html").read_text(encoding="utf-8")
    assert f'rel="prev" href="/ward/{MINATO}/"' in second and f'rel="next" href="/ward/{MINATO}/p/3/"' in second
    assert all(p.stat().st_size < MAX_PAGE_BYTES for p in pages)
    for href in re.findall(r'href="(/ward/[^"]*)"', second):
        assert (out / href.lstrip("/") / "index.html").exists(), href
