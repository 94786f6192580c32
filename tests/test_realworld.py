"""The real-world test set: names people wrote (日本郵便's old-name table, hard-coded name fixes),
truth from the reference data only (tests/data/realworld/make_truth.py; sources in SOURCES.md).

Run with ``-s`` to see the figures; the README quotes them next to the generated misspellings.
"""

from __future__ import annotations

import importlib.util
from collections import Counter

import pytest
from conftest import ROOT

DATA = ROOT / "tests" / "data" / "realworld"
# Agreed bounds: a wrong code is worse than an abstention, so the bound is a handful in ~1,800.
# The known ones: 岩槻市 → さいたま市 where the source says さいたま市岩槻区 (the city, not its ward),
# and, without a prefecture, 那賀郡那賀町 (the 和歌山県 town of 1955–2005, but also today's 徳島県 town).
MAX_WRONG = {True: 2, False: 4}
MIN_RIGHT = {True: 0.985, False: 0.97}


def _rows() -> list[tuple[str, str, set[str], str]]:
    rows = []
    for line in (DATA / "realworld.tsv").read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            written, pref, truth, source = line.split("\t")
            rows.append((written, pref, set(truth.split("|")), source))
    return rows


def score(resolver, rows, with_prefecture: bool) -> tuple[Counter, list]:
    """right / abstain / wrong; a cell of several names is right when every part is."""
    outcome: Counter = Counter()
    wrong = []
    for written, pref, truth, _ in rows:
        r = resolver.resolve(written, (pref or None) if with_prefecture else None)
        codes = [p.code for p in r.parts] if r.status == "multiple" else [r.code]
        if any(c and c not in truth for c in codes):
            outcome["wrong"] += 1
            wrong.append((written, pref, sorted(truth), r.status, r.code, r.reason))
        elif all(codes):
            outcome["right"] += 1
        else:
            outcome["abstain"] += 1
    return outcome, wrong


def test_truth_is_what_the_script_makes():
    spec = importlib.util.spec_from_file_location("make_truth", DATA / "make_truth.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    text, count, _ = module.render()
    assert (DATA / "realworld.tsv").read_text(encoding="utf-8") == text
    assert count > 1500
    assert (DATA / "forms_truth.tsv").read_text(encoding="utf-8") == module.render_forms()


@pytest.mark.parametrize("with_prefecture", [True, False])
def test_real_world_names(resolver, with_prefecture):
    rows = _rows()
    outcome, wrong = score(resolver, rows, with_prefecture)
    n = len(rows)
    figures = ", ".join(f"{k} {outcome[k]} ({outcome[k] / n:.1%})" for k in ("right", "abstain", "wrong"))
    print(f"\nreal-world names ({n}, prefecture {'given' if with_prefecture else 'not given'}): {figures}")
    for w in wrong:
        print("  wrong:", w)
    assert outcome["wrong"] <= MAX_WRONG[with_prefecture], wrong
    assert outcome["right"] / n >= MIN_RIGHT[with_prefecture], outcome


def _forms() -> list[tuple[str, str, str, set[str]]]:
    rows = []
    for line in (DATA / "forms_truth.tsv").read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            written, pref, expect, codes, _ = line.split("\t")
            rows.append((written, pref, expect, set(codes.split("|")) - {""}))
    return rows


@pytest.mark.parametrize("with_prefecture", [True, False])
def test_real_writing_of_the_new_forms(resolver, with_prefecture):
    """Areas (振興局管内), qualifiers (市外, 市内), old forms (周防国, 函館区), names separated by spaces: each
    cell means what the reference data says, an excluded municipality is never the answer, an area is
    never taken for one municipality. With the source's prefecture every match is found."""
    rows = _forms()
    assert {e for *_, e, _ in rows} == {"match", "not", "none"}
    for written, pref, expect, truth in rows:
        r = resolver.resolve(written, (pref or None) if with_prefecture else None)
        codes = [p.code for p in r.parts] if r.status == "multiple" else [r.code]
        if expect == "match":
            assert all(c is None or c in truth for c in codes), (written, r)
            assert all(codes) or not with_prefecture, (written, r)
        elif expect == "not":
            assert not truth & set(codes), (written, r)
        else:
            assert codes == [None] and r.status == "unresolved", (written, r)
