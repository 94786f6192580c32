#!/usr/bin/env python3
"""`renkei reconcile` speed and memory on a generated table. Prints figures; asserts nothing.

Target (issue 12): 100,000 rows in well under a minute on one core, with memory that does
not grow with the number of rows. The table mixes what real lists hold: official names,
names with their prefecture in another column, misspellings (generated), old names,
blanks and other columns; names repeat, as they do in real tables.

Usage: python bench/bench_reconcile.py [--rows N] [--format csv|xlsx] [--output csv|xlsx]
"""

from __future__ import annotations

import argparse
import csv
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def make_rows(n: int, seed: int = 7) -> list[list[str]]:
    from renkei.directory import load
    from renkei.misspell import misspellings

    d = load()
    rng = random.Random(seed)
    names = [(e.prefecture, e.name) for e in d.municipalities()]
    wrong = [(m.truth.prefecture, m.written) for m in misspellings(d, 1500, seed=seed)]
    old = [(h.prefecture, h.name) for h in d.history[:500]]
    rows = [["番号", "都道府県", "市区町村", "事業名", "金額"]]
    for i in range(n):
        pick = rng.random()
        pref, name = rng.choice(wrong if pick < 0.1 else old if pick < 0.15 else names)
        if rng.random() < 0.3:
            pref = ""
        if rng.random() < 0.01:
            name = ""
        rows.append([str(i + 1), pref, name, f"事業{rng.randrange(1000)}", str(rng.randrange(10**6))])
    return rows


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--format", choices=("csv", "xlsx"), default="csv")
    parser.add_argument("--output", choices=("csv", "xlsx"), default="xlsx")
    args = parser.parse_args()
    renkei = Path(sys.executable).with_name("renkei")
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / f"in.{args.format}"
        rows = make_rows(args.rows)
        if args.format == "csv":
            with src.open("w", encoding="utf-8", newline="") as f:
                csv.writer(f).writerows(rows)
        else:
            import xlsxwriter

            wb = xlsxwriter.Workbook(str(src), {"constant_memory": True})
            ws = wb.add_worksheet("一覧")
            for r, values in enumerate(rows):
                for c, v in enumerate(values):
                    ws.write_string(r, c, v)
            wb.close()
        out = Path(tmp) / f"out.{args.output}"
        start = time.perf_counter()
        done = subprocess.run([str(renkei), "reconcile", str(src), "-o", str(out), "--no-progress"],
                              capture_output=True, text=True)
        elapsed = time.perf_counter() - start
        peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        print(f"reconcile {args.rows:,} rows {args.format} → {args.output}: {elapsed:.1f} s "
              f"({args.rows / elapsed:,.0f} rows/s), peak RSS {peak:.0f} MB, exit {done.returncode}, "
              f"input {src.stat().st_size / 1e6:.1f} MB, output {out.stat().st_size / 1e6:.1f} MB")
        print("  " + done.stderr.strip().replace("\n", "\n  "))


if __name__ == "__main__":
    main()
