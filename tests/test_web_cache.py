"""The page cache (issue 11, items 2, 3 and 9): anonymous GETs only, keyed by the route's own parameters,
bounded in bytes; no static-export switch in a request header; HEAD wherever GET works."""

from __future__ import annotations

import warnings

import pytest

warnings.filterwarnings("ignore", category=DeprecationWarning, module="fastapi.testclient")
from fastapi.testclient import TestClient  # noqa: E402
from test_web import CHUO, make_registry, sign_in  # noqa: E402

from renkei.web import create_app  # noqa: E402
from renkei.web.app import create_asgi  # noqa: E402
from renkei.web.cache import Entry, PageCache, cache_key  # noqa: E402


@pytest.fixture
def app(tmp_path, directory, resolver, make_fixtures):
    reg = make_registry(f"sqlite:///{tmp_path / 'web.sqlite3'}", directory, resolver, make_fixtures, tmp_path)
    yield create_app(registry=reg)
    reg.engine.dispose()


@pytest.mark.parametrize("anonymous_first", [True, False])
def test_a_signed_in_page_is_never_served_to_anyone_else(app, anonymous_first):
    front = TestClient(create_asgi(registry=app.state.site.registry))
    signed_in = sign_in(front.app, "jimu")
    if anonymous_first:
        assert "ログイン" in front.get("/").text
    mine = signed_in.get("/")
    assert "管理（事務局）" in mine.text  # the signed-in visitor gets their own page, not the anonymous copy
    assert mine.headers["cache-control"] == "private, no-store" and "etag" not in mine.headers
    for client in (front, TestClient(app)):
        page = client.get("/")
        assert "事務局" not in page.text and page.headers["cache-control"].startswith("public")


def test_a_request_header_cannot_switch_on_the_static_export(app):
    front = TestClient(create_asgi(registry=app.state.site.registry))
    forged = front.get("/", headers={"x-renkei-static": "1"})
    assert 'href="/login"' in forged.text and "snapshot-picker" in forged.text
    assert 'href="/login"' in front.get("/").text and "snapshot-picker" in front.get("/").text
    static = TestClient(create_app(registry=app.state.site.registry, static=True)).get("/")
    assert 'href="/login"' not in static.text and "snapshot-picker" not in static.text


def test_unknown_query_parameters_make_no_entries(app):
    client = TestClient(app)
    cache = app.state.site.cache
    first = client.get("/")
    entries = len(cache)
    for i in range(30):
        r = client.get(f"/?x={i}&utm_source=spam{i}")
        assert r.status_code == 200 and r.headers["etag"] == first.headers["etag"]
        assert client.get(f"/api/v1/prefectures?junk={i}").status_code == 200
    assert len(cache) == entries + 1  # the API resource once, whatever junk came with it
    assert client.get("/?snapshot=1").status_code == 200
    assert len(cache) == entries + 2  # a parameter the page declares is a different page


def test_the_front_serves_junk_queries_from_the_same_entry(app):
    asgi = create_asgi(registry=app.state.site.registry)
    site = asgi.app.site  # behind the access log
    front = TestClient(asgi)
    first = front.get("/downloads/1/renkei_coverage_2025-08-01.csv")
    calls = []
    original = site.cached
    site.cached = lambda *a, **k: calls.append(1) or original(*a, **k)
    again = front.get("/downloads/1/renkei_coverage_2025-08-01.csv?x=1&y=2")
    site.cached = original
    assert again.content == first.content and not calls and len(site.cache) == 1


def test_cache_key_keeps_only_declared_parameters_in_a_stable_order():
    assert cache_key("/", b"x=1&snapshot=2", {"snapshot"}) == "/?snapshot=2"
    assert cache_key("/a", "b=2&a=1&a=0", {"a", "b"}) == cache_key("/a", "a=1&b=2&a=0", {"a", "b"})
    assert cache_key("/", b"", set()) == cache_key("/", b"anything=1", set())


def test_the_cache_is_bounded_in_bytes_least_recently_used_first():
    cache = PageCache(max_bytes=40_000)

    def entry(n: int) -> Entry:
        return Entry(b"x" * n, '"e"', "text/plain", ())

    for i in range(20):
        cache.put(f"/p{i}?", entry(5_000), 1, f"/p{i}", frozenset())
        if i >= 1:
            assert cache.get("/p0?", 1) is not None  # used again: stays
        assert cache.bytes <= 40_000
    assert cache.get("/p0?", 1) is not None and cache.get("/p1?", 1) is None and cache.get("/p19?", 1) is not None
    cache.put("/huge?", entry(20_000), 1, "/huge", frozenset())  # over a quarter of the budget: not kept
    assert cache.get("/huge?", 1) is None
    assert cache.get("/p19?", 2) is None and len(cache) == 0  # a new generation drops everything


def test_the_cache_budget_comes_from_the_environment(monkeypatch, app):
    from renkei.web.app import Site

    monkeypatch.setenv("RENKEI_CACHE_MB", "0.5")
    assert Site(app.state.site.registry).cache.max_bytes == 512 * 1024
    monkeypatch.setenv("RENKEI_CACHE_MB", "many")
    with pytest.raises(ValueError, match="RENKEI_CACHE_MB"):
        Site(app.state.site.registry)


@pytest.mark.parametrize("path", ["/", "/pref/040002/", f"/ward/{CHUO}/", "/search/?q=仙台", "/downloads/",
                                  "/downloads/1/renkei_coverage_2025-08-01.csv", "/api/v1/prefectures",
                                  "/api/v1/prefectures.csv", "/api/v1/openapi.json", "/api/docs", "/static/site.css",
                                  "/login", "/about/"])
def test_head_works_wherever_get_does(app, path):
    for client in (TestClient(app), TestClient(create_asgi(registry=app.state.site.registry))):
        get = client.get(path)
        for _ in range(2):  # the second one comes from the cache
            head = client.head(path)
            assert head.status_code == get.status_code == 200, path
            assert head.content == b"" and head.headers["content-type"] == get.headers["content-type"]


def test_head_on_a_signed_in_page(app):
    client = sign_in(app, "jimu")
    assert client.head("/admin/").status_code == 200 and client.head("/admin/projects").status_code == 200


@pytest.mark.parametrize("big", [2**31, 2**63])
def test_ids_and_offsets_out_of_range_on_both_backends(db_url, directory, resolver, make_fixtures, tmp_path, big):
    """PostgreSQL's INTEGER ends at 2^31 - 1, SQLite's at 2^63 - 1: beyond, a 404 or 422, never a server error."""
    reg = make_registry(db_url, directory, resolver, make_fixtures, tmp_path)
    try:
        app = create_app(registry=reg)
        signed_in = sign_in(app, "jimu").cookies  # an admin, with server errors as responses (not raised)
        client = TestClient(app, raise_server_exceptions=False, cookies=signed_in)
        for path in (f"/admin/projects/{big}", f"/admin/projects?offset={big}", f"/admin/audit?offset={big}",
                     f"/api/v1/partners?snapshot={big}", f"/api/v1/projects?offset={big}", f"/api/v1/diff?a={big}",
                     f"/?snapshot={big}", f"/downloads/{big}/datapackage.json", f"/gov/043613/?snapshot={big}"):
            assert client.get(path).status_code in (404, 422), path
        form = {"csrf_token": "x", "version": str(big), "title": "t"}
        assert client.post(f"/admin/projects/{big}", data=form).status_code in (403, 404, 422)
    finally:
        reg.engine.dispose()
