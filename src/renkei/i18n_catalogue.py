"""Keeping the catalogue in step with the code: extraction and update (``make messages``, and the tests).

A developer tool, not used at run time: it needs Babel's extractor. Extraction reads every Python module and
Jinja2 template of the package; updating adds new message ids to both ``.po`` files (Japanese filled with the id
itself, English left empty for a person to write), drops ids no longer in the code, and writes the files sorted
and without source locations so that two people adding messages rarely touch the same lines.
"""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.pofile import read_po, write_po

from .i18n import DOMAIN, LANGUAGES, po_path

PACKAGE = Path(__file__).parent
KEYWORDS = {**DEFAULT_KEYWORDS, "lazy_gettext": None, "lazy_ngettext": (1, 2), "lazy_pgettext": ((1, "c"), 2)}
METHODS = [("registry/migrations/**.py", "ignore"), ("locale/**", "ignore"),
           ("**.py", "python"), ("templates/**.html", "jinja2.ext:babel_extract")]
OPTIONS = {"templates/**.html": {"extensions": "jinja2.ext.i18n", "trim_blocks": "True", "lstrip_blocks": "True",
                                 "newstyle_gettext": "True"}}
# fixed header dates: a date that changed on every run would make every two branches conflict on the same line
STAMP = datetime(2026, 11, 29, tzinfo=UTC)
HEADER = "renkei: the registry of Tokyo's 23 special wards' partnerships (特別区全国連携プロジェクト)"


def extract() -> Catalog:
    """Every message the code and templates use, as a catalogue with no translations."""
    catalog = Catalog(domain=DOMAIN, project="renkei", header_comment=f"# {HEADER}", fuzzy=False,
                      creation_date=STAMP)
    for filename, lineno, message, comments, context in extract_from_dir(
            PACKAGE, METHODS, OPTIONS, KEYWORDS, comment_tags=("TRANSLATORS:",), strip_comment_tags=True):
        catalog.add(message, None, [(filename, lineno)], auto_comments=comments, context=context)
    return catalog


def read(lang: str) -> Catalog:
    path = po_path(lang)
    if not path.exists():
        return Catalog(locale=lang, domain=DOMAIN, project="renkei", header_comment=f"# {HEADER}", fuzzy=False)
    with path.open("rb") as f:
        return read_po(f, locale=lang, domain=DOMAIN)


def write(lang: str, catalog: Catalog) -> None:
    path = po_path(lang)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as f:
        write_po(f, catalog, width=0, no_location=True, omit_header=False, sort_output=True,
                 ignore_obsolete=True, include_lineno=False)


def update() -> dict[str, int]:
    """Bring both catalogues in step with the code; returns how many English messages still need writing."""
    template = extract()
    missing: dict[str, int] = {}
    for lang in LANGUAGES:
        catalog = read(lang)
        catalog.update(copy.deepcopy(template), no_fuzzy_matching=True, update_header_comment=False)
        catalog.creation_date = catalog.revision_date = STAMP
        catalog.last_translator = catalog.language_team = "renkei"
        catalog.obsolete.clear()
        for message in catalog:
            if not message.id:
                continue
            if lang == "ja" and not _translated(message.string):  # the id is the Japanese text
                message.string = (message.id[0],) if isinstance(message.id, tuple | list) else message.id
            message.flags.discard("fuzzy")
            message.locations = []
        missing[lang] = sum(1 for m in catalog if m.id and not _translated(m.string))
        write(lang, catalog)
    return missing


def _translated(string: str | tuple[str, ...] | list[str] | None) -> bool:
    if isinstance(string, tuple | list):
        return all(string)
    return bool(string)


def set_translations(lang: str, translations: dict[str, str | tuple[str, ...]]) -> list[str]:
    """Write translations into ``lang``'s catalogue (``scripts/messages.py --set``); returns ids not in it."""
    catalog = read(lang)
    unknown = []
    for msgid, text in translations.items():
        message = next((m for m in catalog if m.id == msgid or (isinstance(m.id, tuple) and m.id[0] == msgid)),
                       None)
        if message is None:
            unknown.append(msgid)
            continue
        message.string = text
    write(lang, catalog)
    return unknown
