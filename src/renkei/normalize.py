"""Text normalisation for names of local governments.

Two levels, so the resolver can say exactly what it changed:

- :func:`clean` removes differences that are only in the encoding: NFKC width
  folding (full-width ＡＢＣ, half-width ｶﾅ), spaces including U+3000, variation
  selectors (IVS), hyphen look-alikes and the small/large ヶ・ケ・ヵ.
- :func:`fold` also folds kanji variants (異体字: 舘→館, 曾→曽), symmetrically:
  every member of a group maps to the same representative, so 舘 and 館 compare
  equal whichever is written.

The tables are data files in ``renkei/data``, reviewable without reading code:
char_folds.tsv, kanji_variants.tsv (kept by hand) and kanji_variants_derived.tsv (built by
scripts/build_data.py from Unihan and cjkvi-variants, checked so that no two current
names fold together).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path

DATA = Path(__file__).parent / "data"

_SPACES_AND_SELECTORS = re.compile(r"[\s\u200b-\u200d\u2060\ufeff\ufe00-\ufe0f\U000e0100-\U000e01ef]+")
_HIRAGANA = re.compile(r"[\u3041-\u3096]")
_KANA_ONLY = re.compile(r"[\u3041-\u3096\u30a1-\u30fa\u30fc\u30fb]+")


def data_lines(name: str) -> list[list[str]]:
    """The rows of a tab-separated data file, without comments and blank lines."""
    rows = []
    for line in (DATA / name).read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            rows.append(line.split("\t"))
    return rows


@cache
def _char_folds() -> dict[int, str]:
    table: dict[int, str] = {}
    for chars, target, *_ in data_lines("char_folds.tsv"):
        for ch in chars:
            table[ord(ch)] = target
    return table


@cache
def variant_groups() -> dict[str, str]:
    """Each variant kanji → its group's representative (groups sharing a character are merged)."""
    parent: dict[str, str] = {}

    def find(c: str) -> str:
        while parent.setdefault(c, c) != c:
            c = parent[c]
        return c

    order: dict[str, int] = {}
    rows = [*data_lines("kanji_variants.tsv"), *data_lines("kanji_variants_derived.tsv")]
    for line, *_ in rows:
        chars = [unicodedata.normalize("NFKC", c) for c in line.split()]
        for c in chars:
            order.setdefault(c, len(order))
        root = find(chars[0])
        for c in chars[1:]:
            other = find(c)
            if other != root:
                # keep the representative that came first in the file
                if order[other] < order[root]:
                    root, other = other, root
                parent[other] = root
    return {c: find(c) for c in parent if find(c) != c}


@cache
def _fold_table() -> dict[int, str]:
    return {ord(k): v for k, v in variant_groups().items()}


@lru_cache(maxsize=65536)  # names and counties repeat in every table; bounded, the text is an outsider's
def clean(text: str) -> str:
    """Width, spacing, selectors, hyphens and ヶ: differences of encoding only. Idempotent."""
    text = unicodedata.normalize("NFKC", text)
    folded = _SPACES_AND_SELECTORS.sub("", text).translate(_char_folds())
    # Removing a space or folding a character can expose a new NFKC composition (A + space +
    # combining mark); normalise again only then, which keeps clean() idempotent cheaply.
    return folded if folded == text else unicodedata.normalize("NFKC", folded)


@lru_cache(maxsize=65536)
def fold(text: str) -> str:
    """:func:`clean`, then kanji variants to one representative. Idempotent."""
    return clean(text).translate(_fold_table())


@cache
def _group_members() -> dict[str, list[str]]:
    """Each representative → the characters that fold to it, in the table's order."""
    members: dict[str, list[str]] = {}
    for c, rep in variant_groups().items():
        members.setdefault(rep, []).append(c)
    return members


@cache
def variant_members(ch: str) -> tuple[str, ...]:
    """All the forms in ``ch``'s variant group (``ch`` alone when it has none), ``ch`` first."""
    rep = variant_groups().get(ch, ch)
    others = [c for c in _group_members().get(rep, ()) if c != ch]
    return (ch, *([rep] if rep != ch else []), *(c for c in others if c != rep))


def variant_of(a: str, b: str) -> bool:
    """True when two characters are variants of each other (異体字)."""
    table = variant_groups()
    return a != b and table.get(a, a) == table.get(b, b)


def to_katakana(text: str) -> str:
    """Hiragana → katakana (ABR readings are in katakana)."""
    return _HIRAGANA.sub(lambda m: chr(ord(m.group()) + 0x60), text)


def is_kana(text: str) -> bool:
    """True when ``text`` is written in kana only (a reading rather than a name)."""
    return bool(_KANA_ONLY.fullmatch(text))


# ---------------------------------------------------------------------------------------------
# Notes and several names in one cell (real-world writing)

_OPEN_CLOSE = {"(": ")", "[": "]", "{": "}", "【": "】", "〔": "〕", "《": "》", "〈": "〉", "<": ">"}
_BRACKETED = re.compile(r"\(([^()]*)\)|\[([^\[\]]*)\]|\{([^{}]*)\}|【([^【】]*)】|〔([^〔〕]*)〕"
                        r"|《([^《》]*)》|〈([^〈〉]*)〉|<([^<>]*)>")
_UNCLOSED = re.compile(r"[(\[{【〔《〈<]([^)\]}】〕》〉>]*)$")
_REMARK = re.compile(r"[※*†]")
_ERA = r"(?:明治|大正|昭和|平成|令和|[MTSHR])\s*(?:元|\d{1,2})"
_DATE = re.compile(rf"(?:{_ERA}|\d{{4}})\s*(?:年度?|[./-])\s*(?:\d{{1,2}}\s*(?:月|[./-])?\s*(?:\d{{1,2}}\s*日?)?)?"
                   r"\s*(?:から|より|~|〜|締結|提携|現在|時点)?")
_TRAILING_DATE = re.compile(rf"\s*(?:{_DATE.pattern})$")
_MAY_HOLD_NOTES = re.compile(r"[()\[\]{}【】〔〕《》〈〉<>※*†0-9「『\"']")
_QUOTES = re.compile(r"^[「『\"'](.+)[」』\"']$")


@dataclass(frozen=True, slots=True)
class Note:
    """A note written in the cell next to the name: (旧荒川村), (こおり), (2016年9月), ※…"""

    kind: str  # reading, former, date, remark, other
    text: str


def _note_kind(text: str) -> str:
    body = text.strip()
    if body and is_kana(_SPACES_AND_SELECTORS.sub("", body)):
        return "reading"
    if body.startswith("旧"):
        return "former"
    if _DATE.fullmatch(body) or re.fullmatch(r"\d{4}", body):
        return "date"
    return "other"


def split_notes(text: str) -> tuple[str, tuple[Note, ...]]:
    """The name without its notes, and the notes in the order they were written.

    Width is folded first (（…） and (…) are the same). Set aside: a remark from ※, * or †
    to the end; every bracketed part, innermost first, and an unclosed one at the end; a
    trailing date (2016年9月, H28.4); a leading 旧 (旧荒川村 → 荒川村, noted as former); quotes
    around the whole name. A name with nothing of this comes back unchanged.
    """
    t = unicodedata.normalize("NFKC", text).strip()
    if not _MAY_HOLD_NOTES.search(t) and not t.startswith("旧"):
        return t, ()  # the common case, a bare name: no pattern needs to run
    notes: list[Note] = []
    m = _REMARK.search(t)
    if m and m.start() > 0:
        notes.append(Note("remark", t[m.start():].strip()))
        t = t[: m.start()].strip()
    elif m:
        t = t[1:].strip()
    while True:
        m = _BRACKETED.search(t)
        if m is None:
            break
        inner = next(g for g in m.groups() if g is not None)
        if inner.strip():
            notes.append(Note(_note_kind(inner), inner.strip()))
        t = (t[: m.start()] + t[m.end():]).strip()
    m = _UNCLOSED.search(t)
    if m and m.start() > 0:
        if m.group(1).strip():
            notes.append(Note(_note_kind(m.group(1)), m.group(1).strip()))
        t = t[: m.start()].strip()
    m = _TRAILING_DATE.search(t)
    if m and m.start() > 0 and m.group().strip():
        notes.append(Note("date", m.group().strip()))
        t = t[: m.start()].strip()
    m = _QUOTES.match(t)
    if m:
        t = m.group(1).strip()
    if t.startswith("旧") and len(t) > 2:
        notes.append(Note("former", "旧"))
        t = t[1:]
    return t, tuple(notes)


def _depth(text: str, depth: int = 0) -> int:
    """How many brackets are open after ``text``, starting with ``depth`` open."""
    for ch in text:
        if ch in _OPEN_CLOSE:
            depth += 1
        elif ch in _CLOSING and depth:
            depth -= 1
    return depth


_CLOSING = frozenset(_OPEN_CLOSE.values())
_SEPARATORS = re.compile(r"[、,/;]|・")
_SPACES = re.compile(r"\s+")
_KATAKANA = re.compile(r"[\u30a1-\u30fa\u30fc]")
# What a part must be written in to count as a name: kanji, kana, 々〆ヶ and spaces (a note aside).
_NAME_LIKE = re.compile(r"[\s\u3005\u3006\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f]+")


def split_names(text: str) -> list[str]:
    """Several names written in one cell (城島町・三潴町, 一色町、吉良町, A/B): the parts, else [].

    Separators are 、 , / ; and ・ — except ・ between two katakana, which joins the words of
    one katakana name (ア・イ), and any inside brackets. Empty parts are dropped; one part is
    not a split, and every part must be written in kanji and kana (a note aside), so a
    formula or a URL is never taken for names.
    """
    t = unicodedata.normalize("NFKC", text).strip()
    parts: list[str] = []
    start = scanned = depth = 0
    for m in _SEPARATORS.finditer(t):
        i = m.start()
        if m.group() == "・" and 0 < i < len(t) - 1 and _KATAKANA.match(t[i - 1]) and _KATAKANA.match(t[i + 1]):
            continue
        depth, scanned = _depth(t[scanned:i], depth), i  # one pass over the cell, however many separators
        if depth:
            continue  # inside a note: 秩父市(旧荒川村・旧大滝村)
        parts.append(t[start:i])
        start = m.end()
    parts.append(t[start:])
    parts = [p.strip() for p in parts if p.strip()]
    if len(parts) < 2 or not all(_NAME_LIKE.fullmatch(split_notes(p)[0]) for p in parts):
        return []  # =HYPERLINK("http://…","x") is not two names
    return parts


def split_on_spaces(text: str) -> list[str]:
    """仙台市(仙台市立病院) 山形市: the parts of a cell separated by spaces outside brackets, else []."""
    t = unicodedata.normalize("NFKC", text).strip()
    parts: list[str] = []
    start = scanned = depth = 0
    for m in _SPACES.finditer(t):
        depth, scanned = _depth(t[scanned:m.start()], depth), m.start()
        if not depth:
            parts.append(t[start:m.start()])
            start = m.end()
    parts.append(t[start:])
    return parts if len(parts) > 1 else []
