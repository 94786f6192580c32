#!/usr/bin/env python3
"""npm → the repository: copy the front-end assets the site serves itself (no CDN, LGWAN-safe) and the
accessibility engine the browser tests inject.

Run after changing package.json:  npm install --no-save --ignore-scripts && python scripts/vendor_assets.py
The copied files are committed, so neither the site nor the tests need npm or the network.
(vnu-jar, the Nu HTML checker, is not copied: it is 30 MB of Java; the tests use it from node_modules,
which .ci/run installs.)
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
VENDOR = ROOT / "src" / "renkei" / "web" / "static" / "vendor"  # served by the site at /static/vendor/
TEST_VENDOR = ROOT / "tests" / "vendor"  # used by the tests only, never shipped
FILES: dict[str, tuple[Path, list[tuple[str, str]]]] = {
    "htmx.org": (VENDOR, [("dist/htmx.min.js", "htmx.min.js"), ("LICENSE", "htmx.LICENSE.txt")]),
    "swagger-ui-dist": (VENDOR, [("swagger-ui-bundle.js", "swagger-ui-bundle.js"),
                                 ("swagger-ui.css", "swagger-ui.css"),
                                 ("LICENSE", "swagger-ui.LICENSE.txt"), ("NOTICE", "swagger-ui.NOTICE.txt")]),
    "axe-core": (TEST_VENDOR, [("axe.min.js", "axe.min.js"), ("LICENSE", "axe-core.LICENSE.txt")]),
}


def main() -> int:
    lines: dict[Path, list[str]] = {}
    for package, (into, files) in FILES.items():
        base = ROOT / "node_modules" / package
        if not base.exists():
            print(f"{base} is missing: run `npm install --no-save --ignore-scripts` first", file=sys.stderr)
            return 1
        into.mkdir(parents=True, exist_ok=True)
        version = json.loads((base / "package.json").read_text())["version"]
        for source, target in files:
            shutil.copyfile(base / source, into / target)
        lines.setdefault(into, []).append(f"{package} {version}: {', '.join(t for _, t in files)}")
    for into, text in lines.items():
        (into / "VERSIONS.txt").write_text("\n".join(text) + "\n", encoding="utf-8")
        print("\n".join(text))
    return 0


if __name__ == "__main__":
    sys.exit(main())
