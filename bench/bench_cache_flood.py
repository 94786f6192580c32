#!/usr/bin/env python3
"""Cache-flood benchmark (issue 11, item 3): random query strings against `renkei serve` on loopback.

    python bench/bench_cache_flood.py [--requests 3000] [--seconds 60] [--clients 20] [--cache-mb 64]

It starts `renkei serve` over the embedded list, measures the server's resident memory (VmRSS) and the
latency of three requests (the top page, the PNG map and an uncached API page), then floods the top page,
the PNG map and the API with random ``?x=…`` values (bounded by --requests and --seconds), and measures
again. Before the fix every random value made a cache entry: the top page fell from 483 to 9 req/s and
memory grew by 400 MB. Now unknown parameters make no entry and the cache is bounded in bytes.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from bench_web import _request, free_port, wait


def rss_mb(pid: int) -> float | None:
    """The process's resident memory in MB (Linux /proc; None elsewhere)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


async def _timed(port: int, paths: list[str]) -> list[float]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    out = []
    for path in paths:
        t = time.perf_counter()
        status = await _request(reader, writer, path)
        out.append((time.perf_counter() - t) * 1000)
        if status != 200:
            raise SystemExit(f"{path}: HTTP {status}")
    writer.close()
    return out


def latencies(port: int, probes: dict[str, list[str]]) -> dict[str, float]:
    return {name: statistics.median(asyncio.run(_timed(port, paths))) for name, paths in probes.items()}


async def _flood(port: int, targets: list[str], total: int, seconds: float, clients: int) -> tuple[int, int, float]:
    sent = errors = 0
    stop = time.perf_counter() + seconds
    start = time.perf_counter()

    async def client() -> None:
        nonlocal sent, errors
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        while sent < total and time.perf_counter() < stop:
            sent += 1
            target = targets[sent % len(targets)]
            junk = f"{target}{'&' if '?' in target else '?'}x={secrets.token_hex(8)}"
            errors += await _request(reader, writer, junk) != 200
        writer.close()

    await asyncio.gather(*(client() for _ in range(clients)))
    return sent, errors, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=3000, help="flood requests in all (default 3000)")
    parser.add_argument("--seconds", type=float, default=60.0, help="stop the flood after this long (default 60)")
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--cache-mb", type=float, default=None, help="RENKEI_CACHE_MB for the server")
    args = parser.parse_args()
    from renkei.publish import file_name
    from renkei.registry import Registry

    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "registry.sqlite3"
        reg = Registry.open(str(db))  # the embedded list, as on first use
        snap = reg.snapshot()
        png = f"/downloads/{snap.id}/" + file_name("map-prefectures", snap.as_of, snap.id).removesuffix(".svg") + ".png"
        reg.engine.dispose()
        port = free_port()
        env = {**os.environ, "PYTHONWARNINGS": "ignore"}
        if args.cache_mb is not None:
            env["RENKEI_CACHE_MB"] = str(args.cache_mb)
        server = subprocess.Popen([sys.executable, "-m", "renkei", "--db", str(db), "serve", "--port", str(port)],
                                  env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        try:
            wait(port, "/about/", server)
            offsets = iter(range(0, 10**6, 7))

            def probes() -> dict[str, list[str]]:  # the API pages are new each time: never cached
                return {"top page": ["/"] * 20, "PNG map": [png] * 5,
                        "API, uncached": [f"/api/v1/partners?limit=20&offset={next(offsets)}" for _ in range(20)]}

            asyncio.run(_timed(port, ["/", png]))  # warm: render and cache once
            before, rss0 = latencies(port, probes()), rss_mb(server.pid)
            sent, errors, took = asyncio.run(_flood(port, ["/", png, "/api/v1/prefectures"], args.requests,
                                                    args.seconds, args.clients))
            after, rss1 = latencies(port, probes()), rss_mb(server.pid)
            print(f"flood: {sent} requests with random ?x= over the top page, the PNG map and /api/v1/prefectures, "
                  f"{args.clients} clients, {took:.1f} s ({sent / took:.0f} req/s), {errors} errors")
            print(f"{'':<22} {'before':>10} {'after':>10}")
            for name in before:
                print(f"{name + ' p50 ms':<22} {before[name]:>10.1f} {after[name]:>10.1f}")
            fmt = lambda v: "n/a" if v is None else f"{v:.0f}"  # noqa: E731
            print(f"{'server RSS MB':<22} {fmt(rss0):>10} {fmt(rss1):>10}")
        finally:
            server.terminate()
            server.wait(10)


if __name__ == "__main__":
    main()
