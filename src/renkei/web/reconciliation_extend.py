"""Data extension for the reconciliation service (W3C Reconciliation API 0.2): property values for reconciled ids.

This is what OpenRefine's 「Add columns from reconciled values…」 asks for: the manifest's ``extend`` names
a property proposal endpoint, and ``extend={"ids": [...], "properties": [{"id": ...}]}`` (a form field or a
GET parameter of ``/reconcile``) returns ``{"meta": [...], "rows": {id: {property: [values]}}}``.

An id is a 6-digit 全国地方公共団体コード: a current local government (the directory) or one that has ended
(the merger history), so a column reconciled against older data, or by an old code, still extends; its
「現在の自治体」 is where it went. The partnership properties come from the public registry only: the
special wards of approved projects, and whether the latest published edition lists the government.
Costs are bounded as for queries: ids and properties per request, and the caller's rate budget.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import jaconv

from ..directory import KIND_LABELS, Directory, Entity, HistoricalName
from ..i18n import N_
from ..i18n import gettext as _
from ..normalize import to_katakana

MAX_IDS = 50  # ids per extension request, as queries per batch
MAX_ID = 20  # characters: a longer "id" is not a code and gets no values
NO_VALUE: list[dict[str, Any]] = []
Settings = Mapping[str, object]  # a property's settings as the client sent them


class ExtensionError(ValueError):
    """A malformed extension query (400), or too large a one (413); the message is in the reader's language."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True, slots=True)
class Subject:
    """What an id names, current or ended, in the terms the properties need."""

    code: str
    name: str
    kana: str  # katakana
    romaji: str  # as the directory writes it (Watari-cho); "" for an ended name
    kind: str  # a key of KIND_LABELS, or "" when the name does not tell
    prefecture: Entity | None
    county: str
    valid_from: str  # ISO date, or "" when not known
    valid_to: str  # ISO date; "" while it exists
    current: tuple[Entity, ...]  # itself while it exists, else its successors
    entity: Entity | None  # the current entity, None for an ended one

    @property
    def kind_label(self) -> str:
        """The kind in the reader's language (市, 町, 政令市の区, …), "" when not known."""
        return _(KIND_LABELS[self.kind]) if self.kind else ""


def subject(directory: Directory, code: str) -> Subject | None:
    """The government a code names today, or the last name an ended code had (None if neither)."""
    e = directory.get(code)
    if e is not None:
        pref = directory.prefecture(e.pref_code)
        return Subject(e.code, e.name, e.kana, e.romaji, e.kind, pref, e.county, e.valid_from, e.valid_to, (e,), e)
    names = sorted(directory.historical_by_code(code), key=lambda h: h.valid_to)
    if not names:
        return None
    last = names[-1]
    since = names[-2].valid_to if len(names) > 1 else ""  # a renaming that kept the code began this name
    successors = tuple(s for s in (directory.get(c) for c in last.successors) if s is not None)
    return Subject(code, last.name, to_katakana(last.kana), "", _ended_kind(last),
                   directory.prefecture(last.prefecture), last.county, since, last.valid_to, successors, None)


def _ended_kind(h: HistoricalName) -> str:
    """The kind an ended name had, read from its suffix (the history records no kind)."""
    if h.name.endswith("区"):
        return "special_ward" if h.prefecture == "東京都" and "市" not in h.name else "city_ward"
    return {"市": "city", "町": "town", "村": "village"}.get(h.name[-1:], "")


class Public:
    """The public registry's answers for one request, each read once and only when a property needs it.

    ``partners_of_ward``: a special ward's code → the codes of the partners of its approved projects;
    ``listed_codes``: the partners of the latest published edition, or None when nothing is published.
    Reading the 23 wards' partners costs the same whatever the ids, so a request's cost does not grow with
    how many projects each id has.
    """

    def __init__(self, wards: Iterable[Entity], partners_of_ward: Callable[[str], Iterable[str]],
                 listed_codes: Callable[[], set[str] | None]) -> None:
        self._wards, self._partners_of_ward, self._listed_codes = tuple(wards), partners_of_ward, listed_codes

    @cached_property
    def _wards_by_partner(self) -> dict[str, list[Entity]]:
        found: dict[str, list[Entity]] = {}
        for ward in self._wards:
            for code in self._partners_of_ward(ward.code):
                found.setdefault(code, []).append(ward)
        return found

    def wards_of(self, code: str) -> list[Entity]:
        """The special wards partnering with ``code`` in approved projects, in code order."""
        return self._wards_by_partner.get(code, [])

    @cached_property
    def listed(self) -> set[str] | None:
        return self._listed_codes()


def public_from(registry: Any) -> Public:
    """The lookups over a (public view of the) Registry."""
    from ..registry import RegistryError

    def listed_codes() -> set[str] | None:
        try:
            return {p.code for p in registry.partners(None)}
        except RegistryError:  # nothing published yet: the question has no answer
            return None

    return Public(registry.directory.special_wards, registry.ward_partners, listed_codes)


def _str(text: str) -> list[dict[str, Any]]:
    return [{"str": text}] if text else NO_VALUE


def _date(iso: str) -> list[dict[str, Any]]:
    """A calendar date as the specification's date value (midnight UTC keeps the day in every client)."""
    return [{"date": f"{iso}T00:00:00Z"}] if iso else NO_VALUE


def _entities(entities: Iterable[Entity]) -> list[dict[str, Any]]:
    return [{"id": e.code, "name": e.name} for e in entities]


def _wards(s: Subject, public: Public, settings: Settings) -> list[dict[str, Any]]:
    if s.entity is None or s.kind == "special_ward":
        return NO_VALUE  # partnerships are recorded against current governments, and are between wards and others
    return _entities(public.wards_of(s.code))


def _listed(s: Subject, public: Public, settings: Settings) -> list[dict[str, Any]]:
    codes = public.listed
    if codes is None:
        return NO_VALUE
    return [{"str": _("はい") if s.code in codes else _("いいえ")}]


SCRIPTS = {"katakana": N_("カタカナ"), "hiragana": N_("ひらがな"), "romaji": N_("ローマ字")}


def _reading(s: Subject, public: Public, settings: Settings) -> list[dict[str, Any]]:
    """The reading in the script the client's setting ``script`` asks for (katakana unless it names another)."""
    script = settings.get("script")
    if script == "hiragana":
        return _str(jaconv.kata2hira(s.kana))
    if script == "romaji":
        return _str(s.romaji)
    return _str(s.kana)


def property_settings() -> list[dict[str, Any]]:
    """The settings a client may give a property (the manifest's ``extend.property_settings``)."""
    return [{"name": "script", "label": _("読みの表記"), "type": "select", "default": "katakana",
             "help_text": _("「読み」をカタカナ・ひらがな・ローマ字のどれで返すか（ローマ字は現存の団体のみ）"),
             "choices": [{"value": k, "name": _(v)} for k, v in SCRIPTS.items()]}]


ALL_TYPES = frozenset({"municipality", "prefecture", "special_ward"})
NOT_PREFECTURE = frozenset({"municipality", "special_ward"})


@dataclass(frozen=True)
class Property:
    """One property a client may fetch: its label (a msgid), for which types, and how to read its values."""

    id: str
    name: str
    description: str
    values: Callable[[Subject, Public, Settings], list[dict[str, Any]]]
    types: frozenset[str] = ALL_TYPES
    value_type: str | None = None  # the type of its values when they are entities of this service


PROPERTIES: tuple[Property, ...] = (
    Property("prefecture", N_("都道府県"), N_("都道府県（名前と全国地方公共団体コード）"),
             lambda s, p, o: _entities([s.prefecture] if s.prefecture else []), value_type="prefecture"),
    Property("prefecture_code", N_("都道府県コード"), N_("都道府県の全国地方公共団体コード（6桁）"),
             lambda s, p, o: _str(s.prefecture.code if s.prefecture else "")),
    Property("name", N_("正式名称"), N_("正式名称（終了した団体は最後の名称）"), lambda s, p, o: _str(s.name)),
    Property("kana", N_("読み"), N_("読み（設定でカタカナ・ひらがな・ローマ字）"), _reading),
    Property("county", N_("郡"), N_("町村が属する郡"), lambda s, p, o: _str(s.county), NOT_PREFECTURE),
    Property("kind", N_("種別"), N_("都道府県・市・町・村・特別区・政令指定都市・政令市の区"),
             lambda s, p, o: _str(s.kind_label)),
    Property("current", N_("現在の自治体"), N_("合併・改称で終了した団体はその承継先、現存の団体はそれ自身"),
             lambda s, p, o: _entities(s.current), NOT_PREFECTURE, "municipality"),
    Property("valid_from", N_("存続期間の開始"), N_("この名称・コードになった日（分かる場合）"),
             lambda s, p, o: _date(s.valid_from)),
    Property("valid_to", N_("存続期間の終了"), N_("合併・改称で終了した日（現存の団体は空欄）"),
             lambda s, p, o: _date(s.valid_to), NOT_PREFECTURE),
    Property("wards", N_("連携している特別区"), N_("承認済みの連携事業で連携している特別区"), _wards,
             frozenset({"municipality", "prefecture"}), "special_ward"),
    Property("listed", N_("最新の公表版に掲載"),
             N_("最新の公表版の特別区連携自治体数一覧に載っているか（はい・いいえ）"), _listed),
)
BY_ID = {p.id: p for p in PROPERTIES}
TYPE_NAMES = {"municipality": N_("市区町村"), "prefecture": N_("都道府県"), "special_ward": N_("特別区")}


def describe(p: Property) -> dict[str, str]:
    """A property as the suggest and proposal endpoints list it."""
    return {"id": p.id, "name": _(p.name), "description": _(p.description)}


def proposals(type_id: str | None, limit: object = None) -> dict[str, Any]:
    """The properties worth fetching for entities of ``type_id`` (all of them for an unknown or no type)."""
    chosen = [p for p in PROPERTIES if type_id not in ALL_TYPES or type_id in p.types]
    out: dict[str, Any] = {"properties": [describe(p) for p in chosen]}
    if type_id:
        out["type"] = type_id
    if isinstance(limit, str) and limit.isdigit():
        out["limit"] = int(limit)
        out["properties"] = out["properties"][:int(limit)]
    return out


def parse_query(raw: object) -> tuple[list[str], list[tuple[Property, Settings]]]:
    """An extension query (JSON text or decoded) → (distinct ids in order, properties). Raises ExtensionError."""
    if isinstance(raw, str | bytes):
        try:
            raw = json.loads(raw)
        except (ValueError, RecursionError) as exc:
            raise ExtensionError(_("extend が JSON ではありません（{error}）").format(error=exc)) from exc
    if not isinstance(raw, dict) or not isinstance(raw.get("ids"), list) or not isinstance(raw.get("properties"), list):
        raise ExtensionError(_("extend は ids（ID の配列）と properties（プロパティの配列）を持つ"
                                 "オブジェクトにしてください"))
    ids, props = raw["ids"], raw["properties"]
    if not all(isinstance(i, str) for i in ids):
        raise ExtensionError(_("extend の ids は文字列の配列にしてください"))
    if len(ids) > MAX_IDS:
        raise ExtensionError(_("一度に拡張できるのは {limit} 件までです（{n} 件）").format(
            limit=MAX_IDS, n=len(ids)), 413)
    if len(props) > len(PROPERTIES):
        raise ExtensionError(_("一度に求められるプロパティは {limit} 個までです（{n} 個）").format(
            limit=len(PROPERTIES), n=len(props)), 413)
    chosen: dict[str, tuple[Property, Settings]] = {}
    for prop in props:
        pid = prop.get("id") if isinstance(prop, dict) else None
        if not isinstance(pid, str) or pid not in BY_ID:
            shown = pid if isinstance(pid, str) else json.dumps(prop, ensure_ascii=False)[:40]
            raise ExtensionError(_("プロパティ「{property}」はありません。使えるもの：{known}").format(
                property=shown[:40], known="、".join(BY_ID)))
        settings = prop.get("settings")
        chosen.setdefault(pid, (BY_ID[pid], settings if isinstance(settings, dict) else {}))
    return list(dict.fromkeys(ids)), list(chosen.values())


def extend(ids: list[str], properties: list[tuple[Property, Settings]], directory: Directory,
           public: Public) -> dict[str, Any]:
    """The extension response: every id asked for, with every property (an unknown id gets no values)."""
    meta = []
    for p, _settings in properties:
        item: dict[str, Any] = {"id": p.id, "name": _(p.name)}
        if p.value_type:
            item["type"] = {"id": p.value_type, "name": _(TYPE_NAMES[p.value_type])}
        meta.append(item)
    rows: dict[str, dict[str, list[dict[str, Any]]]] = {}
    for code in ids:
        s = subject(directory, code.strip()) if len(code) <= MAX_ID else None
        rows[code] = {p.id: p.values(s, public, settings) if s is not None else NO_VALUE
                      for p, settings in properties}
    return {"meta": meta, "rows": rows}
