"""What changed between two snapshots: partners added and removed per prefecture, count changes,
and names that resolve differently. Pure: two :class:`SnapshotContent`\\ s in, a :class:`Diff` out."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Partner:
    code: str
    name: str
    pref_code: str


@dataclass(slots=True)
class SnapshotContent:
    id: int
    as_of: str | None
    label: str
    partners: dict[str, Partner]  # code → partner
    declared: dict[str, int | None]  # pref_code → the count as the source declared it
    prefectures: dict[str, str]  # pref_code → name
    written: dict[tuple[str, str], str | None] = field(default_factory=dict)  # (pref_code, written) → code


@dataclass(slots=True)
class PrefectureDiff:
    pref_code: str
    prefecture: str
    added: list[Partner]
    removed: list[Partner]
    partners_before: int
    partners_after: int
    declared_before: int | None
    declared_after: int | None

    @property
    def changed(self) -> bool:
        return bool(self.added or self.removed or self.declared_before != self.declared_after
                    or self.partners_before != self.partners_after)

    def as_dict(self) -> dict[str, object]:
        return {"prefecture": self.prefecture, "code": self.pref_code,
                "added": [{"code": p.code, "name": p.name} for p in self.added],
                "removed": [{"code": p.code, "name": p.name} for p in self.removed],
                "partners": [self.partners_before, self.partners_after],
                "declared": [self.declared_before, self.declared_after]}


@dataclass(frozen=True, slots=True)
class Reresolved:
    prefecture: str
    written: str
    before: str | None
    after: str | None


@dataclass(slots=True)
class Diff:
    a: SnapshotContent
    b: SnapshotContent
    prefectures: list[PrefectureDiff]
    reresolved: list[Reresolved]

    @property
    def changed(self) -> list[PrefectureDiff]:
        return [p for p in self.prefectures if p.changed]

    @property
    def totals(self) -> dict[str, int]:
        return {"added": sum(len(p.added) for p in self.prefectures),
                "removed": sum(len(p.removed) for p in self.prefectures),
                "partners_before": len(self.a.partners), "partners_after": len(self.b.partners),
                "reresolved": len(self.reresolved)}

    def as_dict(self) -> dict[str, object]:
        def side(s: SnapshotContent) -> dict[str, object]:
            return {"id": s.id, "as_of": s.as_of, "label": s.label}

        return {"a": side(self.a), "b": side(self.b), "totals": self.totals,
                "prefectures": [p.as_dict() for p in self.changed],
                "resolved_differently": [{"prefecture": r.prefecture, "written": r.written, "before": r.before,
                                          "after": r.after} for r in self.reresolved]}


def diff(a: SnapshotContent, b: SnapshotContent) -> Diff:
    prefs = sorted(set(a.declared) | set(b.declared) | {p.pref_code for p in (*a.partners.values(),
                                                                                  *b.partners.values())})
    out = []
    for pc in prefs:
        before = {c: p for c, p in a.partners.items() if p.pref_code == pc}
        after = {c: p for c, p in b.partners.items() if p.pref_code == pc}
        out.append(PrefectureDiff(
            pc, b.prefectures.get(pc) or a.prefectures.get(pc) or pc,
            added=[after[c] for c in sorted(set(after) - set(before))],
            removed=[before[c] for c in sorted(set(before) - set(after))],
            partners_before=len(before), partners_after=len(after),
            declared_before=a.declared.get(pc), declared_after=b.declared.get(pc)))
    names = {**a.prefectures, **b.prefectures}
    reresolved = [Reresolved(names.get(k[0], k[0]), k[1], a.written[k], b.written[k])
                  for k in sorted(set(a.written) & set(b.written)) if a.written[k] != b.written[k]]
    return Diff(a, b, out, reresolved)
