"""The resolver: every status, every rule, and the seed list."""

from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from renkei.misspell import KINDS, misspellings
from renkei.normalize import split_names, split_notes
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
    kept = resolver.resolve_list(["米沢市", "千代田区", "山形市"], None)
    assert kept[1].status == "exact"  # a firm answer is an anchor, even out of code order


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
        real_name = bool(resolver.indexes.exact.get(m.written) or resolver.indexes.readings.get(m.written)
                         or resolver.indexes.clean.get(m.written))
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


# -- real-world forms (issue 12) ------------------------------------------------------------------


@pytest.mark.parametrize(("written", "pref", "code", "county"), [
    ("幡豆郡一色町", None, "232131", "幡豆郡"),     # 西尾市: an abolished county in front of an old name
    ("北埼玉郡騎西町", None, "112101", "北埼玉郡"),  # 加須市
    ("北魚沼郡川口町", None, "152021", "北魚沼郡"),  # 長岡市
    ("愛知県幡豆郡一色町", None, "232131", "幡豆郡"),
    ("亘理郡亘理町", None, "043613", "亘理郡"),     # a current county names the prefecture too
])
def test_county_prefix_is_parsed_and_names_the_prefecture(resolver, written, pref, code, county):
    r = resolver.resolve(written, pref)
    assert r.code == code, r
    assert county in r.reason and [x for x in r.reasons if x.key == "county_removed"]


@pytest.mark.parametrize(("written", "pref", "code"), [
    ("吾妻郡東村", None, "104299"),    # 東吾妻町, not みどり市 (勢多郡東村) or 伊勢崎市 (佐波郡東村)
    ("佐波郡東村", "群馬県", "102041"),  # 伊勢崎市
    ("勢多郡東村", None, "102121"),    # みどり市
    ("神石郡三和町", None, "345458"),  # 神石高原町, not 三次市 (双三郡三和町)
    ("双三郡三和町", None, "342092"),
    ("桑名郡長島町", None, "242055"),  # 桑名市, not 紀北町 (北牟婁郡長島町)
])
def test_county_picks_the_successor_of_a_merged_name(resolver, written, pref, code):
    alone = resolver.resolve(written.partition("郡")[2], pref)
    assert alone.code is None or alone.code != code or alone.status == "ambiguous"  # without it: several
    r = resolver.resolve(written, pref)
    assert (r.status, r.code) == ("merged", code), r
    assert any(x.key == "county_picks" for x in r.reasons)


def test_county_of_another_prefecture_is_reported_never_moved(resolver):
    alone = resolver.resolve("北村山郡高崎村")  # 北村山郡 exists only in 山形県; 高崎村 ended there in 1954
    assert (alone.status, alone.code, alone.name) == ("merged", "062111", "東根市"), alone
    assert "before_1970" in alone.flags and any(x.key == "merged_by_place" for x in alone.reasons)
    r = resolver.resolve("北村山郡高崎村", "群馬県")
    assert r.status == "ambiguous" and r.code is None and "county_mismatch" in r.flags
    assert "北村山郡" in r.reason and "山形県" in r.reason


@pytest.mark.parametrize(("written", "pref", "code", "kind"), [
    ("秩父市(旧荒川村)", None, "112071", "former"),
    ("大崎市(姉妹都市)", "宮城県", "042153", "other"),
    ("大和市(2016年9月)", None, "142131", "date"),
    ("大和市（2016年9月）", None, "142131", "date"),
    ("石垣市(2018年5月) ※協定締結", None, "472077", "remark"),
    ("中野区 H28.4", None, "131148", "date"),
    ("府中市【東京都】", None, "132063", "other"),  # a prefecture in the note is evidence
    ("桑折(こおり)町", None, "073016", "reading"),
])
def test_notes_are_set_aside_and_kept_in_the_reason(resolver, written, pref, code, kind):
    r = resolver.resolve(written, pref)
    assert r.code == code, r
    notes = [x for x in r.reasons if x.key == "note_removed"]
    assert kind in {x.args["kind"] for x in notes}, r.reasons


def test_a_reading_in_brackets_is_evidence(resolver):
    # 府中町 (広島県) and 府中市 (東京都/広島県): ふちゅうちょう picks the town
    r = resolver.resolve("府中(ふちゅうちょう)")
    assert r.code == "343021" and any(x.key == "reading_used" for x in r.reasons), r


def test_several_names_in_one_cell(resolver):
    r = resolver.resolve("城島町・三潴町")
    assert r.status == "multiple" and r.code is None and not r.resolved and r.needs_review
    assert [(p.input, p.code) for p in r.parts] == [("城島町", "402036"), ("三潴町", "402036")]
    d = r.as_dict()
    assert d["status"] == "multiple" and [p["code"] for p in d["parts"]] == ["402036", "402036"]
    assert "parts" not in resolver.resolve("亘理町").as_dict()  # other lines keep their shape
    r = resolver.resolve("幡豆郡一色町、吉良町")  # the county written once serves both
    assert [p.code for p in r.parts] == ["232131", "232131"]
    assert [p.code for p in resolver.resolve("港区,渋谷区/新宿区", "東京都").parts] == ["131032", "131130", "131041"]
    assert resolver.resolve("秩父市(旧荒川村・旧大滝村)").code == "112071"  # a separator inside a note
    assert resolver.resolve("龍ヶ崎市").status == "normalized"


def test_as_of_resolves_a_name_as_it_stood(resolver):
    r = resolver.resolve("浦和市", as_of="2000-01-01")
    assert (r.status, r.code) == ("merged", "111007") and "2000-01-01" in r.reason
    assert resolver.resolve("浦和市", as_of="2002-01-01").code != "111007"  # it no longer existed then
    r = resolver.resolve("さいたま市", as_of="2000-01-01")
    assert r.code == "111007" and any(x.key == "not_yet" for x in r.reasons)
    assert not any(x.key == "not_yet" for x in resolver.resolve("さいたま市", as_of="2010-01-01").reasons)


def test_list_context_overrides_a_correction_that_breaks_code_order(resolver):
    alone = resolver.resolve("美幌市", "北海道")
    assert alone.code == "015431"  # alone, the look-alike town is closest
    r = resolver.resolve_list(["稚内市", "美幌市", "江別市"], "北海道")[1]
    assert (r.status, r.code, r.name) == ("corrected", "012157", "美唄市"), r
    assert "コード順" in r.reason and "context" in r.flags
    assert {x.key for x in r.reasons} >= {"code_order_breaks", "code_order_fits"}


def test_list_context_never_keeps_a_silent_wrong_code(resolver):
    # 亶理町 corrects to 亘理町 (043613), which cannot sit between 札幌市 and 函館市; no close name fits
    r = resolver.resolve_list(["札幌市", "亶理町", "函館市"], None)[1]
    assert r.status == "ambiguous" and r.code is None and any(x.key == "code_order_breaks" for x in r.reasons)


def test_every_reason_has_a_key_and_params(resolver):
    for written, pref in [("亶理町", "宮城県"), ("浦和市", None), ("幡豆郡一色町", None), ("城島町・三潴町", None),
                          ("大和市(2016年9月)", None), ("府中市", None), ("ぬぬぬぬ", "東京都")]:
        r = resolver.resolve(written, pref)
        for x in (*r.reasons, *(y for p in r.parts for y in p.reasons)):
            assert x.key and x.text and isinstance(x.args, dict)


# -- property tests: note stripping and splitting --------------------------------------------------

_NOTE_TEXT = st.text(alphabet=st.sampled_from(list("旧姉妹都市友好交流協定締結年月日0123456789こおりあいう")),
                     min_size=1, max_size=8)
_BRACKETS = st.sampled_from(["()", "（）", "[]", "【】", "〔〕"])


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_notes_never_change_the_name_property(directory, data):
    e = data.draw(st.sampled_from(directory.entities))
    assert split_notes(e.name) == (e.name, ())  # an official name has no notes
    note = data.draw(_NOTE_TEXT)
    left, right = data.draw(_BRACKETS)
    core, notes = split_notes(f"{e.name}{left}{note}{right}")
    assert core == e.name and notes and notes[-1].text == note.strip()
    remark, _ = split_notes(f"{e.name} ※{note}")
    assert remark == e.name
    assert split_notes(core)[0] == core  # idempotent


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_splitting_gives_back_each_name_property(directory, data):
    pool = [e for e in directory.entities if not e.northern_territory]
    names = data.draw(st.lists(st.sampled_from(pool), min_size=2, max_size=4))
    sep = data.draw(st.sampled_from(["・", "、", ",", "/", "，", "／", " / "]))
    assert split_names(sep.join(e.name for e in names)) == [e.name for e in names]
    for e in names:
        assert split_names(e.name) == []  # no official name is split


@pytest.mark.parametrize(("written", "official"), [
    ("飛驒市", "飛騨市"), ("龙ケ崎市", "龍ケ崎市"), ("髙山市", "高山市"), ("宮﨑市", "宮崎市"), ("長﨑市", "長崎市"),
])
def test_variants_from_character_databases_fold(resolver, written, official):
    r = resolver.resolve(written)
    assert (r.status, r.name) == ("variant", official), r


def test_a_formula_or_a_list_cell_is_never_split(resolver):
    for text in ['=HYPERLINK("http://evil.example/","x")', "=cmd|' /C calc'!A0", "A/B", "http://a.example/b"]:
        assert resolver.resolve(text).status != "multiple", text
    # a published list's cell is one name by its layout
    assert resolver.resolve_list(["城島町・三潴町"], "福岡県")[0].status != "multiple"


@pytest.mark.parametrize(("written", "code"), [
    ("郡上郡八幡町", "212199"),           # a county whose name starts with 郡 (郡上市)
    ("佐波郡東村", "102041"),             # not 沖縄県国頭郡東村: the county says which 東村
    ("大野郡大野町", "442127"),           # 大分県 (豊後大野市), not 岐阜県揖斐郡大野町: 大野郡 never held it
    ("東京都大島支庁大島町", "133612"),    # a 支庁 in front, as some datasets write it
    ("オホーツク総合振興局網走郡美幌町", "015431"),
])
def test_county_and_subprefecture_prefixes_in_real_writing(resolver, written, code):
    r = resolver.resolve(written)
    assert r.code == code, r


def test_names_older_than_1970_need_evidence(resolver):
    # 11,000 village names ended before 1970: without a county or a date they are not taken,
    # or any typo of a current name could become one
    assert resolver.resolve("高崎村", "山形県").code is None
    dated = resolver.resolve("高崎村", "山形県", as_of="1950-01-01")
    assert dated.code == "062111"
    assert resolver.resolve("高崎村", "山形県", as_of="1960-01-01").code is None  # it had ended by then
    assert resolver.resolve("幡豆郡一色村").code == "232131"  # 1906–1923, now 西尾市


def test_statuses_are_strings_for_every_caller(resolver):
    """Status is a str enum: old comparisons, sets of strings and JSON keep working."""
    import json

    from renkei.resolve import Status, needs_person

    r = resolver.resolve("亶理町", "宮城県")
    assert r.status == "corrected" and r.status is Status.CORRECTED and r.status in {"corrected"}
    assert json.loads(json.dumps(r.as_dict()))["status"] == "corrected"
    assert [needs_person(s) for s in STATUSES] == [s not in ("exact", "normalized", "variant") for s in STATUSES]


def test_the_policy_holds_the_thresholds(directory):
    """A resolver with a policy that accepts no correction does not correct: the levels read the policy."""
    from renkei.resolve import Policy, Resolver

    strict = Resolver(directory, Policy(max_correction_cost=0.0))
    assert strict.resolve("亶理町", "宮城県").status == "ambiguous"
    assert Resolver(directory).resolve("亶理町", "宮城県").status == "corrected"
