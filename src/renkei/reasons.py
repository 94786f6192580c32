"""Why the resolver answered as it did: one function per kind of reason.

Every reason the resolver gives is built here, as a :class:`Reason` with a stable ``key`` and its ``params``,
and a catalogue message (Japanese msgid, English in the catalogue) that renders it in the reader's language
when it is shown (:attr:`Reason.text`). Keeping each kind in one function, with its parameters named, lets the
JSON outputs give ``reason_key`` and ``params`` beside the text, so programs need not parse it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache

from .i18n import N_, current_language, gettext, translations


@dataclass(frozen=True, slots=True)
class Reason:
    key: str
    params: tuple[tuple[str, object], ...]
    template: str  # a catalogue msgid, with str.format fields from params and shown
    shown: tuple[tuple[str, object], ...] = ()  # values only for the text (a list joined, a label translated)

    @property
    def args(self) -> dict[str, object]:
        return dict(self.params)

    @property
    def text(self) -> str:
        """The reason in the reader's language."""
        return self.text_in(gettext)

    def text_in(self, translate: Callable[[str], str]) -> str:
        """The reason through one catalogue (:func:`translator`): a batch of answers reads the language once."""
        values = {**dict(self.params), **{k: translate(v) if isinstance(v, Label) else v for k, v in self.shown}}
        return translate(self.template).format(**values)

    def as_dict(self, text: str | None = None) -> dict[str, object]:
        return {"key": self.key, "params": self.args, "text": self.text if text is None else text}

    def stored(self) -> dict[str, object]:
        """What the registry keeps (entries.reasons, a staged upload): the key, the catalogue template and the
        parameters, never the rendered text, so each reader sees the reason in their own language."""
        return {"key": self.key, "template": self.template, "params": self.args,
                "shown": {k: {"label": str(v)} if isinstance(v, Label) else v for k, v in self.shown}}

    @classmethod
    def from_stored(cls, d: dict) -> Reason:
        """The reason :meth:`stored` kept (lists come back as lists)."""
        shown = {k: Label(v["label"]) if isinstance(v, dict) and "label" in v else v
                 for k, v in (d.get("shown") or {}).items()}
        return cls(str(d["key"]), tuple(dict(d.get("params") or {}).items()), str(d["template"]),
                   tuple(shown.items()))


class Label(str):
    """A word inside a reason that is itself a catalogue message (translated when the reason is shown)."""

    __slots__ = ()


def _r(key: str, template: str, shown: Mapping[str, object] | None = None, **params: object) -> Reason:
    return Reason(key, tuple(params.items()), template, tuple((shown or {}).items()))


def translator() -> Callable[[str], str]:
    """The reader's catalogue, looked up once (the language is read from the context and the environment)."""
    return translations(current_language()).gettext


def render(reasons: Iterable[Reason]) -> str:
    """The one-line ``reason`` of the JSON contract: the texts joined by "; "."""
    return "; ".join(r.text for r in reasons)


# -- input ----------------------------------------------------------------------------------------


def empty() -> Reason:
    return _r("empty", N_("空欄"))


def unknown_prefecture(written: str) -> Reason:
    return _r("unknown_prefecture", N_("都道府県「{written}」は不明のため全国で検索"), written=written)


def office_notation(written: str | None, expected: str) -> Reason:
    return _r("office_notation", N_("「{written}」→「{expected}」（都道府県庁の記法の違い）"),
              written=written, expected=expected)


def prefecture_notation(list_name: str = "") -> Reason:
    if list_name:
        return _r("prefecture_notation", N_("都道府県の記法：{list_name}"), list_name=list_name)
    return _r("prefecture_notation", N_("都道府県の記法"), list_name=list_name)


def prefix_other_prefecture(prefix: str, given: str) -> Reason:
    return _r("prefix_other_prefecture", N_("前置の都道府県「{prefix}」は指定の「{given}」と異なる"),
              prefix=prefix, given=given)


def prefix_removed(prefecture: str) -> Reason:
    return _r("prefix_removed", N_("都道府県名「{prefecture}」を除去"), prefecture=prefecture)


_NOTE_WORDS = {"reading": N_("読み"), "former": N_("旧名の注記"), "date": N_("日付"), "remark": N_("注記"),
               "other": N_("注記")}


def note_removed(kind: str, note: str) -> Reason:
    """A bracketed or trailing note set aside: kind is reading, former, date, remark or other."""
    word = Label(_NOTE_WORDS.get(kind, _NOTE_WORDS["other"]))
    return _r("note_removed", N_("{what}「{note}」を除去"), {"what": word}, kind=kind, note=note)


def reading_used(reading: str, name: str) -> Reason:
    return _r("reading_used", N_("括弧内の読み「{reading}」で{name}に絞り込み"), reading=reading, name=name)


def split(count: int) -> Reason:
    return _r("split", N_("{count}件の名称を分割"), count=count)


def split_runs(count: int, by: str) -> Reason:
    """Several names written without a separator (by: "prefix", a prefecture or county before each) or with
    spaces only (by: "space")."""
    if by == "space":
        return _r("split_runs", N_("空白で区切られた{count}件の名称を分割"), count=count, by=by)
    return _r("split_runs", N_("区切りのない{count}件の名称を都道府県名・郡名の位置で分割"), count=count, by=by)


# -- qualifiers and areas -------------------------------------------------------------------------


def qualifier_removed(qualifier: str) -> Reason:
    """A qualifier that does not change which municipality is meant (県外：, 〜市内, 〜町在住) set aside."""
    return _r("qualifier_removed", N_("限定語「{qualifier}」を除去"), qualifier=qualifier)


def outside(name: str, qualifier: str) -> Reason:
    """〜市外, 〜以外, 〜近郊: the cell names what lies outside (or around) a municipality, never the municipality."""
    return _r("outside", N_("「{name}{qualifier}」は{name}ではなくその外（周辺）を指すため特定しない"),
              name=name, qualifier=qualifier)


def region_only(region: str) -> Reason:
    return _r("region_only", N_("「{region}」は振興局・支庁などの管内（地域）で、市区町村を特定できない"),
              region=region)


def bracket_name(region: str, name: str) -> Reason:
    return _r("bracket_name", N_("管内「{region}」の括弧内の「{name}」を名称として使用"), region=region, name=name)


def province_removed(province: str) -> Reason:
    return _r("province_removed", N_("旧国名「{province}」を除去"), province=province)


def column_context(prefecture: str) -> Reason:
    return _r("column_context", N_("表の他の行が{prefecture}"), prefecture=prefecture)


def cell_context(prefecture: str) -> Reason:
    return _r("cell_context", N_("同じセルの他の名称が{prefecture}"), prefecture=prefecture)


# -- counties -------------------------------------------------------------------------------------


def county_removed(county: str) -> Reason:
    return _r("county_removed", N_("郡名「{county}」を除去"), county=county)


def subprefecture_removed(office: str) -> Reason:
    return _r("subprefecture_removed", N_("支庁・振興局名「{office}」を除去"), office=office)


def county_implies_prefecture(county: str, prefecture: str) -> Reason:
    return _r("county_implies_prefecture", N_("{county}は{prefecture}にのみある郡"), county=county,
              prefecture=prefecture)


def county_contradicts(county: str, given: str, where: Sequence[str]) -> Reason:
    return _r("county_contradicts", N_("{county}は{given}になく{places}にある郡（都道府県か郡の誤りか）"),
              {"places": "・".join(where)}, county=county, given=given, where=list(where))


def county_picks(county: str, name: str) -> Reason:
    return _r("county_picks", N_("郡名{county}により{name}に絞り込み"), county=county, name=name)


def county_unknown(county: str) -> Reason:
    return _r("county_unknown", N_("郡名「{county}」は該当なし"), county=county)


# -- levels ---------------------------------------------------------------------------------------


def normalised(detail: bool) -> Reason:
    if detail:
        return _r("normalised", N_("表記の正規化（全角・半角、空白、ヶ/ケ など）"), detail=True)
    return _r("normalised", N_("表記の正規化"), detail=False)


def ward_without_city() -> Reason:
    return _r("ward_without_city", N_("政令市の区を市名なしで記載"))


def by_reading() -> Reason:
    return _r("by_reading", N_("読みで一致"))


def variant(changes: str) -> Reason:
    if changes:
        return _r("variant", N_("異体字 {changes}"), changes=changes)
    return _r("variant", N_("異体字"), changes=changes)


def merged(prefecture: str, name: str, valid_to: str, change: str, successors: Sequence[str]) -> Reason:
    return _r("merged", N_("{prefecture}{name}は{valid_to}に{change}、現在は{names}"), {"names": "・".join(successors)},
              prefecture=prefecture, name=name, valid_to=valid_to, change=change, successors=list(successors))


def merged_by_place(prefecture: str, county: str, name: str, valid_to: str,
                    successor: str) -> Reason:
    return _r("merged_by_place",
              N_("{prefecture}{county}{name}は{valid_to}に廃止（1970年以前）、役場の位置は現在の{successor}"),
              prefecture=prefecture, county=county, name=name, valid_to=valid_to, successor=successor)


def several_successors() -> Reason:
    return _r("several_successors", N_("後継が複数"))


def current_name_as_close() -> Reason:
    return _r("current_name_as_close", N_("現存の類似名あり"))


def not_yet(name: str, valid_from: str, as_of: str) -> Reason:
    return _r("not_yet", N_("{name}は{valid_from}から（時点{as_of}には未成立）"), name=name, valid_from=valid_from,
              as_of=as_of)


def as_of_date(as_of: str) -> Reason:
    return _r("as_of", N_("{as_of}時点の名称として解決"), as_of=as_of)


_EDIT_WORDS = {
    "suffix": N_("種別の誤り"),
    "variant": N_("異体字"),
    "kana": N_("仮名の誤り"),
    "glyph": N_("字形類似"),
    "typo": N_("誤字"),
    "extra": N_("余分な字"),
    "missing": N_("脱字"),
}


def edit(kind: str, written: str, official: str, similarity: float = 0.0) -> Reason:
    """One edit of a correction: the characters quoted as written, not as folded."""
    word = {"what": Label(_EDIT_WORDS[kind])}
    params = {"written": written, "official": official, "similarity": round(similarity, 2)}
    if kind == "extra":
        return _r(f"edit_{kind}", N_("「{written}」{what}"), word, **params)
    if kind == "missing":
        return _r(f"edit_{kind}", N_("「{official}」{what}"), word, **params)
    if kind == "glyph":
        return _r(f"edit_{kind}", N_("{written}→{official} {what}（類似度 {similarity:.2f}）"), word, **params)
    return _r(f"edit_{kind}", N_("{written}→{official} {what}"), word, **params)


def spelling_variation() -> Reason:
    return _r("spelling_variation", N_("表記の揺れ"))


def other_prefecture(given: str, where: str) -> Reason:
    return _r("other_prefecture", N_("{given}に該当なし、{where}にあり（都道府県の誤りか）"), given=given, where=where)


def close_candidates() -> Reason:
    return _r("close_candidates", N_("候補が拮抗"))


def weak_match() -> Reason:
    return _r("weak_match", N_("一致が弱い"))


def no_match() -> Reason:
    return _r("no_match", N_("該当なし"))


def northern_territory_set_aside() -> Reason:
    return _r("northern_territory_set_aside", N_("北方領土の同名村を除外"))


def same_name(count: int) -> Reason:
    return _r("same_name", N_("同名が{count}件"), count=count)


# -- list context ---------------------------------------------------------------------------------


def _ends(before: str, after: str) -> dict[str, object]:
    return {"lo": before or Label(N_("先頭")), "hi": after or Label(N_("末尾"))}


def code_order_fits(name: str, before: str, after: str) -> Reason:
    return _r("code_order_fits", N_("記載順（コード順）で{lo}と{hi}の間に入るのは{name}のみ"), _ends(before, after),
              name=name, before=before, after=after)


def code_order_breaks(name: str, code: str, before: str, after: str) -> Reason:
    return _r("code_order_breaks", N_("{name}（{code}）は記載順（コード順）で{lo}と{hi}の間に入らない"),
              _ends(before, after), name=name, code=code, before=before, after=after)


# -- input that is not a name ---------------------------------------------------------------------


def bad_json(line: int, detail: str) -> Reason:
    return _r("bad_json", N_("標準入力の{line}行目：JSON として読めません（{detail}）"), line=line, detail=detail)


def bad_date(line: int, value: str) -> Reason:
    return _r("bad_date", N_("標準入力の{line}行目：「{value}」は日付ではありません"), line=line, value=value)


def render_stored(stored: Iterable[dict]) -> str:
    """The one-line reason, in the reader's language, of reasons kept with :meth:`Reason.stored`."""
    return render(Reason.from_stored(d) for d in stored)


def _templates() -> list[tuple[str, str, dict[str, str]]]:
    """(key, template, {label field: key of _EDIT_WORDS/_NOTE_WORDS}) of every reason built by this module's ``_r``
    calls, read from its source: what :func:`from_text` matches reasons stored before they had keys against."""
    import ast
    from pathlib import Path

    found: list[tuple[str, str, dict[str, str]]] = []
    for node in ast.walk(ast.parse(Path(__file__).read_text(encoding="utf-8"))):
        if not (isinstance(node, ast.Call) and getattr(node.func, "id", "") == "_r" and len(node.args) >= 2):
            continue
        key, template = node.args[0], node.args[1]
        if not (isinstance(template, ast.Call) and template.args and isinstance(template.args[0], ast.Constant)):
            continue
        if isinstance(key, ast.Constant):
            found.append((str(key.value), str(template.args[0].value), {}))
        else:  # f"edit_{kind}": one entry per kind, told apart by its word
            found += [(f"edit_{kind}", str(template.args[0].value), {"what": kind}) for kind in _EDIT_WORDS]
    return found


@cache
def _patterns() -> tuple[list[tuple[re.Pattern[str], str, str, dict[str, str]]], dict[str, str]]:
    """Each known reason's text in Japanese and English as a pattern (most literal first), and the label words."""
    from string import Formatter

    from .i18n import use_language

    patterns: list[tuple[re.Pattern[str], str, str, dict[str, str], int]] = []  # ..., literal characters
    words: dict[str, str] = {}  # a label word as shown (either language) → its msgid
    for lang in ("ja", "en"):
        with use_language(lang):
            words |= {gettext(w): w for w in (*_EDIT_WORDS.values(), *_NOTE_WORDS.values(), N_("先頭"), N_("末尾"))}
            for key, template, fixed in _templates():
                fields = {k: gettext(_EDIT_WORDS[v]) for k, v in fixed.items()}
                regex, literal_chars, seen = "", 0, set()
                for literal, field, _spec, _conv in Formatter().parse(gettext(template)):
                    regex += re.escape(literal)
                    literal_chars += len(literal)
                    if field is None:
                        continue
                    if field in fields:
                        regex += re.escape(fields[field])
                    else:  # a field shown twice is the same value both times
                        regex += f"(?P={field})" if field in seen else f"(?P<{field}>.+?)"
                        seen.add(field)
                patterns.append((re.compile(regex + "$"), key, template, fixed, literal_chars))
    patterns.sort(key=lambda p: -p[4])
    return [p[:4] for p in patterns], words


def from_text(text: str) -> list[Reason] | None:
    """Reasons kept only as rendered text (before migration 0009, in Japanese or English), read back into keys and
    parameters; None when any part matches no known reason (the text is then shown as it is)."""
    if not text:
        return []
    patterns, words = _patterns()
    out: list[Reason] = []
    for part in text.split("; "):
        for pattern, key, template, fixed in patterns:
            m = pattern.match(part)
            if m:
                params = {k: _value(v) for k, v in m.groupdict().items()}
                shown = {k: Label(words[v]) for k, v in params.items() if isinstance(v, str) and v in words}
                shown |= {k: Label(_EDIT_WORDS[v]) for k, v in fixed.items()}
                out.append(Reason(key, tuple(params.items()), template, tuple(shown.items())))
                break
        else:
            return None
    return out


def _value(text: str) -> object:
    """A parameter read back from text: a number where it was one (a format such as {similarity:.2f} needs it)."""
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text
