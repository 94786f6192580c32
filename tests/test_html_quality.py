"""Every page type, public and signed in, parses with html5lib without a single parse error, declares its language
and its icon, and passes the Nu HTML checker (vnu.jar from npm `vnu-jar`, run with Java) with no error.

The Nu checker needs Java and node_modules/vnu-jar (`npm install --no-save --ignore-scripts`): without them the test
skips on a laptop, saying so, and fails in CI, where .ci/run installs both.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import warnings
from pathlib import Path

import pytest
from conftest import IN_CI, ROOT
from page_types import crawl

warnings.filterwarnings("ignore", category=DeprecationWarning, module="fastapi.testclient")
from fastapi.testclient import TestClient  # noqa: E402
from test_web import make_registry, sign_in  # noqa: E402

from renkei.web import create_app  # noqa: E402

VNU = ROOT / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"


@pytest.fixture(scope="module")
def pages(tmp_path_factory, directory, resolver, make_fixtures):
    """{(who, page type): (url, html)} for anonymous visitors, an admin and a ward editor."""
    tmp = tmp_path_factory.mktemp("pages")
    reg = make_registry(f"sqlite:///{tmp / 'web.sqlite3'}", directory, resolver, make_fixtures, tmp)
    app = create_app(registry=reg)
    out: dict[tuple[str, str], tuple[str, str]] = {}
    clients = {"anonymous": TestClient(app), "admin": sign_in(app, "jimu"), "ward": sign_in(app, "chuo")}
    for who, client in clients.items():
        def fetch(url: str, client: TestClient = client) -> tuple[int, str, str]:
            r = client.get(url)
            return r.status_code, r.headers.get("content-type", ""), r.text

        start = ["/", "/search/?q=亶理町", "/gov/043613/", "/api/docs"] + (["/login"] if who == "anonymous"
                                                                          else ["/admin/"])
        out |= {(who, kind): found for kind, found in crawl(fetch, start).items()}
        for url in ("/no-such-page/", "/pref/040002/?snapshot=9223372036854775808"):  # the 404 and 422 pages
            out[(who, url)] = (url, client.get(url).text)
    yield out
    reg.engine.dispose()


def test_the_crawl_reaches_every_kind_of_page(pages):
    kinds = {kind for _, kind in pages}
    assert {"/", "/pref/N/", "/gov/N/", "/ward/N/", "/ward/", "/search/", "/search/?q", "/downloads/", "/diff/",
            "/about/", "/api/docs", "/login", "/admin/", "/admin/projects", "/admin/projects/N",
            "/admin/review", "/admin/upload", "/admin/audit"} <= kinds, sorted(kinds)


def test_every_page_parses_without_errors_and_declares_its_language(pages):
    import html5lib

    failures = []
    for (who, _), (url, html) in pages.items():
        parser = html5lib.HTMLParser(tree=html5lib.getTreeBuilder("etree"), namespaceHTMLElements=False)
        document = parser.parse(html)
        if parser.errors:
            failures.append((who, url, [(pos, code) for pos, code, _ in parser.errors[:5]]))
        root = document.getroot() if hasattr(document, "getroot") else document
        if root.get("lang") != "ja":
            failures.append((who, url, "no lang"))
        if document.find(".//link[@rel='icon']") is None:
            failures.append((who, url, "no icon"))
        if any(k.startswith("hx-") for e in document.iter() for k in e.attrib):
            failures.append((who, url, "hx-* attributes (not valid HTML; use data-hx-*)"))
    assert not failures, failures


def test_the_favicon(pages):
    from renkei.registry import Registry

    _, html = pages[("anonymous", "/")]
    assert '<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">' in html
    client = TestClient(create_app(registry=Registry.open("sqlite://")))
    assert client.get("/static/favicon.svg").headers["content-type"].startswith("image/svg+xml")
    icon = client.get("/favicon.ico")
    assert icon.status_code == 200 and icon.headers["content-type"] == "image/png"
    assert icon.content.startswith(b"\x89PNG")


def test_the_nu_html_checker_finds_no_error(pages, tmp_path):
    java = shutil.which("java")
    if java is None or not VNU.exists():
        if IN_CI:
            pytest.fail(f"CI=true but java ({java}) or {VNU} is missing: .ci/run installs both")
        pytest.skip(f"Nu HTML checker skipped: java ({java}) or {VNU} is missing "
                    "(apt-get install default-jre-headless; npm install --no-save --ignore-scripts)")
    files = {}
    for i, ((who, _), (url, html)) in enumerate(sorted(pages.items())):
        path = tmp_path / f"page{i}.html"
        path.write_text(html, encoding="utf-8")
        files[str(path.resolve())] = f"{who} {url}"
    run = subprocess.run([java, "-jar", str(VNU), "--format", "json", "--errors-only", "--exit-zero-always",
                          *files],
                         capture_output=True, text=True, timeout=600)
    messages = json.loads(run.stderr or run.stdout)["messages"]
    page = {Path(p).name: where for p, where in files.items()}  # vnu names a file file:/… or file:///…
    errors = [(page.get(m.get("url", "").rsplit("/", 1)[-1], m.get("url")), m.get("lastLine"), m["message"])
              for m in messages if m["type"] == "error"]
    assert not errors, errors[:20]


def test_maps_have_a_title_and_a_description_and_clickable_ones_are_not_images(pages):
    """A map with links is role="group" (role="img" would make its links presentational: axe nested-interactive);
    every map, on a page or published, has a <title> and a <desc> that says in words what it shows."""
    import re

    from renkei.publish import MAP_FORMATS, render, ward_svg
    from renkei.registry import Registry

    _, ward_page = pages[("anonymous", "/ward/N/")]  # the ward's map is a file (shared by its pages), with alt text
    assert re.search(r'<img src="/ward/\d{6}/map\.svg" width="\d+" height="\d+" alt="[^"]{20,}">', ward_page)
    for kind in ("/", "/pref/N/", "/gov/N/"):
        _, html = pages[("anonymous", kind)]
        svg = re.search(r"<svg .*?</svg>", html, re.S).group(0)
        opening = svg[:svg.index(">")]
        linked = "<a href=" in svg
        assert ('role="group"' if linked else 'role="img"') in opening, (kind, opening)
        assert re.search(r"<title>[^<]+</title><desc>[^<]{20,}</desc>", svg), kind
    reg = Registry.open("sqlite://")
    for fmt in MAP_FORMATS:
        svg = render(reg, fmt).decode("utf-8")
        assert 'role="img"' in svg[:svg.index(">")] and re.search(r"<desc>[^<]*令和7年8月1日現在[^<]+</desc>", svg), fmt
    ward = ward_svg(reg, reg.directory["131024"])
    assert "<desc>中央区の庁舎と、連携先の" in ward
