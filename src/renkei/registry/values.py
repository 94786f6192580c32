"""The project value rules (:mod:`renkei.project_rules`) as the registry applies them.

Every caller of the registry's Python API gets a typed :class:`InvalidProjectValue` (a RegistryError,
so the CLI and web show its Japanese message). The mapper events make the rules the guard rather than
a courtesy: any ``Project`` row written through the ORM, by whatever path, is checked before the
INSERT or UPDATE reaches the database.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import event, inspect

from .. import project_rules
from .base import RegistryError
from .schema import Project

CHECKED = ("title", "field", "fiscal_year", "start_date", "end_date", "summary", "source_url")


class InvalidProjectValue(RegistryError):
    """A project value the rules refuse; ``field`` names it (title, fiscal_year, source_url, ...)."""

    def __init__(self, error: project_rules.ProjectValueError) -> None:
        self.field = error.field
        super().__init__(str(error))


def check(values: dict[str, object]) -> dict[str, object]:
    """:func:`project_rules.check_values`, raising :class:`InvalidProjectValue`."""
    try:
        return project_rules.check_values(values)
    except project_rules.ProjectValueError as exc:
        raise InvalidProjectValue(exc) from None


def check_codes(directory: Any, wards: list[str], partners: list[str]) -> None:
    try:
        project_rules.check_wards(directory, wards)
        project_rules.check_partners(directory, partners)
    except project_rules.ProjectValueError as exc:
        raise InvalidProjectValue(exc) from None


@event.listens_for(Project, "before_insert")
def _before_insert(_mapper: Any, _connection: Any, project: Project) -> None:
    check({k: getattr(project, k) for k in CHECKED})


@event.listens_for(Project, "before_update")
def _before_update(_mapper: Any, _connection: Any, project: Project) -> None:
    """Only the fields that change (and both dates when one does): a project stored before a rule existed
    can still be deleted or have another field corrected."""
    state = inspect(project)
    changed = {k for k in CHECKED if state.attrs[k].history.has_changes()}
    if changed & {"start_date", "end_date"}:
        changed |= {"start_date", "end_date"}
    check({k: getattr(project, k) for k in CHECKED if k in changed})
