"""Open data for one snapshot: CSV with codes (自治体標準オープンデータセット style), JSON, GeoJSON,
a coverage table, and a Frictionless ``datapackage.json`` with the licence, sources and file hashes."""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..sinks import csv_writer

if TYPE_CHECKING:
    from ..registry import PartnerRow, Registry, SnapshotInfo

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


@dataclass(slots=True)
class OpenData:
    snapshot: SnapshotInfo
    partners: list[PartnerRow]
    coverage: list[tuple[str, str, int, int, float]]
    attribution: tuple[str, ...]
    prefectures: frozenset[str]  # the prefectures the source has a block for (others: 記載なし)


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
    return OpenData(snap, partners, coverage, (*d.attribution, BOUNDARY_ATTRIBUTION), present)


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


def _meta(data: OpenData) -> dict[str, object]:
    s = data.snapshot
    return {"as_of": s.as_of, "snapshot": s.id, "source": s.source, "sha256": s.sha256,
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


def datapackage(data: OpenData, files: dict[str, tuple[str, bytes]], encoding: str) -> str:
    """Frictionless Data Package descriptor for the files written (name → (path, bytes))."""
    import hashlib

    s = data.snapshot
    schemas = {
        "partners-csv": {"fields": [
            {"name": "全国地方公共団体コード", "type": "string", "constraints": {"pattern": "[0-9]{6}"}},
            {"name": "都道府県名", "type": "string"}, {"name": "名称", "type": "string"},
            {"name": "名称カナ", "type": "string"}, {"name": "種別", "type": "string"},
            {"name": "緯度", "type": "number"}, {"name": "経度", "type": "number"},
            {"name": "時点", "type": "date"}], "primaryKey": ["全国地方公共団体コード"]},
        "coverage-csv": {"fields": [
            {"name": "都道府県コード", "type": "string"}, {"name": "都道府県名", "type": "string"},
            {"name": "連携自治体数", "type": "integer"}, {"name": "地方公共団体数", "type": "integer"},
            {"name": "割合", "type": "number", "description": "percent"}], "primaryKey": ["都道府県コード"]},
    }
    resources = []
    for name, (path, raw) in files.items():
        fmt = path.rsplit(".", 1)[-1]
        res: dict[str, object] = {"name": name, "path": path, "format": fmt, "bytes": len(raw),
                                  "hash": "sha256:" + hashlib.sha256(raw).hexdigest()}
        if fmt == "csv":
            res.update(mediatype="text/csv", encoding=encoding, dialect={"delimiter": ",", "header": True})
            if name in schemas:
                res["schema"] = schemas[name]
        elif fmt in ("json", "geojson"):
            res["mediatype"] = "application/geo+json" if fmt == "geojson" else "application/json"
        resources.append(res)
    descriptor = {
        "profile": "data-package", "name": f"renkei-{s.as_of or s.id}",
        "title": f"特別区全国連携プロジェクト 連携自治体（{s.as_of or '時点不明'}現在）",
        "description": "東京23区（特別区）と全国の自治体との連携。全国地方公共団体コード付き。renkei により作成。",
        "version": s.as_of or str(s.id), "created": s.imported_at,
        "licenses": [LICENSE], "sources": list(SOURCES),
        "renkei": {"as_of": s.as_of, "snapshot": s.id, "source_file": s.source, "source_sha256": s.sha256,
                   "attribution": list(data.attribution)},
        "resources": resources,
    }
    return json.dumps(descriptor, ensure_ascii=False, indent=2)
