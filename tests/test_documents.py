"""Readers: every format of the published layout gives the same list."""

import random

import pytest
from conftest import SEED
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from renkei.documents import DocumentError, read
from renkei.documents.wareki import format_wareki, parse


def entries(doc):
    return [(b.prefecture, b.declared, [c.text for c in b.names]) for b in doc.blocks]


def test_seed_layout():
    doc = read(SEED)
    assert doc.as_of == "2025-08-01"
    assert doc.title == "特別区連携自治体数一覧(令和7年8月1日現在)"
    assert [b.prefecture for b in doc.blocks][:3] == ["北海道", "青森県", "岩手県"]
    assert len(doc.blocks) == 20 and doc.blocks[-1].prefecture == "長野県"
    hokkaido = doc.blocks[0]
    assert hokkaido.declared == 54 and len(hokkaido.names) == 50
    assert (hokkaido.names[0].text, hokkaido.names[0].where) == ("北海道(道庁)", "C6")
    assert hokkaido.rows == [6, 7, 8, 9, 10]
    assert len(doc.sha256) == 64


@pytest.mark.parametrize("kind", ["tsv", "csv-utf8", "csv-bom-crlf", "csv-cp932-crlf", "txt-cp932", "xlsx",
                                  "xls", "pdf"])
def test_every_format_reads_like_the_tsv(fixtures_dir, kind):
    expected = read(SEED)
    doc = read(fixtures_dir[kind])
    assert entries(doc) == entries(expected)
    assert doc.as_of == "2025-08-01"


def test_sniffing(fixtures_dir):
    assert read(fixtures_dir["csv-cp932-crlf"]).encoding == "cp932"
    assert read(fixtures_dir["csv-bom-crlf"]).encoding == "utf-8-sig"
    assert read(fixtures_dir["xls"]).format == "xls"
    # the extension lies; the bytes do not
    renamed = fixtures_dir["xlsx"].with_name("list-really-xlsx.csv")
    renamed.write_bytes(fixtures_dir["xlsx"].read_bytes())
    assert read(renamed).format == "xlsx"


def test_forcing_format_and_encoding(fixtures_dir):
    doc = read(fixtures_dir["csv-cp932-crlf"], encoding="cp932", format="csv")
    assert doc.encoding == "cp932" and doc.format == "csv"
    with pytest.raises(DocumentError, match="utf-8 として読めません"):
        read(fixtures_dir["csv-cp932-crlf"], encoding="utf-8")


def test_as_of_override():
    assert read(SEED, as_of="2024-08-01").as_of == "2024-08-01"


@pytest.mark.parametrize(("text", "iso"), [
    ("特別区連携自治体数一覧(令和7年8月1日現在)", "2025-08-01"),
    ("令和元年５月１日現在", "2019-05-01"),
    ("令和７年８月１日", "2025-08-01"),
    ("平成31年4月30日", "2019-04-30"),
    ("平成元年1月8日", "1989-01-08"),
    ("昭和64年1月7日", "1989-01-07"),
    ("R7.8.1", "2025-08-01"),
    ("2025年8月1日現在", "2025-08-01"),
    ("日付なし", None),
    ("令和7年2月30日", None),
])
def test_wareki(text, iso):
    assert parse(text) == iso


@given(st.dates(min_value=__import__("datetime").date(1927, 1, 1), max_value=__import__("datetime").date(2200, 12, 31)))
def test_wareki_round_trip(d):
    assert parse(format_wareki(d.isoformat())) == d.isoformat()


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.randoms(use_true_random=False), st.sampled_from(["tsv", "csv", "xlsx"]))
def test_round_trip_from_the_directory(tmp_path, directory, rng: random.Random, fmt):
    import make_fixtures

    prefs = sorted(rng.sample(list(directory.prefectures), rng.randint(1, 6)), key=lambda p: p.code)
    blocks = []
    for p in prefs:
        members = directory.local_governments(p.name)
        chosen = sorted(rng.sample(members, rng.randint(1, min(25, len(members)))), key=lambda e: e.code)
        blocks.append((p.name, [e.list_name for e in chosen]))
    grid = make_fixtures.published_grid(blocks)
    path = tmp_path / f"generated.{fmt}"
    if fmt == "xlsx":
        make_fixtures.write_xlsx(grid, path, sheets=1)
    else:
        make_fixtures.write_text(grid, path, delimiter="\t" if fmt == "tsv" else ",", encoding="utf-8",
                                 newline="\n")
    doc = read(path)
    assert [(b.prefecture, [c.text for c in b.names]) for b in doc.blocks] == blocks
    assert [b.declared for b in doc.blocks] == [len(n) for _, n in blocks]
    from renkei.validate import check

    report = check(doc)
    for block, pref_report in zip(blocks, report.prefectures, strict=True):
        assert [e.resolution.status for e in pref_report.entries] == ["exact"] * len(block[1])
