"""Entity suggest for the reconciliation service: what OpenRefine's 「Search for match」 box asks as one types.

A suggest prefix is a name being typed, so it is read two ways. First the names it begins (the official
name, a ward's short name, or the reading when the prefix is kana: 「わた」 finds 亘理町), the whole name
first, then shorter ones. Then the resolver's answers, which forgive what a prefix match cannot: a misspelt
「亶理」 is an unfinished 「亶理町」, so the prefix is also tried with each kind's suffix (市・町・村・区), and
old names lead to their successors. A prefecture written first (「宮城県亘」) narrows both.
"""

from __future__ import annotations

from ..directory import Directory, Entity
from ..normalize import clean, is_kana, to_katakana
from ..resolve import Resolution, Resolver

MAX_PREFIX = 30  # characters read from a prefix; a longer one is not a name being typed
SUFFIXES = ("市", "町", "村", "区")


def _split_prefecture(directory: Directory, text: str) -> tuple[str | None, str]:
    """「宮城県亘」 → ('宮城県', '亘'); a prefecture alone stays a name (it is an entity too)."""
    for pref in directory.prefectures:
        if text.startswith(pref.name) and len(text) > len(pref.name):
            return pref.name, text[len(pref.name):]
    return None, text


def _begins(directory: Directory, text: str, prefecture: str | None) -> list[Entity]:
    """Entities whose name, short name or (for a kana prefix) reading begins with ``text``: whole, then short."""
    kana = to_katakana(text) if is_kana(text) else None
    found = [e for e in (directory.in_prefecture(prefecture) if prefecture else directory.entities)
             if e.name.startswith(text) or e.short_name.startswith(text) or (kana and e.kana.startswith(kana))]
    return sorted(found, key=lambda e: (text not in (e.name, e.short_name), len(e.short_name), e.code))


def _finished(text: str) -> list[str]:
    """The prefix finished with each kind's suffix, when it has none yet (「亶理」 → 「亶理町」, …)."""
    if len(text) < 2 or text.endswith(SUFFIXES) or is_kana(text):
        return []
    return [text + s for s in SUFFIXES]


def _answers(r: Resolution) -> list[tuple[float, str]]:
    """(score, code) of what a resolution settled on: the answer itself, or each part's."""
    found = [(1.0, p.code) for p in r.parts if p.code and p.resolved]
    return [*found, (1.0, r.code)] if r.code and r.resolved else found


def suggest(directory: Directory, resolver: Resolver, prefix: str, limit: int) -> list[Entity]:
    """Up to ``limit`` entities for a typed prefix: names it begins first, then what the resolver makes of it."""
    text = clean(prefix[:MAX_PREFIX])
    if not text:
        return []
    prefecture, name = _split_prefecture(directory, text)
    out: dict[str, Entity] = {e.code: e for e in _begins(directory, name, prefecture)[:limit]}
    if len(out) < limit:
        as_written = resolver.resolve(name, prefecture)
        scored: dict[str, float] = {}
        # a finished reading counts only when the resolver settles on it: its candidates are guesses at a guess
        finished = [a for f in _finished(name) for a in _answers(resolver.resolve(f, prefecture))]
        found = [*_answers(as_written), *finished, *((c.score, c.code) for c in as_written.candidates)]
        for score, code in found:
            scored[code] = max(score, scored.get(code, 0.0))
        for code in sorted(scored, key=lambda c: (-scored[c], c)):
            e = directory.get(code)
            if e is not None:
                out.setdefault(code, e)
    return list(out.values())[:limit]
