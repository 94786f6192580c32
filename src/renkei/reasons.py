"""Why the resolver answered as it did: one function per kind of reason.

Every reason the resolver gives is built here, as a :class:`Reason` with a stable
``key`` and its ``params``, next to the text shown today (Japanese, then English).
Keeping each kind in one function, with its parameters named, is what lets the
message catalogue render the same reason in the reader's language without parsing
text: a renderer needs only ``key`` and ``params``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Reason:
    key: str
    params: tuple[tuple[str, object], ...]
    text: str  # rendered: Japanese / English

    @property
    def args(self) -> dict[str, object]:
        return dict(self.params)

    def as_dict(self) -> dict[str, object]:
        return {"key": self.key, "params": self.args, "text": self.text}


def _r(key: str, text: str, **params: object) -> Reason:
    return Reason(key, tuple(params.items()), text)


def render(reasons: Iterable[Reason]) -> str:
    """The one-line ``reason`` of the JSON contract: the texts joined by "; "."""
    return "; ".join(r.text for r in reasons)


# -- input ----------------------------------------------------------------------------------------


def empty() -> Reason:
    return _r("empty", "空欄 / empty name")


def unknown_prefecture(written: str) -> Reason:
    return _r("unknown_prefecture",
              f"都道府県「{written}」は不明のため全国で検索 / unknown prefecture, searched nationwide", written=written)


def office_notation(written: str, expected: str) -> Reason:
    return _r("office_notation", f"「{written}」→「{expected}」 / government office written differently",
              written=written, expected=expected)


def prefecture_notation(list_name: str = "") -> Reason:
    suffix = f": {list_name}" if list_name else ""
    return _r("prefecture_notation", f"都道府県の記法 / prefectural government notation{suffix}", list_name=list_name)


def prefix_other_prefecture(prefix: str, given: str) -> Reason:
    return _r("prefix_other_prefecture",
              f"前置の都道府県「{prefix}」は指定の「{given}」と異なる / prefix names another prefecture",
              prefix=prefix, given=given)


def prefix_removed(prefecture: str) -> Reason:
    return _r("prefix_removed", f"都道府県名「{prefecture}」を除去 / prefecture prefix removed", prefecture=prefecture)


def note_removed(kind: str, note: str) -> Reason:
    """A bracketed or trailing note set aside: kind is reading, former, date, remark or other."""
    words = {"reading": ("読み", "reading"), "former": ("旧名の注記", "former name"), "date": ("日付", "date"),
             "remark": ("注記", "remark"), "other": ("注記", "note")}
    ja, en = words.get(kind, words["other"])
    return _r("note_removed", f"{ja}「{note}」を除去 / {en} '{note}' set aside", kind=kind, note=note)


def reading_used(reading: str, name: str) -> Reason:
    return _r("reading_used", f"括弧内の読み「{reading}」で{name}に絞り込み / the reading '{reading}' picks {name}",
              reading=reading, name=name)


def split(count: int) -> Reason:
    return _r("split", f"{count}件の名称を分割 / {count} names in one cell", count=count)


# -- counties -------------------------------------------------------------------------------------


def county_removed(county: str) -> Reason:
    return _r("county_removed", f"郡名「{county}」を除去 / county prefix removed", county=county)


def subprefecture_removed(office: str) -> Reason:
    return _r("subprefecture_removed", f"支庁・振興局名「{office}」を除去 / subprefecture '{office}' removed",
              office=office)


def county_implies_prefecture(county: str, prefecture: str) -> Reason:
    return _r("county_implies_prefecture", f"{county}は{prefecture}にのみある郡 / {county} exists only in {prefecture}",
              county=county, prefecture=prefecture)


def county_contradicts(county: str, given: str, where: Sequence[str]) -> Reason:
    places = "・".join(where)
    return _r("county_contradicts",
              f"{county}は{given}になく{places}にある郡(都道府県か郡の誤りか)"
              f" / {county} is not in {given} but in {places}",
              county=county, given=given, where=list(where))


def county_picks(county: str, name: str) -> Reason:
    return _r("county_picks", f"郡名{county}により{name}に絞り込み / the county {county} picks {name}",
              county=county, name=name)


def county_unknown(county: str) -> Reason:
    return _r("county_unknown", f"郡名「{county}」は該当なし / no such county", county=county)


# -- levels ---------------------------------------------------------------------------------------


def normalised(detail: bool) -> Reason:
    if detail:
        return _r("normalised", "表記の正規化(全角・半角、空白、ヶ/ケ など) / width, spacing or ヶ/ケ normalised",
                  detail=True)
    return _r("normalised", "表記の正規化 / normalised", detail=False)


def ward_without_city() -> Reason:
    return _r("ward_without_city", "政令市の区を市名なしで記載 / designated-city ward written without its city")


def by_reading() -> Reason:
    return _r("by_reading", "読みで一致 / matched by reading")


def variant(changes: str) -> Reason:
    text = f"異体字 {changes} / kanji variant" if changes else "異体字 / kanji variant"
    return _r("variant", text, changes=changes)


def merged(prefecture: str, name: str, valid_to: str, change: str, successors: Sequence[str]) -> Reason:
    names = "・".join(successors)
    return _r("merged", f"{prefecture}{name}は{valid_to}に{change}、現在は{names} / {name} ended on {valid_to} "
                        f"({change}); now {names}",
              prefecture=prefecture, name=name, valid_to=valid_to, change=change, successors=list(successors))


def merged_by_place(prefecture: str, county: str, name: str, valid_to: str,
                    successor: str) -> Reason:
    return _r("merged_by_place",
              f"{prefecture}{county}{name}は{valid_to}に廃止(1970年以前)、役場の位置は現在の{successor}"
              f" / {name} ended on "
              f"{valid_to} (before 1970); its office stood in today's {successor}",
              prefecture=prefecture, county=county, name=name, valid_to=valid_to, successor=successor)


def several_successors() -> Reason:
    return _r("several_successors", "後継が複数 / several successors")


def current_name_as_close() -> Reason:
    return _r("current_name_as_close", "現存の類似名あり / a current name is as close")


def not_yet(name: str, valid_from: str, as_of: str) -> Reason:
    return _r("not_yet", f"{name}は{valid_from}から(時点{as_of}には未成立) / {name} dates from {valid_from}, "
                         f"after {as_of}", name=name, valid_from=valid_from, as_of=as_of)


def as_of_date(as_of: str) -> Reason:
    return _r("as_of", f"{as_of}時点の名称として解決 / resolved as of {as_of}", as_of=as_of)


_EDIT_WORDS = {
    "suffix": ("種別の誤り", "wrong type suffix"),
    "variant": ("異体字", "kanji variant"),
    "kana": ("仮名の誤り", "kana confusion"),
    "glyph": ("字形類似", "look-alike kanji"),
    "typo": ("誤字", "wrong character"),
    "extra": ("余分な字", "extra character"),
    "missing": ("脱字", "missing character"),
}


def edit(kind: str, written: str, official: str, similarity: float = 0.0) -> Reason:
    """One edit of a correction: the characters quoted as written, not as folded."""
    ja, en = _EDIT_WORDS[kind]
    if kind == "extra":
        text = f"「{written}」{ja} / {en} '{written}'"
    elif kind == "missing":
        text = f"「{official}」{ja} / {en} '{official}'"
    elif kind == "glyph":
        text = f"{written}→{official} {ja} / {en} (similarity {similarity:.2f})"
    else:
        text = f"{written}→{official} {ja} / {en}"
    return _r(f"edit_{kind}", text, written=written, official=official, similarity=round(similarity, 2))


def spelling_variation() -> Reason:
    return _r("spelling_variation", "表記の揺れ / spelling variation")


def other_prefecture(given: str, where: str) -> Reason:
    return _r("other_prefecture",
              f"{given}に該当なし、{where}にあり(都道府県の誤りか) / not in {given}; exists in {where}",
              given=given, where=where)


def close_candidates() -> Reason:
    return _r("close_candidates", "候補が拮抗 / close candidates")


def weak_match() -> Reason:
    return _r("weak_match", "一致が弱い / weak match")


def no_match() -> Reason:
    return _r("no_match", "該当なし / no matching local government")


def northern_territory_set_aside() -> Reason:
    return _r("northern_territory_set_aside", "北方領土の同名村を除外 / same-named 北方領土 village set aside")


def same_name(count: int) -> Reason:
    return _r("same_name", f"同名が{count}件 / {count} share this name", count=count)


# -- list context ---------------------------------------------------------------------------------


def code_order_fits(name: str, before: str, after: str) -> Reason:
    lo = before or "先頭 / start"
    hi = after or "末尾 / end"
    return _r("code_order_fits", f"記載順(コード順)で{lo}と{hi}の間に入るのは{name}のみ / only {name} fits the code "
                                 f"order between {lo} and {hi}", name=name, before=before, after=after)


def code_order_breaks(name: str, code: str, before: str, after: str) -> Reason:
    lo = before or "先頭 / start"
    hi = after or "末尾 / end"
    return _r("code_order_breaks", f"{name}({code})は記載順(コード順)で{lo}と{hi}の間に入らない / {name} ({code}) "
                                   f"breaks the code order between {lo} and {hi}",
              name=name, code=code, before=before, after=after)
