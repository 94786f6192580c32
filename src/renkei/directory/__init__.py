"""The official directory of Japan's local governments, shipped with the package.

Built by ``scripts/build_data.py`` from ABR, jpcity, e-Stat and localgovjp (see
raw/SOURCES.md). Everything here is read-only and plain: the resolver, the
importers and the web site all look things up through one :class:`Directory`.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, fields
from functools import cache, cached_property
from operator import attrgetter
from pathlib import Path
from typing import TYPE_CHECKING

from ..i18n import N_

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

KIND_LABELS = {  # msgids: translate with i18n.gettext where a person reads them; open data keeps the Japanese
    "prefecture": N_("都道府県"),
    "designated_city": N_("政令指定都市"),
    "city": N_("市"),
    "special_ward": N_("特別区"),
    "town": N_("町"),
    "village": N_("村"),
    "city_ward": N_("政令市の区"),
}
MUNICIPAL_KINDS = frozenset({"designated_city", "city", "special_ward", "town", "village"})
# The government office written after a prefecture's name in the published list: 北海道(道庁).
GOVERNMENT_OFFICE = {"都": "都庁", "道": "道庁", "府": "府庁", "県": "県庁"}


@dataclass(frozen=True, slots=True)
class Entity:
    """One local government as it stands in the directory."""

    code: str  # 6-digit 全国地方公共団体コード, check digit included
    name: str  # official name; wards of designated cities carry their city: 横浜市中区
    short_name: str  # the name without the city for wards: 中区
    kana: str  # katakana reading
    romaji: str
    kind: str  # a key of KIND_LABELS
    pref_code: str
    prefecture: str
    county: str  # 郡, where there is one
    county_kana: str
    parent_code: str  # the designated city of a ward
    lon: float | None
    lat: float | None
    valid_from: str
    valid_to: str
    northern_territory: bool  # 北方領土: listed, but never counted
    url: str

    @property
    def kind_label(self) -> str:
        return KIND_LABELS[self.kind]

    @property
    def is_prefecture(self) -> bool:
        return self.kind == "prefecture"

    @property
    def is_municipality(self) -> bool:
        """A 市区町村 in the 1,741 (designated cities count, their wards do not)."""
        return self.kind in MUNICIPAL_KINDS and not self.northern_territory

    @property
    def list_name(self) -> str:
        """The name as the published list writes it: 北海道(道庁) for a prefectural government."""
        if self.is_prefecture:
            return f"{self.name}({GOVERNMENT_OFFICE[self.name[-1]]})"
        return self.name


@dataclass(frozen=True, slots=True)
class HistoricalName:
    """A name that ended since 1970, and where it went."""

    code: str  # the code it had
    name: str
    kana: str
    prefecture: str
    county: str  # the 郡 it was in, where e-Stat records one
    valid_to: str  # the date of the change that ended it
    change: str  # 新設合併, 編入合併, 市制施行, 名称変更, 区の再編, ...
    successors: tuple[str, ...]  # current codes
    note: str  # e-Stat's wording of the change


@dataclass(frozen=True, slots=True)
class OldName:
    """A municipality that ended before 1970 (geoshape), with the current one that holds its office point."""

    name: str
    prefecture: str
    county: str
    valid_from: str  # empty when it existed in 1920 already
    valid_to: str
    successor: str  # a current code


class Directory:
    """Look-ups over the packaged directory. Use :func:`load` to get the shared instance.

    Only the code index is built up front; the other indexes and the merger
    history are built on first use, which keeps :func:`load` well under 50 ms.
    """

    def __init__(self, entities: Iterable[Entity], as_of: str, attribution: Iterable[str],
                 history: Callable[[], Iterable[HistoricalName]] | Iterable[HistoricalName] = ()) -> None:
        self.as_of = as_of
        self.attribution = tuple(attribution)
        self.entities: tuple[Entity, ...] = tuple(sorted(entities, key=attrgetter("code")))
        self._by_code = {e.code: e for e in self.entities}
        self._history_source = history
        self.prefectures: tuple[Entity, ...] = tuple(e for e in self.entities if e.kind == "prefecture")
        self._pref_by_name = {p.name: p for p in self.prefectures}

    @cached_property
    def history(self) -> tuple[HistoricalName, ...]:
        source = self._history_source
        return tuple(source() if callable(source) else source)

    @cached_property
    def _by_pref_name(self) -> dict[tuple[str, str], list[Entity]]:
        index: dict[tuple[str, str], list[Entity]] = defaultdict(list)
        for e in self.entities:
            index[(e.prefecture, e.name)].append(e)
            if e.short_name != e.name:
                index[(e.prefecture, e.short_name)].append(e)
        return index

    @cached_property
    def _by_kana(self) -> dict[str, list[Entity]]:
        index: dict[str, list[Entity]] = defaultdict(list)
        for e in self.entities:
            index[e.kana].append(e)
        return index

    @cached_property
    def _in_pref(self) -> dict[str, list[Entity]]:
        index: dict[str, list[Entity]] = defaultdict(list)
        for e in self.entities:
            index[e.prefecture].append(e)
        return index

    @cached_property
    def _history_by_name(self) -> dict[str, list[HistoricalName]]:
        index: dict[str, list[HistoricalName]] = defaultdict(list)
        for h in self.history:
            index[h.name].append(h)
        return index

    @cached_property
    def _history_by_code(self) -> dict[str, list[HistoricalName]]:
        index: dict[str, list[HistoricalName]] = defaultdict(list)
        for h in self.history:
            index[h.code].append(h)
        return index

    def __len__(self) -> int:
        return len(self.entities)

    def get(self, code: str) -> Entity | None:
        """The current entity with this code, or None."""
        return self._by_code.get(code)

    def __getitem__(self, code: str) -> Entity:
        return self._by_code[code]

    def find(self, prefecture: str, name: str) -> list[Entity]:
        """Entities called ``name`` (official spelling) in ``prefecture``; wards also by short name."""
        return list(self._by_pref_name.get((prefecture, name), ()))

    def by_kana(self, kana: str) -> list[Entity]:
        """Entities whose reading is ``kana`` (katakana, as in ABR)."""
        return list(self._by_kana.get(kana, ()))

    def prefecture(self, name_or_code: str) -> Entity | None:
        """A prefecture by name (東京都) or by its own or any member's code."""
        if name_or_code in self._pref_by_name:
            return self._pref_by_name[name_or_code]
        if name_or_code.isdigit() and len(name_or_code) in (2, 5, 6):
            return next((p for p in self.prefectures if p.code.startswith(name_or_code[:2])), None)
        return None

    def in_prefecture(self, prefecture: str, *, municipalities_only: bool = False) -> list[Entity]:
        """Everything in a prefecture, the prefecture itself first, in code order."""
        items = self._in_pref.get(prefecture, [])
        if municipalities_only:
            return [e for e in items if e.is_municipality]
        return list(items)

    @cached_property
    def special_wards(self) -> tuple[Entity, ...]:
        """The 23 特別区, in code order."""
        return tuple(e for e in self.entities if e.kind == "special_ward")

    def municipalities(self) -> list[Entity]:
        """The 1,741 市区町村 (北方領土 and designated-city wards left out)."""
        return [e for e in self.entities if e.is_municipality]

    def local_governments(self, prefecture: str) -> list[Entity]:
        """The prefecture's government and its municipalities: the denominator of coverage."""
        pref = self._pref_by_name[prefecture]
        return [pref, *self.in_prefecture(prefecture, municipalities_only=True)]

    def historical(self, name: str, prefecture: str | None = None, on: str | None = None) -> list[HistoricalName]:
        """Ended names matching ``name`` (and ``prefecture``), newest first.

        With ``on`` (ISO date) only names that still existed on that date are kept,
        so 浦和市 on 2000-01-01 leads to さいたま市 through the 2001 merger.
        """
        found = [h for h in self._history_by_name.get(name, ())
                 if (prefecture is None or h.prefecture == prefecture) and (on is None or on < h.valid_to)]
        return sorted(found, key=attrgetter("valid_to"), reverse=True)

    def historical_by_code(self, code: str) -> list[HistoricalName]:
        return list(self._history_by_code.get(code, ()))

    def successors(self, name: str, prefecture: str | None = None, on: str | None = None) -> list[Entity]:
        """The current successors of an old name."""
        codes = dict.fromkeys(c for h in self.historical(name, prefecture, on) for c in h.successors)
        return [self._by_code[c] for c in codes]

    def counties(self, prefecture: str) -> set[str]:
        return {e.county for e in self._in_pref.get(prefecture, ()) if e.county}

    def old_names(self) -> list[OldName]:
        """Municipalities that ended between 1920 and 1970, each with its successor by place (loaded on first use)."""
        return _load_old_names()

    def counties_ever(self) -> list[tuple[str, str]]:
        """Every county (郡) since 1920 with its prefecture, current or abolished (loaded on first use)."""
        return _load_counties()


_DATA = Path(__file__).parent / "data"


def _read_json(name: str) -> dict:
    return json.loads((_DATA / name).read_text(encoding="utf-8"))


def _check_fields(data: dict, key: str, cls: type[DataclassInstance]) -> None:
    # Rows are built positionally (fast); the field list in the file guards the order.
    if data[key] != [f.name for f in fields(cls)]:
        raise ValueError(f"packaged {key} do not match {cls.__name__}: run scripts/build_data.py")


def _load_history() -> list[HistoricalName]:
    data = _read_json("history.json")
    _check_fields(data, "history_fields", HistoricalName)
    return [HistoricalName(code, name, kana, prefecture, county, valid_to, change, tuple(successors), note)
            for code, name, kana, prefecture, county, valid_to, change, successors, note in data["history"]]


@cache
def _load_old_names() -> list[OldName]:
    data = _read_json("old_names.json")
    _check_fields(data, "old_name_fields", OldName)
    return [OldName(*row) for row in data["old_names"]]


@cache
def _load_counties() -> list[tuple[str, str]]:
    return [(c, p) for c, p in _read_json("counties.json")["counties"]]


@cache
def load() -> Directory:
    """The packaged directory (loaded once per process)."""
    data = _read_json("directory.json")
    _check_fields(data, "entity_fields", Entity)
    entities = [Entity(*row) for row in data["entities"]]
    return Directory(entities, data["as_of"], data["attribution"], history=_load_history)


__all__ = ["KIND_LABELS", "Directory", "Entity", "HistoricalName", "OldName", "load"]
