#!/usr/bin/env python3
"""Bounded conversion on /convert/ (issue 18, item 4): the wide table that once took 2.3 GB and 71 s.

    python bench/bench_convert.py [--rows 20000] [--columns 500] [--port 8500] [--accept]

It writes a CSV of ROWS × COLUMNS (a municipality name, then one-character cells: ≈20 MB for the
default 20,000 × 500, just under the upload limit), starts `renkei serve` on loopback, and prints:
- the wide CSV asking for XLSX: the answer, its time and the server's memory growth (peak RSS, VmHWM,
  over the RSS after a small warm-up conversion). Target: refused in < 5 s, or done in < 30 s, with
  growth < 300 MB;
- eight such uploads at once: how many got 503 and how long the slowest 503 took (it comes before
  the body is read, so it should not wait for the upload);
- with --accept, the same on a second server whose cell limit and deadline are raised, so the whole
  table is converted and streamed back (what a generous operator's setting costs).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from bench_limits import RENKEI, peak_rss, wait_up

NAMES = ("千代田区", "亶理町", "飯館村", "札幌市", "浦和市", "府中市", "那覇市", "大島町")


def write_wide_csv(path: Path, rows: int, columns: int) -> Path:
    filler = ",".join("x" * (columns - 1))
    with path.open("w", encoding="utf-8", newline="") as f:
        f.write("市区町村," + ",".join(f"c{i}" for i in range(1, columns)) + "\n")
        for i in range(rows - 1):
            f.write(f"{NAMES[i % len(NAMES)]},{filler}\n")
    return path


def rss(pid: int) -> float:
    """VmRSS in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def post(base: str, body: bytes, name: str, output: str, timeout: float = 300) -> tuple[int, float, str]:
    """(status, seconds, first words of the answer) of one conversion."""
    import httpx

    start = time.monotonic()
    r = httpx.post(base + "/convert/", data={"output": output}, files={"file": (name, body, "text/csv")},
                   timeout=timeout)
    took = time.monotonic() - start
    text = "" if r.headers.get("content-type", "").startswith("application/") else r.text
    error = text.split('id="convert-error">', 1)[1].split("<", 1)[0] if 'id="convert-error">' in text else ""
    detail = error or (f"{len(r.content) / 1e6:.1f} MB {r.headers.get('content-type', '')[:40]}" if r.content else "")
    return r.status_code, took, detail


def serve(port: int, tmp: Path, env: dict[str, str]) -> subprocess.Popen[bytes]:
    db = tmp / f"bench-{port}.sqlite3"
    server = subprocess.Popen([*RENKEI, "--db", str(db), "serve", "--port", str(port)], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_up(f"http://127.0.0.1:{port}/")
    return server


def measure(label: str, port: int, tmp: Path, env: dict[str, str], body: bytes, crowd: int) -> None:
    base = f"http://127.0.0.1:{port}"
    server = serve(port, tmp, env)
    try:
        post(base, "港区\n亶理町\n".encode(), "warm.csv", "xlsx")  # the resolver loaded, the code paths warm
        before = rss(server.pid)
        status, took, detail = post(base, body, "wide.csv", "xlsx")
        growth = peak_rss(server.pid) - before
        print(f"{label}: HTTP {status} in {took:.2f} s, server memory +{growth:.0f} MB "
              f"(RSS {before:.0f} MB before) — {detail}")
        if crowd:
            answers: list[tuple[int, float, str]] = []

            def one() -> None:
                answers.append(post(base, body, "wide.csv", "xlsx"))

            threads = [threading.Thread(target=one) for _ in range(crowd)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            busy = [took for status, took, _ in answers if status == 503]
            others = sorted((status, round(took, 2)) for status, took, _ in answers if status != 503)
            print(f"{crowd} at once: {len(busy)} × 503, the slowest in {max(busy, default=0):.2f} s; "
                  f"the others {others}; server peak memory +{peak_rss(server.pid) - before:.0f} MB")
    finally:
        server.terminate()
        server.wait(30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--columns", type=int, default=500)
    parser.add_argument("--port", type=int, default=8500)
    parser.add_argument("--accept", action="store_true", help="also convert it whole on a server with raised limits")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-convert-") as folder:
        tmp = Path(folder)
        path = write_wide_csv(tmp / "wide.csv", args.rows, args.columns)
        body = path.read_bytes()
        print(f"{args.rows:,} rows × {args.columns} columns = {args.rows * args.columns:,} cells, "
              f"{len(body) / 1e6:.1f} MB of CSV, asking for XLSX")
        env = {**os.environ, "RENKEI_LANG": "ja"}
        measure("default limits", args.port, tmp, env, body, crowd=8)
        if args.accept:
            raised = {**env, "RENKEI_MAX_CELLS": str(args.rows * args.columns + 1),
                      "RENKEI_MAX_CONVERT_SECONDS": "600", "RENKEI_MAX_PARSE_SECONDS": "600"}
            measure("limits raised (whole table)", args.port + 1, tmp, raised, body, crowd=0)


if __name__ == "__main__":
    sys.exit(main())
