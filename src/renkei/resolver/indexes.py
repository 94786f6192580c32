"""Look-up tables over a :class:`~renkei.directory.Directory`, built once per resolver.

The exact, cleaned and folded names are built at once (every call needs them); readings, fuzzy pools,
the merger history, old names and counties on first use, so a one-name command stays fast.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from functools import cached_property

from ..directory import Directory, Entity, HistoricalName, OldName
from ..normalize import clean, fold
from .costs import suffixes


class Indexes:
    def __init__(self, directory: Directory) -> None:
        self.directory = d = directory
        self.exact: dict[str, list[Entity]] = defaultdict(list)
        self.clean: dict[str, list[Entity]] = defaultdict(list)
        self.folded: dict[str, list[Entity]] = defaultdict(list)
        self.short: dict[str, list[Entity]] = defaultdict(list)  # wards without their city
        for e in d.entities:
            self.exact[e.name].append(e)
            if e.is_prefecture:
                self.exact[e.list_name].append(e)
            self.clean[clean(e.name)].append(e)
            self.folded[fold(e.name)].append(e)
            if e.kind == "city_ward":
                self.short[fold(e.short_name)].append(e)
        self.pref_names = {clean(p.name): p.name for p in d.prefectures}
        self._pref_folded = {fold(p.name): p.name for p in d.prefectures}
        self._pref_short = {fold(p.name[:-1]): p.name for p in d.prefectures if p.name != "北海道"}
        self._pref_short[fold("北海道")] = "北海道"
        self._pref_roman = {p.romaji.lower(): p.name for p in d.prefectures}

    @cached_property
    def readings(self) -> dict[str, list[Entity]]:
        """Kana readings (with and without the suffix's reading) → entities."""
        index: dict[str, list[Entity]] = defaultdict(list)
        for e in self.directory.entities:
            for key in self._reading_keys(e):
                if e not in index[key]:
                    index[key].append(e)
        return index

    @staticmethod
    def _reading_keys(e: Entity) -> list[str]:
        keys = [e.kana]
        suffix = e.name[-1]
        for reading in suffixes().get(suffix, ()):
            if e.kana.endswith(reading) and len(e.kana) > len(reading):
                stem = e.kana[: -len(reading)]
                keys += [stem + suffix, stem + reading]
        return keys

    @cached_property
    def pools(self) -> dict[str | None, tuple[list[str], list[Entity]]]:
        """Fuzzy candidate pools: per prefecture and national, as (folded keys, entities)."""
        pools: dict[str | None, tuple[list[str], list[Entity]]] = defaultdict(lambda: ([], []))
        for e in self.directory.entities:
            keys = {fold(e.name)} | ({fold(e.short_name)} if e.kind == "city_ward" else set())
            for key in keys:
                for pool in (pools[e.prefecture], pools[None]):
                    pool[0].append(key)
                    pool[1].append(e)
        return dict(pools)

    @cached_property
    def history(self) -> dict[str, list[HistoricalName]]:
        """Names that changed since 1970 (folded) → their records."""
        index: dict[str, list[HistoricalName]] = defaultdict(list)
        for h in self.directory.history:
            index[fold(h.name)].append(h)
        return index

    @cached_property
    def old_names(self) -> dict[str, list[OldName]]:
        """Names that ended before 1970 (folded) → their records."""
        index: dict[str, list[OldName]] = defaultdict(list)
        for o in self.directory.old_names():
            index[fold(o.name)].append(o)
        return index

    @cached_property
    def counties(self) -> dict[str, frozenset[str]]:
        """Every county (郡) known, current or historical, cleaned → the prefectures it is in."""
        index: dict[str, set[str]] = defaultdict(set)
        for county, prefecture in self.directory.counties_ever():
            index[clean(county)].add(prefecture)
        return {k: frozenset(v) for k, v in index.items()}

    @cached_property
    def county_length(self) -> int:
        """The longest county name: a county is looked for only that far into the text."""
        return max(map(len, self.counties), default=0)

    def prefecture_name(self, text: str | None) -> str | None:
        """A prefecture as written (東京都, 東京, ＴＯＫＹＯ, 13, 130001) → its official name."""
        if not text:
            return None
        c = clean(text)
        if c in self.pref_names:
            return self.pref_names[c]
        f = fold(c)
        if f in self._pref_folded:
            return self._pref_folded[f]
        if f in self._pref_short:
            return self._pref_short[f]
        if c.lower() in self._pref_roman:
            return self._pref_roman[c.lower()]
        p = self.directory.prefecture(c) if c.isdigit() else None
        return p.name if p else None

    def within(self, entities: Iterable[Entity], pref: str | None, county: str | None = None) -> list[Entity]:
        """The entities in ``pref``; with a county written, those in it, else those in a prefecture that has it.

        佐波郡東村 is not 沖縄県東村 (国頭郡): a county that exists is evidence against a namesake
        in a prefecture that never had it; the old name is then looked for instead.
        """
        out = list(entities) if pref is None else [e for e in entities if e.prefecture == pref]
        if county:
            out = [e for e in out if clean(e.county) == county] or \
                [e for e in out if e.prefecture in self.counties.get(county, ())]
        return out if len(out) < 2 else list({e.code: e for e in out}.values())

    def elsewhere(self, text: str, folded: str, pref: str) -> list[Entity]:
        """The current names spelt so, outside ``pref``."""
        hits: Sequence[Entity] = self.clean.get(text) or self.folded.get(folded) or []
        return [e for e in hits if e.prefecture != pref]
