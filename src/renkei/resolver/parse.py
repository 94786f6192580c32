"""Reading the written form: one typed :class:`Query` from a cell as people write it.

Set aside, each with its reason: notes in brackets or after ※ (a reading in brackets is kept as evidence,
a prefecture in brackets becomes the prefecture); a prefecture, a 振興局/支庁 office and a county (郡) in
front of the name (a county found in one prefecture only names it). The notation of a prefectural
government (北海道(道庁)) is recognised here and answered by :mod:`.levels`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .. import reasons as R
from ..normalize import Note, clean, split_notes
from ..reasons import Reason
from .indexes import Indexes

_OFFICE = r"(?:総合振興局|振興局|支庁)"
# 大島支庁, オホーツク総合振興局, 上川管内, 渡島総合振興局管内: an office of the prefecture or the area it serves
_SUBPREFECTURE = re.compile(rf"^(\S{{1,8}}?(?:{_OFFICE}(?:管内)?|管内))(?=\S)")
_SUFFIX = "都道府県市町村区"
_AREA = re.compile(rf"\S{{1,8}}?(?:{_OFFICE}(?:管内)?|(?<![{_SUFFIX}])管内)")
_LEADING = re.compile(rf"^((?:[{_SUFFIX}](?:外|内)|海外)(?:在住|居住)?)[:・/\s]*")
_TRAILING_OUTSIDE = re.compile(rf"(?<=[{_SUFFIX}])(以外|外|近郊|周辺)$")
_TRAILING_WITHIN = re.compile(rf"(?<=[{_SUFFIX}])(管内|内|在住|居住)$")
_QUALIFYING = re.compile(r"[外内住郊辺]")  # the last characters of every qualifier above
_PROVINCE = re.compile(r"^(\S{1,3}国)")
_NOTATION = re.compile(r"^(?P<pref>.+?[都道府県])(?:\((?P<office>.+?)\)|(?P<bare>[都道府県]庁))$")


@dataclass(frozen=True, slots=True)
class Notation:
    """北海道(道庁), 東京都（都庁）: a prefectural government as a published list writes it."""

    prefecture: str  # the official name of the prefecture written
    written: str  # the prefecture as written (cleaned)
    office: str | None  # 道庁, 県庁 …, None when only the prefecture was written before the brackets


@dataclass(slots=True)
class Query:
    """A written name, read: what is left to look up, and the evidence set aside around it."""

    text: str  # cleaned, notes and prefixes removed
    prefecture: str | None
    notes: list[Reason]
    county: str | None = None
    reading: str | None = None  # a reading written in brackets: 桑折(こおり)町
    prefix: str = ""  # the prefecture and county as written in front of the name
    flags: tuple[str, ...] = ()
    cleaned: str = ""  # the whole input, cleaned
    notation: Notation | None = None
    outside: str = ""  # 外, 以外, 近郊 written after the name: the cell means what lies outside it
    region: str = ""  # the text is an area (石狩振興局), not a municipality


def notation(ix: Indexes, text: str) -> Notation | None:
    m = _NOTATION.match(text)
    if not m:
        return None
    written = ix.prefecture_name(m.group("pref"))
    office = m.group("office") or m.group("bare")
    if not written or not (office is None or office.endswith("庁")):
        return None
    return Notation(written, m.group("pref"), office)


def has_prefix(ix: Indexes, text: str) -> bool:
    """True when a prefecture or a county is written in front of the name."""
    c = clean(text)
    return any(c[:size] in ix.pref_names for size in (3, 4)) or "郡" in c[:-1]


def split_runs(ix: Indexes, text: str) -> list[str]:
    """石川県七尾市石川県輪島市: names run together, each with its prefecture (or county) in front; else [].

    A cut is made after a type suffix (市町村区) where a prefecture or a known county begins.
    """
    cuts = [0]
    for i in range(1, len(text)):
        if text[i - 1] in "市町村区" and (text[i:i + 3] in ix.pref_names or text[i:i + 4] in ix.pref_names or any(
                text[j - 1] == "郡" and text[i:j] in ix.counties
                for j in range(i + 2, min(len(text), i + ix.county_length + 1)))):
            cuts.append(i)
    return [text[a:b] for a, b in zip(cuts, [*cuts[1:], len(text)], strict=True)] if len(cuts) > 1 else []


def parse(ix: Indexes, name: str, pref: str | None, notes: list[Reason], cleaned: str | None = None) -> Query:
    """Clean the text; set notes and qualifiers aside; read 〇〇県(県庁) notations; strip prefecture, 国,
    振興局/管内 and 郡 prefixes."""
    notes = list(notes)
    whole = cleaned if cleaned is not None else clean(name)
    text = whole
    found = notation(ix, text)
    if found is not None:
        return Query(text, pref, notes, cleaned=whole, notation=found)
    core, written_notes = split_notes(name)
    reading = None
    flags: tuple[str, ...] = ()
    if written_notes:
        core, written_notes = _bracket_holds_name(core, written_notes, notes)
        for n in written_notes:
            notes.append(R.note_removed(n.kind, n.text))
            if n.kind == "reading" and reading is None:
                reading = n.text
            elif n.kind == "other" and (named := ix.prefecture_name(n.text)):
                if pref is None:
                    pref = named
                elif named != pref:
                    notes.append(R.prefix_other_prefecture(named, pref))
        text = clean(core) or whole
        found = notation(ix, text)
        if found is not None:
            return Query(text, pref, notes, cleaned=whole, notation=found)
    text, pref, outside_of = _qualifiers(text, pref, notes)
    named = text
    # prefecture prefix: 宮城県亘理郡亘理町
    for size in (3, 4):  # prefecture names are 3 or 4 characters long
        p_name = ix.pref_names.get(text[:size])
        if p_name and len(text) > size:
            if pref and p_name != pref:
                notes.append(R.prefix_other_prefecture(p_name, pref))
            else:
                notes.append(R.prefix_removed(p_name))
                pref = p_name
            text = text[size:]
            break
    text = _province(ix, text, notes) if "国" in text[:4] else text
    office = "局" in text or "庁" in text or "管内" in text
    region = text if office and _AREA.fullmatch(text) else ""
    m = None if region or not office else _SUBPREFECTURE.match(text)
    if m:  # 大島支庁大島町, 上川管内鷹栖町: an office of the prefecture or its area, not part of the name
        notes.append(R.subprefecture_removed(m.group(1)))
        text = text[m.end(1):]
    county = None
    # the first 郡 that closes a known county: 郡上郡八幡町 is 郡上郡 + 八幡町
    cut = next((i + 1 for i, ch in enumerate(text[:ix.county_length]) if ch == "郡" and i and i + 1 < len(text)
                and text[:i + 1] in ix.counties), 0) if "郡" in text[1:-1] else 0
    if cut:
        head, rest = text[:cut - 1], text[cut:]
        counted = ix.counties[head + "郡"]
        if counted and rest:
            county = head + "郡"
            notes.append(R.county_removed(county))
            text = rest
            if pref is None and len(counted) == 1:
                pref = next(iter(counted))
                notes.append(R.county_implies_prefecture(county, pref))
            elif pref is not None and pref not in counted:
                notes.append(R.county_contradicts(county, pref, sorted(counted)))
                flags = ("county_mismatch",)
    prefix = named[:len(named) - len(text)]  # what was written in front: a later part of the cell inherits it
    return Query(text, pref, notes, county, reading, prefix, flags, whole, outside=outside_of, region=region)


def _bracket_holds_name(core: str, written: tuple[Note, ...], notes: list[Reason]) -> tuple[str, tuple[Note, ...]]:
    """渡島総合振興局管内（七飯町）: an area with one bracket; the bracket holds the municipality itself."""
    area = clean(core)
    others = [n for n in written if n.kind == "other"]
    if not _AREA.fullmatch(area) or len(others) != 1:
        return core, written
    notes.append(R.bracket_name(area, others[0].text))
    return others[0].text, tuple(n for n in written if n is not others[0])


def _qualifiers(text: str, pref: str | None, notes: list[Reason]) -> tuple[str, str | None, str]:
    """Set aside a leading 県外：/市外在住 and a trailing 内/管内/在住 (kept as notes); a trailing 外/以外/近郊 is
    returned as ``outside``: the cell does not mean the municipality it names."""
    outside_of = ""
    if not _QUALIFYING.search(text):
        return text, pref, outside_of  # the common case: no qualifier can be there
    m = _LEADING.match(text)
    if m and m.end() < len(text):
        notes.append(R.qualifier_removed(m.group(1)))
        text = text[m.end():]
        if m.group(1)[:1] in "都道府県":
            pref = None  # 県外：山口県下関市 in a 福岡県 table: the prefecture given is the one it is outside of
    m = _TRAILING_OUTSIDE.search(text)
    if m and m.start() > 0:
        outside_of = m.group(1)
        text = text[:m.start()]
    else:
        m = _TRAILING_WITHIN.search(text)
        if m and m.start() > 0:
            notes.append(R.qualifier_removed(m.group(1)))
            text = text[:m.start()]
    return text, pref, outside_of


def _province(ix: Indexes, text: str, notes: list[Reason]) -> str:
    """周防国熊毛郡束荷村: an old province (国) before a known county is set aside, as the county is."""
    m = _PROVINCE.match(text)
    if not m:
        return text
    rest = text[m.end():]
    if any(ch == "郡" and i + 1 < len(rest) and rest[:i + 1] in ix.counties
           for i, ch in enumerate(rest[:ix.county_length])):
        notes.append(R.province_removed(m.group(1)))
        return rest
    return text
