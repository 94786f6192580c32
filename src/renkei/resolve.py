"""Map a written name to its official code, and say why: the public face of :mod:`renkei.resolver`.

Every importer uses this module (``from renkei.resolve import Resolver, resolve, Resolution``); the
package behind it holds one job per module. :func:`resolve` and :func:`resolve_list` use one shared
:class:`Resolver` over the packaged directory.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache

from .resolver import (
    DEFAULT,
    FIRM,
    NEEDS_PERSON,
    RESOLVED,
    STATUSES,
    Candidate,
    Policy,
    Resolution,
    Resolver,
    Status,
    needs_person,
    reason_fields,
)
from .resolver.costs import glyph_neighbours, glyph_similarity

__all__ = ["DEFAULT", "FIRM", "NEEDS_PERSON", "RESOLVED", "STATUSES", "Candidate", "Policy", "Resolution",
           "Resolver", "Status", "default_resolver", "glyph_neighbours", "glyph_similarity", "needs_person",
           "reason_fields", "resolve", "resolve_list"]


@cache
def default_resolver() -> Resolver:
    return Resolver()


def resolve(name: str, prefecture: str | None = None, *, as_of: str | None = None,
            on: str | None = None) -> Resolution:
    """Resolve one written name against the packaged directory. See :class:`Resolver`."""
    return default_resolver().resolve(name, prefecture, as_of=as_of, on=on)


def resolve_list(names: Sequence[str], prefecture: str | None = None, *, as_of: str | None = None) -> list[Resolution]:
    """Resolve a block of names from a published list, with code order as evidence."""
    return default_resolver().resolve_list(names, prefecture, as_of=as_of)
