"""The sign-in trail (issue 17): sign-ins, failed sign-ins and sign-outs in the audit log, with the client's
address as the trusted-proxy rules give it; sessions keep the address; the audit page shows them in Japanese."""

from __future__ import annotations

import re

from test_accounts import PASSWORD, cheap_hashes, client_at, reg, try_login  # noqa: F401  (fixtures)

from renkei.registry.schema import WebSession
from renkei.web import create_app
from renkei.web.security import WebSettings


def _trail(reg):  # noqa: F811
    return [(a["action"], a["actor"], a["after"].get("address")) for a in reg.audit_log()
            if a["action"] in ("login", "login_failed", "logout")][::-1]


def test_sign_in_failed_sign_in_and_sign_out_are_recorded_with_the_address(reg):  # noqa: F811
    app = create_app(registry=reg, settings=WebSettings(trusted_proxies="10.0.0.1"))
    proxy = client_at(app, "10.0.0.1")
    forwarded = {"X-Forwarded-For": "203.0.113.5"}
    assert try_login(proxy, "jimu", "wrong password here", headers=forwarded).status_code == 401
    assert try_login(proxy, "nobody", "wrong password here", headers=forwarded).status_code == 401
    assert try_login(proxy, "jimu", PASSWORD, headers=forwarded).status_code == 303
    with reg.Session() as s:
        assert [row.address for row in s.query(WebSession)] == ["203.0.113.5"]  # the session keeps it
    token = re.search(r'name="csrf_token" value="([^"]+)"', proxy.get("/admin/", headers=forwarded).text).group(1)
    assert proxy.post("/logout", data={"csrf_token": token}, headers=forwarded,
                      follow_redirects=False).status_code == 303
    assert _trail(reg) == [("login_failed", "jimu", "203.0.113.5"), ("login_failed", "nobody", "203.0.113.5"),
                           ("login", "jimu", "203.0.113.5"), ("logout", "jimu", "203.0.113.5")]
    # an untrusted peer's X-Forwarded-For is not believed: its own address is recorded
    direct = client_at(create_app(registry=reg), "198.51.100.9")
    try_login(direct, "jimu", "wrong password here", headers={"X-Forwarded-For": "192.0.2.1"})
    assert _trail(reg)[-1] == ("login_failed", "jimu", "198.51.100.9")


def test_a_typed_name_is_bounded_and_shown_escaped(reg):  # noqa: F811
    app = create_app(registry=reg)
    attacker = client_at(app, "198.51.100.7")
    typed = "<script>alert(1)</script>\x00" + "x" * 5000
    assert try_login(attacker, typed, "wrong password here").status_code == 401
    (_action, actor, _address), = _trail(reg)
    assert len(actor) <= 80 and "\x00" not in actor and actor.startswith("<script>")
    admin = client_at(app, "192.0.2.10")
    assert try_login(admin, "jimu", PASSWORD).status_code == 303
    page = admin.get("/admin/audit").text
    assert "ログイン失敗" in page and "ログイン" in page and "接続元アドレス" in page and "198.51.100.7" in page
    assert "<script>alert(1)" not in page and "&lt;script&gt;alert(1)" in page
