"""The resolver: a written name → its official code, and why. See :mod:`.core` for the levels.

Modules, one job each: :mod:`.model` (statuses, answers), :mod:`.policy` (thresholds and costs),
:mod:`.costs` (the weighted distance), :mod:`.indexes` (look-up tables), :mod:`.parse` (the written form),
:mod:`.levels` and :mod:`.corrected` (one function per level), :mod:`.context` (list and column context),
:mod:`.core` (the :class:`Resolver` that runs them).
"""

from __future__ import annotations

from .core import Resolver
from .model import FIRM, NEEDS_PERSON, RESOLVED, STATUSES, Candidate, Resolution, Status, needs_person, reason_fields
from .policy import DEFAULT, Policy

__all__ = ["DEFAULT", "FIRM", "NEEDS_PERSON", "RESOLVED", "STATUSES", "Candidate", "Policy", "Resolution",
           "Resolver", "Status", "needs_person", "reason_fields"]
