import time
from collections import Counter

from renkei.directory import load


def test_counts(directory):
    kinds = Counter(e.kind for e in directory.entities)
    assert kinds["prefecture"] == 47
    assert len(directory.municipalities()) == 1741
    assert kinds["special_ward"] == 23
    assert kinds["designated_city"] == 20
    assert sum(e.northern_territory for e in directory.entities) == 6


def test_northern_territory_villages_are_flagged_and_not_counted(directory):
    flagged = [e for e in directory.entities if e.northern_territory]
    assert {e.name for e in flagged} == {"色丹村", "泊村", "留夜別村", "留別村", "紗那村", "蘂取村"}
    assert all(not e.is_municipality for e in flagged)
    hokkaido = directory.local_governments("北海道")
    assert len(hokkaido) == 1 + 179  # the government and its 179 municipalities


def test_designated_city_wards_as_they_stand_today(directory):
    wards = Counter(directory[e.parent_code].name for e in directory.entities if e.kind == "city_ward")
    assert len(wards) == 20
    assert wards["浜松市"] == 3  # 2024 reorganisation: 中央区, 浜名区, 天竜区
    assert {e.short_name for e in directory.entities if e.parent_code == "221309"} == {"中央区", "浜名区", "天竜区"}
    assert wards["横浜市"] == 18
    assert sum(wards.values()) == 171


def test_entry_fields(directory):
    e = directory["043613"]
    assert (e.name, e.kana, e.romaji, e.prefecture, e.county, e.kind) == (
        "亘理町", "ワタリチョウ", "Watari-cho", "宮城県", "亘理郡", "town")
    assert 140 < e.lon < 141.5 and 37.5 < e.lat < 38.5
    assert e.valid_from and not e.valid_to
    assert e.kind_label == "町"
    assert directory["010006"].list_name == "北海道(道庁)"
    assert directory["130001"].list_name == "東京都(都庁)"
    assert directory["260002"].list_name == "京都府(府庁)"


def test_lookups(directory):
    assert [e.code for e in directory.find("宮城県", "亘理町")] == ["043613"]
    assert [e.name for e in directory.find("神奈川県", "中区")] == ["横浜市中区"]
    assert [e.prefecture for e in directory.by_kana("フチュウシ")] == ["東京都", "広島県"]
    tokyo = directory.in_prefecture("東京都")
    assert tokyo[0].name == "東京都"
    assert [e.code for e in tokyo] == sorted(e.code for e in tokyo)
    assert directory.prefecture("13").name == "東京都"


def test_merger_history(directory):
    assert [e.name for e in directory.successors("浦和市", "埼玉県")] == ["さいたま市"]
    assert [e.name for e in directory.successors("浦和市", on="2000-01-01")] == ["さいたま市"]
    assert directory.successors("浦和市", on="2002-01-01") == []  # it no longer existed then
    assert [e.name for e in directory.successors("浜松市中区")] == ["浜松市中央区"]
    old = directory.historical("富谷町", "宮城県")[0]
    assert (old.change, old.valid_to, old.successors) == ("市制施行", "2016-10-10", ("042161",))
    # 分割: one old name, several successors
    assert {e.name for e in directory.successors("北九州市小倉区")} == {"北九州市小倉北区", "北九州市小倉南区"}


def test_every_successor_is_current(directory):
    assert all(directory.get(c) for h in directory.history for c in h.successors)


def test_attribution_is_carried(directory):
    assert any("アドレス・ベース・レジストリ" in a for a in directory.attribution)


def test_load_is_cached_and_fast():
    load.cache_clear()
    start = time.perf_counter()
    load()
    elapsed = time.perf_counter() - start
    assert load() is load()
    # a generous bound against accidental eager work; the real figure is printed by bench/
    assert elapsed < 1.0
