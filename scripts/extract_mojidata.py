#!/usr/bin/env python3
"""Dump the variant tables renkei uses from the npm package @mandel59/mojidata into raw/mojidata/.

The package ships one SQLite file (dist/moji.db, ~100 MB); only its variant tables are
kept, as text, so that ``scripts/build_data.py`` can build the packaged variant table
from them without the package. Rows are written exactly as stored, sorted.

Usage:
    npm pack @mandel59/mojidata@1.8.1 && tar xzf mandel59-mojidata-1.8.1.tgz
    python scripts/extract_mojidata.py package/dist/moji.db
"""

from __future__ import annotations

import argparse
import sqlite3
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "raw" / "mojidata"
# Unicode's Unihan database (Unicode License v3)
UNIHAN = ["kZVariant", "kSemanticVariant", "kSpecializedSemanticVariant", "kTraditionalVariant", "kSimplifiedVariant"]
# The Kanji Database Project's 異体字データ, cjkvi-variants (MIT). koseki/variant (18,599 pairs of 戸籍 forms)
# is left out: too broad for place names.
CJKVI = ["jp/old-style", "jp/old-style/compat", "jisx0213/variant", "jisx0212/variant", "jinmei1/variant",
         "jinmei2/variant", "joyo/variant", "hyogai/variant", "cjkvi/variant", "cjkvi/traditional", "cjkvi/simplified"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("db", type=Path, help="dist/moji.db from the npm package")
    args = parser.parse_args()
    db = sqlite3.connect(args.db)
    OUT.mkdir(parents=True, exist_ok=True)
    rows = sorted(("unihan", field, ucs, value) for field in UNIHAN
                  for ucs, value in db.execute(f'SELECT UCS, value FROM "unihan_each_{field}"'))
    rows += sorted(("cjkvi", table, s, o) for table in CJKVI
                   for s, o in db.execute(f'SELECT subject, object FROM "kdpv_{table}"'))
    with (OUT / "variants.tsv").open("w", encoding="utf-8") as f:
        f.write("source\ttable\tsubject\tobject\n")
        for row in rows:
            f.write("\t".join(row) + "\n")
    print(f"wrote {OUT / 'variants.tsv'}: {len(rows)} rows")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
