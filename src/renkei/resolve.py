"""Map a written name to its official code, and say why.

The resolver tries, in order, and stops at the first level that gives an answer:

1. ``exact``       the official spelling (or the list notation 北海道(道庁));
2. ``normalized``  after :func:`renkei.normalize.clean`, stripping a prefecture or 郡
                   prefix, a ward without its city, or matching the kana reading;
3. ``variant``     after folding kanji variants (異体字);
4. ``merged``      an old name, which leads to its current successor(s);
5. ``corrected``   a weighted edit distance in which a substitution costs less the
                   more alike the two glyphs are (glyph_similarity.tsv), a type
                   suffix swap (市/町/村/区) costs 0.5, and so on. A correction is
                   accepted only when it is cheap for the length of the name and
                   clearly better than the runner-up; otherwise the answer is
                   ``ambiguous`` (or ``unresolved``) with ranked candidates.

A name that does not exist in the given prefecture but exists elsewhere is
reported as ``ambiguous`` with the flag ``other_prefecture``; it is never moved
silently. :func:`resolve_list` adds list context: published lists are in code
order, so a tie between candidates is broken by the one whose code fits between
its neighbours, and the reason says so.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from functools import cache, lru_cache

from .directory import GOVERNMENT_OFFICE, Directory, Entity, HistoricalName
from .directory import load as load_directory
from .normalize import clean, data_lines, fold, is_kana, to_katakana, variant_members, variant_of

STATUSES = ("exact", "normalized", "variant", "corrected", "merged", "ambiguous", "unresolved")
RESOLVED = frozenset({"exact", "normalized", "variant", "corrected", "merged"})

SUFFIX_SWAP_COST = 0.4  # 市 written for 町: a whole-character edit, but a common and meaningful one
SUFFIX_MISSING_COST = 0.4  # 亘理 for 亘理町
CONNECTOR_COST = 0.5  # dropping or adding ケ, ノ, の, ツ, ー, ・ (駒ケ根 / 駒根)
CONNECTORS = frozenset("ケノの之ツッー・")
MARGIN = 0.25  # how much cheaper the best correction must be than the next one
NATIONAL_MARGIN = 0.35  # without a prefecture the pool is 10x larger, and so is the risk of a namesake
WEAK_COST = 2.0  # beyond this a candidate is not even worth listing as ambiguous
MAX_CANDIDATES = 5

_NOTATION = re.compile(r"^(?P<pref>.+?[都道府県])(?:\((?P<office>.+?)\)|(?P<bare>[都道府県]庁))$")


@dataclass(frozen=True, slots=True)
class Candidate:
    code: str
    name: str
    prefecture: str
    score: float  # 1.0 for a perfect match, lower for costlier corrections
    cost: float = 0.0

    def as_dict(self) -> dict[str, object]:
        return {"code": self.code, "name": self.name, "prefecture": self.prefecture, "score": self.score}


@dataclass(frozen=True, slots=True)
class Resolution:
    """The answer for one written name. ``code`` is set only for the resolved statuses."""

    input: str
    status: str
    code: str | None = None
    name: str | None = None
    prefecture: str | None = None  # the prefecture of the answer, else the one given
    reason: str = ""
    candidates: tuple[Candidate, ...] = ()
    given_prefecture: str | None = None
    flags: tuple[str, ...] = field(default_factory=tuple)  # other_prefecture, context, northern_territory, ...

    @property
    def resolved(self) -> bool:
        return self.status in RESOLVED and self.code is not None

    @property
    def needs_review(self) -> bool:
        return self.status in ("corrected", "merged", "ambiguous", "unresolved")

    def as_dict(self) -> dict[str, object]:
        """The JSON contract of ``renkei resolve --jsonl``."""
        return {
            "input": self.input,
            "prefecture": self.prefecture,
            "status": self.status,
            "code": self.code,
            "name": self.name,
            "reason": self.reason,
            "candidates": [c.as_dict() for c in self.candidates],
        }


# ---------------------------------------------------------------------------------------------
# Cost tables (data files)


@cache
def _glyph_rows() -> dict[str, str]:
    rows: dict[str, str] = {}
    for kanji, neighbours in data_lines("glyph_similarity.tsv"):
        rows[kanji] = neighbours
    return rows


@cache
def _glyph_neighbours(kanji: str) -> dict[str, float]:
    row = _glyph_rows().get(kanji)
    if not row:
        return {}
    out = {}
    for item in row.split():
        ch, _, sim = item.partition(":")
        out[ch] = int(sim) / 100
    return out


@cache
def glyph_similarity(a: str, b: str) -> float:
    """How alike two kanji look (0..1), from the rendered-glyph table; 0 when not listed.

    Text is compared after variant folding, so the look-up is made for every form of
    each character: 檜 folds to 桧, and 檜/楢 is the pair the table knows.
    """
    best = 0.0
    for x in variant_members(a):
        for y in variant_members(b):
            best = max(best, _glyph_neighbours(x).get(y, 0.0), _glyph_neighbours(y).get(x, 0.0))
    return best


@cache
def _kana_costs() -> dict[tuple[str, str], float]:
    table = {}
    for a, b, cost in data_lines("kana_confusions.tsv"):
        table[(a, b)] = table[(b, a)] = float(cost)
    return table


@cache
def _suffixes() -> dict[str, tuple[str, ...]]:
    return {s: tuple(readings.split()) for s, readings in data_lines("suffixes.tsv")}


def glyph_cost(similarity: float) -> float:
    """Substitution cost from glyph similarity: 0.94 (舘/館) ≈ 0.1, 0.70 (鮎/鮫) ≈ 0.8, unlisted 1.0."""
    if similarity <= 0.0:
        return 1.0
    return round(min(1.0, max(0.1, (0.97 - similarity) / 0.35)), 3)


@cache
def substitution(a: str, b: str, last: bool = False) -> tuple[float, str]:
    """The cost of writing ``a`` where ``b`` is meant, and the kind of error."""
    if a == b:
        return 0.0, ""
    if last and a in _suffixes() and b in _suffixes():
        return SUFFIX_SWAP_COST, "suffix"
    if variant_of(a, b):
        return 0.05, "variant"
    kana = _kana_costs().get((a, b))
    if kana is not None:
        return kana, "kana"
    sim = glyph_similarity(a, b)
    if sim:
        return glyph_cost(sim), "glyph"
    return 1.0, "typo"


def _indel(ch: str) -> float:
    return CONNECTOR_COST if ch in CONNECTORS else 1.0


Edit = tuple[str, int, int]  # (kind, index in written, index in official); -1 where absent


def weighted_distance(written: str, official: str) -> tuple[float, list[Edit]]:
    """Weighted Levenshtein distance and the edits (kind, i, j) that explain it."""
    n, m = len(written), len(official)
    dist = [[0.0] * (m + 1) for _ in range(n + 1)]
    for i in range(1, n + 1):
        dist[i][0] = dist[i - 1][0] + _indel(written[i - 1])
    for j in range(1, m + 1):
        dist[0][j] = dist[0][j - 1] + _indel(official[j - 1])
    for i in range(1, n + 1):
        a = written[i - 1]
        row, prev = dist[i], dist[i - 1]
        for j in range(1, m + 1):
            sub, _ = substitution(a, official[j - 1], i == n and j == m)
            row[j] = min(prev[j - 1] + sub, prev[j] + _indel(a), row[j - 1] + _indel(official[j - 1]))
    # walk back for the explanation
    edits: list[Edit] = []
    i, j = n, m
    while i > 0 or j > 0:
        if i > 0 and j > 0:
            sub, kind = substitution(written[i - 1], official[j - 1], i == n and j == m)
            if abs(dist[i][j] - (dist[i - 1][j - 1] + sub)) < 1e-9:
                if kind:
                    edits.append((kind, i - 1, j - 1))
                i, j = i - 1, j - 1
                continue
        if i > 0 and abs(dist[i][j] - (dist[i - 1][j] + _indel(written[i - 1]))) < 1e-9:
            edits.append(("extra", i - 1, -1))
            i -= 1
        else:
            edits.append(("missing", -1, j - 1))
            j -= 1
    edits.reverse()
    return round(dist[n][m], 3), edits


@lru_cache(maxsize=65536)
def _cost(written: str, official: str) -> float:
    return weighted_distance(written, official)[0]


_EDIT_WORDS = {
    "suffix": ("種別の誤り", "wrong type suffix"),
    "variant": ("異体字", "kanji variant"),
    "kana": ("仮名の誤り", "kana confusion"),
    "glyph": ("字形類似", "look-alike kanji"),
    "typo": ("誤字", "wrong character"),
    "extra": ("余分な字", "extra character"),
    "missing": ("脱字", "missing character"),
}


def explain_edits(edits: Sequence[Edit], written: str, official: str) -> str:
    """Words for the edits, quoting the characters as written (not as folded)."""
    parts = []
    for kind, i, j in edits:
        a = written[i] if i >= 0 else ""
        b = official[j] if j >= 0 else ""
        ja, en = _EDIT_WORDS[kind]
        if kind == "extra":
            parts.append(f"「{a}」{ja} / {en} '{a}'")
        elif kind == "missing":
            parts.append(f"「{b}」{ja} / {en} '{b}'")
        elif kind == "glyph":
            parts.append(f"{a}→{b} {ja} / {en} (similarity {glyph_similarity(a, b):.2f})")
        else:
            parts.append(f"{a}→{b} {ja} / {en}")
    return "; ".join(parts)


# ---------------------------------------------------------------------------------------------
# The resolver


@dataclass(slots=True)
class _Query:
    text: str  # cleaned, prefixes removed
    prefecture: str | None
    notes: list[str]
    county: str | None = None


class Resolver:
    """Indexes over a :class:`Directory` for fast, explained look-ups.

    One instance serves any number of calls; :func:`resolve` uses a shared one.
    """

    def __init__(self, directory: Directory | None = None) -> None:
        self.directory = directory or load_directory()
        d = self.directory
        self._exact: dict[str, list[Entity]] = defaultdict(list)
        self._clean: dict[str, list[Entity]] = defaultdict(list)
        self._folded: dict[str, list[Entity]] = defaultdict(list)
        self._short: dict[str, list[Entity]] = defaultdict(list)  # wards without their city
        for e in d.entities:
            self._exact[e.name].append(e)
            if e.is_prefecture:
                self._exact[e.list_name].append(e)
            self._clean[clean(e.name)].append(e)
            self._folded[fold(e.name)].append(e)
            if e.kind == "city_ward":
                self._short[fold(e.short_name)].append(e)
        self._pref_names = {clean(p.name): p.name for p in d.prefectures}
        self._pref_folded = {fold(p.name): p.name for p in d.prefectures}
        self._pref_short = {fold(p.name[:-1]): p.name for p in d.prefectures if p.name != "北海道"}
        self._pref_short[fold("北海道")] = "北海道"
        self._pref_roman = {p.romaji.lower(): p.name for p in d.prefectures}

    # -- indexes built on first use ------------------------------------------------------------

    @property
    def _readings(self) -> dict[str, list[Entity]]:
        if not hasattr(self, "_readings_cache"):
            index: dict[str, list[Entity]] = defaultdict(list)
            for e in self.directory.entities:
                for key in self._reading_keys(e):
                    if e not in index[key]:
                        index[key].append(e)
            self._readings_cache = index
        return self._readings_cache

    def _reading_keys(self, e: Entity) -> list[str]:
        keys = [e.kana]
        suffix = e.name[-1]
        for reading in _suffixes().get(suffix, ()):
            if e.kana.endswith(reading) and len(e.kana) > len(reading):
                stem = e.kana[: -len(reading)]
                keys += [stem + suffix, stem + reading]
        return keys

    @property
    def _pools(self) -> dict[str | None, tuple[list[str], list[Entity]]]:
        """Fuzzy candidate pools: per prefecture and national, as (folded keys, entities)."""
        if not hasattr(self, "_pools_cache"):
            pools: dict[str | None, tuple[list[str], list[Entity]]] = defaultdict(lambda: ([], []))
            for e in self.directory.entities:
                keys = {fold(e.name)} | ({fold(e.short_name)} if e.kind == "city_ward" else set())
                for key in keys:
                    for pool in (pools[e.prefecture], pools[None]):
                        pool[0].append(key)
                        pool[1].append(e)
            self._pools_cache = dict(pools)
        return self._pools_cache

    @property
    def _history(self) -> dict[str, list[HistoricalName]]:
        if not hasattr(self, "_history_cache"):
            index: dict[str, list[HistoricalName]] = defaultdict(list)
            for h in self.directory.history:
                index[fold(h.name)].append(h)
            self._history_cache = index
        return self._history_cache

    # -- public --------------------------------------------------------------------------------

    def prefecture_name(self, text: str | None) -> str | None:
        """A prefecture as written (東京都, 東京, ＴＯＫＹＯ, 13, 130001) → its official name."""
        if not text:
            return None
        c = clean(text)
        if c in self._pref_names:
            return self._pref_names[c]
        f = fold(c)
        if f in self._pref_folded:
            return self._pref_folded[f]
        if f in self._pref_short:
            return self._pref_short[f]
        if c.lower() in self._pref_roman:
            return self._pref_roman[c.lower()]
        p = self.directory.prefecture(c) if c.isdigit() else None
        return p.name if p else None

    def resolve(self, name: str, prefecture: str | None = None, *, on: str | None = None) -> Resolution:
        """Resolve one written name, optionally within a prefecture. ``on``: date for old names."""
        given = prefecture
        pref = self.prefecture_name(prefecture)
        notes: list[str] = []
        if prefecture and pref is None:
            notes.append(f"都道府県「{prefecture}」は不明のため全国で検索 / unknown prefecture, searched nationwide")
        result = self._resolve(name, pref, notes, on)
        return replace(result, input=name, given_prefecture=given,
                       prefecture=result.prefecture or pref or given)

    def resolve_cached(self, name: str, prefecture: str | None = None) -> Resolution:
        """:meth:`resolve`, remembered: project files repeat the same few hundred names thousands of times.

        Resolutions are immutable, so sharing them is safe; the memo is bounded.
        """
        key = (name, prefecture)
        memo = self.__dict__.setdefault("_memo", {})
        hit = memo.get(key)
        if hit is None:
            if len(memo) >= 100_000:
                memo.clear()
            hit = memo[key] = self.resolve(name, prefecture)
        return hit

    def resolve_ward(self, text: str) -> Entity | None:
        """One of the 23 special wards, from its code or its name as written (港区, 港, ミナトク); else None."""
        text = text.strip()
        e = self.directory.get(text) if text.isdigit() else None
        if e is None and text:
            r = self.resolve_cached(text, "東京都")
            e = self.directory.get(r.code) if r.code else None
        return e if e is not None and e.kind == "special_ward" else None

    # -- the levels ----------------------------------------------------------------------------

    def _resolve(self, name: str, pref: str | None, notes: list[str], on: str | None) -> Resolution:
        if not name or not clean(name):
            return Resolution(name, "unresolved", reason="空欄 / empty name")
        # 1. exact
        hits = self._in(self._exact.get(name, ()), pref)
        if hits:
            return self._answer(name, "exact", hits, notes + self._exact_note(name, hits), pref)

        q = self._parse(name, pref, notes)
        if isinstance(q, Resolution):
            return q
        pref = q.prefecture
        # 2. normalized (clean spelling, reading, ward without its city)
        hits = self._in(self._clean.get(q.text, ()), pref, q.county)
        if hits:
            return self._answer(name, "normalized", hits, q.notes + self._clean_note(name, q), pref)
        folded = fold(q.text)
        hits = self._in(self._short.get(folded, ()), pref)
        if hits and fold(q.text) == clean(q.text):
            note = "政令市の区を市名なしで記載 / designated-city ward written without its city"
            return self._answer(name, "normalized", hits, [*q.notes, note], pref)
        if is_kana(q.text):
            hits = self._in(self._readings.get(to_katakana(q.text), ()), pref)
            if hits:
                return self._answer(name, "normalized", hits, [*q.notes, "読みで一致 / matched by reading"], pref)
        elif is_kana(q.text[:-1]) and q.text[-1] in _suffixes():
            hits = self._in(self._readings.get(to_katakana(q.text[:-1]) + q.text[-1], ()), pref)
            if hits:
                return self._answer(name, "normalized", hits, [*q.notes, "読みで一致 / matched by reading"], pref)
        # 3. variant
        hits = self._in([*self._folded.get(folded, ()), *self._short.get(folded, ())], pref, q.county)
        if hits:
            changes = ", ".join(f"{a}→{b}" for a, b in zip(q.text, hits[0].name[-len(q.text):], strict=False)
                                if a != b) if len(q.text) == len(hits[0].name) else ""
            note = f"異体字 {changes} / kanji variant".replace("  ", " ")
            return self._answer(name, "variant", hits, [*q.notes, note], pref)
        # 4. merged, unless a current name is just as close (八尾町 is old, 八尾市 is current)
        merged = self._merged(name, folded, pref, on, q.notes)
        if merged:
            successors = {m.code for m in merged.candidates}
            near = [c for c in self.rank(folded, pref, limit=MAX_CANDIDATES)
                    if c.cost <= SUFFIX_SWAP_COST and c.code not in successors
                    and self.directory[c.code].parent_code not in successors]  # 浦和区 is part of さいたま市
            if not near:
                return merged
            return Resolution(name, "ambiguous", prefecture=pref, candidates=(*merged.candidates, *near),
                              reason="; ".join([merged.reason, "現存の類似名あり / a current name is as close"]))
        # 5. corrected, or a report that the name lives in another prefecture
        return self._fuzzy(name, folded, pref, q)

    def _parse(self, name: str, pref: str | None, notes: list[str]) -> _Query | Resolution:
        """Clean the text; read 〇〇県(県庁) notations and strip prefecture and 郡 prefixes."""
        text = clean(name)
        notes = list(notes)
        m = _NOTATION.match(text)
        if m:
            written = self.prefecture_name(m.group("pref"))
            office = m.group("office") or m.group("bare")
            if written and (office is None or office.endswith("庁")):
                p = self.directory.prefecture(written)
                assert p is not None
                expected = GOVERNMENT_OFFICE[written[-1]]
                if office != expected:
                    notes.append(f"「{office}」→「{expected}」 / government office written differently")
                if pref and written != pref:
                    return self._other_prefecture(name, [p], pref, notes)
                status = "normalized" if clean(m.group("pref")) == written else "variant"
                if office is not None and office != expected:
                    status = "corrected"
                note = f"都道府県の記法 / prefectural government notation: {p.list_name}"
                return self._answer(name, status, [p], [*notes, note], pref)
        # prefecture prefix: 宮城県亘理郡亘理町
        for size in (3, 4):  # prefecture names are 3 or 4 characters long
            p_clean = text[:size]
            p_name = self._pref_names.get(p_clean)
            if p_name and len(text) > size:
                if pref and p_name != pref:
                    notes.append(f"前置の都道府県「{p_name}」は指定の「{pref}」と異なる"
                                 " / prefix names another prefecture")
                else:
                    notes.append(f"都道府県名「{p_name}」を除去 / prefecture prefix removed")
                    pref = p_name
                text = text[len(p_clean):]
                break
        county = None
        if "郡" in text[:-1]:
            head, _, rest = text.partition("郡")
            counties = {clean(c) for c in (self.directory.counties(pref) if pref else self._all_counties())}
            if head + "郡" in counties and rest:
                county = head + "郡"
                notes.append(f"郡名「{county}」を除去 / county prefix removed")
                text = rest
        return _Query(text, pref, notes, county)

    @cache  # noqa: B019 - one Resolver per directory lives for the whole process
    def _all_counties(self) -> frozenset[str]:
        return frozenset(e.county for e in self.directory.entities if e.county)

    def _merged(self, name: str, folded: str, pref: str | None, on: str | None, notes: list[str]) -> Resolution | None:
        old = [h for h in self._history.get(folded, ())
               if (pref is None or h.prefecture == pref) and (on is None or on < h.valid_to)]
        if not old:
            return None
        old.sort(key=lambda h: h.valid_to, reverse=True)
        codes = list(dict.fromkeys(c for h in old for c in h.successors))
        successors = [self.directory[c] for c in codes]
        h = old[0]
        what = f"{h.prefecture}{h.name}は{h.valid_to}に{h.change}"
        names = "・".join(e.name for e in successors)
        reason = f"{what}、現在は{names} / {h.name} ended on {h.valid_to} ({h.change}); now {names}"
        candidates = tuple(Candidate(e.code, e.name, e.prefecture, 1.0) for e in successors)
        flags = ("merged",)
        if len(successors) == 1:
            e = successors[0]
            return Resolution(name, "merged", e.code, e.name, e.prefecture, "; ".join([*notes, reason]),
                              candidates, flags=flags)
        reason = "; ".join([*notes, reason, "後継が複数 / several successors"])
        return Resolution(name, "merged", None, None, pref, reason, candidates, flags=flags)

    def _fuzzy(self, name: str, folded: str, pref: str | None, q: _Query) -> Resolution:
        ranked = self.rank(folded, pref)
        best = ranked[0] if ranked else None
        if best and self._acceptable(best, ranked, MARGIN if pref else NATIONAL_MARGIN):
            e = self.directory[best.code]
            target = e.name if len(folded) > len(e.short_name) else e.short_name
            _, edits = weighted_distance(folded, fold(target))
            reason = explain_edits(edits, q.text, clean(target)) or "表記の揺れ / spelling variation"
            return self._answer(name, "corrected", [e], [*q.notes, reason], pref,
                                candidates=tuple(ranked[:MAX_CANDIDATES]))
        if pref:
            elsewhere = self._exact_elsewhere(q.text, folded, pref)
            if elsewhere and (best is None or best.cost > SUFFIX_SWAP_COST):
                return self._other_prefecture(name, elsewhere, pref, q.notes, ranked)
        listed = tuple(c for c in ranked if c.cost <= WEAK_COST)[:MAX_CANDIDATES]
        if listed:
            why = "候補が拮抗 / close candidates" if len(listed) > 1 and listed[1].cost - listed[0].cost < MARGIN \
                else "一致が弱い / weak match"
            return Resolution(name, "ambiguous", prefecture=pref, reason="; ".join([*q.notes, why]), candidates=listed)
        return Resolution(name, "unresolved", prefecture=pref,
                          reason="; ".join([*q.notes, "該当なし / no matching local government"]),
                          candidates=tuple(ranked[:MAX_CANDIDATES]))

    def rank(self, folded: str, pref: str | None, limit: int = 20) -> list[Candidate]:
        """Fuzzy candidates for a folded name, cheapest first."""
        from rapidfuzz import process
        from rapidfuzz.distance import Levenshtein

        keys, entities = self._pools.get(pref) or self._pools[None]
        # Short names are compared at one edit: at two, a 3-character name shares only one
        # character with its "candidates", which is no evidence at all (and costs time).
        max_edits = 1 if len(folded) <= 3 else 2
        hits = process.extract(folded, keys, scorer=Levenshtein.distance, score_cutoff=max_edits, limit=None)
        best: dict[str, Candidate] = {}
        for key, _, idx in hits:
            e = entities[idx]
            cost = _cost(folded, key)
            if key[:-1] == folded and key[-1] in _suffixes():
                cost = min(cost, SUFFIX_MISSING_COST)
            score = round(max(0.0, 1.0 - cost / max(len(key), len(folded))), 3)
            if e.code not in best or best[e.code].cost > cost:
                best[e.code] = Candidate(e.code, e.name, e.prefecture, score, cost)
        ranked = sorted(best.values(), key=lambda c: (c.cost, c.code))
        return ranked[:limit]

    @staticmethod
    def _limit(key: str) -> float:
        """The most a correction may cost for an official name of this length."""
        return min(1.0, 0.3 * len(key))

    def _acceptable(self, best: Candidate, ranked: Sequence[Candidate], margin: float) -> bool:
        e = self.directory[best.code]
        if best.cost > self._limit(fold(e.short_name)):
            return False
        runner_up = next((c for c in ranked[1:] if c.code != best.code), None)
        return runner_up is None or runner_up.cost - best.cost >= margin

    def _exact_elsewhere(self, text: str, folded: str, pref: str) -> list[Entity]:
        hits = self._clean.get(text) or self._folded.get(folded) or []
        return [e for e in hits if e.prefecture != pref]

    def _other_prefecture(self, name: str, found: Sequence[Entity], pref: str, notes: list[str],
                          ranked: Sequence[Candidate] = ()) -> Resolution:
        where = "・".join(f"{e.prefecture}{e.name}({e.code})" for e in found)
        reason = f"{pref}に該当なし、{where}にあり(都道府県の誤りか) / not in {pref}; exists in {where}"
        candidates = [Candidate(e.code, e.name, e.prefecture, 1.0) for e in found]
        candidates += [c for c in ranked if c.cost <= WEAK_COST][: MAX_CANDIDATES - len(candidates)]
        return Resolution(name, "ambiguous", prefecture=pref, reason="; ".join([*notes, reason]),
                          candidates=tuple(candidates), flags=("other_prefecture",))

    # -- helpers -------------------------------------------------------------------------------

    @staticmethod
    def _in(entities: Iterable[Entity], pref: str | None, county: str | None = None) -> list[Entity]:
        out = [e for e in entities if (pref is None or e.prefecture == pref)]
        if county:
            out = [e for e in out if clean(e.county) == county] or out
        return list(dict.fromkeys(out))

    @staticmethod
    def _exact_note(name: str, hits: Sequence[Entity]) -> list[str]:
        if hits[0].is_prefecture and name != hits[0].name:
            return ["都道府県の記法 / prefectural government notation"]
        return []

    @staticmethod
    def _clean_note(name: str, q: _Query) -> list[str]:
        if clean(name) != name and not q.notes:
            return ["表記の正規化(全角・半角、空白、ヶ/ケ など) / width, spacing or ヶ/ケ normalised"]
        if clean(name) != name:
            return ["表記の正規化 / normalised"]
        return []

    def _answer(self, name: str, status: str, hits: Sequence[Entity], notes: list[str], pref: str | None,
                candidates: tuple[Candidate, ...] = ()) -> Resolution:
        hits = list(dict.fromkeys(hits))
        flags: tuple[str, ...] = ()
        if len(hits) > 1:
            active = [e for e in hits if not e.northern_territory]
            if len(active) == 1:
                notes = [*notes, "北方領土の同名村を除外 / same-named 北方領土 village set aside"]
                hits, flags = active, ("northern_territory",)
        if len(hits) > 1:
            cands = tuple(Candidate(e.code, e.name, e.prefecture, 1.0) for e in hits)
            return Resolution(name, "ambiguous", prefecture=pref, candidates=cands,
                              reason="; ".join([*notes, f"同名が{len(hits)}件 / {len(hits)} share this name"]))
        e = hits[0]
        if not candidates:
            candidates = (Candidate(e.code, e.name, e.prefecture, 1.0),)
        return Resolution(name, status, e.code, e.name, e.prefecture, "; ".join(notes), candidates, flags=flags)

    # -- lists ---------------------------------------------------------------------------------

    def resolve_list(self, names: Sequence[str], prefecture: str | None = None) -> list[Resolution]:
        """Resolve names from one block of a published list, using code order as evidence.

        A tie (ambiguous, or a correction without a clear margin) is settled when exactly
        one of the close candidates has a code between the nearest resolved neighbours.
        """
        results = [self.resolve(n, prefecture) for n in names]
        anchors = [r.code if r.status in ("exact", "normalized", "variant") else None for r in results]
        out = []
        for i, r in enumerate(results):
            if r.status != "ambiguous" or "other_prefecture" in r.flags or not r.candidates:
                out.append(r)
                continue
            before = next((c for c in reversed(anchors[:i]) if c), None)
            after = next((c for c in anchors[i + 1:] if c), None)
            out.append(self._by_context(r, before, after))
        return out

    def _by_context(self, r: Resolution, before: str | None, after: str | None) -> Resolution:
        if before is None and after is None:
            return r
        best = r.candidates[0].cost
        close = [c for c in r.candidates if c.cost - best < MARGIN and c.cost <= 1.0]
        fits = [c for c in close if (before is None or before < c.code) and (after is None or c.code < after)]
        if len(fits) != 1 or (len(close) < 2 and r.candidates[0].cost > 1.0):
            return r
        c = fits[0]
        e = self.directory[c.code]
        lo = self.directory[before].name if before else "先頭 / start"
        hi = self.directory[after].name if after else "末尾 / end"
        status = "corrected" if c.cost > 0 else "normalized"
        reason = (f"{r.reason}; 記載順(コード順)で{lo}と{hi}の間に入るのは{e.name}のみ"
                  f" / only {e.name} fits the code order between {lo} and {hi}")
        return replace(r, status=status, code=e.code, name=e.name, prefecture=e.prefecture, reason=reason,
                       flags=(*r.flags, "context"))


@cache
def default_resolver() -> Resolver:
    return Resolver()


def resolve(name: str, prefecture: str | None = None, *, on: str | None = None) -> Resolution:
    """Resolve one written name against the packaged directory. See :class:`Resolver`."""
    return default_resolver().resolve(name, prefecture, on=on)


def resolve_list(names: Sequence[str], prefecture: str | None = None) -> list[Resolution]:
    """Resolve a block of names from a published list, with code order as evidence."""
    return default_resolver().resolve_list(names, prefecture)
