"""A registry at the scale of the issue-17 field test (46,000 projects), shared by the bench scripts.

The projects come from the test fixtures' generator (fixed seed) through ``renkei import``, as a
secretariat would load them; on PostgreSQL the database's public schema is emptied first.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# 46,000 rows take longer than the default 60 s reading budget of an upload on a shared, busy machine
os.environ.setdefault("RENKEI_MAX_PARSE_SECONDS", "3600")
sys.path.insert(0, str(ROOT / "tests" / "fixtures"))

import make_fixtures  # noqa: E402

from renkei.registry import Registry  # noqa: E402


def empty_database(url: str | None, tmp: Path, name: str) -> str:
    """The URL of an empty database: a new SQLite file in ``tmp``, or ``url`` with its public schema emptied."""
    if url is None:
        url = f"sqlite:///{tmp / name}"
    else:
        from sqlalchemy import create_engine, text

        engine = create_engine(url)
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        engine.dispose()
    return url


def registry_at_scale(url: str | None, tmp: Path, projects: int, name: str = "scale.sqlite3") -> Registry:
    """A fresh registry (SQLite in ``tmp`` unless ``url``) with the embedded list and ``projects`` projects.

    Generated downloads are cached in ``tmp`` too (``RENKEI_CACHE_DIR``, inherited by measured commands), so
    every run starts cold."""
    os.environ["RENKEI_CACHE_DIR"] = str(tmp / "cache")
    reg = Registry.open(empty_database(url, tmp, name))
    grid = make_fixtures.write_projects(make_fixtures.project_grid(projects), tmp / f"projects{projects}.csv")
    reg.import_file(grid)
    return reg


def run_measured(*command: str) -> tuple[float, float]:
    """Run a command in a child process; its wall time in seconds and its peak RSS in MB.

    Each measured command runs in its own child (``ru_maxrss`` of the children is the largest of them so
    far, so it is read in a fresh Python that runs just the one command)."""
    probe = ("import resource, subprocess, sys, time; t = time.perf_counter(); "
             "subprocess.run(sys.argv[1:], check=True, stdout=subprocess.DEVNULL); "
             "print(time.perf_counter() - t, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)")
    out = subprocess.run([sys.executable, "-c", probe, *command], check=True, capture_output=True, text=True)
    took, rss_kb = out.stdout.split()
    return float(took), int(rss_kb) / 1024


__all__ = ["empty_database", "registry_at_scale", "run_measured"]
