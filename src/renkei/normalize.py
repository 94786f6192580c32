"""Text normalisation for names of local governments.

Two levels, so the resolver can say exactly what it changed:

- :func:`clean` removes differences that are only in the encoding: NFKC width
  folding (full-width ＡＢＣ, half-width ｶﾅ), spaces including U+3000, variation
  selectors (IVS), hyphen look-alikes and the small/large ヶ・ケ・ヵ.
- :func:`fold` also folds kanji variants (異体字: 舘→館, 曾→曽), symmetrically:
  every member of a group maps to the same representative, so 舘 and 館 compare
  equal whichever is written.

The tables are data files in ``renkei/data`` (char_folds.tsv, kanji_variants.tsv),
reviewable without reading code.
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache
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
    for (line,) in data_lines("kanji_variants.tsv"):
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


def clean(text: str) -> str:
    """Width, spacing, selectors, hyphens and ヶ: differences of encoding only. Idempotent."""
    text = unicodedata.normalize("NFKC", text)
    folded = _SPACES_AND_SELECTORS.sub("", text).translate(_char_folds())
    # Removing a space or folding a character can expose a new NFKC composition (A + space +
    # combining mark); normalise again only then, which keeps clean() idempotent cheaply.
    return folded if folded == text else unicodedata.normalize("NFKC", folded)


def fold(text: str) -> str:
    """:func:`clean`, then kanji variants to one representative. Idempotent."""
    return clean(text).translate(_fold_table())


@cache
def variant_members(ch: str) -> tuple[str, ...]:
    """All the forms in ``ch``'s variant group (``ch`` alone when it has none), ``ch`` first."""
    table = variant_groups()
    rep = table.get(ch, ch)
    others = [c for c, r in table.items() if r == rep and c != ch]
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
