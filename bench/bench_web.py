#!/usr/bin/env python3
"""Load benchmark: `renkei serve` next to Datasette serving the same SQLite export, on loopback, one run.

    python bench/bench_web.py [--seconds 5] [--clients 50]

For each page it prints requests/s, p50 and p99 latency for renkei and for Datasette, and the
ratio. Targets (issue 6): at least Datasette's throughput, and p99 under 50 ms. The client is a
small asyncio HTTP/1.1 client with keep-alive (50 connections), the same for both servers.
Bounded in time: a warm-up second and --seconds per page and server.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

PAGES = [  # (what, renkei path, datasette path)
    ("top page", "/", "/"),
    ("prefecture page", "/pref/040002/", "/renkei/governments?pref_code=040002"),
    ("prefecture JSON", "/api/v1/prefectures/040002", "/renkei/governments.json?pref_code=040002"),
]


async def _request(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, path: str) -> int:
    writer.write(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept-Encoding: identity\r\n\r\n".encode())
    await writer.drain()
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    headers = {k.strip().lower(): v.strip() for k, _, v in
               (line.partition(b":") for line in head.split(b"\r\n")[1:] if line)}
    if b"content-length" in headers:
        await reader.readexactly(int(headers[b"content-length"]))
    elif headers.get(b"transfer-encoding") == b"chunked":
        while True:
            size = int((await reader.readline()).strip(), 16)
            await reader.readexactly(size + 2)
            if size == 0:
                break
    return status


async def _load(port: int, path: str, seconds: float, clients: int) -> tuple[int, list[float], int]:
    latencies: list[float] = []
    errors = 0
    stop = time.perf_counter() + seconds

    async def client() -> None:
        nonlocal errors
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        while time.perf_counter() < stop:
            t = time.perf_counter()
            status = await _request(reader, writer, path)
            latencies.append(time.perf_counter() - t)
            errors += status != 200
        writer.close()

    await asyncio.gather(*(client() for _ in range(clients)))
    return len(latencies), latencies, errors


def measure(port: int, path: str, seconds: float, clients: int) -> tuple[float, float, float, int]:
    asyncio.run(_load(port, path, 1.0, clients))  # warm-up (renkei renders and caches on first request)
    n, lat, errors = asyncio.run(_load(port, path, seconds, clients))
    lat.sort()
    return n / seconds, statistics.median(lat) * 1000, lat[int(len(lat) * 0.99) - 1] * 1000, errors


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait(port: int, path: str, proc: subprocess.Popen) -> None:
    for _ in range(200):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=2)
            return
        except OSError:
            if proc.poll() is not None:
                raise SystemExit(f"server exited: {proc.stdout.read().decode() if proc.stdout else ''}") from None
            time.sleep(0.1)
    raise SystemExit("server did not start")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--clients", type=int, default=50)
    args = parser.parse_args()
    datasette = shutil.which("datasette", path=str(Path(sys.executable).parent)) or shutil.which("datasette")
    if not datasette:
        raise SystemExit("datasette is not installed: pip install datasette (it is in the dev extras)")
    from renkei.registry import Registry
    from renkei.registry.backup import export_sqlite

    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "registry.sqlite3"
        reg = Registry.open(str(db))  # the embedded list, as on first use
        export = Path(tmp) / "renkei.sqlite3"
        export_sqlite(reg, str(export), public=True)
        reg.engine.dispose()
        rp, dp = free_port(), free_port()
        env = {**os.environ, "PYTHONWARNINGS": "ignore"}
        servers = [
            subprocess.Popen([sys.executable, "-m", "renkei", "--db", str(db), "serve", "--port", str(rp)], env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT),
            subprocess.Popen([datasette, "serve", str(export), "--port", str(dp), "--setting", "num_sql_threads", "3"],
                             env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT),
        ]
        try:
            wait(rp, "/about/", servers[0])
            wait(dp, "/", servers[1])
            print(f"{args.clients} concurrent keep-alive clients, {args.seconds:g} s per page, loopback, "
                  f"{os.cpu_count()} CPUs (client and both servers share them)")
            print(f"{'page':<17} {'server':<10} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7}")
            for what, rpath, dpath in PAGES:
                r = measure(rp, rpath, args.seconds, args.clients)
                d = measure(dp, dpath, args.seconds, args.clients)
                for name, (rps, p50, p99, err) in (("renkei", r), ("datasette", d)):
                    print(f"{what:<17} {name:<10} {rps:>8.0f} {p50:>8.1f} {p99:>8.1f} {err:>7}")
                print(f"{'':<17} {'ratio':<10} {r[0] / d[0]:>8.2f}x  (renkei p99 {'<' if r[2] < 50 else '>='} 50 ms)")
        finally:
            for s in servers:
                s.terminate()
                s.wait(10)


if __name__ == "__main__":
    main()
