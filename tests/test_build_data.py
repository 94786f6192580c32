"""The packaged data is exactly what the prep scripts make from raw/."""

import importlib.util
import json

import pytest
from conftest import ROOT


def _script(name):
    spec = importlib.util.spec_from_file_location(name, ROOT / "scripts" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_packaged_directory_matches_build_script():
    build = _script("build_data")
    for name, text in build.render(build.build()).items():
        assert (build.DATA / name).read_text(encoding="utf-8") == text, f"{name} is stale: run scripts/build_data.py"


def _parse(text):
    table = {}
    for line in text.splitlines():
        if line.startswith("#"):
            continue
        kanji, _, row = line.partition("\t")
        table[kanji] = {i.split(":")[0]: int(i.split(":")[1]) for i in row.split()}
    return table


def test_glyph_table_matches_build_script():
    pytest.importorskip("PIL")
    glyphs = _script("build_glyphs")
    built = _parse(glyphs.build())
    packaged = _parse(glyphs.OUT.read_text(encoding="utf-8"))
    assert built.keys() == packaged.keys()
    # Similarities are rounded to 0.01; a different BLAS may flip the last digit of a value
    # that sits on a rounding edge, and with it membership at the threshold. Allow only that.
    for kanji, row in built.items():
        other = packaged[kanji]
        for ch in row.keys() & other.keys():
            assert abs(row[ch] - other[ch]) <= 1, (kanji, ch)
        for ch in row.keys() ^ other.keys():
            assert row.get(ch, other.get(ch)) <= glyphs.MIN_SIMILARITY * 100 + 1, (kanji, ch)


def test_glyph_table_covers_every_kanji_in_official_names(directory):
    glyphs = _script("build_glyphs")
    table = _parse(glyphs.OUT.read_text(encoding="utf-8"))
    used = {ch for e in directory.entities for ch in e.name if glyphs.is_kanji(ch)}
    assert used <= table.keys()


def test_raw_sources_are_documented():
    sources = (ROOT / "raw" / "SOURCES.md").read_text(encoding="utf-8")
    for path in ("abr/mt_city_all.csv", "estat/estat-haichi.csv", "jpcity/city_edges.csv", "localgovjp"):
        assert path in sources
    meta = json.loads((ROOT / "src" / "renkei" / "directory" / "data" / "directory.json").read_text("utf-8"))
    assert meta["as_of"] == "2024-01-01"


def test_packaged_boundaries_match_build_script():
    build = _script("build_boundaries")
    for name, text in build.build().items():
        assert (build.DATA / name).read_text(encoding="utf-8") == text, f"{name} is stale: run build_boundaries.py"
    prefectures = json.loads((build.DATA / "boundaries_prefectures.json").read_text(encoding="utf-8"))
    assert len(prefectures["features"]) == 47 and prefectures["attribution"].startswith("国土数値情報")
