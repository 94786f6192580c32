import unicodedata

from hypothesis import given
from hypothesis import strategies as st

from renkei.normalize import clean, data_lines, fold, is_kana, to_katakana, variant_groups, variant_of

names = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=20)


@given(names)
def test_clean_is_idempotent(text):
    assert clean(clean(text)) == clean(text)


@given(names)
def test_fold_is_idempotent(text):
    assert fold(fold(text)) == fold(text)


@given(names)
def test_fold_keeps_length_of_clean(text):
    # folding is character for character, so positions in an explanation line up
    assert len(fold(text)) == len(clean(text))


def test_width_spacing_selectors_and_ke():
    assert clean("　袖ｹ浦市 ") == "袖ケ浦市"
    assert clean("龍ヶ崎市") == clean("龍ケ崎市") == "龍ケ崎市"
    assert clean("葛\U000e0100飾区") == "葛飾区"
    assert clean("ﾆｾｺ町") == "ニセコ町"
    assert clean("東京都（都庁）") == "東京都(都庁)"
    assert clean("かすみがうら市") == "かすみがうら市"  # hiragana is left alone


def test_hyphen_and_dot_look_alikes():
    for dash in "‐‑‒–—―−－ｰ-":
        assert clean(f"ア{dash}ス") == "アース", repr(dash)
    assert clean("ア･イ") == clean("ア・イ")


def test_variants_are_symmetric():
    pairs = ["舘館", "曽曾", "檜桧", "瀬瀨", "崎﨑", "崎嵜", "龍竜",
             "髙高", "澤沢", "邊辺", "邉辺", "島嶋", "島嶌", "濱浜"]
    for a, b in pairs:
        assert variant_of(a, b) and variant_of(b, a), (a, b)
        assert fold(a) == fold(b)
    assert not variant_of("館", "館")


def test_variant_table_is_well_formed():
    table = variant_groups()
    assert all(unicodedata.normalize("NFKC", k) == k for k in table)
    assert all(table.get(v, v) == v for v in table.values())  # representatives map to themselves


def test_kana_helpers():
    assert to_katakana("わたりちょう") == "ワタリチョウ"
    assert is_kana("さっぽろし") and is_kana("サッポロシ") and not is_kana("札幌市")


def test_variants_from_the_character_databases():
    # not in the hand-kept table: from cjkvi-variants (驒/騨) and Unihan (龙/龍, a simplified form)
    for a, b in ["驒騨", "龙龍", "髙高", "﨑崎", "岛島"]:
        assert variant_of(a, b) and fold(a) == fold(b), (a, b)
    for a, b in ["裏里", "敦竜", "埼崎"]:  # Chinese simplifications and links between two Japanese names refused
        assert not variant_of(a, b), (a, b)


def test_variant_folding_never_joins_two_governments(directory):
    seen = {}
    for e in directory.entities:
        key = (fold(e.name), e.prefecture)
        assert seen.get(key, e.name) == e.name, (seen[key], e.name)
        seen[key] = e.name
    stems = {}
    for e in directory.entities:
        stem = fold(e.name[:-1])
        stems.setdefault(stem, set()).add(clean(e.name[:-1]))
    # the only stems that fold together are those the hand-kept table joins on purpose (鹿島市 / 鹿嶋市)
    hand = [set(line.split()) for (line, *_) in data_lines("kanji_variants.tsv")]
    for found in (v for v in stems.values() if len(v) > 1):
        a, b = sorted(found)
        assert len(a) == len(b), found
        diffs = {(x, y) for x, y in zip(a, b, strict=True) if x != y}
        assert all(any({x, y} <= group for group in hand) for x, y in diffs), found
