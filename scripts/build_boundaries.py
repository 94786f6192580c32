#!/usr/bin/env python3
"""raw/boundaries (国土数値情報 N03, simplified TopoJSON) → src/renkei/data/boundaries_*.json.

Keeps the topology (arcs and their quantisation) as it came, and re-keys every geometry by
its 6-digit 全国地方公共団体コード, so the map code needs no name matching at run time.
Unassigned land (所属未定地, no code) is dropped. Deterministic; tests/test_build_data.py checks
that the packaged files are what this script makes.

Usage: python scripts/build_boundaries.py [--check]
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from renkei.codes import to_code6  # noqa: E402
from renkei.directory import load  # noqa: E402

RAW = ROOT / "raw" / "boundaries"
DATA = ROOT / "src" / "renkei" / "data"
ATTRIBUTION = "国土数値情報（行政区域データ）（国土交通省）を加工して作成"
SOURCES = {
    "boundaries_prefectures.json": ("topojson_s0010_prefectures.json", "prefectures"),
    "boundaries_municipalities.json": ("topojson_s0001_N03-21_210101_designated_city.json", "N03-21_210101"),
}


def build() -> dict[str, str]:
    d = load()
    out = {}
    for target, (source, layer) in SOURCES.items():
        topo = json.loads((RAW / source).read_text(encoding="utf-8"))
        features: dict[str, dict] = {}
        for g in topo["objects"][layer]["geometries"]:
            props = g.get("properties") or {}
            if g.get("type") is None:
                continue
            if "N03_007" in props:
                if not props["N03_007"]:
                    continue  # 所属未定地
                code = to_code6(props["N03_007"])
            else:
                pref = d.prefecture(props["N03_001"])
                assert pref is not None, props
                code = pref.code
            if code in features:  # one code in two pieces: merge into one MultiPolygon
                a, b = features[code], {"type": g["type"], "arcs": g["arcs"]}
                polys = [p for x in (a, b) for p in (x["arcs"] if x["type"] == "MultiPolygon" else [x["arcs"]])]
                features[code] = {"type": "MultiPolygon", "arcs": polys}
            else:
                features[code] = {"type": g["type"], "arcs": g["arcs"]}
        data = {"attribution": ATTRIBUTION, "source": f"raw/boundaries/{source}", "transform": topo["transform"],
                "features": dict(sorted(features.items())), "arcs": topo["arcs"]}
        out[target] = json.dumps(data, ensure_ascii=False, separators=(",", ":")) + "\n"
    return out


def main() -> int:
    check = "--check" in sys.argv
    stale = []
    for name, text in build().items():
        path = DATA / name
        if check:
            if not path.exists() or path.read_text(encoding="utf-8") != text:
                stale.append(name)
        else:
            path.write_text(text, encoding="utf-8")
            print(f"{path.relative_to(ROOT)}: {len(text) / 1e6:.2f} MB")
    if stale:
        print(f"stale: {', '.join(stale)}; run scripts/build_boundaries.py", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
