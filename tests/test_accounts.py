"""Accounts (renkei user …, the admin page), password rules and sign-in throttling (issues 10 and 11).

The throttle and account tests run on SQLite and PostgreSQL: counters live in the database so that
several workers (here: two app instances on one database) share them.
"""

from __future__ import annotations

import re
import threading
import warnings

import pytest

warnings.filterwarnings("ignore", category=DeprecationWarning, module="fastapi.testclient")
from click.testing import CliRunner  # noqa: E402
from fastapi.testclient import TestClient  # noqa: E402

from renkei.cli import cli  # noqa: E402
from renkei.registry import Registry, RegistryError, accounts, passwords, throttle  # noqa: E402
from renkei.web import create_app  # noqa: E402
from renkei.web.security import WebSettings  # noqa: E402

PASSWORD = "correct horse battery"
OTHER = "violet tractor anemone"


@pytest.fixture(autouse=True)
def cheap_hashes(monkeypatch):
    """argon2id at its smallest cost: these tests sign in dozens of times; the parameters are not under test."""
    from argon2 import PasswordHasher

    monkeypatch.setattr(accounts, "_hasher", lambda: PasswordHasher(time_cost=1, memory_cost=64, parallelism=1))


@pytest.fixture
def reg(db_url, directory, resolver):
    r = Registry.open(db_url, directory=directory, resolver=resolver)
    accounts.add_user(r, "jimu", PASSWORD, "admin", display_name="事務局")
    accounts.add_user(r, "minato", PASSWORD, "ward", "港区")
    yield r
    r.engine.dispose()


def client_at(app, address: str, **kw) -> TestClient:
    return TestClient(app, client=(address, 40000), **kw)


def try_login(client: TestClient, username: str, password: str, headers: dict | None = None):
    page = client.get("/login", headers=headers)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    return client.post("/login", data={"username": username, "password": password, "csrf_token": token},
                       headers=headers, follow_redirects=False)


def csrf_of(client: TestClient, path: str = "/admin/") -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', client.get(path).text).group(1)


# -- password and username rules --------------------------------------------------------------------------------


@pytest.mark.parametrize(("password", "message"), [
    ("short pass1", "12 文字以上"),
    ("jimukyoku-2025x", None),  # fine
    ("Jimukyoku-ABC", "ユーザー名と同じ"),
    ("password1234", "よく使われる"),
    ("qwertyuiop12", "よく使われる"),
    ("iloveyou1234", "よく使われる"),
    ("aaaaaaaaaaaaaaaa", "よく使われる"),
    ("x" * (passwords.MAX_LENGTH + 1), f"{passwords.MAX_LENGTH} 文字以内"),
])
def test_password_rules_never_echo_the_password(password, message):
    username = "jimukyoku-abc"
    if message is None:
        passwords.check_password(password, username)
        return
    with pytest.raises(passwords.PolicyError) as info:
        passwords.check_password(password, username if "ユーザー名" not in message else password.lower())
    assert message in str(info.value) and password not in str(info.value)


@pytest.mark.parametrize("username", ["", "   ", "has space", "tab\tname", "x" * 81])
def test_bad_usernames_are_refused(username):
    with pytest.raises(passwords.PolicyError):
        passwords.check_username(username)


def test_the_longest_password_is_the_same_for_the_cli_and_the_form(reg, tmp_path):
    longest = ("水色の 電車 " * 40)[:passwords.MAX_LENGTH]
    accounts.add_user(reg, "longest", longest, "viewer")  # exactly the maximum is accepted
    with pytest.raises(RegistryError, match=f"{passwords.MAX_LENGTH} 文字以内"):
        accounts.add_user(reg, "longer", longest + "x", "viewer")
    app = create_app(registry=reg)
    admin = signed_in(app, "jimu")
    page = admin.get("/admin/users").text
    assert f'maxlength="{passwords.MAX_LENGTH}"' in page and f'minlength="{passwords.MIN_LENGTH}"' in page
    assert f'maxlength="{passwords.MAX_LENGTH}"' in TestClient(app).get("/login").text
    r = admin.post("/admin/users", data={"csrf_token": csrf_of(admin, "/admin/users"), "username": "formlong",
                                         "password": longest, "role": "viewer"}, follow_redirects=False)
    assert r.status_code == 303
    too_long = longest + "y"
    r = admin.post("/admin/users", data={"csrf_token": csrf_of(admin, "/admin/users"), "username": "formlonger",
                                         "password": too_long, "role": "viewer"})
    assert r.status_code == 422 and f"{passwords.MAX_LENGTH} 文字以内" in r.text and too_long not in r.text


def test_cli_refuses_weak_passwords_without_echoing_them(tmp_path):
    db = str(tmp_path / "u.sqlite3")
    for password, message in [("password1234", "よく使われる"), ("tiny", "12 文字以上"),
                              ("minato-ward-1", None)]:
        r = CliRunner().invoke(cli, ["--db", db, "user", "add", "minato-ward-1", "--role", "viewer"],
                               env={"RENKEI_PASSWORD": password})
        assert r.exit_code == 1 and password not in r.output
        if message:
            assert message in r.output
        else:
            assert "ユーザー名と同じ" in r.output
    r = CliRunner().invoke(cli, ["--db", db, "user", "add", "", "--role", "viewer"], env={"RENKEI_PASSWORD": PASSWORD})
    assert r.exit_code == 1 and "ユーザー名を入力してください" in r.output


def test_a_too_long_sign_in_password_is_not_echoed(reg):
    app = create_app(registry=reg)
    secret = "s3cret-" * 40  # longer than any accepted password: refused like a wrong one, never echoed
    r = try_login(TestClient(app), "jimu", secret)
    assert r.status_code == 401 and secret not in r.text and "s3cret" not in r.text


# -- the account life cycle -----------------------------------------------------------------------------------------


def signed_in(app, username: str, password: str = PASSWORD, address: str = "192.0.2.10") -> TestClient:
    client = client_at(app, address)
    r = try_login(client, username, password)
    assert r.status_code == 303, r.text
    return client


def test_disable_enable_passwd_remove(reg):
    app = create_app(registry=reg)
    minato = signed_in(app, "minato")
    assert minato.get("/admin/", follow_redirects=False).status_code == 200
    accounts.set_disabled(reg, "minato", True, actor="jimu")
    assert minato.get("/admin/", follow_redirects=False).status_code == 303  # its session ended at once
    refused = try_login(client_at(app, "192.0.2.11"), "minato", PASSWORD)
    wrong = try_login(client_at(app, "192.0.2.12"), "minato", "not the password at all")
    assert refused.status_code == wrong.status_code == 401  # a disabled account looks like a wrong password
    assert "ユーザー名またはパスワードが違います" in refused.text
    accounts.set_disabled(reg, "minato", False, actor="jimu")
    minato = signed_in(app, "minato")
    accounts.set_password(reg, "minato", OTHER, actor="jimu")
    assert minato.get("/admin/", follow_redirects=False).status_code == 303  # a new password ends sessions
    assert try_login(client_at(app, "192.0.2.13"), "minato", PASSWORD).status_code == 401
    minato = signed_in(app, "minato", OTHER)
    project = reg.add_project(title="物産展", wards=["131032"], partners=[], actor="minato")
    accounts.remove_user(reg, "minato", actor="jimu")
    assert minato.get("/admin/", follow_redirects=False).status_code == 303
    assert "minato" not in {a.username for a in accounts.users(reg)}
    log = reg.audit_log(limit=50)
    assert any(e["actor"] == "minato" and e["target_id"] == str(project.id) for e in log)  # its name stays
    removal = next(e for e in log if e["action"] == "remove")
    assert removal["actor"] == "jimu" and removal["before"]["username"] == "minato"
    assert not any("password_hash" in str(e["before"]) + str(e["after"]) for e in log)


def test_the_last_admin_cannot_be_disabled_or_removed(reg):
    with pytest.raises(RegistryError, match="最後の管理者"):
        accounts.set_disabled(reg, "jimu", True, actor="jimu")
    with pytest.raises(RegistryError, match="最後の管理者"):
        accounts.remove_user(reg, "jimu", actor="jimu")
    accounts.add_user(reg, "jimu2", OTHER, "admin")
    accounts.remove_user(reg, "jimu", actor="jimu2")


def test_user_commands(tmp_path):
    import json

    db = str(tmp_path / "u.sqlite3")
    env = {"RENKEI_PASSWORD": PASSWORD, "RENKEI_USER": "ope"}

    def run(*args, password: str = PASSWORD, **kw):
        return CliRunner().invoke(cli, ["--db", db, "user", *args], env={**env, "RENKEI_PASSWORD": password}, **kw)

    assert run("add", "jimu", "--role", "admin").exit_code == 0
    assert run("add", "minato", "--role", "ward", "--ward", "港区").exit_code == 0
    assert run("disable", "minato").output.strip() == "アカウント minato を無効にしました"
    listed = json.loads(run("list", "--json").output)
    assert [(u["username"], u["disabled"]) for u in listed] == [("jimu", False), ("minato", True)]
    assert "argon2" not in run("list").output and "無効" in run("list").output
    assert run("enable", "minato").exit_code == 0
    assert run("passwd", "minato", password=OTHER).exit_code == 0
    reg = Registry(db)
    try:
        accounts.login(reg, "minato", OTHER, "192.0.2.1")
        assert run("remove", "minato", input="n\n").exit_code == 1  # asks first
        assert run("remove", "minato", "--yes").output.strip() == "アカウント minato を削除しました"
        assert run("remove", "minato", "--yes").exit_code == 1  # gone
        assert run("remove", "jimu", "--yes").exit_code == 1  # the last admin
        actions = [(e["actor"], e["action"]) for e in reg.audit_log(limit=20) if e["target"] == "users"]
        assert ("ope", "remove") in actions and ("ope", "disable") in actions and ("ope", "password") in actions
    finally:
        reg.engine.dispose()


def test_admin_accounts_page(reg):
    app = create_app(registry=reg)
    admin = signed_in(app, "jimu")
    minato = signed_in(app, "minato", address="192.0.2.20")
    assert minato.get("/admin/users", follow_redirects=False).status_code == 403  # only admins
    forged = minato.post("/admin/users", data={"csrf_token": csrf_of(minato), "username": "evil",
                                               "password": OTHER, "role": "admin"}, follow_redirects=False)
    assert forged.status_code == 403 and "evil" not in {a.username for a in accounts.users(reg)}
    no_csrf = admin.post("/admin/users", data={"username": "x1", "password": OTHER, "role": "viewer"})
    assert no_csrf.status_code == 403
    page = admin.get("/admin/users").text
    assert "minato" in page and "港区" in page and "区の担当者" in page
    token = csrf_of(admin, "/admin/users")
    r = admin.post("/admin/users", data={"csrf_token": token, "username": "chuo", "password": OTHER, "role": "ward",
                                         "ward": "中央区", "display_name": "中央区 担当"}, follow_redirects=False)
    assert r.status_code == 303
    weak = admin.post("/admin/users", data={"csrf_token": token, "username": "weak", "password": "password1234",
                                            "role": "viewer"})
    assert weak.status_code == 422 and "よく使われる" in weak.text and "password1234" not in weak.text
    minato_id = next(a.id for a in accounts.users(reg) if a.username == "minato")
    r = admin.post(f"/admin/users/{minato_id}", data={"csrf_token": token, "action": "disable"},
                   follow_redirects=False)
    assert r.status_code == 303 and minato.get("/admin/", follow_redirects=False).status_code == 303
    assert admin.post(f"/admin/users/{minato_id}", data={"csrf_token": token, "action": "enable"}).status_code == 200
    r = admin.post(f"/admin/users/{minato_id}", data={"csrf_token": token, "action": "password", "password": OTHER})
    assert r.status_code == 200 and "パスワードを変更しました" in r.text
    me = next(a.id for a in accounts.users(reg) if a.username == "jimu")
    r = admin.post(f"/admin/users/{me}", data={"csrf_token": token, "action": "remove"})
    assert r.status_code == 422 and "自分のアカウント「jimu」" in r.text
    asked = admin.post(f"/admin/users/{minato_id}", data={"csrf_token": token, "action": "remove"})
    assert asked.status_code == 200 and "アカウント「minato」（" in asked.text and "元に戻せません" in asked.text
    assert "minato" in {a.username for a in accounts.users(reg)}  # the first click only asks
    r = admin.post(f"/admin/users/{minato_id}", data={"csrf_token": token, "action": "remove", "confirm": "1"})
    assert r.status_code == 200 and "アカウント「minato」を削除しました" in r.text
    assert "minato" not in {a.username for a in accounts.users(reg)}
    assert admin.post("/admin/users/999999", data={"csrf_token": token, "action": "remove"}).status_code == 404


# -- sign-in throttling ----------------------------------------------------------------------------------------------


def test_delays_grow_and_stop_growing():
    free = throttle.FREE_TRIES
    assert throttle.delay(free - 1, free).total_seconds() == 0
    assert [throttle.delay(free + i, free) for i in range(3)] == [throttle.FIRST_DELAY * 2 ** i for i in range(3)]
    assert throttle.delay(free + 100, free) == throttle.MAX_DELAY


def test_an_attacker_cannot_lock_out_the_real_user(reg):
    app = create_app(registry=reg)
    attacker = client_at(app, "203.0.113.66")
    codes = [try_login(attacker, "jimu", f"guess number {i}").status_code for i in range(throttle.FREE_TRIES + 3)]
    assert codes[:throttle.FREE_TRIES] == [401] * throttle.FREE_TRIES and set(codes[throttle.FREE_TRIES:]) == {429}
    assert try_login(attacker, "jimu", PASSWORD).status_code == 429  # the attacker must wait, even if right
    assert try_login(client_at(app, "198.51.100.7"), "jimu", PASSWORD).status_code == 303  # the real user is not


def test_unknown_and_known_accounts_get_the_same_answers(reg):
    app = create_app(registry=reg)

    def answers(username: str, address: str) -> list[tuple[int, str]]:
        client = client_at(app, address)
        out = []
        for i in range(throttle.FREE_TRIES + 2):
            r = try_login(client, username, f"wrong guess {i}")
            error = re.search(r'<p class="error" role="alert">(.*?)</p>', r.text).group(1)
            out.append((r.status_code, error, "retry-after" in r.headers))
        return out

    assert answers("jimu", "203.0.113.1") == answers("nobody-here", "203.0.113.2")


def test_counters_are_shared_by_two_app_instances_on_one_database(reg):
    one, two = create_app(registry=reg), create_app(registry=Registry(reg.url))
    for i in range(throttle.FREE_TRIES):
        app = one if i % 2 else two
        assert try_login(client_at(app, "203.0.113.9"), "jimu", f"nope {i}").status_code == 401
    assert try_login(client_at(two, "203.0.113.9"), "jimu", "one more").status_code == 429
    assert try_login(client_at(one, "203.0.113.9"), "jimu", PASSWORD).status_code == 429


def test_concurrent_tries_cannot_slip_past_the_limit(reg):
    """Many workers at once: the compare-and-set lets exactly FREE_TRIES reserve a try."""
    passed, barrier = [], threading.Barrier(12)

    def attempt() -> None:
        barrier.wait()
        try:
            throttle.reserve(reg, "jimu", "203.0.113.50")
            passed.append(1)
        except throttle.Throttled:
            pass

    threads = [threading.Thread(target=attempt) for _ in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert 1 <= len(passed) <= throttle.FREE_TRIES


def test_forwarded_addresses_only_from_trusted_proxies(reg):
    behind = create_app(registry=reg, settings=WebSettings(trusted_proxies="10.0.0.1"))
    proxy = client_at(behind, "10.0.0.1")
    for i in range(throttle.FREE_TRIES + 1):
        try_login(proxy, "jimu", f"attack {i}", headers={"X-Forwarded-For": "203.0.113.77"})
    assert try_login(proxy, "jimu", "x", headers={"X-Forwarded-For": "203.0.113.77"}).status_code == 429
    # another visitor behind the same proxy is not throttled with the attacker
    assert try_login(proxy, "jimu", PASSWORD, headers={"X-Forwarded-For": "198.51.100.8"}).status_code == 303
    # without trusting it, a client cannot dodge the limit by inventing X-Forwarded-For
    direct = create_app(registry=reg)
    spoofer = client_at(direct, "203.0.113.78")
    for i in range(throttle.FREE_TRIES):
        try_login(spoofer, "jimu", f"attack {i}", headers={"X-Forwarded-For": f"198.51.100.{i}"})
    assert try_login(spoofer, "jimu", "x", headers={"X-Forwarded-For": "198.51.100.99"}).status_code == 429


# -- changing an account (issue 19) -----------------------------------------------------------------------------------


def test_a_role_and_a_ward_go_together(reg):
    with pytest.raises(RegistryError, match="役割を選択してください"):
        accounts.add_user(reg, "norole", OTHER, "", None)
    with pytest.raises(RegistryError, match="管理者（事務局）には区を指定できません"):
        accounts.add_user(reg, "adminward", OTHER, "admin", "港区")  # would be a full admin that looks like a ward
    with pytest.raises(RegistryError, match="閲覧のみには区を指定できません"):
        accounts.add_user(reg, "viewerward", OTHER, "viewer", "港区")
    with pytest.raises(RegistryError, match="区の担当者には区を指定してください"):
        accounts.add_user(reg, "noward", OTHER, "ward", None)
    assert {a.username for a in accounts.users(reg)} == {"jimu", "minato"}


def test_set_user_changes_role_ward_and_name_with_only_the_changes_audited(reg):
    changed = accounts.set_user(reg, "minato", ward="中央区", display_name="中央区 企画課", actor="jimu")
    assert (changed.role, changed.ward_code, changed.display_name) == ("ward", "131024", "中央区 企画課")
    entry = reg.audit_log(limit=1)[0]
    assert (entry["action"], entry["actor"]) == ("update", "jimu")
    assert entry["before"] == {"username": "minato", "ward_code": "131032", "display_name": ""}
    assert entry["after"] == {"username": "minato", "ward_code": "131024", "display_name": "中央区 企画課"}
    viewer = accounts.set_user(reg, "minato", role="viewer", actor="jimu")  # its ward goes with the role
    assert (viewer.role, viewer.ward_code) == ("viewer", None)
    with pytest.raises(RegistryError, match="区の担当者には区を指定してください"):
        accounts.set_user(reg, "minato", role="ward", actor="jimu")
    assert accounts.set_user(reg, "minato", role="ward", ward="港区", actor="jimu").ward_code == "131032"
    before = len(reg.audit_log())
    accounts.set_user(reg, "minato", display_name="中央区 企画課", actor="jimu")  # the same: nothing audited
    assert len(reg.audit_log()) == before
    with pytest.raises(RegistryError, match="「jimu」は最後の管理者です"):
        accounts.set_user(reg, "jimu", role="viewer", actor="jimu")
    accounts.set_user(reg, "minato", role="admin", ward="", actor="jimu")
    assert accounts.set_user(reg, "jimu", role="viewer", actor="minato").role == "viewer"  # another admin remains


def test_user_set_on_the_command_line(tmp_path):
    db = str(tmp_path / "u.sqlite3")
    env = {"RENKEI_PASSWORD": PASSWORD, "RENKEI_USER": "ope"}
    run = lambda *args: CliRunner().invoke(cli, ["--db", db, "user", *args], env=env)  # noqa: E731
    assert run("add", "sato", "--role", "viewer").output.strip() == "アカウント sato を作成しました（閲覧のみ）"
    r = run("set", "sato", "--role", "ward", "--ward", "港区", "--display-name", "佐藤")
    assert r.exit_code == 0 and r.output.strip() == "アカウント sato を変更しました（区の担当者・港区、表示名「佐藤」）"
    refused = run("set", "sato", "--role", "admin", "--ward", "港区")
    assert refused.exit_code == 1 and "管理者（事務局）には区を指定できません" in refused.output
    assert run("set", "sato").exit_code == 2  # nothing to change: a usage error


def test_admin_changes_an_account_and_deletes_after_a_confirmation(reg):
    app = create_app(registry=reg)
    admin = signed_in(app, "jimu")
    minato_id = next(a.id for a in accounts.users(reg) if a.username == "minato")
    page = admin.get("/admin/users").text
    assert '<option value="" selected>選択してください</option>' in page  # no preselected role
    token = csrf_of(admin, "/admin/users")
    r = admin.post("/admin/users", data={"csrf_token": token, "username": "sato", "password": OTHER, "role": "admin",
                                         "ward": "港区"})
    assert r.status_code == 422 and "管理者（事務局）には区を指定できません" in r.text
    assert "sato" not in {a.username for a in accounts.users(reg)}
    r = admin.post("/admin/users", data={"csrf_token": token, "username": "sato", "password": OTHER, "role": "ward",
                                         "ward": "港区"}, follow_redirects=False)
    assert r.status_code == 303
    assert "アカウント「sato」（区の担当者・港区）を作成しました" in admin.get(r.headers["location"]).text
    edit = admin.get(f"/admin/users/{minato_id}").text
    assert "アカウント「minato」" in edit and '<option value="ward" selected>' in edit
    r = admin.post(f"/admin/users/{minato_id}/edit", data={"csrf_token": token, "role": "viewer", "ward": "港区",
                                                           "display_name": "港区"})
    assert r.status_code == 422 and "閲覧のみには区を指定できません" in r.text
    r = admin.post(f"/admin/users/{minato_id}/edit", data={"csrf_token": token, "role": "ward", "ward": "中央区",
                                                           "display_name": "中央区 企画課"})
    assert "アカウント「minato」を変更しました：区の担当者・中央区、表示名「中央区 企画課」" in r.text
    asked = admin.get(f"/admin/users/{minato_id}/remove").text
    assert "アカウント「minato」（中央区 企画課、区の担当者・中央区）を削除します。元に戻せません。" in asked
    assert "minato" in {a.username for a in accounts.users(reg)}
    ward = signed_in(app, "sato", password=OTHER, address="192.0.2.30")
    assert ward.get(f"/admin/users/{minato_id}", follow_redirects=False).status_code == 403
    forged = ward.post(f"/admin/users/{minato_id}/edit", data={"csrf_token": csrf_of(ward), "role": "admin",
                                                               "ward": ""})
    assert forged.status_code == 403 and next(a for a in accounts.users(reg) if a.id == minato_id).role == "ward"
