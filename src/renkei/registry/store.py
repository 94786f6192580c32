"""The registry: one interface over SQLite or PostgreSQL for snapshots, projects, reviews and the audit log.

Every write is one transaction. An import that fails anywhere leaves the database as
it was; an edit of a project that someone else changed meanwhile raises
:class:`ConflictError` with both versions instead of overwriting.
"""

from __future__ import annotations

import getpass
import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.orm.exc import StaleDataError

from ..diff import Diff, SnapshotContent
from ..diff import Partner as DiffPartner
from ..diff import diff as diff_contents
from ..directory import Directory
from ..directory import load as load_directory
from ..documents.model import PublishedList
from ..documents.projects import ProjectFile, ProjectRecord
from ..resolve import Resolution, Resolver, default_resolver
from ..validate import Report
from . import database
from .schema import (
    AuditLog,
    DirectoryVersion,
    Entry,
    Government,
    Partner,
    Project,
    ProjectPartner,
    ProjectWard,
    ReviewDecision,
    Snapshot,
    SnapshotBlock,
    Ward,
)

Progress = Callable[[int], None]  # called with the number of rows done so far
REVIEW_STATUSES = ("corrected", "merged", "ambiguous", "unresolved")
PROJECT_FIELDS = ("title", "field", "fiscal_year", "start_date", "end_date", "summary", "source_url")
BATCH = 500


class RegistryError(Exception):
    """A request the registry refuses, with a message for the person who made it."""


class ConflictError(RegistryError):
    """Someone else saved the project since it was read: both versions are attached."""

    def __init__(self, project_id: int, yours: dict, theirs: dict) -> None:
        self.project_id, self.yours, self.theirs = project_id, yours, theirs
        super().__init__(f"project {project_id} was changed by {theirs.get('updated_by', 'someone')} at "
                         f"{theirs.get('updated_at', '?')} (version {theirs.get('version')}) after you read it "
                         f"(version {yours.get('version')}); reload it and apply your change again")


class PermissionDenied(RegistryError):
    pass


def now() -> datetime:
    return datetime.now(UTC)


def default_actor() -> str:
    try:
        return os.environ.get("RENKEI_USER") or getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


@dataclass(frozen=True, slots=True)
class SnapshotInfo:
    id: int
    as_of: str | None
    kind: str
    source: str
    sha256: str
    format: str
    title: str | None
    imported_at: str
    imported_by: str
    note: str
    declared: int
    listed: int
    partners: int
    needs_review: int

    @property
    def label(self) -> str:
        return f"#{self.id} {self.as_of or '時点不明'} {Path(self.source).name}"

    def as_dict(self) -> dict[str, object]:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


@dataclass(frozen=True, slots=True)
class PartnerRow:
    code: str
    name: str
    kana: str
    kind: str
    pref_code: str
    prefecture: str
    lat: float | None
    lon: float | None
    written: str
    status: str


@dataclass(frozen=True, slots=True)
class EntryRow:
    id: int
    snapshot_id: int
    pref_code: str
    prefecture: str
    written: str
    cell: str
    status: str
    auto_status: str
    code: str | None
    name: str | None
    reason: str
    candidates: list


@dataclass(slots=True)
class ReviewItem:
    """A written name (per prefecture) that needs a person, with every place it occurs."""

    pref_code: str
    prefecture: str
    written: str
    status: str
    code: str | None
    name: str | None
    reason: str
    candidates: list
    occurrences: list[tuple[int, str]] = field(default_factory=list)  # (snapshot id, cell)


@dataclass(frozen=True, slots=True)
class ProjectView:
    id: int
    version: int
    title: str
    field: str | None
    fiscal_year: int | None
    start_date: str | None
    end_date: str | None
    summary: str
    source_url: str
    wards: tuple[tuple[str, str], ...]  # (code, name)
    partners: tuple[tuple[str | None, str, str], ...]  # (code, official name or written, pref_code)
    updated_at: str
    updated_by: str

    def as_dict(self) -> dict[str, object]:
        d = {k: getattr(self, k) for k in self.__dataclass_fields__}
        d["wards"] = [{"code": c, "name": n} for c, n in self.wards]
        d["partners"] = [{"code": c, "name": n, "pref_code": p} for c, n, p in self.partners]
        return d


@dataclass(slots=True)
class ImportResult:
    snapshot: SnapshotInfo
    report: Report
    projects: int = 0
    reused_decisions: int = 0


class Registry:
    """The registry at ``url`` (see :func:`database.database_url`)."""

    def __init__(self, url: str | None = None, *, directory: Directory | None = None,
                 resolver: Resolver | None = None) -> None:
        self.url = database.database_url(url)
        self.engine = database.make_engine(self.url)
        self.Session = sessionmaker(self.engine, expire_on_commit=False)
        self._directory = directory
        self._resolver = resolver

    # -- set-up ------------------------------------------------------------------------------------------------

    @classmethod
    def open(cls, url: str | None = None, *, seed: bool = True, **kwargs: object) -> Registry:
        """Open, migrating the schema and loading the directory if needed; on first use, import the seed."""
        reg = cls(url, **kwargs)  # type: ignore[arg-type]
        reg.ensure_schema()
        if seed:
            with reg.Session() as s:
                empty = s.scalar(select(Snapshot.id).limit(1)) is None
            if empty:
                reg.import_default()
        return reg

    @property
    def directory(self) -> Directory:
        if self._directory is None:
            self._directory = load_directory()
        return self._directory

    @property
    def resolver(self) -> Resolver:
        if self._resolver is None:
            self._resolver = default_resolver() if self._directory is None else Resolver(self._directory)
        return self._resolver

    def ensure_schema(self) -> None:
        if database.current_revision(self.engine) != database.head_revision():
            database.upgrade(self.engine)
        self.sync_directory()

    def sync_directory(self) -> bool:
        """Load the packaged directory into ``governments`` when its edition is not there yet."""
        d = self.directory
        as_of = date.fromisoformat(d.as_of)
        with self.Session.begin() as s:
            if s.get(DirectoryVersion, as_of):
                return False
            known = set(s.scalars(select(Government.code)))
            rows = [_government_row(e) for e in d.entities]
            new = [r for r in rows if r["code"] not in known]
            for r in (r for r in rows if r["code"] in known):
                s.execute(update(Government).where(Government.code == r["code"]).values(**r))
            if new:
                s.execute(insert(Government.__table__), new)
            known_wards = set(s.scalars(select(Ward.code)))
            wards = [{"code": e.code, "name": e.name} for e in d.special_wards if e.code not in known_wards]
            if wards:
                s.execute(insert(Ward.__table__), wards)
            s.add(DirectoryVersion(as_of=as_of, entities=len(rows), loaded_at=now()))
        return True

    def import_default(self) -> ImportResult:
        from ..seed import default_list_path

        return self.import_file(default_list_path(), imported_by="renkei (embedded default)",
                                note="令和7年8月1日現在の公表一覧（北海道〜長野県、抽出のまま）")

    # -- imports -----------------------------------------------------------------------------------------------

    def import_file(self, path: str | Path, *, format: str | None = None, encoding: str | None = None,
                    as_of: str | None = None, note: str = "", imported_by: str | None = None,
                    since: str | None = None, until: str | None = None, progress: Progress | None = None,
                    data: bytes | None = None) -> ImportResult:
        """Read, validate and import a published list or a project template, in one transaction."""
        from ..documents import read
        from ..documents.projects import sniff_projects

        if sniff_projects(path, data):  # reads only the head: project files are streamed
            return self.import_projects(path, format=format, encoding=encoding, as_of=as_of, note=note,
                                        imported_by=imported_by, since=since, until=until, progress=progress,
                                        data=data)
        document = read(path, format=format, encoding=encoding, as_of=as_of, data=data)
        return self.import_list(document, note=note, imported_by=imported_by, progress=progress)

    def import_list(self, document: PublishedList, *, note: str = "", imported_by: str | None = None,
                    progress: Progress | None = None) -> ImportResult:
        from ..validate import check

        report = check(document, self.resolver)
        with self.Session.begin() as s:
            self._refuse_duplicate(s, document.sha256, document.as_of, "list")
            snap = self._new_snapshot(s, document, "list", note, imported_by)
            reused = self._write_report(s, snap, report, progress)
            self._audit(s, imported_by, "import", "snapshots", str(snap.id), None,
                        {"source": document.source, "sha256": document.sha256, "as_of": document.as_of})
        return ImportResult(self.snapshot(snap.id), report, 0, reused)

    def import_projects(self, path: str | Path, *, format: str | None = None, encoding: str | None = None,
                        as_of: str | None = None, note: str = "", imported_by: str | None = None,
                        since: str | None = None, until: str | None = None, progress: Progress | None = None,
                        data: bytes | None = None) -> ImportResult:
        """Import a project template: the projects, and the summary list derived from them, as one snapshot."""
        from ..aggregate import derive_list
        from ..documents.projects import read_projects
        from ..validate import check

        info = ProjectFile(str(path), "")
        actor = imported_by or default_actor()
        with self.Session.begin() as s:
            placeholder = PublishedList(str(path), "projects", None, None, as_of or until, [], [], "")
            snap = self._new_snapshot(s, placeholder, "projects", note, actor)
            records = read_projects(path, format=format, encoding=encoding, data=data, info=info)
            counted = self._insert_projects(s, snap.id, records, actor, progress, str(path))
            document = derive_list(counted, source=str(path), resolver=self.resolver, since=since, until=until,
                                   as_of=as_of or until or date.today().isoformat(), sha256=info.sha256)
            document.format, document.encoding = f"projects/{info.format}", info.encoding
            self._refuse_duplicate(s, info.sha256, document.as_of, "projects", exclude=snap.id)
            snap.sha256, snap.format, snap.encoding, snap.title = info.sha256, info.format, info.encoding, \
                document.title
            snap.as_of = date.fromisoformat(document.as_of) if document.as_of else None
            report = check(document, self.resolver)
            reused = self._write_report(s, snap, report, None)
            self._audit(s, actor, "import", "snapshots", str(snap.id), None,
                        {"source": str(path), "sha256": info.sha256, "projects": info.rows})
        return ImportResult(self.snapshot(snap.id), report, info.rows, reused)

    def _refuse_duplicate(self, s: Session, sha256: str, as_of: str | None, kind: str, exclude: int = 0) -> None:
        found = s.scalar(select(Snapshot.id).where(Snapshot.sha256 == sha256, Snapshot.kind == kind,
                                                   Snapshot.as_of == (date.fromisoformat(as_of) if as_of else None),
                                                   Snapshot.id != exclude))
        if found:
            raise RegistryError(f"this file (sha256 {sha256[:12]}…, as of {as_of}) is already snapshot #{found}")

    def _new_snapshot(self, s: Session, d: PublishedList, kind: str, note: str, actor: str | None) -> Snapshot:
        snap = Snapshot(as_of=date.fromisoformat(d.as_of) if d.as_of else None, kind=kind, source=Path(d.source).name,
                        sha256=d.sha256, format=d.format, encoding=d.encoding, title=d.title, imported_at=now(),
                        imported_by=actor or default_actor(), note=note,
                        directory_as_of=date.fromisoformat(self.directory.as_of), problems=[])
        s.add(snap)
        s.flush()
        return snap

    def _write_report(self, s: Session, snap: Snapshot, report: Report, progress: Progress | None) -> int:
        """Blocks, entries (with earlier review decisions applied) and the distinct partners."""
        decisions = {(d.pref_code, d.written): d for d in s.scalars(select(ReviewDecision))}
        snap.problems = [p.as_dict() for p in report.all_problems]
        reused = 0
        done = 0
        for position, p in enumerate(report.prefectures):
            block = SnapshotBlock(snapshot_id=snap.id, position=position, written=p.written, pref_code=p.code,
                                  declared=p.declared, listed=p.listed)
            s.add(block)
            s.flush()
            rows = []
            for i, e in enumerate(p.entries):
                r = e.resolution
                row = _entry_row(snap.id, block.id, i, p.code or "", e.row, e.col, e.where, r)
                decision = decisions.get((row["pref_code"], r.input)) if r.needs_review else None
                if decision is not None:
                    row.update(status="reviewed" if decision.code else "rejected", code=decision.code,
                               decision_id=decision.id)
                    reused += 1
                rows.append(row)
            if rows:
                s.execute(insert(Entry.__table__), rows)
            done += len(rows)
            if progress:
                progress(done)
        _rebuild_partners(s, snap.id)  # the first entry of each code, as after a review
        return reused

    def _insert_projects(self, s: Session, snapshot_id: int, records: Iterable[ProjectRecord], actor: str,
                         progress: Progress | None, file: str) -> Iterator[ProjectRecord]:
        """Insert projects in batches while passing each record on (to derive the list): bounded memory."""
        from ..aggregate import partner_prefecture, resolve_wards

        decisions = {(d.pref_code, d.written): d.code for d in s.scalars(select(ReviewDecision))}
        batch: list[ProjectRecord] = []
        done = 0

        def flush() -> None:
            nonlocal done
            stamp = now()
            values = [{"title": r.title, "field": r.field, "fiscal_year": r.fiscal_year,
                       "start_date": _date(r.start), "end_date": _date(r.end), "summary": r.summary,
                       "source_url": r.url, "snapshot_id": snapshot_id, "source_row": r.row, "created_at": stamp,
                       "updated_at": stamp, "updated_by": actor, "version": 1} for r in batch]
            table = Project.__table__
            ids = s.scalars(insert(table).returning(table.c.id, sort_by_parameter_order=True), values).all()
            wards, partners = [], []
            for pid, r in zip(ids, batch, strict=True):
                for w in dict.fromkeys(w.code for w in resolve_wards(r, self.resolver, file)):
                    wards.append({"project_id": pid, "ward_code": w})
                seen: set[str] = set()
                for cell in r.partners:
                    pref = partner_prefecture(r, cell, self.resolver)
                    res = self.resolver.resolve_cached(cell.text, pref)
                    pc = self.directory.prefecture(pref).code if pref else ""  # type: ignore[union-attr]
                    code = decisions.get((pc, cell.text), res.code) if res.needs_review else res.code
                    if code in seen:
                        continue
                    if code:
                        seen.add(code)
                    partners.append({"project_id": pid, "pref_code": pc, "written": cell.text, "code": code})
            if wards:
                s.execute(insert(ProjectWard.__table__), wards)
            if partners:
                s.execute(insert(ProjectPartner.__table__), partners)
            done += len(batch)
            batch.clear()
            if progress:
                progress(done)

        for record in records:
            batch.append(record)
            yield record
            if len(batch) >= BATCH:
                flush()
        if batch:
            flush()

    # -- reading -----------------------------------------------------------------------------------------------

    def snapshots(self) -> list[SnapshotInfo]:
        with self.Session() as s:
            snaps = s.scalars(select(Snapshot).order_by(Snapshot.as_of.nulls_first(), Snapshot.id)).all()
            return [self._info(s, snap) for snap in snaps]

    def snapshot(self, ref: int | str | None = None) -> SnapshotInfo:
        """A snapshot by id (7 or #7), as-of date (2025-08-01), or 'latest' / 'previous' / None (latest)."""
        with self.Session() as s:
            snap = s.get(Snapshot, self._snapshot_id(s, ref))
            return self._info(s, snap)  # type: ignore[arg-type]

    def _snapshot_id(self, s: Session, ref: int | str | None) -> int:
        """Which snapshot ``ref`` means, from ids and dates only (no counting: every read method asks this)."""
        snaps = s.execute(select(Snapshot.id, Snapshot.as_of).order_by(Snapshot.as_of.nulls_first(),
                                                                        Snapshot.id)).all()
        if not snaps:
            raise RegistryError("the registry has no snapshots yet")
        if ref is None or ref == "latest":
            return snaps[-1].id
        if ref == "previous":
            if len(snaps) < 2:
                raise RegistryError("there is only one snapshot")
            return snaps[-2].id
        text = str(ref).lstrip("#")
        if text.isdigit() and any(snap.id == int(text) for snap in snaps):
            return int(text)
        from ..documents.wareki import parse

        iso = parse(text) or text
        hits = [snap.id for snap in snaps if snap.as_of and snap.as_of.isoformat() == iso]
        if hits:
            return hits[-1]
        raise RegistryError(f"no snapshot {ref!r}; `renkei snapshots` lists them")

    def snapshot_id(self, ref: int | str | None = None) -> int:
        with self.Session() as s:
            return self._snapshot_id(s, ref)

    def _info(self, s: Session, snap: Snapshot) -> SnapshotInfo:
        declared = s.scalar(select(func.coalesce(func.sum(SnapshotBlock.declared), 0))
                            .where(SnapshotBlock.snapshot_id == snap.id)) or 0
        listed = s.scalar(select(func.count()).select_from(Entry).where(Entry.snapshot_id == snap.id)) or 0
        partners = s.scalar(select(func.count()).select_from(Partner).where(Partner.snapshot_id == snap.id)) or 0
        review = s.scalar(select(func.count()).select_from(Entry).where(Entry.snapshot_id == snap.id,
                                                                         Entry.status.in_(REVIEW_STATUSES))) or 0
        return SnapshotInfo(snap.id, snap.as_of.isoformat() if snap.as_of else None, snap.kind, snap.source,
                            snap.sha256, snap.format, snap.title, snap.imported_at.isoformat(timespec="seconds"),
                            snap.imported_by, snap.note, int(declared), listed, partners, review)

    def partners(self, snapshot: int | str | None = None, prefecture: str | None = None) -> list[PartnerRow]:
        """The distinct partners of a snapshot in code order (each prefectural government first)."""
        q = (select(Government, Entry.written, Entry.status).join(Partner, Partner.code == Government.code)
             .join(Entry, Entry.id == Partner.entry_id).where(Partner.snapshot_id == self.snapshot_id(snapshot)))
        if prefecture:
            pref = self.directory.prefecture(self.resolver.prefecture_name(prefecture) or prefecture)
            if pref is None:
                raise RegistryError(f"{prefecture!r} is not a prefecture")
            q = q.where(Government.pref_code == pref.code)
        with self.Session() as s:
            rows = s.execute(q.order_by(Government.code)).all()
        return [PartnerRow(g.code, g.name, g.kana, g.kind, g.pref_code, g.prefecture, g.lat, g.lon, w, st)
                for g, w, st in rows]

    def declared(self, snapshot: int | str | None = None) -> dict[str, int | None]:
        with self.Session() as s:
            rows = s.execute(select(SnapshotBlock.pref_code, SnapshotBlock.declared)
                             .where(SnapshotBlock.snapshot_id == self._snapshot_id(s, snapshot))).all()
        out: dict[str, int | None] = {}
        for pc, n in rows:
            if pc:
                out[pc] = n if out.get(pc) is None else (out[pc] or 0) + (n or 0)
        return out

    def entries(self, snapshot: int | str | None = None, *, needs_review: bool = False) -> list[EntryRow]:
        with self.Session() as s:
            q = (select(Entry).where(Entry.snapshot_id == self._snapshot_id(s, snapshot))
                 .order_by(Entry.block_id, Entry.position))
            if needs_review:
                q = q.where(Entry.status.in_(REVIEW_STATUSES))
            return [self._entry_row(e) for e in s.scalars(q)]

    def _entry_row(self, e: Entry) -> EntryRow:
        d = self.directory
        pref = d.get(e.pref_code) if e.pref_code else None
        gov = d.get(e.code) if e.code else None
        return EntryRow(e.id, e.snapshot_id, e.pref_code, pref.name if pref else "", e.written, e.cell, e.status,
                        e.auto_status, e.code, gov.name if gov else None, e.reason, e.candidates)

    def content(self, snapshot: int | str | None = None) -> SnapshotContent:
        snap = self.snapshot(snapshot)
        partners = {p.code: DiffPartner(p.code, p.name, p.pref_code) for p in self.partners(snap.id)}
        with self.Session() as s:
            written = {(e.pref_code, e.written): e.code for e in s.scalars(select(Entry).where(
                Entry.snapshot_id == snap.id))}
        prefs = {p.code: p.name for p in self.directory.prefectures}
        return SnapshotContent(snap.id, snap.as_of, snap.label, partners, self.declared(snap.id), prefs, written)

    def diff(self, a: int | str | None = None, b: int | str | None = None) -> Diff:
        """Between snapshots ``a`` and ``b``; by default the previous and the latest."""
        if a is None and b is None:
            a, b = "previous", "latest"
        elif b is None:
            b = "latest"
        return diff_contents(self.content(a), self.content(b))

    # -- show ----------------------------------------------------------------------------------------------------

    def show(self, query: str) -> dict[str, object]:
        """A prefecture, a local government (by name or code) or a ward: where it appears."""
        pref_name = self.resolver.prefecture_name(query)
        if (pref_name and not query.strip().isdigit()) or (query.strip().isdigit() and len(query.strip()) <= 2):
            pref = self.directory.prefecture(pref_name or query)
            if pref is not None:
                return self._show_prefecture(pref.code)
        code = query.strip()
        entity = self.directory.get(code) if code.isdigit() else None
        resolution = None
        if entity is None:
            resolution = self.resolver.resolve(query)
            entity = self.directory.get(resolution.code) if resolution.code else None
        if entity is None:
            cands = resolution.candidates if resolution else []
            raise RegistryError(f"「{query}」 is not a prefecture or a local government"
                                + (f"; did you mean {', '.join(c.prefecture + c.name for c in cands[:5])}?"
                                   if cands else ""))
        return self._show_government(entity.code, resolution)

    def _show_prefecture(self, pref_code: str) -> dict[str, object]:
        pref = self.directory[pref_code]
        snaps = []
        for snap in self.snapshots():
            partners = self.partners(snap.id, pref.name)
            snaps.append({"snapshot": snap.id, "as_of": snap.as_of, "declared": self.declared(snap.id).get(pref_code),
                          "partners": len(partners)})
        latest = self.partners(None, pref.name) if snaps else []
        return {"type": "prefecture", "code": pref.code, "name": pref.name,
                "local_governments": len(self.directory.local_governments(pref.name)),
                "snapshots": snaps, "partners": [{"code": p.code, "name": p.name} for p in latest]}

    def _show_government(self, code: str, resolution: Resolution | None) -> dict[str, object]:
        e = self.directory[code]
        with self.Session() as s:
            listed = s.execute(select(Snapshot.id, Snapshot.as_of, Entry.written, Entry.status, Entry.cell)
                               .join(Entry, Entry.snapshot_id == Snapshot.id).where(Entry.code == code)
                               .order_by(Snapshot.as_of, Snapshot.id)).all()
            pids = select(ProjectPartner.project_id).where(ProjectPartner.code == code)
            if e.kind == "special_ward":
                pids = select(ProjectWard.project_id).where(ProjectWard.ward_code == code)
            projects = [self._project_view(s, p) for p in
                        s.scalars(select(Project).where(Project.id.in_(pids)).order_by(Project.fiscal_year,
                                                                                         Project.id))]
        wards = sorted({w for p in projects for w in p.wards}) if e.kind != "special_ward" else []
        return {"type": "government", "code": e.code, "name": e.name, "kana": e.kana, "kind": e.kind_label,
                "prefecture": e.prefecture, "url": e.url,
                "resolved_from": resolution.as_dict() if resolution and resolution.status != "exact" else None,
                "snapshots": [{"snapshot": sid, "as_of": a.isoformat() if a else None, "written": w, "status": st,
                               "cell": cell} for sid, a, w, st, cell in listed],
                "wards": [{"code": c, "name": n} for c, n in wards],
                "projects": [p.as_dict() for p in projects]}

    # -- reviews -------------------------------------------------------------------------------------------------

    def review_queue(self) -> list[ReviewItem]:
        """Names that need a person, grouped by (prefecture, written name), across all snapshots."""
        items: dict[tuple[str, str], ReviewItem] = {}
        with self.Session() as s:
            for e in s.scalars(select(Entry).where(Entry.status.in_(REVIEW_STATUSES))
                               .order_by(Entry.pref_code, Entry.snapshot_id, Entry.id)):
                key = (e.pref_code, e.written)
                if key not in items:
                    row = self._entry_row(e)
                    items[key] = ReviewItem(e.pref_code, row.prefecture, e.written, e.status, e.code, row.name,
                                            e.reason, e.candidates)
                items[key].occurrences.append((e.snapshot_id, e.cell))
        return list(items.values())

    def decide(self, pref_code: str, written: str, *, code: str | None, action: str, actor: str | None = None,
               note: str = "") -> int:
        """Record a decision and apply it to every entry with that written name; returns entries changed.

        ``action`` is accept (the suggested code), choose (a candidate), manual (a code typed in) or
        reject (not a local government: no partner).
        """
        actor = actor or default_actor()
        if action == "reject":
            code = None
        elif not code or self.directory.get(code) is None:
            raise RegistryError(f"{code!r} is not a code in the directory")
        with self.Session.begin() as s:
            old = s.scalar(select(ReviewDecision).where(ReviewDecision.pref_code == pref_code,
                                                         ReviewDecision.written == written))
            before = _decision_dict(old) if old else None
            if old is None:
                old = ReviewDecision(pref_code=pref_code, written=written)
                s.add(old)
            old.action, old.code, old.decided_by, old.decided_at, old.note = action, code, actor, now(), note
            s.flush()
            entries = s.scalars(select(Entry).where(Entry.pref_code == pref_code, Entry.written == written,
                                                    Entry.auto_status.in_(REVIEW_STATUSES))).all()
            for e in entries:
                e.status, e.code, e.decision_id = ("reviewed" if code else "rejected"), code, old.id
            s.flush()
            for sid in {e.snapshot_id for e in entries}:
                _rebuild_partners(s, sid)
            s.execute(update(ProjectPartner).where(ProjectPartner.pref_code == pref_code,
                                                   ProjectPartner.written == written).values(code=code))
            self._audit(s, actor, "review", "review_decisions", f"{pref_code}:{written}", before,
                        _decision_dict(old))
        return len(entries)

    def decisions(self) -> list[dict[str, object]]:
        with self.Session() as s:
            return [_decision_dict(d) for d in s.scalars(select(ReviewDecision).order_by(ReviewDecision.id))]

    # -- projects ------------------------------------------------------------------------------------------------

    def projects(self, *, ward: str | None = None, partner: str | None = None, prefecture: str | None = None,
                 field: str | None = None, year: int | None = None, limit: int = 100,
                 offset: int = 0) -> list[ProjectView]:
        """Projects in id order, filtered by ward, partner or prefecture code, 分野 and fiscal year."""
        q = self._project_query(ward, partner, prefecture, field, year)
        with self.Session() as s:
            return [self._project_view(s, p) for p in s.scalars(q.order_by(Project.id).limit(limit).offset(offset))]

    def ward_partners(self, ward: str) -> list[str]:
        """The codes of every partner of a ward's projects, in code order."""
        q = (select(ProjectPartner.code).join(ProjectWard, ProjectWard.project_id == ProjectPartner.project_id)
             .where(ProjectWard.ward_code == ward, ProjectPartner.code.is_not(None)).distinct()
             .order_by(ProjectPartner.code))
        with self.Session() as s:
            return list(s.scalars(q))

    def count_projects(self, *, ward: str | None = None, partner: str | None = None, prefecture: str | None = None,
                       field: str | None = None, year: int | None = None) -> int:
        q = self._project_query(ward, partner, prefecture, field, year)
        with self.Session() as s:
            return s.scalar(select(func.count()).select_from(q.subquery())) or 0

    def _project_query(self, ward: str | None, partner: str | None, prefecture: str | None, field: str | None,
                       year: int | None):  # type: ignore[no-untyped-def]
        q = select(Project)
        if ward:
            q = q.where(Project.id.in_(select(ProjectWard.project_id).where(ProjectWard.ward_code == ward)))
        if partner:
            q = q.where(Project.id.in_(select(ProjectPartner.project_id).where(ProjectPartner.code == partner)))
        if prefecture:
            q = q.where(Project.id.in_(select(ProjectPartner.project_id)
                                       .where(ProjectPartner.pref_code == prefecture)))
        if field:
            q = q.where(Project.field == field)
        if year:
            q = q.where(Project.fiscal_year == year)
        return q

    def project(self, project_id: int) -> ProjectView:
        with self.Session() as s:
            p = s.get(Project, project_id)
            if p is None:
                raise RegistryError(f"no project {project_id}")
            return self._project_view(s, p)

    def _project_view(self, s: Session, p: Project) -> ProjectView:
        d = self.directory
        wards = tuple((w, d[w].name) for w in s.scalars(select(ProjectWard.ward_code)
                                                         .where(ProjectWard.project_id == p.id)
                                                         .order_by(ProjectWard.ward_code)))
        partners = tuple((pp.code, d[pp.code].name if pp.code else pp.written, pp.pref_code)
                         for pp in s.scalars(select(ProjectPartner).where(ProjectPartner.project_id == p.id)
                                             .order_by(ProjectPartner.id)))
        return ProjectView(p.id, p.version, p.title, p.field, p.fiscal_year, _iso(p.start_date), _iso(p.end_date),
                           p.summary, p.source_url, wards, partners, p.updated_at.isoformat(timespec="seconds"),
                           p.updated_by)

    def add_project(self, *, title: str, wards: list[str], partners: list[str], actor: str | None = None,
                    actor_ward: str | None = None, **values: object) -> ProjectView:
        """Create a project. ``actor_ward`` (a ward editor's ward) must be among the project's wards."""
        actor = actor or default_actor()
        self._check_codes(wards, partners)
        if actor_ward and actor_ward not in wards:
            raise PermissionDenied(f"a {self.directory[actor_ward].name} editor can only add its own ward's projects")
        with self.Session.begin() as s:
            stamp = now()
            p = Project(title=title, created_at=stamp, updated_at=stamp, updated_by=actor,
                        **_project_values(values))
            s.add(p)
            s.flush()
            self._set_links(s, p.id, wards, partners)
            self._audit(s, actor, "create", "projects", str(p.id), None, self._project_view(s, p).as_dict())
            return self._project_view(s, p)

    def update_project(self, project_id: int, expected_version: int, changes: dict[str, object], *,
                       actor: str | None = None, actor_ward: str | None = None) -> ProjectView:
        """Apply ``changes`` if the project is still at ``expected_version``; else raise ConflictError."""
        actor = actor or default_actor()
        try:
            with self.Session.begin() as s:
                p = s.get(Project, project_id, with_for_update=False)
                if p is None:
                    raise RegistryError(f"no project {project_id}")
                before = self._project_view(s, p)
                if actor_ward and actor_ward not in {w for w, _ in before.wards}:
                    raise PermissionDenied(f"project {project_id} is not a project of "
                                           f"{self.directory[actor_ward].name}")
                if p.version != expected_version:
                    raise ConflictError(project_id, {**changes, "version": expected_version}, before.as_dict())
                wards = changes.pop("wards", None)
                partners = changes.pop("partners", None)
                if wards is not None or partners is not None:
                    self._check_codes(wards or [], partners or [])
                    if actor_ward and wards is not None and actor_ward not in wards:
                        raise PermissionDenied("a ward editor cannot remove its own ward from a project")
                for k, v in _project_values(changes).items():
                    setattr(p, k, v)
                p.updated_at, p.updated_by = now(), actor
                s.flush()  # UPDATE ... WHERE version = expected: a concurrent writer makes this match nothing
                if wards is not None or partners is not None:
                    self._set_links(s, p.id, wards, partners)  # type: ignore[arg-type]
                after = self._project_view(s, p)
                self._audit(s, actor, "update", "projects", str(p.id), before.as_dict(), after.as_dict())
                return after
        except StaleDataError:
            theirs = self.project(project_id)
            raise ConflictError(project_id, {**changes, "version": expected_version}, theirs.as_dict()) from None

    def _check_codes(self, wards: list[str], partners: list[str]) -> None:
        for w in wards:
            if self.directory.get(w) not in self.directory.special_wards:
                raise RegistryError(f"{w!r} is not one of the 23 special wards")
        for c in partners:
            if self.directory.get(c) is None:
                raise RegistryError(f"{c!r} is not a code in the directory")

    def _set_links(self, s: Session, pid: int, wards: list[str] | None, partners: list[str] | None) -> None:
        if wards is not None:
            s.execute(delete(ProjectWard).where(ProjectWard.project_id == pid))
            rows = [{"project_id": pid, "ward_code": w} for w in dict.fromkeys(wards)]
            s.execute(insert(ProjectWard.__table__), rows)
        if partners is not None:
            s.execute(delete(ProjectPartner).where(ProjectPartner.project_id == pid))
            rows = [{"project_id": pid, "code": c, "written": self.directory[c].name,
                     "pref_code": self.directory[c].pref_code} for c in dict.fromkeys(partners)]
            if rows:
                s.execute(insert(ProjectPartner.__table__), rows)

    # -- audit -----------------------------------------------------------------------------------------------------

    def _audit(self, s: Session, actor: str | None, action: str, target: str, target_id: str,
               before: dict | None, after: dict | None) -> None:
        s.add(AuditLog(at=now(), actor=actor or default_actor(), action=action, target=target, target_id=target_id,
                       before=_jsonable(before), after=_jsonable(after)))

    def audit_log(self, limit: int = 100, offset: int = 0) -> list[dict[str, object]]:
        with self.Session() as s:
            rows = s.scalars(select(AuditLog).order_by(AuditLog.id.desc()).limit(limit).offset(offset))
            return [{"id": a.id, "at": a.at.isoformat(timespec="seconds"), "actor": a.actor, "action": a.action,
                     "target": a.target, "target_id": a.target_id, "before": a.before, "after": a.after}
                    for a in rows]

    # -- backup ----------------------------------------------------------------------------------------------------

    def dump(self) -> dict[str, object]:
        from .backup import dump

        return dump(self)

    def load(self, data: dict[str, object], *, replace: bool = False) -> dict[str, int]:
        from .backup import load

        return load(self, data, replace=replace)


def _government_row(e) -> dict[str, object]:  # type: ignore[no-untyped-def]
    return {"code": e.code, "name": e.name, "kana": e.kana, "kind": e.kind, "pref_code": e.pref_code,
            "prefecture": e.prefecture, "lat": e.lat, "lon": e.lon, "valid_to": e.valid_to, "url": e.url}


def _entry_row(snapshot_id: int, block_id: int, position: int, pref_code: str, row: int, col: int, cell: str,
               r: Resolution) -> dict[str, object]:
    return {"snapshot_id": snapshot_id, "block_id": block_id, "position": position, "pref_code": pref_code,
            "written": r.input, "row": row, "col": col, "cell": cell, "auto_status": r.status, "auto_code": r.code,
            "status": r.status, "code": r.code, "reason": r.reason or "",
            "candidates": [c.as_dict() for c in r.candidates], "decision_id": None}


def _rebuild_partners(s: Session, snapshot_id: int) -> None:
    s.execute(delete(Partner).where(Partner.snapshot_id == snapshot_id))
    rows = s.execute(select(Entry.id, Entry.code).where(Entry.snapshot_id == snapshot_id, Entry.code.is_not(None))
                     .order_by(Entry.block_id, Entry.position)).all()
    seen: dict[str, int] = {}
    for eid, code in rows:
        seen.setdefault(code, eid)
    if seen:
        s.execute(insert(Partner.__table__),
                  [{"snapshot_id": snapshot_id, "code": c, "entry_id": e} for c, e in seen.items()])


def _decision_dict(d: ReviewDecision) -> dict[str, object]:
    return {"id": d.id, "pref_code": d.pref_code, "written": d.written, "action": d.action, "code": d.code,
            "decided_by": d.decided_by, "decided_at": d.decided_at.isoformat(timespec="seconds")
            if d.decided_at else None, "note": d.note}


def _project_values(values: dict[str, object]) -> dict[str, object]:
    from ..documents.projects import FIELDS

    out: dict[str, object] = {}
    for k, v in values.items():
        if k not in PROJECT_FIELDS:
            raise RegistryError(f"a project has no field {k!r}")
        if k in ("start_date", "end_date"):
            v = _date(v) if isinstance(v, str) else v
        if k == "field" and v is not None and v not in FIELDS:
            raise RegistryError(f"分野 {v!r} is not one of {'、'.join(FIELDS)}")
        if k == "title" and not (isinstance(v, str) and v.strip()):
            raise RegistryError("事業名 must not be empty")
        out[k] = v
    start, end = out.get("start_date"), out.get("end_date")
    if isinstance(start, date) and isinstance(end, date) and end < start:
        raise RegistryError("終了日 is before 開始日")
    return out


def _date(value: str | None) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise RegistryError(f"{value!r} is not an ISO date (YYYY-MM-DD)") from exc


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value else None


def _jsonable(value: object) -> object:
    import json

    return None if value is None else json.loads(json.dumps(value, ensure_ascii=False, default=str))
