#!/usr/bin/env python3
"""Build the real-world test set's truth from the reference data only (never from the resolver).

Input: names people wrote, kept as they came in tests/data/realworld/<source>/ (see SOURCES.md).
Truth: the 6-digit code(s) of what the source says the name became, looked up by exact
string match in the raw reference data: ABR's municipality master (raw/abr, county + name
or name), and, when that name has changed again since, jpcity's merger graph
(raw/jpcity) followed to today's codes. Rows whose truth cannot be found that way are left
out and counted. The output is deterministic; tests/test_realworld.py reads it.

Usage: python tests/data/realworld/make_truth.py
"""

from __future__ import annotations

import csv
import sys
from collections import defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent.parent
RAW = ROOT / "raw"
sys.path.insert(0, str(ROOT / "src"))

from renkei.codes import to_code6  # noqa: E402


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


def current() -> dict[tuple[str, str], set[str]]:
    """(prefecture, name) → codes, where name is city+ward and county+city+ward as ABR writes them."""
    out: dict[tuple[str, str], set[str]] = defaultdict(set)
    for r in _rows(RAW / "abr" / "mt_city_all.csv"):
        for name in {r["city"] + r["ward"], r["county"] + r["city"] + r["ward"]}:
            out[(r["pref"], name)].add(r["lg_code"])
    return out


def successors() -> dict[tuple[str, str], set[str]]:
    """(prefecture, old name) → today's codes, by following jpcity's graph to nodes with no way out."""
    nodes = {r["node"]: r for r in _rows(RAW / "jpcity" / "city_nodes.csv")}
    out_edges: dict[str, list[str]] = defaultdict(list)
    for e in _rows(RAW / "jpcity" / "city_edges.csv"):
        if e["type"] != "分離":
            out_edges[e["from_node"]].append(e["to_node"])
    live = {r["lg_code"] for r in _rows(RAW / "abr" / "mt_city_all.csv")}

    def follow(node: str, seen: frozenset[str]) -> set[str]:
        if node not in out_edges:
            code = to_code6(nodes[node]["city_code5"])
            return {code} if code in live else set()
        found: set[str] = set()
        for nxt in out_edges[node]:
            if nxt not in seen:
                found |= follow(nxt, seen | {node})
        return found

    table: dict[tuple[str, str], set[str]] = defaultdict(set)
    for n, r in nodes.items():
        table[(r["pref_name"], r["city_desig_name"] + r["city_name"])] |= follow(n, frozenset())
    return table


def japanpost(now: dict, old: dict) -> tuple[list[list[str]], int]:
    """日本郵便's 市町村変更情報: 変更前 (as written, county included) → 変更後."""
    rows, dropped = [], 0
    counties = {(r["pref"], r["county"]) for r in _rows(RAW / "abr" / "mt_city_all.csv") if r["county"]}
    counties |= {(r["都道府県"], r["政令市・郡・支庁・振興局等"]) for r in _rows(RAW / "estat" / "estat-haichi.csv")}
    for path in sorted((HERE / "japanpost").glob("*.csv")):
        for r in _rows(path):
            pref, before, after = r["都道府県"].strip(), r["変更前"].strip(), r["変更後"].strip()
            truth = set(now.get((pref, after), ()))
            if not truth:
                bare = after
                head, sep, rest = after.partition("郡")
                if sep and rest and (pref, head + "郡") in counties:
                    bare = rest
                truth = set(now.get((pref, bare), ())) or set(old.get((pref, bare), ()))
            if not truth:
                dropped += 1
                continue
            rows.append([before, pref, "|".join(sorted(truth)), f"japanpost/{path.name}"])
    return rows, dropped


def aliases(now: dict) -> tuple[list[list[str]], int]:
    """Hard-coded name fixes: each side that ABR does not know exactly is a name someone wrote."""
    prefs = {r["pref"] for r in _rows(RAW / "abr" / "mt_pref_all.csv")}
    by_name: dict[str, set[tuple[str, str]]] = defaultdict(set)
    for (pref, name), codes in now.items():
        for code in codes:
            by_name[name].add((pref, code))

    def lookup(text: str) -> tuple[str, set[str]]:
        pref = next((p for p in prefs if text.startswith(p)), "")
        rest = text[len(pref):]
        if pref:
            return pref, set(now.get((pref, rest), ()))
        found = by_name.get(rest, set())
        return ("", {c for _, c in found}) if len(found) == 1 else ("", set())

    rows, dropped = [], 0
    for line in (HERE / "aliases.tsv").read_text(encoding="utf-8").splitlines():
        if not line or line.startswith("#"):
            continue
        a, b, _ = line.split("\t")
        for written, other in ((a, b), (b, a)):
            pref, truth = lookup(other)
            if lookup(written)[1]:
                continue  # the side ABR knows exactly is not a test of anything
            if not truth:
                dropped += 1
                continue
            given = next((p for p in prefs if written.startswith(p)), "")
            rows.append([written, given or pref, "|".join(sorted(truth)), "aliases.tsv"])
    return rows, dropped


OUT = HERE / "realworld.tsv"
FORMS_OUT = HERE / "forms_truth.tsv"


def geoshape_codes() -> dict[str, str]:
    """A historical unit's address as geoshape writes it (北海道函館区) → its 5-digit code."""
    return {r["address"]: r["code"] for r in _rows(RAW / "geoshape" / "geoshape-city.csv") if r["code"]}


def forms(now: dict) -> list[list[str]]:
    """forms.tsv with its truth: (written, prefecture, expect, codes, source), expect being match, not or none."""
    live = {c for codes in now.values() for c in codes}
    old = geoshape_codes()
    rows = []
    for line in (HERE / "forms.tsv").read_text(encoding="utf-8").splitlines():
        if not line or line.startswith("#"):
            continue
        written, pref, meant, source = line.split("\t")
        expect, codes = "match", set()
        if meant == "-":
            expect = "none"
        elif meant.startswith("geoshape:"):
            code = to_code6(old[meant.removeprefix("geoshape:")])
            codes = {code} if code in live else set()
        else:
            if meant.startswith("!"):
                expect, meant = "not", meant[1:]
            for item in meant.split("|"):
                p, name = item.split(" ")
                codes |= now[(p, name)]
        if expect != "none" and not codes:
            raise ValueError(f"forms.tsv: no truth in the reference data for {written!r}")
        rows.append([written, pref, expect, "|".join(sorted(codes)), source])
    return rows


def render() -> tuple[str, int, int]:
    """The test set as text, the number of names, and how many were left out."""
    now, old = current(), successors()
    rows, dropped = japanpost(now, old)
    more, lost = aliases(now)
    unique = sorted({tuple(r) for r in rows + more})
    head = "# written\tprefecture\ttruth (codes, | between)\tsource — made by make_truth.py; do not edit\n"
    return head + "".join("\t".join(r) + "\n" for r in unique), len(unique), dropped + lost


def render_forms() -> str:
    head = "# written\tprefecture\texpect (match, not, none)\tcodes\tsource — made by make_truth.py; do not edit\n"
    return head + "".join("\t".join(r) + "\n" for r in forms(current()))


def main() -> int:
    text, count, dropped = render()
    OUT.write_text(text, encoding="utf-8")
    FORMS_OUT.write_text(render_forms(), encoding="utf-8")
    print(f"wrote {OUT.relative_to(ROOT)}: {count} names ({dropped} left out: no truth in the reference data)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
