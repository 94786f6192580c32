#!/usr/bin/env python3
"""`renkei backup` at scale: time and peak memory (RSS of the command), at a quarter of the size and at full size.

    python bench/bench_backup.py [--projects 46000]      # SQLite
    RENKEI_TEST_POSTGRES_URL=postgresql+psycopg://... python bench/bench_backup.py   # PostgreSQL too

The backup streams rows from one read transaction to the file, so its peak memory should hardly move
between the two sizes; `renkei load` of the file is timed as well (the restore drill).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from scale import registry_at_scale, run_measured


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--projects", type=int, default=46_000)
    args = parser.parse_args()
    backends = [("SQLite", None)]
    if os.environ.get("RENKEI_TEST_POSTGRES_URL"):
        backends.append(("PostgreSQL", os.environ["RENKEI_TEST_POSTGRES_URL"]))
    renkei = str(Path(sys.executable).with_name("renkei"))
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        for label, url in backends:
            for n in (args.projects // 4, args.projects):
                reg = registry_at_scale(url, tmp, n, f"scale{n}.sqlite3")
                db = url or str(reg.engine.url.database)
                reg.engine.dispose()
                out = tmp / f"backup{n}.json"
                took, rss = run_measured(renkei, "--db", db, "backup", "-o", str(out))
                size = out.stat().st_size / 1e6
                restore, restore_rss = run_measured(renkei, "--db", str(tmp / f"restored-{label}-{n}.sqlite3"), "load",
                                                    str(out))
                print(f"{label:<11} {n:>6,} projects: backup {took:5.1f} s, peak RSS {rss:4.0f} MB, {size:5.1f} MB "
                      f"of JSON; load into SQLite {restore:5.1f} s, peak RSS {restore_rss:4.0f} MB")
                out.unlink()


if __name__ == "__main__":
    main()
