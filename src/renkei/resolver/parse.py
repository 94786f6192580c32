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
from ..normalize import clean, split_notes
from ..reasons import Reason
from .indexes import Indexes

_SUBPREFECTURE = re.compile(r"^(\S{1,8}?(?:総合振興局|振興局|支庁))(?=\S)")
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


def parse(ix: Indexes, name: str, pref: str | None, notes: list[Reason], cleaned: str | None = None) -> Query:
    """Clean the text; set notes aside; read 〇〇県(県庁) notations; strip prefecture and 郡 prefixes."""
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
    prefix_len = 0
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
            prefix_len = size
            break
    m = _SUBPREFECTURE.match(text)
    if m:  # 大島支庁大島町, オホーツク総合振興局網走郡美幌町: an office of the prefecture, not part of the name
        notes.append(R.subprefecture_removed(m.group(1)))
        text = text[m.end(1):]
        prefix_len += m.end(1)
    county = None
    # the first 郡 that closes a known county: 郡上郡八幡町 is 郡上郡 + 八幡町
    cut = next((i + 1 for i, ch in enumerate(text[:-1]) if ch == "郡" and i and text[:i + 1] in ix.counties), 0)
    if cut:
        head, rest = text[:cut - 1], text[cut:]
        counted = ix.counties[head + "郡"]
        if counted and rest:
            county = head + "郡"
            notes.append(R.county_removed(county))
            text = rest
            prefix_len += len(county)
            if pref is None and len(counted) == 1:
                pref = next(iter(counted))
                notes.append(R.county_implies_prefecture(county, pref))
            elif pref is not None and pref not in counted:
                notes.append(R.county_contradicts(county, pref, sorted(counted)))
                flags = ("county_mismatch",)
    prefix = clean(core if written_notes else name)[:prefix_len] if prefix_len else ""
    return Query(text, pref, notes, county, reading, prefix, flags, whole)
