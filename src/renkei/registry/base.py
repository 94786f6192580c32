"""What every concern of the registry shares: the connection, the directory, errors and small helpers.

:class:`Core` holds the engine, the session factory and the (lazily loaded) directory and
resolver. Each concern module (snapshots, imports, reviews, projects, accounts, audit) takes a
``Core`` and never imports the :class:`~renkei.registry.store.Registry` facade, so the facade
can depend on them without a cycle.
"""

from __future__ import annotations

import getpass
import json
import os
from collections.abc import Callable
from datetime import UTC, date, datetime

from sqlalchemy.orm import sessionmaker

from ..directory import Directory
from ..directory import load as load_directory
from ..i18n import _
from ..resolve import Resolver, default_resolver
from . import database

Progress = Callable[[int], None]  # called with the number of rows done so far
REVIEW_STATUSES = ("corrected", "merged", "ambiguous", "unresolved")
BATCH = 500


class RegistryError(Exception):
    """A request the registry refuses, with a message for the person who made it."""


class ConflictError(RegistryError):
    """Someone else saved the project since it was read: both versions are attached."""

    def __init__(self, project_id: int, yours: dict, theirs: dict) -> None:
        self.project_id, self.yours, self.theirs = project_id, yours, theirs
        from ..i18n import _, format_datetime

        super().__init__(_("事業 {id} は、あなたが開いた後（版 {yours}）に {who} が {when} に"
                           "変更しました（版 {theirs}）。読み込み直してから、もう一度変更してください").format(
            id=project_id, who=theirs.get("updated_by") or _("他の人"),
            when=format_datetime(theirs["updated_at"]) if theirs.get("updated_at") else "?",
            theirs=theirs.get("version"), yours=yours.get("version")))


class PermissionDenied(RegistryError):
    pass


def now() -> datetime:
    return datetime.now(UTC)


def default_actor() -> str:
    try:
        return os.environ.get("RENKEI_USER") or getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


class Core:
    """The database at ``url`` (see :func:`database.database_url`) with the directory it resolves against."""

    public_only = False  # a public view (see Registry.public) sees published editions only

    def __init__(self, url: str | None = None, *, directory: Directory | None = None,
                 resolver: Resolver | None = None) -> None:
        self.url = database.database_url(url)
        self.engine = database.make_engine(self.url)
        self.Session = sessionmaker(self.engine, expire_on_commit=False)
        self._directory = directory
        self._resolver = resolver

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


def parse_date(value: str | None) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise RegistryError(_("「{value}」は日付（YYYY-MM-DD）ではありません").format(value=value)) from exc


def iso(value: date | None) -> str | None:
    return value.isoformat() if value else None


def jsonable(value: object) -> object:
    return None if value is None else json.loads(json.dumps(value, ensure_ascii=False, default=str))
