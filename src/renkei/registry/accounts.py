"""Accounts and browser sessions for the signed-in area.

Passwords are hashed with argon2id. A session is a random token in an HttpOnly cookie;
the database keeps only its SHA-256, with the session's CSRF token and expiry. Repeated
failed sign-ins lock the account for a while (and the web layer also limits by address).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, select

from . import audit
from .base import Core, RegistryError, now
from .schema import User, WebSession

ROLES = ("admin", "ward", "viewer")
MAX_FAILURES = 5
LOCK_FOR = timedelta(minutes=15)
SESSION_FOR = timedelta(hours=8)  # a working day


@dataclass(frozen=True, slots=True)
class Account:
    id: int
    username: str
    role: str
    ward_code: str | None
    display_name: str

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    def can_edit_project(self, ward_codes: set[str] | frozenset[str]) -> bool:
        return self.is_admin or (self.role == "ward" and self.ward_code in ward_codes)


class LoginRefused(RegistryError):
    def __init__(self, message: str, locked: bool = False) -> None:
        self.locked = locked
        super().__init__(message)


def _hasher():  # type: ignore[no-untyped-def]
    from argon2 import PasswordHasher

    return PasswordHasher()  # argon2id with the library's current parameters


def _account(u: User) -> Account:
    return Account(u.id, u.username, u.role, u.ward_code, u.display_name or u.username)


def _aware(t: datetime | None) -> datetime | None:
    return t if t is None or t.tzinfo else t.replace(tzinfo=UTC)


def add_user(reg: Core, username: str, password: str, role: str, ward: str | None = None,
             display_name: str = "", actor: str = "renkei user add") -> Account:
    if role not in ROLES:
        raise RegistryError(f"role must be one of {', '.join(ROLES)}")
    if len(password) < 10:
        raise RegistryError("the password must have at least 10 characters")
    ward_code = None
    if role == "ward":
        if not ward:
            raise RegistryError("a ward account needs --ward (e.g. 港区)")
        e = reg.resolver.resolve_ward(ward)
        if e is None:
            raise RegistryError(f"「{ward}」 is not one of the 23 special wards")
        ward_code = e.code
    with reg.Session.begin() as s:
        if s.scalar(select(User.id).where(User.username == username)):
            raise RegistryError(f"the user {username!r} exists already")
        u = User(username=username, password_hash=_hasher().hash(password), role=role, ward_code=ward_code,
                 display_name=display_name, created_at=now(), failed_logins=0)
        s.add(u)
        s.flush()
        audit.record(s, actor, "create", "users", str(u.id), None,
                   {"username": username, "role": role, "ward_code": ward_code})
        return _account(u)


def users(reg: Core) -> list[Account]:
    with reg.Session() as s:
        return [_account(u) for u in s.scalars(select(User).order_by(User.id))]


def login(reg: Core, username: str, password: str) -> tuple[Account, str, str]:
    """Check the password; returns (account, session token for the cookie, CSRF token)."""
    from argon2.exceptions import VerificationError

    with reg.Session.begin() as s:
        u = s.scalar(select(User).where(User.username == username))
        t = now()
        if u is None:
            _hasher().hash(password)  # the same work either way: no user enumeration by timing
            raise LoginRefused("ユーザー名またはパスワードが違います")
        locked = _aware(u.locked_until)
        if locked and locked > t:
            raise LoginRefused("ログインの失敗が続いたため、しばらくログインできません", locked=True)
        try:
            _hasher().verify(u.password_hash, password)
            ok = True
        except VerificationError:
            ok = False
        if not ok:  # count the failure in its own committed step: raising here would roll it back
            u.failed_logins = (u.failed_logins or 0) + 1
            if u.failed_logins >= MAX_FAILURES:
                u.locked_until, u.failed_logins = t + LOCK_FOR, 0
    if not ok:
        raise LoginRefused("ユーザー名またはパスワードが違います")
    with reg.Session.begin() as s:
        u = s.get(User, u.id)
        u.failed_logins, u.locked_until = 0, None
        token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        s.execute(delete(WebSession).where(WebSession.expires_at < t))
        s.add(WebSession(token_hash=_digest(token), user_id=u.id, csrf_token=csrf, created_at=t,
                         expires_at=t + SESSION_FOR))
        return _account(u), token, csrf


def session(reg: Core, token: str | None) -> tuple[Account, str] | None:
    """The signed-in account and its CSRF token, or None."""
    if not token:
        return None
    with reg.Session() as s:
        row = s.get(WebSession, _digest(token))
        if row is None or (_aware(row.expires_at) or now()) < now():
            return None
        u = s.get(User, row.user_id)
        return (_account(u), row.csrf_token) if u else None


def logout(reg: Core, token: str | None) -> None:
    if token:
        with reg.Session.begin() as s:
            s.execute(delete(WebSession).where(WebSession.token_hash == _digest(token)))


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
