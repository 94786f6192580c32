"""Imports: a published list (or one derived from approved projects) becomes a new snapshot, in one transaction.

The file is validated as ``renkei check`` does; earlier review decisions are applied to the
new entries. Any error leaves the database as it was.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from ..documents.model import PublishedList
from ..i18n import _, gettext, use_language
from ..resolve import Resolution
from ..validate import Report
from . import audit, editions
from .base import Core, Progress, RegistryError, default_actor, now
from .schema import Entry, ReviewDecision, Snapshot, SnapshotBlock, table_of
from .snapshots import STATE_NAMES, SnapshotInfo, info, rebuild_partners
from .snapshots import get as get_snapshot

DEFAULT_NOTE = ("令和7年8月1日現在の公表一覧のうち北海道〜長野県のみを収録しています（抽出したままで、"
                "欠落行や誤記を含みます）。新潟県以降は含まれません。")


@dataclass(slots=True)
class ImportResult:
    snapshot: SnapshotInfo
    report: Report
    projects: int = 0
    reused_decisions: int = 0


def import_default(core: Core) -> ImportResult:
    """The embedded list, imported and published at once: what a fresh registry shows."""
    from ..seed import default_list_path

    return import_file(core, default_list_path(), imported_by="renkei（同梱の一覧）", note=DEFAULT_NOTE,
                       release=True)


def import_file(core: Core, path: str | Path, *, format: str | None = None, encoding: str | None = None,
                as_of: str | None = None, note: str = "", imported_by: str | None = None,
                progress: Progress | None = None, data: bytes | None = None, source: str = "",
                release: bool = False, memo: str = "") -> ImportResult:
    """Read, validate and import a published list as a new draft, in one transaction. (A project template is not a
    list: it changes projects, see :mod:`.changes`.) ``release`` publishes the draft at once (for scripts);
    ``source`` is the original publication's address. ``note`` is the public note; ``memo`` an internal one
    (an upload's 「内部メモ」), kept in the audit log only and never shown to the public.
    """
    report = read_checked(core, path, format=format, encoding=encoding, as_of=as_of, data=data)
    return import_report(core, report, note=note, imported_by=imported_by, progress=progress, source=source,
                         release=release, memo=memo)


def read_checked(core: Core, path: str | Path, *, format: str | None = None, encoding: str | None = None,
                 as_of: str | None = None, data: bytes | None = None) -> Report:
    """Read a published list and validate it, once: the report the preview shows and the import writes.

    The web keeps it (:mod:`.staging`) between the preview and the confirmation, so the file is never
    read or resolved again.
    """
    from ..documents import read
    from ..validate import check

    return check(read(path, format=format, encoding=encoding, as_of=as_of, data=data), core.resolver)


def import_list(core: Core, document: PublishedList, *, note: str = "", imported_by: str | None = None,
                progress: Progress | None = None, source: str = "", kind: str = "list",
                memo: str = "") -> ImportResult:
    """A list already read (from a file, or derived from projects by ``aggregate.derive_list``) as a new draft."""
    from ..validate import check

    return import_report(core, check(document, core.resolver), note=note, imported_by=imported_by,
                         progress=progress, source=source, memo=memo)


def import_report(core: Core, report: Report, *, note: str = "", imported_by: str | None = None,
                  progress: Progress | None = None, source: str = "", release: bool = False,
                  memo: str = "") -> ImportResult:
    """A list already validated (:func:`read_checked`, or a staged upload's report) as a new draft snapshot.

    This is how every snapshot is made; publishing is a separate step (:func:`.editions.release`), which
    ``release`` takes at once (for scripts).
    """
    document = report.document
    source = editions.check_source(source) or ""
    kind = "projects" if document.format.startswith("projects") else "list"  # derived from projects, or read
    with core.Session.begin() as s:
        refuse_duplicate(s, document.sha256, document.as_of, kind)
        snap = new_snapshot(core, s, document, kind, note, imported_by, source)
        reused = write_report(s, snap, report, progress)
        audit.record(s, imported_by, "import", "snapshots", str(snap.id), None,
                     {"source": document.source, "sha256": document.sha256, "as_of": document.as_of,
                      **({"memo": memo.strip()} if memo.strip() else {})})
    result = ImportResult(get_snapshot(core, snap.id), report, 0, reused)
    if release:
        result.snapshot = editions.release(core, result.snapshot.id, actor=imported_by)
    return result


def refuse_duplicate(s: Session, sha256: str, as_of: str | None, kind: str, exclude: int = 0) -> None:
    found = s.scalar(select(Snapshot).where(Snapshot.sha256 == sha256, Snapshot.kind == kind,
                                            Snapshot.as_of == (date.fromisoformat(as_of) if as_of else None),
                                            Snapshot.id != exclude))
    if found:
        raise RegistryError(duplicate_message(info(s, found)))


def stored_name(path: str) -> str:
    """The file name a snapshot keeps: no folders, no control characters (renkei.sinks.clean_filename)."""
    from ..sinks import FileNameError, clean_filename

    try:
        return clean_filename(Path(path).name)
    except FileNameError as exc:
        raise RegistryError(str(exc)) from exc


def duplicate_message(snap: SnapshotInfo) -> str:
    """「このファイルは既に #3 …として取り込まれています」: names the snapshot a file duplicates."""
    return _("このファイル（SHA-256 {sha}…）は既に #{id}「{label}」（{state}）として取り込まれています").format(
        sha=snap.sha256[:12], id=snap.id, label=snap.label, state=gettext(STATE_NAMES[snap.state]))


def new_snapshot(core: Core, s: Session, d: PublishedList, kind: str, note: str, actor: str | None,
                 source: str = "") -> Snapshot:
    """A new draft row for document ``d`` (its blocks and entries follow in :func:`write_report`)."""
    snap = Snapshot(as_of=date.fromisoformat(d.as_of) if d.as_of else None, kind=kind, source=stored_name(d.source),
                    sha256=d.sha256, format=d.format, encoding=d.encoding, title=d.title, imported_at=now(),
                    imported_by=actor or default_actor(), note=note,
                    directory_as_of=date.fromisoformat(core.directory.as_of), problems=[], state="draft",
                    source_url=source)
    s.add(snap)
    s.flush()
    return snap


def write_report(s: Session, snap: Snapshot, report: Report, progress: Progress | None) -> int:
    """Blocks, entries (with earlier review decisions applied) and the distinct partners."""
    decisions = {(d.pref_code, d.written): d for d in s.scalars(select(ReviewDecision)
                                                                 .where(ReviewDecision.undone_at.is_(None)))}
    snap.problems = [p.stored() for p in report.all_problems]  # rendered when shown
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
            decision = decisions.get((p.code or "", r.input)) if r.needs_review else None
            if decision is not None:
                row.update(status="reviewed" if decision.code else "rejected", code=decision.code,
                           decision_id=decision.id)
                reused += 1
            rows.append(row)
        if rows:
            s.execute(insert(table_of(Entry)), rows)
        done += len(rows)
        if progress:
            progress(done)
    rebuild_partners(s, snap.id)  # the first entry of each code, as after a review
    return reused


def _entry_row(snapshot_id: int, block_id: int, position: int, pref_code: str, row: int, col: int, cell: str,
               r: Resolution) -> dict[str, object]:
    with use_language("ja"):  # the text column stays readable by older tools; pages render ``reasons``
        text = r.reason or ""
    return {"snapshot_id": snapshot_id, "block_id": block_id, "position": position, "pref_code": pref_code,
            "written": r.input, "row": row, "col": col, "cell": cell, "auto_status": r.status, "auto_code": r.code,
            "status": r.status, "code": r.code, "reason": text, "reasons": [x.stored() for x in r.reasons],
            "candidates": [c.as_dict() for c in r.candidates], "decision_id": None}
