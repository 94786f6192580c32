#!/usr/bin/env python3
"""npm → src/renkei/web/static/vendor: copy the front-end assets the site serves itself (no CDN, LGWAN-safe).

Run after changing package.json:  npm install --no-save && python scripts/vendor_assets.py
The copied files are committed, so neither the site nor the tests need npm or the network.
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
VENDOR = ROOT / "src" / "renkei" / "web" / "static" / "vendor"
FILES = {"htmx.org": [("dist/htmx.min.js", "htmx.min.js"), ("LICENSE", "htmx.LICENSE.txt")]}


def main() -> int:
    VENDOR.mkdir(parents=True, exist_ok=True)
    lines = []
    for package, files in FILES.items():
        base = ROOT / "node_modules" / package
        if not base.exists():
            print(f"{base} is missing: run `npm install --no-save` first", file=sys.stderr)
            return 1
        version = json.loads((base / "package.json").read_text())["version"]
        for source, target in files:
            shutil.copyfile(base / source, VENDOR / target)
        lines.append(f"{package} {version}: {', '.join(t for _, t in files)}")
    (VENDOR / "VERSIONS.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
