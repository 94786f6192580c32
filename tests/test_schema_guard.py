"""Issue 17, item 1: no command migrates an existing database; db current / db check; the upgrade from before
editions publishes only what was public; several processes creating a fresh database at once do it once."""

from __future__ import annotations

import threading

import pytest
from click.testing import CliRunner
from sqlalchemy import text

from renkei.cli import cli
from renkei.registry import Registry, database

R7 = "特別区連携自治体数一覧(令和7年8月1日現在)"


def run(db_url: str, *args: str, env: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(cli, ["--db", db_url, *args], env=env)


def downgrade(reg: Registry, revision: str) -> None:
    from alembic import command

    with reg.engine.begin() as conn:
        command.downgrade(database._alembic_config(conn), revision)


def set_revision(reg: Registry, revision: str) -> None:
    with reg.engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = :r"), {"r": revision})


def one_line_naming(result, words: tuple[str, ...]) -> None:  # type: ignore[no-untyped-def]
    lines = result.output.strip().splitlines()
    assert result.exit_code == 2, result.output
    assert len(lines) == 1 and "Traceback" not in result.output, result.output
    assert all(w in lines[0] for w in words), lines[0]


@pytest.fixture
def seeded(db_url, directory, resolver):
    reg = Registry.open(db_url, directory=directory, resolver=resolver)
    yield reg
    reg.engine.dispose()


@pytest.mark.parametrize("revision", ["accounts_throttle", "newer_than_this_code"])
def test_a_database_at_another_revision_is_refused_and_left_as_it_is(seeded, db_url, revision, monkeypatch):
    if revision == "accounts_throttle":
        downgrade(seeded, revision)
    else:
        set_revision(seeded, revision)
    head = database.head_revision()
    for command in (("snapshots",), ("diff",), ("user", "list")):
        one_line_naming(run(db_url, *command), ("renkei db upgrade", revision))
    started = []
    monkeypatch.setattr("uvicorn.run", lambda *a, **k: started.append(1))
    one_line_naming(run(db_url, "serve"), ("renkei db upgrade",))
    assert not started
    assert database.current_revision(seeded.engine) == revision  # nothing migrated
    current = run(db_url, "db", "current")
    assert current.exit_code == 0 and current.output.startswith(revision) and head in current.output
    check = run(db_url, "db", "check")
    assert check.exit_code == 1 and len(check.output.strip().splitlines()) == 1 and "renkei db upgrade" in check.output
    upgraded = run(db_url, "db", "upgrade")
    if revision == "newer_than_this_code":  # this code cannot move a newer schema anywhere
        one_line_naming(upgraded, ("renkei db upgrade",))
        assert database.current_revision(seeded.engine) == revision
    else:
        assert upgraded.exit_code == 0 and f"スキーマ {revision} → {head}" in upgraded.output
        assert run(db_url, "db", "check").exit_code == 0
        assert run(db_url, "db", "current").output.strip() == f"{head}（最新）"
        assert run(db_url, "snapshots").exit_code == 0


def test_db_check_at_head_and_on_an_unreachable_database(seeded, db_url):
    result = run(db_url, "db", "check")
    assert result.exit_code == 0 and result.output == f"スキーマは最新です（{database.head_revision()}）\n"
    nowhere = run("postgresql+psycopg://renkei:renkei@127.0.0.1:1/none", "db", "check")
    assert nowhere.exit_code == 2 and len(nowhere.output.strip().splitlines()) == 1
    assert "Traceback" not in nowhere.output


def test_a_database_with_foreign_tables_is_not_taken_over(tmp_path):
    url = f"sqlite:///{tmp_path / 'other.sqlite3'}"
    engine = database.make_engine(url)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE someone_elses (id INTEGER)"))
    one_line_naming(run(url, "snapshots"), ("renkei db upgrade",))
    assert database.current_revision(engine) is None
    engine.dispose()


def test_no_seed_setting_and_option(tmp_path):
    quiet = str(tmp_path / "quiet.sqlite3")
    result = run(quiet, "db", "upgrade", "--no-seed")
    assert result.exit_code == 0 and "同梱" not in result.output
    listed = run(quiet, "snapshots", "--json")
    assert listed.exit_code == 0 and "令和7年" not in listed.output  # a later command does not seed it either
    env_seeded = str(tmp_path / "env.sqlite3")
    assert "令和7年" not in run(env_seeded, "snapshots", "--json", env={"RENKEI_SEED": "0"}).output
    demo = run(str(tmp_path / "demo.sqlite3"), "db", "upgrade")
    assert demo.exit_code == 0 and "公表：#1 令和7年8月1日現在（第1版）（同梱の一覧）" in demo.output


def test_require_database_refuses_the_home_folder_default(monkeypatch, tmp_path):
    monkeypatch.delenv("RENKEI_DATABASE_URL", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    for args in (("db", "check"), ("db", "upgrade"), ("snapshots",), ("serve",)):
        result = CliRunner().invoke(cli, list(args), env={"RENKEI_REQUIRE_DATABASE": "1"})
        one_line_naming(result, ("RENKEI_DATABASE_URL",))
    assert not any(tmp_path.rglob("*.sqlite3"))


def test_upgrade_from_before_editions_publishes_only_the_latest_list_of_each_date(db_url, directory, resolver,
                                                                                    make_fixtures, tmp_path):
    reg = Registry.open(db_url, directory=directory, resolver=resolver)  # #1: the embedded list, 2025-08-01
    grid = make_fixtures.published_grid([("宮城県", ["宮城県(県庁)", "仙台市", "女川町"])], R7)
    again = reg.import_file(make_fixtures.write_text(grid, tmp_path / "again.tsv", delimiter="\t",
                                                     encoding="utf-8", newline="\n")).snapshot  # #2: same date
    reg.add_project(title="事業", wards=["131024"], partners=["043613"], fiscal_year=2025, actor="jimu")
    derived = reg.derive(since="2025-04-01", until="2026-03-31", as_of="2026-08-01", actor="jimu").snapshot
    downgrade(reg, "accounts_throttle")
    result = run(db_url, "db", "upgrade")
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[1:] == [f"公表：#{again.id} 2025-08-01（第1版）"]
    states = {s.id: (s.state, s.edition) for s in reg.snapshots()}
    assert states == {1: ("draft", None), again.id: ("published", 1), derived.id: ("draft", None)}
    assert reg.public().snapshot().id == again.id
    reg.engine.dispose()


def _fresh(db_url: str, tmp_path, round_: int) -> str:  # type: ignore[no-untyped-def]
    if db_url.startswith("sqlite"):
        return f"sqlite:///{tmp_path / f'race{round_}.sqlite3'}"
    engine = database.make_engine(db_url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    return db_url


def _race(url: str, threads: int) -> tuple[list[bool], list[BaseException]]:
    """``threads`` threads, each with its own engine (as separate workers), preparing ``url`` at the same moment."""
    barrier = threading.Barrier(threads)
    created: list[bool] = []
    errors: list[BaseException] = []

    def open_it() -> None:
        engine = database.make_engine(url)
        try:
            barrier.wait()
            created.append(database.prepare(engine))
        except BaseException as exc:
            errors.append(exc)
        finally:
            engine.dispose()

    workers = [threading.Thread(target=open_it) for _ in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(timeout=60)
    assert not any(w.is_alive() for w in workers), "a worker is stuck"
    return created, errors


def test_workers_opening_a_fresh_database_together_create_it_once(db_url, tmp_path):
    threads = 4
    for round_ in range(3):
        url = _fresh(db_url, tmp_path, round_)
        created, errors = _race(url, threads)
        assert not errors, errors
        assert sorted(created) == [False] * (threads - 1) + [True]
        engine = database.make_engine(url)
        assert database.current_revision(engine) == database.head_revision()
        with engine.connect() as conn:
            assert conn.execute(text("SELECT COUNT(*) FROM alembic_version")).scalar() == 1
        engine.dispose()


RACER = """
import sys, time
from pathlib import Path
from renkei.registry import database

url, ready, go = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])
engine = database.make_engine(url)
ready.touch()
while not go.exists():
    time.sleep(0.002)
try:
    print(database.prepare(engine))
except Exception as exc:
    print(type(exc).__name__, exc)
"""


def test_processes_opening_a_fresh_database_together_create_it_once(db_url, tmp_path):
    """Separate processes, as uvicorn workers or several servers: only the database's lock keeps them apart."""
    import subprocess
    import sys
    import time

    url, go = _fresh(db_url, tmp_path, 0), tmp_path / "go"
    racers = [subprocess.Popen([sys.executable, "-c", RACER, url, str(tmp_path / f"ready{i}"), str(go)],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) for i in range(4)]
    deadline = time.monotonic() + 60
    while not all((tmp_path / f"ready{i}").exists() for i in range(4)) and time.monotonic() < deadline:
        time.sleep(0.01)
    go.touch()
    answers = sorted(r.communicate(timeout=120)[0].strip() for r in racers)
    assert answers == ["False", "False", "False", "True"], answers


def test_a_worker_started_on_another_schema_exits_with_one_line(seeded, db_url):
    import os
    import subprocess
    import sys

    set_revision(seeded, "newer_than_this_code")
    worker = subprocess.run([sys.executable, "-c", "import renkei.web.server"], capture_output=True, text=True,
                            env={**os.environ, "RENKEI_DATABASE_URL": db_url}, timeout=120)
    assert worker.returncode == 2
    assert worker.stderr.strip().count("\n") == 0 and "renkei db upgrade" in worker.stderr
