"""Issue 17, item 6: while the database cannot be reached, static files, /healthz and cached pages are served,
everything else gets a Japanese 503 with Retry-After; the outage is logged once; recovery needs no restart.

SQLite: the engine's driver refuses to connect. PostgreSQL: the server talks to the database through a TCP
proxy that the test stops (every connection cut, new ones refused) and starts again, since the shared test
server itself cannot be stopped; and, where PostgreSQL's server programs are installed, a private cluster
made under a temporary folder is really stopped and started again.
"""

from __future__ import annotations

import contextlib
import logging
import os
import pwd
import shutil
import socket
import sqlite3
import subprocess
import tempfile
import threading
import warnings
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

warnings.filterwarnings("ignore", category=DeprecationWarning, module="fastapi.testclient")
from fastapi.testclient import TestClient  # noqa: E402

from renkei.registry import Registry  # noqa: E402
from renkei.web.app import create_asgi  # noqa: E402

OUTAGE = "ただいまデータベースに接続できません。しばらくしてからもう一度お試しください"


def _shut(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):  # already closed by the other side
        sock.shutdown(socket.SHUT_RDWR)


class Proxy:
    """A TCP proxy on 127.0.0.1 to ``target``; :meth:`stop` cuts every connection and refuses new ones."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target, self.port = target, 0
        self._sockets: list[socket.socket] = []
        self._listener: socket.socket | None = None

    def start(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(16)
        self.port, self._listener = listener.getsockname()[1], listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(self.target)
            self._sockets += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    @staticmethod
    def _pump(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        for s in (source, sink):
            _shut(s)

    def stop(self) -> None:
        if self._listener is not None:
            _shut(self._listener)  # wakes the accept() in its thread
            self._listener.close()
            self._listener = None
        for s in self._sockets:
            _shut(s)
            s.close()
        self._sockets.clear()


@pytest.fixture
def outage(db_url, directory, resolver, monkeypatch):
    """(registry the server uses, cut(), restore())."""
    if db_url.startswith("sqlite"):
        reg = Registry.open(db_url, directory=directory, resolver=resolver)

        def refuse(*args, **kwargs):  # type: ignore[no-untyped-def]
            raise sqlite3.OperationalError("unable to open database file")

        def cut() -> None:
            monkeypatch.setattr(reg.engine.dialect, "connect", refuse)
            reg.engine.pool.dispose()

        yield reg, cut, monkeypatch.undo
        reg.engine.dispose()
        return
    Registry.open(db_url, directory=directory, resolver=resolver).engine.dispose()  # created and seeded
    parts = urlsplit(db_url)
    proxy = Proxy((parts.hostname or "127.0.0.1", parts.port or 5432))
    proxy.start()
    netloc = parts.netloc.rsplit("@", 1)[0] + f"@127.0.0.1:{proxy.port}"
    reg = Registry.open(urlunsplit(parts._replace(netloc=netloc)), directory=directory, resolver=resolver)
    yield reg, proxy.stop, proxy.start
    proxy.stop()
    reg.engine.dispose()


def test_cached_pages_and_files_survive_an_outage_and_recovery_needs_no_restart(outage, caplog):
    outage_then_recovery(*outage, caplog)


def outage_then_recovery(reg, cut, restore, caplog) -> None:  # type: ignore[no-untyped-def]
    client = TestClient(create_asgi(registry=reg))
    site = client.app.app.site
    top = client.get("/")
    assert top.status_code == 200 and client.get("/readyz").status_code == 200
    cut()
    site.changed()  # as a second later: the next request reads the generation again, and fails
    with caplog.at_level(logging.INFO, logger="renkei"):
        for _ in range(3):
            again = client.get("/")
            assert again.status_code == 200 and again.content == top.content  # from the cache
            assert client.get("/static/site.css").status_code == 200
            assert client.get("/favicon.ico").status_code == 200
            assert client.get("/healthz").status_code == 200
            page = client.get("/login")
            assert page.status_code == 503 and OUTAGE in page.text and page.headers["retry-after"]
            assert page.headers["content-type"].startswith("text/html")
            api = client.get("/api/v1/prefectures")
            assert api.status_code == 503 and api.json()["detail"] == OUTAGE and api.headers["retry-after"]
            assert client.get("/readyz").json()["status"] == "unavailable"
            site.changed()
    outages = [r for r in caplog.records if r.name == "renkei.web" and "unreachable" in r.getMessage()]
    assert len(outages) == 1 and outages[0].exc_info is None  # once per outage, no traceback
    restore()
    site.changed()
    assert client.get("/login").status_code == 200 and client.get("/readyz").status_code == 200
    assert any("reachable again" in r.getMessage() for r in caplog.records)


def test_signed_in_visitors_still_get_static_files(outage):
    reg, cut, _ = outage
    client = TestClient(create_asgi(registry=reg))
    client.get("/")
    cut()
    client.app.app.site.changed()
    client.cookies.set("renkei_session", "anything")  # a session lookup would need the database
    assert client.get("/static/site.css").status_code == 200
    assert client.get("/").status_code == 503  # not cached for a signed-in visitor


PG_BIN = Path("/usr/lib/postgresql/15/bin")


def _pg(program: str, *args: str) -> None:
    """Run a PostgreSQL server program (as the postgres user when the tests run as root: it refuses root)."""
    as_user = {"user": "postgres"} if os.geteuid() == 0 else {}
    subprocess.run([str(PG_BIN / program), *args], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                   timeout=60, **as_user)


@pytest.fixture
def private_postgres():
    """A PostgreSQL cluster of this test alone, on a free loopback port: (url, start, stop)."""
    if not (PG_BIN / "initdb").exists():
        pytest.skip(f"no PostgreSQL server programs in {PG_BIN}")
    root = Path(tempfile.mkdtemp(prefix="renkei_pg_"))
    if os.geteuid() == 0:
        os.chown(root, pwd.getpwnam("postgres").pw_uid, -1)
    data = str(root / "data")
    _pg("initdb", "-D", data, "-U", "renkei", "--auth=trust", "-E", "UTF8", "--no-sync")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    options = f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off"

    def start() -> None:  # the server's own output goes to a file: a pipe it holds would never close
        _pg("pg_ctl", "-D", data, "-o", options, "-l", str(root / "log"), "-w", "start")

    def stop() -> None:
        _pg("pg_ctl", "-D", data, "-m", "immediate", "-w", "stop")

    start()
    yield f"postgresql+psycopg://renkei@127.0.0.1:{port}/postgres", start, stop
    with contextlib.suppress(subprocess.CalledProcessError):
        stop()
    shutil.rmtree(root, ignore_errors=True)


def test_a_real_postgresql_stop_and_start(private_postgres, directory, resolver, caplog):
    url, start, stop = private_postgres
    reg = Registry.open(url, directory=directory, resolver=resolver)
    try:
        outage_then_recovery(reg, stop, start, caplog)
    finally:
        reg.engine.dispose()
