"""Generated downloads are built once per change of the public data, into a file, and served from it."""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from renkei.publish import file_name
from renkei.registry import backup
from renkei.web import downloads
from renkei.web.app import create_app
from renkei.web.filecache import FileCache

CONCURRENT = 4


def _get_all(app, path: str) -> list[bytes]:
    """``CONCURRENT`` requests for ``path`` at once, each from its own thread and client."""
    barrier, bodies, errors = threading.Barrier(CONCURRENT), [], []

    def fetch() -> None:
        client = TestClient(app, raise_server_exceptions=False)
        barrier.wait()
        r = client.get(path)
        (bodies if r.status_code == 200 else errors).append(r.content if r.status_code == 200 else r.status_code)

    threads = [threading.Thread(target=fetch) for _ in range(CONCURRENT)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not errors
    return bodies


def test_concurrent_sqlite_downloads_after_a_write_get_one_file(registry, monkeypatch):
    builds = []
    real = downloads.export_sqlite
    monkeypatch.setattr(downloads, "export_sqlite", lambda *a, **k: builds.append(1) or real(*a, **k))
    app = create_app(registry=registry)
    ward = registry.directory.find("東京都", "港区")[0].code
    registry.add_project(title="最初", wards=[ward], partners=["043613"])
    app.state.site.changed()
    first = _get_all(app, "/downloads/renkei.sqlite3")
    assert len(set(first)) == 1 and first[0].startswith(b"SQLite format 3") and len(builds) == 1
    registry.add_project(title="次の事業", wards=[ward], partners=["043613"])
    app.state.site.changed()
    second = _get_all(app, "/downloads/renkei.sqlite3")
    assert len(set(second)) == 1 and second[0] != first[0] and len(builds) == 2
    assert "次の事業".encode() in second[0] and "次の事業".encode() not in first[0]


def test_a_sign_in_or_account_change_does_not_rebuild(registry):
    from renkei.registry import accounts

    before = backup.public_generation(registry.engine)
    accounts.add_user(registry, "jimu", "correct horse battery", "admin")
    assert backup.public_generation(registry.engine) == before
    ward = registry.directory.find("東京都", "港区")[0].code
    registry.add_project(title="公開される", wards=[ward], partners=[])
    assert backup.public_generation(registry.engine) != before


def test_exports_at_once_do_not_share_alembic(registry, tmp_path):
    """Alembic's global context: two exports migrating their new files at the same time used to fail
    (KeyError: 'config', "table audit_log already exists")."""
    errors = []

    def export(n: int) -> None:
        try:
            backup.export_sqlite(registry, str(tmp_path / f"e{n}.sqlite3"))
        except Exception as exc:  # reported by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=export, args=(n,)) for n in range(CONCURRENT)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not errors


def test_large_snapshot_downloads_are_files_too(registry):
    app = create_app(registry=registry)
    client = TestClient(app)
    name = file_name("pdf", "2025-08-01", 1)
    pdf = client.get(f"/downloads/1/{name}")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert client.get(f"/downloads/1/{name}", headers={"If-None-Match": pdf.headers["etag"]}).status_code == 304
    folder = app.state.downloads.files.folder
    assert [p.name for p in (folder / f"1-{name}").iterdir() if p.name[0] != "."]


BUILD_IN_A_PROCESS = """
import sys, time
from pathlib import Path
from renkei.web.filecache import FileCache

def build(path):
    with open(sys.argv[2], "a") as log:
        log.write("built\\n")
    time.sleep(0.5)
    path.write_text("made")

print(FileCache(Path(sys.argv[1])).get("file", "key1", build).read_text())
"""


def test_processes_build_a_file_once(tmp_path):
    log = tmp_path / "builds.log"
    procs = [subprocess.Popen([sys.executable, "-c", BUILD_IN_A_PROCESS, str(tmp_path / "cache"), str(log)],
                              stdout=subprocess.PIPE, text=True) for _ in range(3)]
    outs = [p.communicate(timeout=60)[0].strip() for p in procs]
    assert outs == ["made"] * 3 and log.read_text().count("built") == 1


def test_a_failed_build_leaves_nothing_and_old_files_go(tmp_path):
    cache = FileCache(tmp_path)

    def fail(path: Path) -> None:
        path.write_text("half")
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError, match="disk full"):
        cache.get("f", "1", fail)
    assert [p.name for p in (tmp_path / "f").iterdir()] == [".lock"]
    for key in ("1", "2", "3"):
        cache.get("f", key, lambda path, key=key: path.write_text(key))
    assert sorted(p.name for p in (tmp_path / "f").iterdir() if p.name[0] != ".") == ["2", "3"]
