"""The rules a project's values must meet, in one place: the form, the template reader, the CLI import and
the registry's Python API all check a project here, so no path can store what another would refuse.

Pure functions (no database, no files). Each raises :class:`ProjectValueError`, naming the field, with a
Japanese message from the catalogue; the callers add where it came from (a form field, a file's row and
cell, a registry call).

- the source address is a link on public pages: ``http://`` or ``https://`` only (never ``javascript:``);
- a fiscal year lies in :data:`FISCAL_YEARS` and a date in :data:`DATES`; the end is not before the start;
- texts have bounded lengths; 分野 is one of :data:`FIELDS`;
- wards are among the 23 special wards and partners are codes of the directory.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Iterable
from datetime import date
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from .i18n import N_, _

if TYPE_CHECKING:
    from .directory import Directory

FIELDS = ("産業・物産", "観光", "文化・スポーツ", "防災・災害支援", "環境・森林", "教育・体験", "移住・定住",
          "健康・福祉", "その他")
FISCAL_YEARS = range(1989, 2101)  # 平成元年度 to 2100年度
DATES = (date(1989, 1, 1), date(2101, 3, 31))  # from the first day of 1989 to the end of fiscal 2100
MAX_LENGTHS = {"title": 200, "summary": 2000, "source_url": 2000}
URL_SCHEMES = ("http", "https")
FIELD_NAMES = {"title": N_("事業名"), "field": N_("分野"), "fiscal_year": N_("年度"), "start_date": N_("開始日"),
               "end_date": N_("終了日"), "summary": N_("概要"), "source_url": N_("出典URL"), "wards": N_("区"),
               "partners": N_("連携先")}


class ProjectValueError(ValueError):
    """A project value that breaks a rule; ``field`` is its key (title, fiscal_year, source_url, ...)."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        super().__init__(message)

    @property
    def label(self) -> str:
        """The field's name in the reader's language (事業名, 年度, ...)."""
        return _(FIELD_NAMES[self.field]) if self.field in FIELD_NAMES else self.field


def check_url(url: str | None) -> str:
    """An address a public page may link to: http(s) with a host, no spaces or control characters."""
    url = (url or "").strip()
    if not url:
        return ""
    check_length("source_url", url)
    try:
        parts = urlsplit(url)
    except ValueError:
        parts = None
    if parts is None or parts.scheme.lower() not in URL_SCHEMES or not parts.netloc \
            or any(c.isspace() or ord(c) < 32 or ord(c) == 127 for c in url):
        raise ProjectValueError("source_url", _("「{url}」は http:// または https:// で始まる URL ではありません")
                                .format(url=_shown(url)))
    return url


def check_fiscal_year(year: object) -> int | None:
    """A fiscal year (西暦) in :data:`FISCAL_YEARS`, or None."""
    if year is None or year == "":
        return None
    if isinstance(year, bool) or not isinstance(year, int):
        text = unicodedata.normalize("NFKC", str(year)).strip()  # ２０２５ typed with an IME is 2025
        if not text.isascii() or not text.isdigit():
            raise ProjectValueError("fiscal_year", _("年度は西暦4桁で入力してください（例: 2025）"))
        year = int(text)
    if year not in FISCAL_YEARS:
        raise ProjectValueError("fiscal_year", _("年度 {year} は {first}〜{last} の範囲にありません").format(
            year=year, first=FISCAL_YEARS[0], last=FISCAL_YEARS[-1]))
    return year


def check_date(field: str, value: object) -> date | None:
    """A date (a ``date`` or ISO text YYYY-MM-DD) within :data:`DATES`, or None."""
    if value is None or value == "":
        return None
    if not isinstance(value, date):
        try:
            value = date.fromisoformat(str(value).strip())
        except ValueError:
            raise ProjectValueError(field, _("日付「{value}」は YYYY-MM-DD で入力してください")
                                    .format(value=_shown(str(value)))) from None
    if not DATES[0] <= value <= DATES[1]:
        raise ProjectValueError(field, _("日付 {value} は {first}〜{last} の範囲にありません").format(
            value=value.isoformat(), first=DATES[0].isoformat(), last=DATES[1].isoformat()))
    return value


def check_period(start: date | None, end: date | None) -> None:
    if start and end and end < start:
        raise ProjectValueError("end_date", _("終了日 {end} が開始日 {start} より前です").format(end=end, start=start))


def check_length(field: str, text: str) -> str:
    limit = MAX_LENGTHS.get(field)
    if limit is not None and len(text) > limit:
        raise ProjectValueError(field, _("{field}は {limit:,} 文字までです（{length:,} 文字あります）").format(
            field=_(FIELD_NAMES[field]), limit=limit, length=len(text)))
    return text


def check_title(title: object) -> str:
    if not isinstance(title, str) or not title.strip():
        raise ProjectValueError("title", _("事業名は空にできません"))
    return check_length("title", title.strip())


def check_field(value: object) -> str | None:
    if value is None or value == "":
        return None
    if value not in FIELDS:
        raise ProjectValueError("field", _("分野「{value}」は {fields} のどれでもありません").format(
            value=_shown(str(value)), fields="、".join(FIELDS)))
    return str(value)


def check_values(values: dict[str, object]) -> dict[str, object]:
    """The project fields present in ``values``, checked and normalised (dates as ``date``); end ≥ start."""
    checks: dict[str, Callable[[object], object]] = {
        "title": check_title, "field": check_field, "fiscal_year": check_fiscal_year,
        "start_date": lambda v: check_date("start_date", v), "end_date": lambda v: check_date("end_date", v),
        "summary": lambda v: check_length("summary", str(v or "")),
        "source_url": lambda v: check_url(None if v is None else str(v))}
    out: dict[str, object] = {}
    for key, value in values.items():
        if key not in checks:
            raise ProjectValueError(key, _("事業に項目「{field}」はありません").format(field=_shown(key)))
        out[key] = checks[key](value)
    start, end = out.get("start_date"), out.get("end_date")
    check_period(start if isinstance(start, date) else None, end if isinstance(end, date) else None)
    return out


def check_wards(directory: Directory, codes: Iterable[str]) -> list[str]:
    """Ward codes, each one of the 23 special wards."""
    wards = {w.code for w in directory.special_wards}
    codes = list(codes)
    for code in codes:
        if code not in wards:
            raise ProjectValueError("wards", _("「{ward}」は特別区（23区）ではありません")
                                    .format(ward=_shown(str(code))))
    return codes


def check_partners(directory: Directory, codes: Iterable[str]) -> list[str]:
    """Partner codes, each in the directory (全国地方公共団体コード)."""
    codes = list(codes)
    for code in codes:
        if directory.get(code) is None:
            raise ProjectValueError("partners", _("「{code}」は全国地方公共団体コードにありません")
                                    .format(code=_shown(str(code))))
    return codes


def _shown(text: str, limit: int = 80) -> str:
    """A value quoted back in a message: bounded, so a megabyte of input is not echoed."""
    return text if len(text) <= limit else text[:limit] + "…"
