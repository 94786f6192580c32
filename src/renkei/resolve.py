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

Before the levels, real-world writing is read: notes in brackets or after ※ are set
aside (a reading in brackets is kept as evidence), a prefecture and a county (郡) in
front of the name are taken off and used as evidence (a county found in one prefecture
only names it; a county picks the right successor of a merged name), and a cell that
holds several names (城島町・三潴町) gives status ``multiple`` with one resolution per
part. ``as_of`` resolves a name as it stood on that date.

A name that does not exist in the given prefecture but exists elsewhere is
reported as ``ambiguous`` with the flag ``other_prefecture``; it is never moved
silently. :func:`resolve_list` adds list context: published lists are in code
order, so a correction whose code breaks the order gives way to a close candidate
that fits between its neighbours, or becomes ``ambiguous``; the reason says so.

Every reason is built by one function of :mod:`renkei.reasons` (a key and its parameters).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from functools import cache, lru_cache

from . import reasons as R
from .directory import GOVERNMENT_OFFICE, Directory, Entity, HistoricalName, OldName
from .directory import load as load_directory
from .normalize import (
    clean,
    data_lines,
    fold,
    is_kana,
    split_names,
    split_notes,
    to_katakana,
    variant_members,
    variant_of,
)
from .reasons import Reason

STATUSES = ("exact", "normalized", "variant", "corrected", "merged", "ambiguous", "unresolved", "multiple")
RESOLVED = frozenset({"exact", "normalized", "variant", "corrected", "merged"})
FIRM = frozenset({"exact", "normalized", "variant"})  # no judgement involved: these anchor a list's code order

SUFFIX_SWAP_COST = 0.4  # 市 written for 町: a whole-character edit, but a common and meaningful one
SUFFIX_MISSING_COST = 0.4  # 亘理 for 亘理町
CONNECTOR_COST = 0.5  # dropping or adding ケ, ノ, の, ツ, ー, ・ (駒ケ根 / 駒根)
CONNECTORS = frozenset("ケノの之ツッー・")
MARGIN = 0.25  # how much cheaper the best correction must be than the next one
NATIONAL_MARGIN = 0.35  # without a prefecture the pool is 10x larger, and so is the risk of a namesake
WEAK_COST = 2.0  # beyond this a candidate is not even worth listing as ambiguous
CONTEXT_COST = 1.0  # the most a candidate may cost for the code order alone to choose it
COUNTY_BONUS = 0.15  # a candidate in the county that was written
COUNTY_PENALTY = 0.3  # a town or village in another county than the one written
MAX_CANDIDATES = 5
MAX_PARTS = 20  # several names in one cell: bounded, the input is an outsider's

_SUBPREFECTURE = re.compile(r"^(\S{1,8}?(?:総合振興局|振興局|支庁))(?=\S)")
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


def reason_fields(reasons: tuple[Reason, ...]) -> dict[str, object]:
    """What JSON outputs add beside ``reason`` (the text in the reader's language): ``reason_key`` and ``params``
    of the first reason (in the order they were applied; null when there is none), and ``reasons``, every one
    as {key, params, text}."""
    first = reasons[0] if reasons else None
    return {"reason_key": first.key if first else None, "params": first.args if first else {},
            "reasons": [r.as_dict() for r in reasons]}


@dataclass(frozen=True, slots=True)
class Resolution:
    """The answer for one written name. ``code`` is set only for the resolved statuses.

    ``multiple``: the cell held several names; ``parts`` has one resolution per name.
    """

    input: str
    status: str
    code: str | None = None
    name: str | None = None
    prefecture: str | None = None  # the prefecture of the answer, else the one given
    reasons: tuple[Reason, ...] = ()
    candidates: tuple[Candidate, ...] = ()
    given_prefecture: str | None = None
    flags: tuple[str, ...] = field(default_factory=tuple)  # other_prefecture, context, county_mismatch, ...
    parts: tuple[Resolution, ...] = ()
    query: str = ""  # the folded text that was looked up (list context ranks it again)

    @property
    def reason(self) -> str:
        return R.render(self.reasons)

    @property
    def resolved(self) -> bool:
        return self.status in RESOLVED and self.code is not None

    @property
    def needs_review(self) -> bool:
        return self.status in ("corrected", "merged", "ambiguous", "unresolved", "multiple")

    def as_dict(self) -> dict[str, object]:
        """The JSON contract of ``renkei resolve --jsonl``; ``parts`` only for status ``multiple``."""
        out: dict[str, object] = {
            "input": self.input,
            "prefecture": self.prefecture,
            "status": self.status,
            "code": self.code,
            "name": self.name,
            "reason": self.reason,
            "candidates": [c.as_dict() for c in self.candidates],
            **reason_fields(self.reasons),
        }
        if self.status == "multiple":
            out["parts"] = [p.as_dict() for p in self.parts]
        return out


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


def explain_edits(edits: Sequence[Edit], written: str, official: str) -> list[Reason]:
    """A reason per edit, quoting the characters as written (not as folded)."""
    out = []
    for kind, i, j in edits:
        a = written[i] if i >= 0 else ""
        b = official[j] if j >= 0 else ""
        out.append(R.edit(kind, a, b, glyph_similarity(a, b) if kind == "glyph" else 0.0))
    return out


# ---------------------------------------------------------------------------------------------
# The resolver


@dataclass(slots=True)
class _Query:
    text: str  # cleaned, notes and prefixes removed
    prefecture: str | None
    notes: list[Reason]
    county: str | None = None
    reading: str | None = None  # a reading written in brackets: 桑折(こおり)町
    prefix: str = ""  # the prefecture and county as written in front of the name
    flags: tuple[str, ...] = ()
    cleaned: str = ""  # the whole input, cleaned


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

    @property
    def _old_names(self) -> dict[str, list[OldName]]:
        if not hasattr(self, "_old_names_cache"):
            index: dict[str, list[OldName]] = defaultdict(list)
            for o in self.directory.old_names():
                index[fold(o.name)].append(o)
            self._old_names_cache = index
        return self._old_names_cache

    @property
    def _counties(self) -> dict[str, frozenset[str]]:
        """Every county (郡) known, current or historical, cleaned → the prefectures it is in."""
        if not hasattr(self, "_counties_cache"):
            index: dict[str, set[str]] = defaultdict(set)
            for county, prefecture in self.directory.counties_ever():
                index[clean(county)].add(prefecture)
            self._counties_cache = {k: frozenset(v) for k, v in index.items()}
        return self._counties_cache

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

    def resolve(self, name: str, prefecture: str | None = None, *, as_of: str | None = None,
                on: str | None = None, split: bool = True) -> Resolution:
        """Resolve one written name, optionally within a prefecture.

        ``as_of`` (ISO date; ``on`` is its older spelling): resolve the name as it stood on
        that date, so an old list's names lead through the changes made since.
        A cell holding several names comes back as status ``multiple`` with ``parts``
        (unless ``split`` is false: a published list's layout has one name per cell).
        """
        as_of = as_of or on
        given = prefecture
        pref = self.prefecture_name(prefecture)
        notes: list[Reason] = []
        if prefecture and pref is None:
            notes.append(R.unknown_prefecture(prefecture))
        result = self._resolve(name, pref, notes, as_of)
        if split and result.status not in FIRM and result.status != "merged":
            parts = split_names(name)
            if 1 < len(parts) <= MAX_PARTS:
                result = self._multiple(name, parts, pref, notes, as_of)
        return replace(result, input=name, given_prefecture=given,
                       prefecture=result.prefecture or pref or given)

    def resolve_cached(self, name: str, prefecture: str | None = None, *, as_of: str | None = None) -> Resolution:
        """:meth:`resolve`, remembered: project files repeat the same few hundred names thousands of times.

        Resolutions are immutable, so sharing them is safe; the memo is bounded.
        """
        key = (name, prefecture, as_of)
        memo = self.__dict__.setdefault("_memo", {})
        hit = memo.get(key)
        if hit is None:
            if len(memo) >= 100_000:
                memo.clear()
            hit = memo[key] = self.resolve(name, prefecture, as_of=as_of)
        return hit

    def resolve_ward(self, text: str) -> Entity | None:
        """One of the 23 special wards, from its code or its name as written (港区, 港, ミナトク); else None."""
        text = text.strip()
        e = self.directory.get(text) if text.isdigit() else None
        if e is None and text:
            r = self.resolve_cached(text, "東京都")
            e = self.directory.get(r.code) if r.code else None
        return e if e is not None and e.kind == "special_ward" else None

    # -- several names -------------------------------------------------------------------------

    def _multiple(self, name: str, parts: list[str], pref: str | None, notes: list[Reason],
                  as_of: str | None) -> Resolution:
        """One resolution per name; later names inherit a prefecture or county written before the first."""
        first = self._parse(parts[0], pref, [])
        prefix = first.prefix if isinstance(first, _Query) else ""
        out = []
        for i, part in enumerate(parts):
            text = part
            if i and prefix and not self._has_prefix(part):
                text = prefix + part
            r = self._resolve(text, pref, list(notes), as_of)
            out.append(replace(r, input=part, given_prefecture=pref, prefecture=r.prefecture or pref))
        return Resolution(name, "multiple", prefecture=pref, reasons=(*notes, R.split(len(out))), parts=tuple(out))

    def _has_prefix(self, text: str) -> bool:
        c = clean(text)
        return any(c[:size] in self._pref_names for size in (3, 4)) or "郡" in c[:-1]

    # -- the levels ----------------------------------------------------------------------------

    def _resolve(self, name: str, pref: str | None, notes: list[Reason], as_of: str | None) -> Resolution:
        cleaned = clean(name) if name else ""
        if not cleaned:
            return Resolution(name, "unresolved", reasons=(R.empty(),))
        # 1. exact
        hits = self._in(self._exact.get(name, ()), pref)
        if hits:
            dated = self._dated(name, name, hits, pref, notes, as_of) if as_of else None
            return dated or self._answer(name, "exact", hits, notes + self._exact_note(name, hits), pref)

        q = self._parse(name, pref, notes, cleaned)
        if isinstance(q, Resolution):
            return q
        pref = q.prefecture
        folded = fold(q.text)
        result = self._levels(name, q, folded, pref, as_of)
        if q.reading and (result.status in ("ambiguous", "unresolved") or not result.code):
            result = self._by_reading(name, q, pref) or result
        if result.status in FIRM and not q.flags:
            return result  # the common case: nothing to add (dataclass replace is not free)
        return replace(result, flags=tuple(dict.fromkeys((*result.flags, *q.flags))), query=folded)

    def _levels(self, name: str, q: _Query, folded: str, pref: str | None, as_of: str | None) -> Resolution:
        if q.county:  # 大野郡大野町: an old town of that county comes before a current namesake in another
            current = [e for e in (*self._clean.get(q.text, ()), *self._folded.get(folded, ()))
                       if pref is None or e.prefecture == pref]
            if not any(clean(e.county) == q.county for e in current):
                merged = self._merged(name, folded, pref, as_of, q.notes, q.county, strict=True) or \
                    self._before_1970(name, folded, pref, q, as_of)
                if merged:
                    return merged
        # 2. normalized (clean spelling, reading, ward without its city)
        hits = self._in(self._clean.get(q.text, ()), pref, q.county)
        if hits:
            return self._dated(name, folded, hits, pref, q.notes, as_of, q.county) or \
                self._answer(name, "normalized", hits, q.notes + self._clean_note(name, q, q.cleaned), pref)
        hits = self._in(self._short.get(folded, ()), pref)
        if hits and folded == clean(q.text):
            return self._answer(name, "normalized", hits, [*q.notes, R.ward_without_city()], pref)
        if is_kana(q.text):
            hits = self._in(self._readings.get(to_katakana(q.text), ()), pref)
            if hits:
                return self._answer(name, "normalized", hits, [*q.notes, R.by_reading()], pref)
        elif is_kana(q.text[:-1]) and q.text[-1] in _suffixes():
            hits = self._in(self._readings.get(to_katakana(q.text[:-1]) + q.text[-1], ()), pref)
            if hits:
                return self._answer(name, "normalized", hits, [*q.notes, R.by_reading()], pref)
        # 3. variant
        hits = self._in([*self._folded.get(folded, ()), *self._short.get(folded, ())], pref, q.county)
        if hits:
            changes = ", ".join(f"{a}→{b}" for a, b in zip(q.text, hits[0].name[-len(q.text):], strict=False)
                                if a != b) if len(q.text) == len(hits[0].name) else ""
            return self._dated(name, folded, hits, pref, q.notes, as_of, q.county) or \
                self._answer(name, "variant", hits, [*q.notes, R.variant(changes)], pref)
        # 4. merged, unless a current name is just as close (八尾町 is old, 八尾市 is current)
        merged = self._merged(name, folded, pref, as_of, q.notes, q.county)
        if merged:
            successors = {m.code for m in merged.candidates}
            near = [c for c in self.rank(folded, pref, limit=MAX_CANDIDATES)
                    if c.cost <= SUFFIX_SWAP_COST and c.code not in successors
                    and self.directory[c.code].parent_code not in successors]  # 浦和区 is part of さいたま市
            if not near or q.county:  # a county written in front says the name is the old one
                return merged
            return Resolution(name, "ambiguous", prefecture=pref, candidates=(*merged.candidates, *near),
                              reasons=(*merged.reasons, R.current_name_as_close()))
        # 5. corrected, or a report that the name lives in another prefecture
        return self._before_1970(name, folded, pref, q, as_of) or self._fuzzy(name, folded, pref, q)

    def _before_1970(self, name: str, folded: str, pref: str | None, q: _Query, as_of: str | None) -> Resolution | None:
        """A name that ended before 1970 (北村山郡高崎村 → 東根市), only with evidence that the old one is meant.

        The evidence is the county written in front of it, or a date on which it existed.
        Its successor is the current municipality that holds its old office's point.
        """
        if not q.county and not as_of:
            return None
        old = [o for o in self._old_names.get(folded, ()) if (pref is None or o.prefecture == pref)
               and (not q.county or clean(o.county) == q.county)
               and (not as_of or (o.valid_from <= as_of < o.valid_to))]
        if not old:
            return None
        codes = list(dict.fromkeys(o.successor for o in old))
        successors = [e for c in codes if (e := self.directory.get(c)) is not None]
        if not successors:
            return None
        o = max(old, key=lambda x: x.valid_to)
        reasons = [*q.notes, R.merged_by_place(o.prefecture, o.county, o.name, o.valid_to,
                                                "・".join(e.name for e in successors))]
        candidates = tuple(Candidate(e.code, e.name, e.prefecture, 1.0) for e in successors)
        if len(successors) == 1:
            e = successors[0]
            return Resolution(name, "merged", e.code, e.name, e.prefecture, tuple(reasons), candidates,
                              flags=("merged", "before_1970"))
        return Resolution(name, "merged", None, None, pref, (*reasons, R.several_successors()), candidates,
                          flags=("merged", "before_1970"))

    def _dated(self, name: str, folded: str, hits: Sequence[Entity], pref: str | None, notes: list[Reason],
               as_of: str | None, county: str | None = None) -> Resolution | None:
        """With ``as_of``: a current name that did not exist yet yields to the old one of that date."""
        if not as_of or any(e.valid_from <= as_of for e in hits):
            return None
        folded = fold(folded)
        merged = self._merged(name, folded, pref, as_of, notes, county)
        if merged and not {c.code for c in merged.candidates} <= {e.code for e in hits}:
            return merged
        e = hits[0]
        return self._answer(name, "normalized", hits, [*notes, R.not_yet(e.name, e.valid_from, as_of)], pref)

    def _by_reading(self, name: str, q: _Query, pref: str | None) -> Resolution | None:
        """A reading written in brackets (桑折(こおり)町) picks the government whose kana it is."""
        assert q.reading is not None
        kana = to_katakana(q.reading)
        keys = [kana, kana + q.text[-1]] if q.text[-1:] in _suffixes() else [kana]
        hits = self._in([e for k in keys for e in self._readings.get(k, ())], pref, q.county)
        if not hits:
            return None
        if len(hits) > 1:
            kept = [e for e in hits if set(fold(e.name)) & set(fold(q.text))]
            hits = kept or hits
        return self._answer(name, "normalized", hits, [*q.notes, R.reading_used(q.reading, hits[0].name)], pref)

    def _parse(self, name: str, pref: str | None, notes: list[Reason],
               cleaned: str | None = None) -> _Query | Resolution:
        """Clean the text; set notes aside; read 〇〇県(県庁) notations; strip prefecture and 郡 prefixes."""
        notes = list(notes)
        text = cleaned if cleaned is not None else clean(name)
        notation = self._notation(name, text, pref, notes)
        if notation is not None:
            return notation
        core, written_notes = split_notes(name)
        reading = None
        flags: tuple[str, ...] = ()
        if written_notes:
            for n in written_notes:
                notes.append(R.note_removed(n.kind, n.text))
                if n.kind == "reading" and reading is None:
                    reading = n.text
                elif n.kind == "other" and (named := self.prefecture_name(n.text)):
                    if pref is None:
                        pref = named
                    elif named != pref:
                        notes.append(R.prefix_other_prefecture(named, pref))
            text = clean(core)
            if not text:
                text = clean(name)
            notation = self._notation(name, text, pref, notes)
            if notation is not None:
                return notation
        prefix_len = 0
        # prefecture prefix: 宮城県亘理郡亘理町
        for size in (3, 4):  # prefecture names are 3 or 4 characters long
            p_clean = text[:size]
            p_name = self._pref_names.get(p_clean)
            if p_name and len(text) > size:
                if pref and p_name != pref:
                    notes.append(R.prefix_other_prefecture(p_name, pref))
                else:
                    notes.append(R.prefix_removed(p_name))
                    pref = p_name
                text = text[len(p_clean):]
                prefix_len = size
                break
        m = _SUBPREFECTURE.match(text)
        if m:  # 大島支庁大島町, オホーツク総合振興局網走郡美幌町: an office of the prefecture, not part of the name
            notes.append(R.subprefecture_removed(m.group(1)))
            text = text[m.end(1):]
            prefix_len += m.end(1)
        county = None
        # the first 郡 that closes a known county: 郡上郡八幡町 is 郡上郡 + 八幡町
        cut = next((i + 1 for i, ch in enumerate(text[:-1]) if ch == "郡" and i and text[:i + 1] in self._counties), 0)
        if cut:
            head, rest = text[:cut - 1], text[cut:]
            found = self._counties[head + "郡"]
            if found and rest:
                county = head + "郡"
                notes.append(R.county_removed(county))
                text = rest
                prefix_len += len(county)
                if pref is None and len(found) == 1:
                    pref = next(iter(found))
                    notes.append(R.county_implies_prefecture(county, pref))
                elif pref is not None and pref not in found:
                    notes.append(R.county_contradicts(county, pref, sorted(found)))
                    flags = ("county_mismatch",)
        prefix = clean(core if written_notes else name)[:prefix_len] if prefix_len else ""
        whole = cleaned if cleaned is not None else clean(name)
        return _Query(text, pref, notes, county, reading, prefix, flags, whole)

    def _notation(self, name: str, text: str, pref: str | None, notes: list[Reason]) -> Resolution | None:
        """北海道(道庁), 東京都（都庁）: the prefectural government as the published list writes it."""
        m = _NOTATION.match(text)
        if not m:
            return None
        written = self.prefecture_name(m.group("pref"))
        office = m.group("office") or m.group("bare")
        if not written or not (office is None or office.endswith("庁")):
            return None
        p = self.directory.prefecture(written)
        assert p is not None
        expected = GOVERNMENT_OFFICE[written[-1]]
        notes = list(notes)
        if office != expected:
            notes.append(R.office_notation(office, expected))
        if pref and written != pref:
            return self._other_prefecture(name, [p], pref, notes)
        status = "normalized" if clean(m.group("pref")) == written else "variant"
        if office is not None and office != expected:
            status = "corrected"
        return self._answer(name, status, [p], [*notes, R.prefecture_notation(p.list_name)], pref)

    def _merged(self, name: str, folded: str, pref: str | None, on: str | None, notes: list[Reason],
                county: str | None = None, strict: bool = False) -> Resolution | None:
        """An old name and its successors; ``strict``: only names recorded in the county written."""
        old = [h for h in self._history.get(folded, ())
               if (pref is None or h.prefecture == pref) and (on is None or on < h.valid_to)]
        if strict and not any(clean(h.county) == county for h in old):
            return None
        if not old:
            return None
        notes = list(notes)
        if county:
            in_county = [h for h in old if clean(h.county) == county]
            if in_county and len(in_county) < len(old):
                old = in_county
                names = "・".join(dict.fromkeys(self.directory[c].name for h in old for c in h.successors))
                notes.append(R.county_picks(county, names))
            elif in_county:
                old = in_county
        old.sort(key=lambda h: h.valid_to, reverse=True)
        codes = list(dict.fromkeys(c for h in old for c in h.successors))
        successors = [self.directory[c] for c in codes]
        h = old[0]
        reasons = [*notes, R.merged(h.prefecture, h.name, h.valid_to, h.change, [e.name for e in successors])]
        if on:
            reasons.append(R.as_of_date(on))
        candidates = tuple(Candidate(e.code, e.name, e.prefecture, 1.0) for e in successors)
        flags = ("merged",)
        if len(successors) == 1:
            e = successors[0]
            return Resolution(name, "merged", e.code, e.name, e.prefecture, tuple(reasons), candidates, flags=flags)
        return Resolution(name, "merged", None, None, pref, (*reasons, R.several_successors()), candidates,
                          flags=flags)

    def _fuzzy(self, name: str, folded: str, pref: str | None, q: _Query) -> Resolution:
        ranked = self._by_county(self.rank(folded, pref), q.county)
        best = ranked[0] if ranked else None
        if best and "county_mismatch" not in q.flags and \
                self._acceptable(best, ranked, MARGIN if pref else NATIONAL_MARGIN):
            e = self.directory[best.code]
            target = e.name if len(folded) > len(e.short_name) else e.short_name
            _, edits = weighted_distance(folded, fold(target))
            why = explain_edits(edits, q.text, clean(target)) or [R.spelling_variation()]
            return self._answer(name, "corrected", [e], [*q.notes, *why], pref,
                                candidates=tuple(ranked[:MAX_CANDIDATES]))
        if pref:
            elsewhere = self._exact_elsewhere(q.text, folded, pref)
            if elsewhere and (best is None or best.cost > SUFFIX_SWAP_COST):
                return self._other_prefecture(name, elsewhere, pref, q.notes, ranked)
        listed = tuple(c for c in ranked if c.cost <= WEAK_COST)[:MAX_CANDIDATES]
        if listed:
            why = R.close_candidates() if len(listed) > 1 and listed[1].cost - listed[0].cost < MARGIN \
                else R.weak_match()
            return Resolution(name, "ambiguous", prefecture=pref, reasons=(*q.notes, why), candidates=listed)
        return Resolution(name, "unresolved", prefecture=pref, reasons=(*q.notes, R.no_match()),
                          candidates=tuple(ranked[:MAX_CANDIDATES]))

    def _by_county(self, ranked: list[Candidate], county: str | None) -> list[Candidate]:
        """Candidates re-ranked by the county written: in it is cheaper, a town elsewhere dearer."""
        if not county or not ranked:
            return ranked
        out = []
        for c in ranked:
            e = self.directory[c.code]
            if clean(e.county) == county:
                c = replace(c, cost=max(0.0, round(c.cost - COUNTY_BONUS, 3)))
            elif e.county:
                c = replace(c, cost=round(c.cost + COUNTY_PENALTY, 3))
            out.append(c)
        return sorted(out, key=lambda c: (c.cost, c.code))

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

    def _other_prefecture(self, name: str, found: Sequence[Entity], pref: str, notes: list[Reason],
                          ranked: Sequence[Candidate] = ()) -> Resolution:
        where = "・".join(f"{e.prefecture}{e.name}({e.code})" for e in found)
        candidates = [Candidate(e.code, e.name, e.prefecture, 1.0) for e in found]
        candidates += [c for c in ranked if c.cost <= WEAK_COST][: MAX_CANDIDATES - len(candidates)]
        return Resolution(name, "ambiguous", prefecture=pref, reasons=(*notes, R.other_prefecture(pref, where)),
                          candidates=tuple(candidates), flags=("other_prefecture",))

    # -- helpers -------------------------------------------------------------------------------

    def _in(self, entities: Iterable[Entity], pref: str | None, county: str | None = None) -> list[Entity]:
        """The entities in ``pref``; with a county written, those in it, else those in a prefecture that has it.

        佐波郡東村 is not 沖縄県東村 (国頭郡): a county that exists is evidence against a namesake
        in a prefecture that never had it; the old name is then looked for instead.
        """
        out = [e for e in entities if (pref is None or e.prefecture == pref)]
        if county:
            out = [e for e in out if clean(e.county) == county] or \
                [e for e in out if e.prefecture in self._counties.get(county, ())]
        return list(dict.fromkeys(out))

    @staticmethod
    def _exact_note(name: str, hits: Sequence[Entity]) -> list[Reason]:
        if hits[0].is_prefecture and name != hits[0].name:
            return [R.prefecture_notation()]
        return []

    @staticmethod
    def _clean_note(name: str, q: _Query, cleaned: str) -> list[Reason]:
        if cleaned == name:
            return []
        if not q.notes:
            return [R.normalised(True)]
        if not any(n.key in ("note_removed", "prefix_removed", "county_removed") for n in q.notes):
            return [R.normalised(False)]
        return []

    def _answer(self, name: str, status: str, hits: Sequence[Entity], notes: list[Reason], pref: str | None,
                candidates: tuple[Candidate, ...] = ()) -> Resolution:
        hits = list(dict.fromkeys(hits))
        flags: tuple[str, ...] = ()
        if len(hits) > 1:
            active = [e for e in hits if not e.northern_territory]
            if len(active) == 1:
                notes = [*notes, R.northern_territory_set_aside()]
                hits, flags = active, ("northern_territory",)
        if len(hits) > 1:
            cands = tuple(Candidate(e.code, e.name, e.prefecture, 1.0) for e in hits)
            return Resolution(name, "ambiguous", prefecture=pref, candidates=cands,
                              reasons=(*notes, R.same_name(len(hits))))
        e = hits[0]
        if not candidates:
            candidates = (Candidate(e.code, e.name, e.prefecture, 1.0),)
        return Resolution(name, status, e.code, e.name, e.prefecture, tuple(notes), candidates, flags=flags)

    # -- lists ---------------------------------------------------------------------------------

    def resolve_list(self, names: Sequence[str], prefecture: str | None = None, *,
                     as_of: str | None = None) -> list[Resolution]:
        """Resolve names from one block of a published list, using code order as evidence.

        A cell is one name here (the layout says so): it is never split into ``multiple``.
        Names that resolved without judgement (exact, normalized, variant) are anchors. Any
        other answer is checked against the anchors around it: a correction or a guess whose
        code does not fit between them gives way to the one close candidate that fits, or
        becomes ``ambiguous``; a tie, or an old name with several successors, is settled
        when exactly one close candidate fits. The reason names the code order either way.
        """
        results = [self.resolve(n, prefecture, as_of=as_of, split=False) for n in names]
        anchors = [r.code if r.status in FIRM else None for r in results]
        out = []
        for i, r in enumerate(results):
            if r.status in FIRM or r.status == "multiple" or "other_prefecture" in r.flags:
                out.append(r)
                continue
            before = next((c for c in reversed(anchors[:i]) if c), None)
            after = next((c for c in anchors[i + 1:] if c), None)
            out.append(self._by_context(r, before, after, prefecture))
        return out

    def _by_context(self, r: Resolution, before: str | None, after: str | None, prefecture: str | None) -> Resolution:
        if before is None and after is None:
            return r

        def fits(code: str) -> bool:
            return (before is None or before < code) and (after is None or code < after)

        if r.code and fits(r.code):
            return r
        if r.status == "merged" and r.code:
            return r  # an old name: its successor's place in the list is not evidence against it
        pool: dict[str, Candidate] = {c.code: c for c in r.candidates}
        if r.query and r.status in ("corrected", "ambiguous", "unresolved"):
            for c in self.rank(r.query, self.prefecture_name(prefecture) or r.prefecture):
                pool.setdefault(c.code, c)
        limit = CONTEXT_COST if r.status != "merged" else 0.0
        fitting = sorted((c for c in pool.values() if fits(c.code) and c.cost <= limit), key=lambda c: (c.cost, c.code))
        lo = self.directory[before].name if before else ""
        hi = self.directory[after].name if after else ""
        chosen = None
        if len(fitting) == 1 or (len(fitting) > 1 and fitting[1].cost - fitting[0].cost >= MARGIN):
            chosen = fitting[0]
        if chosen is None:
            if not r.code:
                return r
            breaks = R.code_order_breaks(r.name or "", r.code, lo, hi)
            return replace(r, status="ambiguous", code=None, name=None, reasons=(*r.reasons, breaks),
                           flags=(*r.flags, "context"))
        e = self.directory[chosen.code]
        why = [R.code_order_breaks(r.name or "", r.code, lo, hi)] if r.code else []
        why.append(R.code_order_fits(e.name, lo, hi))
        if chosen.cost > 0 and r.query and r.status != "merged":
            target = e.name if len(r.query) > len(e.short_name) else e.short_name
            _, edits = weighted_distance(r.query, fold(target))
            written = clean(split_notes(r.input)[0])[-len(r.query):] if r.query else ""
            if len(written) == len(r.query):
                why = [*explain_edits(edits, written, clean(target)), *why]
        kept = tuple(x for x in r.reasons if not x.key.startswith("edit_") and x.key not in (
            "close_candidates", "weak_match", "no_match", "several_successors"))
        status = "merged" if r.status == "merged" else ("corrected" if chosen.cost > 0 else "normalized")
        return replace(r, status=status, code=e.code, name=e.name, prefecture=e.prefecture, reasons=(*kept, *why),
                       flags=(*r.flags, "context"))


@cache
def default_resolver() -> Resolver:
    return Resolver()


def resolve(name: str, prefecture: str | None = None, *, as_of: str | None = None,
            on: str | None = None) -> Resolution:
    """Resolve one written name against the packaged directory. See :class:`Resolver`."""
    return default_resolver().resolve(name, prefecture, as_of=as_of, on=on)


def resolve_list(names: Sequence[str], prefecture: str | None = None, *, as_of: str | None = None) -> list[Resolution]:
    """Resolve a block of names from a published list, with code order as evidence."""
    return default_resolver().resolve_list(names, prefecture, as_of=as_of)
