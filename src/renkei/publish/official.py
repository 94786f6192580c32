"""The official table 特別区連携自治体数一覧, regenerated from a snapshot in its own layout.

Each prefecture's government comes first (北海道(道庁), 宮城県(県庁)), then municipalities in
code order, in official spelling, 10 to a row. Nothing is dropped silently: a name that could
not be resolved is printed as written with ※, a count that the source declared but did not
list gets a note (※原資料の記載4件が欠落), and every correction is noted.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ..documents.layout import LOST_ROWS_NOTE
from ..documents.wareki import format_wareki

if TYPE_CHECKING:
    from ..registry import Registry, SnapshotInfo

TITLE = "特別区連携自治体数一覧"
HEADER = ("都道府県", "自治体数", "連携事業を実施した区市町村名")
PER_ROW = 10
NOTED_STATUSES = ("variant", "corrected", "merged", "reviewed")


@dataclass(slots=True)
class OfficialBlock:
    pref_code: str
    prefecture: str
    names: list[str]
    notes: list[str] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.names)

    @property
    def rows(self) -> list[list[str]]:
        return [self.names[i:i + PER_ROW] for i in range(0, len(self.names), PER_ROW)] or [[]]


@dataclass(slots=True)
class OfficialTable:
    as_of: str | None
    blocks: list[OfficialBlock]
    source: str  # the original title and the edition (source_label), never a file name
    sha256: str
    attribution: tuple[str, ...]

    @property
    def title(self) -> str:
        return f"{TITLE}({format_wareki(self.as_of)}現在)" if self.as_of else TITLE

    @property
    def total(self) -> int:
        return sum(b.count for b in self.blocks)

    def grid(self) -> list[list[str]]:
        """The table as rows of cells: title, header, blocks (continuation rows start with two blanks), notes."""
        out = [[self.title], list(HEADER)]
        for b in self.blocks:
            for i, row in enumerate(b.rows):
                out.append(([b.prefecture, str(b.count)] if i == 0 else ["", ""]) + row)
            out += [[note] for note in b.notes]
        out.append(["合計", str(self.total)])
        return out


def source_label(snap: SnapshotInfo) -> str:
    """How every output names its source: the original title and the edition, never an internal file name.

    「特別区連携自治体数一覧(令和7年8月1日現在)」令和7年8月1日現在（第1版）
    """
    from ..sinks import printable

    return printable(f"「{snap.title or TITLE}」{snap.label}")  # the title: the list's first line


def build(reg: Registry, snapshot: int | str | None = None) -> OfficialTable:
    """The official table of one snapshot, from the registry."""
    snap = reg.snapshot(snapshot)
    d = reg.directory
    partners = reg.partners(snap.id)
    entries = reg.entries(snap.id)
    declared = reg.declared(snap.id)
    listed: dict[str, int] = {}
    for e in entries:
        listed[e.pref_code] = listed.get(e.pref_code, 0) + 1
    blocks: dict[str, OfficialBlock] = {}

    def block(pc: str) -> OfficialBlock:
        if pc not in blocks:
            blocks[pc] = OfficialBlock(pc, d[pc].name, [])
        return blocks[pc]

    for p in partners:  # code order, and a prefecture's own code (…0002/…0001) sorts before its municipalities
        block(p.pref_code).names.append(d[p.code].list_name)
    for e in entries:
        if not e.pref_code:
            continue
        if e.code is None and e.status in ("ambiguous", "unresolved", "multiple"):  # printed as written
            b = block(e.pref_code)
            b.names.append(f"{e.written}※")
            b.notes.append(f"※「{e.written}」（原資料 {e.cell}）は自治体を特定できず、原資料の表記のまま掲載")
        elif e.status == "rejected":
            block(e.pref_code).notes.append(f"※原資料の「{e.written}」（{e.cell}）は確認の結果、自治体でないため除外")
        elif e.status in NOTED_STATUSES and e.code and e.name and e.written != d[e.code].list_name:
            block(e.pref_code).notes.append(f"※原資料の「{e.written}」を「{e.name}」と訂正")
    for pc, n in declared.items():
        if n is not None and n > listed.get(pc, 0):
            block(pc).notes.append(LOST_ROWS_NOTE.format(lost=n - listed.get(pc, 0), declared=n,
                                                         listed=listed.get(pc, 0)))
    ordered = [blocks[pc] for pc in sorted(blocks)]
    return OfficialTable(snap.as_of, ordered, source_label(snap), snap.sha256, tuple(d.attribution))
