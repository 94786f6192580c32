"""Every threshold and cost of the resolver, in one object, so a change is one reviewed line.

The defaults were tuned on the seed list, the generated misspellings and the real-world set; the golden
file (tests/data/golden) holds the answers they give.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Policy:
    suffix_swap_cost: float = 0.4  # 市 written for 町: a whole-character edit, but a common and meaningful one
    suffix_missing_cost: float = 0.4  # 亘理 for 亘理町
    connector_cost: float = 0.5  # dropping or adding ケ, ノ, の, ツ, ー, ・ (駒ケ根 / 駒根)
    connectors: frozenset[str] = frozenset("ケノの之ツッー・")
    variant_cost: float = 0.05  # a kanji variant the folding table does not hold
    # A look-alike kanji costs (glyph_top - similarity) / glyph_span, between glyph_floor and 1:
    # 0.94 (舘/館) ≈ 0.1, 0.70 (鮎/鮫) ≈ 0.8, unlisted 1.0.
    glyph_top: float = 0.97
    glyph_span: float = 0.35
    glyph_floor: float = 0.1
    margin: float = 0.25  # how much cheaper the best correction must be than the next one
    national_margin: float = 0.35  # without a prefecture the pool is 10x larger, and so is the risk of a namesake
    weak_cost: float = 2.0  # beyond this a candidate is not even worth listing as ambiguous
    context_cost: float = 1.0  # the most a candidate may cost for the code order alone to choose it
    county_bonus: float = 0.15  # a candidate in the county that was written
    county_penalty: float = 0.3  # a town or village in another county than the one written
    cost_per_character: float = 0.3  # a correction may cost this much per character of the official name …
    max_correction_cost: float = 1.0  # … and never more than this
    short_name: int = 3  # names this short are compared at one edit, longer ones at two
    max_candidates: int = 5
    max_parts: int = 20  # several names in one cell: bounded, the input is an outsider's
    column_share: float = 0.6  # a table "lies in" a prefecture when this share of its resolved rows do
    column_minimum: int = 3  # … and at least this many rows resolved

    def glyph_cost(self, similarity: float) -> float:
        """Substitution cost from glyph similarity (0 when the pair is not in the table: a plain typo, 1.0)."""
        if similarity <= 0.0:
            return 1.0
        return round(min(1.0, max(self.glyph_floor, (self.glyph_top - similarity) / self.glyph_span)), 3)

    def correction_limit(self, length: int) -> float:
        """The most a correction may cost for an official name of this length."""
        return min(self.max_correction_cost, self.cost_per_character * length)


DEFAULT = Policy()
