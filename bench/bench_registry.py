#!/usr/bin/env python3
"""Registry benchmarks: a national list of 1,741 names, and 20,000 project rows, on SQLite and PostgreSQL.

    python bench/bench_registry.py                       # SQLite only
    RENKEI_TEST_POSTGRES_URL=postgresql+psycopg://... python bench/bench_registry.py   # both

Targets (issue 4): the national list imports in under 2 s on SQLite; 20,000 project rows
import with a progress bar in bounded memory (the peak is printed, with the file size).
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "fixtures"))

import make_fixtures  # noqa: E402

sys.path.insert(0, str(ROOT / "bench"))
from scale import empty_database  # noqa: E402

from renkei.directory import load  # noqa: E402
from renkei.registry import Registry  # noqa: E402


def fresh(url: str | None, tmp: Path, name: str) -> Registry:
    return Registry.open(empty_database(url, tmp, name), seed=False)


def main() -> None:
    d = load()
    blocks = [(p.name, [e.list_name for e in d.in_prefecture(p.name, municipalities_only=True)]) for p in d.prefectures]
    names = sum(len(n) for _, n in blocks)
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        national = make_fixtures.write_text(make_fixtures.published_grid(blocks), tmp / "national.tsv",
                                            delimiter="\t", encoding="utf-8", newline="\n")
        projects = make_fixtures.write_projects(make_fixtures.project_grid(20000), tmp / "projects.csv")
        backends = [("SQLite", None)]
        if os.environ.get("RENKEI_TEST_POSTGRES_URL"):
            backends.append(("PostgreSQL", os.environ["RENKEI_TEST_POSTGRES_URL"]))
        print(f"national list: {names} names in {len(blocks)} prefectures; projects: 20,000 rows "
              f"({projects.stat().st_size / 1e6:.1f} MB)")
        for label, url in backends:
            reg = fresh(url, tmp, "list.sqlite3")
            reg.resolver.resolve("千代田区")  # build the resolver's indexes outside the timing
            t = time.perf_counter()
            result = reg.import_file(national)
            took = time.perf_counter() - t
            print(f"{label:<11} national list import: {took:.2f} s ({result.snapshot.partners} partners) "
                  f"[target < 2 s on SQLite]")
            reg.engine.dispose()
            reg = fresh(url, tmp, "projects.sqlite3")
            from rich.progress import Progress

            t = time.perf_counter()
            with Progress(transient=True) as bar:
                task = bar.add_task("projects", total=20000)
                result = reg.import_file(projects, progress=lambda n, t=task: bar.update(t, completed=n))
            took = time.perf_counter() - t
            print(f"{label:<11} 20,000 projects import: {took:.2f} s ({20000 / took:,.0f} rows/s)")
            reg.engine.dispose()
        # memory: the peak must not grow with the number of rows (records stream, inserts go in batches)
        for n in (5000, 20000):
            path = make_fixtures.write_projects(make_fixtures.project_grid(n), tmp / f"p{n}.csv")
            reg = fresh(None, tmp, f"mem{n}.sqlite3")
            reg.resolver.resolve("千代田区")
            tracemalloc.start()
            reg.import_file(path)
            _, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
            print(f"SQLite      {n:>6,} projects: peak Python memory during import {peak / 1e6:.1f} MB "
                  f"(file {path.stat().st_size / 1e6:.1f} MB)")
            reg.engine.dispose()


if __name__ == "__main__":
    main()
