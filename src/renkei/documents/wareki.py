"""和暦 dates in titles: 令和7年8月1日現在 → 2025-08-01."""

from __future__ import annotations

import re
import unicodedata
from datetime import date

from ..i18n import wareki

ERAS = {"令和": 2018, "平成": 1988, "昭和": 1925, "R": 2018, "H": 1988, "S": 1925}
_DATE = re.compile(r"(令和|平成|昭和|[RHS])\s*(元|\d{1,3})\s*[年.]\s*(\d{1,2})\s*[月.]\s*(\d{1,2})\s*日?")
_SEIREKI = re.compile(r"(\d{4})\s*[年/.-]\s*(\d{1,2})\s*[月/.-]\s*(\d{1,2})")


def parse(text: str) -> str | None:
    """The first date in ``text`` as ISO, from 和暦 (with 元年 and full-width digits) or 西暦."""
    t = unicodedata.normalize("NFKC", text)
    m = _DATE.search(t)
    if m:
        era, year, month, day = m.groups()
        y = ERAS[era] + (1 if year == "元" else int(year))
        return _iso(y, int(month), int(day))
    m = _SEIREKI.search(t)
    if m:
        return _iso(*(int(g) for g in m.groups()))
    return None


def _iso(y: int, m: int, d: int) -> str | None:
    try:
        return date(y, m, d).isoformat()
    except ValueError:
        return None


def format_wareki(iso: str) -> str:
    """2025-08-01 → 令和7年8月1日 (令和元年 for 2019): the one implementation lives with the other display dates."""
    return wareki(iso)
