"""The message catalogue: every sentence a person reads, in Japanese (the default) or English.

Why gettext: translations live in ``src/renkei/locale/{ja,en}/LC_MESSAGES/renkei.po`` (edited by people, reviewed in
diffs) and are compiled to ``.mo`` when the package is built or installed (``setup.py``), so a reader never parses
text at run time. The message id is the Japanese source text, so code reads as what the user sees and
``_("取り込み")`` is all a developer writes; ``make messages`` extracts new ids into both catalogues and the tests fail
until the English is written (docs/i18n.md).

The language is a context variable: the CLI sets it from ``--lang``/``RENKEI_LANG``, the web app per request, and a
test or a renderer can switch it with :func:`use_language`. Nothing here imports the rest of the package.

Structured messages (:class:`Message`) carry a stable ``key`` and ``params`` for programs, and render in the
reader's language when turned into text, so JSON outputs can give both ``reason`` and ``reason_key`` + ``params``.
"""

from __future__ import annotations

import gettext as _gettext
import os
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager, suppress
from contextvars import ContextVar, Token
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, timezone, tzinfo
from functools import cache
from pathlib import Path

LANGUAGES = ("ja", "en")
DEFAULT_LANGUAGE = "ja"
DOMAIN = "renkei"
LOCALE_DIR = Path(__file__).parent / "locale"

_language: ContextVar[str | None] = ContextVar("renkei_language", default=None)


def normalize_language(value: str | None) -> str:
    """``ja``, ``en``, ``en_US.UTF-8``, ``en-GB`` … → a supported language; anything else → Japanese."""
    if not value:
        return DEFAULT_LANGUAGE
    base = value.strip().replace("-", "_").split("_")[0].split(".")[0].lower()
    return base if base in LANGUAGES else DEFAULT_LANGUAGE


def current_language() -> str:
    """The reader's language: the one set for this context, else ``RENKEI_LANG``, else Japanese."""
    lang = _language.get()
    return lang if lang else normalize_language(os.environ.get("RENKEI_LANG"))


def set_language(lang: str | None) -> Token[str | None]:
    """Set the language for the rest of this context (a CLI run, a request); :func:`reset_language` undoes it."""
    return _language.set(normalize_language(lang) if lang else None)


def reset_language(token: Token[str | None] | None) -> None:
    """Back to the language before :func:`set_language` (a CLI run inside a test must not leak its --lang)."""
    if token is not None:
        _language.reset(token)


@contextmanager
def use_language(lang: str) -> Iterator[None]:
    """Render in ``lang`` inside the block, then go back to what it was."""
    token = _language.set(normalize_language(lang))
    try:
        yield
    finally:
        _language.reset(token)


# -- the catalogue ----------------------------------------------------------------------------------------------

def mo_path(lang: str) -> Path:
    return LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.mo"


def po_path(lang: str) -> Path:
    return LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


def compile_catalogues(locale_dir: Path = LOCALE_DIR) -> list[Path]:
    """Compile every ``.po`` under ``locale_dir`` to its ``.mo`` (what ``setup.py`` runs at build time)."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    written = []
    for po in sorted(locale_dir.glob(f"*/LC_MESSAGES/{DOMAIN}.po")):
        with po.open("rb") as f:
            catalog = read_po(f)
        mo = po.with_suffix(".mo")
        tmp = mo.with_name(f"{mo.name}.{os.getpid()}.tmp")  # readers in other processes never see half a file
        with tmp.open("wb") as f:
            write_mo(f, catalog, use_fuzzy=False)
        os.replace(tmp, mo)
        written.append(mo)
    return written


@cache
def translations(lang: str) -> _gettext.NullTranslations:
    """The compiled catalogue of ``lang``.

    A checkout whose ``.po`` is newer than its ``.mo`` (a developer just ran ``make messages`` or rebased) is
    recompiled once here rather than silently showing stale text; an installed package only reads.
    """
    mo, po = mo_path(lang), po_path(lang)
    if po.exists() and (not mo.exists() or mo.stat().st_mtime < po.stat().st_mtime):
        with suppress(ImportError, OSError):  # read-only install or no Babel: fall back to what was built
            compile_catalogues()
    if not mo.exists():
        return _gettext.NullTranslations()
    with mo.open("rb") as f:
        return _gettext.GNUTranslations(f)


def gettext(message: str) -> str:
    """``message`` (a Japanese msgid) in the reader's language."""
    return translations(current_language()).gettext(message)


_ = gettext


def ngettext(singular: str, plural: str, n: int) -> str:
    return translations(current_language()).ngettext(singular, plural, n)


def pgettext(context: str, message: str) -> str:
    """For one Japanese word that needs two English ones (``pgettext("監査", "取り込み")``)."""
    return translations(current_language()).pgettext(context, message)


def npgettext(context: str, singular: str, plural: str, n: int) -> str:
    return translations(current_language()).npgettext(context, singular, plural, n)


def N_(message: str) -> str:
    """Mark ``message`` for extraction without translating it now (tables of labels, message templates)."""
    return message


class LazyString:
    """A catalogue message translated when it is turned into text, for module-level constants.

    ``str()`` it (or format it) where it is shown; it compares and hashes as its msgid.
    """

    __slots__ = ("_args", "_func")

    def __init__(self, func: Callable[..., str], *args: str | int) -> None:
        self._func = func
        self._args = args

    def __str__(self) -> str:
        return self._func(*self._args)

    def __format__(self, spec: str) -> str:
        return format(str(self), spec)

    def __repr__(self) -> str:
        return f"LazyString({self._args!r})"

    def __eq__(self, other: object) -> bool:
        return str(self) == str(other)

    def __hash__(self) -> int:
        return hash(self._args)

    def __html__(self) -> str:  # Jinja2 escapes str(); a LazyString is not markup
        from markupsafe import escape

        return str(escape(str(self)))


def lazy_gettext(message: str) -> LazyString:
    return LazyString(gettext, message)


def lazy_ngettext(singular: str, plural: str, n: int) -> LazyString:
    return LazyString(ngettext, singular, plural, n)


def lazy_pgettext(context: str, message: str) -> LazyString:
    return LazyString(pgettext, context, message)


# -- structured messages ----------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Message:
    """A message as data: a stable ``key`` for programs, a catalogue ``template`` and its ``params``.

    ``template`` is a msgid marked with :func:`N_` and written with ``str.format`` fields (``{name}``); ``params``
    are plain values (str, int, float, None) or other :class:`Message` objects, rendered in the same language.
    ``str(message)`` is the text in the reader's language; :meth:`as_dict` is what JSON outputs add.
    """

    key: str
    template: str
    params: Mapping[str, object] = field(default_factory=dict)

    def text(self, lang: str | None = None) -> str:
        if lang is not None:
            with use_language(lang):
                return self.text()
        values = {k: str(v) if isinstance(v, Message | LazyString) else v for k, v in self.params.items()}
        return gettext(self.template).format(**values)

    def __str__(self) -> str:
        return self.text()

    def json_params(self) -> dict[str, object]:
        """``params`` for JSON: a nested message becomes its text in the reader's language."""
        return {k: str(v) if isinstance(v, Message | LazyString) else v for k, v in self.params.items()}


def message_to_json(m: object) -> object:
    """A :class:`Message` as ``{key, template, params}`` (nested ones too), to be stored and rendered later in the
    reader's language; anything else as its text."""
    if isinstance(m, Message):
        return {"key": m.key, "template": m.template, "params": {k: message_to_json(v) for k, v in m.params.items()}}
    return str(m) if isinstance(m, LazyString) else m


def message_from_json(d: object) -> object:
    """The :class:`Message` that :func:`message_to_json` stored (text stored as text stays text)."""
    if isinstance(d, dict) and "template" in d:
        return Message(d["key"], d["template"], {k: message_from_json(v) for k, v in d["params"].items()})
    return d


# -- dates and times --------------------------------------------------------------------------------------------

def _tokyo() -> tzinfo:
    try:
        from zoneinfo import ZoneInfo

        return ZoneInfo("Asia/Tokyo")
    except (ImportError, KeyError, OSError):  # no tz database (a bare container): Japan has no summer time
        return timezone(timedelta(hours=9), "JST")


JST = _tokyo()
_ERAS = (("令和", "Reiwa", date(2019, 5, 1), 2018), ("平成", "Heisei", date(1989, 1, 8), 1988),
         ("昭和", "Showa", date(1926, 12, 25), 1925))


def _as_date(value: date | str) -> date:
    if isinstance(value, datetime):
        return value.date()
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def wareki(value: date | str) -> str:
    """2025-08-01 → 令和7年8月1日 (令和元年 for 2019; 西暦 before 昭和)."""
    d = _as_date(value)
    for era, _romaji, start, base in _ERAS:
        if d >= start:
            n = d.year - base
            return f"{era}{'元' if n == 1 else n}年{d.month}月{d.day}日"
    return f"{d.year}年{d.month}月{d.day}日"


def format_date(value: date | str | None, lang: str | None = None) -> str:
    """A date as staff read it: 令和7年8月1日 (2025-08-01) in Japanese, 2025-08-01 in English."""
    lang = lang or current_language()
    if value is None or value == "":
        with use_language(lang):
            return gettext("日付不明")
    d = _as_date(value)
    if lang == "ja":
        return f"{wareki(d)} ({d.isoformat()})"
    return d.isoformat()


def to_jst(value: datetime | str) -> datetime:
    """A stored time (UTC, naive or aware, or ISO text) in Japan time. Naive values are UTC: that is how we store."""
    dt = datetime.fromisoformat(value) if isinstance(value, str) else value
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.astimezone(JST)


def format_datetime(value: datetime | str | None, lang: str | None = None, seconds: bool = False) -> str:
    """A stored UTC time for display, in Japan time: 2025-08-01 14:03 (``… JST`` in English)."""
    if value is None or value == "":
        return "-"
    t = to_jst(value)
    text = t.strftime("%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M")
    return text if (lang or current_language()) == "ja" else f"{text} JST"


def utcnow() -> datetime:
    """Now, in UTC (what is stored)."""
    return datetime.now(UTC)
