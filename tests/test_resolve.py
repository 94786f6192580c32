"""The resolver: every status, every rule, and the seed list."""

from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from renkei.misspell import KINDS, misspellings
from renkei.resolve import RESOLVED, STATUSES


def check(resolver, name, prefecture, status, official=None):
    r = resolver.resolve(name, prefecture)
    assert r.status == status, (name, r)
    if official:
        assert r.name == official, (name, r)
        assert r.code and resolver.directory[r.code].name == official
    return r


@pytest.mark.parametrize(("name", "pref", "status", "official"), [
    ("千代田区", None, "exact", "千代田区"),
    ("天龍村", "長野県", "exact", "天龍村"),
    ("北海道(道庁)", "北海道", "exact", "北海道"),
    ("大阪府", None, "exact", "大阪府"),
    ("龍ヶ崎市", "茨城県", "normalized", "龍ケ崎市"),
    ("　袖ｹ浦市", "千葉県", "normalized", "袖ケ浦市"),
    ("東京都（都庁）", None, "normalized", "東京都"),
    ("京都府(府庁)", None, "exact", "京都府"),
    ("岩手県（県庁）", "岩手県", "normalized", "岩手県"),
    ("宮城県亘理郡亘理町", None, "normalized", "亘理町"),
    ("亘理郡亘理町", "宮城県", "normalized", "亘理町"),
    ("中区", "神奈川県", "normalized", "横浜市中区"),
    ("横浜市中区", None, "exact", "横浜市中区"),
    ("横浜市 中区", None, "normalized", "横浜市中区"),
    ("さっぽろし", None, "normalized", "札幌市"),
    ("ワタリチョウ", "宮城県", "normalized", "亘理町"),
    ("飯館村", "福島県", "variant", "飯舘村"),
    ("木曾町", "長野県", "variant", "木曽町"),
    ("鹿嶋市", None, "exact", "鹿嶋市"),
    ("亶理町", "宮城県", "corrected", "亘理町"),
    ("大湯村", "秋田県", "corrected", "大潟村"),
    ("高島町", "山形県", "corrected", "高畠町"),
    ("鮎川村", "福島県", "corrected", "鮫川村"),
    ("檜葉町", "福島県", "corrected", "楢葉町"),
    ("長瀨町", "埼玉県", "corrected", "長瀞町"),
    ("美幌市", "北海道", "corrected", "美幌町"),
    ("亘理", "宮城県", "corrected", "亘理町"),
    ("浦和市", "埼玉県", "merged", "さいたま市"),
    ("富谷町", "宮城県", "merged", "富谷市"),
])
def test_statuses(resolver, name, pref, status, official):
    r = check(resolver, name, pref, status, official)
    if status != "exact" or name != official:
        assert r.reason, "every change carries its reason"


def test_corrections_explain_the_edit(resolver):
    assert "亶→亘" in resolver.resolve("亶理町", "宮城県").reason
    assert "字形類似" in resolver.resolve("亶理町", "宮城県").reason
    assert "種別" in resolver.resolve("美幌市", "北海道").reason
    assert "異体字" in resolver.resolve("飯館村", "福島県").reason
    assert "2001-05-01" in resolver.resolve("浦和市", "埼玉県").reason


def test_same_name_in_several_prefectures_is_ambiguous(resolver):
    r = check(resolver, "府中市", None, "ambiguous")
    assert {c.prefecture for c in r.candidates} == {"東京都", "広島県"}
    assert r.code is None
    assert check(resolver, "府中市", "広島県", "exact").code == "342084"


def test_wrong_prefecture_is_reported_not_moved(resolver):
    r = check(resolver, "亘理町", "岩手県", "ambiguous")
    assert r.code is None
    assert "other_prefecture" in r.flags
    assert r.candidates[0].code == "043613"
    assert "宮城県" in r.reason


def test_northern_territory_namesake_is_set_aside(resolver):
    r = check(resolver, "泊村", "北海道", "exact")
    assert r.code == "014036" and "北方領土" in r.reason
    assert check(resolver, "国後郡泊村", "北海道", "normalized").code == "016969"


def test_merged_with_several_successors(resolver):
    r = resolver.resolve("北九州市小倉区", "福岡県")
    assert r.status == "merged" and r.code is None
    assert {c.name for c in r.candidates} == {"北九州市小倉北区", "北九州市小倉南区"}


def test_old_name_is_not_preferred_to_an_equally_close_current_one(resolver):
    # 八尾町 (富山県) ended in 2005, but 八尾市 is current: do not guess
    r = resolver.resolve("八尾町")
    assert r.status == "ambiguous"
    assert {"富山市", "八尾市"} <= {c.name for c in r.candidates}


def test_weak_and_empty_input(resolver):
    assert check(resolver, "", None, "unresolved").reason
    assert resolver.resolve("ぬぬぬぬ", "東京都").status == "unresolved"
    r = resolver.resolve("蕨", "埼玉県")  # one character is too little to correct with confidence
    assert r.status in ("ambiguous", "corrected") and (r.status != "corrected" or r.name == "蕨市")


def test_prefecture_argument_forms(resolver):
    for p in ("宮城県", "宮城", "Miyagi", "04", "040002", "ミヤギ県"[0:0] + "宮城県"):
        assert resolver.resolve("亘理町", p).code == "043613", p


def test_list_context_breaks_ties(resolver):
    alone = resolver.resolve("鮎川村")  # no prefecture: 鮭川村 (山形) and 鮫川村 (福島) are both close
    assert alone.status == "ambiguous"
    listed = resolver.resolve_list(["塙町", "鮎川村", "石川町"], "福島県")
    assert listed[1].name == "鮫川村"
    tied = resolver.resolve_list(["山形市", "米沢市", "中央区"], None)
    assert tied[2].status == "exact"


def test_list_context_decides_a_real_tie(resolver):
    # 双葉町 and 楢葉町 are equally far from 〇葉町; only one fits between 広野町 and 富岡町
    alone = resolver.resolve("〇葉町", "福島県")
    assert alone.status == "ambiguous"
    r = resolver.resolve_list(["広野町", "〇葉町", "富岡町"], "福島県")[1]
    assert r.name == "楢葉町" and r.status == "corrected"
    assert "context" in r.flags and "コード順" in r.reason


def test_every_seed_name_resolves(resolver, seed_blocks):
    statuses = Counter()
    for prefecture, names in seed_blocks:
        for r in resolver.resolve_list(names, prefecture):
            statuses[r.status] += 1
            assert r.status in RESOLVED and r.code, (prefecture, r)
            assert r.prefecture == prefecture
            if r.status != "exact" or r.input != r.name:
                assert r.reason
    assert statuses["corrected"] >= 7 and statuses["variant"] >= 3
    assert sum(statuses.values()) == sum(len(n) for _, n in seed_blocks)


def test_every_official_name_resolves_exact_to_itself(resolver, directory):
    for e in directory.entities:
        r = resolver.resolve(e.name, e.prefecture)
        if e.northern_territory and e.name == "泊村":
            continue  # two 泊村 in 北海道: the active one wins, checked above
        assert (r.status, r.code) == ("exact", e.code), e


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_official_names_resolve_exact_property(resolver, directory, data):
    e = data.draw(st.sampled_from([x for x in directory.entities if not x.northern_territory]))
    r = resolver.resolve(e.name)
    if r.status == "exact":
        assert r.code == e.code or resolver.directory[r.code].name == e.name
    else:
        assert r.status == "ambiguous" and e.code in {c.code for c in r.candidates}


@pytest.mark.parametrize("with_prefecture", [True, False])
def test_corrupted_names_never_resolve_wrong(resolver, directory, with_prefecture):
    """Variants, look-alikes, suffix errors: back to the truth, or ambiguous with it listed.

    A corruption that happens to be another official name (大崎町 → 大崎市) is that name,
    and an old name may lead on to its successor; neither is a wrong *correction*.
    """
    outcomes = Counter()
    for m in misspellings(directory, 1200, seed=11):
        r = resolver.resolve(m.written, m.truth.prefecture if with_prefecture else None)
        real_name = bool(resolver._exact.get(m.written) or resolver._readings.get(m.written)
                         or resolver._clean.get(m.written))
        if r.code == m.truth.code:
            outcomes["right"] += 1
        elif r.status == "corrected":
            pytest.fail(f"wrong correction: {m.kind} {m.written} ({m.truth.prefecture}{m.truth.name}) -> {r}")
        elif r.status in ("ambiguous", "unresolved"):
            assert real_name or m.truth.code in {c.code for c in r.candidates}, (m, r)
            outcomes["review"] += 1
        else:
            assert real_name or r.status in ("merged", "normalized"), (m, r)
            outcomes["other name"] += 1
    assert outcomes["right"] / sum(outcomes.values()) > (0.95 if with_prefecture else 0.8), outcomes


def test_statuses_constant():
    assert set(STATUSES) >= RESOLVED and len(KINDS) == 6
