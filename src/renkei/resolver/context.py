"""Evidence from around a name: the code order of a published list, and the prefecture of a table's column.

Published lists are in code order, so a correction whose code breaks the order gives way to a close
candidate that fits between its neighbours, or becomes ``ambiguous``; the reason says so. In a table whose
rows mostly lie in one prefecture, a namesake in that prefecture wins (「表の他の行が福岡県」).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Protocol

from .. import reasons as R
from ..normalize import clean, split_notes
from ..reasons import Reason
from .corrected import correction_reasons, rank
from .costs import Costs
from .indexes import Indexes
from .model import FIRM, Candidate, Resolution, Status
from .policy import Policy

_SET_ASIDE_IN_CONTEXT = ("close_candidates", "weak_match", "no_match", "several_successors")


def in_code_order(ix: Indexes, costs: Costs, results: Sequence[Resolution], prefecture: str | None) -> list[Resolution]:
    """Each answer checked against the firm answers (anchors) around it; see :meth:`Resolver.resolve_list`."""
    anchors = [r.code if r.status in FIRM else None for r in results]
    out = []
    for i, r in enumerate(results):
        if r.status in FIRM or r.status == Status.MULTIPLE or "other_prefecture" in r.flags:
            out.append(r)
            continue
        before = next((c for c in reversed(anchors[:i]) if c), None)
        after = next((c for c in anchors[i + 1:] if c), None)
        out.append(_by_code_order(ix, costs, r, before, after, prefecture))
    return out


def _by_code_order(ix: Indexes, costs: Costs, r: Resolution, before: str | None, after: str | None,
                   prefecture: str | None) -> Resolution:
    if before is None and after is None:
        return r

    def fits(code: str) -> bool:
        return (before is None or before < code) and (after is None or code < after)

    if r.code and fits(r.code):
        return r
    if r.status == Status.MERGED and r.code:
        return r  # an old name: its successor's place in the list is not evidence against it
    policy = costs.policy
    pool: dict[str, Candidate] = {c.code: c for c in r.candidates}
    if r.query and r.status in (Status.CORRECTED, Status.AMBIGUOUS, Status.UNRESOLVED):
        for c in rank(ix, costs, r.query, ix.prefecture_name(prefecture) or r.prefecture):
            pool.setdefault(c.code, c)
    limit = policy.context_cost if r.status != Status.MERGED else 0.0
    fitting = sorted((c for c in pool.values() if fits(c.code) and c.cost <= limit), key=lambda c: (c.cost, c.code))
    lo = ix.directory[before].name if before else ""
    hi = ix.directory[after].name if after else ""
    chosen = None
    if len(fitting) == 1 or (len(fitting) > 1 and fitting[1].cost - fitting[0].cost >= policy.margin):
        chosen = fitting[0]
    if chosen is None:
        if not r.code:
            return r
        breaks = R.code_order_breaks(r.name or "", r.code, lo, hi)
        return replace(r, status=Status.AMBIGUOUS, code=None, name=None, reasons=(*r.reasons, breaks),
                       flags=(*r.flags, "context"))
    e = ix.directory[chosen.code]
    why = [R.code_order_breaks(r.name or "", r.code, lo, hi)] if r.code else []
    why.append(R.code_order_fits(e.name, lo, hi))
    if chosen.cost > 0 and r.query and r.status != Status.MERGED:
        target = e.name if len(r.query) > len(e.short_name) else e.short_name
        written = clean(split_notes(r.input)[0])[-len(r.query):] if r.query else ""
        if len(written) == len(r.query):
            why = [*correction_reasons(costs, r.query, written, clean(target)), *why]
    kept = tuple(x for x in r.reasons if not x.key.startswith("edit_") and x.key not in _SET_ASIDE_IN_CONTEXT)
    status = Status.MERGED if r.status == Status.MERGED else (
        Status.CORRECTED if chosen.cost > 0 else Status.NORMALIZED)
    return replace(r, status=status, code=e.code, name=e.name, prefecture=e.prefecture, reasons=(*kept, *why),
                   flags=(*r.flags, "context"))


class _Resolves(Protocol):
    def resolve(self, name: str, prefecture: str | None = None, *, as_of: str | None = None) -> Resolution: ...


def column_prefecture(results: Sequence[Resolution], policy: Policy) -> str | None:
    """The prefecture most resolved rows lie in, when they are enough of them to be evidence; else None."""
    counts = Counter(r.prefecture for r in results if r.resolved and r.prefecture)
    if not counts:
        return None
    top, count = counts.most_common(1)[0]
    if count >= policy.column_minimum and count / sum(counts.values()) >= policy.column_share:
        return top
    return None


def in_column(resolver: _Resolves, r: Resolution, prefecture: str, as_of: str | None,
              why: Callable[[str], Reason] = R.column_context, flag: str = "column_context") -> Resolution:
    """An ambiguous answer with a candidate in the column's prefecture, resolved again there: kept only when
    the name is a whole name there (no correction), with the reason; else the answer as it was.
    ``why``/``flag``: the evidence, the table's column (default) or the other names of the same cell."""
    if not any(c.prefecture == prefecture for c in r.candidates):
        return r
    again = resolver.resolve(r.input, prefecture, as_of=as_of)
    if not again.code or again.status not in FIRM:
        return r
    return replace(again, reasons=(*again.reasons, why(prefecture)), given_prefecture=r.given_prefecture,
                   flags=(*again.flags, flag))
