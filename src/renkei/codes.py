"""全国地方公共団体コード: the 6-digit code and its check digit.

The 6th digit is a check digit (JIS X 0402 / 総務省): multiply the first five
digits by 6, 5, 4, 3, 2, sum, take the remainder modulo 11, subtract it from
11 and keep the last digit. Codes are always handled as 6-digit strings; the
5-digit form exists only for joins with data sets that drop the check digit
(N03 boundaries, jpcity, e-Stat).
"""

from __future__ import annotations

_WEIGHTS = (6, 5, 4, 3, 2)


def check_digit(code5: str) -> str:
    """The check digit for a 5-digit code."""
    if len(code5) != 5 or not code5.isdigit():
        raise ValueError(f"not a 5-digit code: {code5!r}")
    total = sum(int(d) * w for d, w in zip(code5, _WEIGHTS, strict=True))
    return str((11 - total % 11) % 10)


def to_code6(code5: str) -> str:
    """Add the check digit to a 5-digit code."""
    code5 = code5.zfill(5)
    return code5 + check_digit(code5)


def to_code5(code6: str) -> str:
    """Drop the check digit (for joins with 5-digit data sets)."""
    if not is_valid(code6):
        raise ValueError(f"not a valid 6-digit code: {code6!r}")
    return code6[:5]


def is_valid(code: str) -> bool:
    """True when ``code`` is 6 digits and its check digit is right."""
    return len(code) == 6 and code.isdigit() and check_digit(code[:5]) == code[5]


def prefecture_code(code: str) -> str:
    """The 6-digit code of the prefecture a code belongs to (``13101x`` → ``130001``)."""
    return to_code6(code[:2] + "000")
