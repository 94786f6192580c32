"""The web server's edge (issue 11, items 5, 6 and 9): request bodies refused before they are read,
redirects that never reflect the Host header, Secure cookies behind a TLS proxy, and uploads that
break a limit or carry entity XML answered with a clear Japanese error instead of a 500.
"""

from __future__ import annotations

import asyncio
import re
import warnings

import pytest

warnings.filterwarnings("ignore", category=DeprecationWarning, module="fastapi.testclient")
from fastapi.testclient import TestClient  # noqa: E402

from renkei.registry import Registry, accounts  # noqa: E402
from renkei.web import create_app  # noqa: E402
from renkei.web.security import WebSettings  # noqa: E402

PASSWORD = "correct horse battery"


@pytest.fixture
def app(tmp_path, directory, resolver, monkeypatch):
    from argon2 import PasswordHasher

    monkeypatch.setattr(accounts, "_hasher", lambda: PasswordHasher(time_cost=1, memory_cost=64, parallelism=1))
    reg = Registry.open(f"sqlite:///{tmp_path / 'guard.sqlite3'}", directory=directory, resolver=resolver)
    accounts.add_user(reg, "jimu", PASSWORD, "admin")
    yield create_app(registry=reg)
    reg.engine.dispose()


def sign_in(app, **kw) -> TestClient:
    client = TestClient(app, **kw)
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text).group(1)
    r = client.post("/login", data={"username": "jimu", "password": PASSWORD, "csrf_token": token},
                    follow_redirects=False)
    assert r.status_code == 303
    return client


def call(app, path: str, headers: dict[str, str], chunks: int = 0, chunk: bytes = b"x" * 65536):
    """POST straight through ASGI; returns (status, headers, bytes the application asked for)."""
    read = 0
    sent: list[dict] = []

    async def receive():
        nonlocal read
        if read >= chunks:
            if chunks == 0:
                raise AssertionError("the body was read")
            return {"type": "http.disconnect"}
        read += 1
        return {"type": "http.request", "body": chunk, "more_body": read < chunks}

    async def send(message):
        sent.append(message)

    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST", "scheme": "http",
             "path": path, "raw_path": path.encode(), "query_string": b"", "root_path": "",
             "headers": [(k.lower().encode(), v.encode()) for k, v in {"host": "testserver", **headers}.items()],
             "client": ("192.0.2.1", 1234), "server": ("testserver", 80)}
    asyncio.run(app(scope, receive, send))
    start = next(m for m in sent if m["type"] == "http.response.start")
    return start["status"], dict(start["headers"]), read * len(chunk)


def test_anonymous_upload_is_refused_before_its_body_is_read(app):
    status, headers, _ = call(app, "/admin/upload", {"content-type": "multipart/form-data; boundary=x",
                                                    "content-length": "1500000000"})
    assert status == 413  # too large for anyone: refused on the header alone
    status, headers, _ = call(app, "/admin/upload", {"content-type": "multipart/form-data; boundary=x",
                                                    "content-length": "1000"})
    assert status == 303 and headers[b"location"] == b"/login"  # no session: never read, never spooled
    status, headers, _ = call(app, "/admin/projects/new", {"content-type": "application/x-www-form-urlencoded",
                                                          "content-length": "10", "cookie": "renkei_session=forged"})
    assert status == 303


def test_signed_in_oversized_upload_is_refused_before_reading(app):
    client = sign_in(app)
    cookie = f"renkei_session={client.cookies['renkei_session']}"
    status, _, _ = call(app, "/admin/upload", {"content-type": "multipart/form-data; boundary=x",
                                              "content-length": str(200 * 1024 * 1024), "cookie": cookie})
    assert status == 413


def test_a_body_without_length_is_counted_while_it_streams(app):
    status, _, read = call(app, "/login", {"content-type": "application/x-www-form-urlencoded"}, chunks=1000)
    assert status == 413 and read <= 2 * 65536  # stopped at the first chunk past 16 KB, not after 64 MB


def test_redirects_do_not_reflect_the_host_header(app):
    r = TestClient(app).get("/admin", headers={"Host": "evil.example"}, follow_redirects=False)
    assert r.status_code in (301, 307, 308) and r.headers["location"] == "/admin/"
    r = TestClient(app).get("/pref/13", headers={"Host": "evil.example"}, follow_redirects=False)
    assert "evil.example" not in r.headers.get("location", "")


def test_secure_cookies_behind_a_tls_proxy(app, tmp_path, directory, resolver):
    assert "secure" not in TestClient(app).get("/login").headers["set-cookie"].lower()  # plain http, no setting
    reg = app.state.site.registry
    by_setting = create_app(registry=reg, settings=WebSettings(secure_cookies=True))
    assert "secure" in TestClient(by_setting).get("/login").headers["set-cookie"].lower()
    client = TestClient(by_setting, base_url="https://testserver")  # the browser side of the proxy
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text).group(1)
    r = client.post("/login", data={"username": "jimu", "password": PASSWORD, "csrf_token": token},
                    follow_redirects=False)
    assert r.status_code == 303 and "secure" in r.headers["set-cookie"].lower()
    behind = create_app(registry=reg, settings=WebSettings(trusted_proxies="10.0.0.1"))
    proxied = TestClient(behind, client=("10.0.0.1", 1))
    r = proxied.get("/login", headers={"X-Forwarded-Proto": "https"})
    assert "secure" in r.headers["set-cookie"].lower()
    spoofed = TestClient(behind, client=("203.0.113.5", 1)).get("/login", headers={"X-Forwarded-Proto": "https"})
    assert "secure" not in spoofed.headers["set-cookie"].lower()  # an untrusted client cannot claim https


def upload(client: TestClient, name: str, data: bytes):
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/admin/upload").text).group(1)
    return client.post("/admin/upload", data={"csrf_token": token}, files={"file": (name, data)})


def test_entity_xml_upload_gets_a_clear_error(app, tmp_path, fixtures_dir):
    from test_limits import BILLION_LAUGHS, XXE, rewrite

    client = sign_in(app)
    for payload in (BILLION_LAUGHS, XXE):
        path = rewrite(fixtures_dir["xlsx"], tmp_path / "evil.xlsx", {"xl/worksheets/sheet1.xml": payload})
        r = upload(client, "evil.xlsx", path.read_bytes())
        assert r.status_code == 422 and "DTD・エンティティ" in r.text and "evil.xlsx" in r.text


def test_upload_limits_apply_on_the_web(app, fixtures_dir, monkeypatch):
    client = sign_in(app)
    monkeypatch.setenv("RENKEI_MAX_ROWS", "10")
    r = upload(client, "list.tsv", fixtures_dir["tsv"].read_bytes())
    assert r.status_code == 422 and "行数が上限 10 行" in r.text and "list.tsv" in r.text
    monkeypatch.setenv("RENKEI_MAX_ROWS", "100000")
    monkeypatch.setenv("RENKEI_MAX_UPLOAD_BYTES", "1000")
    r = upload(client, "list.tsv", fixtures_dir["tsv"].read_bytes())
    assert r.status_code == 413 and "上限" in r.text
