"""A small signed-in site for workflow and approval tests: an empty registry with two admins and two ward editors.

The ``web`` fixture (tests/conftest.py) opens it on SQLite and PostgreSQL through ``db_url``.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterator

warnings.filterwarnings("ignore", category=DeprecationWarning, module="fastapi.testclient")
from fastapi.testclient import TestClient  # noqa: E402

from renkei.registry import Registry, accounts  # noqa: E402
from renkei.web import create_app  # noqa: E402

MINATO, CHUO = "131032", "131024"
PASSWORD = "correct horse battery"


def open_site(db_url: str, directory, resolver) -> Iterator[tuple]:
    """(app, registry) with the four accounts; the registry is closed afterwards."""
    reg = Registry.open(db_url, directory=directory, resolver=resolver)
    accounts.add_user(reg, "jimu", PASSWORD, "admin")
    accounts.add_user(reg, "jimu2", PASSWORD, "admin")
    accounts.add_user(reg, "minato", PASSWORD, "ward", MINATO)
    accounts.add_user(reg, "chuo", PASSWORD, "ward", CHUO)
    yield create_app(registry=reg), reg
    reg.engine.dispose()


def sign_in(app, username: str, *, follow_redirects: bool = True) -> TestClient:
    client = TestClient(app, follow_redirects=follow_redirects)
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text).group(1)
    r = client.post("/login", data={"username": username, "password": PASSWORD, "csrf_token": token,
                                    "next": "/admin/"}, follow_redirects=False)
    assert r.status_code == 303
    return client


def csrf_of(client: TestClient, path: str = "/admin/") -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', client.get(path).text).group(1)
