"""Accounts and browser sessions for the signed-in area.

Passwords are hashed with argon2id and must meet :mod:`.passwords`. A session is a random
token in an HttpOnly cookie; the database keeps only its SHA-256, with the session's CSRF
token and expiry. Failed sign-ins slow down per (account, address) in :mod:`.throttle`,
never lock an account. A disabled account cannot sign in and its sessions end at once; a
removed account is gone, but the audit log keeps its name (entries store names, not ids).
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, ParamSpec, TypeVar

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from ..i18n import N_, _, gettext
from . import audit, passwords, throttle
from .base import Core, RegistryError, now
from .schema import User, WebSession

if TYPE_CHECKING:
    from argon2 import PasswordHasher

P = ParamSpec("P")
T = TypeVar("T")

ROLES = ("admin", "ward", "viewer")
ROLE_NAMES = {"admin": N_("管理者（事務局）"), "ward": N_("区の担当者"), "viewer": N_("閲覧のみ")}  # gettext when shown
ADDRESS_MAX = 64  # the column of web_sessions and of the throttle
MAX_DISPLAY_NAME = 80
SESSION_FOR = timedelta(hours=8)  # a working day
# the one answer for a wrong name, a wrong password or a disabled account
REFUSED = N_("ユーザー名またはパスワードが違います")


@dataclass(frozen=True, slots=True)
class Account:
    id: int
    username: str
    role: str
    ward_code: str | None
    display_name: str
    disabled: bool = False

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    def can_edit_project(self, ward_codes: set[str] | frozenset[str]) -> bool:
        return self.is_admin or (self.role == "ward" and self.ward_code in ward_codes)


class LoginRefused(RegistryError):
    """A wrong name or password, or a disabled account: one message for all, so none can be told apart."""

    def __init__(self) -> None:
        super().__init__(_(REFUSED))


def _hasher() -> PasswordHasher:
    from argon2 import PasswordHasher

    return PasswordHasher()  # argon2id with the library's current parameters


def _account(u: User) -> Account:
    return Account(u.id, u.username, u.role, u.ward_code, u.display_name or u.username, bool(u.disabled))


def _aware(t: datetime | None) -> datetime | None:
    return t if t is None or t.tzinfo else t.replace(tzinfo=UTC)


def _policy(check: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    try:
        return check(*args, **kwargs)
    except passwords.PolicyError as exc:
        raise RegistryError(str(exc)) from None


def role_text(role: str) -> str:
    """The role as people read it (the same words on the accounts page, in messages and in the audit log)."""
    return gettext(ROLE_NAMES[role]) if role in ROLE_NAMES else role


def _role_and_ward(reg: Core, role: str, ward: str | None) -> str | None:
    """Check that a role and a ward go together; the ward's code (None for an admin or a viewer).

    A ward editor needs a ward; an admin or a viewer must not have one, since an admin with a ward
    looks like a ward editor on the form but may change everything.
    """
    if role not in ROLES:
        raise RegistryError(_("役割を選択してください（{roles}）").format(
            roles="、".join(role_text(r) for r in ROLES)))
    if role != "ward":
        if ward:
            raise RegistryError(_("{role}には区を指定できません。区を選ぶなら役割を「{ward_role}」にしてください")
                                .format(role=role_text(role), ward_role=role_text("ward")))
        return None
    if not ward:
        raise RegistryError(_("{role}には区を指定してください（--ward 港区 など）").format(role=role_text(role)))
    e = reg.resolver.resolve_ward(ward)
    if e is None:
        raise RegistryError(_("「{ward}」は特別区（23区）ではありません").format(ward=ward))
    return e.code


def _display_name(display_name: str) -> str:
    if len(display_name) > MAX_DISPLAY_NAME:
        raise RegistryError(_("表示名は {n} 文字以内にしてください").format(n=MAX_DISPLAY_NAME))
    return display_name


def add_user(reg: Core, username: str, password: str, role: str, ward: str | None = None,
             display_name: str = "", actor: str = "renkei user add") -> Account:
    username = _policy(passwords.check_username, username)
    ward_code = _role_and_ward(reg, role, ward)
    _policy(passwords.check_password, password, username, other_inputs=(display_name,))
    display_name = _display_name(display_name)
    with reg.Session.begin() as s:
        if s.scalar(select(User.id).where(User.username == username)):
            raise RegistryError(_("ユーザー「{username}」は既にあります").format(username=username))
        u = User(username=username, password_hash=_hasher().hash(password), role=role, ward_code=ward_code,
                 display_name=display_name, created_at=now(), disabled=False)
        s.add(u)
        s.flush()
        audit.record(s, actor, "create", "users", str(u.id), None, _public(u))
        return _account(u)


def set_user(reg: Core, username: str, *, role: str | None = None, ward: str | None = None,
             display_name: str | None = None, actor: str) -> Account:
    """Change an account's role, ward or display name (None keeps each as it is); audited with only what changed.

    The role and ward are checked together as for a new account: giving ``role`` alone keeps the ward only
    if the new role takes one. The last enabled admin keeps its role, so someone can still manage accounts.
    """
    with reg.Session.begin() as s:
        u = _find(s, username)
        new_role = role if role is not None else u.role
        if ward is None:  # keep the ward when the role still takes one
            current = reg.directory.get(u.ward_code) if u.ward_code and new_role == "ward" else None
            ward = current.name if current else None
        ward_code = _role_and_ward(reg, new_role, ward or None)
        name = _display_name(display_name) if display_name is not None else u.display_name
        if u.role == "admin" and new_role != "admin":
            _keep_an_admin(s, u)
        before = _public(u)
        u.role, u.ward_code, u.display_name = new_role, ward_code, name
        after = _public(u)
        changed = [k for k in after if after[k] != before[k]]
        if changed:
            audit.record(s, actor, "update", "users", str(u.id), {"username": u.username,
                                                                  **{k: before[k] for k in changed}},
                         {"username": u.username, **{k: after[k] for k in changed}})
        return _account(u)


def users(reg: Core) -> list[Account]:
    with reg.Session() as s:
        return [_account(u) for u in s.scalars(select(User).order_by(User.id))]


def _public(u: User) -> dict[str, object]:
    """What the audit log records of an account: never its password hash."""
    return {"username": u.username, "role": u.role, "ward_code": u.ward_code, "display_name": u.display_name,
            "disabled": bool(u.disabled)}


def _find(s: Session, username: str) -> User:
    u = s.scalar(select(User).where(User.username == username))
    if u is None:
        raise RegistryError(_("ユーザー「{username}」はありません").format(username=username))
    return u


def _keep_an_admin(s: Session, u: User) -> None:
    """Refuse to disable or remove the last enabled admin: nobody could manage accounts afterwards."""
    if u.role == "admin" and not u.disabled:
        others = s.scalar(select(func.count()).select_from(User).where(
            User.role == "admin", User.disabled.is_(False), User.id != u.id))
        if not others:
            raise RegistryError(_("「{username}」は最後の管理者です。無効化・削除・役割の変更はできません。"
                                  "先に別の管理者を作成してください")
                                .format(username=u.username))


def set_disabled(reg: Core, username: str, disabled: bool, actor: str) -> Account:
    """Disable (its sessions end at once) or enable an account."""
    with reg.Session.begin() as s:
        u = _find(s, username)
        if bool(u.disabled) == disabled:
            return _account(u)
        if disabled:
            _keep_an_admin(s, u)
        before = _public(u)
        u.disabled = disabled
        if disabled:
            s.execute(delete(WebSession).where(WebSession.user_id == u.id))
        audit.record(s, actor, "disable" if disabled else "enable", "users", str(u.id), before, _public(u))
        return _account(u)


def remove_user(reg: Core, username: str, actor: str) -> None:
    """Delete an account and its sessions. Audit entries keep its name: they store names, not ids."""
    from .staging import forget_user

    with reg.Session.begin() as s:
        u = _find(s, username)
        _keep_an_admin(s, u)
        s.execute(delete(WebSession).where(WebSession.user_id == u.id))
        forget_user(s, u.id)
        audit.record(s, actor, "remove", "users", str(u.id), _public(u), None)
        s.delete(u)


def set_password(reg: Core, username: str, password: str, actor: str) -> None:
    """A new password (the same rules as a new account); every session of the account ends."""
    with reg.Session.begin() as s:
        u = _find(s, username)
        _policy(passwords.check_password, password, u.username, other_inputs=(u.display_name,))
        u.password_hash = _hasher().hash(password)
        s.execute(delete(WebSession).where(WebSession.user_id == u.id))
        audit.record(s, actor, "password", "users", str(u.id), None, {"username": u.username})


def login(reg: Core, username: str, password: str, address: str = "?") -> tuple[Account, str, str]:
    """Check the password; returns (account, session token for the cookie, CSRF token).

    Raises :class:`throttle.Throttled` when this (name, address) must wait, and LoginRefused otherwise;
    both alike for known and unknown names.
    """
    from argon2.exceptions import VerificationError

    typed = as_typed(username)  # the throttle's key and the audit log's: a NUL byte cannot reach PostgreSQL
    throttle.reserve(reg, typed, address)
    with reg.Session() as s:
        # a name with control characters or too long is no account's (passwords.check_username)
        u = s.scalar(select(User).where(User.username == username)) if typed == username else None
        hashed = u.password_hash if u is not None else None
    ok = False
    if hashed is None or len(password) > passwords.MAX_LENGTH:
        _hasher().hash(password[:passwords.MAX_LENGTH])  # the same work either way: no enumeration by timing
    else:
        try:
            ok = _hasher().verify(hashed, password)
        except VerificationError:
            ok = False
    if not ok or u is None or u.disabled:
        throttle.failed(reg, address)
        with reg.Session.begin() as s:
            audit.record(s, typed, "login_failed", "users", str(u.id) if u is not None else "", None,
                         {"username": typed, "address": address[:ADDRESS_MAX]})
        raise LoginRefused()
    throttle.succeeded(reg, typed, address)
    t = now()
    with reg.Session.begin() as s:
        token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        s.execute(delete(WebSession).where(WebSession.expires_at < t))
        s.add(WebSession(token_hash=_digest(token), user_id=u.id, csrf_token=csrf, created_at=t,
                         expires_at=t + SESSION_FOR, address=address[:ADDRESS_MAX]))
        audit.record(s, u.username, "login", "users", str(u.id), None,
                     {"username": u.username, "address": address[:ADDRESS_MAX]})
        return _account(u), token, csrf


def session(reg: Core, token: str | None) -> tuple[Account, str] | None:
    """The signed-in account and its CSRF token, or None (also for a disabled account)."""
    if not token:
        return None
    with reg.Session() as s:
        row = s.get(WebSession, _digest(token))
        if row is None or (_aware(row.expires_at) or now()) < now():
            return None
        u = s.get(User, row.user_id)
        return (_account(u), row.csrf_token) if u and not u.disabled else None


def logout(reg: Core, token: str | None, address: str = "?") -> None:
    """End the session of ``token``, recorded in the audit log with the client's address."""
    if token:
        with reg.Session.begin() as s:
            row = s.get(WebSession, _digest(token))
            if row is None:
                return
            u = s.get(User, row.user_id)
            s.delete(row)
            if u is not None:
                audit.record(s, u.username, "logout", "users", str(u.id), None,
                             {"username": u.username, "address": address[:ADDRESS_MAX],
                              "signed_in_from": row.address})


def as_typed(username: str) -> str:
    """A typed account name as the audit log keeps it: no control characters, at most 80 characters.

    It is shown escaped like every value; bounding it keeps a sign-in form from writing megabytes.
    """
    shown = "".join(c if c.isprintable() else "\ufffd" for c in username)
    return shown if len(shown) <= passwords.MAX_USERNAME else shown[:passwords.MAX_USERNAME - 1] + "…"


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
