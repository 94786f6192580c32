#!/usr/bin/env python3
"""Resolver and directory speed. Prints figures; asserts nothing (the README quotes them).

Targets (issue 2): load ≤ 50 ms; ≥ 20,000 names/s for exact and normalised hits and
≥ 2,000 names/s for fuzzy ones on one core; `renkei --help` and
`renkei resolve 千代田区` ≤ 0.3 s wall time.

Issue 20: `renkei resolve --jsonl` as a whole process on a mixed input (official names with and without
their prefecture, spaced and ヶ forms, generated misspellings, the real-world set) at ≥ 15,000 names/s
(goal 20,000), with accuracy unchanged; the figures are printed beside those of the resolver before the
package (PREVIOUS, measured on the same machine with this script at commit 3d6d538). Both the wall clock and
the process's CPU time (user + sys) are printed: on a machine shared with other jobs only the second is steady.

Usage: python bench/bench_resolve.py [--misspellings N] [--process-only]
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REALWORLD = ROOT / "tests" / "data" / "realworld" / "realworld.tsv"
# The resolver before issue 20 (one module), measured with this script: names/s of the whole process,
# and accuracy (right / all) per set of the mixed input.
PREVIOUS: dict[str, float] = {
    "names/s": 11_330,  # two runs on an idle machine: 11,262 and 11,393
    "names/CPU-s": 11_300,  # the same process's user + sys time, measured later beside the new one (10,900–12,300)
    "official, with prefecture": 0.9995, "official, no prefecture": 0.9705,
    "spaced / ヶ, with prefecture": 0.9995, "misspellings, with prefecture": 0.9942,
    "real-world, with prefecture": 0.9961, "real-world, no prefecture": 0.9906,
}


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


def mixed_input(directory, misspelt: int) -> dict[str, list[tuple[str, str | None, set[str]]]]:
    """The sets of the whole-process benchmark: (written, prefecture, true codes)."""
    from renkei.misspell import misspellings

    sets: dict[str, list[tuple[str, str | None, set[str]]]] = {
        "official, with prefecture": [(e.name, e.prefecture, {e.code}) for e in directory.entities],
        "official, no prefecture": [(e.name, None, {e.code}) for e in directory.entities],
        "spaced / ヶ, with prefecture": [(" " + e.name.replace("ケ", "ヶ") + "\u3000", e.prefecture, {e.code})
                                          for e in directory.entities],
        "misspellings, with prefecture": [(m.written, m.truth.prefecture, {m.truth.code})
                                           for m in misspellings(directory, misspelt, seed=1)],
    }
    rows = [line.split("\t") for line in REALWORLD.read_text(encoding="utf-8").splitlines()
            if line and not line.startswith("#")]
    sets["real-world, with prefecture"] = [(w, p or None, set(t.split("|"))) for w, p, t, _ in rows]
    sets["real-world, no prefecture"] = [(w, None, set(t.split("|"))) for w, _, t, _ in rows]
    return sets


def whole_process(directory, misspelt: int, runs: int = 3) -> None:
    """`renkei resolve --jsonl` on the mixed input, start to end, and the accuracy of its answers per set."""
    sets = mixed_input(directory, misspelt)
    items = [(label, w, p, truth) for label, rows in sets.items() for w, p, truth in rows]
    exe = str(Path(sys.executable).parent / "renkei")
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "names.jsonl"
        source.write_text("".join(json.dumps({"name": w, "prefecture": p}, ensure_ascii=False) + "\n"
                                  for _, w, p, _ in items), encoding="utf-8")
        times, cpu, output = [], [], ""
        for _ in range(runs):
            start, used = time.perf_counter(), resource.getrusage(resource.RUSAGE_CHILDREN)
            with source.open("rb") as stdin:
                output = subprocess.run([exe, "resolve", "--jsonl"], stdin=stdin, check=True,
                                        capture_output=True).stdout.decode("utf-8")
            times.append(time.perf_counter() - start)
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpu.append(after.ru_utime - used.ru_utime + after.ru_stime - used.ru_stime)
    rate_now = len(items) / statistics.median(times)
    rate_cpu = len(items) / statistics.median(cpu)
    answers = [json.loads(line) for line in output.splitlines()]
    right: dict[str, int] = dict.fromkeys(sets, 0)
    for (label, _, _, truth), a in zip(items, answers, strict=True):
        codes = [p["code"] for p in a["parts"]] if a["status"] == "multiple" else [a["code"]]
        right[label] += all(c in truth for c in codes)
    print(f"renkei resolve --jsonl, whole process, {len(items):,} mixed names (median of {runs}):")
    before = PREVIOUS.get("names/s")
    print(f"  {'names/s (wall clock)':<39} {rate_now:>9,.0f}" + (f"   previous {before:>9,.0f}" if before else ""))
    # On a shared machine the wall clock measures the other jobs too; the process's own CPU time does not.
    print(f"  {'names per CPU-second (user + sys)':<39} {rate_cpu:>9,.0f}"
          + (f"   previous {PREVIOUS['names/CPU-s']:>9,.0f}" if "names/CPU-s" in PREVIOUS else ""))
    for label, rows in sets.items():
        accuracy = right[label] / len(rows)
        was = PREVIOUS.get(label)
        print(f"  accuracy {label:<30} {accuracy:>9.2%}" + (f"   previous {was:>9.2%}" if was is not None else ""))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--misspellings", type=int, default=5000)
    parser.add_argument("--process-only", action="store_true", help="only the whole-process figure")
    args = parser.parse_args()

    if args.process_only:
        from renkei.directory import load

        whole_process(load(), args.misspellings)
        return

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

    if REALWORLD.exists():
        rows = [line.split("\t") for line in REALWORLD.read_text(encoding="utf-8").splitlines()
                if line and not line.startswith("#")]
        rate("real-world names (tests/data/realworld), with prefecture", [(w, p or None) for w, p, *_ in rows],
             resolver)
        rate("real-world names, no prefecture", [(w, None) for w, *_ in rows], resolver)

    whole_process(directory, args.misspellings)

    exe = str(Path(sys.executable).parent / "renkei")
    print("command wall time (median of 5):")
    print(f"  renkei --help              {wall([exe, '--help']):.3f} s")
    print(f"  renkei resolve 千代田区    {wall([exe, 'resolve', '千代田区']):.3f} s")


if __name__ == "__main__":
    main()
