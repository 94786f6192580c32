"""One page of a long list: which items it shows and where the previous and next pages start."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Pager:
    total: int
    limit: int
    offset: int

    @property
    def first(self) -> int:
        """The 1-based position of the first item shown (0 when none is)."""
        return self.offset + 1 if self.offset < self.total else 0

    @property
    def last(self) -> int:
        return min(self.offset + self.limit, self.total)

    @property
    def prev_offset(self) -> int | None:
        return max(0, self.offset - self.limit) if self.offset > 0 else None

    @property
    def next_offset(self) -> int | None:
        return self.offset + self.limit if self.offset + self.limit < self.total else None

    def offsets(self) -> range:
        """Where every page starts."""
        return range(0, self.total, self.limit)
