"""Issue 17, items 1 and 4: /healthz and /readyz, the package version everywhere, and a running server whose
database is migrated under it refusing every write (SQLite and PostgreSQL)."""

from __future__ import annotations

import re
import warnings
from importlib.metadata import version

import pytest
from click.testing import CliRunner
from sqlalchemy import text

warnings.filterwarnings("ignore", category=DeprecationWarning, module="fastapi.testclient")
from fastapi.testclient import TestClient  # noqa: E402

from renkei.cli import cli  # noqa: E402
from renkei.registry import accounts, database  # noqa: E402
from renkei.web.app import create_asgi  # noqa: E402

PASSWORD = "correct horse battery staple 7"
VERSION = version("renkei")


@pytest.fixture
def client(registry):
    accounts.add_user(registry, "jimu", PASSWORD, "admin", display_name="事務局")
    return TestClient(create_asgi(registry=registry))


def site_of(client: TestClient):  # type: ignore[no-untyped-def]
    return client.app.app.site  # AccessLog → CacheFront → its site


def test_healthz_never_touches_the_database(client, monkeypatch):
    def no_database(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise AssertionError("/healthz touched the database")

    monkeypatch.setattr(site_of(client).registry.engine, "connect", no_database)
    for _ in range(3):
        r = client.get("/healthz")
        assert r.status_code == 200 and r.json() == {"status": "ok"}


def test_readyz_and_the_version(client):
    r = client.get("/readyz")
    assert r.status_code == 200
    assert r.json() == {"status": "ok", "version": VERSION, "schema": database.head_revision()}
    assert client.get("/api/v1/openapi.json").json()["info"]["version"] == VERSION
    assert VERSION in CliRunner().invoke(cli, ["--version"]).output


def _login_form(client: TestClient) -> dict[str, str]:
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text).group(1)
    return {"username": "jimu", "password": PASSWORD, "csrf_token": token, "next": "/admin/"}


def test_a_server_whose_schema_changes_under_it_refuses_writes(client, registry):
    form = _login_form(client)
    with registry.engine.begin() as conn:  # a newer renkei migrated the database
        conn.execute(text("UPDATE alembic_version SET version_num = 'newer_than_this_code'"))
    site_of(client).changed()  # as a second later: the next request reads the revision again
    refused = client.post("/login", data=form, follow_redirects=False)
    assert refused.status_code == 503 and "変更を受け付けていません" in refused.text
    assert refused.headers["content-type"].startswith("text/html") and "retry-after" in refused.headers
    api = client.post("/reconcile", data={"queries": "{}"})
    assert api.status_code == 503 and api.json()["status"] == "schema_mismatch"
    ready = client.get("/readyz")
    assert ready.status_code == 503 and ready.json()["status"] == "schema_mismatch"
    assert client.get("/").status_code == 200  # reading stays possible
    with registry.engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = :head"), {"head": database.head_revision()})
    site_of(client).changed()
    assert client.post("/login", data=_login_form(client), follow_redirects=False).status_code == 303
    assert client.get("/readyz").status_code == 200


def test_the_revision_is_read_again_within_a_second(client, registry, monkeypatch):
    import renkei.web.core as core

    clock = [1000.0]
    monkeypatch.setattr(core.time, "monotonic", lambda: clock[0])
    form = _login_form(client)
    with registry.engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = 'newer_than_this_code'"))
    clock[0] += core.GENERATION_TTL + 0.01
    assert client.post("/login", data=form, follow_redirects=False).status_code == 503


def test_a_spawned_worker_does_not_run_the_command_again():
    """`serve --workers N` spawns processes that import the main module as __mp_main__: it must only define."""
    import runpy

    runpy.run_module("renkei", run_name="__mp_main__")  # would run the CLI (and exit) without the guard
