"""Open data for one snapshot: CSV with codes (自治体標準オープンデータセット style), JSON, GeoJSON,
a coverage table, the official table in tidy long form (one row per written entry), and a Frictionless
``datapackage.json`` that ``frictionless validate`` accepts: the tabular files with their schemas, keys and
encoding; the print layouts (official table TSV/CSV/XLSX/PDF/HTML) and maps as plain files."""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..sinks import csv_writer

if TYPE_CHECKING:
    from ..registry import EntryRow, PartnerRow, Registry, SnapshotInfo

BOUNDARY_ATTRIBUTION = "国土数値情報（行政区域データ）（国土交通省）を加工して作成"
LICENSE = {"name": "CC-BY-4.0", "title": "Creative Commons Attribution 4.0",
           "path": "https://creativecommons.org/licenses/by/4.0/"}
SOURCES = (
    {"title": "特別区連携自治体数一覧（特別区長会）", "path": "https://www.tokyo-23city.or.jp/"},
    {"title": "出典：アドレス・ベース・レジストリ（デジタル庁）を加工して作成", "path": "https://www.digital.go.jp/",
     "license": "PDL1.0"},
    {"title": "出典：政府統計の総合窓口(e-Stat) 市区町村を探す 廃置分合等情報", "path": "https://www.e-stat.go.jp/",
     "license": "政府標準利用規約2.0"},
    {"title": BOUNDARY_ATTRIBUTION, "path": "https://nlftp.mlit.go.jp/ksj/"},
    {"title": "jpcity (MIT, © 2023 jpcity authors)"},
    {"title": "localgovjp (CC0, code4fukui)"},
)
CSV_COLUMNS = ("全国地方公共団体コード", "都道府県名", "名称", "名称カナ", "種別", "緯度", "経度", "時点")
COVERAGE_COLUMNS = ("都道府県コード", "都道府県名", "連携自治体数", "地方公共団体数", "割合")
ENTRY_COLUMNS = ("都道府県", "記載順", "記載名", "全国地方公共団体コード", "正式名称", "判定")
# 判定: how the written name was read (the status keys of `renkei resolve`, in Japanese)
ENTRY_STATUS = {"exact": "一致", "normalized": "表記ゆれ", "variant": "異体字", "corrected": "誤記訂正",
                "merged": "合併・改称", "reviewed": "確認済み", "ambiguous": "要確認（候補複数）",
                "unresolved": "特定できず", "multiple": "複数の名称", "rejected": "自治体でないため除外"}


@dataclass(slots=True)
class OpenData:
    snapshot: SnapshotInfo
    partners: list[PartnerRow]
    coverage: list[tuple[str, str, int, int, float]]
    attribution: tuple[str, ...]
    prefectures: frozenset[str]  # the prefectures the source has a block for (others: 記載なし)
    entries: list[EntryRow]  # every written name, in the source's order


def build(reg: Registry, snapshot: int | str | None = None) -> OpenData:
    snap = reg.snapshot(snapshot)
    d = reg.directory
    partners = reg.partners(snap.id)
    counts: dict[str, int] = {}
    for p in partners:
        counts[p.pref_code] = counts.get(p.pref_code, 0) + 1
    coverage = []
    for pref in d.prefectures:
        total = len(d.local_governments(pref.name))
        n = counts.get(pref.code, 0)
        coverage.append((pref.code, pref.name, n, total, round(100 * n / total, 1) if total else 0.0))
    present = frozenset(reg.declared(snap.id)) | frozenset(counts)
    return OpenData(snap, partners, coverage, (*d.attribution, BOUNDARY_ATTRIBUTION), present,
                    reg.entries(snap.id))


def _kind(p: PartnerRow) -> str:
    from ..directory import KIND_LABELS

    return KIND_LABELS.get(p.kind, p.kind)


def csv_text(data: OpenData) -> str:
    """One row per partner; encode with utf-8-sig (default) or cp932 for Japanese Excel."""
    buf = io.StringIO()
    w = csv_writer(buf, lineterminator="\r\n")
    w.writerow(CSV_COLUMNS)
    for p in data.partners:
        w.writerow((p.code, p.prefecture, p.name, p.kana, _kind(p), "" if p.lat is None else p.lat,
                    "" if p.lon is None else p.lon, data.snapshot.as_of or ""))
    return buf.getvalue()


def coverage_csv(data: OpenData) -> str:
    buf = io.StringIO()
    w = csv_writer(buf, lineterminator="\r\n")
    w.writerow(COVERAGE_COLUMNS)
    w.writerows(data.coverage)
    return buf.getvalue()


def entries_csv(data: OpenData) -> str:
    """The official table in tidy long form: one row per written entry, in the source's order (記載順 from 1)."""
    buf = io.StringIO()
    w = csv_writer(buf, lineterminator="\r\n")
    w.writerow(ENTRY_COLUMNS)
    for i, e in enumerate(data.entries, 1):
        w.writerow((e.prefecture, i, e.written, e.code or "", e.name or "", ENTRY_STATUS.get(e.status, e.status)))
    return buf.getvalue()


def _meta(data: OpenData) -> dict[str, object]:
    s = data.snapshot
    from .official import source_label

    return {"as_of": s.as_of, "snapshot": s.id, "source": source_label(s), "sha256": s.sha256,
            "attribution": list(data.attribution)}


def _properties(p: PartnerRow, as_of: str | None) -> dict[str, object]:
    return {"code": p.code, "prefecture": p.prefecture, "name": p.name, "kana": p.kana, "kind": p.kind,
            "kind_label": _kind(p), "as_of": as_of}


def json_text(data: OpenData) -> str:
    partners = [{**_properties(p, data.snapshot.as_of), "lat": p.lat, "lon": p.lon, "written": p.written,
                 "status": p.status} for p in data.partners]
    return json.dumps({**_meta(data), "partners": partners}, ensure_ascii=False, indent=1)


def geojson_text(data: OpenData) -> str:
    """Points at the office locations (RFC 7946: longitude first)."""
    features = [{"type": "Feature", "id": p.code, "geometry": {"type": "Point", "coordinates": [p.lon, p.lat]},
                 "properties": _properties(p, data.snapshot.as_of)}
                for p in data.partners if p.lat is not None and p.lon is not None]
    return json.dumps({"type": "FeatureCollection", "metadata": _meta(data), "features": features},
                      ensure_ascii=False)


SCHEMAS: dict[str, dict[str, Any]] = {  # Table Schema documents (JSON)
    "partners-csv": {"fields": [
        {"name": "全国地方公共団体コード", "type": "string", "constraints": {"required": True, "pattern": "[0-9]{6}"}},
        {"name": "都道府県名", "type": "string"}, {"name": "名称", "type": "string"},
        {"name": "名称カナ", "type": "string"}, {"name": "種別", "type": "string"},
        {"name": "緯度", "type": "number"}, {"name": "経度", "type": "number"},
        {"name": "時点", "type": "date"}], "primaryKey": ["全国地方公共団体コード"]},
    "coverage-csv": {"fields": [
        {"name": "都道府県コード", "type": "string", "constraints": {"required": True, "pattern": "[0-9]{6}"}},
        {"name": "都道府県名", "type": "string"},
        {"name": "連携自治体数", "type": "integer"}, {"name": "地方公共団体数", "type": "integer"},
        {"name": "割合", "type": "number", "description": "percent"}], "primaryKey": ["都道府県コード"]},
    "entries-csv": {"fields": [
        {"name": "都道府県", "type": "string", "description": "the block's prefecture (empty when unknown)"},
        {"name": "記載順", "type": "integer", "constraints": {"required": True, "minimum": 1},
         "description": "order of the entry in the source, from 1"},
        {"name": "記載名", "type": "string", "description": "the name as written in the source"},
        {"name": "全国地方公共団体コード", "type": "string", "constraints": {"pattern": "[0-9]{6}"},
         "description": "empty when the entry could not be resolved"},
        {"name": "正式名称", "type": "string"},
        {"name": "判定", "type": "string", "constraints": {"enum": sorted(set(ENTRY_STATUS.values()))}}],
        "primaryKey": ["記載順"],
        "foreignKeys": [{"fields": ["全国地方公共団体コード"],
                         "reference": {"resource": "partners-csv", "fields": ["全国地方公共団体コード"]}}]},
}
TITLES = {
    "table-tsv": "特別区連携自治体数一覧（印刷用レイアウト、TSV）",
    "table-csv": "特別区連携自治体数一覧（印刷用レイアウト、CSV）",
    "table-html": "特別区連携自治体数一覧（HTML）", "table-xlsx": "特別区連携自治体数一覧（印刷用、Excel）",
    "table-pdf": "特別区連携自治体数一覧（印刷用、PDF）", "entries-csv": "特別区連携自治体数一覧（1行1記載の縦持ち表）",
    "partners-csv": "連携自治体（全国地方公共団体コード付き）", "partners-json": "連携自治体（JSON）",
    "partners-geojson": "連携自治体の庁舎位置（GeoJSON）", "coverage-csv": "都道府県別の連携自治体数と割合",
    "map-prefectures": "地図：都道府県別の連携自治体数", "map-coverage": "地図：都道府県別の連携自治体の割合",
    "map-municipalities": "地図：連携する市町村",
}
MEDIA_TYPES = {"csv": "text/csv", "tsv": "text/tab-separated-values", "html": "text/html", "json": "application/json",
               "geojson": "application/geo+json", "svg": "image/svg+xml", "png": "image/png", "pdf": "application/pdf",
               "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


def datapackage(data: OpenData, files: dict[str, tuple[str, bytes]], encoding: str) -> str:
    """Frictionless Data Package descriptor for the files written (resource name → (path, bytes)).

    Only the tidy tables (partners, coverage, entries) are tabular resources, with a schema, keys and their
    encoding; the official table's print layouts (a title, a 3-column header over 12-column rows, notes),
    the maps and the JSON files are declared as files, which a validator checks by size and hash only.
    ``encoding`` is that of the CSV/TSV files (``cp932`` is Windows-31J); the others are UTF-8.
    """
    import hashlib

    from .official import source_label

    s = data.snapshot
    source = source_label(s)
    text_encoding = "utf-8" if encoding == "utf-8-sig" else encoding  # the BOM is part of UTF-8 for readers
    resources = []
    for name, (path, raw) in files.items():
        fmt = path.rsplit(".", 1)[-1]
        res: dict[str, object] = {"name": name, "type": "table" if name in SCHEMAS else "file",
                                  "title": TITLES.get(name.removesuffix("-png"), name), "path": path,
                                  "format": fmt, "mediatype": MEDIA_TYPES.get(fmt, "application/octet-stream"),
                                  "bytes": len(raw), "hash": "sha256:" + hashlib.sha256(raw).hexdigest()}
        if fmt in ("csv", "tsv"):
            res["encoding"] = text_encoding
        elif fmt in ("html", "json", "geojson", "svg"):
            res["encoding"] = "utf-8"
        if name in SCHEMAS:
            res["dialect"] = {"delimiter": ",", "header": True}
            schema = dict(SCHEMAS[name])
            keys = [k for k in schema.get("foreignKeys", []) if k["reference"]["resource"] in files]
            schema.pop("foreignKeys", None)
            if keys:
                schema["foreignKeys"] = keys
            res["schema"] = schema
        res["licenses"], res["sources"] = [LICENSE], list(SOURCES)
        resources.append(res)
    descriptor = {
        "profile": "data-package", "name": f"renkei-{s.as_of or s.id}",
        "title": f"特別区全国連携プロジェクト 連携自治体（{source}）",
        "description": f"東京23区（特別区）と全国の自治体との連携。全国地方公共団体コード付き。出典：{source}。"
                       "renkei により作成。",
        "version": s.as_of or str(s.id), "created": s.imported_at,
        "licenses": [LICENSE], "sources": list(SOURCES),
        "renkei": {"as_of": s.as_of, "snapshot": s.id, "source": source, "source_sha256": s.sha256,
                   "attribution": list(data.attribution)},
        "resources": resources,
    }
    return json.dumps(descriptor, ensure_ascii=False, indent=2)
