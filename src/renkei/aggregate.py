"""Derive the summary list from ward project records.

The 特別区連携自治体数一覧 is, by definition, the distinct partner governments per
prefecture that carried out at least one project in the period. This module builds
that list from :class:`ProjectRecord`\\ s as a :class:`PublishedList`, so a derived
list goes through the same validation, registry and publishers as a published one.
Pure: records and a resolver in, plain data out.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from .documents.model import Block, Cell, DocumentError, PublishedList
from .documents.projects import ProjectRecord, RowProblems
from .i18n import N_, Message, _
from .resolve import Resolution, Resolver, default_resolver


@dataclass(frozen=True, slots=True)
class WardRef:
    code: str
    name: str
    written: str


def resolve_wards(record: ProjectRecord, resolver: Resolver, file: str = "") -> list[WardRef]:
    """The record's wards as 特別区 codes; a name that is not one of the 23 wards is an error at its cell."""
    out = []
    cell = record.ward_cell
    for written in record.wards:
        entity = resolver.resolve_ward(written)
        if entity is None:
            raise DocumentError(_("区：「{written}」は特別区（23区）ではありません").format(written=written), file=file,
                                sheet=record.sheet, row=record.row, col=cell.col if cell else None)
        out.append(WardRef(entity.code, entity.name, written))
    return out


def checked_records(records: Iterable[ProjectRecord], resolver: Resolver, problems: RowProblems, *, file: str = "",
                    ward: str | None = None) -> Iterator[ProjectRecord]:
    """The records whose wards are 特別区 (and include ``ward``, a ward editor's own); the others go to ``problems``.

    With :func:`read_projects`' ``problems`` this finds every bad row of a file in one streamed pass.
    """
    for record in records:
        try:
            codes = {w.code for w in resolve_wards(record, resolver, file)}
        except DocumentError as exc:
            problems.add(exc)
            continue
        if ward and ward not in codes:
            cell = record.ward_cell
            problems.add(DocumentError(_("区: 「{wards}」 — {ward}以外の事業は登録できません").format(
                                           wards="・".join(record.wards), ward=resolver.directory[ward].name),
                                       file=file, sheet=record.sheet, row=record.row, col=cell.col if cell else None))
            continue
        yield record


def partner_prefecture(record: ProjectRecord, cell: Cell, resolver: Resolver) -> str | None:
    """The partner's prefecture: the 連携先都道府県 cell, else the prefecture of the name, if unique."""
    pref = resolver.prefecture_name(record.partner_prefecture)
    if pref:
        return pref
    r = resolver.resolve_cached(cell.text)
    return r.prefecture if r.resolved else None


def read_list(path: str, fmt: str | None = None, encoding: str | None = None, as_of: str | None = None,
              since: str | None = None, until: str | None = None, resolver: Resolver | None = None) -> PublishedList:
    """A published list, or the list derived from a project template: either way a PublishedList."""
    from pathlib import Path

    from .documents import read
    from .documents.classify import OTHER_TABLE, PROJECT_TEMPLATE, classify
    from .documents.layout import missing_header
    from .documents.projects import ProjectFile, read_projects

    kind = classify(path) if Path(path).is_file() else None
    if kind == OTHER_TABLE:
        raise missing_header(path)
    if kind == PROJECT_TEMPLATE:
        info = ProjectFile(path, "")
        document = derive_list(read_projects(path, format=fmt, encoding=encoding, info=info), source=path,
                               resolver=resolver, since=since, until=until, as_of=as_of or until, sha256=info.sha256)
        document.format, document.encoding = f"projects/{info.format}", info.encoding
        return document
    return read(path, format=fmt, encoding=encoding, as_of=as_of)


def derive_list(records: Iterable[ProjectRecord], *, source: str, resolver: Resolver | None = None,
                since: str | None = None, until: str | None = None, as_of: str | None = None,
                format: str = "projects", sha256: str = "") -> PublishedList:
    """Distinct partners per prefecture of the projects active between ``since`` and ``until``.

    Blocks come in prefecture code order; within a block the prefectural government comes first,
    then municipalities in code order, then names that did not resolve (kept as written, never dropped).
    Each name keeps the cell it was first written in, so the report points into the project file.
    """
    resolver = resolver or default_resolver()
    found: dict[str, dict[str, tuple[Cell, Resolution]]] = {}
    unknown: list[Cell] = []
    for record in records:
        if not record.active_in(since, until):
            continue
        for cell in record.partners:
            pref = partner_prefecture(record, cell, resolver)
            if pref is None:
                unknown.append(cell)
                continue
            r = resolver.resolve_cached(cell.text, pref)
            key = r.code or f"?{r.input}"
            found.setdefault(pref, {}).setdefault(key, (cell, r))
    directory = resolver.directory

    def prefecture_code(name: str) -> str:
        entity = directory.prefecture(name)
        assert entity is not None, name  # partner_prefecture answers only with the directory's own prefectures
        return entity.code

    blocks = []
    for pref in sorted(found, key=prefecture_code):
        items = sorted(found[pref].items(), key=lambda kv: (kv[0].startswith("?"), kv[0]))
        names = [cell for _, (cell, _) in items]
        blocks.append(Block(pref, len(names), names, None, sorted({c.row for c in names})))
    problems = [("prefecture", Message("partner_prefecture_unknown",
                                       N_("{cell}：「{name}」の連携先都道府県がなく、名称だけでは都道府県が決まりません"),
                                       {"cell": c.where, "name": c.text})) for c in unknown]
    title = _("連携事業から集計")
    if since or until:
        title += f"({since or ''}〜{until or ''})"
    return PublishedList(source=source, format=format, encoding=None, title=title, as_of=as_of or until,
                         blocks=blocks, problems=problems, sha256=sha256)
