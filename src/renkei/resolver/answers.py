"""Building answers that several levels give: one entity (or a namesake tie), and a name found elsewhere."""

from __future__ import annotations

from collections.abc import Sequence

from .. import reasons as R
from ..directory import Entity
from ..reasons import Reason
from .model import Candidate, Resolution, Status
from .policy import Policy


def answer(name: str, status: Status, hits: Sequence[Entity], notes: list[Reason], pref: str | None,
           candidates: tuple[Candidate, ...] = ()) -> Resolution:
    """The entity found, or ``ambiguous`` with every namesake (a northern-territory village set aside)."""
    hits = list({e.code: e for e in hits}.values()) if len(hits) > 1 else list(hits)  # an Entity hashes 17 fields
    flags: tuple[str, ...] = ()
    if len(hits) > 1:
        active = [e for e in hits if not e.northern_territory]
        if len(active) == 1:
            notes = [*notes, R.northern_territory_set_aside()]
            hits, flags = active, ("northern_territory",)
    if len(hits) > 1:
        cands = tuple(Candidate(e.code, e.name, e.prefecture, 1.0) for e in hits)
        return Resolution(name, Status.AMBIGUOUS, prefecture=pref, candidates=cands,
                          reasons=(*notes, R.same_name(len(hits))))
    e = hits[0]
    if not candidates:
        candidates = (Candidate(e.code, e.name, e.prefecture, 1.0),)
    return Resolution(name, status, e.code, e.name, e.prefecture, tuple(notes), candidates, flags=flags)


def other_prefecture(policy: Policy, name: str, found: Sequence[Entity], pref: str, notes: list[Reason],
                     ranked: Sequence[Candidate] = ()) -> Resolution:
    """A name that is not in the prefecture given but exists elsewhere: reported, never moved silently."""
    where = "・".join(f"{e.prefecture}{e.name}({e.code})" for e in found)
    candidates = [Candidate(e.code, e.name, e.prefecture, 1.0) for e in found]
    candidates += [c for c in ranked if c.cost <= policy.weak_cost][: policy.max_candidates - len(candidates)]
    return Resolution(name, Status.AMBIGUOUS, prefecture=pref, reasons=(*notes, R.other_prefecture(pref, where)),
                      candidates=tuple(candidates), flags=("other_prefecture",))
