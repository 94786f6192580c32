"""One function per level of the cascade: exact → normalized → variant → merged (corrected is in
:mod:`.corrected`). Each returns a :class:`Resolution`, or None when the level has nothing to say.
"""

from __future__ import annotations

from collections.abc import Sequence

from .. import reasons as R
from ..directory import GOVERNMENT_OFFICE, Entity
from ..normalize import clean, fold, is_kana, to_katakana
from ..reasons import Reason
from .answers import answer, other_prefecture
from .costs import suffixes
from .indexes import Indexes
from .model import Candidate, Resolution, Status
from .parse import Query
from .policy import Policy


def exact(ix: Indexes, name: str, pref: str | None, notes: list[Reason], as_of: str | None) -> Resolution | None:
    """The official spelling, or the list notation of a prefecture (北海道(道庁) as written in the list)."""
    hits = ix.within(ix.exact.get(name, ()), pref)
    if not hits:
        return None
    dated = _dated(ix, name, name, hits, pref, notes, as_of) if as_of else None
    if dated:
        return dated
    extra = [R.prefecture_notation()] if hits[0].is_prefecture and name != hits[0].name else []
    return answer(name, Status.EXACT, with_namesakes(ix, hits, pref), notes + extra, pref)


def with_namesakes(ix: Indexes, hits: list[Entity], pref: str | None) -> list[Entity]:
    """中央区 with no prefecture: Tokyo's special ward, and every designated city's ward of that name.

    A special ward is written without its city as a designated city's ward is, so without a prefecture the
    name alone does not say which is meant (the special ward comes first among the candidates).
    """
    if pref is not None or not hits or any(e.kind != "special_ward" for e in hits):
        return hits
    return [*hits, *ix.short.get(fold(hits[0].name), ())]


def notation(ix: Indexes, policy: Policy, name: str, q: Query) -> Resolution:
    """北海道(道庁), 東京都（都庁）: the prefectural government as the published list writes it."""
    assert q.notation is not None
    n, pref, notes = q.notation, q.prefecture, list(q.notes)
    p = ix.directory.prefecture(n.prefecture)
    assert p is not None
    expected = GOVERNMENT_OFFICE[n.prefecture[-1]]
    if n.office != expected:
        notes.append(R.office_notation(n.office, expected))
    if pref and n.prefecture != pref:
        return other_prefecture(policy, name, [p], pref, notes)
    status = Status.NORMALIZED if clean(n.written) == n.prefecture else Status.VARIANT
    if n.office is not None and n.office != expected:
        status = Status.CORRECTED
    return answer(name, status, [p], [*notes, R.prefecture_notation(p.list_name)], pref)


_SET_ASIDE = frozenset({"note_removed", "prefix_removed", "county_removed", "subprefecture_removed", "bracket_name",
                        "qualifier_removed", "province_removed"})


def _clean_note(name: str, q: Query) -> list[Reason]:
    if q.cleaned == name:
        return []
    if not q.notes:
        return [R.normalised(True)]
    if not any(n.key in _SET_ASIDE for n in q.notes):
        return [R.normalised(False)]
    return []


def normalized(ix: Indexes, name: str, q: Query, folded: str, as_of: str | None) -> Resolution | None:
    """The clean spelling, a ward without its city, or a kana reading."""
    pref = q.prefecture
    hits = ix.within(ix.clean.get(q.text, ()), pref, q.county)
    if hits:
        return _dated(ix, name, folded, hits, pref, q.notes, as_of, q.county) or \
            answer(name, Status.NORMALIZED, with_namesakes(ix, hits, pref), q.notes + _clean_note(name, q), pref)
    hits = ix.within(ix.short.get(folded, ()), pref)
    if hits and folded == clean(q.text):
        return answer(name, Status.NORMALIZED, hits, [*q.notes, R.ward_without_city()], pref)
    if is_kana(q.text):
        hits = ix.within(ix.readings.get(to_katakana(q.text), ()), pref)
        if hits:
            return answer(name, Status.NORMALIZED, hits, [*q.notes, R.by_reading()], pref)
    elif is_kana(q.text[:-1]) and q.text[-1] in suffixes():
        hits = ix.within(ix.readings.get(to_katakana(q.text[:-1]) + q.text[-1], ()), pref)
        if hits:
            return answer(name, Status.NORMALIZED, hits, [*q.notes, R.by_reading()], pref)
    return None


def variant(ix: Indexes, name: str, q: Query, folded: str, as_of: str | None) -> Resolution | None:
    """The same name once kanji variants are folded (飯館村 → 飯舘村)."""
    pref = q.prefecture
    hits = ix.within([*ix.folded.get(folded, ()), *ix.short.get(folded, ())], pref, q.county)
    if not hits:
        return None
    changes = ", ".join(f"{a}→{b}" for a, b in zip(q.text, hits[0].name[-len(q.text):], strict=False)
                        if a != b) if len(q.text) == len(hits[0].name) else ""
    return _dated(ix, name, folded, hits, pref, q.notes, as_of, q.county) or \
        answer(name, Status.VARIANT, hits, [*q.notes, R.variant(changes)], pref)


def merged(ix: Indexes, name: str, folded: str, pref: str | None, on: str | None, notes: list[Reason],
           county: str | None = None, strict: bool = False) -> Resolution | None:
    """An old name and its successors; ``strict``: only names recorded in the county written."""
    old = [h for h in ix.history.get(folded, ())
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
            names = "・".join(dict.fromkeys(ix.directory[c].name for h in old for c in h.successors))
            notes.append(R.county_picks(county, names))
        elif in_county:
            old = in_county
    old.sort(key=lambda h: h.valid_to, reverse=True)
    codes = list(dict.fromkeys(c for h in old for c in h.successors))
    successors = [ix.directory[c] for c in codes]
    h = old[0]
    reasons = [*notes, R.merged(h.prefecture, h.name, h.valid_to, h.change, [e.name for e in successors])]
    if on:
        reasons.append(R.as_of_date(on))
    return _successors(name, successors, pref, reasons, ("merged",))


def _successors(name: str, successors: Sequence[Entity], pref: str | None, reasons: list[Reason],
                flags: tuple[str, ...]) -> Resolution:
    candidates = tuple(Candidate(e.code, e.name, e.prefecture, 1.0) for e in successors)
    if len(successors) == 1:
        e = successors[0]
        return Resolution(name, Status.MERGED, e.code, e.name, e.prefecture, tuple(reasons), candidates,
                          flags=flags)
    return Resolution(name, Status.MERGED, None, None, pref, (*reasons, R.several_successors()), candidates,
                      flags=flags)


def before_1970(ix: Indexes, name: str, folded: str, pref: str | None, q: Query,
                as_of: str | None) -> Resolution | None:
    """A name that ended before 1970 (北村山郡高崎村 → 東根市), only with evidence that the old one is meant.

    The evidence is the county written in front of it, a date on which it existed, or the 区 of the old
    city system (函館区, 1899–1922: a ward that was a city of its own, in no county).
    Its successor is the current municipality that holds its old office's point.
    """
    city_ward = not q.county and not as_of and folded.endswith("区")
    if not q.county and not as_of and not city_ward:
        return None
    old = [o for o in ix.old_names.get(folded, ()) if (pref is None or o.prefecture == pref)
           and (not q.county or clean(o.county) == q.county)
           and (not as_of or (o.valid_from <= as_of < o.valid_to))
           and (not city_ward or not o.county)]
    if not old:
        return None
    codes = list(dict.fromkeys(o.successor for o in old))
    successors = [e for c in codes if (e := ix.directory.get(c)) is not None]
    if not successors:
        return None
    o = max(old, key=lambda x: x.valid_to)
    reasons = [*q.notes, R.merged_by_place(o.prefecture, o.county, o.name, o.valid_to,
                                           "・".join(e.name for e in successors))]
    return _successors(name, successors, pref, reasons, ("merged", "before_1970"))


def _dated(ix: Indexes, name: str, folded: str, hits: Sequence[Entity], pref: str | None, notes: list[Reason],
           as_of: str | None, county: str | None = None) -> Resolution | None:
    """With ``as_of``: a current name that did not exist yet yields to the old one of that date."""
    if not as_of or any(e.valid_from <= as_of for e in hits):
        return None
    found = merged(ix, name, fold(folded), pref, as_of, notes, county)
    if found and not {c.code for c in found.candidates} <= {e.code for e in hits}:
        return found
    e = hits[0]
    return answer(name, Status.NORMALIZED, hits, [*notes, R.not_yet(e.name, e.valid_from, as_of)], pref)


def by_reading(ix: Indexes, name: str, q: Query, pref: str | None) -> Resolution | None:
    """A reading written in brackets (桑折(こおり)町) picks the government whose kana it is."""
    assert q.reading is not None
    kana = to_katakana(q.reading)
    keys = [kana, kana + q.text[-1]] if q.text[-1:] in suffixes() else [kana]
    hits = ix.within([e for k in keys for e in ix.readings.get(k, ())], pref, q.county)
    if not hits:
        return None
    if len(hits) > 1:
        kept = [e for e in hits if set(fold(e.name)) & set(fold(q.text))]
        hits = kept or hits
    return answer(name, Status.NORMALIZED, hits, [*q.notes, R.reading_used(q.reading, hits[0].name)], pref)
