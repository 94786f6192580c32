"""The directory in the database: governments and wards, loaded once per edition of the packaged directory."""

from __future__ import annotations

from datetime import date

from sqlalchemy import insert, select, update

from ..directory import Entity
from .base import Core, now
from .schema import DirectoryVersion, Government, Ward, table_of


def sync_directory(core: Core) -> bool:
    """Load the packaged directory into ``governments`` when its edition is not there yet."""
    d = core.directory
    as_of = date.fromisoformat(d.as_of)
    with core.Session.begin() as s:
        if s.get(DirectoryVersion, as_of):
            return False
        known = set(s.scalars(select(Government.code)))
        rows = [_government_row(e) for e in d.entities]
        new = [r for r in rows if r["code"] not in known]
        for r in (r for r in rows if r["code"] in known):
            s.execute(update(Government).where(Government.code == r["code"]).values(**r))
        if new:
            s.execute(insert(table_of(Government)), new)
        known_wards = set(s.scalars(select(Ward.code)))
        wards = [{"code": e.code, "name": e.name} for e in d.special_wards if e.code not in known_wards]
        if wards:
            s.execute(insert(table_of(Ward)), wards)
        s.add(DirectoryVersion(as_of=as_of, entities=len(rows), loaded_at=now()))
    return True


def _government_row(e: Entity) -> dict[str, object]:
    return {"code": e.code, "name": e.name, "kana": e.kana, "kind": e.kind, "pref_code": e.pref_code,
            "prefecture": e.prefecture, "lat": e.lat, "lon": e.lon, "valid_to": e.valid_to, "url": e.url}
