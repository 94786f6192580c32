"""What a username and a password must be, checked the same way by the CLI and the web form.

Common and easily guessed passwords are refused with zxcvbn (its packaged lists of common
passwords, words and names, plus keyboard patterns and repeats), not with a hand-kept list.
No message ever contains the password.
"""

from __future__ import annotations

import unicodedata

from ..i18n import _

MIN_LENGTH = 12
MAX_LENGTH = 128  # the form's maxlength and the CLI's check are this one number
MAX_USERNAME = 80
MIN_SCORE = 3  # zxcvbn: 3 = "safely unguessable: moderate protection from offline attacks"


class PolicyError(ValueError):
    """A username or password that does not meet the rules; the message never contains the password."""


def check_username(username: str) -> str:
    """The username as stored; PolicyError when empty, too long, or containing spaces or control characters."""
    if not username or not username.strip():
        raise PolicyError(_("ユーザー名を入力してください"))
    if len(username) > MAX_USERNAME:
        raise PolicyError(_("ユーザー名は {n} 文字以内にしてください").format(n=MAX_USERNAME))
    if any(c.isspace() or unicodedata.category(c).startswith("C") for c in username):
        raise PolicyError(_("ユーザー名に空白や制御文字は使えません"))
    return username


def check_password(password: str, username: str, *, other_inputs: tuple[str, ...] = ()) -> None:
    """PolicyError unless the password is long enough, not the username, and not common or guessable."""
    if len(password) < MIN_LENGTH:
        raise PolicyError(_("パスワードは {n} 文字以上にしてください").format(n=MIN_LENGTH))
    if len(password) > MAX_LENGTH:
        raise PolicyError(_("パスワードは {n} 文字以内にしてください").format(n=MAX_LENGTH))
    if password.strip().casefold() == username.strip().casefold():
        raise PolicyError(_("ユーザー名と同じパスワードは使えません"))
    from zxcvbn import zxcvbn

    result = zxcvbn(password, user_inputs=[username, *other_inputs], max_length=MAX_LENGTH)
    if result["score"] < MIN_SCORE:
        raise PolicyError(_("よく使われるパスワードや推測されやすいパスワード（よくある単語・名前・並び・繰り返し、"
                            "ユーザー名を含むもの）は使えません。無関係な単語をいくつか組み合わせてください"))
