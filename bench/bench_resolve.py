#!/usr/bin/env python3
"""Resolver and directory speed. Prints figures; asserts nothing (the README quotes them).

Targets (issue 2): load ≤ 50 ms; ≥ 20,000 names/s for exact and normalised hits and
≥ 2,000 names/s for fuzzy ones on one core; `renkei --help` and
`renkei resolve 千代田区` ≤ 0.3 s wall time.

Usage: python bench/bench_resolve.py [--misspellings N]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path


def rate(label: str, items: list[tuple[str, str | None]], resolver) -> None:
    start = time.perf_counter()
    for name, pref in items:
        resolver.resolve(name, pref)
    elapsed = time.perf_counter() - start
    print(f"  {label:<44} {len(items):>6} names  {len(items) / elapsed:>9,.0f} names/s")


def wall(cmd: list[str], runs: int = 5) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(cmd, check=True, capture_output=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--misspellings", type=int, default=5000)
    args = parser.parse_args()

    from renkei.directory import load
    from renkei.misspell import misspellings
    from renkei.resolve import Resolver

    loads = []
    for _ in range(5):
        load.cache_clear()
        start = time.perf_counter()
        directory = load()
        loads.append(time.perf_counter() - start)
    print(f"directory load: median {statistics.median(loads) * 1000:.1f} ms over 5 loads")

    resolver = Resolver(directory)
    start = time.perf_counter()
    resolver.resolve("亶理町", "宮城県")  # builds the lazy fuzzy indexes
    print(f"first fuzzy call (builds lazy indexes): {(time.perf_counter() - start) * 1000:.0f} ms")

    official = [(e.name, e.prefecture) for e in directory.entities]
    spaced = [(" " + e.name.replace("ケ", "ヶ") + "\u3000", e.prefecture) for e in directory.entities]
    print("resolving (one core):")
    rate("exact: every official name, with prefecture", official, resolver)
    rate("exact: every official name, no prefecture", [(n, None) for n, _ in official], resolver)
    rate("normalized: spaced / ヶ, with prefecture", spaced, resolver)
    made = list(misspellings(directory, args.misspellings, seed=1))
    fuzzy = [(m.written, m.truth.prefecture) for m in made if m.kind in ("lookalike", "suffix", "no_suffix")]
    rate("fuzzy: generated misspellings, with prefecture", fuzzy, resolver)
    rate("fuzzy: generated misspellings, no prefecture", [(n, None) for n, _ in fuzzy], resolver)
    right = sum(resolver.resolve(m.written, m.truth.prefecture).code == m.truth.code for m in made)
    print(f"  accuracy on {len(made)} misspellings with prefecture: {right / len(made):.1%} "
          f"(the rest come back ambiguous or as another real name)")

    realworld = Path(__file__).resolve().parent.parent / "tests" / "data" / "realworld" / "realworld.tsv"
    if realworld.exists():
        rows = [line.split("\t") for line in realworld.read_text(encoding="utf-8").splitlines()
                if line and not line.startswith("#")]
        rate("real-world names (tests/data/realworld), with prefecture", [(w, p or None) for w, p, *_ in rows],
             resolver)
        rate("real-world names, no prefecture", [(w, None) for w, *_ in rows], resolver)

    exe = str(Path(sys.executable).parent / "renkei")
    print("command wall time (median of 5):")
    print(f"  renkei --help              {wall([exe, '--help']):.3f} s")
    print(f"  renkei resolve 千代田区    {wall([exe, 'resolve', '千代田区']):.3f} s")


if __name__ == "__main__":
    main()
