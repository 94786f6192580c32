#!/usr/bin/env python3
"""Build the look-alike kanji table (src/renkei/data/glyph_similarity.tsv) by rendering glyphs.

Why rendering: OCR and hand-copying errors replace a kanji by one that *looks*
alike (亘→亶, 鮫→鮎, 潟→湯, 畠→島), and how alike two glyphs are is a fact about
their shapes, not something to list by hand. Every kanji that appears in an
official name is rendered with the bundled IPAex Gothic font and compared with
every JIS X 0208 level 1 and 2 kanji.

The similarity of two glyphs blends three views of the blurred bitmaps (each a
cosine of mean-centred pixels):
- the whole glyph (overall shape);
- the better-matching half, left/right or top/bottom (a shared radical, 鮎/鮫);
- both halves together (the same structure, 檜/楢).
Only neighbours with a similarity of at least MIN_SIMILARITY are kept, at most
MAX_NEIGHBOURS per kanji, rounded to two decimals.

Output: one line per official kanji: ``kanji<TAB>neighbour:similarity ...``, best first.
Usage: python scripts/build_glyphs.py   (needs the dev extras: pillow, numpy)
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "src" / "renkei" / "data"
FONT = DATA / "fonts" / "ipaexg.ttf"
OUT = DATA / "glyph_similarity.tsv"
MIN_SIMILARITY = 0.68
MAX_NEIGHBOURS = 400
CANVAS, GRID = 64, 32


def jis_kanji() -> list[str]:
    """JIS X 0208 level 1 (rows 16–47) and level 2 (rows 48–84) kanji, in JIS order."""
    out = []
    for row in range(16, 85):
        for cell in range(1, 95):
            try:
                out.append(bytes([0xA0 + row, 0xA0 + cell]).decode("euc_jp"))
            except UnicodeDecodeError:
                continue
    return out


def is_kanji(ch: str) -> bool:
    return "\u4e00" <= ch <= "\u9fff" or "\uf900" <= ch <= "\ufaff" or "\u3400" <= ch <= "\u4dbf"


def official_kanji() -> list[str]:
    directory = json.loads((ROOT / "src" / "renkei" / "directory" / "data" / "directory.json")
                           .read_text(encoding="utf-8"))
    fields = directory["entity_fields"]
    names = set()
    for row in directory["entities"]:
        entity = dict(zip(fields, row, strict=True))
        names.update((entity["name"], entity["county"]))
    return sorted({ch for name in names for ch in name if is_kanji(ch)})


def _unit(a: np.ndarray) -> np.ndarray:
    a = a.astype(np.float64).ravel()
    a = a - a.mean()
    return a / (np.linalg.norm(a) + 1e-12)


def features(chars: list[str]) -> list[np.ndarray]:
    """Five unit vectors per glyph: whole, left, right, top, bottom."""
    font = ImageFont.truetype(str(FONT), CANVAS)
    views: list[list[np.ndarray]] = [[], [], [], [], []]
    half = GRID // 2
    for ch in chars:
        im = Image.new("L", (CANVAS, CANVAS), 0)
        left, top, right, bottom = font.getbbox(ch)
        ImageDraw.Draw(im).text(((CANVAS - (right - left)) / 2 - left, (CANVAS - (bottom - top)) / 2 - top),
                                ch, font=font, fill=255)
        im = im.filter(ImageFilter.GaussianBlur(2.5)).resize((GRID, GRID), Image.Resampling.BILINEAR)
        a = np.asarray(im, dtype=np.float64) / 255.0
        for i, part in enumerate((a, a[:, :half], a[:, half:], a[:half], a[half:])):
            views[i].append(_unit(part))
    return [np.stack(v) for v in views]


def similarity(q: list[np.ndarray], t: list[np.ndarray]) -> np.ndarray:
    whole, left, right, top, bottom = (qv @ tv.T for qv, tv in zip(q, t, strict=True))
    best_half = np.maximum(np.maximum(left, right), np.maximum(top, bottom))
    both_halves = np.maximum((left + right) / 2, (top + bottom) / 2)
    return 0.5 * whole + 0.25 * best_half + 0.25 * both_halves


def build() -> str:
    targets = jis_kanji()
    sources = official_kanji()
    t_feat = features(targets)
    s_feat = features(sources)
    sims = similarity(s_feat, t_feat)
    lines = [
        "# Look-alike kanji, built by scripts/build_glyphs.py from glyphs rendered in IPAex Gothic.",
        f"# kanji<TAB>neighbour:similarity ... (similarity >= {MIN_SIMILARITY}, at most {MAX_NEIGHBOURS}, best first)",
    ]
    for i, ch in enumerate(sources):
        row = sims[i]
        order = np.lexsort((np.arange(len(targets)), -np.round(row, 2)))
        picked = []
        for j in order:
            if targets[j] == ch:
                continue
            s = round(float(row[j]), 2)
            if s < MIN_SIMILARITY or len(picked) >= MAX_NEIGHBOURS:
                break
            picked.append(f"{targets[j]}:{round(s * 100)}")
        lines.append(f"{ch}\t{' '.join(picked)}")
    return "\n".join(lines) + "\n"


def main() -> int:
    text = build()
    if "--check" in sys.argv:
        return 0 if OUT.read_text(encoding="utf-8") == text else 1
    OUT.write_text(text, encoding="utf-8")
    print(f"wrote {OUT.relative_to(ROOT)}: {text.count(chr(10)) - 2} kanji")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
