"""The :class:`Registry` facade: one object over SQLite or PostgreSQL, delegating to one module per concern.

- :mod:`.snapshots` — which snapshot a reference means, its partners, entries, declared counts, diffs;
- :mod:`.editions` — states: release (公表), withdraw (取り下げ), revise (a draft copy that supersedes), discard;
- :mod:`.imports` — a published list (or one derived from projects) becomes a new draft;
- :mod:`.reviews` — names that need a person, and the decisions;
- :mod:`.projects` — the projects the public sees;
- :mod:`.changes` — changes to projects (form edits, template rows) waiting for approval; deriving a draft list;
- :mod:`.workflow` — the one writer of change states (approve, reject, withdraw, supersede: compare-and-set),
  with :mod:`.permissions` (who may do what) and :mod:`.visibility` (what the public sees);
- :mod:`.accounts` — accounts and browser sessions; :mod:`.audit` — the audit log;
- :mod:`.backup` — lossless export and restore.

Every write is one transaction. An import that fails anywhere leaves the database as it was;
an edit of a project that someone else changed meanwhile raises :class:`ConflictError` with
both versions instead of overwriting, and a decision that lost a race raises :class:`ChangeConflict`.
The methods here only delegate: the logic lives in the modules, which take the registry as a :class:`~.base.Core`.
Keyword options passed through (``**options: Any``) are typed by the module function that receives them.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..diff import Diff, SnapshotContent
from ..documents.model import PublishedList
from ..i18n import _
from . import audit, backup, changes, database, editions, governments, imports, projects, reviews, show, snapshots
from .base import ConflictError, Core, PermissionDenied, Progress, RegistryError, default_actor, now
from .changes import ChangeView, TemplateResult
from .imports import ImportResult
from .projects import ProjectView
from .reviews import OutsidePrefecture, ReviewItem
from .snapshots import EntryRow, PartnerRow, SnapshotInfo
from .workflow import ChangeConflict

if TYPE_CHECKING:
    from ..validate import Report

__all__ = ["ChangeConflict", "ConflictError", "EntryRow", "ImportResult", "OutsidePrefecture", "PartnerRow",
           "PermissionDenied",
           "ProjectView",
           "Registry", "RegistryError", "ReviewItem", "SnapshotInfo", "default_actor", "now"]


class Registry(Core):
    """The registry at ``url`` (see :func:`database.database_url`)."""

    # -- set-up ------------------------------------------------------------------------------------------------

    @classmethod
    def open(cls, url: str | None = None, *, seed: bool = True, **kwargs: Any) -> Registry:
        """Open the registry; an empty database is created, and seeded with the embedded list unless ``seed`` is
        False or ``RENKEI_SEED=0``. A database at another schema revision raises
        :class:`~.database.SchemaMismatch`: only ``renkei db upgrade`` migrates (see :mod:`.database`)."""
        reg = cls(url, **kwargs)
        created = reg.ensure_schema()
        if created and seed and database.seed_setting():
            reg.import_default()
        return reg

    def ensure_schema(self) -> bool:
        """Create the schema of an empty database (True), or check it is this code's; then sync the directory."""
        created = database.prepare(self.engine)
        self.sync_directory()
        return created

    def sync_directory(self) -> bool:
        return governments.sync_directory(self)

    def public(self) -> Registry:
        """A view of the same registry that sees published editions only: what the public site and API use.

        Refs by id to a draft or a withdrawn snapshot fail in it as if the snapshot did not exist.
        """
        view = copy.copy(self)
        view.public_only = True
        return view

    # -- imports -----------------------------------------------------------------------------------------------

    def import_default(self) -> ImportResult:
        return imports.import_default(self)

    def import_file(self, path: str | Path, *, kind: str | None = None,
                    **options: Any) -> ImportResult | TemplateResult:
        """Read, validate and import a published list (see :func:`imports.import_file`). A project template
        changes projects instead, approved at once (this is the admin's path), and never makes a list.
        ``kind`` is the caller's :func:`~renkei.documents.classify.classify` answer (asked here when not given)."""
        from ..documents.classify import OTHER_TABLE, PROJECT_TEMPLATE, classify
        from ..documents.layout import missing_header

        kind = kind or classify(path, options.get("data"))  # reads only the head
        if kind == PROJECT_TEMPLATE:
            for key in ("note", "memo", "source", "release"):  # there is no snapshot to note, source or release
                options.pop(key, None)
            if options.pop("as_of", None):
                raise RegistryError(_("連携事業テンプレートは時点を決めません。取り込んでから "
                                      "`renkei derive --as-of 日付` で一覧を作ってください"))
            return self.import_projects(path, **options)
        if kind == OTHER_TABLE:
            raise missing_header(str(path))
        return imports.import_file(self, path, **options)

    def read_checked(self, path: str | Path, **options: Any) -> Report:
        """A list read and validated once (:func:`imports.read_checked`): what a preview shows and keeps."""
        return imports.read_checked(self, path, **options)

    def import_report(self, report: Report, *, note: str = "", imported_by: str | None = None,
                      progress: Progress | None = None, source: str = "", release: bool = False,
                      memo: str = "") -> ImportResult:
        """A list already validated (a kept preview, :func:`read_checked`) as a new draft: nothing is read again.
        ``memo`` is internal (the audit log only)."""
        return imports.import_report(self, report, note=note, imported_by=imported_by, progress=progress,
                                     source=source, release=release, memo=memo)

    def import_list(self, document: PublishedList, *, note: str = "", imported_by: str | None = None,
                    progress: Progress | None = None, source: str = "", kind: str = "list",
                    memo: str = "") -> ImportResult:
        """A list already read, or derived from projects (``aggregate.derive_list``), as a new draft snapshot."""
        return imports.import_list(self, document, note=note, imported_by=imported_by, progress=progress,
                                   source=source, kind=kind, memo=memo)

    def import_projects(self, path: str | Path, *, imported_by: str | None = None, actor_ward: str | None = None,
                        **options: Any) -> TemplateResult:
        """A project template's rows as changes: pending for a ward editor (``actor_ward``), approved at once for
        an admin; ``dry_run=True`` only reports (see :func:`changes.import_template`)."""
        return changes.import_template(self, path, actor=imported_by or default_actor(), actor_ward=actor_ward,
                                       **options)

    def read_template(self, path: str | Path, *, actor_ward: str | None = None, **options: Any) -> TemplateResult:
        """A project template read and checked once, nothing written (:func:`changes.read_template`)."""
        return changes.read_template(self, path, actor_ward=actor_ward, **options)

    def apply_template(self, checked: TemplateResult, *, imported_by: str | None = None,
                       actor_ward: str | None = None, progress: Progress | None = None) -> TemplateResult:
        """The records of a template read once (a kept preview) as changes (:func:`changes.apply_template`)."""
        return changes.apply_template(self, checked, actor=imported_by or default_actor(), actor_ward=actor_ward,
                                      progress=progress)

    def find_duplicate(self, sha256: str, as_of: str | None, kind: str = "list") -> SnapshotInfo | None:
        return editions.find_duplicate(self, sha256, as_of, kind)

    # -- editions: the states of a snapshot (admins only: the callers check the role) ---------------------------

    def release(self, ref: int | str, *, actor: str | None = None, note: str | None = None,
                source: str | None = None) -> SnapshotInfo:
        return editions.release(self, ref, actor=actor, note=note, source=source)

    def withdraw(self, ref: int | str, *, reason: str, actor: str | None = None) -> SnapshotInfo:
        return editions.withdraw(self, ref, reason=reason, actor=actor)

    def revise(self, ref: int | str, *, actor: str | None = None, note: str = "") -> SnapshotInfo:
        return editions.revise(self, ref, actor=actor, note=note)

    def discard(self, ref: int | str, *, actor: str | None = None) -> SnapshotInfo:
        return editions.discard(self, ref, actor=actor)

    def release_preview(self, ref: int | str, *, note: str | None = None) -> editions.ReleasePreview:
        return editions.release_preview(self, ref, note=note)

    def public_after_withdrawal(self, ref: int | str) -> SnapshotInfo | None:
        return editions.public_after_withdrawal(self, ref)

    # -- snapshots ---------------------------------------------------------------------------------------------

    def snapshots(self, states: tuple[str, ...] | None = None) -> list[SnapshotInfo]:
        """By as-of date: every state (a public view: published only), or the ``states`` given."""
        return snapshots.all_snapshots(self, states)

    def snapshot(self, ref: int | str | None = None) -> SnapshotInfo:
        """By id (7 or #7, any state), as-of date, or 'latest' / 'previous' / None: published editions only."""
        return snapshots.get(self, ref)

    def snapshot_id(self, ref: int | str | None = None) -> int:
        return snapshots.snapshot_id(self, ref)

    def partners(self, snapshot: int | str | None = None, prefecture: str | None = None) -> list[PartnerRow]:
        return snapshots.partners(self, snapshot, prefecture)

    def declared(self, snapshot: int | str | None = None) -> dict[str, int | None]:
        return snapshots.declared(self, snapshot)

    def entries(self, snapshot: int | str | None = None, *, needs_review: bool = False) -> list[EntryRow]:
        return snapshots.entries(self, snapshot, needs_review=needs_review)

    def content(self, snapshot: int | str | None = None) -> SnapshotContent:
        return snapshots.content(self, snapshot)

    def diff(self, a: int | str | None = None, b: int | str | None = None) -> Diff:
        """Between snapshots ``a`` and ``b``; by default the previous and the latest."""
        return snapshots.diff(self, a, b)

    def show(self, query: str) -> dict[str, Any]:
        return show.show(self, query)

    # -- reviews -----------------------------------------------------------------------------------------------

    def review_queue(self) -> list[ReviewItem]:
        return reviews.queue(self)

    def decided_among(self, keys: set[tuple[str, str]]) -> set[tuple[str, str]]:
        """The (prefecture code, written name) pairs among ``keys`` that a decision in force settles."""
        return reviews.decided_among(self, keys)

    def decide(self, pref_code: str, written: str, *, code: str | None, action: str, actor: str | None = None,
               note: str = "", force: bool = False) -> int:
        return reviews.decide(self, pref_code, written, code=code, action=action, actor=actor, note=note,
                              force=force)

    def decision_refusal(self, pref_code: str, written: str, code: str) -> str | None:
        """Why ``code`` needs ``force`` for this item (another prefecture, not a candidate), or None."""
        return reviews.guard(self, pref_code, written, code)

    def undo_decision(self, decision_id: int, *, actor: str | None = None) -> int:
        return reviews.undo(self, decision_id, actor=actor)

    def decisions(self) -> list[dict[str, object]]:
        return reviews.decisions(self)

    def decision(self, decision_id: int) -> dict[str, object] | None:
        return reviews.decision_of(self, decision_id)

    def decision_id(self, pref_code: str, written: str) -> int | None:
        return reviews.latest_decision_id(self, pref_code, written)

    def accept_suggestions(self, keys: list[tuple[str, str]], *, actor: str | None = None) -> int:
        """Accept the cheap suggestions among ``keys`` (:func:`reviews.is_cheap`); returns how many."""
        return reviews.accept_suggestions(self, keys, actor=actor)

    # -- projects ----------------------------------------------------------------------------------------------

    def projects(self, **filters: Any) -> list[ProjectView]:
        """Projects in id order (filters: ward, partner, prefecture, field, year, limit, offset)."""
        return projects.projects(self, **filters)

    def count_projects(self, **filters: Any) -> int:
        return projects.count(self, **filters)

    def ward_partners(self, ward: str) -> list[str]:
        return projects.ward_partners(self, ward)

    def project(self, project_id: int) -> ProjectView:
        return projects.get(self, project_id)

    def add_project(self, *, title: str, wards: list[str], partners: list[str], actor: str | None = None,
                    **values: Any) -> ProjectView:
        """Add a project at once (an admin's change, approved as it is made)."""
        change = self.propose_project(title=title, wards=wards, partners=partners, actor=actor, **values)
        assert change.project_id is not None  # an add approved as it is made has created its project
        return self.project(change.project_id)

    def update_project(self, project_id: int, expected_version: int, changes: dict[str, object], *,
                       actor: str | None = None) -> ProjectView:
        """Edit a project at once (an admin's change) if it is still at ``expected_version``, else ConflictError."""
        self.propose_update(project_id, expected_version, changes, actor=actor)
        return self.project(project_id)

    # -- changes and approvals ---------------------------------------------------------------------------------

    def propose_project(self, *, title: str, wards: list[str], partners: list[str], actor: str | None = None,
                        actor_ward: str | None = None, reopens: int | None = None, **values: Any) -> ChangeView:
        """Add a project: 承認待ち for a ward editor (``actor_ward``), applied at once for an admin.
        ``reopens``: the rejected change (of the actor's ward) this one proposes again, corrected."""
        return changes.propose_create(self, title=title, wards=wards, partners=partners,
                                      actor=actor or default_actor(), actor_ward=actor_ward, reopens=reopens,
                                      **values)

    def propose_update(self, project_id: int, expected_version: int, edits: dict[str, object], *,
                       actor: str | None = None, actor_ward: str | None = None,
                       pending_seen: int | None = None, reopens: int | None = None) -> ChangeView:
        return changes.propose_update(self, project_id, expected_version, dict(edits), actor=actor or default_actor(),
                                      actor_ward=actor_ward, pending_seen=pending_seen, reopens=reopens)

    def propose_delete(self, project_id: int, expected_version: int, *, actor: str | None = None,
                       actor_ward: str | None = None, pending_seen: int | None = None, reason: str = "") -> ChangeView:
        return changes.propose_delete(self, project_id, expected_version, actor=actor or default_actor(),
                                      actor_ward=actor_ward, pending_seen=pending_seen, reason=reason)

    def changes(self, **filters: Any) -> list[ChangeView]:
        """Changes (filters: state — pending by default, or 'decided' —, ward, project, limit, offset)."""
        return changes.changes(self, **filters)

    def pending_change(self, project_id: int, *, actor_ward: str | None = None) -> ChangeView | None:
        """The project's pending change, unless ``actor_ward`` is another ward's editor (who may not see it)."""
        return changes.pending_change(self, project_id, actor_ward=actor_ward)

    def pending_counts(self) -> dict[str, int]:
        return changes.pending_counts(self)

    def rejections(self, ward: str | None = None, *, limit: int = 100) -> tuple[int, list[ChangeView]]:
        """Changes the secretariat rejected and their ward has not proposed again: (how many, newest first)."""
        return changes.rejections(self, ward, limit=limit)

    def reopenable(self, change_id: int, *, actor_ward: str | None = None) -> ChangeView:
        """A rejected change that ``actor_ward`` may propose again (RegistryError / PermissionDenied if not)."""
        return changes.reopenable(self, change_id, actor_ward=actor_ward)

    def approve(self, change_ids: Iterable[int] = (), *, ward: str | None = None, actor: str | None = None) -> int:
        """Approve exactly the given pending changes (with ``ward``: each must be that ward's), or all of one ward's
        when no ids are given. A change decided meanwhile raises :class:`ChangeConflict` and nothing is approved."""
        return changes.approve(self, change_ids, ward=ward, actor=actor or default_actor())

    def reject(self, change_id: int, *, actor: str | None = None, reason: str = "") -> ChangeView:
        return changes.reject(self, change_id, actor=actor or default_actor(), reason=reason)

    def withdraw_change(self, change_id: int, *, actor: str | None = None, actor_ward: str | None = None) -> None:
        changes.withdraw_change(self, change_id, actor=actor or default_actor(), actor_ward=actor_ward)

    def derive(self, *, since: str | None, until: str | None, as_of: str | None = None, note: str = "",
               actor: str | None = None) -> ImportResult:
        """A draft list from the approved projects of the period (see :func:`changes.derive`)."""
        return changes.derive(self, since=since, until=until, as_of=as_of, note=note, actor=actor or default_actor())

    # -- audit and backup --------------------------------------------------------------------------------------

    def audit_log(self, limit: int = 100, offset: int = 0, **filters: Any) -> list[audit.AuditEntry]:
        """Filters: actor, action, since, until (aware datetimes; see registry.audit.log)."""
        return audit.log(self, limit, offset, **filters)

    def audit_facets(self) -> tuple[list[str], list[str]]:
        return audit.facets(self)

    def dump(self) -> dict[str, object]:
        return backup.dump(self)

    def load(self, data: dict[str, object], *, replace: bool = False) -> dict[str, int]:
        return backup.load(self, data, replace=replace)
