#!/usr/bin/env python3
"""`renkei build-site` at scale: wall time and peak RSS of the command (issue 17: 46,000 projects in under 120 s
and 400 MB), with the number of files and the largest page.

    python bench/bench_build_site.py [--projects 46000] [--profile]

``--profile`` runs the build in this process under cProfile instead and prints the top functions.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from scale import registry_at_scale, run_measured


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--projects", type=int, default=46_000)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    renkei = str(Path(sys.executable).with_name("renkei"))
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        reg = registry_at_scale(None, tmp, args.projects)
        db = str(reg.engine.url.database)
        out = tmp / "public"
        if args.profile:
            import cProfile
            import pstats

            from renkei.web.site import build_site

            cProfile.runctx("build_site(reg, out)", globals(), {"build_site": build_site, "reg": reg, "out": out},
                            str(tmp / "profile"))
            pstats.Stats(str(tmp / "profile")).sort_stats("cumulative").print_stats(40)
            return
        reg.engine.dispose()
        took, rss = run_measured(renkei, "--db", db, "build-site", str(out))
        files = [p for p in out.rglob("*") if p.is_file()]
        pages = [p for p in files if p.suffix == ".html"]
        largest = max(pages, key=lambda p: p.stat().st_size)
        ward = max((p for p in pages if p.relative_to(out).parts[0] == "ward"), key=lambda p: p.stat().st_size)
        print(f"build-site, {args.projects:,} projects: {took:.1f} s, peak RSS {rss:.0f} MB "
              f"[target < 120 s, < 400 MB]; {len(files):,} files, {sum(p.stat().st_size for p in files) / 1e6:.0f} MB; "
              f"largest page {largest.stat().st_size / 1e3:.0f} KB ({largest.relative_to(out)}); largest ward page "
              f"{ward.stat().st_size / 1e3:.0f} KB ({ward.relative_to(out)}) [target < 200 KB]")


if __name__ == "__main__":
    main()
