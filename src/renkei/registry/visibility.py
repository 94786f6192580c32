"""What the public sees, decided in one place: every query and every public output asks here.

- Projects: a deleted project is kept (with its history) and never shown; a pending change is never
  public (it lives in ``project_changes`` until approved).
- Snapshots: a public view of the registry (``Registry.public()``) sees published editions only.
- Account names are not public: a project's ``updated_by`` is a sign-in name, so public data (the API's
  JSON and CSV, the static JSON of ``renkei build-site``, the pages) leaves it out. The signed-in area
  keeps it (the conflict page names who saved first).
"""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import ColumnElement

from .base import Core
from .schema import Project

PUBLIC_STATES = ("published",)  # snapshot states a public view sees
PRIVATE_PROJECT_KEYS = ("updated_by",)  # account names: never in public data


def live_projects() -> ColumnElement[bool]:
    """The WHERE clause of projects anyone may see: not deleted."""
    return Project.deleted_at.is_(None)


def is_live(project: Project) -> bool:
    return project.deleted_at is None


def snapshot_states(core: Core) -> tuple[str, ...] | None:
    """The snapshot states ``core`` may see: published only for a public view, every state (None) otherwise."""
    return PUBLIC_STATES if core.public_only else None


def public_project(project: Mapping[str, object]) -> dict[str, object]:
    """A project as public data carries it: without the account names."""
    return {k: v for k, v in project.items() if k not in PRIVATE_PROJECT_KEYS}
