from hypothesis import given
from hypothesis import strategies as st

from renkei.codes import check_digit, is_valid, prefecture_code, to_code5, to_code6


def test_known_codes():
    assert to_code6("13101") == "131016"  # 千代田区
    assert to_code6("01100") == "011002"  # 札幌市
    assert is_valid("043613")  # 亘理町
    assert not is_valid("043614")
    assert prefecture_code("131016") == "130001"


def test_every_directory_code_has_a_valid_check_digit(directory):
    assert all(is_valid(e.code) for e in directory.entities)


@given(st.from_regex(r"\d{5}", fullmatch=True))
def test_round_trip(code5):
    code6 = to_code6(code5)
    assert is_valid(code6)
    assert to_code5(code6) == code5
    assert code6[5] == check_digit(code5)


@given(st.from_regex(r"\d{5}", fullmatch=True), st.integers(1, 9))
def test_a_changed_check_digit_is_caught(code5, delta):
    code6 = to_code6(code5)
    wrong = code6[:5] + str((int(code6[5]) + delta) % 10)
    assert not is_valid(wrong)
