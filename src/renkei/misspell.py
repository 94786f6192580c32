"""Generate realistic misspellings of official names, for tests and benchmarks.

Each corruption is one of the error kinds seen in the published lists: a kanji
variant (飯舘→飯館), a look-alike kanji (亘→亶), a wrong type suffix (町→市),
ヶ/ケ and width changes, a dropped suffix, or a kana reading. The generator is
deterministic for a given seed, so a test failure can be replayed.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass

from .directory import Directory, Entity
from .normalize import variant_members

KINDS = ("variant", "lookalike", "suffix", "width", "no_suffix", "reading")


@dataclass(frozen=True, slots=True)
class Misspelling:
    written: str
    kind: str
    truth: Entity


def _lookalikes(ch: str, min_similarity: float) -> list[str]:
    from .resolver.costs import glyph_neighbours

    return [c for c, s in glyph_neighbours(ch).items() if s >= min_similarity]


def corrupt(entity: Entity, kind: str, rng: random.Random, min_similarity: float = 0.8) -> str | None:
    """One misspelling of ``entity``'s name of the given kind, or None if the kind does not apply."""
    name = entity.name
    stem, suffix = name[:-1], name[-1]
    if kind == "variant":
        spots = [i for i, ch in enumerate(name) if len(variant_members(ch)) > 1]
        if not spots:
            return None
        i = rng.choice(spots)
        return name[:i] + rng.choice(variant_members(name[i])[1:]) + name[i + 1:]
    if kind == "lookalike":
        lookalikes = [(i, alts) for i, ch in enumerate(stem) if (alts := _lookalikes(ch, min_similarity))]
        if not lookalikes:
            return None
        i, alts = rng.choice(lookalikes)
        return name[:i] + rng.choice(alts) + name[i + 1:]
    if kind == "suffix":
        if suffix not in "市町村" or entity.kind == "designated_city":
            return None
        return stem + rng.choice([s for s in "市町村" if s != suffix])
    if kind == "width":
        out = name.replace("ケ", "ヶ") if "ケ" in name else name.replace("ヶ", "ケ")
        return "\u3000".join(out) if out == name else out
    if kind == "no_suffix":
        return stem if len(stem) >= 2 and suffix in "市町村" else None
    if kind == "reading":
        return entity.kana
    raise ValueError(f"unknown kind {kind!r}")


def misspellings(directory: Directory, count: int, seed: int = 0,
                 kinds: tuple[str, ...] = KINDS) -> Iterator[Misspelling]:
    """``count`` misspellings of municipal names, cycling through ``kinds``."""
    rng = random.Random(seed)
    pool = [e for e in directory.entities if e.is_municipality]
    made = 0
    while made < count:
        entity = rng.choice(pool)
        kind = kinds[made % len(kinds)]
        written = corrupt(entity, kind, rng)
        if written is None or written == entity.name:
            continue
        made += 1
        yield Misspelling(written, kind, entity)
