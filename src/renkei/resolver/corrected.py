"""The last level: a correction by weighted edit distance, or an honest ``ambiguous`` / ``unresolved``.

Candidates come from rapidfuzz's plain edit distance (cheap, in C) within one or two edits; only those
are priced by the weighted distance of :mod:`.costs`. A correction is accepted only when it is cheap for
the length of the name and clearly cheaper than the runner-up.
"""

from __future__ import annotations

from collections.abc import Sequence

from rapidfuzz import process
from rapidfuzz.distance import Levenshtein

from .. import reasons as R
from ..normalize import clean, fold
from .answers import answer, other_prefecture
from .costs import Costs, explain_edits, suffixes
from .indexes import Indexes
from .model import Candidate, Resolution, Status
from .parse import Query


def rank(ix: Indexes, costs: Costs, folded: str, pref: str | None, limit: int = 20) -> list[Candidate]:
    """Fuzzy candidates for a folded name, cheapest first."""
    policy = costs.policy
    keys, entities = ix.pools.get(pref) or ix.pools[None]
    # Short names are compared at one edit: at two, a 3-character name shares only one
    # character with its "candidates", which is no evidence at all (and costs time).
    max_edits = 1 if len(folded) <= policy.short_name else 2
    hits = process.extract(folded, keys, scorer=Levenshtein.distance, score_cutoff=max_edits, limit=None)
    best: dict[str, Candidate] = {}
    for key, _, idx in hits:
        e = entities[idx]
        cost = costs.distance(folded, key)
        if key[:-1] == folded and key[-1] in suffixes():
            cost = min(cost, policy.suffix_missing_cost)
        score = round(max(0.0, 1.0 - cost / max(len(key), len(folded))), 3)
        if e.code not in best or best[e.code].cost > cost:
            best[e.code] = Candidate(e.code, e.name, e.prefecture, score, cost)
    ranked = sorted(best.values(), key=lambda c: (c.cost, c.code))
    return ranked[:limit]


def by_county(ix: Indexes, costs: Costs, ranked: list[Candidate], county: str | None) -> list[Candidate]:
    """Candidates re-ranked by the county written: in it is cheaper, a town elsewhere dearer."""
    if not county or not ranked:
        return ranked
    policy = costs.policy
    out = []
    for c in ranked:
        e = ix.directory[c.code]
        if clean(e.county) == county:
            c = Candidate(c.code, c.name, c.prefecture, c.score, max(0.0, round(c.cost - policy.county_bonus, 3)))
        elif e.county:
            c = Candidate(c.code, c.name, c.prefecture, c.score, round(c.cost + policy.county_penalty, 3))
        out.append(c)
    return sorted(out, key=lambda c: (c.cost, c.code))


def acceptable(ix: Indexes, costs: Costs, best: Candidate, ranked: Sequence[Candidate], margin: float) -> bool:
    """Cheap enough for the length of the official name, and clearly cheaper than the runner-up."""
    e = ix.directory[best.code]
    if best.cost > costs.policy.correction_limit(len(fold(e.short_name))):
        return False
    runner_up = next((c for c in ranked[1:] if c.code != best.code), None)
    return runner_up is None or runner_up.cost - best.cost >= margin


def correction_reasons(costs: Costs, folded: str, written: str, official: str) -> list[R.Reason]:
    """The edits from the folded text to the official name, quoted as written."""
    _, edits = costs.weighted_distance(folded, fold(official))
    return explain_edits(edits, written, official)


def corrected(ix: Indexes, costs: Costs, name: str, folded: str, q: Query) -> Resolution:
    """A correction, else the name found in another prefecture, else ``ambiguous`` or ``unresolved``."""
    policy, pref = costs.policy, q.prefecture
    ranked = by_county(ix, costs, rank(ix, costs, folded, pref), q.county)
    best = ranked[0] if ranked else None
    if best and "county_mismatch" not in q.flags and \
            acceptable(ix, costs, best, ranked, policy.margin if pref else policy.national_margin):
        e = ix.directory[best.code]
        target = e.name if len(folded) > len(e.short_name) else e.short_name
        why = correction_reasons(costs, folded, q.text, clean(target)) or [R.spelling_variation()]
        return answer(name, Status.CORRECTED, [e], [*q.notes, *why], pref,
                      candidates=tuple(ranked[:policy.max_candidates]))
    if pref:
        found = ix.elsewhere(q.text, folded, pref)
        if found and (best is None or best.cost > policy.suffix_swap_cost):
            return other_prefecture(policy, name, found, pref, q.notes, ranked)
    listed = tuple(c for c in ranked if c.cost <= policy.weak_cost)[:policy.max_candidates]
    if listed:
        doubt = R.close_candidates() if len(listed) > 1 and listed[1].cost - listed[0].cost < policy.margin \
            else R.weak_match()
        return Resolution(name, Status.AMBIGUOUS, prefecture=pref, reasons=(*q.notes, doubt), candidates=listed)
    return Resolution(name, Status.UNRESOLVED, prefecture=pref, reasons=(*q.notes, R.no_match()),
                      candidates=tuple(ranked[:policy.max_candidates]))
