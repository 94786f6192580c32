"""The :class:`Resolver`: reads a written name and runs the levels in order, stopping at the first answer.

1. ``exact``       the official spelling (or the list notation 北海道(道庁));
2. ``normalized``  after :func:`renkei.normalize.clean`, stripping a prefecture or 郡 prefix, a ward
                   without its city, or matching the kana reading;
3. ``variant``     after folding kanji variants (異体字);
4. ``merged``      an old name, which leads to its current successor(s);
5. ``corrected``   a weighted edit distance (:mod:`.costs`), accepted only when cheap and clear;
                   otherwise ``ambiguous`` (or ``unresolved``) with ranked candidates.

Before the levels the written form is read (:mod:`.parse`); a cell that holds several names gives
status ``multiple`` with one resolution per part. ``as_of`` resolves a name as it stood on that date.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from .. import reasons as R
from ..directory import Directory, Entity
from ..directory import load as load_directory
from ..normalize import clean, fold, split_names, split_on_spaces
from ..reasons import Reason
from . import levels
from .context import column_prefecture, in_code_order, in_column
from .corrected import corrected, rank
from .costs import Costs
from .indexes import Indexes
from .model import FIRM, RESOLVED, Candidate, Resolution, Status
from .parse import Query, has_prefix, parse, split_runs
from .policy import DEFAULT, Policy


class Resolver:
    """Indexes over a :class:`Directory` for fast, explained look-ups.

    One instance serves any number of calls; :func:`renkei.resolve.resolve` uses a shared one.
    """

    def __init__(self, directory: Directory | None = None, policy: Policy = DEFAULT) -> None:
        self.directory = directory or load_directory()
        self.policy = policy
        self.indexes = Indexes(self.directory)
        self.costs = Costs(policy)
        self._memo: dict[tuple[str, str | None, str | None], Resolution] = {}

    # -- public --------------------------------------------------------------------------------

    def prefecture_name(self, text: str | None) -> str | None:
        """A prefecture as written (東京都, 東京, ＴＯＫＹＯ, 13, 130001) → its official name."""
        return self.indexes.prefecture_name(text)

    def rank(self, folded: str, pref: str | None, limit: int = 20) -> list[Candidate]:
        """Fuzzy candidates for a folded name, cheapest first."""
        return rank(self.indexes, self.costs, folded, pref, limit)

    def resolve(self, name: str, prefecture: str | None = None, *, as_of: str | None = None,
                on: str | None = None, split: bool = True, context_prefecture: str | None = None) -> Resolution:
        """Resolve one written name, optionally within a prefecture.

        ``as_of`` (ISO date; ``on`` is its older spelling): resolve the name as it stood on
        that date, so an old list's names lead through the changes made since.
        A cell holding several names comes back as status ``multiple`` with ``parts``
        (unless ``split`` is false: a published list's layout has one name per cell).
        ``context_prefecture``: the prefecture the rest of the table lies in (see :meth:`resolve_column`);
        with no ``prefecture`` given, a namesake there wins over the others, with the reason.
        """
        as_of = as_of or on
        given = prefecture
        pref = self.prefecture_name(prefecture)
        notes: list[Reason] = []
        if prefecture and pref is None:
            notes.append(R.unknown_prefecture(prefecture))
        result = self._resolve(name, pref, notes, as_of)
        if split and result.status not in FIRM and result.status != Status.MERGED:
            parts = split_names(name)
            if 1 < len(parts) <= self.policy.max_parts:
                result = self._multiple(name, parts, pref, notes, as_of)
            elif result.status not in RESOLVED:
                result = self._runs(name, pref, notes, as_of) or result
        if context_prefecture and pref is None and result.status == Status.AMBIGUOUS:
            result = in_column(self, result, context_prefecture, as_of)
        return result.answering(name, given, result.prefecture or pref or given)

    def resolve_column(self, names: Sequence[str], prefecture: str | None = None, *,
                       prefectures: Sequence[str | None] | None = None,
                       as_of: str | None = None) -> list[Resolution]:
        """Resolve a table's column, with the column itself as evidence for namesakes.

        ``prefecture`` applies to every row; ``prefectures`` (one per name, from another column) to each row.
        When most resolved rows lie in one prefecture (:attr:`Policy.column_share` of them, at least
        :attr:`Policy.column_minimum`), a row given no prefecture that is ambiguous between namesakes (中央区,
        府中市) and has one in that prefecture is answered with it, with the reason 「表の他の行が福岡県」.
        Names repeat in tables: answers are remembered (:meth:`resolve_cached`).
        """
        given = list(prefectures) if prefectures is not None else [prefecture] * len(names)
        if len(given) != len(names):
            raise ValueError("one prefecture per name")
        results = [self.resolve_cached(n, p or prefecture, as_of=as_of) for n, p in zip(names, given, strict=True)]
        context = column_prefecture(results, self.policy)
        if context is None:
            return results
        return [in_column(self, r, context, as_of) if r.status == Status.AMBIGUOUS and not (p or prefecture) else r
                for r, p in zip(results, given, strict=True)]

    def resolve_cached(self, name: str, prefecture: str | None = None, *, as_of: str | None = None) -> Resolution:
        """:meth:`resolve`, remembered: project files repeat the same few hundred names thousands of times.

        Resolutions are immutable, so sharing them is safe; the memo is bounded.
        """
        key = (name, prefecture, as_of)
        hit = self._memo.get(key)
        if hit is None:
            if len(self._memo) >= 100_000:
                self._memo.clear()
            hit = self._memo[key] = self.resolve(name, prefecture, as_of=as_of)
        return hit

    def resolve_ward(self, text: str) -> Entity | None:
        """One of the 23 special wards, from its code or its name as written (港区, 港, ミナトク); else None."""
        text = text.strip()
        e = self.directory.get(text) if text.isdigit() else None
        if e is None and text:
            r = self.resolve_cached(text, "東京都")
            e = self.directory.get(r.code) if r.code else None
        return e if e is not None and e.kind == "special_ward" else None

    def resolve_list(self, names: Sequence[str], prefecture: str | None = None, *,
                     as_of: str | None = None) -> list[Resolution]:
        """Resolve names from one block of a published list, using code order as evidence.

        A cell is one name here (the layout says so): it is never split into ``multiple``.
        Names that resolved without judgement (exact, normalized, variant) are anchors. Any
        other answer is checked against the anchors around it: a correction or a guess whose
        code does not fit between them gives way to the one close candidate that fits, or
        becomes ``ambiguous``; a tie, or an old name with several successors, is settled
        when exactly one close candidate fits. The reason names the code order either way.
        """
        results = [self.resolve(n, prefecture, as_of=as_of, split=False) for n in names]
        return in_code_order(self.indexes, self.costs, results, prefecture)

    # -- several names -------------------------------------------------------------------------

    def _multiple(self, name: str, parts: list[str], pref: str | None, notes: list[Reason],
                  as_of: str | None) -> Resolution:
        """One resolution per name; later names inherit a prefecture or county written before the first."""
        prefix = parse(self.indexes, parts[0], pref, []).prefix
        out = []
        for i, part in enumerate(parts):
            text = part
            if i and prefix and not has_prefix(self.indexes, part):
                text = prefix + part
            r = self._resolve(text, pref, list(notes), as_of)
            out.append(r.answering(part, pref, r.prefecture or pref))
        places = {r.prefecture for r in out if r.resolved}
        if pref is None and len(places) == 1:  # 千代田区・港区: the other names of the cell pick the namesake
            place = places.pop() or ""
            out = [in_column(self, r, place, as_of, R.cell_context, "cell_context")
                   if r.status == Status.AMBIGUOUS else r for r in out]
        return Resolution(name, Status.MULTIPLE, prefecture=pref, reasons=(*notes, R.split(len(out))),
                          parts=tuple(out))

    def _runs(self, name: str, pref: str | None, notes: list[Reason], as_of: str | None) -> Resolution | None:
        """Names run together (石川県七尾市石川県輪島市) or separated by spaces only: ``multiple`` when every
        part resolves as a whole name, else None (the whole stays what it was)."""
        for parts, by in ((split_runs(self.indexes, clean(name)), "prefix"), (split_on_spaces(name), "space")):
            if not 1 < len(parts) <= self.policy.max_parts:
                continue
            out = [self._resolve(part, pref, list(notes), as_of) for part in parts]
            if all(r.code and (r.status in FIRM or r.status == Status.MERGED) for r in out):
                out = [replace(r, input=part, given_prefecture=pref) for r, part in zip(out, parts, strict=True)]
                return Resolution(name, Status.MULTIPLE, prefecture=pref, reasons=(*notes, R.split_runs(len(out), by)),
                                  parts=tuple(out))
        return None

    # -- the levels ----------------------------------------------------------------------------

    def _resolve(self, name: str, pref: str | None, notes: list[Reason], as_of: str | None) -> Resolution:
        cleaned = clean(name) if name else ""
        if not cleaned:
            return Resolution(name, Status.UNRESOLVED, reasons=(R.empty(),))
        found = levels.exact(self.indexes, name, pref, notes, as_of)
        if found:
            return found
        q = parse(self.indexes, name, pref, notes, cleaned)
        if q.notation is not None:
            return levels.notation(self.indexes, self.policy, name, q)
        if q.region:
            return Resolution(name, Status.UNRESOLVED, prefecture=q.prefecture,
                              reasons=(*q.notes, R.region_only(q.region)), flags=("region",))
        if q.outside:
            return Resolution(name, Status.UNRESOLVED, prefecture=q.prefecture,
                              reasons=(*q.notes, R.outside(q.text, q.outside)), flags=("outside",))
        folded = fold(q.text)
        result = self._levels(name, q, folded, as_of)
        if q.reading and (result.status in (Status.AMBIGUOUS, Status.UNRESOLVED) or not result.code):
            result = levels.by_reading(self.indexes, name, q, q.prefecture) or result
        if result.status in FIRM and not q.flags:
            return result  # the common case: nothing to add
        return result.looked_up(folded, q.flags)

    def _levels(self, name: str, q: Query, folded: str, as_of: str | None) -> Resolution:
        ix, pref = self.indexes, q.prefecture
        if q.county:  # 大野郡大野町: an old town of that county comes before a current namesake in another
            current = [e for e in (*ix.clean.get(q.text, ()), *ix.folded.get(folded, ()))
                       if pref is None or e.prefecture == pref]
            if not any(clean(e.county) == q.county for e in current):
                old = levels.merged(ix, name, folded, pref, as_of, q.notes, q.county, strict=True) or \
                    levels.before_1970(ix, name, folded, pref, q, as_of)
                if old:
                    return old
        found = levels.normalized(ix, name, q, folded, as_of) or levels.variant(ix, name, q, folded, as_of)
        if found:
            return found
        old = levels.merged(ix, name, folded, pref, as_of, q.notes, q.county)
        if old:  # unless a current name is just as close (八尾町 is old, 八尾市 is current)
            successors = {m.code for m in old.candidates}
            near = [c for c in self.rank(folded, pref, limit=self.policy.max_candidates)
                    if c.cost <= self.policy.suffix_swap_cost and c.code not in successors
                    and self.directory[c.code].parent_code not in successors]  # 浦和区 is part of さいたま市
            if not near or q.county:  # a county written in front says the name is the old one
                return old
            return Resolution(name, Status.AMBIGUOUS, prefecture=pref, candidates=(*old.candidates, *near),
                              reasons=(*old.reasons, R.current_name_as_close()))
        return levels.before_1970(ix, name, folded, pref, q, as_of) or corrected(ix, self.costs, name, folded, q)
