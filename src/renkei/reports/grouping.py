"""The validation report's problems as a person reads them: grouped by prefecture, errors first.

Shared by the web's upload preview and ``renkei check --html``, so both order problems the same way.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..i18n import _
from ..validate import Problem, Report

SEVERITY_ORDER = {"error": 0, "warning": 1}


@dataclass(slots=True)
class ProblemGroup:
    title: str  # the prefecture as listed, or the whole file
    problems: list[Problem]  # errors first, then warnings, each in the report's order

    @property
    def errors(self) -> int:
        return sum(1 for p in self.problems if p.severity == "error")

    @property
    def warnings(self) -> int:
        return len(self.problems) - self.errors


def _ordered(problems: list[Problem]) -> list[Problem]:
    return sorted(problems, key=lambda p: SEVERITY_ORDER.get(p.severity, 2))  # stable: the report's order within


def group_problems(report: Report) -> list[ProblemGroup]:
    """One group for the whole file (if it has problems), then one per prefecture block with problems; groups
    holding an error come before groups with warnings only, otherwise in the list's order."""
    groups = [ProblemGroup(_("ファイル全体"), _ordered(report.problems))] if report.problems else []
    groups += [ProblemGroup(p.prefecture or p.written, _ordered(p.problems)) for p in report.prefectures if p.problems]
    return sorted(groups, key=lambda g: 0 if g.errors else 1)


def settled_count(report: Report, decided: set[tuple[str, str]]) -> int:
    """How many of the names needing review were settled by earlier decisions ((prefecture code, written) pairs):
    the import applies those decisions, so they are not left to review."""
    return sum(1 for p in report.prefectures for e in p.needs_review if (p.code or "", e.resolution.input) in decided)


def review_keys(report: Report) -> set[tuple[str, str]]:
    """The (prefecture code, written name) of every name that needs review: what earlier decisions are keyed by."""
    return {(p.code or "", e.resolution.input) for p in report.prefectures for e in p.needs_review}
