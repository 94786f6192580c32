"""The deployment kit (deploy/, docs/deploy.md) checked with the tools an operator uses.

- ``systemd-analyze verify`` on the units, and the unit's own start check run as systemd would run it;
- nginx itself, with deploy/nginx/renkei.conf, in front of a real ``renkei serve`` on loopback: TLS, the
  upload limit, gzip, the Japanese error pages for a stopped server, a too-large body and a request flood;
- the example environment file against every ``RENKEI_*`` setting the code reads, and the pinned versions.

Tools missing on a laptop skip with the reason; never in CI, where .ci/run installs nginx and systemd.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
import tomllib
from pathlib import Path

import pytest
from conftest import IN_CI, ROOT, free_port

DEPLOY = ROOT / "deploy"
NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
TEST_ONLY_SETTINGS = {"RENKEI_TEST_POSTGRES_URL", "RENKEI_CHROMIUM"}


def _tool_or_skip(path: str | None, name: str) -> str:
    if path:
        return path
    if IN_CI:
        pytest.fail(f"CI=true but {name} is missing: .ci/run installs it")
    pytest.skip(f"deployment test skipped: {name} is not installed")


def _unit(name: str) -> dict[str, list[str]]:
    """A systemd unit's keys (the last section wins for repeated keys), continuation lines joined."""
    text = (DEPLOY / name).read_text(encoding="utf-8").replace("\\\n", " ")
    keys: dict[str, list[str]] = {}
    for line in text.splitlines():
        if "=" in line and not line.lstrip().startswith(("#", ";", "[")):
            key, value = line.split("=", 1)
            keys.setdefault(key.strip(), []).append(value.strip())
    return keys


# --- settings and versions ---------------------------------------------------------------------------

def test_the_example_environment_file_lists_every_setting_the_code_reads():
    used = set()
    for path in (ROOT / "src" / "renkei").rglob("*.py"):
        used |= set(re.findall(r"\bRENKEI_[A-Z0-9_]+\b", path.read_text(encoding="utf-8")))
    used -= TEST_ONLY_SETTINGS
    example = (DEPLOY / "renkei.env.example").read_text(encoding="utf-8")
    listed = set(re.findall(r"^#?(RENKEI_[A-Z0-9_]+)=", example, flags=re.M))
    assert used - listed == set(), "settings the code reads but deploy/renkei.env.example does not explain"
    assert listed - used == set(), "settings deploy/renkei.env.example explains but the code never reads"
    for name in listed:  # each explained in Japanese and English on the lines just above it
        before = example.split(f"{name}=")[0].rstrip("#").splitlines()[-3:]
        assert any(re.search(r"[\u3040-\u30ff\u4e00-\u9fff]", line) for line in before), name


def test_constraints_pin_every_dependency_and_the_changelog_names_the_version():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    pinned = {}
    for line in (ROOT / "constraints.txt").read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            name, _, version = line.partition("==")
            assert version, f"constraints.txt: {line!r} is not pinned with =="
            pinned[re.sub(r"[-_.]+", "-", name).lower()] = version
    wanted = project["dependencies"] + project["optional-dependencies"]["dev"]
    for requirement in wanted:
        name = re.sub(r"[-_.]+", "-", re.split(r"[\[<>=!~ ]", requirement, maxsplit=1)[0]).lower()
        assert name in pinned, f"constraints.txt does not pin {name}"
    changelog = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    assert re.search(rf"^## {re.escape(project['version'])}\b", changelog, flags=re.M), project["version"]


# --- systemd ------------------------------------------------------------------------------------------

def test_the_service_unit_has_what_an_operator_relies_on():
    unit = _unit("renkei.service")
    assert unit["User"] == ["renkei"] and unit["EnvironmentFile"] == ["/etc/renkei/renkei.env"]
    assert unit["Restart"] == ["on-failure"]
    assert any(cmd.endswith("renkei db check") for cmd in unit["ExecStartPre"])
    environment = " ".join(unit["Environment"])
    assert "RENKEI_REQUIRE_DATABASE=1" in environment and "RENKEI_SEED=0" in environment


@pytest.mark.parametrize("names", [("renkei.service",), ("renkei-backup.service", "renkei-backup.timer")])
def test_systemd_analyze_verifies_the_units(tmp_path, names):
    analyze = _tool_or_skip(shutil.which("systemd-analyze"), "systemd-analyze")
    files = []
    for name in names:  # the units name the production venv; point them at this test's interpreter's folder
        text = (DEPLOY / name).read_text(encoding="utf-8")
        text = text.replace("/opt/renkei/venv/bin/renkei", str(Path(sys.executable).with_name("renkei")))
        (tmp_path / name).write_text(text, encoding="utf-8")
        files.append(str(tmp_path / name))
    if not Path(sys.executable).with_name("renkei").exists():
        pytest.skip("no renkei script beside this interpreter")
    run = subprocess.run([analyze, "verify", *files], capture_output=True, text=True, timeout=60)
    problems = [line for line in (run.stdout + run.stderr).splitlines() if any(n in line for n in names)]
    assert run.returncode == 0 and problems == [], run.stdout + run.stderr


def test_the_unit_refuses_to_start_without_a_database_setting(tmp_path):
    """ExecStartPre as systemd runs it, with the unit's Environment= and no RENKEI_DATABASE_URL: it fails, and
    creates no demo registry in the home folder."""
    unit = _unit("renkei.service")
    env = {k: v for k, v in os.environ.items() if not k.startswith("RENKEI_")}
    env.update(HOME=str(tmp_path / "home"), XDG_DATA_HOME=str(tmp_path / "home" / "data"))
    for assignment in " ".join(unit["Environment"]).split():
        key, value = assignment.split("=", 1)
        env[key] = value
    command = unit["ExecStartPre"][0].split()
    run = subprocess.run([sys.executable, "-m", "renkei", *command[1:]], capture_output=True, text=True,
                         env=env, timeout=60)
    assert run.returncode == 2, run.stdout + run.stderr
    assert "RENKEI_DATABASE_URL" in run.stderr and "Traceback" not in run.stderr
    assert not any((tmp_path / "home").rglob("*.sqlite3"))


# --- nginx --------------------------------------------------------------------------------------------

def _substitute(text: str, old: str, new: str) -> str:
    """Replace a line of the shipped configuration, failing loudly when the configuration changed shape."""
    assert text.count(old) >= 1, f"deploy/nginx/renkei.conf no longer has {old!r}: update this test"
    return text.replace(old, new)


@pytest.fixture(scope="module")
def proxied(tmp_path_factory):
    """nginx with the shipped site configuration in front of a real `renkei serve`, both on loopback."""
    nginx = _tool_or_skip(NGINX, "nginx")
    if not shutil.which("openssl"):
        _tool_or_skip(None, "openssl")
    tmp = tmp_path_factory.mktemp("nginx")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj",
                    "/CN=localhost", "-keyout", str(tmp / "key.pem"), "-out", str(tmp / "cert.pem")],
                   check=True, capture_output=True, timeout=60)
    app_port, http_port, https_port = free_port(), free_port(), free_port()
    errors = tmp / "errors"
    errors.mkdir()
    for page in (DEPLOY / "nginx").glob("*.html"):
        shutil.copy(page, errors / page.name)
    site = (DEPLOY / "nginx" / "renkei.conf").read_text(encoding="utf-8")
    for old, new in [("listen [::]:80;", ""), ("listen [::]:443 ssl http2;", ""),
                     ("listen 80;", f"listen 127.0.0.1:{http_port};"),
                     ("listen 443 ssl http2;", f"listen 127.0.0.1:{https_port} ssl http2;"),
                     ("/etc/ssl/renkei/fullchain.pem", str(tmp / "cert.pem")),
                     ("/etc/ssl/renkei/privkey.pem", str(tmp / "key.pem")),
                     ("alias /var/www/renkei-errors/;", f"alias {errors}/;"),
                     ("root /var/www/acme;", f"root {tmp};"),
                     ("server 127.0.0.1:8000;", f"server 127.0.0.1:{app_port};")]:
        site = _substitute(site, old, new)
    (tmp / "site.conf").write_text(site, encoding="utf-8")
    temp_paths = "".join(f"{kind}_temp_path {tmp / kind};\n" for kind in
                         ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    user = "user root;\n" if os.geteuid() == 0 else ""
    (tmp / "nginx.conf").write_text(
        f"{user}daemon off;\nworker_processes 1;\npid {tmp / 'nginx.pid'};\nerror_log {tmp / 'error.log'};\n"
        f"events {{ worker_connections 64; }}\n"
        f"http {{\ninclude /etc/nginx/mime.types;\naccess_log {tmp / 'access.log'};\n{temp_paths}"
        f"include {tmp / 'site.conf'};\n}}\n", encoding="utf-8")
    check = subprocess.run([nginx, "-t", "-p", str(tmp), "-c", str(tmp / "nginx.conf")],
                           capture_output=True, text=True, timeout=30)
    assert check.returncode == 0, check.stderr

    db = tmp / "registry.sqlite3"
    env = {k: v for k, v in os.environ.items() if not k.startswith("RENKEI_")}
    app = subprocess.Popen([sys.executable, "-m", "renkei", "--db", str(db), "serve", "--port", str(app_port),
                            "--forwarded-allow-ips", "127.0.0.1"], env=env,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    proxy = subprocess.Popen([nginx, "-p", str(tmp), "-c", str(tmp / "nginx.conf")],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    import httpx

    client = httpx.Client(base_url=f"https://127.0.0.1:{https_port}", verify=False, timeout=30)
    try:
        for _ in range(150):
            try:
                if client.get("/healthz").status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if app.poll() is not None or proxy.poll() is not None:
                raise RuntimeError("renkei or nginx stopped at start: " + (tmp / "error.log").read_text())
            time.sleep(0.2)
        yield client, app, f"http://127.0.0.1:{http_port}"
    finally:
        client.close()
        for proc in (app, proxy):
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                proc.wait(15)


def test_nginx_serves_renkei_over_tls_with_gzip(proxied):
    client, _app, plain = proxied
    assert client.get("/healthz").json() == {"status": "ok"}
    page = client.get("/about/", headers={"Accept-Encoding": "gzip"})
    assert page.status_code == 200 and page.headers.get("content-encoding") == "gzip"
    assert page.headers.get("strict-transport-security")
    import httpx

    redirect = httpx.get(plain + "/about/", follow_redirects=False, timeout=10)
    assert redirect.status_code == 301 and redirect.headers["location"].startswith("https://")


def test_nginx_passes_a_5_mb_upload_and_refuses_21_mb_in_japanese(proxied):
    client, _app, _plain = proxied
    five = client.post("/admin/upload", content=b"x" * (5 * 1024 * 1024),
                       headers={"Content-Type": "application/octet-stream"}, follow_redirects=False)
    assert five.status_code != 413, "nginx refused a 5 MB body that renkei accepts"
    big = client.post("/admin/upload", content=b"x" * (22 * 1024 * 1024),
                      headers={"Content-Type": "application/octet-stream"}, follow_redirects=False)
    assert big.status_code == 413 and "送信されたデータが大きすぎます" in big.text


def test_nginx_limits_sign_in_attempts_with_a_japanese_page(proxied):
    client, _app, _plain = proxied
    statuses = [client.get("/login") for _ in range(20)]
    limited = [r for r in statuses if r.status_code == 429]
    assert limited, [r.status_code for r in statuses]
    assert "リクエストが多すぎる" in limited[0].text or "多くのリクエスト" in limited[0].text


def test_nginx_shows_the_japanese_maintenance_page_while_renkei_is_stopped(proxied):
    client, app, _plain = proxied  # the last test of the module: it stops the server
    app.send_signal(signal.SIGTERM)
    app.wait(15)
    down = client.get("/")
    assert down.status_code == 502
    assert "ただいまメンテナンス中です" in down.text and down.headers.get("retry-after") == "60"
