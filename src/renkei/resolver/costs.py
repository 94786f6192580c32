"""The cost of a misspelling: a weighted edit distance whose weights come from data tables.

A substitution costs less the more alike the two glyphs look (glyph_similarity.tsv, computed from rendered
glyphs), a confusable kana pair costs what kana_confusions.tsv says, a type suffix swap (市/町/村/区) and a
connector (ケ, ノ …) cost what the :class:`~renkei.resolver.policy.Policy` says. The explanation of a
distance is a list of edits, each turned into a reason.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache

from .. import reasons as R
from ..normalize import data_lines, variant_members, variant_of
from ..reasons import Reason
from .policy import Policy

Edit = tuple[str, int, int]  # (kind, index in written, index in official); -1 where absent


@cache
def _glyph_rows() -> dict[str, str]:
    return {kanji: neighbours for kanji, neighbours in data_lines("glyph_similarity.tsv")}


@cache
def glyph_neighbours(kanji: str) -> dict[str, float]:
    """The kanji that look like ``kanji``, with their similarity (0..1)."""
    row = _glyph_rows().get(kanji)
    if not row:
        return {}
    return {ch: int(sim) / 100 for ch, _, sim in (item.partition(":") for item in row.split())}


@cache
def glyph_similarity(a: str, b: str) -> float:
    """How alike two kanji look (0..1), from the rendered-glyph table; 0 when not listed.

    Text is compared after variant folding, so the look-up is made for every form of
    each character: 檜 folds to 桧, and 檜/楢 is the pair the table knows.
    """
    best = 0.0
    for x in variant_members(a):
        for y in variant_members(b):
            best = max(best, _neighbour(x, y), _neighbour(y, x))
    return best


def _neighbour(x: str, y: str) -> float:
    """The similarity of ``y`` in ``x``'s row, found in the row's text (a row holds hundreds of neighbours,
    and a resolver asks for a few of them: parsing whole rows is what :func:`glyph_neighbours` is for)."""
    row = _glyph_rows().get(x)
    if not row:
        return 0.0
    at = row.find(y + ":")  # only a neighbour is followed by ":"; similarities are digits followed by a space
    if at < 0:
        return 0.0
    end = row.find(" ", at)
    return int(row[at + len(y) + 1:end if end >= 0 else len(row)]) / 100


@cache
def _kana_costs() -> dict[tuple[str, str], float]:
    table = {}
    for a, b, cost in data_lines("kana_confusions.tsv"):
        table[(a, b)] = table[(b, a)] = float(cost)
    return table


@cache
def suffixes() -> dict[str, tuple[str, ...]]:
    """Type suffixes (市, 町, 村, 区 …) and their readings."""
    return {s: tuple(readings.split()) for s, readings in data_lines("suffixes.tsv")}


def explain_edits(edits: Sequence[Edit], written: str, official: str) -> list[Reason]:
    """A reason per edit, quoting the characters as written (not as folded)."""
    out = []
    for kind, i, j in edits:
        a = written[i] if i >= 0 else ""
        b = official[j] if j >= 0 else ""
        out.append(R.edit(kind, a, b, glyph_similarity(a, b) if kind == "glyph" else 0.0))
    return out


class Costs:
    """The weighted distance under one policy, with its look-ups remembered (names repeat, pairs repeat)."""

    def __init__(self, policy: Policy) -> None:
        self.policy = policy
        self._substitutions: dict[tuple[str, str, bool], tuple[float, str]] = {}
        self._distances: dict[tuple[str, str], float] = {}
        self._pair_costs: dict[tuple[str, str], float] = {}
        self._tables: dict[tuple[str, str], list[list[float]]] = {}

    def substitution(self, a: str, b: str, last: bool = False) -> tuple[float, str]:
        """The cost of writing ``a`` where ``b`` is meant, and the kind of error."""
        key = (a, b, last)
        hit = self._substitutions.get(key)
        if hit is None:
            if len(self._substitutions) >= 1_000_000:  # pairs of characters an outsider wrote: bounded
                self._substitutions.clear()
            hit = self._substitutions[key] = self._substitution(a, b, last)
        return hit

    def _substitution(self, a: str, b: str, last: bool) -> tuple[float, str]:
        if a == b:
            return 0.0, ""
        if last and a in suffixes() and b in suffixes():
            return self.policy.suffix_swap_cost, "suffix"
        if variant_of(a, b):
            return self.policy.variant_cost, "variant"
        kana = _kana_costs().get((a, b))
        if kana is not None:
            return kana, "kana"
        sim = glyph_similarity(a, b)
        if sim:
            return self.policy.glyph_cost(sim), "glyph"
        return 1.0, "typo"

    def indel(self, ch: str) -> float:
        return self.policy.connector_cost if ch in self.policy.connectors else 1.0

    def weighted_distance(self, written: str, official: str) -> tuple[float, list[Edit]]:
        """Weighted Levenshtein distance and the edits (kind, i, j) that explain it."""
        dist = self._tables.get((written, official)) or self._table(written, official)
        n, m = len(written), len(official)
        edits: list[Edit] = []
        i, j = n, m
        while i > 0 or j > 0:
            if i > 0 and j > 0:
                sub, kind = self.substitution(written[i - 1], official[j - 1], i == n and j == m)
                if abs(dist[i][j] - (dist[i - 1][j - 1] + sub)) < 1e-9:
                    if kind:
                        edits.append((kind, i - 1, j - 1))
                    i, j = i - 1, j - 1
                    continue
            if i > 0 and abs(dist[i][j] - (dist[i - 1][j] + self.indel(written[i - 1]))) < 1e-9:
                edits.append(("extra", i - 1, -1))
                i -= 1
            else:
                edits.append(("missing", -1, j - 1))
                j -= 1
        edits.reverse()
        return round(dist[n][m], 3), edits

    def _table(self, written: str, official: str) -> list[list[float]]:
        n, m = len(written), len(official)
        connector, connectors = self.policy.connector_cost, self.policy.connectors
        gap_w = [connector if ch in connectors else 1.0 for ch in written]
        gap_o = [connector if ch in connectors else 1.0 for ch in official]
        costs, substitution = self._pair_costs, self._pair_cost
        dist = [[0.0] * (m + 1) for _ in range(n + 1)]
        for i in range(1, n + 1):
            dist[i][0] = dist[i - 1][0] + gap_w[i - 1]
        for j in range(1, m + 1):
            dist[0][j] = dist[0][j - 1] + gap_o[j - 1]
        for i in range(1, n + 1):
            a, cost_a = written[i - 1], gap_w[i - 1]
            row, prev = dist[i], dist[i - 1]
            left = row[0]
            for j in range(1, m + 1):
                best = min(prev[j] + cost_a, left + gap_o[j - 1])
                diagonal = prev[j - 1]
                if diagonal < best:  # costs are never negative: only then can a substitution be cheaper
                    b = official[j - 1]
                    if a != b:
                        if i == n and j == m:
                            diagonal += self.substitution(a, b, True)[0]
                        else:
                            sub = costs.get((a, b))
                            diagonal += substitution(a, b) if sub is None else sub
                    best = min(best, diagonal)
                left = row[j] = best
        return dist

    def _pair_cost(self, a: str, b: str) -> float:
        """The substitution cost of a pair anywhere but the last place, remembered for the DP's inner loop."""
        if len(self._pair_costs) >= 1_000_000:
            self._pair_costs.clear()
        cost = self._pair_costs[(a, b)] = self.substitution(a, b)[0]
        return cost

    def distance(self, written: str, official: str) -> float:
        """The weighted distance alone, remembered (bounded: the written side is an outsider's)."""
        key = (written, official)
        hit = self._distances.get(key)
        if hit is None:
            if len(self._distances) >= 65536:
                self._distances.clear()
            if len(self._tables) >= 4096:
                self._tables.clear()
            table = self._tables[key] = self._table(written, official)  # the best one is explained next
            hit = self._distances[key] = round(table[-1][-1], 3)
        return hit
