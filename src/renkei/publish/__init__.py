"""Publishers: the official table, open data and maps for one snapshot.

    from renkei.publish import publish
    publish(registry, out="dist/", formats=["xlsx", "pdf", "csv"])

Every output file name is built here (:data:`FILE_NAMES`), so the CLI, the web site's
download page and the static site all agree.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..directory import Entity
    from ..registry import Registry
    from .official import OfficialTable
    from .opendata import OpenData

# format → file name ({as_of} is the snapshot's date, or its id when it has none)
FILE_NAMES = {
    "tsv": "特別区連携自治体数一覧_{as_of}.tsv",
    "csv": "特別区連携自治体数一覧_{as_of}.csv",
    "html": "特別区連携自治体数一覧_{as_of}.html",
    "xlsx": "特別区連携自治体数一覧_{as_of}.xlsx",
    "pdf": "特別区連携自治体数一覧_{as_of}.pdf",
    "opendata": "renkei_partners_{as_of}.csv",
    "json": "renkei_partners_{as_of}.json",
    "geojson": "renkei_partners_{as_of}.geojson",
    "coverage": "renkei_coverage_{as_of}.csv",
    "entries": "renkei_entries_{as_of}.csv",
    "map-prefectures": "renkei_map_prefectures_{as_of}.svg",
    "map-coverage": "renkei_map_coverage_{as_of}.svg",
    "map-municipalities": "renkei_map_municipalities_{as_of}.svg",
    "datapackage": "datapackage.json",
}
TABLE_FORMATS = ("tsv", "csv", "html", "xlsx", "pdf")
OPEN_FORMATS = ("opendata", "json", "geojson", "coverage", "entries")
MAP_FORMATS = ("map-prefectures", "map-coverage", "map-municipalities")
FORMATS = (*TABLE_FORMATS, *OPEN_FORMATS, *MAP_FORMATS, "datapackage")
ENCODINGS = {"utf-8": "utf-8-sig", "utf-8-sig": "utf-8-sig", "cp932": "cp932", "shift_jis": "cp932"}


def file_name(fmt: str, as_of: str | None, snapshot_id: int, edition: int | None = None) -> str:
    """The file's name: its as-of date, and from the second edition of a date on its edition (…_第2版), so that
    a correction and the edition it replaces never share a name."""
    stem = as_of or f"snapshot{snapshot_id}"
    return FILE_NAMES[fmt].format(as_of=f"{stem}_第{edition}版" if edition and edition > 1 else stem)


class Sources:
    """What the outputs of one snapshot are made from, built once however many formats are written."""

    def __init__(self, reg: Registry, snapshot: int | str | None = None) -> None:
        self.reg, self.snapshot_id = reg, reg.snapshot_id(snapshot)

    @cached_property
    def table(self) -> OfficialTable:
        from . import official

        return official.build(self.reg, self.snapshot_id)

    @cached_property
    def data(self) -> OpenData:
        from . import opendata

        return opendata.build(self.reg, self.snapshot_id)


def render(reg: Registry, fmt: str, snapshot: int | str | None = None, *, encoding: str = "utf-8",
           sources: Sources | None = None) -> bytes:
    """One output as bytes. CSV/TSV text is encoded for Japanese Excel: UTF-8 with BOM, or CP932.

    Pass the same ``sources`` to render several formats of one snapshot without rebuilding them.
    """
    from . import formats, maps, opendata

    enc = ENCODINGS.get(encoding.lower())
    if enc is None:
        raise ValueError(f"encoding {encoding!r}: use utf-8 (with BOM) or cp932")
    sources = sources or Sources(reg, snapshot)
    if fmt in TABLE_FORMATS:
        table = sources.table
        if fmt == "xlsx":
            return formats.xlsx(table)
        if fmt == "pdf":
            return formats.pdf(table)
        if fmt == "html":
            return formats.html(table).encode("utf-8")
        text = formats.tsv(table) if fmt == "tsv" else formats.csv_text(table)
        return _encode(text, enc)
    data = sources.data
    if fmt == "opendata":
        return _encode(opendata.csv_text(data), enc)
    if fmt == "coverage":
        return _encode(opendata.coverage_csv(data), enc)
    if fmt == "entries":
        return _encode(opendata.entries_csv(data), enc)
    if fmt == "json":
        return opendata.json_text(data).encode("utf-8")
    if fmt == "geojson":
        return opendata.geojson_text(data).encode("utf-8")
    if fmt in MAP_FORMATS:
        return maps.render(data, fmt).encode("utf-8")
    raise ValueError(f"unknown format {fmt!r}; one of {', '.join(FORMATS)}")


CP932_SUBSTITUTES = str.maketrans({"©": "(C)", "—": "―", "–": "-"})  # in credits, not in names


class EncodingError(ValueError):
    """A text that the chosen encoding cannot hold (a name outside CP932, such as 𠮷)."""


def _encode(text: str, encoding: str) -> bytes:
    """Text → bytes; CP932 (Windows-31J) holds 髙 and 﨑, which strict Shift_JIS does not, but not 𠮷."""
    if encoding == "cp932":
        text = text.translate(CP932_SUBSTITUTES)
    try:
        return text.encode(encoding)
    except UnicodeEncodeError as exc:  # never write '?': say which character, in which line, and stop
        bad = text[exc.start:exc.end]
        end = text.find("\n", exc.end)
        line = text[text.rfind("\n", 0, exc.start) + 1:end if end >= 0 else len(text)].strip()
        from ..i18n import _

        raise EncodingError(_("「{char}」は CP932（Windows-31J）で書けない文字です（「{line}」）。"
                              "何も出力していません。既定の UTF-8（BOM付き）で出力してください")
                            .format(char=bad, line=line[:80])) from exc


def publish(reg: Registry, out: str | Path, formats: Iterable[str] | None = None,
            snapshot: int | str | None = None, *, encoding: str = "utf-8", png: bool = True,
            wards: Iterable[str] = ()) -> list[Path]:
    """Write the chosen formats (all by default) for one snapshot, and the maps of ``wards``, into ``out``.

    All or nothing: every file is made in a temporary folder next to ``out`` first. Only when all of them
    are made do they move into ``out`` (the folder is renamed when ``out`` is new or empty, otherwise each
    file is renamed over its old version). A failure, such as a name CP932 cannot hold, leaves ``out``
    as it was. Returns the paths written.
    """
    import shutil
    import tempfile

    from . import opendata

    snap = reg.snapshot(snapshot)
    sources = Sources(reg, snap.id)
    chosen = list(formats or FORMATS)
    unknown = [f for f in chosen if f not in FORMATS]
    if unknown:
        raise ValueError(f"unknown format(s) {', '.join(unknown)}; choose from {', '.join(FORMATS)}")
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        written: dict[str, tuple[str, bytes]] = {}
        for fmt in chosen:
            if fmt == "datapackage":
                continue
            raw = render(reg, fmt, snap.id, encoding=encoding, sources=sources)
            written[fmt] = (file_name(fmt, snap.as_of, snap.id, snap.edition), raw)
            if fmt in MAP_FORMATS and png:
                from .maps import svg_to_png

                written[fmt + "-png"] = (written[fmt][0].removesuffix(".svg") + ".png", svg_to_png(raw.decode()))
        if "datapackage" in chosen:
            resources = {resource_name(k): v for k, v in written.items()}
            text = opendata.datapackage(sources.data, resources, ENCODINGS[encoding.lower()])
            written["datapackage"] = (file_name("datapackage", snap.as_of, snap.id, snap.edition),
                                      text.encode("utf-8"))
        for name, raw in written.values():
            (tmp / name).write_bytes(raw)
        names = [name for name, _ in written.values()]
        for ward in wards:
            names += [p.name for p in ward_map(reg, ward, tmp, png=png)[1]]
        return _move_in(tmp, out, names)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _move_in(tmp: Path, out: Path, names: list[str]) -> list[Path]:
    import os

    if not out.exists() or (out.is_dir() and not any(out.iterdir())):
        if out.exists():
            out.rmdir()
        tmp.rename(out)  # one step: the whole run appears at once
    else:
        for name in names:
            os.replace(tmp / name, out / name)  # each file whole: its old version or its new one
    return [out / name for name in names]


def resource_name(fmt: str) -> str:
    """Frictionless resource names: lower-case, URL-safe."""
    named = {"opendata": "partners-csv", "coverage": "coverage-csv", "json": "partners-json",
             "geojson": "partners-geojson", "entries": "entries-csv"}
    return named.get(fmt, f"table-{fmt}" if fmt in TABLE_FORMATS else fmt)


def ward_svg(reg: Registry, ward: Entity) -> str:
    """One ward's map: its partners (from its projects) joined to the ward's office by lines."""
    from .maps import ward_map as draw

    d = reg.directory
    partners = [d[c] for c in reg.ward_partners(ward.code)]
    points = [(e.code, e.name, e.lon, e.lat) for e in partners if e.lat is not None and e.lon is not None]
    assert ward.lon is not None and ward.lat is not None, ward.code  # the directory places every ward's office
    return draw(ward.name, (ward.lon, ward.lat), points, reg.snapshot().as_of, d.attribution)


def ward_map(reg: Registry, ward: str, out: str | Path | None = None, *, png: bool = True) -> tuple[str, list[Path]]:
    """The per-ward map of a ward given by name or code, written as SVG (and PNG) into ``out``."""
    from ..registry import RegistryError
    from .maps import svg_to_png

    entity = reg.resolver.resolve_ward(ward)
    if entity is None or entity.lat is None or entity.lon is None:
        raise RegistryError(f"「{ward}」 is not one of the 23 special wards")
    svg = ward_svg(reg, entity)
    paths: list[Path] = []
    if out is not None:
        out = Path(out)
        out.mkdir(parents=True, exist_ok=True)
        path = out / f"renkei_map_{entity.code}_{entity.name}.svg"
        path.write_text(svg, encoding="utf-8")
        paths.append(path)
        if png:
            paths.append(path.with_suffix(".png"))
            paths[-1].write_bytes(svg_to_png(svg))
    return svg, paths
