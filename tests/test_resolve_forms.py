"""General forms of real writing (issue 20): areas, qualifiers, names run together, old forms, namesakes and
column context. Real-world cases are in tests/data/realworld/forms.tsv; these are made-up examples of each rule."""

from __future__ import annotations

import pytest


def keys(r) -> list[str]:
    return [x.key for x in r.reasons]


@pytest.mark.parametrize(("written", "pref", "official", "reason"), [
    ("渡島総合振興局管内（七飯町）", None, "七飯町", "bracket_name"),
    ("上川管内鷹栖町", None, "鷹栖町", "subprefecture_removed"),
    ("オホーツク総合振興局管内美幌町", "北海道", "美幌町", "subprefecture_removed"),
    ("県外：山口県下関市", "福岡県", "下関市", "qualifier_removed"),
    ("都外 八王子市", None, "八王子市", "qualifier_removed"),
    ("福岡市内", None, "福岡市", "qualifier_removed"),
    ("亘理町在住", "宮城県", "亘理町", "qualifier_removed"),
    ("周防国 熊毛郡束荷村", None, "光市", "province_removed"),
])
def test_what_is_set_aside_is_said(resolver, written, pref, official, reason):
    r = resolver.resolve(written, pref)
    assert r.resolved and r.name == official, r
    assert reason in keys(r)


@pytest.mark.parametrize("written", ["北九州市外", "福岡市以外", "旭川市近郊"])
def test_outside_a_municipality_is_never_that_municipality(resolver, written):
    r = resolver.resolve(written, "福岡県")
    assert r.status == "unresolved" and r.code is None and "outside" in r.flags
    assert keys(r)[-1] == "outside" and written[:3] in r.reason


@pytest.mark.parametrize("written", ["石狩振興局管内", "空知管内", "十勝総合振興局", "ｵﾎｰﾂｸ総合振興局管内"])
def test_an_area_is_no_municipality(resolver, written):
    r = resolver.resolve(written, "北海道")
    assert r.status == "unresolved" and r.code is None and keys(r)[-1] == "region_only"


def test_names_run_together_are_split_when_every_run_resolves(resolver):
    r = resolver.resolve("石川県七尾市石川県輪島市石川県珠洲市")
    assert r.status == "multiple" and [p.name for p in r.parts] == ["七尾市", "輪島市", "珠洲市"]
    assert keys(r) == ["split_runs"] and r.reasons[0].args["by"] == "prefix"
    r = resolver.resolve("熊毛郡田布施町熊毛郡平生町", "山口県")
    assert [p.name for p in r.parts] == ["田布施町", "平生町"]
    # one run that is no name: the cell is not split, and stays what it was
    assert resolver.resolve("石川県七尾市石川県輪島村").status != "multiple"


def test_spaces_separate_names_only_when_each_side_is_a_whole_name(resolver):
    r = resolver.resolve("仙台市 山形市")
    assert r.status == "multiple" and [p.name for p in r.parts] == ["仙台市", "山形市"]
    assert r.reasons[0].args["by"] == "space"
    assert resolver.resolve("横浜市 中区").name == "横浜市中区"  # one name with a space in it
    assert resolver.resolve("仙台市 山形").status != "multiple"  # 山形 alone is no whole name


def test_a_ward_of_the_old_city_system(resolver):
    r = resolver.resolve("函館区")
    assert r.status == "merged" and r.name == "函館市" and "before_1970" in r.flags


@pytest.mark.parametrize(("written", "tokyo"), [("中央区", "131024"), ("港区", "131032"), ("北区", "131172")])
def test_a_namesake_ward_without_prefecture_is_ambiguous(resolver, written, tokyo):
    r = resolver.resolve(written)
    assert r.status == "ambiguous" and r.code is None and keys(r) == ["same_name"]
    assert r.candidates[0].code == tokyo and len(r.candidates) > 1  # Tokyo's special ward first
    assert resolver.resolve(written, "東京都").code == tokyo


def test_the_column_is_evidence_for_a_namesake(resolver):
    rows = resolver.resolve_column(["博多区", "中央区", "久留米市", "大牟田市", "府中市"])
    assert rows[1].name == "福岡市中央区" and rows[1].status == "normalized"
    assert keys(rows[1])[-1] == "column_context" and "表の他の行が福岡県" in rows[1].reason
    assert "column_context" in rows[1].flags
    assert rows[4].status == "ambiguous"  # 府中市 has no namesake in 福岡県
    # too few rows, or no prefecture that most rows share: no context
    assert resolver.resolve_column(["博多区", "中央区"])[1].status == "ambiguous"
    mixed = resolver.resolve_column(["博多区", "中央区", "仙台市", "札幌市", "函館市"])
    assert mixed[1].status == "ambiguous"
    hint = resolver.resolve("府中市", context_prefecture="広島県")
    assert hint.code == "342084" and keys(hint)[-1] == "column_context"


def test_the_column_context_with_a_prefecture_per_row(resolver):
    """Rows with their own prefecture keep it; a row without one takes the column's."""
    rows = resolver.resolve_column(["中央区", "北区", "博多区", "久留米市", "中央区"],
                                   prefectures=["福岡県", "東京都", None, None, None])
    assert [r.name for r in rows] == ["福岡市中央区", "北区", "福岡市博多区", "久留米市", "福岡市中央区"]
    assert "column_context" not in rows[0].flags and "column_context" in rows[4].flags
    with pytest.raises(ValueError):
        resolver.resolve_column(["中央区"], prefectures=[])


def test_the_other_names_of_a_cell_are_evidence_for_a_namesake(resolver):
    r = resolver.resolve("千代田区・港区")
    assert [p.code for p in r.parts] == ["131016", "131032"]
    assert r.parts[1].reasons[-1].key == "cell_context" and "cell_context" in r.parts[1].flags
    assert resolver.resolve("博多区・中央区").parts[1].name == "福岡市中央区"
    assert resolver.resolve("仙台市・中央区").parts[1].status == "ambiguous"  # 宮城県 has no 中央区


def test_a_long_cell_costs_little(resolver):
    """The cell is an outsider's: splitting it is one pass, whatever its separators (it took minutes before)."""
    import time

    from renkei.normalize import split_names, split_on_spaces

    start = time.process_time()
    assert len(split_names("港区、" * 20000)) == 20000
    assert len(split_on_spaces("港区 " * 20000)) == 20000
    assert resolver.resolve("港区、" * 20000).status == "unresolved"  # too many parts to split
    assert resolver.resolve("周防国" + "郡" * 60000).status == "unresolved"  # a county is looked for near the start
    assert time.process_time() - start < 10
