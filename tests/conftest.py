"""Shared fixtures: the packaged directory, the resolver, and the embedded seed list."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "src" / "renkei" / "data" / "seed" / "000_c5c746091caa1e08.txt"
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def free_port() -> int:
    """A loopback port free right now, for a server a test starts."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session", autouse=True)
def _cache_dir(tmp_path_factory):
    """Generated downloads are cached in a temporary folder, never in the user's cache (RENKEI_CACHE_DIR)."""
    os.environ["RENKEI_CACHE_DIR"] = str(tmp_path_factory.mktemp("cache"))


@pytest.fixture(scope="session")
def directory():
    from renkei.directory import load

    return load()


@pytest.fixture(scope="session")
def resolver(directory):
    from renkei.resolve import Resolver

    return Resolver(directory)


@pytest.fixture(scope="session")
def seed_blocks():
    """The seed as (prefecture, [names]) blocks, read with nothing but the csv module.

    Kept independent of renkei.documents on purpose: the resolver tests must not
    depend on the reader they help to validate.
    """
    import sys

    sys.path.insert(0, str(ROOT / "tests" / "fixtures"))
    import make_golden

    return make_golden.seed_blocks()


@pytest.fixture(scope="session")
def fixtures_dir(tmp_path_factory):
    """Every document format, generated from the seed by tests/fixtures/make_fixtures.py."""
    import sys

    sys.path.insert(0, str(ROOT / "tests" / "fixtures"))
    import make_fixtures

    return make_fixtures.write_all(tmp_path_factory.mktemp("documents"))


@pytest.fixture(scope="session")
def make_fixtures():
    import sys

    sys.path.insert(0, str(ROOT / "tests" / "fixtures"))
    import make_fixtures

    return make_fixtures


def _postgres_url() -> str:
    url = os.environ.get("RENKEI_TEST_POSTGRES_URL")
    if not url:
        if IN_CI:
            pytest.fail("CI=true but RENKEI_TEST_POSTGRES_URL is not set: PostgreSQL tests must run in CI")
        pytest.skip("PostgreSQL tests skipped: RENKEI_TEST_POSTGRES_URL is not set (they run in CI)")
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    try:
        with engine.begin() as conn:  # a clean database for every test
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    except Exception as exc:
        if IN_CI:
            raise
        pytest.skip(f"PostgreSQL tests skipped: cannot reach {url} ({exc.__class__.__name__})")
    finally:
        engine.dispose()
    return url


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path):
    """An empty database on each backend: SQLite in a temporary folder, and PostgreSQL (always in CI)."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'registry.sqlite3'}"
    return _postgres_url()


@pytest.fixture
def registry(db_url, directory, resolver):
    """A registry on each backend, with the embedded list imported (as on first use)."""
    from renkei.registry import Registry

    reg = Registry.open(db_url, directory=directory, resolver=resolver)
    yield reg
    reg.engine.dispose()


@pytest.fixture(scope="module")
def api_registry(tmp_path_factory, directory, resolver, make_fixtures):
    """A SQLite registry with two lists (the embedded one and a 令和8年 one) and 30 projects, for API tests."""
    from renkei.registry import Registry

    tmp = tmp_path_factory.mktemp("api")
    reg = Registry.open(f"sqlite:///{tmp / 'api.sqlite3'}", directory=directory, resolver=resolver)
    grid = make_fixtures.published_grid([("宮城県", ["宮城県(県庁)", "仙台市", "女川町"])],
                                        "特別区連携自治体数一覧(令和8年8月1日現在)")
    reg.import_file(make_fixtures.write_text(grid, tmp / "r8.tsv", delimiter="\t", encoding="utf-8", newline="\n"),
                    release=True)
    reg.import_file(make_fixtures.write_projects(make_fixtures.project_grid(30), tmp / "p.csv"), release=True)
    yield reg
    reg.engine.dispose()


@pytest.fixture
def web(db_url, directory, resolver):
    """A signed-in site on an empty registry, two admins and two ward editors (tests/staff_site.py)."""
    from staff_site import open_site

    yield from open_site(db_url, directory, resolver)
